"""Vision-language composites of families/vl_more.py: GLM-4V (+ 4.6V, GA, OCR), LightOn-OCR, PaddleOCR-VL,
InternVL, Qianfan-OCR.

Tiny configs whose counts are summed by hand here, term by term from transformers' module trees (not by calling
the formulas); configs outside what the formulas model (other heads, unstated sub-configs, other text model
types) must come out ``unknown``, never as an exact number.
"""

from __future__ import annotations

from hubscan.estimate.footprint import analyze_config


def params(cfg: dict) -> dict:
    return analyze_config(cfg, use_transformers=False)["params"]


def lin(i: int, o: int, bias: bool = True) -> int:
    return i * o + (o if bias else 0)


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
