"""Crawl benchmark: hubscan's crawler vs a sequential crawl vs the naive list_models + hf_hub_download loop.

Usage: python scripts/bench_crawl.py [--models 2000] [--latency-ms 30] [--out docs/CRAWL.md] [--no-docs]

Builds a synthetic snapshot of N small model repos (hand-written config.json shapes of common families at
varied sizes, a README.md with front matter) in a temp dir, serves it with the loopback mirror
(``hubscan.mirror``) at a simulated per-request latency and at 0 ms, and measures in one run:

1. hubscan's crawl with 8 workers (config.json only, derive on): wall time, models/s, requests by kind;
2. the same with 1 worker (sequential fetches);
3. the naive peer loop: ``HfApi.list_models()`` then ``hf_hub_download(id, "config.json")`` per model,
   sequentially (HEAD + GET per file, cache writes);
4. an immediate re-crawl of the unchanged mirror with hubscan (must request no file);
5. ``hubscan.derive.derive_all`` on the crawled catalog (ms per model).

Prints a table and regenerates the section between the bench_crawl markers in docs/CRAWL.md.
Everything runs against 127.0.0.1; nothing goes online.
"""

from __future__ import annotations

import os
import tempfile

# huggingface_hub reads these once, at import: set them before anything imports it (as tests/conftest.py).
_HF_HOME = tempfile.mkdtemp(prefix="hubscan-bench-hf-home-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_CACHE"] = os.path.join(_HF_HOME, "hub")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.pop("HF_TOKEN", None)
# Anything that forgets an explicit endpoint fails fast on a closed loopback port instead of going online.
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import huggingface_hub  # noqa: E402
from huggingface_hub import HfApi, hf_hub_download  # noqa: E402

from hubscan.crawl import CrawlOptions, crawl  # noqa: E402
from hubscan.derive import derive_all  # noqa: E402
from hubscan.mirror import MirrorServer, write_repo  # noqa: E402
from hubscan.records import Listing  # noqa: E402
from hubscan.source.hub import HubSource  # noqa: E402
from hubscan.store import open_db  # noqa: E402
from hubscan.store.writer import CatalogWriter  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
START = "<!-- bench_crawl:start -->"
END = "<!-- bench_crawl:end -->"
# The mirror's default quotas are the Hub's anonymous ones (3,000 resolves / 5 min): the naive loop alone
# makes 2 resolves per model. Quotas are lifted so that every configuration measures transfer, not waiting.
NO_RATE_LIMITS = {"api": 10**9, "resolvers": 10**9, "pages": 10**9}

# --------------------------------------------------------------------------------------------------------
# Synthetic snapshot: config shapes of common families, written by hand, scaled to a few sizes each.


def _llama_like(model_type, arch, hidden, layers, heads, kv, inter, vocab, **extra):
    return {
        "architectures": [arch],
        "model_type": model_type,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "intermediate_size": inter,
        "vocab_size": vocab,
        "max_position_embeddings": 8192,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-5,
        "rope_theta": 500000.0,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "bos_token_id": 1,
        "eos_token_id": 2,
        "use_cache": True,
        **extra,
    }


