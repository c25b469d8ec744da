"""Named queries over the catalog, shared by the CLI (``hubscan footprint|emissions|sql``) and the pandas API.

Families: every model belongs to exactly one family per grouping (``GROUPINGS``); a model whose key is not
known is counted in the explicit ``unknown`` family. In the ``lineage`` grouping the family is the root of
the model's base-model chain (see ``hubscan.lineage``); models that have no base and that nobody derives
from are counted together in the ``standalone`` family rather than as a million families of one.

Speed: the per-model join over a million models takes seconds in SQLite, so ``refresh_family_stats`` (run
by ``resolve_lineage`` at the end of every derive) stores the default per-family rows in ``family_stats``.
``footprint()`` reads them when they are current (same model count) and no filter or ``--context`` /
``--dtype`` override is asked for; otherwise it computes live with the very same code.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlite_utils import Database

from hubscan.errors import CatalogError, HubscanError
from hubscan.store import open_db_read_only

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

# Bytes per parameter for --dtype; the stored per-dtype weight columns are used where they exist.
BYTES_PER_PARAM = {
    "fp32": 4.0, "float32": 4.0, "fp16": 2.0, "float16": 2.0, "bf16": 2.0, "bfloat16": 2.0,
    "fp8": 1.0, "int8": 1.0, "int4": 0.5, "fp4": 0.5, "nf4": 0.5,
}  # fmt: skip
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

# Named queries: the SQL every consumer (CLI, pandas API, Datasette canned queries) shares.
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

NAMED_QUERIES: dict[str, dict[str, Any]] = {
    "models": {
        "title": "Models with their footprint",
        "sql": """
SELECT m.id AS model_id, m.author, m.model_type, m.pipeline_tag, m.library_name, m.downloads, m.likes,
       m.created_at, COALESCE(f.params_total, m.safetensors_total, m.gguf_total) AS params,
       f.params_active, f.dtype, f.weights_bytes, f.context, f.kv_cache_bytes, f.inference_bytes,
       m.used_storage AS storage_bytes, l.parent_id, l.relation, l.root_id, l.depth, l.root_status,
       r.emissions_g AS reported_g, r.completeness
FROM models m
LEFT JOIN footprints f ON f.model_id = m.id
LEFT JOIN lineage l ON l.model_id = m.id
LEFT JOIN reported_emissions r ON r.model_id = m.id
ORDER BY m.id
""",
    },
    "emissions": {
        "title": "Reported vs estimated training emissions, per model",
        "sql": """
SELECT m.id AS model_id, {family} AS family, r.emissions_g AS reported_g, r.completeness, r.found_in,
       e.method, e.emissions_g_low AS estimated_g_low, e.emissions_g_central AS estimated_g_central,
       e.emissions_g_high AS estimated_g_high, e.ratio, e.verdict, e.verdict_reason
FROM models m
LEFT JOIN footprints f ON f.model_id = m.id
LEFT JOIN lineage l ON l.model_id = m.id
LEFT JOIN reported_emissions r ON r.model_id = m.id
LEFT JOIN estimated_emissions e ON e.model_id = m.id
WHERE (r.emissions_g IS NOT NULL OR e.verdict IS NOT NULL) {filters}
ORDER BY m.id
""",
    },
    "footprint_by_family": {
        "title": "Footprint by family",
        "description": "Per family (grouping: model_type, lineage, author, pipeline_tag or library; default "
        "model_type): models, parameters in billions (B = 10^9; p10/median/p90/max/total), weight memory and KV "
        "cache in GB (10^9 bytes) at each model's stored dtype and the stored context (4,096 tokens unless derived with --context), Hub storage (GB), downloads "
        "and the share of models reporting emissions (%). Same rows as `hubscan footprint --by GROUPING`; "
        "stored by the last derive (empty after a crawl run with --no-derive until `hubscan derive`).",
        "sql": """
SELECT family, models, ROUND(params_median / 1e9, 3) AS params_median_B, ROUND(params_p10 / 1e9, 3) AS params_p10_B,
       ROUND(params_p90 / 1e9, 3) AS params_p90_B, ROUND(params_max / 1e9, 3) AS params_max_B,
       ROUND(params_total / 1e9, 3) AS params_total_B, ROUND(params_active_median / 1e9, 3) AS params_active_median_B,
       ROUND(weights_bytes_median / 1e9, 3) AS weights_median_GB, ROUND(kv_cache_bytes_median / 1e9, 3) AS kv_cache_median_GB,
       ROUND(storage_bytes_total / 1e9, 3) AS storage_total_GB, downloads_total, reporting_models,
       ROUND(100.0 * reporting_share, 1) AS reporting_pct, finetunes, adapters, quantized, merges
