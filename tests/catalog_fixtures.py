"""Small hand-made catalogs for the query, lineage and render tests (known numbers, every edge case)."""

from __future__ import annotations

import json
from pathlib import Path

from hubscan.derive import resolve_families
from hubscan.store import open_db

# id, author, model_type, pipeline_tag, library, downloads, storage, base_models, created
MODELS = [
    ("meta/llama-8b", "meta", "llama", "text-generation", "transformers", 1000, 16_000, None, "2024-04-01"),
    ("alice/llama-8b-chat", "alice", "llama", "text-generation", "transformers", 100, 16_000,
     {"relation": "finetune", "models": ["meta/llama-8b"]}, "2024-05-01"),
    ("bob/llama-8b-chat-v2", "bob", "llama", "text-generation", "transformers", 10, 16_000,
     {"relation": "finetune", "models": ["alice/llama-8b-chat"]}, "2024-06-01"),
    ("bob/llama-8b-chat-gguf", "bob", "llama", "text-generation", "gguf", None, 4_000,
     {"relation": "quantized", "models": ["bob/llama-8b-chat-v2"]}, "2024-07-01"),
    ("carol/llama-lora", "carol", None, "text-generation", "peft", 5, 100,
     {"relation": "adapter", "models": ["meta/llama-8b"]}, "2024-07-01"),
    ("carol/merge", "carol", "llama", "text-generation", "transformers", 3, 16_000,
     {"relation": None, "models": ["alice/llama-8b-chat", "meta/llama-8b"]}, "2024-08-01"),
    ("google/bert", "google", "bert", "fill-mask", "transformers", 5000, 440, None, "2019-01-01"),
    ("dave/bert-ft", "dave", "bert", "text-classification", "transformers", None, 440,
     {"relation": "finetune", "models": ["missing-org/bert-base"]}, "2021-01-01"),
    ("loop/a", "loop", "gpt2", None, None, 1, 500, {"relation": "finetune", "models": ["loop/b"]}, "2022-01-01"),
    ("loop/b", "loop", "gpt2", None, None, 1, 500, {"relation": "finetune", "models": ["loop/a"]}, "2022-01-01"),
    ("solo/self", "solo", "gpt2", "text-generation", "transformers", 2, 500,
     {"relation": "finetune", "models": ["solo/self"]}, "2023-01-01"),
    ("nobody/no-config", "nobody", None, None, None, None, None, None, None),
]  # fmt: skip

# id -> (params_total, params_active, dtype, weights_bytes, kv_bytes_per_token, context)
FOOTPRINTS = {
    "meta/llama-8b": (8_000_000_000, 8_000_000_000, "bf16", 16_000_000_000, 131_072, 8192),
    "alice/llama-8b-chat": (8_000_000_000, 8_000_000_000, "bf16", 16_000_000_000, 131_072, 8192),
    "bob/llama-8b-chat-v2": (8_000_000_000, 8_000_000_000, "fp32", 32_000_000_000, 262_144, 8192),
    "bob/llama-8b-chat-gguf": (8_000_000_000, 8_000_000_000, "int4", 4_000_000_000, 131_072, 8192),
    "carol/merge": (10_000_000_000, 10_000_000_000, "bf16", 20_000_000_000, 131_072, 4096),
    "google/bert": (110_000_000, 110_000_000, "fp32", 440_000_000, 0, 512),
    "dave/bert-ft": (110_000_000, 110_000_000, "fp32", 440_000_000, 0, 512),
    "loop/a": (124_000_000, 124_000_000, "fp32", 496_000_000, 73_728, 1024),
    "loop/b": (124_000_000, 124_000_000, "fp32", 496_000_000, 73_728, 1024),
    "solo/self": (350_000_000, 350_000_000, "fp16", 700_000_000, 98_304, 1024),
}
BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1, "int4": 0.5}

# id -> (emissions_g, completeness); estimated: id -> (low, central, high, ratio, verdict)
REPORTED = {
    "meta/llama-8b": (1_000_000.0, "complete"),
    "alice/llama-8b-chat": (2_000.0, "emissions_context"),
    "google/bert": (0.5, "emissions_only"),
    "dave/bert-ft": (None, "template_only"),
}
ESTIMATED = {
    "meta/llama-8b": (500_000.0, 900_000.0, 1_500_000.0, 1_000_000 / 900_000, "consistent"),
    "google/bert": (300.0, 500.0, 800.0, 0.001, "likely unit error"),
}


def build_catalog(path: Path) -> Path:
    db = open_db(path)
    for mid, author, mt, task, lib, downloads, storage, base, created in MODELS:
        db["models"].insert(
            {
                "id": mid,
                "author": author,
                "model_type": mt,
                "pipeline_tag": task,
                "library_name": lib,
                "downloads": downloads,
                "used_storage": storage,
                "base_models": json.dumps(base) if base else None,
                "created_at": f"{created}T00:00:00Z" if created else None,
            }
        )
    for mid, (p, pa, dtype, w, kvt, ctx) in FOOTPRINTS.items():
        db["footprints"].insert(
            {
                "model_id": mid,
                "model_type": dict((m[0], m[2]) for m in MODELS)[mid],
                "params_total": p,
                "params_active": pa,
                "dtype": dtype,
                "weights_bytes": w,
                "weights_bytes_fp32": p * 4,
                "weights_bytes_bf16": p * 2,
                "weights_bytes_int8": p,
                "weights_bytes_int4": p // 2,
                "kv_bytes_per_token": kvt,
                "context": ctx,
                "kv_cache_bytes": kvt * ctx,
                "inference_bytes": w + kvt * ctx,
            }
        )
    for mid, (grams, completeness) in REPORTED.items():
        db["reported_emissions"].insert(
            {"model_id": mid, "emissions_g": grams, "completeness": completeness, "flags": "[]"}
        )
    for mid, (low, central, high, ratio, verdict) in ESTIMATED.items():
        db["estimated_emissions"].insert(
            {
                "model_id": mid,
                "estimable": 1,
                "emissions_g_low": low,
                "emissions_g_central": central,
                "emissions_g_high": high,
                "reported_g": REPORTED[mid][0],
                "ratio": ratio,
                "verdict": verdict,
                "verdict_reason": f"test {verdict}",
            }
        )
    resolve_families(db)
    db.close()
    return path
