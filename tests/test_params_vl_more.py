"""Vision-language composites of families/vl_more.py: GLM-4V (+ 4.6V, GA, OCR), LightOn-OCR, PaddleOCR-VL,
InternVL, Qianfan-OCR.

Tiny configs whose counts are summed by hand here, term by term from transformers' module trees (not by calling
the formulas); configs outside what the formulas model (other heads, unstated sub-configs, other text model
types) must come out ``unknown``, never as an exact number. With transformers and torch installed: each
composite's class-default config, shrunk to 1-2 layers per sub-model with random tying, against the meta-device
build.
"""

from __future__ import annotations

import random

import pytest

from hubscan.estimate.footprint import analyze_config
from params_meta import lin


def params(cfg: dict) -> dict:
    return analyze_config(cfg, use_transformers=False)["params"]


# a one-layer text decoder: vocabulary 10, width 8, MLP 12, 2 query heads and 1 key/value head of width 4
TEXT = {
    "vocab_size": 10,
    "hidden_size": 8,
    "intermediate_size": 12,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 4,
}
EMBED = 10 * 8
GATED_MLP = 3 * 8 * 12  # gate, up, down without biases


def test_glm4v_text_tower_and_glm_merger_by_hand():
    vision = {"depth": 1, "hidden_size": 8, "out_hidden_size": 6, "intermediate_size": 5, "num_heads": 2}
    vision.update(patch_size=2, temporal_patch_size=2, in_channels=3, image_size=4, spatial_merge_size=2)
    cfg = {
        "model_type": "glm4v",
        "architectures": ["Glm4vModel"],
        "text_config": TEXT,
        "vision_config": vision,
    }
    # text: q/k/v always biased, o bias-free; four RMSNorms per layer and a final one
    text = EMBED + lin(8, 8) + 2 * lin(8, 4) + 8 * 8 + GATED_MLP + 4 * 8 + 8
    positions = (4 // 2) ** 2 * 8
    conv3d = 3 * 2 * 2 * 2 * 8 + 8
    block = 2 * 8 + 8 * 24 + 8 * 8 + 3 * 8 * 6  # 2 RMSNorms, qkv (attention_bias false), proj, MLP at width 6
    merger = 6 * 6 + 2 * 6 + 3 * 6 * 5  # proj, LayerNorm, gated MLP to intermediate_size
    downsample = lin(8 * 2 * 2, 6)  # Conv2d over the 2x2 merge window
    vision_total = (
        positions + conv3d + block + 8 + merger + downsample + 8
    )  # + post_layernorm, post_conv norm
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == text + vision_total
    untied = params({**cfg, "architectures": ["Glm4vForConditionalGeneration"]})
    assert untied["total"] == text + vision_total + EMBED
    tied = {**cfg, "architectures": ["Glm4vForConditionalGeneration"], "tie_word_embeddings": True}
    assert params(tied)["total"] == text + vision_total
    # GLM-4.6V and GLM-GA build the same modules
    for mt, arch in (("glm46v", "Glm46VModel"), ("glmga", "Glm46VModel")):
        assert params({**cfg, "model_type": mt, "architectures": [arch]})["total"] == text + vision_total


def test_glm4v_text_ignores_a_config_head_dim():
    base = {**TEXT, "model_type": "glm4v_text", "architectures": ["Glm4vTextModel"]}
    with_hd = params({**base, "head_dim": 16})
    assert with_hd["total"] == params({k: v for k, v in base.items() if k != "head_dim"})["total"]
    # GLM-OCR's text decoder honours head_dim and has no q/k/v biases
    ocr = params({**base, "model_type": "glm_ocr_text", "architectures": ["GlmOcrTextModel"]})
    assert ocr["total"] == EMBED + 8 * 8 + 2 * 8 * 4 + 8 * 8 + GATED_MLP + 4 * 8 + 8


def test_lighton_ocr_pixtral_projector_qwen3_by_hand():
    vision = {"model_type": "pixtral", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1}
    vision.update(num_attention_heads=2, patch_size=2, num_channels=3, image_size=4, head_dim=4)
    cfg = {
        "model_type": "lighton_ocr",
        "architectures": ["LightOnOcrForConditionalGeneration"],
        "vision_config": vision,
        "text_config": {**TEXT, "model_type": "qwen3"},
    }
    pixtral = 3 * 2 * 2 * 8 + 8 + 4 * 8 * 8 + 3 * 8 * 12 + 2 * 8  # conv, ln_pre, attention, MLP, 2 RMSNorms
    qwen3 = EMBED + 8 * 8 + 2 * 8 * 4 + 8 * 8 + 2 * 4 + GATED_MLP + 2 * 8 + 8  # q/k RMSNorms of width 4
    projector = 8 + (8 * 4) * 8 + 8 * 8 + 8 * 8  # RMSNorm, patch merger over 2x2 patches, linear_1, linear_2
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == pixtral + qwen3 + projector  # the wrapper ties lm_head by default
    assert params({**cfg, "tie_word_embeddings": False})["total"] == pixtral + qwen3 + projector + EMBED


def test_lighton_ocr_with_another_text_model_is_unknown():
    cfg = {
        "model_type": "lighton_ocr",
        "architectures": ["LightOnOcrForConditionalGeneration"],
        "text_config": {**TEXT, "model_type": "mistral"},
    }
    p = params(cfg)
    assert p["confidence"] != "exact"
    assert p["method"] != "analytic:lighton_ocr"


def test_paddleocr_vl_siglip_tower_projector_and_text_bias_by_hand():
    vision = {"hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2}
    vision.update(image_size=4, patch_size=2, num_channels=3, spatial_merge_size=2)
    cfg = {
        "model_type": "paddleocr_vl",
        "architectures": ["PaddleOCRVLForConditionalGeneration"],
        "vision_config": vision,
        "text_config": {**TEXT, "use_bias": False},
    }
    tower = 3 * 2 * 2 * 8 + 8 + 4 * 8  # patch conv, one position per patch (no class token)
    tower += 4 * lin(8, 8) + lin(8, 12) + lin(12, 8) + 2 * 2 * 8 + 2 * 8  # layer, post_layernorm
    text = EMBED + 8 * 8 + 2 * 8 * 4 + 8 * 8 + GATED_MLP + 2 * 8 + 8
    projector = 2 * 8 + lin(32, 32) + lin(32, 8)
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == tower + text + projector  # tied by default
    biased = params({**cfg, "text_config": {**TEXT, "use_bias": True}})
    assert biased["total"] - p["total"] == (8 + 4 + 4 + 8) + (12 + 12 + 8)


def test_internvl_and_qianfan_ocr_by_hand():
    vision = {"hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2}
    vision.update(image_size=4, patch_size=2, num_channels=3)
    cfg = {
        "model_type": "internvl",
        "architectures": ["InternVLForConditionalGeneration"],
        "vision_config": vision,
        "text_config": {**{k: v for k, v in TEXT.items() if k != "head_dim"}, "model_type": "qwen2"},
    }
    # conv, [CLS], positions for 4 patches + [CLS]; bias-free q/k/v, biased output, MLP, 2 LayerNorms, 2 lambdas
    tower = 3 * 2 * 2 * 8 + 8 + 8 + 5 * 8 + 3 * 8 * 8 + lin(8, 8) + lin(8, 12) + lin(12, 8) + 4 * 8 + 2 * 8
    qwen2 = EMBED + lin(8, 8) + 2 * lin(8, 4) + 8 * 8 + GATED_MLP + 2 * 8 + 8
    projector = 2 * 32 + lin(32, 8) + lin(8, 8)  # pixel shuffle at downsample_ratio 0.5: width 8 * 4
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == tower + qwen2 + projector
    assert params({**cfg, "tie_word_embeddings": False})["total"] == tower + qwen2 + projector + EMBED
    # Qianfan-OCR: the same composite with biased q/k/v in the tower, a Qwen3 text model, untied by default
    qianfan = {**cfg, "model_type": "qianfan_ocr", "architectures": ["QianfanOCRForConditionalGeneration"]}
    qianfan["text_config"] = {**TEXT, "model_type": "qwen3"}
    qwen3 = EMBED + 8 * 8 + 2 * 8 * 4 + 8 * 8 + 2 * 4 + GATED_MLP + 2 * 8 + 8
    assert params(qianfan)["total"] == tower + 3 * 8 + qwen3 + projector + EMBED


def test_internvl_without_a_text_config_is_unknown():
    p = params({"model_type": "internvl", "architectures": ["InternVLForConditionalGeneration"]})
    assert p["confidence"] != "exact"
    assert p["method"] != "analytic:internvl"


def test_unmodelled_heads_are_not_exact():
    text = {**TEXT, "model_type": "glm4v_text"}
    for mt, arch in (
        ("glm4v", "Glm4vForSequenceClassification"),
        ("internvl", "InternVLForTokenClassification"),
        ("paddleocr_vl", "PaddleOCRVLForSequenceClassification"),
    ):
        p = params({"model_type": mt, "architectures": [arch], "text_config": text})
        assert p["confidence"] != "exact", (mt, p)


def _text_without_head_dim(model_type: str) -> dict:
    return {**{k: v for k, v in TEXT.items() if k != "head_dim"}, "model_type": model_type}


QWEN2 = EMBED + lin(8, 8) + 2 * lin(8, 4) + 8 * 8 + GATED_MLP + 2 * 8 + 8
QWEN3 = EMBED + 8 * 8 + 2 * 8 * 4 + 8 * 8 + 2 * 4 + GATED_MLP + 2 * 8 + 8


def test_ovis2_visual_vocabulary_head_and_wrapper_sized_lm_head():
    vision = {"hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2}
    vision.update(image_size=4, patch_size=2, num_channels=3, vocab_size=20, num_visual_indicator_tokens=5)
    cfg = {
        "model_type": "ovis2",
        "architectures": ["Ovis2ForConditionalGeneration"],
        "vision_config": vision,
        "text_config": _text_without_head_dim("qwen2"),
        "hidden_size": 8,
        "vocab_size": 10,
    }
    # conv, positions, embedding RMSNorm; bias-free q/k/v/out and gated MLP, 2 RMSNorms; final RMSNorm;
    # head_linear to 20 - 5 visual tokens and its LayerNorm
    tower = 3 * 2 * 2 * 8 + 8 + 4 * 8 + 8 + 4 * 8 * 8 + 3 * 8 * 12 + 2 * 8 + 8 + 8 * 15 + 2 * 15
    table = 20 * 8
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == tower + table + QWEN2  # tied by default
    untied = params({**cfg, "tie_word_embeddings": False, "vocab_size": 11})
    assert untied["total"] == tower + table + QWEN2 + 8 * 11  # lm_head sized by the wrapper's keys


def test_ovis2_5_projector_by_hand():
    vision = {"hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2}
    vision.update(image_size=4, patch_size=2, num_channels=3, spatial_merge_size=2, vocab_size=20)
    vision["num_visual_indicator_tokens"] = 4
    cfg = {
        "model_type": "ovis2_5",
        "architectures": ["Ovis2_5ForConditionalGeneration"],
        "vision_config": vision,
        "text_config": {**TEXT, "model_type": "qwen3"},
    }
    tower = 3 * 2 * 2 * 8 + 8 + 4 * 8 + 4 * lin(8, 8) + lin(8, 12) + lin(12, 8) + 2 * 2 * 8 + 2 * 8
    projector = (8 * 4) * 16 + 2 * 16 + 20 * 8  # visual tokenizer Linear + LayerNorm, embedding projection
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == tower + projector + QWEN3 + EMBED  # untied by default
    standalone = {**vision, "model_type": "ovis2_5_vision", "architectures": ["Ovis2_5VisionModel"]}
    assert params(standalone)["total"] == tower


def test_hyperclovax_vision_v2_by_hand():
    vision = {"model_type": "qwen2_5_vl_vision", "depth": 1, "hidden_size": 8, "intermediate_size": 12}
    vision.update(num_heads=2, patch_size=2, temporal_patch_size=2, in_channels=3, spatial_merge_size=2)
    vision["out_hidden_size"] = 6
    text = {**TEXT, "model_type": "hyperclovax", "use_post_norm": True}
    cfg = {
        "model_type": "hyperclovax_vision_v2",
        "architectures": ["HyperCLOVAXVisionV2ForConditionalGeneration"],
        "vision_config": vision,
        "text_config": text,
    }
    # bias-free Conv3d; block: 2 RMSNorms, biased qkv and proj, biased gated MLP; merger RMSNorm + 2 Linears
    tower = 3 * 2 * 2 * 2 * 8 + 2 * 8 + lin(8, 24) + lin(8, 8) + 2 * lin(8, 12) + lin(12, 8)
    tower += 8 + lin(32, 32) + lin(32, 6)
    decoder = EMBED + 8 * 8 + 2 * 8 * 4 + 8 * 8 + GATED_MLP + 4 * 8 + 8  # Peri-LN: 4 RMSNorms per layer
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == tower + decoder + lin(6, 8)  # tied by default
    no_post = params({**cfg, "text_config": {**text, "use_post_norm": False}})
    assert p["total"] - no_post["total"] == 2 * 8


def test_deepseek_vl_hybrid_glue_by_hand():
    """The two towers and the decoder are counted by their own (separately tested) formulas; the glue the
    hybrid adds (neck, projection convs, alpha, aligner) is summed here."""
    sam = {"model_type": "sam_vision_model", "hidden_size": 8, "output_channels": 4, "num_hidden_layers": 1}
    sam.update(num_attention_heads=2, image_size=8, patch_size=4, mlp_dim=12, global_attn_indexes=[0])
    siglip = {"model_type": "siglip_vision_model", "hidden_size": 8, "intermediate_size": 12}
    siglip.update(num_hidden_layers=1, num_attention_heads=2, image_size=4, patch_size=2)
    llama = _text_without_head_dim("llama")
    cfg = {
        "model_type": "deepseek_vl_hybrid",
        "architectures": ["DeepseekVLHybridModel"],
        "text_config": llama,
        "vision_config": siglip,
        "high_res_vision_config": sam,
    }
    parts = sum(params(sub)["total"] for sub in (llama, siglip, sam))
    neck = 8 * 4 + 2 * 4 + 4 * 4 * 9 + 2 * 4  # 1x1 conv, LayerNorm, 3x3 conv, LayerNorm (bias-free convs)
    proj = 4 * 8 * 9 + 8 * 16 * 9  # two strided 3x3 convs doubling the channels twice
    aligner = lin(8, 4) + lin(16, 4) + lin(8, 8)
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == parts + neck + proj + 1 + aligner


def test_pp_chart2table_is_got_ocr2_with_its_own_vision_defaults():
    vision = {"hidden_size": 8, "output_channels": 4, "num_hidden_layers": 1, "num_attention_heads": 2}
    vision.update(image_size=8, patch_size=4, mlp_dim=12, window_size=1, global_attn_indexes=[0])
    cfg = {
        "model_type": "pp_chart2table",
        "architectures": ["GotOcr2ForConditionalGeneration"],
        "vision_config": vision,
        "text_config": _text_without_head_dim("qwen2"),
    }
    got = params({**cfg, "model_type": "got_ocr2"})
    assert params(cfg)["confidence"] == "exact"
    assert params(cfg)["total"] == got["total"]
    no_text = params({k: v for k, v in cfg.items() if k != "text_config"})
    assert no_text["confidence"] != "exact"


META_CASES = [
    ("glm4v", "Glm4vForConditionalGeneration"),
    ("glm46v", "Glm46VForConditionalGeneration"),
    ("glm_ocr", "GlmOcrForConditionalGeneration"),
    ("lighton_ocr", "LightOnOcrForConditionalGeneration"),
    ("paddleocr_vl", "PaddleOCRVLForConditionalGeneration"),
    ("internvl", "InternVLForConditionalGeneration"),
    ("qianfan_ocr", "QianfanOCRModel"),
    ("deepseek_vl_hybrid", "DeepseekVLHybridForConditionalGeneration"),
    ("pp_chart2table", "GotOcr2ForConditionalGeneration"),
    ("ovis2", "Ovis2ForConditionalGeneration"),
    ("ovis2_5", "Ovis2_5ForConditionalGeneration"),
    ("hyperclovax_vision_v2", "HyperCLOVAXVisionV2ForConditionalGeneration"),
    ("minicpmv4_6", "MiniCPMV4_6ForConditionalGeneration"),
    ("minicpm_ocr", "MiniCPMOcrForConditionalGeneration"),
    ("lfm3_vl", "Lfm3VlForConditionalGeneration"),
    ("cosmos3_edge", "Cosmos3EdgeForConditionalGeneration"),
    ("muse_glimmer", "MuseGlimmerForConditionalGeneration"),
    ("janus", "JanusForConditionalGeneration"),
]


def _shrink(d: dict, r: random.Random) -> None:
    for key, sub in d.items():
        if not (isinstance(sub, dict) and key.endswith("config")):
            continue
        for layers in ("num_hidden_layers", "depth"):
            if isinstance(sub.get(layers), int):
                sub[layers] = r.randint(1, 2)
                if isinstance(sub.get("layer_types"), list):
                    sub["layer_types"] = sub["layer_types"][: sub[layers]]
        if "global_attn_indexes" in sub:
            sub["global_attn_indexes"] = [0]


@pytest.mark.parametrize(("model_type", "cls"), META_CASES)
def test_composites_against_meta_device(model_type, cls):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    r = random.Random(model_type)
    for _ in range(2):
        d = transformers.CONFIG_MAPPING[model_type]().to_dict()
        _shrink(d, r)
        d["tie_word_embeddings"] = r.choice([True, False])
        d["architectures"] = [cls]
        expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
        p = params(d)
        assert (p["total"], p["confidence"]) == (expected, "exact")


def test_muse_glimmer_text_output_gate_and_four_norms_by_hand():
    cfg = {**TEXT, "model_type": "muse_glimmer_text", "architectures": ["MuseGlimmerTextModel"]}
    cfg["layer_types"] = ["sliding_attention"]
    # q/k/v/o, the output gate (8 -> 2 heads x 4), gated MLP, four RMSNorms, final RMSNorm; the embedding and
    # q/k norms have no weights
    expected = EMBED + 8 * 8 + 2 * 8 * 4 + 8 * 8 + 8 * 8 + GATED_MLP + 4 * 8 + 8
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == expected
    biased = params({**cfg, "attention_bias": True})
    assert biased["total"] - expected == 8 + 4 + 4 + 8
    head = params({**cfg, "architectures": ["MuseGlimmerTextForCausalLM"]})
    assert head["confidence"] != "exact"


def test_composites_whose_text_model_has_no_exact_count_are_not_exact():
    text = {**TEXT, "model_type": "qwen3_5_text"}  # no layer_types: not read exactly
    p = params({"model_type": "minicpmv4_6", "architectures": ["MiniCPMV4_6Model"], "text_config": text})
    assert p["confidence"] != "exact"
    other = {**TEXT, "model_type": "llama", "layer_types": ["full_attention"]}
    p = params({"model_type": "lfm3_vl", "architectures": ["Lfm3VlModel"], "text_config": other})
    assert p["confidence"] != "exact"


def test_janus_vq_vae_by_hand():
    """Janus with a one-resolution VQ-VAE (no down/upsampling), one residual block per level."""
    vision = {"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "num_channels": 3}
    vision.update(image_size=4, patch_size=2, mlp_ratio=1.5, projection_dim=6, depth=2)
    vq = {"embed_dim": 4, "num_embeddings": 5, "latent_channels": 32, "in_channels": 3, "base_channels": 32}
    vq.update(channel_multiplier=[1], num_res_blocks=1, out_channels=3, projection_dim=6, num_hidden_layers=1)
    vq["image_token_embed_dim"] = 7
    cfg = {
        "model_type": "janus",
        "architectures": ["JanusModel"],
        "vision_config": vision,
        "vq_config": vq,
        "text_config": _text_without_head_dim("llama"),
    }
    llama = EMBED + 8 * 8 + 2 * 8 * 4 + 8 * 8 + GATED_MLP + 2 * 8 + 8
    tower = 3 * 2 * 2 * 8 + 8 + 4 * 8 + 4 * lin(8, 8) + lin(8, 12) + lin(12, 8) + 4 * 8 + 2 * 8
    aligner = lin(8, 6) + lin(6, 6)
    res = 2 * (2 * 32 + 32 * 32 * 9 + 32)  # GroupNorm + 3x3 conv, twice, at 32 channels
    attn = 2 * 32 + 4 * (32 * 32 + 32)
    encoder = (3 * 32 * 9 + 32) + res + attn + (2 * res + attn) + 2 * 32 + (32 * 32 * 9 + 32)
    decoder = (32 * 32 * 9 + 32) + (2 * res + attn) + 2 * (res + attn) + 2 * 32 + (32 * 3 * 9 + 3)
    quant = 5 * 4 + (32 * 4 + 4) + (4 * 32 + 32)  # codebook, quant_conv, post_quant_conv
    generation = 5 * 4 + lin(4, 6) + lin(7, 6) + lin(6, 5)  # embeddings, aligner, head
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == llama + tower + aligner + encoder + decoder + quant + generation


def test_glm_image_vision_by_hand():
    cfg = {"model_type": "glm_image_vision", "architectures": ["GlmImageVisionModel"], "depth": 1}
    cfg.update(hidden_size=8, num_heads=2, in_channels=3, image_size=8, patch_size=4, intermediate_size=12)
    # positions for 2x2 patches, biased patch conv, 2 LayerNorms, biased qkv / proj, biased MLP
    expected = 4 * 8 + 3 * 4 * 4 * 8 + 8 + 4 * 8 + lin(8, 24) + lin(8, 8) + lin(8, 12) + lin(12, 8)
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == expected
    assert params({**cfg, "attention_bias": False})["total"] == expected - 24 - 8


def test_cohere_compass_vision_is_the_qwen3_vl_tower():
    cfg = {"depth": 1, "hidden_size": 8, "intermediate_size": 12, "num_heads": 2, "out_hidden_size": 6}
    cfg.update(num_position_embeddings=4, deepstack_visual_indexes=[0], patch_size=2, temporal_patch_size=2)
    compass = params(
        {**cfg, "model_type": "cohere_compass_vision", "architectures": ["CohereCompassVisionModel"]}
    )
    qwen = params({**cfg, "model_type": "qwen3_vl_vision", "architectures": ["Qwen3VLVisionModel"]})
    assert compass["confidence"] == "exact"
    assert compass["total"] == qwen["total"]
    other = {
        **cfg,
        "model_type": "cohere_compass_vision",
        "architectures": ["CohereCompassForConditionalGeneration"],
    }
    assert params(other)["confidence"] != "exact"


def test_llava_onevision1_5_vision_by_hand():
    cfg = {"model_type": "llava_onevision1_5_vision", "architectures": ["LlavaOnevision15VisionModel"]}
    cfg.update(depth=1, hidden_size=8, intermediate_size=12, num_heads=2, in_channels=3, patch_size=2)
    cfg.update(spatial_merge_size=2, out_hidden_size=6)
    stem = (
        3 * 2 * 2 * 8 + 8 + 8 // 2 // 2 + 2 * 8
    )  # bias-free conv, class embedding + its rotary slot, pre-LN
    block = 4 * 8 + lin(8, 24) + lin(8, 8) + lin(8, 12) + lin(12, 8)
    merger = 2 * 8 + lin(32, 32) + lin(32, 6)
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == stem + block + merger


TOWER_CASES = [
    (
        "hunyuan_vl_vision",
        "HunYuanVLVisionTransformer",
        {"spatial_merge_size": [2, 3], "max_image_size": [256]},
    ),
    ("llava_onevision1_5_vision", "LlavaOnevision15VisionModel", {"spatial_merge_size": [1, 2]}),
    ("glm_image_vision", "GlmImageVisionModel", {"attention_bias": [True, False], "image_size": [128, 256]}),
    ("ovis2_5_vision", "Ovis2_5VisionModel", {"image_size": [128, 256]}),
    ("cohere_compass_vision", "CohereCompassVisionModel", {"deepstack_visual_indexes": [[], [0]]}),
    (
        "exaone4_5_vision",
        "Exaone4_5_VisionModel",
        {"num_key_value_heads": [2, 4], "fullatt_block_indexes": [[0]]},
    ),
]


@pytest.mark.parametrize(("model_type", "cls", "choices"), TOWER_CASES)
def test_towers_against_meta_device(model_type, cls, choices):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    r = random.Random(model_type)
    for _ in range(2):
        d = transformers.CONFIG_MAPPING[model_type]().to_dict()
        for layers in ("num_hidden_layers", "depth"):
            if isinstance(d.get(layers), int):
                d[layers] = r.randint(1, 2)
                if isinstance(d.get("layer_types"), list):
                    d["layer_types"] = d["layer_types"][: d[layers]]
        d.update({k: r.choice(v) for k, v in choices.items()})
        d["architectures"] = [cls]
        expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
        p = params(d)
        assert (p["total"], p["confidence"]) == (expected, "exact"), d


def test_exaone4_5_vision_grouped_qkv_by_hand():
    cfg = {"model_type": "exaone4_5_vision", "architectures": ["Exaone4_5_VisionModel"], "depth": 1}
    cfg.update(hidden_size=8, intermediate_size=12, num_heads=4, num_key_value_heads=1, in_channels=3)
    cfg.update(patch_size=2, temporal_patch_size=2, spatial_merge_size=2, out_hidden_size=6)
    # bias-free Conv3d; 2 RMSNorms, fused qkv of (4 + 2 x 1) heads of width 2, proj, biased gated MLP; merger
    block = 2 * 8 + lin(8, 12) + lin(8, 8) + 2 * lin(8, 12) + lin(12, 8)
    expected = 3 * 2 * 2 * 2 * 8 + block + 8 + lin(32, 32) + lin(32, 6)
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == expected


def test_glm5_next_vision_by_hand():
    cfg = {"model_type": "glm5_next_vision", "architectures": ["Glm5NextVisionModel"], "depth": 1}
    cfg.update(hidden_size=8, intermediate_size=12, num_heads=2, in_channels=3, patch_size=2)
    cfg.update(temporal_patch_size=2, spatial_merge_size=2, out_hidden_size=6, projection_intermediate_size=5)
    conv3d = 3 * 2 * 2 * 2 * 8 + 8
    block = 2 * 8 + lin(8, 24) + lin(8, 8) + 2 * 4 + 2 * lin(8, 12) + lin(12, 8)  # q/k norms of width 4
    merger = (8 * 4 * 6 + 6) + 6 * 6 + 2 * 6 + 3 * 6 * 5  # downsample conv, proj, LayerNorm, gated MLP
    p = params(cfg)
    assert p["confidence"] == "exact"
    assert p["total"] == conv3d + block + 8 + merger
