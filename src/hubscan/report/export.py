"""``hubscan export DIR``: every catalog table as Parquet (zstd) or CSV, for DuckDB, pandas, R or Spark.

Tables are streamed from a read-only connection in batches (memory stays flat however big the catalog is)
and written with ``pyarrow``. ``schema.json`` and ``README.md`` describe every exported column with its type,
unit and meaning, from :mod:`hubscan.store.columns`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlite_utils import Database

from hubscan import __version__
from hubscan.errors import QueryError
from hubscan.store.columns import COLUMN_DOCS, TABLE_DOCS, unit_of

FORMATS = ("parquet", "csv")
BATCH_ROWS = 20_000
# Tables with whole files or JSON records per row are read in smaller batches.
WIDE_TABLES = {"cards": 500, "configs": 2_000, "footprints": 5_000, "reported_emissions": 5_000,
               "estimated_emissions": 5_000}  # fmt: skip
ARROW_TYPES = {"integer": pa.int64(), "real": pa.float64(), "text": pa.string()}


def exportable_tables(db: Database) -> list[str]:
    """Catalog tables (raw and derived) in documentation order; internal tables (migrations, FTS) left out."""
    present = set(db.table_names())
    return [t for t in TABLE_DOCS if t in present]


def _column_types(db: Database, table: str) -> list[tuple[str, str]]:
    """(column, integer|real|text): the declared type, widened where stored values do not fit it."""
    declared = [(c.name, (c.type or "TEXT").upper()) for c in db[table].columns]
    kinds = []
    for name, sql_type in declared:
        if "INT" in sql_type:
            kinds.append((name, "integer"))
        elif any(k in sql_type for k in ("REAL", "FLOA", "DOUB", "NUM")):
            kinds.append((name, "real"))
        else:
            kinds.append((name, "text"))
    probes = []
    for name, kind in kinds:
        if kind != "text":
            probes += [f"MAX(typeof([{name}]) = 'text')", f"MAX(typeof([{name}]) = 'real')"]
    if not probes:
        return kinds
    found = iter(db.execute(f"SELECT {', '.join(probes)} FROM [{table}]").fetchone())
    widened = []
    for name, kind in kinds:
        if kind != "text":
            has_text, has_real = next(found), next(found)
            kind = "text" if has_text else ("real" if has_real else kind)
        widened.append((name, kind))
    return widened


def _batches(db: Database, table: str, columns: Sequence[tuple[str, str]]) -> Iterator[pa.RecordBatch]:
    schema = pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns])
    size = WIDE_TABLES.get(table, BATCH_ROWS)
    names = ", ".join(f"[{name}]" for name, _ in columns)
    cursor = db.conn.execute(f"SELECT {names} FROM [{table}]")
    while True:
        rows = cursor.fetchmany(size)
        if not rows:
            return
        arrays = []
        for i, (_name, kind) in enumerate(columns):
            values = [row[i] for row in rows]
            if kind == "text":
                values = [v if v is None or isinstance(v, str) else _text(v) for v in values]
            arrays.append(pa.array(values, type=ARROW_TYPES[kind]))
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def export_table(db: Database, table: str, out_dir: Path, fmt: str) -> dict[str, Any]:
    """Write one table; returns its schema.json entry (file, rows, columns with type, unit, description)."""
    columns = _column_types(db, table)
    schema = pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns])
    path = out_dir / f"{table}.{fmt}"
    rows = 0
    if fmt == "parquet":
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in _batches(db, table, columns):
                writer.write_batch(batch)
                rows += batch.num_rows
    else:
        with pa_csv.CSVWriter(path, schema) as writer:
            for batch in _batches(db, table, columns):
                writer.write_batch(batch)
                rows += batch.num_rows
    docs = COLUMN_DOCS.get(table, {})
    return {
        "file": path.name,
        "description": TABLE_DOCS.get(table, ""),
        "rows": rows,
        "columns": [
            {"name": name, "type": str(ARROW_TYPES[kind]), "unit": unit_of(f"{table}.{name}"),
             "description": docs.get(name, "")}
            for name, kind in columns
        ],
    }  # fmt: skip


def export_catalog(
    db: Database, out_dir: str | Path, fmt: str = "parquet", tables: Sequence[str] | None = None
) -> dict[str, Any]:
    """Export ``tables`` (default: every catalog table) to ``out_dir``; writes schema.json and README.md."""
    if fmt not in FORMATS:
        raise QueryError(f"Unknown export format {fmt!r}: use parquet or csv.")
    available = exportable_tables(db)
    chosen = list(tables) if tables else available
    unknown = [t for t in chosen if t not in available]
    if unknown:
        raise QueryError(
            f"No table {', '.join(unknown)} in the catalog: choose among {', '.join(available)}."
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    schema = {
        "hubscan_version": __version__,
        "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "format": fmt,
        "compression": "zstd" if fmt == "parquet" else None,
        "units": "bytes are bytes (1 GB = 10^9), parameters are counts, emissions are grams CO2eq, "
        "energy kWh, times ISO-8601 UTC",
        "tables": {table: export_table(db, table, out, fmt) for table in chosen},
    }
    (out / "schema.json").write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(readme(schema), encoding="utf-8")
    return schema


def readme(schema: dict[str, Any]) -> str:
    """README.md of an export: how to read it, then every table's columns with type and unit."""
    ext = schema["format"]
    lines = [
        "# hubscan catalog export",
        "",
        f"Exported by hubscan {schema['hubscan_version']} at {schema['exported_at']}: one {ext} file per table"
        + (" (zstd)." if ext == "parquet" else "."),
        f"Units: {schema['units']}. Column types and units are also in `schema.json`.",
        "",
        "```python",
        f"import duckdb; duckdb.sql(\"SELECT * FROM read_{ext}('models.{ext}') LIMIT 5\")",
        f"import pandas as pd; pd.read_{ext}('models.{ext}')",
        "```",
        "",
    ]
    for table, entry in schema["tables"].items():
        lines += [f"## `{table}` ({entry['rows']:,} rows)", "", entry["description"], ""]
        lines += ["| column | type | unit | meaning |", "| --- | --- | --- | --- |"]
        for col in entry["columns"]:
            text = col["description"].replace("|", "\\|")
            lines.append(f"| `{col['name']}` | {col['type']} | {col['unit'] or ''} | {text} |")
        lines.append("")
    return "\n".join(lines)