FROM family_stats
WHERE grouping = COALESCE(NULLIF(:grouping, ''), 'model_type')
ORDER BY models DESC, family
""",
    },
    "emissions_comparison": {
        "title": "Emissions: reported vs estimated",
        "description": "Models whose card reports training emissions, with the estimate (g CO2eq, low/central/"
        "high), ratio reported/central, verdict and reason. Optional verdict filter.",
        "sql": """
SELECT m.id AS model_id, m.model_type, r.emissions_g AS reported_g, e.emissions_g_low AS estimated_g_low,
       e.emissions_g_central AS estimated_g_central, e.emissions_g_high AS estimated_g_high,
       ROUND(e.ratio, 4) AS ratio, COALESCE(e.verdict, 'not estimated') AS verdict, e.verdict_reason
FROM reported_emissions r
JOIN models m ON m.id = r.model_id
LEFT JOIN estimated_emissions e ON e.model_id = r.model_id
WHERE r.emissions_g IS NOT NULL AND (COALESCE(:verdict, '') = '' OR e.verdict = :verdict)
ORDER BY (e.verdict IS NULL), e.verdict, r.emissions_g DESC
""",
    },
    "largest_models": {
        "title": "Largest models",
        "description": "Models by total parameters, largest first (default 100 rows).",
        "sql": """
SELECT f.model_id, f.model_type, f.params_total, f.params_active, f.dtype, f.weights_bytes, m.downloads
FROM footprints f JOIN models m ON m.id = f.model_id
WHERE f.params_total IS NOT NULL
ORDER BY f.params_total DESC
LIMIT COALESCE(NULLIF(:limit, ''), 100)
""",
    },
    "fits_in_memory": {
        "title": "Models that fit in N GB",
        "description": "Models whose inference memory (weights + KV cache at their context + overhead) fits in "
        "N GB (decimal, default 24), largest first.",
        "sql": """
SELECT f.model_id, f.model_type, f.params_total, f.dtype, f.weights_bytes, f.context, f.kv_cache_bytes,
       f.inference_bytes, m.downloads
FROM footprints f JOIN models m ON m.id = f.model_id
WHERE f.inference_bytes IS NOT NULL
  AND f.inference_bytes <= CAST(COALESCE(NULLIF(:gb, ''), 24) AS REAL) * 1e9
