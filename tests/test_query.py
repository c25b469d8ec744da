"""Named queries: footprint per family, emissions, summary, read-only SQL, pandas API."""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest

import hubscan
from catalog_fixtures import BYTES, FOOTPRINTS, MODELS, REPORTED, build_catalog
from hubscan.errors import CatalogError
from hubscan.report import query
from hubscan.store import open_db, open_db_read_only


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return build_catalog(tmp_path_factory.mktemp("query") / "cat.db")


@pytest.fixture
def db(catalog):
    handle = query.open_catalog(catalog)
    yield handle
    handle.close()


def by_family(rows):
    return {r["family"]: r for r in rows}


@pytest.mark.parametrize("by", list(query.GROUPINGS))
def test_every_model_counted_once_per_grouping(db, by):
    rows = query.footprint(db, by)
    assert sum(r["models"] for r in rows) == len(MODELS)
    assert len({r["family"] for r in rows}) == len(rows)
    assert all(set(query.FOOTPRINT_COLUMNS) == set(r) for r in rows)


def test_unknown_and_standalone_families(db):
    types = by_family(query.footprint(db, "model_type"))
    assert types["unknown"]["models"] == 2  # carol/llama-lora and nobody/no-config
    assert types["llama"]["models"] == 5
    lineage = by_family(query.footprint(db, "lineage"))
    assert lineage["meta/llama-8b"]["models"] == 6
    assert lineage["meta/llama-8b"]["finetunes"] == 2
    assert lineage["meta/llama-8b"]["adapters"] == 1
    assert lineage["meta/llama-8b"]["quantized"] == 1
    assert lineage["meta/llama-8b"]["merges"] == 1
    assert lineage["missing-org/bert-base"]["models"] == 1
    assert lineage["loop/a"]["models"] == 2
    # google/bert, solo/self and nobody/no-config have no base and no derivative.
    assert lineage["standalone"]["models"] == 3
    tasks = by_family(query.footprint(db, "pipeline_tag"))
    assert tasks["unknown"]["models"] == 3


def test_footprint_numbers_for_a_family(db):
    llama = by_family(query.footprint(db, "model_type"))["llama"]
    ids = [m[0] for m in MODELS if m[2] == "llama"]
    params = np.array([FOOTPRINTS[i][0] for i in ids], dtype=float)
    assert llama["params_median"] == pytest.approx(np.median(params))
    assert llama["params_p10"] == pytest.approx(np.percentile(params, 10))
    assert llama["params_p90"] == pytest.approx(np.percentile(params, 90))
    assert llama["params_max"] == params.max()
    assert llama["params_total"] == params.sum()
    assert llama["weights_bytes_total"] == sum(FOOTPRINTS[i][3] for i in ids)
    assert llama["kv_cache_bytes_max"] == max(FOOTPRINTS[i][4] * FOOTPRINTS[i][5] for i in ids)
    assert llama["storage_bytes_total"] == sum(m[6] for m in MODELS if m[2] == "llama")
    assert llama["downloads_total"] == 1000 + 100 + 10 + 3
    assert llama["models_with_downloads"] == 4
    assert llama["reporting_models"] == 2  # meta and alice report a figure
    assert llama["reporting_share"] == pytest.approx(2 / 5)
    unknown = by_family(query.footprint(db, "model_type"))["unknown"]
    assert unknown["params_total"] is None and unknown["params_median"] is None


def test_context_and_dtype_recompute_from_stored_numbers(db):
    rows = by_family(query.footprint(db, "model_type", context=1000, dtype="int8"))
    ids = [m[0] for m in MODELS if m[2] == "bert"]
    bert = rows["bert"]
    assert bert["weights_bytes_total"] == sum(FOOTPRINTS[i][0] * 1 for i in ids)
    gpt2 = rows["gpt2"]
    ids = [m[0] for m in MODELS if m[2] == "gpt2"]
    kv = np.array([FOOTPRINTS[i][4] * 1000 for i in ids], dtype=float)
    assert gpt2["kv_cache_bytes_median"] == pytest.approx(np.median(kv))
    assert gpt2["context"] == 1000 and gpt2["dtype"] == "int8"
    # fp16 has no stored column: parameters x 2 bytes.
    fp16 = by_family(query.footprint(db, "model_type", dtype="fp16"))["gpt2"]
    assert fp16["weights_bytes_total"] == sum(FOOTPRINTS[i][0] * BYTES["bf16"] for i in ids)


