"""Named queries over the catalog, shared by the CLI (``hubscan footprint|emissions|sql``) and the pandas API.

Families and their per-family footprint rows are defined in :mod:`hubscan.derive.families`. The derive stage
stores the default rows in ``family_stats``; ``footprint()`` reads them when they are current (same model count)
and no filter or ``--context`` / ``--dtype`` override is asked for; otherwise it computes live with the very
same code. This module only reads.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from hubscan.derive.families import (
    FOOTPRINT_COLUMNS,
    GROUPINGS,
    ROLLUP_COLUMNS,
    bytes_per_param,
    clean_sql,
    footprint_live,
    from_rollup,
    members_current,
    normalise_by,
    quantile_sql,
)
from hubscan.errors import CatalogError, QueryError
from hubscan.report.safe_sql import guarded_execute
from hubscan.store import open_db_read_only

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
WHERE m.id IN (SELECT model_id FROM reported_emissions WHERE emissions_g IS NOT NULL
               UNION SELECT model_id FROM estimated_emissions WHERE verdict IS NOT NULL) {filters}
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
SELECT m.id AS model_id, m.model_type, ROUND(r.emissions_g, 3) AS reported_g,
       ROUND(e.emissions_g_low, 3) AS estimated_g_low, ROUND(e.emissions_g_central, 3) AS estimated_g_central,
       ROUND(e.emissions_g_high, 3) AS estimated_g_high, ROUND(e.ratio, 4) AS ratio, COALESCE(e.verdict, 'not estimated') AS verdict, e.verdict_reason
FROM reported_emissions r
JOIN models m ON m.id = r.model_id
LEFT JOIN estimated_emissions e ON e.model_id = r.model_id
WHERE r.emissions_g IS NOT NULL
  AND (COALESCE(:verdict, '') = '' OR COALESCE(e.verdict, 'not estimated') = :verdict)
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

NOT_ESTIMATED = "not estimated"
VERDICTS = ("consistent", "below", "above", "likely unit error", "not comparable", NOT_ESTIMATED)

NAMED_QUERIES["model_page"] = {
    "title": "One model",
    "description": "Everything the catalog knows about one model (the same as `hubscan show MODEL_ID`): "
    "listing, parameters, footprint at the stored dtype and context, reported emissions with provenance, "
    "the estimate and verdict, lineage and the number of direct derivatives.",
    "params": ["model_id"],
    "sql": """
SELECT m.id AS model_id, m.author, m.sha, m.created_at, m.last_modified, m.downloads, m.likes, m.pipeline_tag,
       m.library_name, m.gated, COALESCE(m.model_type, f.model_type) AS model_type,
       COALESCE(f.params_total, m.safetensors_total, m.gguf_total) AS params_total, f.params_active,
       f.params_embedding, f.params_method, f.params_confidence, f.safetensors_total, f.safetensors_check,
       f.dtype, f.weights_bytes, f.context, f.kv_cache_bytes, f.inference_bytes, m.used_storage AS storage_bytes,
       ROUND(r.emissions_g, 3) AS reported_g, r.found_in, r.source AS reported_source, r.hardware, r.hours,
       r.location, r.completeness, e.method AS estimate_method, ROUND(e.emissions_g_low, 3) AS estimated_g_low,
       ROUND(e.emissions_g_central, 3) AS estimated_g_central, ROUND(e.emissions_g_high, 3) AS estimated_g_high,
       ROUND(e.ratio, 4) AS ratio,
       CASE WHEN e.verdict IS NOT NULL THEN e.verdict WHEN r.emissions_g IS NOT NULL THEN 'not estimated' END
         AS verdict, e.verdict_reason, l.parent_id, l.relation, l.root_id, l.depth, l.root_status,
       (SELECT COUNT(*) FROM lineage c WHERE c.parent_id = m.id AND c.model_id != m.id) AS children
