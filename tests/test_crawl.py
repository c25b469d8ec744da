"""The crawler against the local mirror, through the real huggingface_hub client."""

import json
import math

import pytest

from crawl_helpers import (
    cache_hops,
    catalog_rows,
    file_requests,
    listing_requests,
    llama_config,
    make_snapshot,
    metered_requests,
)
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, write_repo
from hubscan.source.hub import HubSource
from hubscan.store import open_db

PAGE = 4


def opts(**kwargs) -> CrawlOptions:
    # Derivation has its own tests; here only what the crawler stores and requests matters.
    return CrawlOptions(derive=False, **kwargs)


def fast_source(hub, **kwargs):
    options = {"base_wait": 0.05, "max_wait": 0.2, "max_retries": 3, "timeout": 5.0}
    options.update(kwargs)
    return HubSource(endpoint=hub.url, **options)


def test_request_count_is_pages_plus_one_per_file_and_recrawl_fetches_nothing(tmp_path):
    ids = make_snapshot(tmp_path / "snap", 11)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap", page_size=PAGE) as hub:
        stats = crawl(db, fast_source(hub), opts(page_size=PAGE, workers=3))
        log = hub.request_log
        assert len(listing_requests(log)) == math.ceil(len(ids) / PAGE)
        assert sorted(file_requests(log)) == sorted(
            f"/{i}/resolve/{sha}/config.json" for i, sha in db.execute("SELECT id, sha FROM models")
        )
        assert len(metered_requests(log)) == math.ceil(len(ids) / PAGE) + len(ids)
        assert len(cache_hops(log)) == len(ids)  # each resolve is a 307 to the resolve cache, then its 200
        assert stats.listed == len(ids) and stats.fetched == len(ids) and stats.failed == 0

        hub.clear_log()
        again = crawl(db, fast_source(hub), opts(page_size=PAGE))
        assert file_requests(hub.request_log) == []
        assert len(hub.request_log) == math.ceil(len(ids) / PAGE)
        assert again.fetched == 0 and again.skipped == len(ids)

    assert db["models"].count == len(ids)
    assert db.execute("SELECT count(*) FROM configs WHERE status = 'ok'").fetchone()[0] == len(ids)
    row = db.execute("SELECT model_type, author, tags FROM models WHERE id = ?", [ids[0]]).fetchone()
    assert row[0] == "llama" and row[1] == "author0" and "license:apache-2.0" in json.loads(row[2])
    card = json.loads(db.execute("SELECT card_data FROM cards WHERE model_id = ?", [ids[5]]).fetchone()[0])
    assert card["co2_eq_emissions"] == 15
    runs = db.execute("SELECT status, models_listed, files_fetched FROM crawl_runs ORDER BY id").fetchall()
    assert runs == [("finished", 11, 11), ("finished", 11, 0)]


def test_changed_commit_refetches_only_that_model(tmp_path):
    ids = make_snapshot(tmp_path / "snap", 6)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap", page_size=PAGE) as hub:
        crawl(db, fast_source(hub), opts(page_size=PAGE))
    write_repo(tmp_path / "snap", ids[2], files={"config.json": llama_config(layers=9)})
    with MirrorServer(tmp_path / "snap", page_size=PAGE) as hub:
        crawl(db, fast_source(hub), opts(page_size=PAGE))
        assert [p.split("/resolve/")[0] for p in file_requests(hub.request_log)] == [f"/{ids[2]}"]
    raw = db.execute("SELECT raw FROM configs WHERE model_id = ?", [ids[2]]).fetchone()[0]
    assert json.loads(raw)["num_hidden_layers"] == 9


def test_cards_full_fetches_readme_bodies(tmp_path):
    make_snapshot(tmp_path / "snap", 3)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap") as hub:
        crawl(db, fast_source(hub), opts(cards="full"))
        assert len(file_requests(hub.request_log, "README.md")) == 3
    bodies = [row[0] for row in db.execute("SELECT body FROM cards")]
    assert len(bodies) == 3 and all(b.startswith("---\nlicense: apache-2.0") for b in bodies)
    # Full-text search over card bodies is maintained by triggers.
    hits = db.execute("SELECT count(*) FROM cards_fts WHERE cards_fts MATCH 'apache'").fetchone()[0]
    assert hits == 3


