"""Families: every model belongs to exactly one family per grouping, and per-family footprint rows.

A model whose key is not known is counted in the explicit ``unknown`` family. In the ``lineage`` grouping the
family is the root of the model's base-model chain (see :mod:`hubscan.derive.lineage`); models that have no base
and that nobody derives from are counted together in the ``standalone`` family rather than as a million
families of one.

The derive stage stores the default rows (``family_stats_rows``) through the writer; ``hubscan.report.query``
reads them, or computes live with the very same code when a filter or override is asked for.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sqlite_utils import Database

from hubscan.errors import ParseError, QueryError
from hubscan.estimate import memory as mem

GROUPINGS: dict[str, str] = {
    "model_type": "COALESCE(NULLIF(m.model_type, ''), NULLIF(f.model_type, ''), 'unknown')",
    "lineage": (
        "CASE WHEN l.model_id IS NULL THEN 'unknown' "
        "WHEN l.root_status = 'root' AND NOT EXISTS (SELECT 1 FROM lineage c WHERE c.parent_id = m.id) "
        "THEN 'standalone' ELSE l.root_id END"
    ),
    "author": (
        "COALESCE(NULLIF(m.author, ''), CASE WHEN instr(m.id, '/') > 0 "
        "THEN substr(m.id, 1, instr(m.id, '/') - 1) END, 'unknown')"
    ),
    "pipeline_tag": "COALESCE(NULLIF(m.pipeline_tag, ''), 'unknown')",
    "library": "COALESCE(NULLIF(m.library_name, ''), 'unknown')",
}
ALIASES = {
    "task": "pipeline_tag",
    "library_name": "library",
    "architecture": "model_type",
    "family": "lineage",
}

# The stored per-dtype weight columns are used where they exist; other dtypes scale the parameter count.
STORED_DTYPE_COLUMN = {
    "fp32": "weights_bytes_fp32", "float32": "weights_bytes_fp32", "bf16": "weights_bytes_bf16",
    "bfloat16": "weights_bytes_bf16", "fp16": "weights_bytes_bf16", "float16": "weights_bytes_bf16",
    "int8": "weights_bytes_int8", "int4": "weights_bytes_int4",
}  # fmt: skip

# Column order of a footprint row (also the family_stats table's columns after ``grouping``).
FOOTPRINT_COLUMNS = [
    "family", "models", "models_with_params", "params_p10", "params_median", "params_p90", "params_max",
    "params_total", "params_active_median", "params_active_total", "dtype", "weights_bytes_median",
    "weights_bytes_total", "context", "kv_cache_bytes_median", "kv_cache_bytes_max", "storage_bytes_total",
    "downloads_total", "models_with_downloads", "reporting_models", "reporting_share",
    "finetunes", "adapters", "quantized", "merges",
]  # fmt: skip

# A family total is unknown (None), not 0, when none of its models has a value for it.
SUM_COUNTS = {
    "params_total": "params",
    "params_active_total": "params_active",
    "weights_bytes_total": "weights_bytes",
    "storage_bytes_total": "storage_bytes",
    "downloads_total": "downloads",
}

MEMBERS_SQL = """
SELECT {family} AS family, m.id AS model_id,
       COALESCE(f.params_total, m.safetensors_total, m.gguf_total) AS params,
       f.params_active AS params_active, {weights} AS weights_bytes, {kv} AS kv_cache_bytes,
       m.used_storage AS storage_bytes, m.downloads AS downloads,
       (r.emissions_g IS NOT NULL) AS reporting, l.relation AS relation