ORDER BY f.inference_bytes DESC
LIMIT 1000
""",
    },
}

CANNED_QUERIES = ("footprint_by_family", "emissions_comparison", "largest_models", "fits_in_memory")


def named(db: Database, name: str, **params: Any) -> list[dict]:
    """Run one of ``NAMED_QUERIES`` (missing parameters take their defaults)."""
    sql = NAMED_QUERIES[name]["sql"]
    for key in ("grouping", "verdict", "limit", "gb"):
        if f":{key}" in sql:
            params.setdefault(key, "")
    return _rows(db, sql, params)


class QueryError(HubscanError):
    """A query was refused or failed (bad SQL, a write on the read-only catalog, an unknown grouping)."""


def normalise_by(by: str) -> str:
    key = ALIASES.get(by, by)
    if key not in GROUPINGS:
        raise QueryError(f"Unknown grouping {by!r}: use one of {', '.join(GROUPINGS)}.")
    return key


def _bytes_per_param(dtype: str) -> float:
    key = dtype.lower()
    if key not in BYTES_PER_PARAM:
        raise QueryError(f"Unknown dtype {dtype!r}: use one of {', '.join(sorted(set(BYTES_PER_PARAM)))}.")
    return BYTES_PER_PARAM[key]


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
        bpp = _bytes_per_param(dtype)
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

    def gsum(values):
        return np.bincount(codes, weights=np.nan_to_num(values), minlength=n)

    def gcount(values):
        return np.bincount(codes, weights=~np.isnan(values), minlength=n)

    def gmax(values):
        out = np.full(n, -np.inf)
        ok = ~np.isnan(values)
        np.maximum.at(out, codes[ok], values[ok])
        out[np.isinf(out)] = np.nan
        return out

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
        "models_with_params": gcount(num["params"]),
        "params_p10": p10,
        "params_median": p50,
        "params_p90": p90,
        "params_max": gmax(num["params"]),
        "params_total": gsum(num["params"]),
        "params_active_median": active_med,
        "params_active_total": gsum(num["params_active"]),
        "dtype": [dtype or "stored"] * n,
        "weights_bytes_median": weights_med,
        "weights_bytes_total": gsum(num["weights_bytes"]),
        "context": [context or "stored"] * n,
        "kv_cache_bytes_median": kv_med,
        "kv_cache_bytes_max": gmax(num["kv_cache_bytes"]),
        "storage_bytes_total": gsum(num["storage_bytes"]),
        "downloads_total": gsum(num["downloads"]),
        "models_with_downloads": gcount(num["downloads"]),
        "reporting_models": gsum(num["reporting"]),
        **rel_counts,
    }
    columns["reporting_share"] = columns["reporting_models"] / models
    counts = {c: gcount(num[c]) for c in set(SUM_COUNTS.values())}
    rows = []
    for i in range(n):
        row = {}
        for key in FOOTPRINT_COLUMNS:
            row[key] = _clean(columns[key][i])
        # Totals of a family with no known value are unknown, not zero.
        for total, counted in SUM_COUNTS.items():
            if not counts[counted][i]:
                row[total] = None
        rows.append(row)
    rows.sort(key=lambda r: (-r["models"], r["family"]))
    return rows


def _clean(value: Any) -> Any:
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


def _stats_current(db: Database, by: str) -> bool:
    if not db["family_stats"].exists():
        return False
    stored = db.execute("SELECT SUM(models) FROM family_stats WHERE grouping = ?", [by]).fetchone()[0]
    return stored is not None and stored == db.execute("SELECT COUNT(*) FROM models").fetchone()[0]


def footprint(
    db: Database,
    by: str = "model_type",
    author: str | None = None,
    task: str | None = None,
    min_params: float | None = None,
    context: int | None = None,
    dtype: str | None = None,
) -> list[dict]:
    """Per-family footprint rows (see ``FOOTPRINT_COLUMNS``), biggest families first."""
    by = normalise_by(by)
    if dtype:
        _bytes_per_param(dtype)
    options = {"author": author, "task": task, "min_params": min_params, "context": context, "dtype": dtype}
    try:
        if not any(v is not None for v in options.values()) and _stats_current(db, by):
            cursor = db.execute(
                f"SELECT {', '.join(FOOTPRINT_COLUMNS)} FROM family_stats WHERE grouping = ? "
                "ORDER BY models DESC, family",
                [by],
            )
            return [{k: _clean(v) for k, v in zip(FOOTPRINT_COLUMNS, row, strict=True)} for row in cursor]
        return footprint_live(db, by, **options)
    except sqlite3.DatabaseError as exc:
        raise QueryError(f"Footprint query failed: {exc}") from exc


def refresh_family_stats(db: Database) -> int:
    """Recompute ``family_stats`` for every grouping (no filters, stored dtype/context). Returns rows."""
    rows = []
    for by in GROUPINGS:
        for row in footprint_live(db, by):
            rows.append((by, *(row[c] for c in FOOTPRINT_COLUMNS)))
    placeholders = ", ".join("?" * (len(FOOTPRINT_COLUMNS) + 1))
    with db.conn:
        db.execute("DELETE FROM family_stats")
        db.conn.executemany(
            f"INSERT INTO family_stats (grouping, {', '.join(FOOTPRINT_COLUMNS)}) VALUES ({placeholders})",
            rows,
        )
    return len(rows)


# --- emissions -----------------------------------------------------------------------------------------


def emissions(
    db: Database, verdict: str | None = None, family: str | None = None, by: str = "model_type"
) -> list[dict]:
    """Per model: reported grams vs the estimated range, ratio, verdict and reason."""
    by = normalise_by(by)
    filters, params = "", {}
    if verdict:
        filters += " AND e.verdict = :verdict"
        params["verdict"] = verdict
    if family:
        filters += f" AND ({GROUPINGS[by]}) = :family"
        params["family"] = family
    sql = NAMED_QUERIES["emissions"]["sql"].format(family=GROUPINGS[by], filters=filters)
    try:
        cursor = db.execute(sql, params)
    except sqlite3.DatabaseError as exc:
        raise QueryError(f"Emissions query failed: {exc}") from exc
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def _rows(db: Database, sql: str, params: Any = ()) -> list[dict]:
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def emissions_summary(db: Database) -> dict[str, list[dict]]:
    """The Hub-mining emissions analysis, as named sections of rows (each renderable as a table)."""
    total = db.execute("SELECT COUNT(*) FROM models").fetchone()[0]
    with_card = db.execute("SELECT COUNT(*) FROM reported_emissions").fetchone()[0]
    reporting = db.execute(
        "SELECT COUNT(*) FROM reported_emissions WHERE emissions_g IS NOT NULL"
    ).fetchone()[0]
    grams = db.execute("SELECT SUM(emissions_g) FROM reported_emissions").fetchone()[0]
    overview = [
        {"measure": "models in catalog", "value": total},
        {"measure": "models with an analysed card", "value": with_card},
        {"measure": "models reporting training emissions", "value": reporting},
        {"measure": "share of models reporting", "value": round(reporting / total, 6) if total else None},
        {"measure": "total reported emissions (kg CO2eq)", "value": round(grams / 1000, 3) if grams else 0},
    ]
    completeness = _rows(
        db,
        """SELECT COALESCE(completeness, 'none') AS completeness, COUNT(*) AS models,
                  SUM(emissions_g IS NOT NULL) AS with_value, SUM(emissions_g) AS reported_g
           FROM reported_emissions GROUP BY 1 ORDER BY models DESC""",
    )
    no_card = total - with_card
    if no_card:
        completeness.append(
            {"completeness": "no card", "models": no_card, "with_value": 0, "reported_g": None}
        )
    by_section = {}
    for name, label, key in (
        ("by_family", "family", GROUPINGS["model_type"]),
        ("by_year", "year", "COALESCE(substr(m.created_at, 1, 4), 'unknown')"),
        ("by_task", "task", GROUPINGS["pipeline_tag"]),
    ):
        by_section[name] = _rows(
            db,
            f"""SELECT {key} AS {label}, COUNT(*) AS reporting_models, SUM(r.emissions_g) AS reported_g_total,
                       MIN(r.emissions_g) AS reported_g_min, MAX(r.emissions_g) AS reported_g_max
                FROM reported_emissions r JOIN models m ON m.id = r.model_id
                LEFT JOIN footprints f ON f.model_id = m.id
                WHERE r.emissions_g IS NOT NULL GROUP BY 1 ORDER BY reported_g_total DESC""",
        )
    medians = _median_ratio_by_verdict(db)
    comparison = _rows(
        db,
        """SELECT COALESCE(e.verdict, 'not estimated') AS verdict, COUNT(*) AS models,
                  SUM(r.emissions_g) AS reported_g_total, SUM(e.emissions_g_central) AS estimated_g_total
           FROM reported_emissions r LEFT JOIN estimated_emissions e ON e.model_id = r.model_id
           WHERE r.emissions_g IS NOT NULL GROUP BY 1 ORDER BY models DESC""",
    )
    for row in comparison:
        row["median_ratio"] = medians.get(row["verdict"])
    return {
        "overview": overview,
        "completeness": completeness,
        **by_section,
        "reported_vs_estimated": comparison,
    }


def _median_ratio_by_verdict(db: Database) -> dict[str, float]:
    out = {}
    frame = pd.read_sql_query(
        "SELECT COALESCE(verdict, 'not estimated') AS verdict, ratio FROM estimated_emissions "
        "WHERE reported_g IS NOT NULL AND ratio IS NOT NULL",
        db.conn,
    )
    for verdict, group in frame.groupby("verdict"):
        out[verdict] = float(group["ratio"].median())
    return out


# --- read-only SQL -------------------------------------------------------------------------------------


def run_sql(db_path: str | Path, sql: str, params: Any = ()) -> tuple[list[str], list[tuple]]:
    """Run ``sql`` on a read-only connection: SQLite refuses any write (no string checks here)."""
    db = open_db_read_only(db_path)
    try:
        cursor = db.conn.execute(sql, params)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return columns, cursor.fetchall()
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "readonly" in text.replace(" ", "").lower() or "query_only" in text.lower():
            raise QueryError(
                f"Refused: the catalog is opened read-only and this statement writes ({exc}). "
                "`hubscan sql` only reads; change the catalog with hubscan crawl/derive."
            ) from exc
        raise QueryError(f"SQL error: {exc}") from exc
    except sqlite3.Error as exc:
        raise QueryError(f"SQL error: {exc}") from exc
    except sqlite3.Warning as exc:
        raise QueryError(f"SQL error: {exc}") from exc
    finally:
        db.close()


def open_catalog(path: str | Path) -> Database:
    """Open an existing catalog read-only for querying (clear error when missing or not a catalog)."""
    db = open_db_read_only(path)
    try:
        db.execute("SELECT 1 FROM models LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise CatalogError(f"{path} is not a hubscan catalog ({exc}).") from exc
    return db
