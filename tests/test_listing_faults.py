"""Issue 10 item 6: one bad listing item or page never costs the rest; loops and repeats are detected."""

import json

import pytest
from huggingface_hub.utils import close_session

from crawl_helpers import (
    RawJSON,
    ScriptedListing,
    cursor_of,
    listing_record,
    listing_requests,
    make_snapshot,
    write_listing,
)
from hubscan.crawl import CrawlOptions, crawl
from hubscan.errors import SourceError
from hubscan.mirror import MirrorServer
from hubscan.source.hub import HubSource
from hubscan.store import open_db


def source(url, **kwargs):
    options = {"base_wait": 0.01, "max_wait": 0.05, "max_retries": 2, "timeout": 5.0}
    return HubSource(endpoint=url, **{**options, **kwargs})


def errors(db):
    return sorted(db.execute("SELECT model_id, kind FROM crawl_errors").fetchall(), key=str)


def test_bad_listing_items_become_error_rows_and_the_rest_of_the_page_is_stored(tmp_path):
    records = [listing_record(i) for i in range(12)]
    records[3]["createdAt"] = "not-a-date"
    records[5]["id"] = 42
    records[7]["id"] = "../../etc/passwd"
    write_listing(tmp_path / "l.jsonl", records)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "l.jsonl", page_size=5) as hub:
        stats = crawl(db, source(hub.url), CrawlOptions(listing_only=True, derive=False))
    assert stats.status == "finished" and stats.listed == 9 and stats.bad_items == 3
    assert db["models"].count == 9
    kinds = errors(db)
    assert [k for _, k in kinds] == ["bad_listing_item"] * 3
    assert (records[3]["id"], "bad_listing_item") in kinds
    message = db.execute(
        "SELECT message FROM crawl_errors WHERE model_id = ?", [records[3]["id"]]
    ).fetchone()[0]
    assert "not-a-date" in message


def test_a_model_listed_twice_is_stored_once_and_recorded(tmp_path):
    records = [listing_record(i) for i in range(6)]
    records.insert(4, dict(records[1], _id="f" * 24))  # same id again, on the next page
    write_listing(tmp_path / "l.jsonl", records)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "l.jsonl", page_size=3) as hub:
        stats = crawl(db, source(hub.url), CrawlOptions(listing_only=True, derive=False))
    assert stats.status == "finished" and db["models"].count == 6
    assert errors(db) == [(records[1]["id"], "duplicate_listing")]


def test_a_looping_cursor_is_detected_and_everything_before_it_is_stored(tmp_path):
    items = [listing_record(i) for i in range(4)]
    pages = {"": (items[:2], "a"), "a": (items[2:], "a")}  # page "a" names itself as next
    db = open_db(tmp_path / "c.db")
    with ScriptedListing(pages) as hub, pytest.raises(SourceError) as raised:
        crawl(db, source(hub.url), CrawlOptions(listing_only=True, derive=False))
    assert raised.value.kind == "listing_loop"
    assert hub.requests == ["", "a"]  # never asked again
    assert db["models"].count == 4
    run = db.execute("SELECT status FROM crawl_runs").fetchone()[0]
    assert run == "failed" and ("listing_loop" in [k for _, k in errors(db)])


def test_an_unreadable_page_is_retried_then_the_crawl_stops_with_everything_before_it_stored(tmp_path):
    write_listing(tmp_path / "l.jsonl", [listing_record(i) for i in range(9)])
    db = open_db(tmp_path / "c.db")
    fault = {"path": "^/api/models$", "fault": "truncate", "skip": 1, "times": None}  # pages 2, 3…
    with MirrorServer(tmp_path / "l.jsonl", page_size=3, faults=[fault]) as hub:
        with pytest.raises(SourceError) as raised:
            crawl(db, source(hub.url, max_retries=2), CrawlOptions(listing_only=True, derive=False))
        log = listing_requests(hub.request_log)
        port = hub.port
    assert raised.value.kind == "listing"
    assert len(log) == 1 + 3  # page 2 asked once and retried twice
    assert db["models"].count == 3
    status, cursor = db.execute("SELECT status, next_cursor FROM crawl_runs").fetchone()
    assert status == "failed" and cursor is not None

    # Healed, same endpoint: the crawl resumes at page 2.
    close_session()  # a kept-alive connection would still reach the stopped server's handler thread
    with MirrorServer(tmp_path / "l.jsonl", page_size=3, port=port) as hub:
        stats = crawl(db, source(hub.url), CrawlOptions(listing_only=True, derive=False))
        log = listing_requests(hub.request_log)
    assert stats.status == "finished" and db["models"].count == 9 and len(log) == 2, [
        cursor_of(r) for r in log
    ]
    assert cursor_of(log[0]) is not None


def test_a_truncated_listing_page_is_retried_and_nothing_is_lost(tmp_path):
    make_snapshot(tmp_path / "snap", 7)
    db = open_db(tmp_path / "c.db")
    fault = {"path": "^/api/models$", "fault": "truncate", "skip": 1, "times": 1}
    with MirrorServer(tmp_path / "snap", page_size=3, faults=[fault]) as hub:
        stats = crawl(db, source(hub.url), CrawlOptions(derive=False))
    assert stats.status == "finished" and stats.listed == 7 and stats.fetched == 7 and stats.failed == 0


def test_listing_retries_follow_the_retry_option(tmp_path):
    """Issue 10 item 8: --retries bounds listing requests too (the client's own default is 5)."""
    make_snapshot(tmp_path / "snap", 2)
    db = open_db(tmp_path / "c.db")
    fault = {"path": "^/api/models$", "fault": "status", "status": 503, "times": None}
    for retries in (0, 2):
        with MirrorServer(tmp_path / "snap", faults=[fault]) as hub:
            with pytest.raises(SourceError):
                crawl(db, source(hub.url, max_retries=retries), CrawlOptions(derive=False))
            assert len(listing_requests(hub.request_log)) == retries + 1


def test_an_item_nested_too_deep_to_parse_costs_only_itself(tmp_path):
    items = [listing_record(i) for i in range(3)]
    deep = '{"_id": "d", "id": "org/deep", "cardData": ' + "[" * 5000 + "]" * 5000 + "}"
    body = "[" + ", ".join([json.dumps(items[0]), deep, json.dumps(items[1]), json.dumps(items[2])]) + "]"
    db = open_db(tmp_path / "c.db")
    with ScriptedListing({"": (RawJSON(body), None)}) as hub:
        stats = crawl(db, source(hub.url), CrawlOptions(listing_only=True, derive=False))
    assert stats.status == "finished" and db["models"].count == 3
    assert errors(db) == [("org/deep", "bad_listing_item")]