def _family_configs(rng: random.Random) -> list[tuple[str, str, dict]]:
    """(family, pipeline_tag, config) candidates; one is picked per repo."""
    out = []
    for hidden, layers, heads, kv, inter in [
        (2048, 16, 32, 8, 8192),
        (3072, 28, 24, 8, 8192),
        (4096, 32, 32, 8, 14336),
        (8192, 80, 64, 8, 28672),
    ]:
        out.append(("llama", "text-generation", _llama_like("llama", "LlamaForCausalLM", hidden, layers, heads, kv, inter, 128256)))  # fmt: skip
        gptq = _llama_like("llama", "LlamaForCausalLM", hidden, layers, heads, kv, inter, 128256)
        gptq["quantization_config"] = {
            "quant_method": "gptq",
            "bits": 4,
            "group_size": 128,
            "desc_act": False,
        }
        out.append(("llama", "text-generation", gptq))
    for hidden, layers, heads, kv, inter, vocab, tie in [
        (896, 24, 14, 2, 4864, 151936, True),
        (1536, 28, 12, 2, 8960, 151936, True),
        (3584, 28, 28, 4, 18944, 152064, False),
        (5120, 48, 40, 8, 13824, 152064, False),
    ]:
        cfg = _llama_like("qwen2", "Qwen2ForCausalLM", hidden, layers, heads, kv, inter, vocab)
        cfg.update(
            tie_word_embeddings=tie, rope_theta=1000000.0, sliding_window=32768, use_sliding_window=False
        )
        out.append(("qwen2", "text-generation", cfg))
    mistral = _llama_like("mistral", "MistralForCausalLM", 4096, 32, 32, 8, 14336, 32768, sliding_window=None)
    out.append(("mistral", "text-generation", mistral))
    mixtral = _llama_like("mixtral", "MixtralForCausalLM", 4096, 32, 32, 8, 14336, 32000)
    mixtral.update(num_local_experts=8, num_experts_per_tok=2, router_aux_loss_coef=0.02)
    out.append(("mixtral", "text-generation", mixtral))
    for hidden, layers, heads, kv, inter in [(2304, 26, 8, 4, 9216), (3584, 42, 16, 8, 14336)]:
        cfg = _llama_like("gemma2", "Gemma2ForCausalLM", hidden, layers, heads, kv, inter, 256000)
        cfg.update(
            head_dim=256,
            query_pre_attn_scalar=256,
            sliding_window=4096,
            final_logit_softcapping=30.0,
            attn_logit_softcapping=50.0,
            hidden_activation="gelu_pytorch_tanh",
            tie_word_embeddings=True,
        )
        out.append(("gemma2", "text-generation", cfg))
    phi3 = _llama_like("phi3", "Phi3ForCausalLM", 3072, 32, 32, 32, 8192, 32064)
    phi3.update(max_position_embeddings=4096, original_max_position_embeddings=4096, rope_theta=10000.0)
    out.append(("phi3", "text-generation", phi3))
    for embd, layers, heads in [(768, 12, 12), (1024, 24, 16), (1280, 36, 20)]:
        out.append(
            (
                "gpt2",
                "text-generation",
                {
                    "architectures": ["GPT2LMHeadModel"],
                    "model_type": "gpt2",
                    "n_embd": embd,
                    "n_layer": layers,
                    "n_head": heads,
                    "n_positions": 1024,
                    "n_ctx": 1024,
                    "vocab_size": 50257,
                    "activation_function": "gelu_new",
                    "layer_norm_epsilon": 1e-5,
                    "bos_token_id": 50256,
                    "eos_token_id": 50256,
                },
            )
        )
    for hidden, layers, heads in [(256, 4, 4), (768, 12, 12), (1024, 24, 16)]:
        out.append(
            (
                "bert",
                "fill-mask",
                {
                    "architectures": ["BertForMaskedLM"],
                    "model_type": "bert",
                    "hidden_size": hidden,
                    "num_hidden_layers": layers,
                    "num_attention_heads": heads,
                    "intermediate_size": 4 * hidden,
                    "vocab_size": 30522,
                    "max_position_embeddings": 512,
                    "type_vocab_size": 2,
                    "hidden_act": "gelu",
                    "layer_norm_eps": 1e-12,
                    "pad_token_id": 0,
                },
            )
        )
    for d_model, d_ff, layers, heads in [(512, 2048, 6, 8), (768, 3072, 12, 12), (1024, 2816, 24, 16)]:
        out.append(
            (
                "t5",
                "text2text-generation",
                {
                    "architectures": ["T5ForConditionalGeneration"],
                    "model_type": "t5",
                    "d_model": d_model,
                    "d_ff": d_ff,
                    "d_kv": 64,
                    "num_layers": layers,
                    "num_decoder_layers": layers,
                    "num_heads": heads,
                    "vocab_size": 32128,
                    "feed_forward_proj": "relu" if d_ff == 4 * d_model else "gated-gelu",
                    "relative_attention_num_buckets": 32,
                    "tie_word_embeddings": d_ff == 4 * d_model,
                },
            )
        )
    for d_model, layers, heads in [(384, 4, 6), (768, 12, 12), (1280, 32, 20)]:
        out.append(
            (
                "whisper",
                "automatic-speech-recognition",
                {
                    "architectures": ["WhisperForConditionalGeneration"],
                    "model_type": "whisper",
                    "d_model": d_model,
                    "encoder_layers": layers,
                    "decoder_layers": layers,
                    "encoder_attention_heads": heads,
                    "decoder_attention_heads": heads,
                    "encoder_ffn_dim": 4 * d_model,
                    "decoder_ffn_dim": 4 * d_model,
                    "num_mel_bins": 80,
                    "max_source_positions": 1500,
                    "max_target_positions": 448,
                    "vocab_size": 51865,
                },
            )
        )
    out.append(
        (
            "vit",
            "image-classification",
            {
                "architectures": ["ViTForImageClassification"],
                "model_type": "vit",
                "hidden_size": 768,
                "num_hidden_layers": 12,
                "num_attention_heads": 12,
                "intermediate_size": 3072,
                "image_size": 224,
                "patch_size": 16,
                "num_channels": 3,
                "hidden_act": "gelu",
                "id2label": {str(i): f"LABEL_{i}" for i in range(rng.choice([2, 10, 100]))},
            },
        )
    )
    return out


LICENSES = ["apache-2.0", "mit", "llama3.1", "cc-by-4.0", "other", "gemma"]
LANGUAGES = ["en", "fr", "de", "zh", "ja", "es", "multilingual"]
DATASETS = ["HuggingFaceFW/fineweb", "tatsu-lab/alpaca", "openai/gsm8k", "glue", "mozilla-foundation/common_voice_11_0"]  # fmt: skip
REGIONS = ["France", "us-east-1", "Iowa, USA", "Quebec, Canada", "Germany"]
HARDWARE = ["8 x A100 80GB", "1 x NVIDIA T4", "4 x H100", "TPU v4-32"]


