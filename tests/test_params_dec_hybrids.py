"""Hybrid, recurrent and unusual-MoE text decoders: analytic formulas (families/hybrids.py, moe_decoders.py) and
the structural shapes added for them (short convolutions, Kimi delta attention, gated attention outputs,
hyper-connections, KV-shared layers).

The hand-derived cases list every tensor of a tiny model by its shape (read off transformers' module tree) and
sum them, independently of the formula code. The meta cases (skipped without transformers/torch) build seeded
random small configs on the meta device and compare with ``sum(p.numel())``.
"""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from hubscan.estimate.footprint import analyze_config
from hubscan.estimate.structural import count_structural
from hubscan.estimate.structural_parts import FAMILY_SHAPES, Hints


def _numel(shapes: dict[str, tuple[int, ...]]) -> int:
    return sum(math.prod(s) for s in shapes.values())


def _params(config: dict) -> dict:
    return analyze_config(config, use_transformers=False)["params"]


# ----------------------------------------------------------------------------- hand-derived, no torch


def test_zamba_counts_the_shared_block_once(no_torch):
    h, A, nh, hd, inter, V, inner, N, K, R = 8, 16, 2, 8, 12, 10, 16, 2, 3, 1
    cfg = {
        "model_type": "zamba",
        "architectures": ["ZambaForCausalLM"],
        "hidden_size": h,
        "attention_hidden_size": A,
        "num_attention_heads": nh,
        "num_key_value_heads": nh,
        "attention_head_dim": hd,
        "intermediate_size": inter,
        "vocab_size": V,
        "num_hidden_layers": 4,
        "layers_block_type": ["mamba", "hybrid", "mamba", "hybrid"],
        "mamba_expand": 2,
        "mamba_d_state": N,
        "mamba_d_conv": K,
        "mamba_dt_rank": R,
        "n_mamba_heads": 2,
        "tie_word_embeddings": True,
    }
    mamba_layer = {
        "in_proj": (2 * inner, h),
        "conv.w": (inner, 1, K),
        "conv.b": (inner,),
        "x_proj": (2, R + 2 * N, inner // 2),
        "dt_proj.w": (2, inner // 2, R),
        "dt_proj.b": (2, inner // 2),
        "A_log": (2, inner // 2, N),
        "D": (2, inner // 2),
        "out_proj": (h, inner),
        "input_layernorm": (h,),
    }
    shared = {
        "q": (nh * hd, A),
        "k": (nh * hd, A),
        "v": (nh * hd, A),
        "o": (h, nh * hd),
        "gate": (inter, h),
        "up": (inter, h),
        "down": (h, inter),
        "input_layernorm": (A,),
        "pre_ff_layernorm": (h,),
    }
    hand = V * h + 4 * _numel(mamba_layer) + 2 * h * h + _numel(shared) + h
    p = _params(cfg)
    assert p["confidence"] == "exact" and p["method"] == "analytic:zamba"
    assert p["total"] == hand
    untied = _params({**cfg, "tie_word_embeddings": False})
    assert untied["total"] == hand + V * h


def test_jetmoe_experts_in_attention_and_mlp(no_torch):
    h, L, V, E, k, kv, hd, inter = 16, 2, 20, 3, 2, 2, 4, 10
    cfg = {
        "model_type": "jetmoe",
        "architectures": ["JetMoeForCausalLM"],
        "hidden_size": h,
        "num_hidden_layers": L,
        "vocab_size": V,
        "num_local_experts": E,
        "num_experts_per_tok": k,
        "num_key_value_heads": kv,
        "kv_channels": hd,
        "intermediate_size": inter,
        "tie_word_embeddings": True,
    }
    layer = {
        "moa.bias": (h,),
        "moa.input": (E, kv * hd, h),
        "moa.output": (E, h, kv * hd),
        "moa.router": (E, h),
        "kv_proj": (2 * kv * hd, h),
        "moe.bias": (h,),
        "moe.input": (E, 2 * inter, h),
        "moe.output": (E, h, inter),
        "moe.router": (E, h),
        "norms": (2, h),
    }
    p = _params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == V * h + L * _numel(layer) + h
    per_expert = 2 * kv * hd * h + 3 * inter * h
    assert p["total"] - p["active"] == L * (E - k) * per_expert


def test_recurrent_gemma_cycles_its_block_types(no_torch):
    h, nh, W, K, inter, V = 8, 2, 12, 3, 10, 30
    cfg = {
        "model_type": "recurrent_gemma",
        "architectures": ["RecurrentGemmaForCausalLM"],
        "hidden_size": h,
        "num_hidden_layers": 3,
        "num_attention_heads": nh,
        "num_key_value_heads": 1,
        "lru_width": W,
        "conv1d_width": K,
        "intermediate_size": inter,
        "vocab_size": V,
        "block_types": ["recurrent", "attention"],  # -> recurrent, attention, recurrent
    }
    hd, half, bw = h // nh, inter // 2, W // nh
    recurrent = {
        "linear_y": (W * h + W,),
        "linear_x": (W * h + W,),
        "linear_out": (h * W + h,),
        "conv": (W * K + W,),
        "recurrent_param": (W,),
        "input_gate": (nh, bw, bw),
        "input_gate_bias": (nh, bw),
        "recurrent_gate": (nh, bw, bw),
        "recurrent_gate_bias": (nh, bw),
    }
    attention = {"q": (nh * hd, h), "k": (hd, h), "v": (hd, h), "o": (h, nh * hd), "o.b": (h,)}
    mlp = {"gate": (half * h + half,), "up": (half * h + half,), "down": (h * half + h,)}
    hand = V * h + 2 * _numel(recurrent) + _numel(attention) + 3 * _numel(mlp) + 3 * 2 * h + h
    p = _params(cfg)
    assert p["confidence"] == "exact" and p["total"] == hand


def test_xlstm_layer_by_layer(no_torch):
    h, nh, V, L = 64, 4, 50, 2
    cfg = {
        "model_type": "xlstm",
        "architectures": ["xLSTMForCausalLM"],
        "hidden_size": h,
        "num_hidden_layers": L,
        "num_heads": nh,
        "vocab_size": V,
        "qk_dim_factor": 0.5,
        "v_dim_factor": 1.0,
        "ffn_proj_factor": 1.3,
        "ffn_round_up_to_multiple_of": 16,
        "use_bias": False,
        "tie_word_embeddings": True,  # the head is still separate: xLSTM declares no tied weights
    }
    qk, v, up = 32, 64, 96  # 1.3 x 64 = 83.2 -> rounded up to a multiple of 16
    block = {
        "norm_mlstm": (h,),
        "q": (qk, h),
        "k": (qk, h),
        "v": (v, h),
        "ogate": (v, h),
        "igate": (nh * h + nh,),
        "fgate": (nh * h + nh,),
        "multihead_norm": (v,),
        "out_proj": (h, v),
        "norm_ffn": (h,),
        "proj_up_gate": (up, h),
        "proj_up": (up, h),
        "proj_down": (h, up),
    }
    p = _params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == V * h + L * _numel(block) + h + V * h


def test_lfm2_short_convolution_blocks(no_torch):
    h, nh, kv, V, inter, K = 16, 4, 2, 40, 48, 3
    cfg = {
        "model_type": "lfm2",
        "architectures": ["Lfm2ForCausalLM"],
        "hidden_size": h,
        "num_hidden_layers": 3,
        "num_attention_heads": nh,
        "num_key_value_heads": kv,
        "vocab_size": V,
        "intermediate_size": inter,
        "conv_L_cache": K,
        "conv_bias": True,
        "block_auto_adjust_ff_dim": True,
        "block_ffn_dim_multiplier": 1.0,
        "block_multiple_of": 8,
        "layer_types": ["conv", "full_attention", "conv"],
        "norm_eps": 1e-5,
        "tie_word_embeddings": True,
    }
    hd, ff = h // nh, 32  # int(2 * 48 / 3) = 32, already a multiple of 8
    conv = {"in_proj": (3 * h * h + 3 * h,), "conv": (h * K + h,), "out_proj": (h * h + h,)}
    attn = {"q": (nh * hd, h), "k": (kv * hd, h), "v": (kv * hd, h), "o": (h, nh * hd), "qk_norms": (2, hd)}
    per_layer = {"w1": (ff, h), "w3": (ff, h), "w2": (h, ff), "norms": (2, h)}
    hand = V * h + 2 * _numel(conv) + _numel(attn) + 3 * _numel(per_layer) + h
    assert count_structural(cfg).total == hand


def test_kv_shared_layers_drop_their_key_value_projections(no_torch):
    """Gemma 3n / Gemma 4: the last num_kv_shared_layers layers own no k/v projection nor k norm, and with
    use_double_wide_mlp their MLP is twice as wide (a verified type: a miss here would be a confident wrong)."""
    h, nh, kv, hd, inter = 32, 4, 2, 8, 40
    base = {
        "model_type": "gemma4_text",
        "architectures": ["Gemma4ForCausalLM"],
        "hidden_size": h,
        "num_hidden_layers": 4,
        "num_attention_heads": nh,
        "num_key_value_heads": kv,
        "head_dim": hd,
        "intermediate_size": inter,
        "vocab_size": 64,
        "rms_norm_eps": 1e-6,
        "layer_types": ["sliding_attention", "full_attention"] * 2,
        "sliding_window": 16,
    }
    plain = count_structural(base).total
    shared = count_structural({**base, "num_kv_shared_layers": 2}).total
    k_v_knorm = 2 * kv * hd * h + hd
    assert plain - shared == 2 * k_v_knorm
    wide = count_structural({**base, "num_kv_shared_layers": 2, "use_double_wide_mlp": True}).total
    assert wide - shared == 2 * 3 * h * inter


def test_every_declared_family_shape_is_a_hints_field():
    """A misspelt or missing field would be set on the instance and silently ignored elsewhere."""
    fields = {f.name for f in dataclasses.fields(Hints)}
    for model_type, shape in FAMILY_SHAPES.items():
        assert set(shape) <= fields, (model_type, set(shape) - fields)


_TINY = {"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32, "intermediate_size": 8}


@pytest.mark.parametrize(
    ("model_type", "arch", "extra"),
    [
        ("xlstm", "xLSTMForSequenceClassification", {"num_heads": 2}),
        ("jetmoe", "JetMoeForTokenClassification", {"num_local_experts": 2, "kv_channels": 4}),
        ("recurrent_gemma", "RecurrentGemmaForQuestionAnswering", {"num_attention_heads": 2}),
    ],
)
def test_heads_transformers_does_not_have_are_unknown(no_torch, model_type, arch, extra):
    """The family formula refuses a head class the family does not have (no guess from the formula)."""
    cfg = {"model_type": model_type, "architectures": [arch], **_TINY, "num_key_value_heads": 2, **extra}
    p = _params(cfg)
    assert p["confidence"] != "exact", p
    assert "is not modelled" in p["reason"], p
    counted = _params({**cfg, "architectures": [arch.split("For")[0] + "ForCausalLM"]})
    assert counted["confidence"] == "exact" and counted["total"] > 0


# ----------------------------------------------------------------------------- against transformers (meta)

META_CASES = 3


def _meta_total(cfg: dict) -> int:
    from hubscan.estimate import meta

    return sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())


def _config(model_type: str, **kwargs) -> dict:
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    return CONFIG_MAPPING[model_type](**kwargs).to_dict()


def _small(r: random.Random) -> dict:
    nh = r.choice([2, 4])
    size = {"hidden_size": nh * r.choice([8, 16]), "num_attention_heads": nh, "vocab_size": r.randint(50, 90)}
    return {**size, "pad_token_id": 0}


def _analytic_cases(r: random.Random) -> list[tuple[str, dict]]:
    s = _small(r)
    h, nh = s["hidden_size"], s["num_attention_heads"]
    hybrid = ["mamba", "hybrid", "mamba", "hybrid", "hybrid"]
    tie = {"tie_word_embeddings": r.random() < 0.5}
    return [
        ("zamba", {**s, **tie, "num_hidden_layers": 5, "layers_block_type": hybrid, "intermediate_size": 24}),
        (
            "zamba2",
            {
                **s,
                **tie,
                "num_hidden_layers": 5,
                "layers_block_type": hybrid,
                "num_mem_blocks": r.choice([1, 2]),
                "use_shared_attention_adapter": r.random() < 0.5,
                "adapter_rank": 4,
                "intermediate_size": 24,
                "n_mamba_heads": 2,
                "mamba_d_state": 8,
            },
        ),
        ("recurrent_gemma", {**s, **tie, "num_hidden_layers": r.randint(2, 5), "intermediate_size": 24}),
        (
            "jetmoe",
            {
                "hidden_size": h,
                "vocab_size": s["vocab_size"],
                "num_hidden_layers": 2,
                "num_key_value_heads": 2,
                "kv_channels": 8,
                "num_local_experts": 4,
                "num_experts_per_tok": 2,
                "intermediate_size": 24,
                **tie,
            },
        ),
        (
            "doge",
            {
                **s,
                **tie,
                "num_hidden_layers": 2,
                "num_key_value_heads": nh // 2,
                "is_moe": r.random() < 0.5,
                "num_experts": 16,
                "num_experts_per_tok": 4,
                "intermediate_size": 24,
                "attention_bias": r.random() < 0.5,
            },
        ),
        ("xlstm", {"hidden_size": 64, "num_heads": 4, "num_hidden_layers": 2, "vocab_size": 50, **tie}),
    ]


@pytest.mark.parametrize("seed", range(META_CASES))
def test_analytic_formulas_match_transformers(seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    r = random.Random(seed)
    for model_type, kwargs in _analytic_cases(r):
        cfg = _config(model_type, **kwargs)
        p = _params(cfg)
        assert p["confidence"] == "exact", (model_type, p["reason"])
        assert p["total"] == _meta_total(cfg), (model_type, kwargs)


def _structural_cases(r: random.Random) -> list[tuple[str, dict]]:
    s = _small(r)
    h = s["hidden_size"]
    moe = {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 8, "intermediate_size": 24}
    return [
        ("afmoe", {**s, **moe, "num_hidden_layers": 3, "num_dense_layers": 1, "head_dim": 8}),
        ("beam", {**s, **moe, "num_hidden_layers": 2, "head_dim": 8, "num_key_value_heads": 1}),
        ("lfm2", {**s, "num_hidden_layers": 3, "intermediate_size": 48, "full_attn_idxs": [1]}),
        (
            "kimi_linear",
            {
                **s,
                "num_hidden_layers": 2,
                "intermediate_size": 24,
                "linear_num_heads": 2,
                "linear_head_dim": 8,
            }
            | {"num_experts": 4, "moe_intermediate_size": 8},
        ),
        (
            "bailing_hybrid",
            {
                **s,
                "num_hidden_layers": 2,
                "intermediate_size": 24,
                "linear_num_heads": 2,
                "linear_head_dim": 8,
            }
            | {"num_experts": 4, "moe_intermediate_size": 8, "first_k_dense_replace": 1},
        ),
        ("mimo_v2_flash", {**s, "num_hidden_layers": 2, "n_routed_experts": 4, "moe_intermediate_size": 8}),
        (
            "hy_v4",
            {**s, "num_hidden_layers": 2, "n_routed_experts": 4, "moe_intermediate_size": 8, "hc_mult": 2},
        ),
        ("lfm3", {**s, "num_hidden_layers": 3, "intermediate_size": 24, "head_dim": h // 2}),
    ]


@pytest.mark.parametrize("seed", range(META_CASES))
def test_structural_shapes_match_transformers(seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    r = random.Random(100 + seed)
    for model_type, kwargs in _structural_cases(r):
        cfg = _config(model_type, **kwargs)
        assert count_structural(cfg).total == _meta_total(cfg), (model_type, kwargs)


FIXED_ANALYTIC = [
    (
        "longcat_flash",
        {"num_layers": 2, "hidden_size": 64, "attention_bias": True, "router_bias": True}
        | {"n_routed_experts": 6, "zero_expert_num": 3, "moe_topk": 2, "expert_ffn_hidden_size": 16}
        | {"ffn_hidden_size": 40, "num_attention_heads": 4, "q_lora_rank": 16, "kv_lora_rank": 8}
        | {"qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8, "vocab_size": 100},
    ),
    (
        "deepseek_v4",
        {"num_hidden_layers": 3, "hidden_size": 64, "mlp_bias": True, "n_routed_experts": 4}
        | {
            "layer_types": [
                "sliding_attention",
                "compressed_sparse_attention",
                "heavily_compressed_attention",
            ]
        }
        | {
            "mlp_layer_types": ["hash_moe", "moe", "moe"],
            "num_experts_per_tok": 2,
            "moe_intermediate_size": 16,
        }
        | {"num_attention_heads": 4, "head_dim": 16, "q_lora_rank": 24, "o_groups": 2, "o_lora_rank": 8}
        | {"index_n_heads": 2, "index_head_dim": 8, "hc_mult": 3, "vocab_size": 100},
    ),
    (
        "dory",
        {"num_hidden_layers": 3, "n_input_layers": 1, "n_output_layers": 1, "hidden_size": 64}
        | {"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 80}
        | {"mlp_bias": True, "attention_bias": True, "vocab_size": 100, "pad_token_id": 0},
    ),
    (
        "hrm_text",
        {"num_layers_per_stack": 2, "hidden_size": 64, "num_attention_heads": 4, "head_dim": 16}
        | {"attention_bias": True, "mlp_bias": True, "vocab_size": 100, "intermediate_size": 80},
    ),
    (
        "zaya",
        {"num_hidden_layers": 3, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2}
        | {"head_dim": 16, "attention_bias": True, "lm_head_bias": True, "tie_word_embeddings": False}
        | {"num_experts": 4, "num_experts_per_tok": 1, "moe_intermediate_size": 32, "router_hidden_size": 16}
        | {
            "cca_time0": 3,
            "cca_time1": 2,
            "vocab_size": 100,
            "layer_types": ["hybrid", "hybrid_sliding", "hybrid"],
        }
        | {"sliding_window": 32, "pad_token_id": 0},
    ),
    (
        "modernbert-decoder",
        {"num_hidden_layers": 3, "hidden_size": 64, "num_attention_heads": 4}
        | {"intermediate_size": 80, "norm_bias": True, "attention_bias": True, "mlp_bias": True}
        | {"decoder_bias": False, "tie_word_embeddings": False, "vocab_size": 100, "pad_token_id": 0},
    ),
    (
        "mllama",
        {
            "text_config": {"num_hidden_layers": 3, "hidden_size": 64, "num_attention_heads": 4}
            | {
                "num_key_value_heads": 2,
                "intermediate_size": 80,
                "vocab_size": 100,
                "cross_attention_layers": [1],
            }
            | {"pad_token_id": 0}
        },
    ),
]


FIXED_ANALYTIC += [
    (
        "blt",
        {"patch_in_forward": False, "encoder_hash_byte_group_vocab": 100}
        | {
            "encoder_config": {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2}
            | {
                "num_hidden_layers": 2,
                "intermediate_size": 100,
                "cross_attn_all_layers": True,
                "hidden_size_global": 96,
            }
        }
        | {
            "decoder_config": {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 4}
            | {"num_hidden_layers": 2, "intermediate_size": 90, "hidden_size_global": 96}
        }
        | {
            "global_config": {"hidden_size": 96, "num_attention_heads": 4, "num_key_value_heads": 4}
            | {"num_hidden_layers": 2, "intermediate_size": 120}
        },
    ),
    (
        "moshi",
        {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2}
        | {"head_dim": 16, "ffn_dim": 96, "vocab_size": 100},
    ),
]

FIXED_ANALYTIC += [
    (
        "nemotron",
        {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2}
        | {
            "head_dim": 16,
            "intermediate_size": 100,
            "vocab_size": 100,
            "attention_bias": True,
            "mlp_bias": True,
        },
    ),
]

FIXED_ANALYTIC += [
    (
        "git",
        {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 100}
        | {"vocab_size": 100, "num_image_with_embedding": 3, "tie_word_embeddings": True}
        | {
            "vision_config": {"hidden_size": 32, "intermediate_size": 50, "num_hidden_layers": 2}
            | {"num_attention_heads": 4, "image_size": 32, "patch_size": 8}
        },
    ),
]

FIXED_ANALYTIC += [
    (
        "got_ocr2",
        {"tie_word_embeddings": False, "image_token_index": 150}
        | {
            "text_config": {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4}
            | {"num_key_value_heads": 2, "intermediate_size": 100, "vocab_size": 200}
        }
        | {
            "vision_config": {"hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4}
            | {"image_size": 64, "patch_size": 8, "window_size": 4, "global_attn_indexes": [1], "mlp_dim": 40}
            | {"output_channels": 16, "qkv_bias": False}
        },
    ),
]

FIXED_ANALYTIC += [
    (
        "moss_transcribe_diarize",
        {"projector_bias": False, "audio_merge_size": 2, "tie_word_embeddings": False, "audio_token_id": 150}
        | {
            "text_config": {"model_type": "qwen3", "num_hidden_layers": 2, "hidden_size": 64, "head_dim": 16}
            | {
                "num_attention_heads": 4,
                "num_key_value_heads": 2,
                "intermediate_size": 100,
                "vocab_size": 200,
            }
        }
        | {
            "audio_config": {"num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 4}
            | {"intermediate_size": 50, "max_source_positions": 30, "num_mel_bins": 16}
        },
    ),
]

CAUSAL_LM = {
    "moss_transcribe_diarize": "MossTranscribeDiarizeForConditionalGeneration",
    "got_ocr2": "GotOcr2ForConditionalGeneration",
    "git": "GitForCausalLM",
    "nemotron": "NemotronForCausalLM",
    "blt": "BltForCausalLM",
    "moshi": "MoshiForCausalLM",
    "longcat_flash": "LongcatFlashForCausalLM",
    "deepseek_v4": "DeepseekV4ForCausalLM",
    "dory": "DoryForCausalLM",
    "hrm_text": "HrmTextForCausalLM",
    "zaya": "ZayaForCausalLM",
    "modernbert-decoder": "ModernBertDecoderForCausalLM",
    "mllama": "MllamaForCausalLM",
}


@pytest.mark.parametrize(("model_type", "kwargs"), FIXED_ANALYTIC, ids=[c[0] for c in FIXED_ANALYTIC])
def test_fixed_analytic_configs_match_transformers(model_type, kwargs):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    cfg = {**_config(model_type, **kwargs), "architectures": [CAUSAL_LM[model_type]]}
    p = _params(cfg)
    assert p["confidence"] == "exact", (model_type, p["reason"])
    assert p["total"] == _meta_total(cfg), model_type


FIXED_STRUCTURAL = [
    (
        "kolibri1_1",
        {"num_hidden_layers": 4, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2}
        | {"head_dim": 16, "kv_source_layers": [0, 1, 2, 2], "mlp_only_layers": [0], "index_layers": [2]}
        | {
            "layer_types": [
                "sliding_attention",
                "sliding_attention",
                "indexed_attention",
                "indexed_attention",
            ]
        }
        | {"num_local_experts": 4, "moe_intermediate_size": 16, "shared_expert_intermediate_size": 24}
        | {"mlp_only_intermediate_size": 50, "index_num_heads": 2, "vocab_size": 100},
    ),
    (
        "gemma3n_text",
        {"num_hidden_layers": 4, "intermediate_size": [50, 50, 100, 100], "num_kv_shared_layers": 2}
        | {
            "layer_types": ["sliding_attention", "full_attention"] * 2,
            "activation_sparsity_pattern": [0.0] * 4,
        }
        | {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16}
        | {"vocab_size": 100, "vocab_size_per_layer_input": 80, "hidden_size_per_layer_input": 8}
        | {
            "laurel_rank": 4,
            "altup_num_inputs": 3,
            "pad_token_id": 0,
            "architectures": ["Gemma3nForCausalLM"],
        },
    ),
    (
        "axk2",
        {"num_hidden_layers": 3, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 4}
        | {"n_routed_experts": 4, "moe_intermediate_size": 16, "intermediate_size": 80, "q_lora_rank": 24}
        | {"kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8, "head_dim": 8}
        | {"index_n_heads": 2, "index_head_dim": 8, "gated_norm_rank": 4, "vocab_size": 100}
        | {"architectures": ["AXK2ForCausalLM"]},
    ),
]


FIXED_STRUCTURAL += [
    (
        "hy_v4",  # indexer_types "shared" layers own no indexer although every layer is indexed_attention
        {"num_hidden_layers": 3, "hidden_size": 64, "attention_bias": True, "n_routed_experts": 4}
        | {"moe_intermediate_size": 16, "num_attention_heads": 4, "q_lora_rank": 16, "kv_lora_rank": 8}
        | {
            "qk_nope_head_dim": 8,
            "qk_rope_head_dim": 8,
            "v_head_dim": 8,
            "index_n_heads": 2,
            "index_head_dim": 8,
        }
        | {"hc_mult": 3, "mlp_layer_types": ["dense", "sparse", "sparse"], "intermediate_size": 80}
        | {"layer_types": ["indexed_attention"] * 3, "indexer_types": ["full", "shared", "full"]}
        | {"vocab_size": 100, "pad_token_id": 0, "architectures": ["HYV4ForCausalLM"]},
    ),
]


@pytest.mark.parametrize(("model_type", "kwargs"), FIXED_STRUCTURAL, ids=[c[0] for c in FIXED_STRUCTURAL])
def test_fixed_structural_configs_match_transformers(model_type, kwargs):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    kwargs = dict(kwargs)
    arch = kwargs.pop("architectures", None)
    cfg = _config(model_type, **kwargs)
    if arch:
        cfg["architectures"] = arch
    assert count_structural(cfg).total == _meta_total(cfg), model_type
