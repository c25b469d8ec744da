"""Weight memory of quantized checkpoints, from quantization_config (no torch)."""

from __future__ import annotations

import pytest

from hubscan.estimate.footprint import analyze_config
from hubscan.estimate.quant import quantized_weights_bytes, scheme_of

QWEN_MOE = {
    "model_type": "qwen3_moe",
    "architectures": ["Qwen3MoeForCausalLM"],
    "hidden_size": 2048,
    "num_hidden_layers": 4,
    "num_attention_heads": 32,
    "num_key_value_heads": 4,
    "head_dim": 128,
    "intermediate_size": 6144,
    "moe_intermediate_size": 768,
    "num_experts": 16,
    "num_experts_per_tok": 4,
    "vocab_size": 1000,
    "torch_dtype": "bfloat16",
}


@pytest.mark.parametrize(
    ("qc", "name", "bpp"),
    [
        ({"quant_method": "fp8", "weight_block_size": [128, 128]}, "fp8", 1 + 4 / 16384),
        ({"quant_method": "mxfp4"}, "mxfp4", 0.5 + 1 / 32),
        (
            {"config_groups": {"g": {"weights": {"num_bits": 4, "type": "float", "group_size": 16}}}},
            "nvfp4",
            0.5 + 1 / 16,
        ),
        ({"quant_method": "gptq", "bits": 4, "group_size": 128}, "gptq-int4", 0.5 + 2 / 128 + 0.5 / 128),
        ({"quant_method": "awq", "bits": 4, "group_size": 64}, "awq-int4", 0.5 + 2 / 64 + 0.5 / 64),
        ({"load_in_4bit": True, "bnb_4bit_use_double_quant": False}, "bnb-4bit", 0.5 + 4 / 64),
    ],
)
def test_schemes(qc, name, bpp):
    s = scheme_of({"quantization_config": qc})
    assert s.name == name
    assert s.bytes_per_param == pytest.approx(bpp)


def test_unquantized_modules_stay_16bit():
    parts = {"embeddings": 100, "attention": 1000, "experts": 10000, "norms": 10, "heads": 100, "other": 5}
    s = scheme_of(
        {
            "quantization_config": {
                "quant_method": "mxfp4",
                "modules_to_not_convert": ["model.layers.*.self_attn"],
            }
        }
    )
    assert quantized_weights_bytes(parts, s, 2.0) == round(
        10000 * (0.5 + 1 / 32) + (100 + 1000 + 10 + 100 + 5) * 2
    )


def test_quantized_moe_footprint_uses_the_scheme():
    plain = analyze_config(QWEN_MOE, use_transformers=False)
    quant = analyze_config(
        {**QWEN_MOE, "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}},
        use_transformers=False,
    )
    p = plain["params"]
    assert quant["params"]["total"] == p["total"]  # counted as the unquantized model
    b = p["breakdown"]
    q = b["attention"] + b["mlp"] + b["experts"]
    expected = round(q * (0.5 + 2 / 128 + 0.5 / 128) + (p["total"] - q) * 2)
    assert quant["memory"]["weights_bytes"] == expected
    assert quant["memory"]["quantization"]["scheme"] == "gptq-int4"
    assert plain["memory"]["quantization"] is None
    # an explicit dtype from the caller overrides the checkpoint's scheme
    forced = analyze_config({**QWEN_MOE, "quantization_config": {"quant_method": "mxfp4"}}, dtype="bf16")
    assert forced["memory"]["weights_bytes"] == 2 * p["total"]
