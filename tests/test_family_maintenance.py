"""Family rows maintained by difference, and the per-task rows `footprint --task` reads."""

from __future__ import annotations

import json

import pytest
from test_query import _random_catalog

from hubscan.derive import families, resolve_families
from hubscan.report import query
from hubscan.store import open_db
from hubscan.store.history import mark_members_stale

TABLES = {"family_rollup": ["grouping"], "family_task_rollup": ["grouping", "task"]}


def _tables(path) -> dict[str, dict[tuple, tuple]]:
    """Every maintained row, by its identity ((grouping, family) or (grouping, task, family))."""
    db = query.open_catalog(path)
    out = {}
    for table, ident in TABLES.items():
        columns = ", ".join([*ident, *families.ROLLUP_COLUMNS])
        rows = db.execute(f"SELECT {columns} FROM {table}").fetchall()
        out[table] = {row[: len(ident) + 1]: row[len(ident) + 1 :] for row in rows}
    db.close()
    return out


def _rebuilt(path) -> dict[str, dict[tuple, tuple]]:
    """The same tables computed from scratch (every member and rollup row dropped first)."""
    rw = open_db(path)
    with rw.conn:
        for table in ("family_members", "family_rollup", "family_task_rollup", "family_stats", "family_keys"):
            rw.execute(f"DELETE FROM {table}")
    resolve_families(rw)
    rw.close()
    return _tables(path)


def _assert_same(got: dict, want: dict) -> None:
    for table in TABLES:
        assert got[table].keys() == want[table].keys(), table
        for key, row in want[table].items():
            for a, b in zip(got[table][key], row, strict=True):
                if isinstance(b, float):
                    assert a == pytest.approx(b, rel=1e-12), (table, key)
                else:
                    assert a == b, (table, key)


@pytest.fixture
def random_catalog(tmp_path):
    return _random_catalog(tmp_path / "r.db", n=300)


def test_task_rows_equal_the_live_computation(random_catalog):
    db = query.open_catalog(random_catalog)
    tasks = [
        row[0] for row in db.execute("SELECT DISTINCT pipeline_tag FROM models WHERE pipeline_tag <> ''")
    ]
    assert tasks and db.execute("SELECT COUNT(*) FROM family_task_rollup").fetchone()[0] > 0
    for by in families.GROUPINGS:
        for task in [*tasks, "no-such-task"]:
            stored = query.footprint(db, by, task=task, dtype="int4", context=1000)
            live = families.footprint_live(db, by, task=task, dtype="int4", context=1000)
            assert stored == live, (by, task)
    db.close()


def _change(path, edit) -> None:
    rw = open_db(path)
    with rw.conn:
        ids = edit(rw)
        mark_members_stale(rw, ids)
    resolve_families(rw)
    rw.close()


def _set_downloads(rw, count: int = 20):
    """Few models (less than the 10% of a small change): the refresh works by difference."""
    ids = [row[0] for row in rw.execute("SELECT id FROM models ORDER BY id LIMIT ?", [count])]
    for i, model_id in enumerate(ids):
        rw.execute("UPDATE models SET downloads = ? WHERE id = ?", [None if i % 5 == 0 else 7 * i, model_id])
    return ids


def _set_many_downloads(rw):
    """A large change: the touched families are recomputed."""
    return _set_downloads(rw, 120)


def _drop_storage_and_move_task(rw):
    ids = [row[0] for row in rw.execute("SELECT id FROM models ORDER BY id DESC LIMIT 6")]
    rw.execute(f"UPDATE models SET used_storage = NULL WHERE id IN ({','.join('?' * 3)})", ids[:3])
    rw.execute("UPDATE models SET pipeline_tag = 'summarization' WHERE id = ?", [ids[3]])
    return ids


def _resize_add_remove_rebase(rw):
    changed = rw.execute("SELECT model_id FROM footprints ORDER BY model_id LIMIT 1").fetchone()[0]
    rw.execute("UPDATE footprints SET params_total = params_total * 3 WHERE model_id = ?", [changed])
    gone = rw.execute("SELECT id FROM models ORDER BY id DESC LIMIT 1").fetchone()[0]
    for table in ("footprints", "lineage"):
        rw.execute(f"DELETE FROM {table} WHERE model_id = ?", [gone])
    rw.execute("DELETE FROM models WHERE id = ?", [gone])
    base = {"relation": "adapter", "models": [changed]}
    rw["models"].insert(
        {
            "id": "new/adapter",
            "author": "new",
            "pipeline_tag": "text-generation",
            "base_models": json.dumps(base),
        }
    )
    return [changed, gone, "new/adapter"]


@pytest.mark.parametrize(
    "edit", [_set_downloads, _set_many_downloads, _drop_storage_and_move_task, _resize_add_remove_rebase]
)
def test_refresh_by_difference_equals_a_full_recomputation(random_catalog, edit):
    _change(random_catalog, edit)
    incremental = _tables(random_catalog)
    _assert_same(incremental, _rebuilt(random_catalog))


def test_a_listing_change_recomputes_no_family(random_catalog, monkeypatch):
    """Downloads moved, nothing a quantile or maximum depends on: every row is updated in place."""
    calls = []
    for name in ("rollup_rows", "task_rollup_rows"):
        real = getattr(families, name)
        monkeypatch.setattr(
            families, name, lambda db, by, chosen, _f=real: calls.append(chosen) or _f(db, by, chosen)
        )
    before = _tables(random_catalog)
    _change(random_catalog, _set_downloads)
    assert calls == []
    assert _tables(random_catalog) != before  # the downloads totals did move
    _change(random_catalog, _resize_add_remove_rebase)
    assert calls  # a parameter count changed: its families are recomputed


def test_a_migrated_catalog_answers_task_queries_live_until_its_next_refresh(random_catalog):
    rw = open_db(random_catalog)
    with rw.conn:
        rw.execute("DELETE FROM family_task_rollup")
    db = query.open_catalog(random_catalog)
    expected = families.footprint_live(db, "author", task="text-generation")
    assert expected and query.footprint(db, "author", task="text-generation") == expected
    db.close()
    families.maintain_family_stats(rw)  # nothing stale: the task rows are built anyway
    rw.close()
    db = query.open_catalog(random_catalog)
    assert db.execute("SELECT COUNT(*) FROM family_task_rollup").fetchone()[0] > 0
    assert query.footprint(db, "author", task="text-generation") == expected
    db.close()
