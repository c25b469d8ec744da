"""Issue 10 items 8 and 9: one retry/deadline policy, and final outcomes retried when retrying can succeed."""

import pytest

from crawl_helpers import file_requests, make_snapshot, settled_log
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, write_repo
from hubscan.source.hub import HubSource
from hubscan.store import open_db

TOKEN = "hf_granted_token"


def source(url, **kwargs):
    options = {"base_wait": 0.01, "max_wait": 0.05, "max_retries": 2, "timeout": 5.0}
    return HubSource(endpoint=url, **{**options, **kwargs})


def status_of(db, model_id, path="config.json"):
    return db.execute(
        "SELECT status, http_status FROM files WHERE model_id = ? AND path = ?", [model_id, path]
    ).fetchone()


def test_gated_file_is_retried_when_a_token_is_given_now(tmp_path):
    snap = tmp_path / "snap"
    make_snapshot(snap, 2)
    write_repo(
        snap,
        "org/gated",
        files={"config.json": '{"model_type": "llama"}'},
        meta={"gated": "manual", "allowed_tokens": [TOKEN]},
    )
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap) as hub:
        crawl(db, source(hub.url), CrawlOptions(derive=False))
        assert status_of(db, "org/gated") == ("gated", 401)
        hub.clear_log()
        crawl(db, source(hub.url), CrawlOptions(derive=False))  # still anonymous: final, not retried
        assert file_requests(hub.request_log) == []
        crawl(db, source(hub.url, token=TOKEN), CrawlOptions(derive=False, has_token=True))
        assert [p.split("/resolve/")[0] for p in file_requests(hub.request_log)] == ["/org/gated"]
    assert status_of(db, "org/gated")[0] == "ok"
    assert (
        db.execute("SELECT raw FROM configs WHERE model_id = 'org/gated'").fetchone()[0]
        == '{"model_type": "llama"}'
    )


def test_gated_with_a_token_not_granted_is_not_retried_on_every_crawl(tmp_path):
    snap = tmp_path / "snap"
    write_repo(
        snap, "org/gated", files={"config.json": "{}"}, meta={"gated": "manual", "allowed_tokens": [TOKEN]}
    )
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap) as hub:
        crawl(db, source(hub.url, token="hf_other"), CrawlOptions(derive=False, has_token=True))
        assert status_of(db, "org/gated") == ("gated", 403)
        hub.clear_log()
        crawl(db, source(hub.url, token="hf_other"), CrawlOptions(derive=False, has_token=True))
        assert file_requests(hub.request_log) == []


@pytest.mark.parametrize(
    ("age_days", "options", "refetched"),
    [(1, {}, False), (8, {}, True), (1, {"retry_after_days": 0.5}, True), (1, {"retry_failed": True}, True)],
)
def test_repo_not_found_is_retried_after_retry_after_days_or_with_retry_failed(
    tmp_path, age_days, options, refetched
):
    ids = make_snapshot(tmp_path / "snap", 3)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap") as hub:
        crawl(db, source(hub.url), CrawlOptions(derive=False))
        # As a 404 right after listing leaves it (a repo being created): final for that commit.
        db.execute(
            "UPDATE files SET status = 'repo_not_found', fetched_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) "
            "WHERE model_id = ?",
            [f"-{age_days} days", ids[1]],
        )
        db.conn.commit()
        hub.clear_log()
        crawl(db, source(hub.url), CrawlOptions(derive=False, **options))
        requested = [p.split("/resolve/")[0] for p in file_requests(hub.request_log)]
    assert requested == ([f"/{ids[1]}"] if refetched else [])
    assert status_of(db, ids[1])[0] == ("ok" if refetched else "repo_not_found")


def test_retry_failed_refetches_final_failures(tmp_path):
    snap = tmp_path / "snap"
    make_snapshot(snap, 2)
    db = open_db(tmp_path / "c.db")
    fault = {"path": "/resolve/", "fault": "status", "status": 404, "times": None}
    with MirrorServer(snap, faults=[fault]) as hub:
        crawl(db, source(hub.url), CrawlOptions(derive=False))
    assert {row[0] for row in db.execute("SELECT status FROM files")} != {"ok"}
    with MirrorServer(snap) as hub:
        crawl(db, source(hub.url), CrawlOptions(derive=False, retry_failed=True))
    assert {row[0] for row in db.execute("SELECT status FROM files")} == {"ok"}


def test_a_body_that_never_completes_is_cut_off_by_the_per_file_deadline(tmp_path):
    """A stalled body: with 5 retries it would be asked 6 times; the 2 s deadline stops it sooner."""
    snap = tmp_path / "snap"
    make_snapshot(snap, 1)
    db = open_db(tmp_path / "c.db")
    fault = {"path": "resolve-cache", "fault": "stall", "seconds": 1.0, "times": None}
    with MirrorServer(snap, faults=[fault]) as hub:
        hub_source = source(
            hub.url, max_retries=5, timeout=0.5, base_wait=0.2, max_wait=0.2, file_deadline=2.0
        )
        stats = crawl(db, hub_source, CrawlOptions(derive=False))
        body_requests = [r for r in hub.request_log if r["path"].startswith("/api/resolve-cache/")]
    assert stats.failures_by_kind in ({"network": 1}, {"deadline": 1})
    assert 1 <= len(body_requests) < 6


def test_a_file_that_always_fails_costs_retries_plus_one_requests(tmp_path):
    """Not (retries + 1)²: the client's backoff and hubscan's own retries are not stacked."""
    make_snapshot(tmp_path / "snap", 1)
    db = open_db(tmp_path / "c.db")
    fault = {"path": "/resolve/", "fault": "status", "status": 503, "times": None}
    with MirrorServer(tmp_path / "snap", faults=[fault]) as hub:
        stats = crawl(db, source(hub.url, max_retries=2), CrawlOptions(derive=False))
        assert len(file_requests(settled_log(hub, 4))) == 3
    assert stats.failures_by_kind == {"http_error": 1}
