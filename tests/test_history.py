"""History across crawls: two crawls of the mirror through the real client, with one repo re-committed, one
added, one removed and downloads changed between them; `history` and `changes` report exactly those."""

from __future__ import annotations

import json
import shutil
import socket

import pytest
from click.testing import CliRunner
from huggingface_hub.utils import close_session

from crawl_helpers import llama_config
from hubscan.cli import cli
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, write_repo
from hubscan.report import history, query
from hubscan.source.hub import HubSource
from hubscan.store import open_db

IDS = ["org/a", "org/b", "org/c", "org/d"]


def card(grams: float) -> str:
    return f"---\nlicense: mit\nco2_eq_emissions: {grams}\n---\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _crawl(snapshot, db_path, port, **options):
    db = open_db(db_path)
    with MirrorServer(snapshot, port=port) as hub:
        stats = crawl(db, HubSource(endpoint=hub.url), CrawlOptions(**options))
    db.close()
    # The next mirror serves the changed snapshot on the same port (so both crawls have the same endpoint):
    # drop the client's kept-alive connections to this one.
    close_session()
    return stats


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    snapshot = root / "hub"
    for i, repo in enumerate(IDS):
        files = {"config.json": llama_config(layers=1 + i), "README.md": card(10 + i)}
        write_repo(snapshot, repo, files=files, meta={"downloads": 100 * (i + 1), "likes": i})
    db_path, port = root / "c.db", _free_port()
    first = _crawl(snapshot, db_path, port)
    # Between the crawls: org/a re-committed (new card: 25 g instead of 10 g), org/b's downloads change,
    # org/c removed from the Hub, org/new added.
    write_repo(snapshot, "org/a", files={"config.json": llama_config(layers=1), "README.md": card(25)})
    write_repo(snapshot, "org/b", meta={"downloads": 777, "likes": 1})
    shutil.rmtree(snapshot / "repos" / "org" / "c")
    write_repo(snapshot, "org/new", files={"config.json": llama_config(), "README.md": card(3)}, meta={})
    second = _crawl(snapshot, db_path, port)
    assert first.status == second.status == "finished"
    return db_path, first.run_id, second.run_id


def test_history_table_records_only_changes(two_crawls):
    db_path, first, second = two_crawls
    db = query.open_catalog(db_path)
    rows = db.execute("SELECT model_id, run_id, changed FROM model_history ORDER BY model_id").fetchall()
    db.close()
    changed = {model: (run, set(json.loads(names))) for model, run, names in rows}
    assert set(changed) == {"org/a", "org/b"}
    assert changed["org/a"][0] == second and {"sha", "reported_g"} <= changed["org/a"][1]
    assert changed["org/b"] == (second, {"downloads"})


def test_changes_between_the_two_crawls(two_crawls):
    db_path, first, second = two_crawls
    db = query.open_catalog(db_path)
    rows, notes = history.changes(db)
    sha_a = db.execute("SELECT sha FROM models WHERE id = 'org/a'").fetchone()[0]
    db.close()
    assert notes == []
    got = {r["model_id"]: r for r in rows}
    assert {m: r["change"] for m, r in got.items()} == {
        "org/new": "added", "org/c": "removed", "org/a": "re-committed", "org/b": "updated",
    }  # fmt: skip
    assert got["org/a"]["sha_after"] == sha_a and got["org/a"]["sha_before"] != sha_a
    assert (got["org/a"]["reported_g_before"], got["org/a"]["reported_g_after"]) == (10.0, 25.0)
    assert (got["org/b"]["downloads_before"], got["org/b"]["downloads_after"]) == (200, 777)
    assert got["org/new"]["reported_g_after"] == 3.0 and got["org/c"]["reported_g_before"] == 12.0
    assert all(r["run_id"] == second for r in rows)
    # Since the second run itself: nothing happened after it.
    db = query.open_catalog(db_path)
    assert history.changes(db, str(second))[0] == []
    db.close()


def test_history_of_one_model(two_crawls):
    db_path, first, second = two_crawls
    db = query.open_catalog(db_path)
    series = history.model_history(db, "org/b")
    removed = history.model_history(db, "org/c")
    with pytest.raises(query.QueryError, match="not in the catalog"):
        history.model_history(db, "org/none")
    db.close()
    assert [(r["run_id"], r["change"], r["downloads"]) for r in series] == [
        (first, "first seen", 200), (second, "changed", 777),
    ]  # fmt: skip
    assert series[1]["fields"] == "downloads"
    assert [(r["run_id"], r["change"]) for r in removed] == [(first, "first seen"), (second, "not listed")]


def test_a_partial_crawl_reports_no_removals(two_crawls, tmp_path):
    db_path, first, second = two_crawls
    copy = tmp_path / "copy.db"
    shutil.copy(db_path, copy)
    db = open_db(copy)
    with db.conn:  # a third run that listed only org/a and stopped
        db["crawl_runs"].insert({"id": second + 1, "status": "interrupted", "endpoint": "x", "params": "{}"})
    db.close()
    db = query.open_catalog(copy)
    rows, notes = history.changes(db, str(first))
    db.close()
    assert "removed" not in {r["change"] for r in rows}
    assert notes and "did not finish" in notes[0]


def test_cli_history_and_changes(two_crawls):
    db_path, first, second = two_crawls
    runner = CliRunner()
    result = runner.invoke(cli, ["changes", "--since", str(first), "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted((r["change"], r["model_id"]) for r in data) == [
        ("added", "org/new"), ("re-committed", "org/a"), ("removed", "org/c"), ("updated", "org/b"),
    ]  # fmt: skip
    result = runner.invoke(cli, ["changes", "--since", "2000-01-01", "--db", str(db_path), "--csv"])
    assert result.exit_code == 0 and result.stdout.splitlines()[0].startswith("change,model_id,run_id")
    # Since a date before every crawl, every model is new; no crawl before it, so no removal can be told.
    assert {line.split(",")[0] for line in result.stdout.splitlines()[1:]} == {"added"}
    assert "removals are not reported" in result.stderr
    result = runner.invoke(cli, ["history", "org/b", "--db", str(db_path)])
    assert result.exit_code == 0 and "first seen" in result.output and "777" in result.output
    result = runner.invoke(cli, ["history", "org/zzz", "--db", str(db_path)])
    assert result.exit_code == 1 and "not in the catalog" in result.output
    result = runner.invoke(cli, ["changes", "--since", "yesterday", "--db", str(db_path)])
    assert result.exit_code == 1 and "run id or a date" in result.output
