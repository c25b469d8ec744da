"""`hubscan export`: every table of the demo catalog to Parquet/CSV, read back by DuckDB and pandas with the
same row counts and the same numbers as the SQLite catalog."""

from __future__ import annotations

import json
import math
import sqlite3

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from hubscan.cli import cli
from hubscan.report import export, query


@pytest.fixture(scope="module")
def exported(sample_catalog, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "parquet"
    result = CliRunner().invoke(cli, ["export", str(out), "--db", str(sample_catalog)])
    assert result.exit_code == 0, result.output
    return out


def _tables(path) -> list[str]:
    db = query.open_catalog(path)
    names = export.exportable_tables(db)
    db.close()
    return names


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, float) or isinstance(b, float):
        return b is not None and math.isclose(float(a), float(b), rel_tol=1e-12)
    return a == b


def test_every_table_with_its_row_count(sample_catalog, exported):
    tables = _tables(sample_catalog)
    assert {"models", "footprints", "lineage", "family_stats", "model_history", "crawl_runs"} <= set(tables)
    schema = json.loads((exported / "schema.json").read_text())
    assert set(schema["tables"]) == set(tables)
    assert schema["compression"] == "zstd"
    con = sqlite3.connect(sample_catalog)
    for table in tables:
        count = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        assert schema["tables"][table]["rows"] == count
        assert (
            duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{exported / table}.parquet')").fetchone()[0]
            == count
        )
        assert len(pd.read_parquet(exported / f"{table}.parquet")) == count
        if count:
            meta = pq.ParquetFile(exported / f"{table}.parquet").metadata
            assert meta.row_group(0).column(0).compression == "ZSTD"
    con.close()


def test_numbers_survive_the_round_trip(sample_catalog, exported):
    con = sqlite3.connect(sample_catalog)
    for table, key in (("footprints", "model_id"), ("reported_emissions", "model_id"), ("models", "id")):
        columns = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        expected = {row[0]: row for row in con.execute(f"SELECT {key}, * FROM {table}")}
        frame = pd.read_parquet(exported / f"{table}.parquet")
        assert list(frame.columns) == columns
        for record in frame.astype(object).itertuples(index=False):
            want = expected[getattr(record, key)][1:]
            assert all(_same(w, g) for w, g in zip(want, record, strict=True)), record
    # Aggregates agree between SQLite and DuckDB on the Parquet copy.
    sqlite_sums = con.execute(
        "SELECT SUM(params_total), SUM(weights_bytes), COUNT(kv_cache_bytes) FROM footprints"
    ).fetchone()
    duck_sums = duckdb.sql(
        f"SELECT SUM(params_total), SUM(weights_bytes), COUNT(kv_cache_bytes) FROM '{exported}/footprints.parquet'"
    ).fetchone()
    assert tuple(sqlite_sums) == tuple(duck_sums)
    con.close()


def test_schema_and_readme_carry_units(exported):
    schema = json.loads((exported / "schema.json").read_text())
    columns = {c["name"]: c for c in schema["tables"]["footprints"]["columns"]}
    assert columns["weights_bytes"]["unit"] == "bytes" and columns["weights_bytes"]["type"] == "int64"
    assert columns["params_total"]["unit"] == "parameters"
    emissions = {c["name"]: c for c in schema["tables"]["reported_emissions"]["columns"]}
    assert emissions["emissions_g"]["unit"] == "g CO2eq" and emissions["emissions_g"]["type"] == "double"
    readme = (exported / "README.md").read_text()
    assert "| `weights_bytes` | int64 | bytes |" in readme and "read_parquet" in readme


def test_csv_export_of_chosen_tables(sample_catalog, tmp_path):
    out = tmp_path / "csv"
    result = CliRunner().invoke(
        cli,
        ["export", str(out), "--format", "csv", "--tables", "models,lineage", "--db", str(sample_catalog)],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "lineage.csv", "models.csv", "schema.json"]
    con = sqlite3.connect(sample_catalog)
    assert len(pd.read_csv(out / "models.csv")) == con.execute("SELECT COUNT(*) FROM models").fetchone()[0]
    depth = con.execute("SELECT SUM(depth) FROM lineage").fetchone()[0]
    con.close()
    assert duckdb.sql(f"SELECT SUM(depth) FROM read_csv('{out}/lineage.csv')").fetchone()[0] == depth
    bad = CliRunner().invoke(cli, ["export", str(out), "--tables", "nope", "--db", str(sample_catalog)])
    assert bad.exit_code == 1 and "No table nope" in bad.output


def test_streamed_in_batches(sample_catalog, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "BATCH_ROWS", 7)
    db = query.open_catalog(sample_catalog)
    export.export_catalog(db, tmp_path, tables=["models"])
    count = db.execute("SELECT COUNT(*) FROM models").fetchone()[0]
    db.close()
    meta = pq.ParquetFile(tmp_path / "models.parquet").metadata
    assert meta.num_rows == count and meta.num_row_groups == math.ceil(count / 7)


def test_mixed_values_widen_the_column_type(tmp_path):
    from hubscan.store import open_db

    path = tmp_path / "c.db"
    db = open_db(path)
    db["models"].insert_all([{"id": "a/x", "downloads": 5}, {"id": "a/y", "downloads": 2.5}])
    db.close()
    db = query.open_catalog(path)
    schema = export.export_catalog(db, tmp_path / "out", tables=["models"])
    db.close()
    column = next(c for c in schema["tables"]["models"]["columns"] if c["name"] == "downloads")
    assert column["type"] == "double"
    assert sorted(pd.read_parquet(tmp_path / "out" / "models.parquet")["downloads"]) == [2.5, 5.0]