def _readme(rng: random.Random, family: str, pipeline: str, base: str | None) -> str:
    lines = ["---", f"license: {rng.choice(LICENSES)}", "language:"]
    lines += [f"- {lang}" for lang in rng.sample(LANGUAGES, rng.randint(1, 2))]
    lines += ["library_name: transformers", f"pipeline_tag: {pipeline}", "tags:", f"- {family}"]
    lines += rng.sample(["- fine-tuned", "- chat", "- conversational", "- trl", "- sft", "- 4-bit"], 2)
    if rng.random() < 0.5:
        lines += ["datasets:", f"- {rng.choice(DATASETS)}"]
    if base is not None:
        lines.append(f"base_model: {base}")
    roll = rng.random()
    if roll < 0.04:
        lines.append(f"co2_eq_emissions: {rng.randint(1, 5000)}")
    elif roll < 0.08:
        lines += [
            "co2_eq_emissions:",
            f"  emissions: {rng.uniform(0.1, 900):.2f}",
            "  source: CodeCarbon",
            "  training_type: fine-tuning",
            f"  geographical_location: {rng.choice(REGIONS)}",
            f"  hardware_used: {rng.choice(HARDWARE)}",
        ]
    lines += [
        "---",
        "",
        f"# {family} model card",
        "",
        "This model was trained with the usual recipe. See the evaluation section for results.",
        "",
    ]
    return "\n".join(lines)


def build_snapshot(root: Path, n: int, seed: int = 0) -> tuple[dict[str, int], list[str]]:
    """Write ``n`` repos; returns how many of each family, and the ids."""
    rng = random.Random(seed)
    candidates = _family_configs(rng)
    weights = [6 if fam in ("llama", "qwen2") else 2 for fam, _, _ in candidates]
    families: dict[str, int] = {}
    ids: list[str] = []
    for i in range(n):
        family, pipeline, config = rng.choices(candidates, weights=weights, k=1)[0]
        families[family] = families.get(family, 0) + 1
        author = f"org{int(rng.paretovariate(1.2)) % 97:02d}"
        repo_id = f"{author}/{family}-{i:05d}"
        base = rng.choice(ids[:50]) if ids and rng.random() < 0.4 else None
        created = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00.000Z"
        meta = {
            "downloads": int(rng.paretovariate(0.8)),
            "likes": int(rng.paretovariate(1.5)) - 1,
            "createdAt": created,
            "lastModified": created,
        }
        files = {
            "config.json": json.dumps(config, indent=2, sort_keys=True) + "\n",
            "README.md": _readme(rng, family, pipeline, base),
        }
        write_repo(root, repo_id, files=files, meta=meta)
        ids.append(repo_id)
    return families, ids


# --------------------------------------------------------------------------------------------------------
# Measurements


@dataclass
class Run:
    name: str
    seconds: float
    models: int
    log: list[dict] = field(default_factory=list)
    note: str = ""

    def count(self, kind: str = "all") -> int:
        if kind == "listing":
            return sum(1 for r in self.log if r["path"] == "/api/models")
        if kind == "file":
            return sum(1 for r in self.log if "/resolve/" in r["path"])
        if kind == "head":
            return sum(1 for r in self.log if "/resolve/" in r["path"] and r["method"] == "HEAD")
        if kind == "errors":
            return sum(1 for r in self.log if r["status"] >= 400 or r["status"] == 0)
        return len(self.log)

    @property
    def rate(self) -> float:
        return self.models / self.seconds if self.seconds else float("inf")


def hubscan_run(hub: MirrorServer, db_path: Path, workers: int, name: str, derive: bool = True) -> Run:
    hub.clear_log()
    db = open_db(db_path)
    t0 = time.perf_counter()
    stats = crawl(db, HubSource(endpoint=hub.url), CrawlOptions(workers=workers, cards="yaml", derive=derive))
    seconds = time.perf_counter() - t0
    ok = db.execute("SELECT count(*) FROM configs WHERE status = 'ok'").fetchone()[0]
    db.close()
    if stats.status != "finished" or stats.failed or ok != stats.listed:
        raise SystemExit(f"{name}: crawl did not finish cleanly ({ok} configs ok): {stats.summary()}")
    return Run(name, seconds, stats.listed, hub.request_log, note=f"{stats.fetched} fetched, {ok} configs ok")


def naive_run(hub: MirrorServer, cache_dir: Path) -> Run:
    """What peers write: list everything, then hf_hub_download each config.json, one after the other."""
    hub.clear_log()
    t0 = time.perf_counter()
    api = HfApi(endpoint=hub.url)
    configs = {}
    for model in api.list_models():
        path = hf_hub_download(model.id, "config.json", cache_dir=cache_dir, endpoint=hub.url)
        configs[model.id] = json.loads(Path(path).read_text(encoding="utf-8"))
    seconds = time.perf_counter() - t0
    return Run("naive list_models + hf_hub_download", seconds, len(configs), hub.request_log)


def derive_run(db_path: Path) -> tuple[float, int]:
    db = open_db(db_path)
    t0 = time.perf_counter()
    result = derive_all(db)
    seconds = time.perf_counter() - t0
    db.close()
    return seconds, result["models"]


