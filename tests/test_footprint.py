"""Hand-worked examples for the footprint formulas (memory, KV cache, FLOPs) and the analyze_config contract."""

from __future__ import annotations

import json

import pytest

from hubscan.errors import ParseError
from hubscan.estimate.footprint import ESTIMATOR_VERSION, analyze_config, summary_row, training_flops

LLAMA2_7B = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "vocab_size": 32000,
    "torch_dtype": "float16",
}
LLAMA3_8B = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "torch_dtype": "bfloat16",
}
MIXTRAL_8X7B = {
    "model_type": "mixtral",
    "architectures": ["MixtralForCausalLM"],
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 32000,
    "num_local_experts": 8,
    "num_experts_per_tok": 2,
}


def test_llama2_7b_fp16_weights_13_48_gb():
    rec = analyze_config(LLAMA2_7B)
    assert rec["params"]["total"] == 6_738_415_616
    assert rec["memory"]["dtype"] == "fp16"  # from torch_dtype
    # 6,738,415,616 params x 2 bytes = 13,476,831,232 bytes = 13.48 GB (decimal)
    assert rec["memory"]["weights_bytes"] == 13_476_831_232
    assert round(rec["memory"]["weights_bytes"] / 1e9, 2) == 13.48
    by = rec["memory"]["weights_bytes_by_dtype"]
    assert by["fp32"] == 26_953_662_464 and by["int8"] == 6_738_415_616 and by["int4"] == 3_369_207_808
    assert summary_row(rec)["weights"] == "13.5 GB (fp16)"
    assert summary_row(rec)["params"] == "6.74B"


def test_llama2_7b_kv_cache_mha():
    rec = analyze_config(LLAMA2_7B, context=4096)
    # MHA: 2 (K,V) x 32 heads x 128 dims x 2 bytes x 32 layers = 524,288 bytes per token
    assert rec["memory"]["kv_bytes_per_token"] == 524_288
    assert rec["memory"]["kv_cache_bytes"] == 524_288 * 4096
    assert rec["memory"]["inference_bytes"] == 13_476_831_232 + 524_288 * 4096


def test_gqa_kv_cache_per_token():
    rec = analyze_config(LLAMA3_8B, context=8192)
    # GQA with 8 KV heads: 2 x 8 x 128 x 2 bytes x 32 layers = 131,072 bytes per token (4x less than MHA)
    assert rec["memory"]["kv_bytes_per_token"] == 131_072
    assert rec["memory"]["kv_cache_bytes"] == 131_072 * 8192
    assert rec["params"]["total"] == 8_030_261_248


def test_mqa_kv_cache():
    cfg = dict(LLAMA3_8B, num_key_value_heads=1)
    assert analyze_config(cfg)["memory"]["kv_bytes_per_token"] == 2 * 1 * 128 * 2 * 32


def test_sliding_window_caps_kv_cache():
    cfg = {
        "model_type": "mistral",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "vocab_size": 32000,
        "sliding_window": 4096,
    }
    short = analyze_config(cfg, context=2048)["memory"]
    long = analyze_config(cfg, context=32768)["memory"]
    assert short["kv_cache_bytes"] == 131_072 * 2048
    assert long["kv_cache_bytes"] == 131_072 * 4096


def test_gemma2_alternating_sliding_layers():
    cfg = {
        "model_type": "gemma2",
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 64,
        "vocab_size": 1000,
        "sliding_window": 100,
        "torch_dtype": "bfloat16",
    }
    m = analyze_config(cfg, context=1000)["memory"]
    per_layer_token = 2 * 2 * 64 * 2
    assert m["kv_bytes_per_token"] == 4 * per_layer_token
    assert m["kv_cache_bytes"] == 2 * per_layer_token * 100 + 2 * per_layer_token * 1000