FROM models m
LEFT JOIN footprints f ON f.model_id = m.id
LEFT JOIN lineage l ON l.model_id = m.id
LEFT JOIN reported_emissions r ON r.model_id = m.id
{where}
"""


def normalise_by(by: str) -> str:
    key = ALIASES.get(by, by)
    if key not in GROUPINGS:
        raise QueryError(f"Unknown grouping {by!r}: use one of {', '.join(GROUPINGS)}.")
    return key


def bytes_per_param(dtype: str) -> float:
    """Bytes per parameter of a dtype spelling (``--dtype``); raises QueryError if unknown."""
    try:
        return mem.DTYPE_BYTES[mem.normalize_dtype(dtype)]
    except ParseError as exc:
        raise QueryError(str(exc)) from exc


def members_sql(
    by: str,
    *,
    author: str | None = None,
    task: str | None = None,
    min_params: float | None = None,
    context: int | None = None,
    dtype: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """SQL (and parameters) for one row per model: its family and the numbers the footprint aggregates."""
    params: dict[str, Any] = {}
    if dtype:
        bpp = bytes_per_param(dtype)
        column = STORED_DTYPE_COLUMN.get(dtype.lower())
        from_params = f"COALESCE(f.params_total, m.safetensors_total, m.gguf_total) * {bpp!r}"
        weights = f"COALESCE(f.{column}, {from_params})" if column else from_params
    else:
        weights = "f.weights_bytes"
    if context:
        kv = "f.kv_bytes_per_token * :context"
        params["context"] = int(context)
    else:
        kv = "f.kv_cache_bytes"
    clauses = []
    if author:
        clauses.append("m.author = :author")
        params["author"] = author
    if task:
        clauses.append("m.pipeline_tag = :task")
        params["task"] = task
    if min_params is not None:
        clauses.append("COALESCE(f.params_total, m.safetensors_total, m.gguf_total) >= :min_params")
        params["min_params"] = min_params
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = MEMBERS_SQL.format(family=GROUPINGS[by], weights=weights, kv=kv, where=where)
    return sql, params


def _group_quantiles(codes: np.ndarray, values: np.ndarray, n_groups: int, qs: tuple[float, ...]) -> list:
    """Per-group linear-interpolated quantiles (numpy's default method) of ``values``, NaN ignored."""
    ok = ~np.isnan(values)
    v, g = values[ok], codes[ok]
    order = np.lexsort((v, g))
    v = v[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    out = []
    for q in qs:
        result = np.full(n_groups, np.nan)
        pos = (counts[has] - 1) * q
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        s = starts[has]
        result[has] = v[s + lo] + (v[s + hi] - v[s + lo]) * (pos - lo)
        out.append(result)
    return out


def _gsum(codes: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    return np.bincount(codes, weights=np.nan_to_num(values), minlength=n)


def _gcount(codes: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    return np.bincount(codes, weights=~np.isnan(values), minlength=n)


def _gmax(codes: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    out = np.full(n, -np.inf)
    ok = ~np.isnan(values)
    np.maximum.at(out, codes[ok], values[ok])
    out[np.isinf(out)] = np.nan
    return out


def aggregate_members(frame: pd.DataFrame, *, context: int | None, dtype: str | None) -> list[dict]:
    """Per-family footprint rows from per-model members (one row each), biggest families first."""
    if frame.empty:
        return []
    codes, families = pd.factorize(frame["family"], sort=True)
    n = len(families)
    num = {
        c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
        for c in (
            "params",
            "params_active",
            "weights_bytes",
            "kv_cache_bytes",
            "storage_bytes",
            "downloads",
            "reporting",
        )
    }

    models = np.bincount(codes, minlength=n)
    p10, p50, p90 = _group_quantiles(codes, num["params"], n, (0.1, 0.5, 0.9))
    (active_med,) = _group_quantiles(codes, num["params_active"], n, (0.5,))
    (weights_med,) = _group_quantiles(codes, num["weights_bytes"], n, (0.5,))
    (kv_med,) = _group_quantiles(codes, num["kv_cache_bytes"], n, (0.5,))
    relation = frame["relation"].to_numpy()
    rel_counts = {
        name: np.bincount(codes[relation == rel], minlength=n)
        for name, rel in (
            ("finetunes", "finetune"),
            ("adapters", "adapter"),
            ("quantized", "quantized"),
            ("merges", "merge"),
        )
    }
    columns = {
        "family": list(families),
        "models": models,
        "models_with_params": _gcount(codes, n, num["params"]),
        "params_p10": p10,
        "params_median": p50,
        "params_p90": p90,
        "params_max": _gmax(codes, n, num["params"]),
        "params_total": _gsum(codes, n, num["params"]),
        "params_active_median": active_med,
        "params_active_total": _gsum(codes, n, num["params_active"]),
        "dtype": [dtype or "stored"] * n,
        "weights_bytes_median": weights_med,
        "weights_bytes_total": _gsum(codes, n, num["weights_bytes"]),
        "context": [context or "stored"] * n,
        "kv_cache_bytes_median": kv_med,
        "kv_cache_bytes_max": _gmax(codes, n, num["kv_cache_bytes"]),
        "storage_bytes_total": _gsum(codes, n, num["storage_bytes"]),
        "downloads_total": _gsum(codes, n, num["downloads"]),
        "models_with_downloads": _gcount(codes, n, num["downloads"]),
        "reporting_models": _gsum(codes, n, num["reporting"]),
        **rel_counts,
    }
    columns["reporting_share"] = columns["reporting_models"] / models
    counts = {c: _gcount(codes, n, num[c]) for c in set(SUM_COUNTS.values())}
    rows = []
    for i in range(n):
        row = {}
        for key in FOOTPRINT_COLUMNS:
            row[key] = clean_value(columns[key][i])
        # Totals of a family with no known value are unknown, not zero.
        for total, counted in SUM_COUNTS.items():
            if not counts[counted][i]:
                row[total] = None
        rows.append(row)
    rows.sort(key=lambda r: (-r["models"], r["family"]))
    return rows


def clean_value(value: Any) -> Any:
    """numpy scalars → plain Python; whole floats → int; NaN → None."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**63:
            return int(value)
        return value
    return value


def footprint_live(db: Database, by: str, **options: Any) -> list[dict]:
    sql, params = members_sql(by, **options)
    frame = pd.read_sql_query(sql, db.conn, params=params)
    return aggregate_members(frame, context=options.get("context"), dtype=options.get("dtype"))


def family_stats_rows(db: Database) -> list[tuple]:
    """``family_stats`` rows for every grouping (no filters, stored dtype/context): (grouping, *columns)."""
    rows = []
    for by in GROUPINGS:
        for row in footprint_live(db, by):
            rows.append((by, *(row[c] for c in FOOTPRINT_COLUMNS)))
    return rows
