"""Omni and modern vision-language composites of families/omni.py: Inkling-2 (+ loop, MM), Muse Spark (+ text,
audio), the Muse Glimmer assistant, HY-V4-VL (+ text), pi0 / pi0.5, Gemma 3n text, Qwen2.5-Omni / Qwen3-Omni-MoE
thinkers, Molmo2 (+ text), ERNIE-4.5-VL-MoE, RADIO, Nemotron-H omni, Phi-4-multimodal.

Tiny configs whose counts are summed by hand here, term by term from transformers' module trees (not by calling
the formulas); configs outside what the formulas model (other heads, unstated sub-configs, shapes transformers
resolves in ways not modelled) must come out not ``exact``. With transformers and torch installed: small
configs of every composite, built by the configuration classes, against the meta-device count.
"""

from __future__ import annotations

import pytest

from hubscan.estimate.families.common import Cfg
from hubscan.estimate.families.omni import inkling_scales, inkling_vision
from hubscan.estimate.footprint import analyze_config
from params_meta import lin


def params(cfg: dict) -> dict:
    return analyze_config(cfg, use_transformers=False)["params"]


# width 8, 2 query heads and 1 key/value head of width 4, MLP 12, vocabulary 10
SMALL = {"hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4}
SMALL.update(intermediate_size=12, vocab_size=10)
QKVO = 8 * 8 + 2 * 8 * 4 + 8 * 8  # bias-free q, k, v, o
GATED = 3 * 8 * 12


def test_muse_glimmer_assistant_by_hand():
    cfg = {**SMALL, "model_type": "muse_glimmer_assistant", "architectures": ["MuseGlimmerAssistantModel"]}
    cfg.update(num_hidden_layers=1, target_layer_ids=[0, 1, 2])
    # no token embedding; q/k norms of head width, two RMSNorms, final RMSNorm; context projection 3 x 8 -> 8 + norm
    expected = QKVO + 2 * 4 + GATED + 2 * 8 + 8 + 3 * 8 * 8 + 8
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_muse_spark_text_dense_and_sparse_layers_by_hand():
    cfg = {**SMALL, "model_type": "muse_spark_text", "architectures": ["MuseSparkTextModel"]}
    cfg.update(num_hidden_layers=2, mlp_layer_types=["dense", "sparse"], num_local_experts=3)
    cfg.update(num_experts_per_tok=1, moe_hidden_size=6, moe_intermediate_size=5, attention_bias=False)
    attn = QKVO + 8 * 8  # plus the bias-free output gate; q/k/o norms have no weights
    per_layer = attn + 3 * 8 + 2 * 8  # three scaled RMSNorms, two residual gates
    experts = 3 * (2 * 5 * 6 + 6 * 5)
    sparse = 3 * 8 + 8 * 6 + 6 + experts + 6 + 6 * 8  # router, pre proj + norm, experts, post norm + proj
    expected = 10 * 8 + 2 * per_layer + GATED + sparse + 8
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
    assert p["active"] == expected - experts + experts // 3


def test_muse_spark_audio_pyramid_by_hand():
    cfg = {"model_type": "muse_spark_audio", "architectures": ["MuseSparkAudioModel"]}
    cfg.update(num_hidden_layers=2, patch_sizes=[4, 2], hidden_sizes=[4, 8], depths=[1, 2], mlp_ratio=2.0)
    cfg.update(conv_kernel_size=3, out_hidden_size=6)
    stage0 = lin(1 * 4, 4) + 4 + (4 * 3 + 4 + 4 + lin(4, 8) + lin(8, 4))
    stage1 = lin(4 * 2, 8) + 8 + 2 * (8 * 3 + 8 + 8 + lin(8, 16) + lin(16, 8))
    expected = stage0 + stage1 + 8 + lin(8, 6) + 6
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_radio_by_hand():
    cfg = {"model_type": "radio", "architectures": ["RadioModel"], "hidden_size": 8, "num_hidden_layers": 1}
    cfg.update(num_attention_heads=2, mlp_ratio=1.5, patch_size=2, num_channels=3, max_img_size=4)
    cfg.update(num_cls_tokens=1, num_registers=1)
    layer = 2 * 2 * 8 + 4 * lin(8, 8) + 2 * 8 + lin(8, 12) + lin(12, 8)  # LNs, q/k/v/o, layer scales, MLP
    expected = 12 * 8 + 4 * 8 + 2 * 8 + layer  # patch projection, 2x2 positions, cls + register tokens
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
    video = params({**cfg, "video_temporal_patch_size": 2})
    assert video["total"] == expected + 2 * 12 * 8


def test_molmo2_text_by_hand():
    cfg = {**SMALL, "model_type": "molmo2_text", "architectures": ["Molmo2TextModel"]}
    cfg.update(num_hidden_layers=1, additional_vocab_size=2, qk_norm_type="qwen3", attention_bias=False)
    expected = 12 * 8 + QKVO + 2 * 4 + GATED + 2 * 8 + 8
    assert params(cfg)["total"] == expected
    # "olmo" norms run over the whole q (2 x 4) and k (1 x 4) projections
    assert params({**cfg, "qk_norm_type": "olmo"})["total"] == expected - 8 + 12


def test_gemma3n_text_kv_sharing_altup_laurel_by_hand():
    cfg = {**SMALL, "model_type": "gemma3n_text", "architectures": ["Gemma3nTextModel"]}
    cfg.update(num_hidden_layers=2, num_kv_shared_layers=1, layer_types=["sliding_attention"] * 2)
    cfg.update(altup_num_inputs=2, hidden_size_per_layer_input=3, laurel_rank=2, vocab_size_per_layer_input=5)
    cfg.update(attention_bias=False)
    q_o = 8 * 8 + 4 + 8 * 8  # q (+ q_norm) and o on every layer
    k_v = 2 * 8 * 4 + 4  # k, v and k_norm only on the layer that is not sharing (v_norm has no weight)
    altup = 8 + 2 * 2 + 2 * 4 + 8 * 2 + 8  # output scale, correction, prediction, router, router norm
    laurel = 8 * 2 + 2 * 8 + 8
    per_layer_input = 8 * 3 + 3 * 8 + 8
    layer = q_o + GATED + 4 * 8 + altup + laurel + per_layer_input
    model = 10 * 8 + 2 * layer + k_v + 8 + 5 * 2 * 3 + 8 * 2 * 3 + 3 + 2 * 8 * 8
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (model, "exact")
    lm = {**cfg, "architectures": ["Gemma3nForCausalLM"]}
    assert params(lm)["total"] == model  # tied by default
    assert params({**lm, "tie_word_embeddings": False})["total"] == model + 10 * 8


def test_inkling_vision_stages_by_hand():
    # patch 4 = 2 x 2, temporal 2, 3 channels: scales (1,1,1,3) (1,2,2,64) (1,4,4,64) (2,4,4,6144); four stages
    # nearest to the even log spacing of 4*4*2*3 = 96 (log sizes 0, 1.39, 2.77, 3.47 against 0, 1.14, 2.28,
    # 3.42, 4.56) pick scales 0, 1, 2, 3, 3
    s = [(1, 1, 1, 3), (1, 2, 2, 64), (1, 4, 4, 64), (2, 4, 4, 6144)]
    assert inkling_scales(2, 4, 4, 3) == [*s, s[3]]
    v = Cfg({"patch_size": 4, "temporal_patch_size": 2, "num_hidden_layers": 4, "num_channels": 3})
    # each stage: Linear over the folded input (+ RMSNorm), the last to the text width 16; a final RMSNorm
    stages = (12 * 64 + 64) + (4 * 64 * 64 + 64) + (2 * 64 * 6144 + 6144) + 6144 * 16
    assert inkling_vision(v, 16) == stages + 16


def test_hy_v4_vl_text_by_hand():
    cfg = {"model_type": "hy_v4_vl_text", "architectures": ["HYV4VLTextModel"], "hidden_size": 8}
    cfg.update(num_hidden_layers=2, vocab_size=10, intermediate_size=12, moe_intermediate_size=3)
    cfg.update(num_attention_heads=2, attention_bias=False, n_routed_experts=2, n_shared_experts=1)
    cfg.update(num_experts_per_tok=1, q_lora_rank=4, kv_lora_rank=3, qk_nope_head_dim=2, qk_rope_head_dim=2)
    cfg.update(v_head_dim=2, index_head_dim=2, index_n_heads=1, hc_mult=2)
    cfg.update(mlp_layer_types=["dense", "sparse"], indexer_types=["full", "shared"])
    mla = (
        8 * 4 + 4 + 4 * 2 * 4 + 8 * (3 + 2) + 3 + 3 * 2 * (2 + 2) + 2 * 2 * 8
    )  # q_a, norm, q_b, kv_a, norm, kv_b, o
    attn = mla + 8 * 2 * 2 + 2  # output gate, sinks
    indexer = 4 * 1 * 2 + 8 * 2 + 2 * 2 + 8 * 1  # wq_b, wk, k LayerNorm, head weights
    sparse = 2 * 8 + 2 * 3 * 8 * 3 + 3 * 8 * 3  # fp32 router, two experts, one shared expert
    hc = 2 * 2 * 8 * 2 + 2 * 2 + 2  # fn (2 m x m h), base, scale
    expected = 10 * 8 + 2 * attn + indexer + GATED + sparse + 2 * (2 * 8 + 2 * hc) + 8 + (2 * 2 * 8 + 2 + 1)
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


@pytest.mark.parametrize(
    "cfg",
    [
        # heads these formulas do not claim
        {"model_type": "muse_spark_text", "architectures": ["MuseSparkTextForCausalLM"]},
        {"model_type": "qwen2_5_omni_thinker", "architectures": ["Qwen2_5OmniThinkerForCausalLM"]},
        {"model_type": "molmo2", "architectures": ["Molmo2ForSequenceClassification"]},
        # an Inkling vision tower with fewer stages than scales (transformers solves an assignment there)
        {
            "model_type": "inkling_mm_model",
            "architectures": ["InklingModel"],
            "vision_config": {"n_layers": 2},
        },
        # Nemotron-H omni without its language-model config; a vision model other than RADIO
        {"model_type": "nemotron_h_omni", "architectures": ["NemotronH_Omni_Reasoning_V3"]},
        {
            "model_type": "nemotron_h_omni",
            "architectures": ["NemotronH_Omni_Reasoning_V3"],
            "text_config": {"model_type": "nemotron_h"},
            "vision_config": {"model_type": "siglip_vision_model"},
        },
        # pi0 over a VLM other than PaliGemma; Inkling-2 without its text config
        {
            "model_type": "pi0",
            "architectures": ["PI0ForConditionalGeneration"],
            "vlm_config": {"model_type": "llava"},
        },
        {"model_type": "inkling2", "architectures": ["Inkling2ForConditionalGeneration"]},
        # Molmo2 with a q/k norm kind transformers refuses; Gemma 3n sharing the only full-attention layer's cache
        {"model_type": "molmo2_text", "architectures": ["Molmo2TextModel"], "qk_norm_type": "cohere"},
        {
            "model_type": "gemma3n_text",
            "architectures": ["Gemma3nTextModel"],
            "num_hidden_layers": 5,
            "num_kv_shared_layers": 1,
        },
    ],
)
def test_unmodelled_heads_and_shapes_are_not_exact(cfg):
    assert params(cfg)["confidence"] != "exact"


NEMOTRON_AUDIO = {
    "hidden_size": 64,
    "num_hidden_layers": 1,
    "intermediate_size": 96,
    "num_attention_heads": 4,
}
NEMOTRON_AUDIO.update(projection_hidden_size=32, projection_bias=True)
NEMOTRON_OMNI = {
    "text_config": {"num_hidden_layers": 4, "hybrid_override_pattern": "M*M-", "num_nextn_predict_layers": 1},
    "audio_config": NEMOTRON_AUDIO,
    "vision_config": {"num_hidden_layers": 1, "video_temporal_patch_size": 2},
}
GEMMA3N_AUDIO = {
    "conf_num_hidden_layers": 2,
    "hidden_size": 96,
    "conf_num_attention_heads": 5,
    "input_feat_size": 77,
}
GEMMA3N_AUDIO.update(
    conf_conv_kernel_size=3, sscp_conv_channel_size=[16, 8], sscp_conv_kernel_size=[[3, 5], [2, 3]]
)
GEMMA3N_AUDIO.update(sscp_conv_stride_size=[[2, 3], [1, 2]])
META_CASES = [
    ("gemma3n_audio", "Gemma3nAudioEncoder", GEMMA3N_AUDIO),
    ("cosmos3_omni", "Cosmos3OmniForConditionalGeneration", {"text_config": {"num_hidden_layers": 2}}),
    ("nemotron_h_omni", "NemotronH_Omni_Reasoning_V3", NEMOTRON_OMNI),
    ("inkling2", "Inkling2ForConditionalGeneration", {"vision_config": {"num_hidden_layers": 1}}),
    (
        "inkling2_loop",
        "Inkling2LoopModel",
        {
            "vision_config": {
                "model_type": "inkling2_vision",
                "num_hidden_layers": 1,
                "text_hidden_size": 2304,
            }
        },
    ),
    (
        "inkling_mm_model",
        "InklingForConditionalGeneration",
        {"vision_config": {"patch_size": 14, "n_layers": 9}},
    ),
    ("muse_spark", "MuseSparkForConditionalGeneration", {"text_config": {"num_hidden_layers": 2}}),
    (
        "muse_spark_text",
        "MuseSparkTextModel",
        {"num_hidden_layers": 3, "mlp_layer_types": ["dense", "sparse", "dense"]},
    ),
    ("muse_spark_audio", "MuseSparkAudioModel", {"depths": [1, 2, 1, 1], "mlp_ratio": 2.5}),
    (
        "muse_glimmer_assistant",
        "MuseGlimmerAssistantModel",
        {"num_hidden_layers": 2, "target_layer_ids": [3, 4]},
    ),
    ("hy_v4_vl", "HYV4VLForConditionalGeneration", {"text_config": {"num_hidden_layers": 3}}),
    ("hy_v4_vl_text", "HYV4VLTextModel", {"num_hidden_layers": 3, "attention_bias": True, "hc_mult": 2}),
    ("pi0", "PI0ForConditionalGeneration", {"max_action_dim": 7, "max_state_dim": 9}),
    ("pi05", "PI05Model", {}),
    ("gemma3n_text", "Gemma3nForCausalLM", {"num_hidden_layers": 4, "num_kv_shared_layers": 2}),
    ("qwen2_5_omni_thinker", "Qwen2_5OmniThinkerModel", {"text_config": {"num_hidden_layers": 2}}),
    (
        "qwen3_omni_moe_thinker",
        "Qwen3OmniMoeThinkerForConditionalGeneration",
        {"text_config": {"num_hidden_layers": 2}},
    ),
    ("molmo2", "Molmo2ForConditionalGeneration", {"text_config": {"num_hidden_layers": 2}}),
    ("molmo2_text", "Molmo2TextModel", {"num_hidden_layers": 2, "qk_norm_type": "olmo"}),
    ("ernie4_5_vl_moe", "Ernie4_5_VLMoeModel", {"text_config": {"num_hidden_layers": 2, "use_bias": True}}),
    ("radio", "RadioModel", {"num_hidden_layers": 2, "use_swiglu_ffn": True, "video_temporal_patch_size": 3}),
    ("phi4_multimodal", "Phi4MultimodalForCausalLM", {"num_hidden_layers": 2, "tie_word_embeddings": True}),
]


@pytest.mark.parametrize(("model_type", "cls", "kwargs"), META_CASES)
def test_composites_against_meta_device(model_type, cls, kwargs):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    d = transformers.CONFIG_MAPPING[model_type](**kwargs).to_dict()
    d["architectures"] = [cls]
    expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
    p = params(d)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_cosmos3_omni_vision_without_deepstack_key_takes_the_class_default():
    """A hub-style vision_config that omits deepstack_visual_indexes gets Qwen3-VL's three deepstack mergers."""
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    text = {"model_type": "qwen3_vl_text", "hidden_size": 64, "num_hidden_layers": 1, "intermediate_size": 96}
    text.update(num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=100)
    vision = {"depth": 1, "hidden_size": 32, "intermediate_size": 48, "out_hidden_size": 64}
    cfg = {"model_type": "cosmos3_omni", "architectures": ["Cosmos3OmniForConditionalGeneration"]}
    cfg.update(text_config=text, vision_config=vision)
    expected = sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())
    with_list = params({**cfg, "vision_config": {**vision, "deepstack_visual_indexes": []}})
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
    assert p["total"] > with_list["total"]


@pytest.mark.parametrize(
    ("model_type", "cls"),
    [
        ("qwen3_vl_vision", "Qwen3VLVisionModel"),
        ("qwen3_vl_moe_vision", "Qwen3VLMoeVisionModel"),
        ("cohere_compass_vision", "CohereCompassVisionModel"),
        ("qwen3_5_vision", "Qwen3_5VisionModel"),  # a class without deepstack mergers
    ],
)
def test_qwen3_vl_style_towers_without_the_deepstack_key(model_type, cls):
    """A raw config that omits deepstack_visual_indexes gets what the class builds (the Qwen3-VL classes default
    to three mergers); before, the Qwen3-VL towers were counted without them and labelled exact."""
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    cfg = {"model_type": model_type, "architectures": [cls], "depth": 2, "hidden_size": 32}
    cfg.update(intermediate_size=48, out_hidden_size=64, num_heads=4)
    expected = sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