def test_filters(db):
    rows = query.footprint(db, "author", author="bob")
    assert [r["family"] for r in rows] == ["bob"] and rows[0]["models"] == 2
    rows = query.footprint(db, "model_type", task="fill-mask")
    assert [(r["family"], r["models"]) for r in rows] == [("bert", 1)]
    rows = query.footprint(db, "model_type", min_params=1e9)
    assert by_family(rows)["llama"]["models"] == 5 and "bert" not in by_family(rows)


def test_stored_family_stats_equal_live_computation(db):
    for by in query.GROUPINGS:
        assert query._stats_current(db, by)
        assert query.footprint(db, by) == query.footprint_live(db, by)


def test_stale_family_stats_fall_back_to_live(tmp_path):
    path = build_catalog(tmp_path / "c.db")
    rw = open_db(path)
    rw["models"].insert({"id": "late/model", "model_type": "llama"})
    rw.close()
    db = query.open_catalog(path)
    rows = by_family(query.footprint(db, "model_type"))
    assert rows["llama"]["models"] == 6
    db.close()


def test_unknown_grouping_and_dtype_are_clear_errors(db):
    with pytest.raises(query.QueryError, match="Unknown grouping"):
        query.footprint(db, "colour")
    with pytest.raises(query.QueryError, match="Unknown dtype"):
        query.footprint(db, "model_type", dtype="fp7")


def test_emissions_rows_and_filters(db):
    rows = query.emissions(db)
    assert {r["model_id"] for r in rows} == {m for m, (g, _) in REPORTED.items() if g is not None}
    bert = [r for r in query.emissions(db, verdict="likely unit error")]
    assert [r["model_id"] for r in bert] == ["google/bert"]
    assert bert[0]["estimated_g_low"] == 300.0 and bert[0]["ratio"] == pytest.approx(0.001)
    assert [r["model_id"] for r in query.emissions(db, family="bert")] == ["google/bert"]
    lineage = query.emissions(db, family="meta/llama-8b", by="lineage")
    assert {r["model_id"] for r in lineage} == {"meta/llama-8b", "alice/llama-8b-chat"}


def test_emissions_rows_are_the_models_with_a_reported_figure_or_a_verdict(tmp_path):
    """The per-model rows are found from the two emissions tables (not by reading every model): the same
    rows, in id order, as testing every model for a reported figure or a verdict."""
    path = build_catalog(tmp_path / "cat.db")
    db = open_db(path)
    db["estimated_emissions"].insert_all(
        [
            {"model_id": "loop/a", "estimable": 1, "verdict": "not comparable"},  # no reported figure
            {"model_id": "solo/self", "estimable": 0},  # an estimate without a verdict: not a row
        ]
    )
    db.close()
    handle = query.open_catalog(path)
    expected = [
        row[0]
        for row in handle.execute(
            "SELECT m.id FROM models m LEFT JOIN reported_emissions r ON r.model_id = m.id "
            "LEFT JOIN estimated_emissions e ON e.model_id = m.id "
            "WHERE r.emissions_g IS NOT NULL OR e.verdict IS NOT NULL ORDER BY m.id"
        )
    ]
    rows = query.emissions(handle)
    assert [r["model_id"] for r in rows] == expected
    assert "loop/a" in expected and "solo/self" not in expected and "dave/bert-ft" not in expected
    loop = next(r for r in rows if r["model_id"] == "loop/a")
    assert loop["reported_g"] is None and loop["verdict"] == "not comparable"
    handle.close()


