"""Exact resume: a crawl continues from the last stored listing page, never from page 1 again."""

import json
import time

from huggingface_hub.utils import close_session

from crawl_helpers import (
    cursor_of,
    listing_record,
    listing_requests,
    make_snapshot,
    settled_log,
    write_listing,
)
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, write_repo
from hubscan.source.hub import HubSource
from hubscan.store import open_db


class StopAfterPages:
    """An on_event callback that interrupts the crawl (as Ctrl-C does) once ``pages`` pages are stored."""

    def __init__(self, pages: int):
        self.pages = pages

    def __call__(self, event, stats):
        if event == "page" and stats.pages > self.pages:
            raise KeyboardInterrupt


def wait_quiet(hub, quiet_for: float = 0.3, limit: float = 10.0) -> None:
    """Wait until the mirror has logged no new request for ``quiet_for`` s: an interrupted crawl's listing
    thread may still finish one in-flight page after the crawl returned."""
    deadline = time.monotonic() + limit
    seen, since = len(hub.request_log), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_for:
        time.sleep(0.05)
        if len(hub.request_log) != seen:
            seen, since = len(hub.request_log), time.monotonic()


def interrupted_crawl(db, url, options, pages):
    try:
        crawl(db, HubSource(endpoint=url), options, on_event=StopAfterPages(pages))
    except KeyboardInterrupt:
        return
    raise AssertionError("the crawl was not interrupted")


def test_resumed_crawl_continues_at_the_stored_cursor_and_restart_lists_from_page_one(tmp_path):
    write_listing(tmp_path / "l.jsonl", [listing_record(i) for i in range(20)])
    db = open_db(tmp_path / "c.db")
    options = CrawlOptions(listing_only=True, derive=False)
    with MirrorServer(tmp_path / "l.jsonl", page_size=4) as hub:
        interrupted_crawl(db, hub.url, options, pages=2)
        status, cursor, pages = db.execute(
            "SELECT status, next_cursor, pages_committed FROM crawl_runs"
        ).fetchone()
        assert status == "interrupted" and cursor and pages >= 2
        wait_quiet(hub)
        hub.clear_log()
        stats = crawl(db, HubSource(endpoint=hub.url), options)
        resumed = listing_requests(settled_log(hub, 5 - pages))
        assert cursor_of(resumed[0]) is not None and cursor.endswith(cursor_of(resumed[0]))
        assert len(resumed) == 5 - pages and stats.resumed_after_pages == pages
        assert db["models"].count == 20

        wait_quiet(hub)
        hub.clear_log()  # the last run finished: the next crawl starts from page 1
        crawl(db, HubSource(endpoint=hub.url), options)
        log = settled_log(hub, 5)
        assert cursor_of(listing_requests(log)[0]) is None and len(log) == 5

        interrupted_crawl(db, hub.url, options, pages=2)
        wait_quiet(hub)
        hub.clear_log()
        crawl(db, HubSource(endpoint=hub.url), CrawlOptions(listing_only=True, derive=False, restart=True))
        assert cursor_of(listing_requests(hub.request_log)[0]) is None


def test_a_cursor_is_only_continued_by_a_crawl_of_the_same_scope(tmp_path):
    write_listing(tmp_path / "l.jsonl", [listing_record(i) for i in range(20)])
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "l.jsonl", page_size=4) as hub:
        interrupted_crawl(db, hub.url, CrawlOptions(listing_only=True, derive=False), pages=2)
        wait_quiet(hub)
        hub.clear_log()
        crawl(db, HubSource(endpoint=hub.url), CrawlOptions(listing_only=True, derive=False, sort="likes"))
        first = listing_requests(hub.request_log)[0]
    assert cursor_of(first) is None and "sort=likes" in first["query"]