def test_mla_compressed_kv():
    cfg = {
        "model_type": "deepseek_v3",
        "hidden_size": 64,
        "intermediate_size": 128,
        "moe_intermediate_size": 32,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "vocab_size": 100,
        "n_routed_experts": 8,
        "num_experts_per_tok": 2,
        "n_shared_experts": 1,
        "first_k_dense_replace": 1,
        "q_lora_rank": 16,
        "kv_lora_rank": 32,
        "qk_nope_head_dim": 16,
        "qk_rope_head_dim": 8,
        "v_head_dim": 16,
        "torch_dtype": "bfloat16",
    }
    rec = analyze_config(cfg)
    assert rec["memory"]["kv_bytes_per_token"] == 3 * (32 + 8) * 2
    assert rec["params"]["active"] < rec["params"]["total"]


def test_jamba_only_attention_layers_cache_kv():
    cfg = {
        "model_type": "jamba",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 8,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 100,
        "num_experts": 4,
        "num_experts_per_tok": 2,
        "attn_layer_period": 4,
        "attn_layer_offset": 2,
        "torch_dtype": "bfloat16",
    }
    m = analyze_config(cfg, context=10)["memory"]
    assert m["kv_bytes_per_token"] == 2 * (2 * 2 * 16 * 2)  # two attention layers
    assert m["kv_cache_bytes"] > m["kv_bytes_per_token"] * 10  # plus the Mamba layers' fixed state


def test_mixtral_active_parameters():
    rec = analyze_config(MIXTRAL_8X7B)
    p = rec["params"]
    assert p["total"] == 46_702_792_704
    # per layer: attention 41,943,040 + 2 of 8 experts x 176,160,768 + router 32,768 + norms 8,192
    assert p["active"] == 32 * (41_943_040 + 2 * 176_160_768 + 32_768 + 8_192) + 2 * 131_072_000 + 4096
    assert rec["training_flops_per_token"] == 6.0 * p["active"]


def test_forward_flops_per_token():
    cfg = {
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "vocab_size": 10,
    }
    rec = analyze_config(cfg, context=100)
    n = rec["params"]["active"]
    # 2 FLOPs per weight + QK^T and AV over 100 positions: 4 x 100 x (4 heads x 16) per layer, 2 layers
    assert rec["flops_per_token"] == 2 * n + 2 * 4 * 100 * 64


def test_training_flops_and_memory():
    assert training_flops(7_000_000_000, 1e12) == pytest.approx(4.2e22)
    rec = analyze_config(LLAMA2_7B)
    assert rec["memory"]["training_bytes"] == 16 * 6_738_415_616


@pytest.mark.parametrize(
    ("dtype", "bpp"),
    [("fp32", 4), ("float32", 4), ("bfloat16", 2), ("fp16", 2), ("fp8", 1), ("int8", 1), ("int4", 0.5)],
)
def test_dtype_argument(dtype, bpp):
    m = analyze_config(LLAMA2_7B, dtype=dtype)["memory"]
    assert m["bytes_per_param"] == bpp
    assert m["weights_bytes"] == int(6_738_415_616 * bpp)


def test_unknown_dtype_raises():
    with pytest.raises(ParseError):
        analyze_config(LLAMA2_7B, dtype="float13")


@pytest.mark.parametrize(
    ("q", "dtype"),
    [
        ({"quant_method": "gptq", "bits": 4}, "int4"),
        ({"quant_method": "awq", "bits": 8}, "int8"),
        ({"load_in_4bit": True}, "int4"),
        ({"quant_method": "fp8"}, "fp8"),
    ],
)
def test_dtype_from_quantization_config(q, dtype):
    assert analyze_config(dict(LLAMA2_7B, quantization_config=q))["memory"]["dtype"] == dtype


def test_mlx_quantization_block():
    assert (
        analyze_config(dict(LLAMA2_7B, quantization={"group_size": 64, "bits": 4}))["memory"]["dtype"]
        == "int4"
    )


def test_default_dtype_is_bf16():
    cfg = {k: v for k, v in LLAMA2_7B.items() if k != "torch_dtype"}
    assert analyze_config(cfg)["memory"]["dtype"] == "bf16"


def test_safetensors_agree_and_disagree():
    agree = analyze_config(LLAMA2_7B, safetensors_total=6_738_415_616)["safetensors"]
    assert agree["check"] == "agree" and agree["delta_pct"] == 0
    twice = analyze_config(LLAMA2_7B, safetensors_total=6_738_415_616 + 131_072_000 * 3)["safetensors"]
    assert twice["check"] == "disagree"
    assert analyze_config(LLAMA2_7B)["safetensors"]["check"] == "no_data"