FROM models m
LEFT JOIN footprints f ON f.model_id = m.id
LEFT JOIN lineage l ON l.model_id = m.id
LEFT JOIN reported_emissions r ON r.model_id = m.id
LEFT JOIN estimated_emissions e ON e.model_id = m.id
WHERE m.id = :model_id
""",
}
NAMED_QUERIES["footprint_by_family"]["params"] = ["grouping"]
NAMED_QUERIES["emissions_comparison"]["params"] = ["verdict"]
NAMED_QUERIES["largest_models"]["params"] = ["limit"]
NAMED_QUERIES["fits_in_memory"]["params"] = ["gb"]

CANNED_QUERIES = (
    "footprint_by_family", "emissions_comparison", "largest_models", "fits_in_memory", "model_page",
)  # fmt: skip


def named(db: Database, name: str, **params: Any) -> list[dict]:
    """Run one of ``NAMED_QUERIES`` (missing parameters take their defaults)."""
    sql = NAMED_QUERIES[name]["sql"]
    for key in ("grouping", "verdict", "limit", "gb", "model_id"):
        if f":{key}" in sql:
            params.setdefault(key, "")
    return _rows(db, sql, params)


def _stats_current(db: Database, by: str) -> bool:
    """Stored family rows answer for ``by`` when every model is in them and no member changed since."""
    if not db["family_stats"].exists():
        return False
    stored = db.execute("SELECT SUM(models) FROM family_stats WHERE grouping = ?", [by]).fetchone()[0]
    if stored is None or stored != db.execute("SELECT COUNT(*) FROM models").fetchone()[0]:
        return False
    return members_current(db)


def _task_rows_current(db: Database, by: str) -> bool:
    """The maintained per-task rows answer ``--task`` alone when the stored rows are current and the grouping's
    task rows were built (a catalog migrated since its last derive has none yet)."""
    if not db["family_task_rollup"].exists() or not _stats_current(db, by):
        return False
    return (
        db.execute("SELECT 1 FROM family_task_rollup WHERE grouping = ? LIMIT 1", [by]).fetchone() is not None
    )


def _stored_rows(db: Database, table: str, where: dict, *, context, dtype) -> list[dict]:
    """Stored family rows (``where``: column -> value), biggest families first, at ``dtype``/``context``.
    Whole numbers a REAL column stored come back as integers (``clean_value``, applied in SQL)."""
    columns = ROLLUP_COLUMNS if context or dtype else FOOTPRINT_COLUMNS
    cursor = db.execute(
        f"SELECT {', '.join(clean_sql(column) for column in columns)} FROM {table} WHERE "
        + " AND ".join(f"{column} = :{column}" for column in where)
        + " ORDER BY models DESC, family",
        where,
    )
    stored = [dict(zip(columns, row, strict=True)) for row in cursor]
    if columns is FOOTPRINT_COLUMNS:
        return stored
    return [from_rollup(row, context=context, dtype=dtype) for row in stored]


def footprint(
    db: Database,
    by: str = "model_type",
    author: str | None = None,
    task: str | None = None,
    min_params: float | None = None,
    context: int | None = None,
    dtype: str | None = None,
    sort: str | None = None,
    ascending: bool = False,
) -> list[dict]:
    """Per-family footprint rows (see ``FOOTPRINT_COLUMNS``), biggest families first (or by ``sort``).

    Without a filter the stored, incrementally maintained family rows answer, also at another ``dtype`` or
    ``context`` (they carry per-dtype weights and per-token KV figures); filters aggregate in SQL.
    """
    by = normalise_by(by)
    if dtype:
        bytes_per_param(dtype)
    if sort is not None and sort not in FOOTPRINT_COLUMNS:
        raise QueryError(f"Unknown sort column {sort!r}: use one of {', '.join(FOOTPRINT_COLUMNS)}.")
    filters = {"author": author, "task": task, "min_params": min_params}
    only_task = bool(task) and author is None and min_params is None
    try:
        if not any(v is not None for v in filters.values()) and _stats_current(db, by):
            rows = _stored_rows(db, "family_stats", {"grouping": by}, context=context, dtype=dtype)
        elif only_task and _task_rows_current(db, by):
            where = {"grouping": by, "task": task}
            rows = _stored_rows(db, "family_task_rollup", where, context=context, dtype=dtype)
        else:
            rows = footprint_live(db, by, **filters, context=context, dtype=dtype)
    except sqlite3.DatabaseError as exc:
        raise QueryError(f"Footprint query failed: {exc}") from exc
    return sort_rows(rows, sort, ascending) if sort else rows


def sort_rows(rows: list[dict], column: str, ascending: bool = False) -> list[dict]:
    """Rows by ``column`` (descending unless ``ascending``); unknown values last either way."""
    known = [r for r in rows if r.get(column) is not None]
    unknown = [r for r in rows if r.get(column) is None]
    known.sort(key=lambda r: (r[column], r.get("family") or ""), reverse=not ascending)
    return known + unknown


# --- emissions -----------------------------------------------------------------------------------------


def emissions(
    db: Database, verdict: str | None = None, family: str | None = None, by: str = "model_type"
) -> list[dict]:
    """Per model: reported grams vs the estimated range, ratio, verdict and reason. The models are found
    from the two emissions tables (a few percent of a Hub catalog), not by testing every model."""
    by = normalise_by(by)
    filters, params = "", {}
    if verdict == NOT_ESTIMATED:
        filters += " AND e.verdict IS NULL AND r.emissions_g IS NOT NULL"
    elif verdict:
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
        {"measure": "models in catalog", "value": total, "unit": "count"},
        {"measure": "models with an analysed card", "value": with_card, "unit": "count"},
        {"measure": "models reporting training emissions", "value": reporting, "unit": "count"},
        {"measure": "share of models reporting", "value": round(reporting / total, 6) if total else None,
         "unit": "fraction 0-1"},
        {"measure": "total reported emissions (kg CO2eq)", "value": round(grams / 1000, 3) if grams else 0,
         "unit": "kg CO2eq"},
    ]  # fmt: skip
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
    by_section = _reporting_sections(db)
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


# The reporting models' totals by family, by year and by task: (section, column name, key over models m and
# footprints f).
REPORTING_SECTIONS = (
    ("by_family", "family", GROUPINGS["model_type"]),
    ("by_year", "year", "COALESCE(substr(m.created_at, 1, 4), 'unknown')"),
    ("by_task", "task", GROUPINGS["pipeline_tag"]),
)
_REPORTING_SUMS = ("reporting_models", "reported_g_total", "reported_g_min", "reported_g_max")


def _reporting_sections(db: Database) -> dict[str, list[dict]]:
    """Per family, year and task: reporting models and their reported grams (total, least, greatest), biggest
    total first. The reporting models are joined with their listing once (a materialised CTE), not once per
    section: the lookups, not the sums, are the cost in a large catalog."""
    materialized = "MATERIALIZED" if sqlite3.sqlite_version_info >= (3, 35) else ""  # (older: same rows)
    keys = ", ".join(f"{key} AS k{i}" for i, (_, _, key) in enumerate(REPORTING_SECTIONS))
    parts = " UNION ALL ".join(
        f"SELECT {i} AS section, k{i} AS k, COUNT(*) AS reporting_models, SUM(g) AS reported_g_total, "
        f"MIN(g) AS reported_g_min, MAX(g) AS reported_g_max FROM reporting GROUP BY k{i}"
        for i in range(len(REPORTING_SECTIONS))
    )
    sql = f"""
