"""Hostile config values: a clear invalid_config answer, immediately, never a confident number."""

from __future__ import annotations

import math

import pytest

from hubscan.estimate._cfg import Cfg, InvalidConfig
from hubscan.estimate.footprint import analyze_config

LLAMA = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 128256,
}
# a model type no formula knows: the structural estimator reads it
NEW_MOE = {
    "model_type": "brand_new_moe",
    "architectures": ["BrandNewMoeForCausalLM"],
    "hidden_size": 2048,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
    "intermediate_size": 6144,
    "moe_intermediate_size": 768,
    "num_experts": 64,
    "num_experts_per_tok": 8,
    "vocab_size": 151936,
}

CASES = {
    "1e20_layers": {"num_hidden_layers": 10**20},
    "over_1e5_layers": {"num_hidden_layers": 100_001},
    "1e308_width": {"hidden_size": 1e308},
    "1e308_ffn": {"intermediate_size": 1e308},
    "nan_width": {"hidden_size": math.nan},
    "inf_heads": {"num_attention_heads": math.inf},
    "negative_width": {"hidden_size": -4096},
    "negative_layers": {"num_hidden_layers": -1},
    "over_1e15_params": {
        "hidden_size": 1_000_000,
        "intermediate_size": 10_000_000,
        "num_hidden_layers": 10_000,
    },
}


@pytest.mark.parametrize("base", [LLAMA, NEW_MOE], ids=["analytic", "structural"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_value_is_invalid(base, case):
    cfg = {**base, **CASES[case]}
    for use in (False, None):
        rec = analyze_config(cfg, use_transformers=use)
        p = rec["params"]
        assert p["confidence"] == "invalid", (case, p)
        assert p["reason"].startswith("invalid_config:")
        assert p["total"] is None
        assert rec["memory"]["weights_bytes"] is None


def test_validation_lives_in_cfg_int():
    with pytest.raises(InvalidConfig, match="negative"):
        Cfg({"hidden_size": -1}).int("hidden_size")
    with pytest.raises(InvalidConfig, match="layers"):
        Cfg({"num_layers": 10**6}).int("num_layers")
    with pytest.raises(InvalidConfig, match="finite"):
        Cfg({"d_model": float("nan")}).int("d_model")
    assert Cfg({"vocab_size": 262144}).int("vocab_size") == 262144


def test_sane_configs_still_count():
    for base in (LLAMA, NEW_MOE):
        p = analyze_config(base, use_transformers=False)["params"]
        assert p["confidence"] in ("exact", "approximate")
        assert p["total"] > 0
