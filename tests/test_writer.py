"""The crawl's one writer: batched transactions, atomic per-file units, upserts that never null a column."""

import sqlite3

import pytest

from crawl_helpers import llama_config, make_snapshot
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, write_repo
from hubscan.records import Listing
from hubscan.source.hub import HubSource
from hubscan.store import open_db
from hubscan.store.rows import upsert_sql
from hubscan.store.writer import CatalogWriter

RUN_COLUMNS = {"last_seen_run", "listed_at", "first_seen_run", "fetched_at"}


def table(db, name: str) -> list[tuple]:
    """A whole table, minus the columns that say when or in which run a row was written."""
    columns = [c for c in db[name].columns_dict if c not in RUN_COLUMNS]
    return sorted(db.execute(f"SELECT {', '.join(columns)} FROM {name}").fetchall(), key=repr)


def test_upsert_updates_only_the_columns_the_row_carries():
    sql = upsert_sql("cards", ("model_id", "sha", "card_data"), ("model_id",))
    assert sql.endswith(
        "ON CONFLICT(model_id) DO UPDATE SET sha = excluded.sha, card_data = excluded.card_data"
    )
    assert "first_seen_run = excluded" not in upsert_sql(
        "models", ("id", "sha", "first_seen_run"), ("id",), insert_only=("first_seen_run",)
    )


def test_recrawl_after_one_commit_changed_keeps_every_other_row_byte_identical(tmp_path):
    """Issue 10 item 2: a re-crawl where one model changed never nulls card body_status of the others."""
    ids = make_snapshot(tmp_path / "snap", 9)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap", page_size=4) as hub:
        crawl(db, HubSource(endpoint=hub.url), CrawlOptions(cards="full", derive=False))
    before = {name: table(db, name) for name in ("models", "cards", "configs", "files")}
    assert {row[0] for row in db.execute("SELECT body_status FROM cards")} == {"ok"}

    write_repo(tmp_path / "snap", ids[4], files={"config.json": llama_config(layers=7), "README.md": "new"})
    with MirrorServer(tmp_path / "snap", page_size=4) as hub:
        crawl(db, HubSource(endpoint=hub.url), CrawlOptions(cards="yaml", derive=False))
    for name, rows in before.items():
        after = table(db, name)
        others_before = [r for r in rows if r[0] != ids[4]]
        others_after = [r for r in after if r[0] != ids[4]]
        assert others_after == others_before, name
    status = db.execute("SELECT body_status FROM cards WHERE model_id = ?", [ids[4]]).fetchone()[0]
    assert status == "stale"


def test_a_failing_batch_stores_none_of_its_outcomes(tmp_path):
    """Issue 10 item 1: a file's rows (state, content, model update) are stored together or not at all."""
    db = open_db(tmp_path / "c.db")
    writer = CatalogWriter(db, run_id=None)
    writer.add_listings([Listing(id="a/b", sha="1" * 40)], set(), {})
    writer.add_file(
        model_id="a/b", path="config.json", sha="1" * 40, status="ok", content=b'{"model_type": "x"}'
    )
    writer.add_file(model_id="no/such-model", path="config.json", sha="2" * 40, status="ok", content=b"{}")
    with pytest.raises(sqlite3.IntegrityError):  # the second file's model does not exist (foreign key)
        writer.commit()
    assert db["models"].count == 0 and db["files"].count == 0 and db["configs"].count == 0


def test_outcomes_are_committed_in_batches(tmp_path):
    make_snapshot(tmp_path / "snap", 30, with_readme=False)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap", page_size=10) as hub:
        stats = crawl(db, HubSource(endpoint=hub.url), CrawlOptions(derive=False, workers=4))
    assert stats.fetched == 30 and db.execute("SELECT count(*) FROM configs").fetchone()[0] == 30
    assert stats.commits < 30  # 3 pages + 30 outcomes in far fewer transactions than outcomes