WITH reporting AS {materialized} (
  SELECT {keys}, r.emissions_g AS g FROM reported_emissions r JOIN models m ON m.id = r.model_id
  LEFT JOIN footprints f ON f.model_id = m.id WHERE r.emissions_g IS NOT NULL
)
SELECT * FROM ({parts}) ORDER BY section, reported_g_total DESC"""
    sections = {name: [] for name, _, _ in REPORTING_SECTIONS}
    for section, key, *sums in db.execute(sql):
        name, label, _ = REPORTING_SECTIONS[section]
        sections[name].append(dict(zip((label, *_REPORTING_SUMS), (key, *sums), strict=True)))
    return sections


def _median_ratio_by_verdict(db: Database) -> dict[str, float]:
    """Median reported/estimated ratio per verdict, computed in SQLite (one window pass)."""
    sql = quantile_sql(
        "COALESCE(verdict, 'not estimated')",
        "ratio",
        "estimated_emissions",
        "WHERE reported_g IS NOT NULL",
        {"median": 0.5},
    )
    return {verdict: float(median) for verdict, median in db.execute(sql)}


# --- read-only SQL -------------------------------------------------------------------------------------


def run_sql(db_path: str | Path, sql: str, params: Any = ()) -> tuple[list[str], list[tuple]]:
    """Run ``sql`` on a read-only connection: SQLite refuses any write (no string checks here)."""
    db = open_db_read_only(db_path)
    try:
        return guarded_execute(db.conn, sql, params)  # authorizer + time limit (report/safe_sql.py)
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
