"""The family order indexes (migration m008): every grouping's `--min-params` / `--task` passes walk them
without sorting, and give the same rows as a computation from the source tables."""

from __future__ import annotations

import os
import sqlite3
import sys

import numpy as np
import pytest

from hubscan.derive import families
from hubscan.report import query
from hubscan.store import open_db
from hubscan.store.migrations import _M006_INDEXES, _M007_INDEXES, FAMILY_MEMBER_INDEXES
from test_query import _random_catalog


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return _random_catalog(tmp_path_factory.mktemp("idx") / "r.db", n=400)


def _source_rows(path, by: str, keep) -> dict[str, dict]:
    """Per family, numpy over the per-model rows computed from the source tables (``members_sql`` without a
    member table: family names, no family keys), for the models ``keep`` accepts."""
    db = query.open_catalog(path)
    sql, params = families.members_sql(by)
    cursor = db.execute(
        f"SELECT x.*, m.author AS m_author, m.pipeline_tag AS m_task FROM ({sql}) x "
        "JOIN models m ON m.id = x.model_id",
        params,
    )
    names = [d[0] for d in cursor.description]
    rows = [r for r in (dict(zip(names, row, strict=True)) for row in cursor) if keep(r)]
    db.close()

    def quantile(members, column, q):
        values = [r[column] for r in members if r[column] is not None]
        return float(np.percentile(values, q)) if values else None

    out = {}
    for family in {r["family"] for r in rows}:
        members = [r for r in rows if r["family"] == family]
        out[family] = {
            "models": len(members),
            "params_p10": quantile(members, "params", 10),
            "params_median": quantile(members, "params", 50),
            "params_p90": quantile(members, "params", 90),
            "params_max": max((r["params"] for r in members if r["params"] is not None), default=None),
            "params_active_median": quantile(members, "params_active", 50),
            "weights_bytes_median": quantile(members, "weights_bytes", 50),
            "kv_cache_bytes_median": quantile(members, "kv_cache_bytes", 50),
            "storage_bytes_total": sum(r["storage_bytes"] for r in members if r["storage_bytes"] is not None),
            "downloads_total": sum(r["downloads"] for r in members if r["downloads"] is not None) or None,
            "reporting_models": sum(r["reporting"] for r in members),
            "finetunes": sum(r["relation"] == "finetune" for r in members),
        }
    return out


def _check(got_rows: list[dict], expected: dict[str, dict]) -> None:
    got = {row["family"]: row for row in got_rows}
    assert got.keys() == expected.keys()
    for family, want in expected.items():
        for column, value in want.items():
            if value is None:
                assert got[family][column] is None, (family, column)
            else:
                assert got[family][column] == pytest.approx(value, rel=1e-12), (family, column)


FILTERS = {
    "min_params": (dict(min_params=1e8), lambda r: r["params"] is not None and r["params"] >= 1e8),
    "task": (dict(task="fill-mask"), lambda r: r["m_task"] == "fill-mask"),
    "task+min_params": (
        dict(task="text-generation", min_params=3e8),
        lambda r: r["m_task"] == "text-generation" and r["params"] is not None and r["params"] >= 3e8,
    ),
    "task+author": (
        dict(task="text-generation", author="org1"),
        lambda r: r["m_task"] == "text-generation" and r["m_author"] == "org1",
    ),
    "author+min_params": (
        dict(author="org2", min_params=1e8),
        lambda r: r["m_author"] == "org2" and r["params"] is not None and r["params"] >= 1e8,
    ),
    "unknown task": (dict(task="no-such-task"), lambda r: False),
    "unknown author": (dict(author="nobody", min_params=0), lambda r: False),
}


@pytest.mark.parametrize("by", list(families.GROUPINGS))
@pytest.mark.parametrize("name", list(FILTERS))
def test_filtered_footprints_equal_the_source_computation(catalog, by, name):
    options, keep = FILTERS[name]
    expected = _source_rows(catalog, by, keep)
    assert expected or name.startswith("unknown")
    db = query.open_catalog(catalog)
    got = query.footprint(db, by, **options)
    db.close()
    _check(got, expected)


@pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")
@pytest.mark.parametrize("by", ["author", "lineage", "model_type"])
@pytest.mark.parametrize(
    "options", [dict(min_params=1e8, dtype="int8"), dict(task="text-generation", min_params=0)]
)
def test_worker_processes_a_thread_and_one_connection_give_the_same_rows(catalog, by, options, monkeypatch):
    used = []
    run = families._Workers.run

    def spy(self, db, tasks):
        used.append(len(tasks))
        return run(self, db, tasks)

    monkeypatch.setattr(families._Workers, "run", spy)
    monkeypatch.setattr(families.threading, "active_count", lambda: 1)  # as in a command-line process
    monkeypatch.setattr(families, "PARALLEL_MIN_MEMBERS", 0)  # (the test catalog is small)
    rows, runs = {}, {}
    for mode in ("workers", "thread", "one connection"):
        monkeypatch.setattr(families, "FORK_WORKERS", mode == "workers")
        if mode == "one connection":
            monkeypatch.setattr(families, "_helper", lambda db: None)
        db = query.open_catalog(catalog)
        rows[mode] = query.footprint(db, by, **options)
        db.close()
        runs[mode] = len(used)
    # Forked workers ran the passes (split into key ranges) in the first mode only.
    assert runs == {"workers": 1, "thread": 1, "one connection": 1} and used[0] > 2
    assert rows["workers"] == rows["thread"] == rows["one connection"]
    assert [list(row) for row in rows["workers"]] == [list(row) for row in rows["one connection"]]


@pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")
def test_a_worker_that_dies_costs_time_not_the_answer(catalog, monkeypatch, tmp_path):
    """A worker process killed mid-query (here: as it takes its first task): the passes run on the query's
    own connection instead, with the same rows."""
    db = query.open_catalog(catalog)
    monkeypatch.setattr(families, "_helper", lambda db: None)
    expected = query.footprint(db, "author", min_params=1e8)
    monkeypatch.undo()
    monkeypatch.setattr(families.threading, "active_count", lambda: 1)
    monkeypatch.setattr(families, "FORK_WORKERS", True)
    monkeypatch.setattr(families, "PARALLEL_MIN_MEMBERS", 0)
    monkeypatch.setattr(families, "_in_worker", _die)
    _DIED[:] = [tmp_path]
    assert query.footprint(db, "author", min_params=1e8) == expected
    db.close()
    assert list(tmp_path.glob("died-*"))  # a worker did die


_DIED: list = []


def test_a_small_catalog_runs_its_passes_on_one_connection(catalog, monkeypatch):
    """Below ``PARALLEL_MIN_MEMBERS`` member rows no worker or second connection is started (it would cost
    more than it shares); above it, one is."""
    db = query.open_catalog(catalog)
    monkeypatch.setattr(families.threading, "active_count", lambda: 1)
    members = db.execute("SELECT COUNT(*) FROM family_members").fetchone()[0]
    assert 0 < members < families.PARALLEL_MIN_MEMBERS
    assert families._helper(db) is None
    monkeypatch.setattr(families, "PARALLEL_MIN_MEMBERS", members)
    assert isinstance(families._helper(db), families._Workers)
    monkeypatch.setattr(families, "FORK_WORKERS", False)
    helper = families._helper(db)
    assert isinstance(helper, families._Thread)
    helper.close()
    db.close()