def measure(snapshot: Path, work: Path, n: int, latency_ms: float) -> dict[str, Run]:
    tag = f"{latency_ms:g}ms"
    runs: dict[str, Run] = {}
    with MirrorServer(snapshot, latency_ms=latency_ms, rate_limits=NO_RATE_LIMITS) as hub:
        # Warm-up: first-import and connection costs stay out of the timings.
        warm = open_db(work / f"warm-{tag}.db")
        crawl(warm, HubSource(endpoint=hub.url), CrawlOptions(limit=5, derive=True))
        warm.close()
        runs["w8"] = hubscan_run(hub, work / f"w8-{tag}.db", 8, "hubscan --workers 8")
        runs["w1"] = hubscan_run(hub, work / f"w1-{tag}.db", 1, "hubscan --workers 1")
        runs["naive"] = naive_run(hub, work / f"hf-cache-{tag}")
        runs["recrawl"] = hubscan_run(hub, work / f"w8-{tag}.db", 8, "hubscan re-crawl (unchanged)")
        runs["recrawl_nd"] = hubscan_run(
            hub, work / f"w8-{tag}.db", 8, "hubscan re-crawl, derive off", derive=False
        )
    for run in runs.values():
        if run.models != n:
            raise SystemExit(f"{run.name} at {tag}: saw {run.models} models, expected {n}")
        if run.count("errors"):
            raise SystemExit(f"{run.name} at {tag}: {run.count('errors')} requests failed")
    for key in ("recrawl", "recrawl_nd"):
        if runs[key].count("file"):
            raise SystemExit(
                f"{runs[key].name} at {tag} requested {runs[key].count('file')} files; expected 0"
            )
    return runs


# --------------------------------------------------------------------------------------------------------
# Report


def _fmt_runs(runs: dict[str, Run]) -> list[str]:
    rows = []
    for key in ("w8", "w1", "naive", "recrawl", "recrawl_nd"):
        r = runs[key]
        files = r.count("file")
        heads = r.count("head")
        file_cell = f"{files:,}" + (f" ({heads:,} HEAD + {files - heads:,} GET)" if heads else "")
        rows.append(
            f"| {r.name} | {r.seconds:,.2f} | {r.rate:,.0f} | {r.count('listing'):,} | {file_cell} "
            f"| {r.count():,} |"
        )
    return rows


def render(args, families, build_s, results, derive_s, derive_n) -> str:
    n = args.models
    cores = os.cpu_count()
    lat = results[args.latency_ms]
    lines = [
        START,
        "",
        "## Benchmark",
        "",
        "Generated by `python scripts/bench_crawl.py"
        + (f" --models {n}" if n != 2000 else "")
        + (f" --latency-ms {args.latency_ms:g}" if args.latency_ms != 30 else "")
        + "`; do not edit this section by hand.",
        "",
        f"Machine: {cores} CPU cores ({platform.machine()}), Python {platform.python_version()}, "
        f"huggingface_hub {huggingface_hub.__version__}, {platform.system()}.",
        "",
        f"Snapshot: {n:,} synthetic model repos (built in {build_s:.1f} s), each a hand-written config.json "
        "shape of a common family at a few sizes ("
        + ", ".join(f"{fam} {k}" for fam, k in sorted(families.items(), key=lambda kv: -kv[1]))
        + ") plus a README.md with front matter (license, languages, tags, datasets, base_model for ~40%, "
        "co2_eq_emissions for ~8%). Served by the loopback mirror (`hubscan.mirror`, in the same process, "
        "1,000 models per listing page, rate limits lifted) with a fixed latency added to every request"
        + ".",
        "",
        "What each row is:",
        "",
        "- **hubscan --workers 8 / 1**: `crawl(open_db(fresh), HubSource(endpoint), "
        "CrawlOptions(workers=N, cards='yaml', derive=True))` — the listing with `expand=[...]`, one GET per "
        "config.json, storing, and the per-page derive + lineage/family refresh (all included in the time).",
        "- **naive**: `HfApi(endpoint).list_models()` then `hf_hub_download(id, 'config.json', cache_dir=tmp)` "
        "and `json.loads` per model, sequentially; no database, no derive.",
        "- **re-crawl**: hubscan (8 workers) again on the same catalog, mirror unchanged; then once more "
        "with `derive=False` (`--no-derive`); an unchanged model is not re-derived, so the two differ "
        "only by the end-of-crawl lineage and family refresh.",
        "- Requests are counted from the mirror's request log: listing = `GET /api/models` pages, "
        "file = `/resolve/` requests.",
        "",
    ]
    for latency in results:
        runs = results[latency]
        lines += [
            f"### {latency:g} ms per request",
            "",
            "| run | wall s | models/s | listing requests | file requests | all requests |",
            "|---|---:|---:|---:|---:|---:|",
            *_fmt_runs(runs),
            "",
        ]
    lines += ["### Ratios", "", "| | " + " | ".join(f"{lat:g} ms" for lat in results) + " |"]
    lines.append("|---|" + "---:|" * len(results))

    def ratio_row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(results[lat]) for lat in results) + " |")

    ratio_row(
        "speed-up, 8 workers vs sequential (1 worker)", lambda r: f"{r['w1'].seconds / r['w8'].seconds:.1f}x"
    )
    ratio_row(
        "speed-up, hubscan 8 workers vs naive", lambda r: f"{r['naive'].seconds / r['w8'].seconds:.1f}x"
    )
    ratio_row(
        "speed-up, hubscan 1 worker vs naive (same concurrency)",
        lambda r: f"{r['naive'].seconds / r['w1'].seconds:.1f}x",
    )
    ratio_row(
        "requests, hubscan / naive",
        lambda r: (
            f"{r['w8'].count() / r['naive'].count():.2f} ({r['w8'].count():,} / {r['naive'].count():,})"
        ),
    )
    ratio_row(
        "re-crawl wall time / first crawl (8 workers)",
        lambda r: f"{r['recrawl'].seconds / r['w8'].seconds:.2f}",
    )
    ratio_row("re-crawl file requests", lambda r: f"{r['recrawl'].count('file')}")
    per_model = 1000 * derive_s / derive_n
    lines += [
        "",
        f"**Derive cost**: `derive_all` over the {derive_n:,}-model catalog took {derive_s:.2f} s, "
        f"**{per_model:.2f} ms/model** (config parse + parameter/footprint estimate + card analysis + "
        "emissions estimate, then lineage and family rows). The crawl runs the same per-model work page "
        "by page for new or changed models, so it is part of every first-crawl row above; a re-crawl of "
        "an unchanged Hub derives nothing and only refreshes lineage and family rows.",
        "",
        f"At {args.latency_ms:g} ms, 8 workers crawl {lat['w8'].rate:,.0f} models/s: "
        f"{lat['w1'].seconds / lat['w8'].seconds:.1f}x the sequential crawl and "
        f"{lat['naive'].seconds / lat['w8'].seconds:.1f}x the naive loop, with "
        f"{lat['w8'].count() / lat['naive'].count():.2f}x its requests.",
        "",
        END,
    ]
    return "\n".join(lines)