def test_safetensors_gptq_packed_words_are_explained():
    cfg = dict(LLAMA2_7B, quantization_config={"quant_method": "gptq", "bits": 4})
    st = analyze_config(
        cfg, safetensors_total=1_125_031_936, safetensors_parameters={"I32": 800_000_000, "F16": 325_031_936}
    )["safetensors"]
    assert st["check"] == "quantized_packed"
    assert "packed" in st["note"]


def test_safetensors_used_when_no_formula():
    rec = analyze_config({"model_type": "brand_new_arch"}, safetensors_total=123_456, use_transformers=False)
    assert rec["params"]["method"] == "safetensors"
    assert rec["params"]["total"] == 123_456


def test_non_dict_raises_parse_error():
    for bad in (None, [], "config", 3):
        with pytest.raises(ParseError):
            analyze_config(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "cfg",
    [
        {},
        {"model_type": "llama"},
        {"model_type": "llama", "hidden_size": "big", "num_hidden_layers": 2},
        {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": True, "num_attention_heads": 4},
        {
            "model_type": "llama",
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 0,
            "intermediate_size": 1,
            "vocab_size": 1,
        },
        {"model_type": 5, "architectures": "x"},
        {"model_type": "t5", "feed_forward_proj": 3},
        {"model_type": "llava", "text_config": [], "vision_config": "x"},
        {"model_type": "mixtral", "moe": "x", "dim": -1},
        {"architectures": [None], "text_config": {"hidden_size": 1e400}},
    ],
)
def test_garbage_never_raises_and_is_not_confident(cfg):
    rec = analyze_config(cfg, use_transformers=False)
    json.dumps(rec)
    assert rec["params"]["confidence"] in ("unknown", "approximate", "invalid")
    assert rec["params"]["reason"]
    assert rec["estimator_version"] == ESTIMATOR_VERSION


def test_unverified_type_gets_a_flagged_structural_estimate():
    cfg = {
        "model_type": "somethingnew",
        "hidden_size": 1024,
        "num_hidden_layers": 4,
        "num_attention_heads": 8,
        "intermediate_size": 4096,
        "vocab_size": 1000,
        "rms_norm_eps": 1e-6,
    }
    rec = analyze_config(cfg, use_transformers=False)
    assert rec["params"]["method"] == "structural"
    assert "not verified" in rec["params"]["reason"]
    # without any decoder signal (a LayerNorm / BERT-style stack) the structural estimator declines
    encoder = {k: v for k, v in cfg.items() if k != "rms_norm_eps"} | {"type_vocab_size": 2}
    enc = analyze_config(encoder, use_transformers=False)
    assert enc["params"]["confidence"] == "unknown"
    assert "encoder" in enc["params"]["reason"]
    assert rec["params"]["confidence"] == "approximate"
    assert summary_row(rec)["params"].startswith("~")


def test_missing_architectures_counts_base_model():
    cfg = {k: v for k, v in LLAMA2_7B.items() if k != "architectures"}
    rec = analyze_config(cfg)
    assert rec["params"]["total"] == 6_738_415_616 - 131_072_000  # no lm_head


def test_encoder_has_no_kv_cache():
    cfg = {"model_type": "bert", "architectures": ["BertModel"]}
    rec = analyze_config(cfg)
    assert rec["params"]["total"] == 109_482_240  # bert-base-uncased
    assert rec["memory"]["kv_bytes_per_token"] == 0


def test_record_is_json_serialisable_with_python_ints():
    rec = analyze_config(MIXTRAL_8X7B)
    again = json.loads(json.dumps(rec))
    assert again == rec
    assert type(rec["params"]["total"]) is int
    assert set(summary_row(rec)) == {
        "params",
        "active",
        "embedding",
        "weights",
        "kv/token",
        "kv@ctx",
        "inference",
        "training",
        "flops/token",
        "method",
        "confidence",
    }
