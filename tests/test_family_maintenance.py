"""Family rows maintained by difference, and the per-task rows `footprint --task` reads."""

from __future__ import annotations

import json

import pytest

from hubscan.derive import families, resolve_families
from hubscan.report import query
from hubscan.store import open_db
from hubscan.store.history import mark_members_stale
from test_query import _random_catalog

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


def _numpy_rows(path, by: str, min_params: float) -> dict[str, dict]:
    """Per family, from the per-model rows of ``members_sql`` (computed from the source tables) and numpy."""
    import numpy as np

    db = query.open_catalog(path)
    sql, params = families.members_sql(by, min_params=min_params)
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor]
    db.close()
    out = {}
    for family in {r["family"] for r in rows}:
        members = [r for r in rows if r["family"] == family]

        def median(column, members=members):
            values = [r[column] for r in members if r[column] is not None]
            return float(np.percentile(values, 50)) if values else None

        params_sorted = [r["params"] for r in members]
        out[family] = {
            "models": len(members),
            "params_p10": float(np.percentile(params_sorted, 10)),
            "params_median": median("params"),
            "params_p90": float(np.percentile(params_sorted, 90)),
            "params_active_median": median("params_active"),
            "weights_bytes_median": median("weights_bytes"),
            "kv_cache_bytes_median": median("kv_cache_bytes"),
            "storage_bytes_total": sum(r["storage_bytes"] or 0 for r in members),
            "reporting_models": sum(r["reporting"] for r in members),
        }
    return out


@pytest.mark.parametrize("by", ["lineage", "model_type", "author"])
def test_min_params_paths_match_numpy(random_catalog, by):
    """With the lineage order indexes (lineage), the (family, params) index and a sorted pass (others), and
    without the lineage indexes (a catalog that lacks them): the same numbers as numpy."""
    expected = _numpy_rows(random_catalog, by, 1e8)
    assert len(expected) > 3

    def check():
        db = query.open_catalog(random_catalog)
        got = {row["family"]: row for row in query.footprint(db, by, min_params=1e8)}
        db.close()
        assert got.keys() == expected.keys()
        for family, want in expected.items():
            for column, value in want.items():
                assert got[family][column] == (value if value is None else pytest.approx(value, rel=1e-12)), (
                    family,
                    column,
                )

    check()
    rw = open_db(random_catalog)
    with rw.conn:
        rw.execute("DROP INDEX idx_family_members_k_lineage_kv")
    rw.close()
    check()


@pytest.mark.parametrize("moe_members", [0, 1, 3, 70, 200])
def test_active_median_of_the_active_counts_in_parameter_order(moe_members):
    """A family's active-parameter median from its known active counts as the main pass gathers them (in
    the order of the members' total parameters, which a mixture of experts breaks; some unknown: left out):
    the same as numpy's median of the known active counts."""
    import random

    import numpy as np

    rng = random.Random(moe_members)
    params = [rng.randrange(1, 50) * 10**8 for _ in range(200)]
    active = list(params)  # dense members: active = total
    moe = rng.sample(range(200), moe_members)
    for i in moe:
        active[i] = rng.choice([None, rng.randrange(1, 40) * 10**7])
    known = [a for a in active if a is not None]
    in_params_order = [active[i] for i in sorted(range(200), key=params.__getitem__) if active[i] is not None]
    got = families._active_median(json.dumps(in_params_order))
    assert got == (pytest.approx(float(np.percentile(known, 50)), rel=1e-12) if known else None)
