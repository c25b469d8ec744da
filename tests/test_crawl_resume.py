"""A crawl killed with SIGKILL mid-way and started again ends equal to an uninterrupted crawl."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from crawl_helpers import catalog_rows, file_requests, make_snapshot
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer
from hubscan.source.hub import HubSource
from hubscan.store import open_db

pytestmark = pytest.mark.slow

MODELS = 36
PAGE = 8


def crawl_command(url: str, db_path) -> list[str]:
    return [
        sys.executable, "-m", "hubscan", "crawl",
        "--endpoint", url, "--db", str(db_path), "--workers", "2", "--cards", "full", "--no-derive", "--quiet",
    ]  # fmt: skip


def stored_files(db_path) -> set[tuple[str, str]]:
    if not db_path.exists():
        return set()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {tuple(row) for row in conn.execute("SELECT model_id, path FROM files WHERE status = 'ok'")}
    except sqlite3.OperationalError:  # schema not created yet
        return set()
    finally:
        conn.close()


@pytest.mark.parametrize("kill_after", [3, 25])
def test_sigkill_then_resume_equals_uninterrupted_crawl(tmp_path, kill_after):
    snap = tmp_path / "snap"
    make_snapshot(snap, MODELS)
    env = {**os.environ, "HF_HUB_DISABLE_TELEMETRY": "1"}

    # Reference: one uninterrupted crawl.
    with MirrorServer(snap, page_size=PAGE) as hub:
        reference_db = open_db(tmp_path / "reference.db")
        crawl(reference_db, HubSource(endpoint=hub.url), CrawlOptions(cards="full", derive=False))
        expected = catalog_rows(reference_db)

    db_path = tmp_path / "killed.db"
    with MirrorServer(snap, page_size=PAGE, latency_ms=40) as hub:
        process = subprocess.Popen(crawl_command(hub.url, db_path), env=env, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(stored_files(db_path)) < kill_after:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "crawl made no progress"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        before_restart = stored_files(db_path)
        assert 0 < len(before_restart) < 2 * MODELS, "the kill must land mid-crawl"

        hub.clear_log()
        finished = subprocess.run(crawl_command(hub.url, db_path), env=env, capture_output=True, timeout=120)
        assert finished.returncode == 0, finished.stderr.decode()
        requested_again = {
            (path.split("/resolve/")[0].lstrip("/"), path.rsplit("/", 1)[1])
            for path in file_requests(hub.request_log, "config.json")
            + file_requests(hub.request_log, "README.md")
        }

    assert requested_again.isdisjoint(before_restart), "a file stored before the kill was fetched again"
    db = open_db(db_path)
    assert catalog_rows(db) == expected
    assert db.execute("SELECT count(*) FROM models").fetchone()[0] == MODELS
    statuses = [s for (s,) in db.execute("SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses == ["interrupted", "finished"]