def update_doc(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Crawling the Hub\n"
    if START in text and END in text:
        before = text[: text.index(START)]
        after = text[text.index(END) + len(END) :]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def print_table(results, derive_s, derive_n) -> None:
    head = f"{'run':<38} {'latency':>8} {'wall s':>8} {'models/s':>9} {'listing':>8} {'files':>7} {'HEAD':>6} {'all':>7}"  # fmt: skip
    print(head)
    print("-" * len(head))
    for latency, runs in results.items():
        for r in runs.values():
            print(
                f"{r.name:<38} {latency:>6g}ms {r.seconds:>8.2f} {r.rate:>9.0f} {r.count('listing'):>8} "
                f"{r.count('file'):>7} {r.count('head'):>6} {r.count():>7}"
            )
    for latency, r in results.items():
        print(
            f"[{latency:g} ms] 8 vs 1 worker {r['w1'].seconds / r['w8'].seconds:.1f}x; hubscan vs naive "
            f"{r['naive'].seconds / r['w8'].seconds:.1f}x; requests hubscan/naive "
            f"{r['w8'].count() / r['naive'].count():.2f}; re-crawl {r['recrawl'].seconds:.2f}s, "
            f"{r['recrawl'].count('file')} file requests"
        )
    print(f"derive_all: {derive_s:.2f}s for {derive_n} models = {1000 * derive_s / derive_n:.2f} ms/model")


# --------------------------------------------------------------------------------------------------------
# Issue 11 scale measurements (``--scale``): each prints one line of numbers; nothing is written to the docs.

SCALE_LIMITS = ["--rate-limit-api", "1000000000", "--rate-limit-resolvers", "1000000000"]


class MirrorProcess:
    """``hubscan mirror serve`` in its own process (so the crawl's RSS and CPU are its own)."""

    def __init__(self, target: list[str], latency_ms: float, work: Path):
        self.log = work / f"mirror-{time.monotonic_ns()}.jsonl"
        command = [
            sys.executable,
            "-m",
            "hubscan",
            "mirror",
            "serve",
            *target,
            "--latency-ms",
            str(latency_ms),
        ]
        command += [*SCALE_LIMITS, "--log", str(self.log)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if " on " not in line:
            raise SystemExit(f"mirror did not start: {line!r}")
        self.url = line.rsplit(" on ", 1)[1].strip()

    def requests(self) -> list[dict]:
        """The log once it stops growing (a request is logged just after its response is sent)."""
        lines, previous = self.log.read_text().splitlines(), None
        while lines != previous:
            previous = lines
            time.sleep(0.3)
            lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def crawl_process(url: str, db_path: Path, *extra: str) -> tuple[float, float, str]:
    """Run ``hubscan crawl`` as a child: (wall seconds, peak RSS MB, stderr)."""
    command = [
        sys.executable,
        "-m",
        "hubscan",
        "crawl",
        "--endpoint",
        url,
        "--db",
        str(db_path),
        "--quiet",
        *extra,
    ]
    t0 = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - t0
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"crawl failed ({process.returncode}): {stderr}")
    return seconds, usage.ru_maxrss / 1024, stderr


def _one_file_snapshot(root: Path, n_config: int, n_card: int) -> None:
    """Repos with exactly one of the two files, as in the issue's 157-repo measurement."""
    for i in range(n_config + n_card):
        files = {"config.json": json.dumps(_llama_like("llama", "LlamaForCausalLM", 64, 2, 4, 2, 128, 256))}
        if i >= n_config:
            files = {"README.md": "---\nlicense: mit\nco2_eq_emissions: 12\n---\n# card\n"}
        write_repo(root, f"org{i % 7}/repo-{i:05d}", files=files, meta={"downloads": i})


def naive_full_run(url: str, cache_dir: Path) -> tuple[float, int]:
    """The naive loop of the issue: list_models, then model_info and hf_hub_download of both files per repo."""
    t0 = time.perf_counter()
    api = HfApi(endpoint=url)
    fetched = 0
    for model in api.list_models():
        api.model_info(model.id)
        for name in ("config.json", "README.md"):
            try:
                hf_hub_download(model.id, name, cache_dir=cache_dir, endpoint=url)
                fetched += 1
            except huggingface_hub.errors.EntryNotFoundError:
                pass
    return time.perf_counter() - t0, fetched


def scale_small(work: Path, latency_ms: float = 50.0) -> str:
    """hubscan in this process (as the naive loop runs) and as the CLI; the mirror in its own process."""
    snap = work / "small"
    _one_file_snapshot(snap, 108, 49)
    mirror = MirrorProcess([str(snap)], latency_ms, work)
    try:
        # Warm-up (imports, first connection) on a throw-away catalog, as for the naive loop below.
        crawl(open_db(work / "warm.db"), HubSource(endpoint=mirror.url), CrawlOptions(limit=3, derive=False))
        seen = len(mirror.requests())
        db = open_db(work / "small.db")
        t0 = time.perf_counter()
        crawl(db, HubSource(endpoint=mirror.url), CrawlOptions(cards="full", workers=64))
        hub_s = time.perf_counter() - t0
        hub_requests = len(mirror.requests()) - seen
        seen += hub_requests
        naive_s, fetched = naive_full_run(mirror.url, work / "small-cache")
        naive_requests = len(mirror.requests()) - seen
        seen += naive_requests
        t0 = time.perf_counter()
        crawl(db, HubSource(endpoint=mirror.url), CrawlOptions(cards="full", workers=64))
        again_s = time.perf_counter() - t0
        again = mirror.requests()[seen:]
        cli_s, _, _ = crawl_process(mirror.url, work / "small-cli.db", "--cards", "full", "--workers", "64")
    finally:
        mirror.stop()
    files_again = sum(1 for r in again if "/resolve/" in r["path"])
    return (
        f"157 repos at {latency_ms:g} ms, --cards full, 64 workers: hubscan {hub_s:.2f}s / {hub_requests} HTTP "
        f"requests (resolves counted with their resolve-cache hop); naive list_models + model_info + "
        f"hf_hub_download x2: {naive_s:.2f}s / {naive_requests} ({fetched} files); ratio {naive_s / hub_s:.1f}x; "
        f"re-crawl {again_s:.2f}s, {len(again)} requests, {files_again} file requests; the same crawl as the CLI "
        f"(interpreter start-up included) {cli_s:.2f}s = {naive_s / cli_s:.1f}x"
    )


def scale_large(work: Path, n: int = 5024, latency_ms: float = 50.0, workers: int = 16) -> str:
    """The same crawl against the Hub's recorded resolve flow (two round trips per file: 307, then 200) and a
    mirror answering resolve directly (one), each against its own network floor."""
    snap = work / "large"
    build_snapshot(snap, n)
    lines = []
    for flow in ("recorded", "direct"):
        mirror = MirrorProcess([str(snap), "--resolve-flow", flow], latency_ms, work)
        try:
            wall, rss, _ = crawl_process(mirror.url, work / f"large-{flow}.db", "--workers", str(workers))
            log = mirror.requests()
        finally:
            mirror.stop()
        pages = sum(1 for r in log if r["path"] == "/api/models")
        files = sum(1 for r in log if "/resolve/" in r["path"])
        hops = len(log) - pages - files
        per_file = 1 + (1 if hops else 0)
        floor = (pages + -(-files // workers) * per_file) * latency_ms / 1000
        floor_one = (pages + -(-files // workers)) * latency_ms / 1000
        lines.append(
            f"{n} repos at {latency_ms:g} ms, --workers {workers}, resolve flow {flow}: wall {wall:.1f}s (incl. "
            f"start-up and the end-of-crawl derive), {pages} listing + {files} resolves + {hops} resolve-cache "
            f"hops; network floor {floor:.1f}s at {per_file} request(s) per file ({wall / floor:.2f}x)"
            + (
                f", {floor_one:.1f}s at one request per file ({wall / floor_one:.2f}x)"
                if per_file > 1
                else ""
            )
            + f"; peak RSS {rss:.0f} MB"
        )
    return "\n".join(lines)


def scale_listing(work: Path, listing: Path, latency_ms: float = 0.0) -> str:
    mirror = MirrorProcess(["--listing", str(listing)], latency_ms, work)
    try:
        wall, rss, stderr = crawl_process(mirror.url, work / "listing.db", "--listing-only", "--no-derive")
        log = mirror.requests()
    finally:
        mirror.stop()
    db = open_db(work / "listing.db")
    models = db["models"].count
    db.close()
    pages = sum(1 for r in log if r["path"] == "/api/models")
    files = len(log) - pages
    return (
        f"listing-only crawl of {listing.name}: {models:,} models, {pages} listing requests, {files} file "
        f"requests, {wall:.0f}s = {1000 * wall / max(models, 1):.2f}s per 1,000 models, peak RSS {rss:.0f} MB"
    )


def scale_derive(work: Path, sizes: list[int], baseline: Path | None = None) -> str:
    """``hubscan derive`` as a child over catalogs of growing size: peak RSS should stay flat. With
    ``baseline`` (a ``src`` folder of another hubscan), the same catalog is derived first by that code (on a
    copy), so the two are compared in one run."""
    out = []
    for n in sizes:
        db_path = work / f"derive-{n}.db"
        _synthetic_catalog(db_path, n)
        runs = []
        if baseline is not None:
            copy = work / f"derive-{n}-baseline.db"
            shutil.copyfile(db_path, copy)
            runs.append(("baseline", copy, baseline))
        runs.append(("this code", db_path, None))
        for label, path, src in runs:
            seconds, rss = _derive_child(path, src)
            prefix = f"{label}: " if baseline is not None else ""
            out.append(
                f"{n:,} models: {prefix}{seconds:.0f}s ({n / seconds:,.0f} models/s), peak RSS {rss:.0f} MB"
            )
            if src is not None:
                path.unlink()
    return "hubscan derive: " + "; ".join(out)


def _derive_child(db_path: Path, src: Path | None) -> tuple[float, float]:
    """Run ``hubscan derive`` on ``db_path`` in a child (``src`` first on its path); seconds and peak RSS MB."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    command = [sys.executable, "-m", "hubscan", "derive", "--db", str(db_path)]
    t0 = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"hubscan derive failed on {db_path}: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def _synthetic_bases(rng: random.Random, i: int, pool: list[str], model_id: str) -> tuple[Any, list[str]]:
    """Base models of the i-th synthetic model, as the listing carries them: ``(base_models, tags)``.

    About 45% name a catalogued base (chains form, since bases are drawn from earlier models), 3% an
    uncatalogued one, 2% name their base only in a ``base_model:<relation>:<id>`` tag; one model in 2,000
    points forward to the next one, which points back (two-model loops; every other one names itself).
    """
    roll = rng.random()
    if i % 2000 == 1:
        return {"relation": "finetune", "models": [model_id if i % 4000 == 1 else _synthetic_id(i + 1)]}, []
    if i % 2000 == 2:
        return {"relation": "merge", "models": [_synthetic_id(i - 1), _synthetic_id(i - 2)]}, []
    if pool and roll < 0.45:
        relation = rng.choice(["finetune", "adapter", "quantized", "merge"])
        parents = [rng.choice(pool)] + ([rng.choice(pool)] if relation == "merge" else [])
        return {"relation": relation, "models": parents}, []
    if roll < 0.48:
        return {"relation": "finetune", "models": [f"external-org/base-{rng.randrange(300)}"]}, []
    if pool and roll < 0.50:
        return None, [f"base_model:quantized:{rng.choice(pool)}", "gguf"]
    return None, []


def _synthetic_id(i: int) -> str:
    return f"org{i % 97}/model-{i:07d}"


def _synthetic_catalog(db_path: Path, n: int) -> None:
    """``n`` models with a config.json each and base models (``_synthetic_bases``), written through the
    crawl's writer (no network)."""
    db = open_db(db_path)
    writer = CatalogWriter(db, run_id=None, batch_size=10**9)
    rng = random.Random(n)
    configs = [json.dumps(c) for _, _, c in _family_configs(rng)]
    pool: list[str] = []
    for start in range(0, n, 1000):
        page = []
        for i in range(start, min(n, start + 1000)):
            model_id = _synthetic_id(i)
            base_models, tags = _synthetic_bases(rng, i, pool, model_id)
            page.append(Listing(id=model_id, sha=f"{i:040x}", base_models=base_models, tags=tags or None))
            if len(pool) < 20_000 and rng.random() < 0.3 or rng.random() < 0.01:
                pool.append(model_id)
        writer.add_listings(page, set(), {})
        for listing in page:
            content = rng.choice(configs).encode()
            writer.add_file(
                model_id=listing.id, path="config.json", sha=listing.sha, status="ok", content=content
            )
        writer.commit()
    db.close()


def scale_budget(work: Path, n: int = 120, quota: int = 40, window: float = 2.0) -> str:
    """The rate budget against the mirror's real 307 flow with a small resolver quota over several windows."""
    snap = work / "budget"
    _one_file_snapshot(snap, n, 0)
    limits = {"window": window, "resolvers": quota, "api": 10**9, "pages": 10**9}
    with MirrorServer(snap, rate_limits=limits) as hub:
        source = HubSource(endpoint=hub.url, rate_reserve=8)
        t0 = time.perf_counter()
        stats = crawl(open_db(work / "budget.db"), source, CrawlOptions(workers=8, derive=False))
        seconds = time.perf_counter() - t0
        log = hub.request_log
    resolves = sum(1 for r in log if "/resolve/" in r["path"])
    too_many = sum(1 for r in log if r["status"] == 429)
    return (
        f"{n} files, resolver quota {quota} per {window:g}s window, 8 workers: {resolves} resolves (307) in "
        f"{seconds:.1f}s, {too_many} responses with status 429, {stats.rate_pauses} pauses "
        f"({stats.rate_paused_seconds:.1f}s), {stats.fetched} fetched, {stats.failed} failures"
    )


KILL_INVARIANTS = {
    "ok config without content": "SELECT count(*) FROM files f WHERE f.path = 'config.json' AND f.status = 'ok' "
    "AND NOT EXISTS (SELECT 1 FROM configs c WHERE c.model_id = f.model_id AND c.sha IS f.sha)",
    "ok card without body": "SELECT count(*) FROM files f WHERE f.path = 'README.md' AND f.status = 'ok' "
    "AND NOT EXISTS (SELECT 1 FROM cards k WHERE k.model_id = f.model_id AND k.body IS NOT NULL)",
    "duplicate models": "SELECT count(*) - count(DISTINCT id) FROM models",
}


def scale_kill(work: Path, kills: int, n: int = 400) -> str:
    """SIGKILL a CLI crawl at ``kills`` random instants, resuming each time; check what each kill left."""
    snap = work / "kill"
    build_snapshot(snap, n, seed=3)
    db_path = work / "kill.db"
    rng = random.Random(kills)
    violations: dict[str, int] = dict.fromkeys(KILL_INVARIANTS, 0)
    early_pages = 0
    command = [sys.executable, "-m", "hubscan", "crawl", "--db", str(db_path), "--cards", "full", "--quiet"]
    with MirrorServer(snap, page_size=25, latency_ms=10, rate_limits=NO_RATE_LIMITS) as hub:
        for _ in range(kills):
            cursor = _stored_cursor(db_path)
            hub.clear_log()
            process = subprocess.Popen([*command, "--endpoint", hub.url], stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(2.0, 8.0))  # the CLI's start-up takes 2-4 s of it
            process.kill()
            process.wait()
            first = next((r for r in hub.request_log if r["path"] == "/api/models"), None)
            if (
                cursor
                and first
                and (
                    "cursor=" not in first["query"] or not cursor.endswith(first["query"].split("cursor=")[1])
                )
            ):
                early_pages += 1
            conn = sqlite3.connect(db_path)
            try:
                for name, sql in KILL_INVARIANTS.items():
                    violations[name] += conn.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:  # killed before the schema existed
                pass
            finally:
                conn.close()
        final = subprocess.run([*command, "--endpoint", hub.url], capture_output=True)
    conn = sqlite3.connect(db_path)
    models, running = conn.execute(
        "SELECT (SELECT count(*) FROM models), (SELECT count(*) FROM crawl_runs WHERE status = 'running')"
    ).fetchone()
    conn.close()
    return (
        f"{kills} SIGKILLs at random instants of a {n}-repo crawl (--cards full), each resumed: violations "
        f"{violations}, resumed crawls that listed a page before the stored cursor: {early_pages}; final crawl "
        f"exit {final.returncode}, {models} models, {running} runs left running"
    )


def _stored_cursor(db_path: Path) -> str | None:
    if not db_path.exists():
        return None
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("SELECT next_cursor FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


def _shared_listing() -> Path:
    """The 760k real listing in ../shared (from a checkout or a worktree one level deeper)."""
    name = Path("corpus") / "hub_listing_2024" / "hf_models_list_2024-07-11.jsonl.gz"
    for parent in (ROOT.parent, ROOT.parent.parent):
        if (parent / "shared" / name).exists():
            return parent / "shared" / name
    return ROOT.parent / "shared" / name


def run_scale(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="hubscan-bench-scale-"))
    try:
        for name in args.scale:
            t0 = time.perf_counter()
            if name == "small":
                line = scale_small(work)
            elif name == "large":
                line = scale_large(work, n=args.large_models)
            elif name == "listing":
                line = scale_listing(work, args.listing)
            elif name == "budget":
                line = scale_budget(work)
            elif name == "kill":
                line = scale_kill(work, args.kills)
            else:
                line = scale_derive(work, args.derive_sizes, args.derive_baseline)
            print(f"[{name}] {line}  ({time.perf_counter() - t0:.0f}s)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=2000, help="synthetic repos in the snapshot")
    ap.add_argument("--latency-ms", type=float, default=30.0, help="simulated latency per request")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "CRAWL.md")
    ap.add_argument("--no-docs", action="store_true", help="print only; leave docs/CRAWL.md alone")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (snapshot, catalogs)")
    ap.add_argument(
        "--scale",
        nargs="+",
        choices=["small", "large", "listing", "derive", "budget", "kill"],
        help="run issue 11's scale measurements instead (mirror and crawl in their own processes)",
    )
    ap.add_argument("--large-models", type=int, default=5024)
    ap.add_argument(
        "--listing", type=Path, default=_shared_listing(), help="listing file for --scale listing"
    )
    ap.add_argument("--kills", type=int, default=30, help="SIGKILLs for --scale kill")
    ap.add_argument("--derive-sizes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument(
        "--derive-baseline",
        type=Path,
        help="--scale derive: a src folder of another hubscan (e.g. `git archive` of main) to derive the same "
        "catalogs with first, for a before/after in one run",
    )
    args = ap.parse_args(argv)
    if args.scale:
        run_scale(args)
        return 0

    work = Path(tempfile.mkdtemp(prefix="hubscan-bench-crawl-"))
    try:
        t0 = time.perf_counter()
        families, _ids = build_snapshot(work / "snapshot", args.models, seed=args.seed)
        build_s = time.perf_counter() - t0
        print(f"snapshot: {args.models} repos in {build_s:.1f}s ({work / 'snapshot'})", file=sys.stderr)
        results: dict[float, dict[str, Run]] = {}
        for latency in dict.fromkeys([args.latency_ms, 0.0]):
            t0 = time.perf_counter()
            results[latency] = measure(work / "snapshot", work, args.models, latency)
            print(f"{latency:g} ms: measured in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
        derive_s, derive_n = derive_run(work / f"w8-{args.latency_ms:g}ms.db")
        print_table(results, derive_s, derive_n)
        if not args.no_docs:
            update_doc(args.out, render(args, families, build_s, results, derive_s, derive_n))
            print(f"updated {args.out}", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(_HF_HOME, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