def test_emissions_summary_sections(db):
    summary = query.emissions_summary(db)
    assert list(summary) == [
        "overview",
        "completeness",
        "by_family",
        "by_year",
        "by_task",
        "reported_vs_estimated",
    ]
    overview = {r["measure"]: r["value"] for r in summary["overview"]}
    assert overview["models in catalog"] == len(MODELS)
    assert overview["models reporting training emissions"] == 3
    completeness = {r["completeness"]: r["models"] for r in summary["completeness"]}
    assert completeness == {
        "complete": 1, "emissions_context": 1, "emissions_only": 1, "template_only": 1, "no card": 8,
    }  # fmt: skip
    families = {r["family"]: r["reported_g_total"] for r in summary["by_family"]}
    assert families == {"llama": 1_002_000.0, "bert": 0.5}
    years = {r["year"]: r["reporting_models"] for r in summary["by_year"]}
    assert years == {"2024": 2, "2019": 1}
    tasks = {r["task"]: r["reporting_models"] for r in summary["by_task"]}
    assert tasks == {"text-generation": 2, "fill-mask": 1}
    llama = summary["by_family"][0]  # biggest total first
    assert (llama["family"], llama["reported_g_min"], llama["reported_g_max"]) == (
        "llama",
        2_000.0,
        1_000_000.0,
    )
    assert [r["year"] for r in summary["by_year"]] == ["2024", "2019"]
    verdicts = {r["verdict"]: r["models"] for r in summary["reported_vs_estimated"]}
    assert verdicts == {"consistent": 1, "likely unit error": 1, "not estimated": 1}


def test_run_sql_reads(catalog):
    columns, rows = query.run_sql(catalog, "SELECT id FROM models WHERE author = ? ORDER BY id", ["bob"])
    assert columns == ["id"]
    assert rows == [("bob/llama-8b-chat-gguf",), ("bob/llama-8b-chat-v2",)]


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM models",
        "UPDATE models SET downloads = 0",
        "INSERT INTO lineage (model_id) VALUES ('x')",
        "DROP TABLE models",
        "CREATE TABLE evil (x)",
        "  /* comment */ delete from models",
        "WITH t AS (SELECT 1) DELETE FROM models",
    ],
)
def test_run_sql_refuses_writes_by_opening_read_only(catalog, statement):
    with pytest.raises(query.QueryError, match="read-only"):
        query.run_sql(catalog, statement)
    check = open_db_read_only(catalog)
    assert check.execute("SELECT COUNT(*) FROM models").fetchone()[0] == len(MODELS)
    check.close()


def test_read_only_connection_is_enforced_by_sqlite(catalog):
    db = open_db_read_only(catalog)
    with pytest.raises(sqlite3.OperationalError):
        db.conn.execute("PRAGMA query_only = OFF")
        db.conn.execute("DELETE FROM models")
    db.close()


def test_run_sql_bad_sql_and_missing_catalog(catalog, tmp_path):
    with pytest.raises(query.QueryError, match="SQL error"):
        query.run_sql(catalog, "SELEC 1")
    with pytest.raises(CatalogError, match="No catalog"):
        query.run_sql(tmp_path / "nope.db", "SELECT 1")
    not_catalog = tmp_path / "other.db"
    sqlite3.connect(not_catalog).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(CatalogError, match="not a hubscan catalog"):
        query.open_catalog(not_catalog)


def test_named_queries(db):
    largest = query.named(db, "largest_models", limit=2)
    assert [r["params_total"] for r in largest] == [10_000_000_000, 8_000_000_000]
    fits = query.named(db, "fits_in_memory", gb=1)
    assert {r["model_id"] for r in fits} == {"google/bert", "dave/bert-ft", "loop/a", "loop/b", "solo/self"}
    canned = query.named(db, "footprint_by_family", grouping="lineage")
    assert by_family(canned)["meta/llama-8b"]["models"] == 6


