"""Hand-worked footprints of four 2025 architectures, derived here from their published architecture numbers.

Every expected value is written out arithmetically from the model's published shape (the numbers in its
config.json / model card), not taken from hubscan. Context for the KV cache: 32k tokens, 16-bit cache.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hubscan.estimate.footprint import analyze_config

_base = (
    Path(os.environ["HUBSCAN_SHARED"])
    if os.environ.get("HUBSCAN_SHARED")
    else Path(__file__).resolve().parents[2] / "shared"
)
FILES = _base / "corpus" / "configs_modern" / "files"
if not FILES.exists():
    pytest.skip(f"modern corpus not found at {FILES} (set HUBSCAN_SHARED)", allow_module_level=True)

CTX = 32 * 1024


def _rec(name: str) -> dict:
    with open(FILES / f"{name}.json") as fh:
        return analyze_config(json.load(fh), context=CTX, use_transformers=False)


def test_deepseek_v32_mla_moe_fp8():
    # DeepSeek-V3.2: hidden 7168, 61 layers (3 dense + 58 MoE), 128 heads, MLA q_lora 1536 / kv_lora 512,
    # qk 128 nope + 64 rope, v 128; dense FFN 18432; 256 routed experts of 2048 (top-8) + 1 shared;
    # DSA indexer 64 heads x 128; vocab 129280, untied head; FP8 with 128x128 block scales.
    h, layers, dense, sparse = 7168, 61, 3, 58
    attn = 7168 * 1536 + 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 + 512 * 128 * 256 + 128 * 128 * 7168
    indexer = 1536 * 64 * 128 + 7168 * 128 + 2 * 128 + 7168 * 64
    expert = 3 * 7168 * 2048
    router = 7168 * 256
    emb = 129280 * 7168
    norms = layers * 2 * h + h
    total = (
        2 * emb
        + layers * (attn + indexer)
        + dense * 3 * 7168 * 18432
        + sparse * (257 * expert + router)
        + norms
    )
    assert total == 671_877_929_216  # transformers 5.25 on the meta device (configs_modern ground truth)
    rec = _rec("deepseek-ai__DeepSeek-V3.2")
    p, m = rec["params"], rec["memory"]
    assert p["total"] == total
    assert p["active"] == total - sparse * (256 - 8) * expert
    # KV cache: MLA stores the 512-dim latent + the 64-dim shared rope key; the indexer caches a 128-dim key
    assert m["kv_cache_bytes"] == layers * (512 + 64 + 128) * 2 * CTX
    assert m["state_bytes"] == 0
    kept = 2 * emb + norms + sparse * router  # embeddings, head, norms, routers stay bf16
    assert m["weights_bytes"] == round((total - kept) * (1 + 4 / (128 * 128)) + kept * 2)
    assert m["quantization"]["scheme"] == "fp8"
    assert rec["flops_per_token"] >= 2 * p["active"]
    assert p["mtp"] > 0  # the MTP layer is reported, not counted


def test_gpt_oss_120b_mxfp4_sliding_window_sinks():
    # gpt-oss-120b: hidden 2880, 36 layers alternating 128-token sliding window / full attention,
    # 64 query heads x 64, 8 KV heads, biases and one sink per head; 128 experts (top-4) of width 2880 with
    # biases, router with bias; vocab 201088, untied; MXFP4 experts (4-bit + E8M0 scale per 32), rest bf16.
    h, layers = 2880, 36
    attn = (2880 * 4096 + 4096) + 2 * (2880 * 512 + 512) + (4096 * 2880 + 2880) + 64
    expert = (2880 * 5760 + 5760) + (2880 * 2880 + 2880)
    router = 2880 * 128 + 128
    emb = 201088 * 2880
    norms = layers * 2 * h + h
    experts = layers * 128 * expert
    total = 2 * emb + layers * (attn + router) + experts + norms
    assert total == 116_829_156_672
    rec = _rec("openai__gpt-oss-120b")
    p, m = rec["params"], rec["memory"]
    assert p["total"] == total
    assert p["active"] == total - layers * (128 - 4) * expert
    kv_token_layer = 2 * 8 * 64 * 2  # K and V, 8 heads x 64, 2 bytes
    assert m["kv_cache_bytes"] == 18 * CTX * kv_token_layer + 18 * 128 * kv_token_layer
    assert m["weights_bytes"] == round(experts * (0.5 + 1 / 32) + (total - experts) * 2)
    assert m["quantization"]["scheme"] == "mxfp4"
    assert "attention" in m["quantization"]["unquantized_parts"]


def test_nemotron_3_nano_hybrid_mamba_moe():
    # Nemotron-3-Nano-30B-A3B: hidden 2688, 52 blocks, each one Mamba-2 mixer (M), attention (*) or MoE (E);
    # Mamba-2: 64 heads x 64, 8 groups, state 128, conv 4 (with bias); attention 32 heads x 128, 2 KV heads;
    # MoE: 128 relu^2 experts of 1856 (top-6) + a 3712 shared expert; vocab 131072, untied.
    pattern = "MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME"
    n_m, n_a, n_e = pattern.count("M"), pattern.count("*"), pattern.count("E")
    assert (n_m, n_a, n_e) == (23, 6, 23)
    h, inner, conv_dim = 2688, 64 * 64, 64 * 64 + 2 * 8 * 128
    mamba = h * (2 * inner + 2 * 8 * 128 + 64) + conv_dim * 4 + conv_dim + 3 * 64 + inner + inner * h
    attn = h * 4096 + 2 * h * 256 + 4096 * h
    expert = 2 * h * 1856
    moe = 128 * expert + h * 128 + 2 * h * 3712
    total = 2 * 131072 * h + n_m * mamba + n_a * attn + n_e * moe + 52 * h + h
    assert total == 31_577_937_344
    rec = _rec("nvidia__NVIDIA-Nemotron-3-Nano-30B-A3B-BF16")
    p, m = rec["params"], rec["memory"]
    assert p["total"] == total
    assert p["active"] == total - n_e * (128 - 6) * expert
    kv = n_a * CTX * (2 * 2 * 128) * 2  # only the 6 attention blocks cache K/V
    state = n_m * (64 * 64 * 128 + conv_dim * 3) * 2  # SSM state + conv window per Mamba block
    assert m["attention_kv_bytes"] == kv
    assert m["state_bytes"] == state
    assert m["kv_cache_bytes"] == kv + state
    assert m["weights_bytes"] == 2 * total  # bf16


def test_qwen3_vl_8b_dense_vl():
    # Qwen3-VL-8B: text hidden 4096, 36 layers, 32 heads x 128, 8 KV heads, q/k norms, FFN 12288,
    # vocab 151936, untied; vision 27 blocks of 1152 (FFN 4304), 16px patches x 2 frames, 2304 positions,
    # 2x2 merger to 4096 and 3 deepstack mergers.
    h, layers = 4096, 36
    attn = h * 4096 + 2 * h * 1024 + 4096 * h + 2 * 128
    text = 2 * 151936 * h + layers * (attn + 3 * h * 12288 + 2 * h) + h
    hv, merged = 1152, 1152 * 4
    block = 4 * hv + (3 * hv * hv + 3 * hv) + (hv * hv + hv) + (hv * 4304 + 4304) + (4304 * hv + hv)
    merger = merged * merged + merged + merged * 4096 + 4096
    vision = 3 * 2 * 16 * 16 * hv + hv + 2304 * hv + 27 * block + 2 * hv + merger + 3 * (2 * merged + merger)
    total = text + vision
    assert total == 8_767_123_696
    rec = _rec("Qwen__Qwen3-VL-8B-Instruct")
    p, m = rec["params"], rec["memory"]
    assert p["total"] == total
    assert p["active"] == total
    assert p["embedding"] == 151936 * h
    assert m["kv_cache_bytes"] == layers * CTX * (2 * 8 * 128) * 2
    assert m["weights_bytes"] == 2 * total
    assert rec["flops_per_token"] == 2 * total + layers * 4 * CTX * 4096
