"""Datasette serving the crawled sample catalog: canned queries' JSON, and pages in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import matplotlib.image as mpimg
import pytest

from hubscan.report import browse, query

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_catalog, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("datasette")
    meta = browse.write_metadata(sample_catalog, tmp / "metadata.json")
    port = _free_port()
    log = open(tmp / "datasette.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(browse.datasette_command(sample_catalog, meta, port=port), stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                pytest.fail("datasette did not start: " + (tmp / "datasette.log").read_text())
            time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def get_json(base, path, **params):
    query_string = urllib.parse.urlencode({"_shape": "array", **params})
    with urllib.request.urlopen(f"{base}{path}?{query_string}", timeout=30) as response:
        return json.loads(response.read())


def test_canned_footprint_matches_the_cli_query(server, sample_catalog):
    db = query.open_catalog(sample_catalog)
    for grouping in ("model_type", "lineage", "author"):
        expected = query.footprint(db, grouping)
        rows = get_json(server, "/hubscan/footprint_by_family.json", grouping=grouping)
        assert [r["family"] for r in rows] == [r["family"] for r in expected]
        assert [r["models"] for r in rows] == [r["models"] for r in expected]
        for got, want in zip(rows, expected, strict=True):
            if want["params_median"] is None:
                assert got["params_median_B"] is None
            else:
                assert got["params_median_B"] == pytest.approx(want["params_median"] / 1e9, abs=1e-3)
    default = get_json(server, "/hubscan/footprint_by_family.json")
    assert [r["family"] for r in default] == [r["family"] for r in query.footprint(db, "model_type")]
    db.close()


def test_canned_emissions_comparison(server, sample_catalog):
    rows = get_json(server, "/hubscan/emissions_comparison.json")
    db = query.open_catalog(sample_catalog)
    reporting = db.execute(
        "SELECT COUNT(*) FROM reported_emissions WHERE emissions_g IS NOT NULL"
    ).fetchone()[0]
    verdicts = [
        r[0] for r in db.execute("SELECT DISTINCT verdict FROM estimated_emissions WHERE verdict IS NOT NULL")
    ]
    db.close()
    assert len(rows) == reporting
    assert all(r["reported_g"] is not None for r in rows)
    for verdict in verdicts:
        filtered = get_json(server, "/hubscan/emissions_comparison.json", verdict=verdict)
        assert filtered and {r["verdict"] for r in filtered} == {verdict}
        assert all(
            r["estimated_g_low"] <= r["estimated_g_central"] <= r["estimated_g_high"] for r in filtered
        )


def test_canned_largest_and_fits(server, sample_catalog):
    largest = get_json(server, "/hubscan/largest_models.json", limit=5)
    assert len(largest) == 5
    sizes = [r["params_total"] for r in largest]
    assert sizes == sorted(sizes, reverse=True)
    db = query.open_catalog(sample_catalog)
    assert sizes[0] == db.execute("SELECT MAX(params_total) FROM footprints").fetchone()[0]
    fits = get_json(server, "/hubscan/fits_in_memory.json", gb=2)
    expected = db.execute("SELECT COUNT(*) FROM footprints WHERE inference_bytes <= 2e9").fetchone()[0]
    db.close()
    assert len(fits) == expected
    assert all(r["inference_bytes"] <= 2e9 for r in fits)


def test_table_page_shows_column_docs(server):
    with urllib.request.urlopen(f"{server}/hubscan/footprints", timeout=30) as response:
        html = response.read().decode()
    assert "Derived: parameters, memory and compute per model" in html
    meta = get_json(server, "/-/metadata.json")
    assert meta["databases"]["hubscan"]["tables"]["footprints"]["columns"]["kv_cache_bytes"].endswith(
        "(bytes)"
    )


def _chromium():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    return binary


def _run_chromium(binary, profile, *args):
    result = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize(
    ("page", "expect"),
    [
        ("footprint_by_family", ["Footprint by family", "llama", "params_median_B", "weights_median_GB"]),
        ("emissions_comparison", ["Emissions: reported vs estimated", "reported_g", "verdict", "consistent"]),
    ],
)
def test_pages_in_headless_chromium(server, sample_catalog, tmp_path, page, expect):
    binary = _chromium()
    url = f"{server}/hubscan/{page}"
    dom = _run_chromium(binary, tmp_path / "profile", "--dump-dom", url)
    for text in expect:
        assert text in dom, text
    rows = get_json(server, f"/hubscan/{page}.json")
    assert f"returning {len(rows)} row" in dom  # the count a person sees above the table
    first = rows[0]
    first_cell = first["family"] if "family" in first else first["model_id"]
    assert f">{first_cell}<" in dom or f">{first_cell} <" in dom or first_cell in dom
    shot = tmp_path / f"{page}.png"
    _run_chromium(binary, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,900", url)
    image = mpimg.imread(shot)
    assert image.shape[:2] == (900, 1280)
    gray = image[..., :3].mean(axis=2)
    assert gray.std() > 0.05 and (gray < 0.5).mean() > 0.005  # rendered text, not a blank page


def test_not_estimated_filter_and_model_page(server, sample_catalog):
    db = query.open_catalog(sample_catalog)
    expected = {
        r[0]
        for r in db.execute(
            "SELECT r.model_id FROM reported_emissions r LEFT JOIN estimated_emissions e ON e.model_id = r.model_id "
            "WHERE r.emissions_g IS NOT NULL AND e.verdict IS NULL"
        )
    }
    model_id, params = db.execute(
        "SELECT model_id, params_total FROM footprints WHERE params_total IS NOT NULL ORDER BY model_id LIMIT 1"
    ).fetchone()
    db.close()
    rows = get_json(server, "/hubscan/emissions_comparison.json", verdict="not estimated")
    assert {r["model_id"] for r in rows} == expected
    assert all(r["verdict"] == "not estimated" for r in rows)
    page = get_json(server, "/hubscan/model_page.json", model_id=model_id)
    assert len(page) == 1 and page[0]["model_id"] == model_id and page[0]["params_total"] == params
    assert get_json(server, "/hubscan/model_page.json", model_id="nobody/nothing") == []


def test_internal_tables_are_hidden(server):
    with urllib.request.urlopen(f"{server}/hubscan", timeout=30) as response:
        html = response.read().decode()
    assert "Start with a canned query" in html
    first_table = html.index('href="/hubscan/models"')
    assert "_sqlite_migrations" not in html[:first_table]


def test_choice_parameters_in_headless_chromium(server, tmp_path):
    binary = _chromium()
    dom = _run_chromium(binary, tmp_path / "profile", "--dump-dom", f"{server}/hubscan/footprint_by_family")
    assert '<select name="grouping"' in dom and '<option value="lineage">lineage</option>' in dom
    dom = _run_chromium(binary, tmp_path / "profile", "--dump-dom", f"{server}/hubscan/emissions_comparison")
    assert '<select name="verdict"' in dom and "not estimated" in dom