def test_failures_are_recorded_and_the_crawl_goes_on(tmp_path):
    snap = tmp_path / "snap"
    ids = make_snapshot(snap, 8, with_readme=False)
    write_repo(snap, "broken/invalid-json", files={"config.json": '{"model_type": "llama", '}, meta={})
    write_repo(snap, "broken/list-json", files={"config.json": "[1, 2]"}, meta={})
    write_repo(snap, "broken/gated", files={"config.json": llama_config()}, meta={"gated": "manual"})
    write_repo(snap, "broken/no-config", files={"README.md": "---\nlicense: mit\n---\n"}, meta={})
    faults = [
        # Rate limited once: the client waits Retry-After and the file arrives.
        {"path": f"/{ids[0]}/resolve/", "fault": "status", "status": 429, "retry_after": 1, "times": 1},
        # A short burst of 503s is absorbed by the backoff ...
        {"path": f"/{ids[1]}/resolve/", "fault": "status", "status": 503, "times": 2},
        # ... a long one is not, and becomes a recorded failure.
        {"path": f"/{ids[2]}/resolve/", "fault": "status", "status": 503, "times": 50},
        # A body cut off half-way, every time: retried, then recorded.
        {"path": f"/{ids[3]}/resolve/", "fault": "truncate", "times": 50},
        # Cut off once: the retry gets it.
        {"path": f"/{ids[4]}/resolve/", "fault": "truncate", "times": 1},
        # A stalled response: the client times out, retries, gives up.
        {"path": f"/{ids[5]}/resolve/", "fault": "stall", "seconds": 3, "times": 50},
    ]
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap, faults=faults) as hub:
        stats = crawl(db, fast_source(hub, timeout=0.5, max_retries=2), opts(workers=4))
    assert stats.status == "finished"
    errors = {m: k for m, k in db.execute("SELECT model_id, kind FROM crawl_errors")}
    assert errors == {
        ids[2]: "http_error",
        ids[3]: "network",
        ids[5]: "network",
        "broken/invalid-json": "invalid_json",
        "broken/list-json": "not_object",
        "broken/gated": "gated",
    }
    stored = {m for (m,) in db.execute("SELECT model_id FROM configs WHERE status = 'ok'")}
    assert stored == {ids[0], ids[1], ids[4], ids[6], ids[7]}
    # The invalid file is kept verbatim for inspection; the missing one never cost a request.
    assert (
        db.execute("SELECT raw FROM configs WHERE model_id = 'broken/invalid-json'")
        .fetchone()[0]
        .startswith("{")
    )
    assert (
        db.execute("SELECT status FROM files WHERE model_id = 'broken/no-config'").fetchone()[0] == "absent"
    )
    assert stats.failed == 6
    gated_message = db.execute("SELECT message FROM crawl_errors WHERE kind = 'gated'").fetchone()[0]
    assert "restricted" in gated_message

    # Transient failures are retried by the next crawl; permanent ones are not.
    with MirrorServer(snap) as hub:
        crawl(db, fast_source(hub), opts())
        retried = {p.split("/resolve/")[0].lstrip("/") for p in file_requests(hub.request_log)}
    assert retried == {ids[2], ids[3], ids[5]}
    assert db.execute("SELECT count(*) FROM configs WHERE status = 'ok'").fetchone()[0] == 8


def test_token_is_sent_but_never_stored(tmp_path):
    secret = "hf_" + "S3cr3tTokenValue" * 2
    snap = tmp_path / "snap"
    make_snapshot(snap, 2)
    write_repo(
        snap,
        "org/gated",
        files={"config.json": llama_config()},
        meta={"gated": "auto", "allowed_tokens": [secret]},
    )
    db_path = tmp_path / "c.db"
    db = open_db(db_path)
    with MirrorServer(snap) as hub:
        stats = crawl(db, HubSource(endpoint=hub.url, token=secret), opts())
    assert stats.failed == 0, "the token must unlock the gated repo"
    db.close()
    for path in tmp_path.glob("c.db*"):
        assert secret.encode() not in path.read_bytes()
    assert secret not in stats.summary()


def test_listing_filters_are_passed_to_the_hub(tmp_path):
    make_snapshot(tmp_path / "snap", 9)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap") as hub:
        stats = crawl(db, fast_source(hub), opts(author="author1", limit=2))
    assert stats.listed == 2
    assert {a for (a,) in db.execute("SELECT author FROM models")} == {"author1"}


def test_crawl_equals_after_restart_with_restart_flag(tmp_path):
    make_snapshot(tmp_path / "snap", 5)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap") as hub:
        crawl(db, fast_source(hub), opts(cards="full"))
        first = catalog_rows(db)
        hub.clear_log()
        crawl(db, fast_source(hub), opts(cards="full", restart=True))
        assert len(file_requests(hub.request_log)) == 5
    assert catalog_rows(db) == first


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "a/b/c"])
def test_invalid_repo_ids_from_the_network_are_rejected(bad_id):
    from hubscan.errors import SourceError

    with pytest.raises(SourceError) as info:
        HubSource(endpoint="http://127.0.0.1:9").fetch_file(bad_id, "config.json", "main")
    assert info.value.kind == "invalid_repo_id"
