"""Query latency benchmark: build a synthetic catalog of N models and time the family queries.

    python scripts/bench_query.py                 # 1,000,000 models in /tmp/hubscan-bench.db
    python scripts/bench_query.py --models 100000 --db /tmp/small.db --keep

The synthetic catalog follows the shape of the real Hub: a long tail of authors, a handful of architectures
holding most repos (llama/qwen2/mistral/bert/...), log-normal sizes per architecture, ~45% of repos derived
from a few thousand popular bases (fine-tunes, adapters, quantisations, merges, chains of them), ~2% with a
reported training-emissions figure. Each query is timed cold-ish (first run) and warm (best of 3).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from hubscan.derive import resolve_families
from hubscan.report import query
from hubscan.store import open_db, open_db_read_only

# (model_type, share of repos, median params, log-sd, pipeline_tag, library, kv bytes/token per 1e9 params)
ARCHS = [
    ("llama", 0.22, 8e9, 1.0, "text-generation", "transformers", 131072 / 8),
    ("qwen2", 0.14, 7e9, 1.1, "text-generation", "transformers", 57344 / 7),
    ("mistral", 0.07, 7e9, 0.4, "text-generation", "transformers", 131072 / 7),
    ("gemma2", 0.04, 9e9, 0.6, "text-generation", "transformers", 376832 / 9),
    ("phi3", 0.03, 3.8e9, 0.5, "text-generation", "transformers", 393216 / 3.8),
    ("gpt2", 0.05, 1.24e8, 0.8, "text-generation", "transformers", 36864 / 0.124),
    ("bert", 0.09, 1.1e8, 0.7, "fill-mask", "transformers", 0.0),
    ("roberta", 0.04, 1.25e8, 0.6, "text-classification", "transformers", 0.0),
    ("t5", 0.03, 2.5e8, 1.2, "text2text-generation", "transformers", 0.0),
    ("whisper", 0.02, 2.4e8, 1.0, "automatic-speech-recognition", "transformers", 0.0),
    ("vit", 0.02, 8.6e7, 0.6, "image-classification", "transformers", 0.0),
    ("mixtral", 0.01, 4.67e10, 0.3, "text-generation", "transformers", 131072 / 46.7),
    ("qwen2_moe", 0.01, 1.43e10, 0.8, "text-generation", "transformers", 24576 / 14.3),
    ("stable-diffusion", 0.04, 8.6e8, 0.5, "text-to-image", "diffusers", 0.0),
    (None, 0.19, 0.0, 0.0, None, None, 0.0),  # no config.json / unknown architecture
]
RELATIONS = [("finetune", 0.55), ("adapter", 0.25), ("quantized", 0.15), ("merge", 0.05)]
VERDICTS = ["consistent", "below", "above", "likely unit error", "not comparable"]
COMPLETENESS = ["template_only", "emissions_only", "emissions_context", "complete"]


def _pick(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def build_synthetic(path: Path, n: int, seed: int = 0) -> float:
    """Write a synthetic catalog of ``n`` models to ``path``; return the build time in seconds."""
    t0 = time.perf_counter()
    if path.exists():
        path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = open_db(path)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")
    rng = random.Random(seed)
    arch_weights = [a[1] for a in ARCHS]
    n_authors = max(10, n // 12)
    authors = [f"user{i:06d}" for i in range(n_authors)]
    author_weights = [1.0 / (i + 1) ** 0.9 for i in range(n_authors)]
    cum_authors = list(_accumulate(author_weights))
    ids: list[str] = []
    arch_of: list[int] = []
    models, footprints, reported, estimated = [], [], [], []
    roots_by_arch: dict[int, list[int]] = {}
    for i in range(n):
        author = authors[_bisect_pick(rng, cum_authors)]
        model_id = f"{author}/model-{i:07d}"
        a = _pick(rng, range(len(ARCHS)), arch_weights)
        mt, _, median, sd, task, lib, kv_per_b = ARCHS[a]
        ids.append(model_id)
        arch_of.append(a)
        base = None
        pool = roots_by_arch.setdefault(a, [])
        if mt is not None and pool and rng.random() < 0.45:
            parent = pool[min(int(rng.paretovariate(1.1)) - 1, len(pool) - 1)]
            relation = _pick(rng, [r for r, _ in RELATIONS], [w for _, w in RELATIONS])
            parents = [ids[parent]]
            if relation == "merge":
                parents.append(ids[rng.choice(pool)])
            base = json.dumps({"relation": relation, "models": parents})
        elif mt is not None and rng.random() < 0.05:
            base = json.dumps({"relation": "finetune", "models": [f"external-org/base-{rng.randrange(200)}"]})
        if mt is not None and (len(pool) < 5000 and rng.random() < 0.3 or rng.random() < 0.002):
            pool.append(i)
        downloads = int(rng.paretovariate(0.8)) - 1 if rng.random() < 0.9 else None
        created = f"{rng.randrange(2019, 2026)}-{rng.randrange(1, 13):02d}-15T00:00:00Z"
        params = None
        if mt is not None:
            params = int(math.exp(rng.gauss(math.log(median), sd)))
        storage = int(params * 2 * rng.uniform(0.5, 2.5)) if params else rng.randrange(1000, 10**7)
        models.append(
            (model_id, author, created, downloads, task, lib, mt, base, storage, params if params else None)
        )
        if params:
            active = params if "moe" not in mt and mt != "mixtral" else params // 4
            kv = int(kv_per_b * params / 1e9) if kv_per_b else 0
            ctx = 4096 if kv else 512
            footprints.append(
                (
                    model_id,
                    mt,
                    params,
                    active,
                    params // 10,
                    "bf16",
                    params * 2,
                    params * 4,
                    params * 2,
                    params,
                    params // 2,
                    kv,
                    ctx,
                    kv * ctx,
                    params * 2 + kv * ctx,
                    params * 16,
                    2.0 * active,
                )
            )
        if rng.random() < 0.02:
            completeness = _pick(rng, COMPLETENESS, [0.2, 0.4, 0.3, 0.1])
            grams = None if completeness == "template_only" else 10 ** rng.uniform(1, 8)
            reported.append((model_id, grams, "card_data", completeness, "[]"))
            if params and grams is not None:
                central = grams * 10 ** rng.gauss(0, 0.7)
                ratio = grams / central
                verdict = _pick(rng, VERDICTS, [0.5, 0.2, 0.15, 0.05, 0.1])
                estimated.append(
                    (
                        model_id,
                        "flops",
                        1,
                        central / 3,
                        central,
                        central * 3,
                        grams,
                        ratio,
                        verdict,
                        "synthetic",
                    )
                )
    conn.executemany(
        "INSERT INTO models (id, author, created_at, downloads, pipeline_tag, library_name, model_type, "
        "base_models, used_storage, safetensors_total) VALUES (?,?,?,?,?,?,?,?,?,?)",
        models,
    )
    conn.executemany(
        "INSERT INTO footprints (model_id, model_type, params_total, params_active, params_embedding, dtype, "
        "weights_bytes, weights_bytes_fp32, weights_bytes_bf16, weights_bytes_int8, weights_bytes_int4, "
        "kv_bytes_per_token, context, kv_cache_bytes, inference_bytes, training_bytes, flops_per_token) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        footprints,
    )
    conn.executemany(
        "INSERT INTO reported_emissions (model_id, emissions_g, found_in, completeness, flags) VALUES (?,?,?,?,?)",
        reported,
    )
    conn.executemany(
        "INSERT INTO estimated_emissions (model_id, method, estimable, emissions_g_low, emissions_g_central, "
        "emissions_g_high, reported_g, ratio, verdict, verdict_reason) VALUES (?,?,?,?,?,?,?,?,?,?)",
        estimated,
    )
    conn.commit()
    t_derive = time.perf_counter()
    stats = resolve_families(db)
    print(
        f"resolve_lineage + family_stats refresh: {time.perf_counter() - t_derive:.1f} s "
        f"({stats['families']:,} lineage roots, {stats['family_stats_rows']:,} family rows)"
    )
    conn.execute("ANALYZE")
    conn.commit()
    db.close()
    return time.perf_counter() - t0


def _accumulate(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


def _bisect_pick(rng: random.Random, cum: list[float]) -> int:
    import bisect

    return min(bisect.bisect_left(cum, rng.random() * cum[-1]), len(cum) - 1)


def _time(fn, repeat: int = 3) -> tuple[float, float]:
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    best = first
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return first, best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-bench.db"))
    parser.add_argument(
        "--reuse", action="store_true", help="time an existing catalog at --db, do not rebuild"
    )
    parser.add_argument("--keep", action="store_true", help="keep the catalog afterwards")
    args = parser.parse_args()
    if not args.reuse:
        build = build_synthetic(args.db, args.models)
        print(f"built {args.models:,} synthetic models in {build:.1f} s ({args.db})")
    db = open_db_read_only(args.db)
    cases = {
        "footprint --by model_type": lambda: query.footprint(db, "model_type"),
        "footprint --by lineage": lambda: query.footprint(db, "lineage"),
        "emissions --summary": lambda: query.emissions_summary(db),
        "emissions (per model)": lambda: query.emissions(db),
        # Filters and --context/--dtype overrides compute live from the per-model join (no stored rows).
        "footprint --by model_type --dtype int4 --context 32768 (live)": lambda: query.footprint(
            db, "model_type", dtype="int4", context=32768
        ),
        "footprint --by lineage --min-params 1e9 (live)": lambda: query.footprint(
            db, "lineage", min_params=1e9
        ),
        "footprint --by author --task text-generation (live)": lambda: query.footprint(
            db, "author", task="text-generation"
        ),
    }
    for name, fn in cases.items():
        first, best = _time(fn)
        print(f"{name:62s} first {first * 1000:7.0f} ms   best of 3 {best * 1000:7.0f} ms")
    db.close()
    if not args.keep and not args.reuse:
        args.db.unlink()
        for suffix in ("-wal", "-shm"):
            Path(str(args.db) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
