"""A new user's mistakes get one clear line, never a traceback (issue 10, items 15 and 16)."""

# ruff: noqa: F401, F811
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from crawl_helpers import make_snapshot
from hubscan.cli import cli
from hubscan.mirror import MirrorServer, write_repo
from mirror_fixtures import hf_env


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def hubscan(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hubscan", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        **kwargs,
    )


@pytest.mark.parametrize("endpoint", ["not a url", "ftp://example.org/", "127.0.0.1:8000"])
def test_bad_endpoint_is_one_line(tmp_path, endpoint):
    line = one_line_error(
        CliRunner().invoke(cli, ["crawl", "--endpoint", endpoint, "--db", str(tmp_path / "c.db")])
    )
    assert "http" in line
    assert not (tmp_path / "c.db").exists()


def test_offline_mode_is_one_line(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = hubscan("crawl", "--db", str(tmp_path / "c.db"), env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: HF_HUB_OFFLINE is set"), done.stderr
    assert not (tmp_path / "c.db").exists()


@pytest.fixture(scope="module")
def small_catalog(sample_catalog):
    return sample_catalog


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_plot_format_follows_the_extension(small_catalog, tmp_path, suffix, magic):
    out = tmp_path / f"f{suffix}"
    result = CliRunner().invoke(cli, ["plot", "footprint", "--out", str(out), "--db", str(small_catalog)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize("out", ["missing/dir/f.png", "f.jpgx", "f"])
def test_plot_bad_output_path_is_one_line(small_catalog, tmp_path, out):
    line = one_line_error(
        CliRunner().invoke(
            cli, ["plot", "emissions", "--out", str(tmp_path / out), "--db", str(small_catalog)]
        )
    )
    assert "does not exist" in line or ".png, .svg or .pdf" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(60)
def test_browse_busy_port_fails_loudly(small_catalog):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = hubscan("browse", "--db", str(small_catalog), "--port", str(port))
    assert done.returncode == 1
    assert "Serving" not in done.stderr and "Traceback" not in done.stderr
    assert f"127.0.0.1:{port}" in done.stderr and "--port" in done.stderr


@pytest.mark.timeout(120)
def test_browse_port_zero_prints_the_real_port_and_sigterm_takes_datasette_down(small_catalog):
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubscan", "browse", "--db", str(small_catalog), "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = ""
        for _ in range(50):  # Datasette's own log lines share stderr
            line = proc.stderr.readline()
            if "Serving" in line or not line:
                break
        assert "Serving" in line and ":0/" not in line, line
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=10) as answer:
            assert answer.status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError:
                break
            time.sleep(0.2)
        else:
            pytest.fail("Datasette still answers after hubscan browse got SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.timeout(120)
def test_client_warnings_are_counted_in_the_summary_and_shown_with_verbose(tmp_path, hf_env):
    snap = tmp_path / "snap"
    make_snapshot(snap, 3)
    for i in range(2):  # model-index without results: the client warns "Invalid model-index…"
        write_repo(
            snap,
            f"odd/m{i}",
            files={"config.json": "{}"},
            meta={"cardData": {"model-index": [{"name": "x"}]}},
        )
    with MirrorServer(snap) as hub:
        quiet = hubscan("crawl", "--endpoint", hub.url, "--db", str(tmp_path / "a.db"), "--no-derive")
        verbose = hubscan("crawl", "--endpoint", hub.url, "--db", str(tmp_path / "b.db"), "--no-derive", "-v")
    assert quiet.returncode == 0, quiet.stderr
    assert "Invalid model-index" not in quiet.stderr.replace('"Invalid model-index', "")
    summary = quiet.stderr.strip().splitlines()[-1]
    assert "2 warning(s) from the Hub client" in summary and "-v shows them" in summary
    assert verbose.returncode == 0, verbose.stderr
    shown = [
        line for line in verbose.stderr.splitlines() if line.startswith("WARNING huggingface_hub: Invalid")
    ]
    assert len(shown) == 2