def test_pandas_api(catalog):
    with hubscan.open(catalog) as cat:
        models = cat.models()
        assert len(models) == len(MODELS) and "params" in models and "root_id" in models
        fp = cat.footprint(by="lineage")
        assert list(fp.columns) == query.FOOTPRINT_COLUMNS
        assert fp["models"].sum() == len(MODELS)
        assert fp.set_index("family").loc["meta/llama-8b", "models"] == 6
        em = cat.emissions(verdict="consistent")
        assert list(em["model_id"]) == ["meta/llama-8b"]
        summary = cat.emissions_summary()
        assert set(summary) >= {"overview", "by_family"}
        assert cat.sql("SELECT COUNT(*) AS n FROM models")["n"][0] == len(MODELS)
        with pytest.raises(query.QueryError):
            cat.sql("DELETE FROM models")
    # The API and the CLI share the named queries: same rows as query.footprint.
    db = query.open_catalog(catalog)
    assert (
        json.loads(fp.to_json(orient="records"))[0]["family"] == query.footprint(db, "lineage")[0]["family"]
    )
    db.close()


# --- incremental family maintenance and the SQL aggregates against numpy -----------------------------


def _stats(path):
    db = query.open_catalog(path)
    rows = sorted(db.execute("SELECT * FROM family_stats").fetchall(), key=lambda r: (r[0], r[1]))
    db.close()
    return rows


def test_incremental_refresh_equals_a_full_recomputation(tmp_path):
    from hubscan.derive import resolve_families
    from hubscan.store.history import mark_members_stale

    path = build_catalog(tmp_path / "c.db")
    rw = open_db(path)
    with rw.conn:
        rw["models"].update("alice/llama-8b-chat", {"downloads": 5000})
        rw["footprints"].update("google/bert", {"params_total": 120_000_000})
        mark_members_stale(rw, ["alice/llama-8b-chat", "google/bert"])
        # google/bert gets a derivative: it leaves `standalone` and becomes a lineage family of its own.
        rw["models"].insert(
            {
                "id": "erin/bert-ft",
                "author": "erin",
                "model_type": "bert",
                "base_models": json.dumps({"relation": "finetune", "models": ["google/bert"]}),
            }
        )
    resolve_families(rw)
    rw.close()
    incremental = _stats(path)
    rw = open_db(path)
    with rw.conn:
        for table in ("family_members", "family_rollup", "family_stats", "family_keys"):
            rw.execute(f"DELETE FROM {table}")
    resolve_families(rw)
    rw.close()
    assert incremental == _stats(path)
    db = query.open_catalog(path)
    lineage = by_family(query.footprint(db, "lineage"))
    assert lineage["google/bert"]["models"] == 2 and lineage["standalone"]["models"] == 2
    assert by_family(query.footprint(db, "author"))["alice"]["downloads_total"] == 5000
    bert = by_family(query.footprint(db, "model_type"))["bert"]
    assert bert["params_max"] == 120_000_000 and bert["models"] == 3
    db.close()


def _random_catalog(path, seed: int = 7, n: int = 400):
    """Models with dense and MoE parameters, several dtypes and contexts, missing values, lineage."""
    rng = np.random.default_rng(seed)
    db = open_db(path)
    types = ["llama", "bert", "mixtral", None]
    tasks = ["text-generation", "fill-mask", None]
    for i in range(n):
        mt = types[i % 4]
        base = {"relation": "finetune", "models": [f"org{i % 5}/m{i - 7}"]} if i > 10 and i % 3 == 0 else None
        db["models"].insert({
            "id": f"org{i % 5}/m{i}", "author": f"org{i % 5}", "model_type": mt, "pipeline_tag": tasks[i % 3],
            "downloads": int(rng.integers(0, 10_000)) if i % 7 else None, "used_storage": int(rng.integers(1, 10**9)),
            "base_models": json.dumps(base) if base else None,
            "safetensors_total": int(rng.integers(1, 10**9)) if mt is None and i % 2 else None,
        })  # fmt: skip
        if mt is None:
            continue
        params = int(rng.lognormal(20, 2))
        dtype, bpp = [("bf16", 2), ("fp32", 4), ("int4", 0.5)][i % 3]
        kv = int(rng.integers(0, 200_000))
        context = [4096, 8192, 512][i % 3]
        db["footprints"].insert({
            "model_id": f"org{i % 5}/m{i}", "model_type": mt, "params_total": params,
            "params_active": params // 4 if mt == "mixtral" else params, "dtype": dtype,
            "weights_bytes": math.ceil(params * bpp) + (i % 11 == 0), "weights_bytes_fp32": params * 4,
            "weights_bytes_bf16": params * 2, "weights_bytes_int8": params, "weights_bytes_int4": math.ceil(params / 2),
            "kv_bytes_per_token": kv, "context": context, "kv_cache_bytes": kv * context,
        })  # fmt: skip
    from hubscan.derive import resolve_families

    resolve_families(db)
    db.close()
    return path


