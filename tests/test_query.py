"""Named queries: footprint per family, emissions, summary, read-only SQL, pandas API."""

from __future__ import annotations

import json
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
