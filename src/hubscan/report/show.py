"""``hubscan show MODEL_ID``: one model's page — listing, parameters, footprint, reported and estimated
emissions, verdict and lineage — gathered from the catalog tables (read-only).

Each section is a dict of column → value (raw numbers, as in ``--json``); ``show_sections`` turns it into
``field / value`` rows whose values the table renderer formats with the unit declared for that column in
``hubscan.store.columns``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sqlite_utils import Database

from hubscan.errors import QueryError

# section -> (table, columns)
SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "listing": ("models", (
        "id", "author", "sha", "created_at", "last_modified", "downloads", "downloads_all_time", "likes",
        "pipeline_tag", "library_name", "model_type", "gated", "tags", "used_storage", "first_seen_run",
        "last_seen_run",
    )),
    "parameters": ("footprints", (
        "params_total", "params_active", "params_embedding", "params_non_embedding", "params_method",
        "params_confidence", "params_reason", "safetensors_total", "safetensors_delta_pct", "safetensors_check",
        "safetensors_note",
    )),
    "footprint": ("footprints", (
        "dtype", "weights_bytes", "context", "kv_bytes_per_token", "kv_cache_bytes", "inference_bytes",
        "training_bytes", "flops_per_token",
    )),
    "reported_emissions": ("reported_emissions", (
        "emissions_g", "raw", "unit_raw", "found_in", "confidence", "source", "training_type", "location",
        "hardware", "hours", "cloud_provider", "compute_region", "hardware_device", "hardware_count",
        "completeness", "flags",
    )),
    "estimated_emissions": ("estimated_emissions", (
        "method", "estimable", "missing", "emissions_g_low", "emissions_g_central", "emissions_g_high",
        "energy_kwh_central", "reported_g", "ratio", "verdict", "verdict_reason",
    )),
    "lineage": ("lineage", ("parent_id", "relation", "root_id", "depth", "root_status")),
}  # fmt: skip
KEY = {"models": "id"}
JSON_COLUMNS = {"tags", "flags", "missing"}


def _row(db: Database, table: str, columns: tuple[str, ...], model_id: str) -> dict | None:
    cursor = db.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {KEY.get(table, 'model_id')} = ?", [model_id]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    out = dict(zip(columns, row, strict=True))
    for column in JSON_COLUMNS & set(out):
        if isinstance(out[column], str):
            with contextlib.suppress(ValueError):
                out[column] = json.loads(out[column])
    return out


def model_page(db: Database, model_id: str) -> dict[str, Any]:
    """Everything the catalog knows about one model, by section (``None`` for a section with no data)."""
    page: dict[str, Any] = {"model_id": model_id}
    for section, (table, columns) in SECTIONS.items():
        page[section] = _row(db, table, columns, model_id)
    if page["listing"] is None:
        raise QueryError(
            f"{model_id} is not in the catalog. Check the id (owner/name, case-sensitive) or crawl it first; "
            "`hubscan sql \"SELECT id FROM models WHERE id LIKE '%name%'\"` finds similar ids."
        )
    base = db.execute("SELECT base_models FROM models WHERE id = ?", [model_id]).fetchone()[0]
    lineage = page["lineage"] or {}
    lineage["base_models"] = (json.loads(base) or {}).get("models", []) if base else []
    lineage["children"] = db.execute(
        "SELECT COUNT(*) FROM lineage WHERE parent_id = ? AND model_id != ?", [model_id, model_id]
    ).fetchone()[0]
    lineage["descendants"] = _descendants(db, model_id)
    page["lineage"] = lineage
    return page


def _descendants(db: Database, model_id: str) -> int:
    """Models whose chain of first bases passes through ``model_id`` (children, their children, ...)."""
    return db.execute(
        """WITH RECURSIVE down(id) AS (
               SELECT model_id FROM lineage WHERE parent_id = :m AND model_id != :m
               UNION SELECT l.model_id FROM lineage l JOIN down d ON l.parent_id = d.id
           ) SELECT COUNT(*) FROM down WHERE id != :m""",
        {"m": model_id},
    ).fetchone()[0]


def show_sections(page: dict[str, Any]) -> dict[str, list[dict]]:
    """The page as titled ``field / value`` tables; each row names the catalog column it shows (for units)."""
    out = {}
    for section, (table, _columns) in SECTIONS.items():
        values = page.get(section)
        if not values:
            out[section] = [{"field": "(none)", "value": "no data in the catalog", "column": None}]
            continue
        rows = []
        for name, value in values.items():
            if value is None or value == []:
                continue
            if isinstance(value, (list, dict)):
                value = ", ".join(map(str, value)) if isinstance(value, list) else json.dumps(value)
            rows.append({"field": name, "value": value, "column": f"{table}.{name}"})
        out[section] = rows
    return out