INDEPENDENT = """
SELECT m.id, m.author, m.model_type AS mt, m.pipeline_tag AS task,
       COALESCE(f.params_total, m.safetensors_total) AS params, f.params_active, f.weights_bytes,
       COALESCE(f.weights_bytes_int8, f.params_total, m.safetensors_total) AS w8, f.kv_bytes_per_token AS kvt, f.kv_cache_bytes AS kv, m.downloads
FROM models m LEFT JOIN footprints f ON f.model_id = m.id
"""


def _expected(path, key, where=lambda r: True, weights="weights_bytes", context=None):
    con = sqlite3.connect(path)
    cursor = con.execute(INDEPENDENT)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor]
    con.close()
    out = {}
    for family in {key(r) for r in rows if where(r)}:
        members = [r for r in rows if where(r) and key(r) == family]

        def med(values):
            values = [v for v in values if v is not None]
            return float(np.percentile(values, 50)) if values else None

        kv = [r["kvt"] * context if context and r["kvt"] is not None else (None if context else r["kv"])
              for r in members]  # fmt: skip
        params = [r["params"] for r in members if r["params"] is not None]
        out[family] = {
            "models": len(members),
            "params_p10": float(np.percentile(params, 10)) if params else None,
            "params_p90": float(np.percentile(params, 90)) if params else None,
            "params_median": med(params),
            "params_active_median": med([r["params_active"] for r in members]),
            "weights_bytes_median": med([r[weights] for r in members]),
            "kv_cache_bytes_median": med(kv),
            "downloads_total": sum(r["downloads"] for r in members if r["downloads"] is not None) or None,
        }
    return out


def _check(rows, expected):
    got = by_family(rows)
    assert set(got) == set(expected)
    for family, want in expected.items():
        for column, value in want.items():
            if value is None:
                assert got[family][column] is None, (family, column)
            else:
                assert got[family][column] == pytest.approx(value, rel=1e-12), (family, column)


def test_sql_aggregates_match_numpy_on_a_random_catalog(tmp_path):
    path = _random_catalog(tmp_path / "r.db")
    db = query.open_catalog(path)
    model_type = lambda r: r["mt"] or "unknown"  # noqa: E731
    _check(query.footprint(db, "model_type"), _expected(path, model_type))
    _check(query.footprint(db, "author"), _expected(path, lambda r: r["author"]))
    _check(
        query.footprint(db, "author", task="text-generation"),
        _expected(path, lambda r: r["author"], where=lambda r: r["task"] == "text-generation"),
    )
    _check(
        query.footprint(db, "model_type", min_params=1e8),
        _expected(path, model_type, where=lambda r: r["params"] is not None and r["params"] >= 1e8),
    )
    # Stored rows at another dtype / context: the per-dtype medians and per-token KV of the rollup.
    stored = query.footprint(db, "model_type", dtype="int8", context=1000)
    _check(stored, _expected(path, model_type, weights="w8", context=1000))
    live = query.footprint(db, "model_type", dtype="int8", context=1000, min_params=0)
    _check(
        live, _expected(path, model_type, weights="w8", context=1000, where=lambda r: r["params"] is not None)
    )
    db.close()