def test_sort_lists_most_downloaded_first(tmp_path):
    records = [listing_record(i) for i in range(30)]
    write_listing(tmp_path / "l.jsonl", records)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "l.jsonl", page_size=7) as hub:
        crawl(
            db,
            HubSource(endpoint=hub.url),
            CrawlOptions(listing_only=True, derive=False, sort="downloads", limit=10),
        )
        assert "sort=downloads" in listing_requests(hub.request_log)[0]["query"]
        assert len(listing_requests(hub.request_log)) == 1  # limit=10 is also the page size asked for
    top = sorted(records, key=lambda r: -r["downloads"])[:10]
    assert {row[0] for row in db.execute("SELECT id FROM models")} == {r["id"] for r in top}


def test_changed_since_last_refresh_of_an_unchanged_hub_costs_one_page(tmp_path):
    snap = tmp_path / "snap"
    ids = make_snapshot(snap, 12)
    for i, repo_id in enumerate(ids):  # distinct lastModified so the order is defined
        meta = json.loads((snap / "repos" / repo_id / "meta.json").read_text())
        meta["lastModified"] = f"2025-01-{1 + i:02d}T00:00:00.000Z"
        (snap / "repos" / repo_id / "meta.json").write_text(json.dumps(meta))
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap, page_size=4) as hub:
        crawl(db, HubSource(endpoint=hub.url), CrawlOptions(derive=False))
        wait_quiet(hub)
        hub.clear_log()
        stats = crawl(db, HubSource(endpoint=hub.url), CrawlOptions(derive=False, changed_since_last=True))
        log = settled_log(hub, 1)
        assert len(log) == 1 and "sort=lastModified" in log[0]["query"]
        assert stats.fetched == 0
        port = hub.port
    close_session()  # a kept-alive connection would still reach the stopped server's handler thread
    write_repo(
        snap,
        ids[0],
        files={"config.json": '{"model_type": "bert"}'},
        meta={"lastModified": "2026-01-01T00:00:00.000Z"},
    )
    with MirrorServer(snap, page_size=4, port=port) as hub:  # the same endpoint
        stats = crawl(db, HubSource(endpoint=hub.url), CrawlOptions(derive=False, changed_since_last=True))
        assert len(listing_requests(hub.request_log)) == 1 and stats.fetched == 1
    assert (
        db.execute("SELECT raw FROM configs WHERE model_id = ?", [ids[0]]).fetchone()[0]
        == '{"model_type": "bert"}'
    )


def test_pages_stored_before_a_kill_but_not_derived_are_derived_by_the_resumed_crawl(tmp_path):
    make_snapshot(tmp_path / "snap", 12)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap", page_size=4) as hub:
        # As a kill between a page's commit and its derive leaves it: stored, cursor past it, no footprints.
        interrupted_crawl(db, hub.url, CrawlOptions(derive=False), pages=2)
        assert db["footprints"].count == 0 and db.execute("SELECT next_cursor FROM crawl_runs").fetchone()[0]
        stats = crawl(db, HubSource(endpoint=hub.url), CrawlOptions())
    assert stats.resumed_after_pages >= 1 and stats.listed < 12  # the stored pages are not listed again
    assert db["footprints"].count == 12 and stats.derived == 12


def test_a_stored_cursor_the_hub_rejects_restarts_the_listing_from_page_one(tmp_path):
    write_listing(tmp_path / "l.jsonl", [listing_record(i) for i in range(12)])
    db = open_db(tmp_path / "c.db")
    options = CrawlOptions(listing_only=True, derive=False)
    with MirrorServer(tmp_path / "l.jsonl", page_size=4) as hub:
        interrupted_crawl(db, hub.url, options, pages=1)
        db.execute(  # e.g. an expired cursor
            "UPDATE crawl_runs SET next_cursor = substr(next_cursor, 1, instr(next_cursor, 'cursor=') + 6) || 'Zm9v'"
        )
        db.conn.commit()
        wait_quiet(hub)
        hub.clear_log()
        stats = crawl(db, HubSource(endpoint=hub.url), options)
        log = listing_requests(settled_log(hub, 4))
    assert [r["status"] for r in log] == [400, 200, 200, 200] and cursor_of(log[1]) is None
    assert stats.status == "finished" and db["models"].count == 12
