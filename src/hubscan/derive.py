"""Derived tables, recomputed from stored raw data: footprints, reported and estimated emissions, lineage.

The crawl calls ``derive_models`` for each page it stores; ``hubscan derive`` calls ``derive_all`` to
recompute everything offline (e.g. after an estimator upgrade). Raw data is never modified here.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from hubscan.store.save import dumps

BATCH = 500


def derive_models(
    db: Database, model_ids: list[str] | None = None, *, context: int = 4096, use_transformers: bool = False
) -> int:
    """Recompute derived rows for ``model_ids`` (all models when None). Returns how many were derived."""
    from hubscan.estimate.emissions import estimate_for_model
    from hubscan.estimate.footprint import analyze_config
    from hubscan.parse.card import analyze_card

    sql = """
        SELECT m.id, m.safetensors_total, m.safetensors_parameters, c.status, c.raw, k.card_data, k.body
        FROM models m LEFT JOIN configs c ON c.model_id = m.id LEFT JOIN cards k ON k.model_id = m.id
    """
    if model_ids is None:
        rows = db.execute(sql).fetchall()
    else:
        rows = []
        for start in range(0, len(model_ids), BATCH):
            chunk = model_ids[start : start + BATCH]
            rows += db.execute(sql + f" WHERE m.id IN ({','.join('?' * len(chunk))})", chunk).fetchall()

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
        reported = None
        if card_data is not None or body is not None:
            reported = analyze_card(body, card_data=json.loads(card_data) if card_data else None)
            reported_rows.append(reported_row(model_id, reported))
        if reported is not None or footprint is not None:
            estimate = estimate_for_model(reported, footprint)
            if estimate.get("estimable") or (reported or {}).get("emissions_g") is not None:
                estimated_rows.append(estimated_row(model_id, estimate, reported))

    ids = [row[0] for row in rows]
    with db.conn:
        for table in ("footprints", "reported_emissions", "estimated_emissions"):
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                db.execute(f"DELETE FROM {table} WHERE model_id IN ({','.join('?' * len(chunk))})", chunk)
        db["footprints"].insert_all(footprints)
        db["reported_emissions"].insert_all(reported_rows)
        db["estimated_emissions"].insert_all(estimated_rows)
        invalidate_family_stats(db)
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
    from hubscan.lineage import resolve_lineage
    from hubscan.query import refresh_family_stats

    stats = resolve_lineage(db)
    stats["family_stats_rows"] = refresh_family_stats(db)
    return stats


def invalidate_family_stats(db: Database) -> None:
    """Derived numbers changed: until ``resolve_families`` runs, footprint queries compute live."""
    db.execute("DELETE FROM family_stats")


def derive_all(db: Database, *, context: int = 4096, use_transformers: bool = False) -> dict:
    derived = derive_models(db, None, context=context, use_transformers=use_transformers)
    lineage = resolve_families(db)
    return {"models": derived, "lineage": lineage}


def footprint_row(model_id: str, record: dict) -> dict:
    params = record.get("params") or {}
    memory = record.get("memory") or {}
    by_dtype = memory.get("weights_bytes_by_dtype") or {}
    check = record.get("safetensors") or {}
    return {
        "model_id": model_id,
        "estimator_version": record.get("estimator_version"),
        "model_type": record.get("model_type"),
        "params_total": params.get("total"),
        "params_active": params.get("active"),
        "params_embedding": params.get("embedding"),
        "params_non_embedding": params.get("non_embedding"),
        "params_method": params.get("method"),
        "params_confidence": params.get("confidence"),
        "params_reason": params.get("reason"),
        "breakdown": dumps(params.get("breakdown")),
        "dtype": memory.get("dtype"),
        "weights_bytes": memory.get("weights_bytes"),
        "weights_bytes_fp32": by_dtype.get("fp32"),
        "weights_bytes_bf16": by_dtype.get("bf16"),
        "weights_bytes_int8": by_dtype.get("int8"),
        "weights_bytes_int4": by_dtype.get("int4"),
        "kv_bytes_per_token": memory.get("kv_bytes_per_token"),
        "context": memory.get("context"),
        "kv_cache_bytes": memory.get("kv_cache_bytes"),
        "inference_bytes": memory.get("inference_bytes"),
        "training_bytes": memory.get("training_bytes"),
        "flops_per_token": record.get("flops_per_token"),
        "safetensors_total": check.get("total"),
        "safetensors_delta_pct": check.get("delta_pct"),
        "safetensors_check": check.get("check"),
        "safetensors_note": check.get("note"),
        "record": dumps(record),
    }


def reported_row(model_id: str, record: dict) -> dict:
    hardware = record.get("hardware_parsed") or {}
    location = record.get("location_parsed") or {}
    return {
        "model_id": model_id,
        "analyzer_version": record.get("analyzer_version"),
        "emissions_g": record.get("emissions_g"),
        "raw": record.get("raw"),
        "unit_raw": record.get("unit_raw"),
        "found_in": record.get("found_in"),
        "confidence": record.get("confidence"),
        "source": record.get("source"),
        "training_type": record.get("training_type"),
        "location": record.get("location"),
        "hardware": record.get("hardware"),
        "hours": record.get("hours"),
        "cloud_provider": record.get("cloud_provider"),
        "compute_region": record.get("compute_region"),
        "hardware_device": hardware.get("device"),
        "hardware_count": hardware.get("count"),
        "location_code": location.get("code"),
        "market_based_g": record.get("market_based_g"),
        "flags": dumps(record.get("flags") or []),
        "completeness": record.get("completeness"),
        "yaml_error": record.get("yaml_error"),
        "record": dumps({k: v for k, v in record.items() if k != "card_data"}),
    }


def estimated_row(model_id: str, record: dict, reported: dict | None) -> dict:
    emissions = record.get("emissions_g") or {}
    energy = record.get("energy_kwh") or {}
    comparison = record.get("comparison") or {}
    return {
        "model_id": model_id,
        "estimator_version": record.get("estimator_version"),
        "method": record.get("method"),
        "estimable": int(bool(record.get("estimable"))),
        "missing": dumps(record.get("missing") or []),
        "emissions_g_low": emissions.get("low"),
        "emissions_g_central": emissions.get("central"),
        "emissions_g_high": emissions.get("high"),
        "energy_kwh_low": energy.get("low"),
        "energy_kwh_central": energy.get("central"),
        "energy_kwh_high": energy.get("high"),
        "reported_g": (reported or {}).get("emissions_g"),
        "ratio": comparison.get("ratio"),
        "verdict": comparison.get("verdict"),
        "verdict_reason": comparison.get("reason"),
        "record": dumps(record),
    }
