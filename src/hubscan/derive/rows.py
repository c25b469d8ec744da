"""Pure mapping of analysis records onto the derived tables' rows (one dict per row)."""

from __future__ import annotations

from hubscan.store.save import dumps


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