_KILLED_MID_QUERY = """
import os, sys, time
from hubscan.derive import families
from hubscan.report import query

def stall(path, task):  # a worker that has taken a task: say so, then take long
    open(os.path.join(sys.argv[2], f"worker-{os.getpid()}"), "w").close()
    time.sleep(600)

families._in_worker = stall
families.PARALLEL_MIN_MEMBERS = 0
query.footprint(query.open_catalog(sys.argv[1]), "author", min_params=1e8)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")
def test_no_worker_outlives_a_query_killed_with_sigkill(catalog, tmp_path):
    """``kill -9`` of a process mid-query (its workers busy): the workers end too, none is left behind."""
    import signal
    import subprocess
    import time

    script = tmp_path / "query.py"
    script.write_text(_KILLED_MID_QUERY)
    child = subprocess.Popen([sys.executable, str(script), str(catalog), str(tmp_path)])
    try:
        deadline = time.monotonic() + 60
        while (
            len(list(tmp_path.glob("worker-*"))) < 2 and time.monotonic() < deadline and child.poll() is None
        ):
            time.sleep(0.05)
        workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
        assert len(workers) == 2, "both workers should have taken a task"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        deadline = time.monotonic() + 30  # (an upper bound on an event, not a timing claim)
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        child.kill()


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _die(path, task):
    (_DIED[0] / f"died-{os.getpid()}").touch()
    os._exit(3)


def _statements(path, run) -> list[str]:
    """The SQL statements ``run(db)`` sends to the catalog (both connections: worker processes are not used,
    their statements could not be traced here)."""
    seen: list[str] = []
    real = families._side_connection

    def side(db):
        other = real(db)
        other.conn.set_trace_callback(seen.append)
        return other

    db = query.open_catalog(path)
    db.conn.set_trace_callback(seen.append)
    families._side_connection, fork = side, families.FORK_WORKERS
    families.FORK_WORKERS, least = False, families.PARALLEL_MIN_MEMBERS
    families.PARALLEL_MIN_MEMBERS = 0  # (both connections, as on a large catalog)
    try:
        run(db)
    finally:
        families._side_connection, families.FORK_WORKERS = real, fork
        families.PARALLEL_MIN_MEMBERS = least
        db.close()
    return seen


@pytest.mark.parametrize("by", list(families.GROUPINGS))
@pytest.mark.parametrize("options", [dict(min_params=1e8), dict(task="text-generation", min_params=1e8)])
def test_filtered_passes_walk_the_order_indexes_without_sorting(catalog, by, options):
    statements = _statements(catalog, lambda db: query.footprint(db, by, **options))
    key = families.KEY_COLUMNS[by]
    con = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    walked = set()
    for sql in statements:
        # The passes grouping on an index walk (the sorted passes of the families whose medians do not
        # follow the parameters sort their members: ORDER BY 1, 2).
        direct = "INDEXED BY" in sql and "json_group_array" in sql and "ORDER BY 1, 2" not in sql
        if not direct or sql.startswith("EXPLAIN"):
            continue
        plan = list(con.execute(f"EXPLAIN QUERY PLAN {sql}"))
        # The only sort is the outermost one, of the per-family result rows by size (it makes SQLite finish
        # the pass in one step): the members are never sorted.
        sorts = [(parent, detail) for _, parent, _, detail in plan if "TEMP B-TREE" in detail]
        assert sorts == [(0, "USE TEMP B-TREE FOR ORDER BY")], (sql, plan)
        assert "COVERING INDEX" in " ".join(row[-1] for row in plan), plan
        walked.update(name for name in FAMILY_MEMBER_INDEXES if f"INDEXED BY {name}" in sql)
    con.close()
    # Sums and the parameters' quantiles from the (family, params, ...) index; the KV medians from the
    # (family, KV cache, ...) index; both index-only.
    assert walked == {f"idx_family_members_{key}_rows", f"idx_family_members_{key}_kv"}


def test_m008_replaces_the_older_indexes(tmp_path):
    """A catalog migrated up to m007 (the old indexes, the lineage KV one without the task) ends with exactly
    the new index definitions, and its answers do not change."""
    path = _random_catalog(tmp_path / "old.db", n=120)
    db = query.open_catalog(path)
    before = query.footprint(db, "lineage", min_params=1e8)
    db.close()
    rw = open_db(path)
    with rw.conn:
        for name in FAMILY_MEMBER_INDEXES:
            rw.execute(f"DROP INDEX IF EXISTS {name}")
        for name, target in {**_M006_INDEXES, **_M007_INDEXES}.items():
            rw.execute(f"CREATE INDEX {name} ON {target}")
        rw.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_family_order_indexes'")
    rw.close()
    open_db(path).close()  # applies m008
    con = sqlite3.connect(path)
    found = {
        name: sql
        for name, sql in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
        if name.startswith(("idx_family_members", "family_members"))
    }
    con.close()
    assert set(found) == set(FAMILY_MEMBER_INDEXES)
    assert "k_pipeline_tag" in found["idx_family_members_k_lineage_kv"]
    db = query.open_catalog(path)
    assert query.footprint(db, "lineage", min_params=1e8) == before
    db.close()
