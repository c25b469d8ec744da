"""Property tests: counts grow with depth and width; MoE active never exceeds total."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hubscan.estimate.footprint import analyze_config

heads = st.sampled_from([1, 2, 4, 8])


def _llama(L: int, nh: int, hd: int, inter: int, kv_div: int = 1) -> dict:
    return {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": nh * hd,
        "num_attention_heads": nh,
        "num_key_value_heads": max(1, nh // kv_div),
        "num_hidden_layers": L,
        "intermediate_size": inter,
        "vocab_size": 1000,
    }


@settings(max_examples=60, deadline=None)
@given(L=st.integers(1, 48), nh=heads, hd=st.sampled_from([8, 16, 64]), inter=st.integers(1, 4096))
def test_monotonic_in_layers(L, nh, hd, inter):
    a = analyze_config(_llama(L, nh, hd, inter), use_transformers=False)
    b = analyze_config(_llama(L + 1, nh, hd, inter), use_transformers=False)
    assert b["params"]["total"] > a["params"]["total"]
    assert b["memory"]["kv_bytes_per_token"] > a["memory"]["kv_bytes_per_token"]
    assert b["flops_per_token"] > a["flops_per_token"]


@settings(max_examples=60, deadline=None)
@given(L=st.integers(1, 24), nh=heads, hd=st.sampled_from([8, 16, 64]), inter=st.integers(1, 4096))
def test_monotonic_in_width(L, nh, hd, inter):
    base = analyze_config(_llama(L, nh, hd, inter), use_transformers=False)["params"]["total"]
    wider = analyze_config(_llama(L, nh, hd * 2, inter), use_transformers=False)["params"]["total"]
    bigger_ffn = analyze_config(_llama(L, nh, hd, inter + 1), use_transformers=False)["params"]["total"]
    assert wider > base and bigger_ffn > base


@settings(max_examples=60, deadline=None)
@given(
    L=st.integers(1, 16),
    E=st.integers(1, 64),
    k=st.integers(1, 8),
    inter=st.integers(1, 1024),
    shared=st.integers(0, 512),
)
def test_moe_active_at_most_total(L, E, k, inter, shared):
    mixtral = {
        "model_type": "mixtral",
        "hidden_size": 64,
        "num_attention_heads": 4,
        "num_hidden_layers": L,
        "intermediate_size": inter,
        "vocab_size": 100,
        "num_local_experts": E,
        "num_experts_per_tok": k,
    }
    qwen = {
        "model_type": "qwen2_moe",
        "hidden_size": 64,
        "num_attention_heads": 4,
        "num_hidden_layers": L,
        "intermediate_size": inter,
        "moe_intermediate_size": inter,
        "vocab_size": 100,
        "num_experts": E,
        "num_experts_per_tok": k,
        "shared_expert_intermediate_size": shared,
    }
    for cfg in (mixtral, qwen):
        p = analyze_config(cfg, use_transformers=False)["params"]
        assert p["confidence"] == "exact"
        assert 0 < p["active"] <= p["total"]
        if k < E:
            assert p["active"] < p["total"]


@settings(max_examples=40, deadline=None)
@given(ctx=st.integers(0, 200_000), kv_div=st.sampled_from([1, 2, 4, 8]))
def test_kv_cache_linear_in_context_and_gqa_smaller(ctx, kv_div):
    mha = analyze_config(_llama(4, 8, 16, 64), context=ctx, use_transformers=False)["memory"]
    gqa = analyze_config(_llama(4, 8, 16, 64, kv_div), context=ctx, use_transformers=False)["memory"]
    assert mha["kv_cache_bytes"] == mha["kv_bytes_per_token"] * ctx
    assert gqa["kv_bytes_per_token"] * kv_div == mha["kv_bytes_per_token"]


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "model_type",
                "hidden_size",
                "num_hidden_layers",
                "num_attention_heads",
                "intermediate_size",
                "vocab_size",
                "architectures",
                "text_config",
                "num_key_value_heads",
                "tie_word_embeddings",
                "d_model",
                "n_layer",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-5, 10_000),
            st.text(max_size=8),
            st.sampled_from(["llama", "t5", "bert", "mixtral", "llava", "gpt2"]),
            st.lists(st.integers(0, 3), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        ),
    )
)
def test_any_dict_never_raises(cfg):
    rec = analyze_config(cfg, use_transformers=False)
    p = rec["params"]
    assert p["confidence"] in ("exact", "approximate", "unknown", "invalid")
    if p["confidence"] == "invalid":  # e.g. hidden_size -1: a clear reason, no number
        assert p["total"] is None and p["reason"].startswith("invalid_config: ")
    if p["total"] is not None:
        assert isinstance(p["total"], int) and p["total"] >= 0
