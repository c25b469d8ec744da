"""Derived tables, recomputed from stored raw data: footprints, reported and estimated emissions, lineage.

The crawl calls ``derive_models`` for each page it stores; ``hubscan derive`` calls ``derive_all`` to
recompute everything offline (e.g. after an estimator upgrade). Raw data is never modified here.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from hubscan.derive.families import maintain_family_stats
from hubscan.derive.lineage import resolve_lineage
from hubscan.derive.performance import derive_card_facts
from hubscan.derive.rows import estimated_row, footprint_row, reported_row
from hubscan.estimate.emissions import estimate_for_model
from hubscan.estimate.footprint import analyze_config, footprint_from_listing
from hubscan.parse.card import analyze_card
from hubscan.store import derived as store_derived

BATCH = 500


def derive_models(
    db: Database, model_ids: list[str] | None = None, *, context: int = 4096, use_transformers: bool = False
) -> int:
    """Recompute derived rows for ``model_ids`` (all models when None). Returns how many were derived.

    Streams: models are read, derived and stored ``BATCH`` at a time (all models: keyset pages over the id),
    so memory stays flat however large the catalog.
    """
    derived = 0
    for rows in _model_chunks(db, model_ids):
        derived += _derive_chunk(db, rows, context=context, use_transformers=use_transformers)
    return derived


_MODEL_SQL = """
    SELECT m.id, m.safetensors_total, m.safetensors_parameters, c.status, c.raw, k.card_data, k.body
    FROM models m LEFT JOIN configs c ON c.model_id = m.id LEFT JOIN cards k ON k.model_id = m.id
"""


def _model_chunks(db: Database, model_ids: list[str] | None):
    if model_ids is not None:
        for start in range(0, len(model_ids), BATCH):
            chunk = model_ids[start : start + BATCH]
            yield db.execute(_MODEL_SQL + f" WHERE m.id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        return
    last = ""
    while True:
        rows = db.execute(_MODEL_SQL + " WHERE m.id > ? ORDER BY m.id LIMIT ?", [last, BATCH]).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _derive_chunk(db: Database, rows: list[tuple], *, context: int, use_transformers: bool) -> int:
    footprints, reported_rows, estimated_rows = [], [], []
    for model_id, st_total, st_params, config_status, raw, card_data, body in rows:
        footprint = None
        if config_status == "ok":
            footprint = analyze_config(
                json.loads(raw),
                context=context,
                safetensors_total=st_total,
                safetensors_parameters=json.loads(st_params) if st_params else None,
                use_transformers=use_transformers,
            )
            footprints.append(footprint_row(model_id, footprint))
        elif config_status is None and st_total is not None:
            # No config.json read (a --listing-only crawl): the listing's stored count is the footprint.
            footprint = footprint_from_listing(st_total, json.loads(st_params) if st_params else None)
            footprints.append(footprint_row(model_id, footprint))
        reported = None
        if card_data is not None or body is not None:
            reported = analyze_card(body, card_data=json.loads(card_data) if card_data else None)
            reported_rows.append(reported_row(model_id, reported))
        if reported is not None or footprint is not None:
            estimate = estimate_for_model(reported, footprint)
            if estimate.get("estimable") or (reported or {}).get("emissions_g") is not None:
                estimated_rows.append(estimated_row(model_id, estimate, reported))

    store_derived.replace_derived(
        db, [row[0] for row in rows], footprints=footprints, reported=reported_rows, estimated=estimated_rows
    )
    return len(rows)


def underived(db: Database, model_ids: list[str]) -> set[str]:
    """Models among ``model_ids`` that have a parsed config or card data but no derived row for it."""
    found: set[str] = set()
    for start in range(0, len(model_ids), BATCH):
        chunk = model_ids[start : start + BATCH]
        marks = ",".join("?" * len(chunk))
        found |= {
            row[0]
            for row in db.execute(
                f"""SELECT c.model_id FROM configs c WHERE c.model_id IN ({marks}) AND c.status = 'ok'
                    AND NOT EXISTS (SELECT 1 FROM footprints f WHERE f.model_id = c.model_id)
                    UNION
                    SELECT k.model_id FROM cards k WHERE k.model_id IN ({marks})
                    AND (k.card_data IS NOT NULL OR k.body IS NOT NULL)
                    AND NOT EXISTS (SELECT 1 FROM reported_emissions r WHERE r.model_id = k.model_id)""",
                chunk + chunk,
            )
        }
    return found


def resolve_families(db: Database) -> dict:
    """Resolve lineage, then refresh the per-family footprint rows, which depend on every derived table."""
    stats = resolve_lineage(db)
    stats.update(derive_card_facts(db))
    stats["family_stats_rows"] = maintain_family_stats(db)
    return stats


def derive_all(db: Database, *, context: int = 4096, use_transformers: bool = False) -> dict:
    derived = derive_models(db, None, context=context, use_transformers=use_transformers)
    lineage = resolve_families(db)
    return {"models": derived, "lineage": lineage}
