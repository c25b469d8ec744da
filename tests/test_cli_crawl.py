"""The crawl-side commands as a user runs them: crawl, stats, derive, demo."""

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from crawl_helpers import make_snapshot
from hubscan.cli import cli
from hubscan.mirror import MirrorServer


def run(*args, env=None, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "hubscan", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_crawl_then_stats_then_derive(tmp_path):
    make_snapshot(tmp_path / "snap", 5)
    db = tmp_path / "c.db"
    secret = "hf_" + "x" * 34
    with MirrorServer(tmp_path / "snap") as hub:
        result = run("crawl", "--endpoint", hub.url, "--db", str(db), "--token", secret)
    assert result.returncode == 0, result.stderr
    assert "5 models listed" in result.stderr and "5 files fetched" in result.stderr
    assert secret not in result.stderr + result.stdout

    stats = CliRunner().invoke(cli, ["stats", "--db", str(db), "--json"])
    assert stats.exit_code == 0, stats.output
    data = json.loads(stats.output)
    assert data["models"] == 5 and data["configs"] == {"ok": 5} and data["last_run"]["status"] == "finished"
    human = CliRunner().invoke(cli, ["stats", "--db", str(db)])
    assert "5 models" in human.output and "llama=5" in human.output

    derived = CliRunner().invoke(cli, ["derive", "--db", str(db)])
    assert derived.exit_code == 0, derived.output
    assert "Derived 5 models" in derived.output


def test_missing_catalog_and_unreachable_hub_are_clear_errors(tmp_path):
    result = CliRunner().invoke(cli, ["stats", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0 and "No catalog" in result.output and "Traceback" not in result.output

    down = run("crawl", "--endpoint", "http://127.0.0.1:9", "--db", str(tmp_path / "c.db"), "--retries", "0")
    assert down.returncode == 1
    assert "Error: Listing models from http://127.0.0.1:9 failed" in down.stderr
    assert "Traceback" not in down.stderr


def test_demo_crawls_the_bundled_sample_hub(tmp_path):
    db = tmp_path / "demo.db"
    result = run("demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "Sample Hub served at http://127.0.0.1:" in result.stderr
    assert "finished" in result.stderr
    assert db.exists()
    assert "Catalog" in result.stdout
