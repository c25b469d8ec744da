"""Vision encoders and standalone vision towers (families/vision_more.py).

Without torch: tiny configs whose counts are summed by hand here, term by term from the module tree (not by
calling the formulas), and heads the formulas do not model must come out ``unknown``. With transformers and
torch installed: seeded random small configs counted against the meta-device build.
"""

from __future__ import annotations

import random

import pytest

from hubscan.estimate.footprint import analyze_config
from params_meta import lin


def params(cfg: dict) -> dict:
    return analyze_config(cfg, use_transformers=False)["params"]


TINY = {
    "hidden_size": 8,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 16,
    "image_size": 8,
    "patch_size": 4,
    "num_channels": 3,
}
# one pre-LN layer at h=8, inter=16: q/k/v/o with biases, fc1/fc2, two LayerNorms
TINY_LAYER = 4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 2 * 8
TINY_CONV = 3 * 4 * 4 * 8 + 8  # 4x4 patch conv, 3 channels -> 8, with bias; the 8x8 image has 4 patches


def test_vit_msn_counts_cls_positions_layers_and_final_norm():
    p = params({**TINY, "model_type": "vit_msn", "architectures": ["ViTMSNModel"]})
    assert p["confidence"] == "exact"
    assert p["total"] == TINY_CONV + 8 + 5 * 8 + 2 * TINY_LAYER + 2 * 8


def test_vit_msn_classifier_reads_the_cls_token_width():
    cfg = {
        **TINY,
        "model_type": "vit_msn",
        "architectures": ["ViTMSNForImageClassification"],
        "num_labels": 3,
    }
    base = TINY_CONV + 8 + 5 * 8 + 2 * TINY_LAYER + 2 * 8
    assert params(cfg)["total"] == base + lin(8, 3)


def test_ijepa_has_no_cls_token():
    p = params({**TINY, "model_type": "ijepa", "architectures": ["IJepaModel"]})
    assert p["total"] == TINY_CONV + 4 * 8 + 2 * TINY_LAYER + 2 * 8


def test_yolos_counts_detection_tokens_mid_positions_and_pooler():
    cfg = {**TINY, "model_type": "yolos", "image_size": [8, 12], "num_detection_tokens": 5}
    cfg["use_mid_position_embeddings"] = True
    patches = (8 // 4) * (12 // 4)
    emb = TINY_CONV + 8 + 5 * 8 + (patches + 5 + 1) * 8
    mid = (2 - 1) * (1 + 8 * 12 // 16 + 5) * 8  # one table per layer after the first
    assert params(cfg)["total"] == emb + mid + 2 * TINY_LAYER + 2 * 8 + lin(8, 8)
    without = params({**cfg, "use_mid_position_embeddings": False})["total"]
    assert params(cfg)["total"] - without == mid


def test_timesformer_divided_space_time_adds_a_temporal_block_per_layer():
    cfg = {**TINY, "model_type": "timesformer", "num_frames": 3}
    divided = params({**cfg, "attention_type": "divided_space_time"})["total"]
    space = params({**cfg, "attention_type": "space_only"})["total"]
    joint = params({**cfg, "attention_type": "joint_space_time"})["total"]
    temporal = 2 * 8 + lin(8, 24) + lin(8, 8) + lin(8, 8)  # LayerNorm, qkv + output, temporal_dense
    assert space == TINY_CONV + 8 + 5 * 8 + 2 * TINY_LAYER + 2 * 8
    assert joint - space == 3 * 8  # time embeddings
    assert divided - joint == 2 * temporal


def test_videomae_key_has_no_bias_and_mean_pooling_drops_the_final_norm():
    cfg = {**TINY, "model_type": "videomae", "tubelet_size": 2, "num_frames": 4, "use_mean_pooling": True}
    conv3d = 3 * 2 * 4 * 4 * 8 + 8
    layer = TINY_LAYER - 8  # key projection without bias
    assert params(cfg)["total"] == conv3d + 2 * layer
    assert params({**cfg, "use_mean_pooling": False})["total"] == conv3d + 2 * layer + 2 * 8


def test_clip_text_model_with_projection_adds_a_bias_free_linear():
    cfg = {
        "model_type": "clip_text_model",
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 16,
        "vocab_size": 10,
        "max_position_embeddings": 6,
        "projection_dim": 5,
    }
    base = 10 * 8 + 6 * 8 + TINY_LAYER + 2 * 8  # tokens, positions, one layer, final LayerNorm
    assert params({**cfg, "architectures": ["CLIPTextModel"]})["total"] == base
    assert params({**cfg, "architectures": ["CLIPTextModelWithProjection"]})["total"] == base + 8 * 5


def test_siglip2_vision_positions_follow_num_patches():
    cfg = {**TINY, "model_type": "siglip2_vision_model", "vision_use_head": False, "num_patches": 9}
    # Linear patch embedding (3*4*4 -> 8, bias), 9 learned positions, layers, post LayerNorm
    assert params(cfg)["total"] == lin(48, 8) + 9 * 8 + 2 * TINY_LAYER + 2 * 8


@pytest.mark.parametrize(
    ("model_type", "cls"),
    [
        ("vit_mae", "ViTMAEForPreTraining"),
        ("videomae", "VideoMAEForPreTraining"),
        ("yolos", "YolosForObjectDetection"),
        ("siglip_vision_model", "SiglipForImageClassification"),
        ("imagegpt", "ImageGPTForCausalImageModeling"),
        ("beit", "BeitForSemanticSegmentation"),
        ("beit", "BeitBackbone"),
        ("vjepa2", "VJEPA2ForVideoClassification"),
        ("swinv2", "Swinv2Backbone"),
        ("mobilenet_v2", "MobileNetV2ForSemanticSegmentation"),
    ],
)
def test_heads_without_a_formula_are_unknown(model_type, cls):
    p = params({**TINY, "model_type": model_type, "architectures": [cls]})
    assert p["confidence"] != "exact"
    assert p["total"] is None


# ----------------------------------------------------------------------------- against transformers (optional)

CASES = [
    ("vit_msn", "ViTMSNModel", {"qkv_bias": [True, False]}),
    ("vit_msn", "ViTMSNForImageClassification", {}),
    ("ijepa", "IJepaModel", {"qkv_bias": [True, False]}),
    ("ijepa", "IJepaForImageClassification", {}),
    ("vit_mae", "ViTMAEModel", {}),
    ("yolos", "YolosModel", {"use_mid_position_embeddings": [True, False], "num_detection_tokens": [1, 7]}),
    ("dinov2_with_registers", "Dinov2WithRegistersModel", {"num_register_tokens": [0, 3]}),
    ("dinov2_with_registers", "Dinov2WithRegistersBackbone", {}),
    ("dinov2_with_registers", "Dinov2WithRegistersForImageClassification", {"use_swiglu_ffn": [True, False]}),
    ("videomae", "VideoMAEModel", {"qv_bias": [True, False], "use_mean_pooling": [True, False]}),
    ("videomae", "VideoMAEForVideoClassification", {"use_mean_pooling": [True, False]}),
    ("vivit", "VivitModel", {"num_frames": [4, 8]}),
    ("vivit", "VivitForVideoClassification", {}),
    (
        "timesformer",
        "TimesformerModel",
        {"attention_type": ["divided_space_time", "space_only", "joint_space_time"]},
    ),
    ("timesformer", "TimesformerForVideoClassification", {}),
    ("clip_text_model", "CLIPTextModelWithProjection", {}),
    ("clip_vision_model", "CLIPVisionModelWithProjection", {}),
    ("chinese_clip_vision_model", "ChineseCLIPVisionModel", {}),
    ("siglip_vision_model", "SiglipVisionModel", {"vision_use_head": [True, False]}),
    ("siglip2_vision_model", "Siglip2VisionModel", {"num_patches": [16, 64]}),
    ("idefics3_vision", "Idefics3VisionTransformer", {}),
    ("smolvlm_vision", "SmolVLMVisionTransformer", {}),
    ("pixtral", "PixtralVisionModel", {"patch_size": [8, 16]}),
    (
        "internvl_vision",
        "InternVLVisionModel",
        {
            "norm_type": ["layer_norm", "rms_norm"],
            "use_qk_norm": [True, False],
            "use_mean_pooling": [True, False],
        },
    ),
    ("aimv2_vision_model", "Aimv2VisionModel", {"qkv_bias": [True, False], "use_head": [True, False]}),
    ("dinov3_vit", "DINOv3ViTModel", {"use_gated_mlp": [True, False], "num_register_tokens": [0, 4]}),
    ("dinov3_vit", "DINOv3ViTBackbone", {"key_bias": [True, False]}),
    ("pixio", "PixioModel", {"n_cls_tokens": [1, 8], "mlp_ratio": [2, 4]}),
    ("pixio", "PixioBackbone", {"qkv_bias": [True, False]}),
    ("qianfan_ocr_vision", "QianfanOCRVisionModel", {"attention_bias": [True, False]}),
    ("tipsv2_vision_model", "Tipsv2VisionModel", {"num_register_tokens": [0, 2]}),
    ("video_llama_3_vision", "VideoLlama3VisionModel", {"patch_size": [8, 16]}),
    (
        "beit",
        "BeitModel",
        {"use_relative_position_bias": [True, False], "use_shared_relative_position_bias": [True, False]},
    ),
    ("beit", "BeitForImageClassification", {"use_mean_pooling": [True, False]}),
    (
        "beit",
        "BeitForMaskedImageModeling",
        {"use_mean_pooling": [True, False], "use_mask_token": [True, False]},
    ),
    ("data2vec-vision", "Data2VecVisionModel", {"use_mean_pooling": [True, False]}),
    (
        "data2vec-vision",
        "Data2VecVisionForImageClassification",
        {"use_absolute_position_embeddings": [True, False]},
    ),
]


@pytest.mark.parametrize(("model_type", "cls", "choices"), CASES)
def test_against_meta_device(model_type, cls, choices):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    r = random.Random(f"{model_type}/{cls}")
    for _ in range(3):
        heads = r.choice([2, 4])
        kw = {
            "hidden_size": heads * r.choice([8, 12]),
            "num_attention_heads": heads,
            "num_hidden_layers": r.randint(1, 3),
            "intermediate_size": r.choice([16, 40]),
            "num_labels": r.randint(1, 5),
        }
        kw.update({k: r.choice(v) for k, v in choices.items()})
        d = transformers.CONFIG_MAPPING[model_type](**kw).to_dict()
        d["architectures"] = [cls]
        expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
        p = params(d)
        assert (p["total"], p["confidence"]) == (expected, "exact"), kw


TOWER_CASES = [
    ("qwen3_vl_vision", "Qwen3VLVisionModel", {"deepstack_visual_indexes": [[], [0], [0, 1]]}),
    ("qwen3_vl_moe_vision", "Qwen3VLMoeVisionModel", {"num_position_embeddings": [16, 64]}),
    ("qwen3_5_vision", "Qwen3_5VisionModel", {"spatial_merge_size": [1, 2]}),
    ("qwen3_5_moe_vision", "Qwen3_5MoeVisionModel", {"temporal_patch_size": [1, 2]}),
    ("qwen4_exp_vision", "Qwen4ExpVisionModel", {}),
    ("qwen2_5_vl_vision", "Qwen2_5_VisionTransformerPretrainedModel", {"spatial_merge_size": [1, 2, 3]}),
    ("glm4v_vision", "Glm4vVisionModel", {"attention_bias": [True, False], "image_size": [56, 112]}),
    ("glm4v_moe_vision", "Glm4vMoeVisionModel", {"spatial_merge_size": [1, 2]}),
    ("glm_ocr_vision", "GlmOcrVisionModel", {"attention_bias": [True, False], "in_channels": [1, 3]}),
]


@pytest.mark.parametrize(("model_type", "cls", "choices"), TOWER_CASES)
def test_qwen_glm_towers_against_meta_device(model_type, cls, choices):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    r = random.Random(f"{model_type}/{cls}")
    for _ in range(3):
        heads = r.choice([2, 4])
        kw = {
            "hidden_size": heads * r.choice([8, 16]),
            "num_heads": heads,
            "depth": r.randint(1, 3),
            "intermediate_size": r.choice([16, 40]),
            "out_hidden_size": r.choice([24, 48]),
            "patch_size": r.choice([4, 8]),
        }
        kw.update({k: r.choice(v) for k, v in choices.items()})
        d = transformers.CONFIG_MAPPING[model_type](**kw).to_dict()
        d["architectures"] = [cls]
        expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
        p = params(d)
        assert (p["total"], p["confidence"]) == (expected, "exact"), kw


def test_glm4v_vision_by_hand():
    cfg = {
        "model_type": "glm4v_vision",
        "depth": 1,
        "hidden_size": 8,
        "num_heads": 2,
        "intermediate_size": 6,
        "out_hidden_size": 4,
        "image_size": 8,
        "patch_size": 4,
        "temporal_patch_size": 2,
        "in_channels": 3,
        "spatial_merge_size": 2,
        "attention_bias": False,
    }
    positions = (8 // 4) ** 2 * 8
    conv3d = 3 * 2 * 4 * 4 * 8 + 8
    block = (
        2 * 8 + 8 * 24 + 8 * 8 + 3 * 8 * 4
    )  # RMSNorms, qkv, proj, gated MLP at out_hidden_size (no biases)
    merger = 4 * 4 + 2 * 4 + 3 * 4 * 6  # proj, LayerNorm, gated MLP at intermediate_size
    tail = 8 + (8 * 2 * 2 * 4 + 4) + 8  # RMSNorm, 2x2 downsample conv, RMSNorm
    assert params(cfg)["total"] == positions + conv3d + block + merger + tail
    assert params({**cfg, "attention_bias": True})["total"] == positions + conv3d + block + merger + tail + 24


def test_a_composite_class_under_a_tower_model_type_is_unknown():
    cfg = {"model_type": "qwen3_vl_vision", "architectures": ["Qwen3VLForConditionalGeneration"]}
    assert params(cfg)["total"] is None


def test_pixtral_by_hand():
    cfg = {**TINY, "model_type": "pixtral", "architectures": ["PixtralVisionModel"]}
    # bias-free 4x4 patch conv, RMSNorm, per layer: 4 bias-free h x h projections, gated MLP, 2 RMSNorms
    layer = 4 * 8 * 8 + 3 * 8 * 16 + 2 * 8
    assert params(cfg)["total"] == 3 * 4 * 4 * 8 + 8 + 2 * layer


def test_pixio_backbone_adds_its_own_layernorm():
    cfg = {**TINY, "model_type": "pixio", "mlp_ratio": 2, "n_cls_tokens": 2}
    model = params({**cfg, "architectures": ["PixioModel"]})["total"]
    assert model == TINY_CONV + 2 * 8 + (4 + 2) * 8 + 2 * TINY_LAYER + 2 * 8
    assert params({**cfg, "architectures": ["PixioBackbone"]})["total"] == model + 2 * 8


@pytest.mark.parametrize(
    ("model_type", "cls"),
    [("siglip2", "Siglip2Model"), ("metaclip_2", "MetaClip2Model"), ("aimv2", "Aimv2Model")],
)
def test_dual_encoders_against_meta_device(model_type, cls):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    text = {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4}
    vision = {**text, "hidden_size": 48, "patch_size": 8, "image_size": 64, "num_patches": 36}
    d = transformers.CONFIG_MAPPING[model_type](
        text_config={**text, "vocab_size": 100}, vision_config=vision, projection_dim=24
    ).to_dict()
    d["architectures"] = [cls]
    expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
    assert (params(d)["total"], params(d)["confidence"]) == (expected, "exact")


def test_beit_relative_position_bias_tables_by_hand():
    cfg = {**TINY, "model_type": "beit", "architectures": ["BeitModel"], "use_mean_pooling": True}
    cfg.update(
        layer_scale_init_value=0.1, use_relative_position_bias=False, use_absolute_position_embeddings=False
    )
    # conv, [CLS]; per layer: q and v biased, k bias-free, lambdas; the pooler's LayerNorm (mean pooling)
    base = TINY_CONV + 8 + 2 * (TINY_LAYER - 8 + 2 * 8) + 2 * 8
    assert params(cfg)["total"] == base
    table = ((2 * 2 - 1) * (2 * 2 - 1) + 3) * 2  # 2x2 patch window, 2 heads
    assert params({**cfg, "use_relative_position_bias": True})["total"] == base + 2 * table
    assert params({**cfg, "use_shared_relative_position_bias": True})["total"] == base + table
    d2v = {**cfg, "model_type": "data2vec-vision", "architectures": ["Data2VecVisionModel"]}
    assert params(d2v)["total"] == base - 2 * 8  # Data2VecVisionModel builds no pooler


FIXED_CASES = [
    (
        "hy_v4_vl_vision",
        "HYV4VLVisionModel",
        {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 40, "num_hidden_layers": 2}
        | {"patch_size": 8, "max_image_size": 96, "out_hidden_size": 48, "spatial_merge_size": 3},
    ),
    (
        "muse_spark_vision",
        "MuseSparkVisionModel",
        {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 40, "num_hidden_layers": 2}
        | {"layer_types": ["window_attention", "full_attention"], "patch_size": 8, "pos_emb_height": 6}
        | {"pos_emb_width": 6, "patch_temporal": 1},
    ),
    (
        "muse_glimmer_vision",
        "MuseGlimmerVisionModel",
        {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 40, "num_hidden_layers": 1}
        | {"layer_types": ["full_attention"], "pos_emb_height": 4, "pos_emb_width": 4},
    ),
    (
        "inkling2_vision",
        "Inkling2VisionModel",
        {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 40, "num_hidden_layers": 2}
        | {"patch_size": 8, "posemb_grid_size": 6, "projection_hidden_dim": 50, "text_hidden_size": 30},
    ),
    (
        "kimi_k25_vision",
        "Kimi_K25VisionModel",
        {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 40, "num_hidden_layers": 2}
        | {"patch_size": 8, "pos_emb_height": 10, "pos_emb_width": 12},
    ),
    (
        "lfm3_vl_vision",
        "Lfm3VlVisionModel",
        {"hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 40}
        | {"num_hidden_layers": 3, "layer_types": ["conv", "full_attention", "conv"], "conv_kernel_size": 5},
    ),
    (
        "sam3_vit_model",
        "Sam3ViTModel",
        {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 40, "num_hidden_layers": 2}
        | {"pretrain_image_size": 112, "patch_size": 8, "image_size": 224, "window_size": 4},
    ),
    ("mobilenet_v2", "MobileNetV2Model", {"depth_multiplier": 0.35, "first_layer_is_expansion": False}),
    (
        "mobilenet_v2",
        "MobileNetV2Model",
        {"depth_multiplier": 1.4, "expand_ratio": 4.0, "depth_divisible_by": 16},
    ),
    ("mobilenet_v2", "MobileNetV2ForImageClassification", {"depth_multiplier": 0.75, "num_labels": 9}),
    (
        "tipsv2_text_model",
        "Tipsv2TextModel",
        {"hidden_size": 32, "num_attention_heads": 4, "vocab_size": 100},
    ),
    (
        "tipsv2",
        "Tipsv2Model",
        {
            "text_config": {
                "hidden_size": 32,
                "num_attention_heads": 4,
                "vocab_size": 100,
                "num_hidden_layers": 2,
            },
            "vision_config": {
                "hidden_size": 32,
                "num_attention_heads": 4,
                "num_hidden_layers": 2,
                "image_size": 56,
            },
        },
    ),
    (
        "regnet",
        "RegNetModel",
        {"embedding_size": 16, "hidden_sizes": [16, 48, 96], "depths": [1, 2, 1], "groups_width": 8}
        | {"layer_type": "x", "downsample_in_first_stage": False},
    ),
    (
        "regnet",
        "RegNetForImageClassification",
        {
            "embedding_size": 24,
            "hidden_sizes": [32, 64],
            "depths": [2, 1],
            "groups_width": 16,
            "num_labels": 3,
        },
    ),
    ("pvt_v2", "PvtV2Model", {"linear_attention": True, "qkv_bias": False}),
    ("pvt_v2", "PvtV2Backbone", {"num_encoder_blocks": 3}),
    ("pvt_v2", "PvtV2ForImageClassification", {"num_labels": 5}),
    (
        "segformer",
        "SegformerModel",
        {"depths": [1, 2, 1], "hidden_sizes": [16, 32, 48], "patch_sizes": [7, 3, 3], "strides": [4, 2, 2]}
        | {
            "num_attention_heads": [1, 2, 4],
            "sr_ratios": [4, 2, 1],
            "mlp_ratios": [4, 2, 3],
            "num_encoder_blocks": 3,
        },
    ),
    ("segformer", "SegformerForImageClassification", {"num_labels": 5, "num_encoder_blocks": 3}),
    (
        "pvt",
        "PvtModel",
        {"depths": [1, 2, 1], "hidden_sizes": [16, 32, 48], "patch_sizes": [4, 2, 2], "strides": [4, 2, 2]}
        | {"num_attention_heads": [1, 2, 4], "sequence_reduction_ratios": [4, 2, 1], "mlp_ratios": [4, 2, 3]}
        | {"num_encoder_blocks": 3, "qkv_bias": False, "image_size": 128},
    ),
    ("pvt", "PvtForImageClassification", {"num_labels": 5, "num_encoder_blocks": 3}),
    ("mobilenet_v1", "MobileNetV1Model", {"depth_multiplier": 0.75, "min_depth": 16}),
    ("mobilenet_v1", "MobileNetV1ForImageClassification", {"depth_multiplier": 0.25, "num_labels": 7}),
    (
        "poolformer",
        "PoolFormerModel",
        {"depths": [1, 2, 1], "hidden_sizes": [16, 32, 48], "patch_sizes": [7, 3, 3], "strides": [4, 2, 2]}
        | {"padding": [2, 1, 1], "num_encoder_blocks": 3, "use_layer_scale": False, "mlp_ratio": 3.0},
    ),
    (
        "poolformer",
        "PoolFormerForImageClassification",
        {
            "depths": [1, 1],
            "hidden_sizes": [16, 32],
            "patch_sizes": [7, 3],
            "strides": [4, 2],
            "padding": [2, 1],
        }
        | {"num_encoder_blocks": 2},
    ),
    (
        "cosmos3_edge_vision",
        "Cosmos3EdgeVisionModel",
        {
            "hidden_size": 32,
            "num_attention_heads": 4,
            "intermediate_size": 40,
            "num_patches": 16,
            "patch_size": 8,
        },
    ),
    (
        "minicpmv4_7_vision",
        "MiniCPMV4_7VisionModel",
        {
            "hidden_size": 32,
            "num_attention_heads": 4,
            "intermediate_size": 40,
            "image_size": 32,
            "patch_size": 8,
        }
        | {"window_kernel_size": [2, 3]},
    ),
    ("minicpm_ocr_vision", "MiniCPMOcrVisionModel", {"hidden_size": 32, "num_attention_heads": 4}),
    (
        "swinv2",
        "Swinv2Model",
        {"embed_dim": 32, "depths": [1, 2, 1], "num_heads": [2, 4, 4], "qkv_bias": False}
        | {"use_absolute_embeddings": True, "mlp_ratio": 2.5},
    ),
    ("swinv2", "Swinv2ForImageClassification", {"embed_dim": 32, "depths": [1, 2], "num_heads": [2, 4]}),
    (
        "gemma4_vision",
        "Gemma4VisionModel",
        {"hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8}
        | {"intermediate_size": 40, "position_embedding_size": 50, "patch_size": 8, "num_hidden_layers": 2},
    ),
    (
        "vjepa2",
        "VJEPA2Model",
        {"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2, "pred_hidden_size": 16}
        | {
            "pred_num_attention_heads": 2,
            "pred_num_hidden_layers": 2,
            "mlp_ratio": 2.5,
            "pred_num_mask_tokens": 3,
        },
    ),
    ("imagegpt", "ImageGPTModel", {"n_embd": 32, "n_head": 4, "n_layer": 2, "n_inner": 40, "vocab_size": 30}),
    (
        "imagegpt",
        "ImageGPTForImageClassification",
        {"n_embd": 32, "n_head": 4, "n_layer": 2, "num_labels": 3},
    ),
    (
        "mlcd_vision_model",
        "MLCDVisionModel",
        {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 40},
    ),
    ("mlcd", "MLCDVisionModel", {"hidden_size": 48, "num_attention_heads": 2, "num_hidden_layers": 2}),
    (
        "sam_vision_model",
        "SamVisionModel",
        {
            "hidden_size": 32,
            "num_attention_heads": 4,
            "num_hidden_layers": 3,
            "mlp_dim": 40,
            "output_channels": 8,
        }
        | {"image_size": 64, "window_size": 4, "global_attn_indexes": [1]},
    ),
    (
        "sam_hq_vision_model",
        "SamHQVisionModel",
        {
            "hidden_size": 32,
            "num_attention_heads": 4,
            "num_hidden_layers": 2,
            "mlp_dim": 40,
            "output_channels": 8,
        }
        | {"image_size": 64, "use_rel_pos": False},
    ),
    (
        "vitdet",
        "VitDetModel",
        {"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 3, "window_size": 4}
        | {
            "window_block_indices": [0, 2],
            "residual_block_indices": [1],
            "use_relative_position_embeddings": True,
        },
    ),
    ("vitdet", "VitDetBackbone", {"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2}),
    ("maskformer-swin", "MaskFormerSwinModel", {"embed_dim": 32, "depths": [1, 2], "num_heads": [2, 4]}),
    (
        "donut-swin",
        "DonutSwinModel",
        {"embed_dim": 32, "depths": [1, 2, 1], "num_heads": [2, 4, 4], "use_absolute_embeddings": True},
    ),
    (
        "donut-swin",
        "DonutSwinForImageClassification",
        {"embed_dim": 32, "depths": [1, 2], "num_heads": [2, 4]},
    ),
    ("dinov3_convnext", "DINOv3ConvNextModel", {"hidden_sizes": [16, 32, 48], "depths": [1, 2, 1]}),
    (
        "dinov3_convnext",
        "DINOv3ConvNextBackbone",
        {"hidden_sizes": [16, 32, 48], "depths": [1, 2, 1], "layer_scale_init_value": 0.0},
    ),
]


@pytest.mark.parametrize(("model_type", "cls", "kw"), FIXED_CASES)
def test_swin_and_convnext_copies_against_meta_device(model_type, cls, kw):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    d = transformers.CONFIG_MAPPING[model_type](**kw).to_dict()
    d["architectures"] = [cls]
    expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
    assert (params(d)["total"], params(d)["confidence"]) == (expected, "exact")


def test_maskformer_swin_backbone_is_unknown():
    cfg = {"model_type": "maskformer-swin", "architectures": ["MaskFormerSwinBackbone"], "embed_dim": 32}
    assert params(cfg)["total"] is None


def test_sam_vision_relative_tables_and_neck_by_hand():
    cfg = {"model_type": "sam_vision_model", "architectures": ["SamVisionModel"], "hidden_size": 8}
    cfg.update(num_hidden_layers=2, num_attention_heads=2, mlp_dim=16, output_channels=4, image_size=16)
    cfg.update(patch_size=4, num_channels=3, window_size=2, global_attn_indexes=[1], use_abs_pos=True)
    cfg.update(use_rel_pos=True, qkv_bias=True)
    block = 2 * 2 * 8 + lin(8, 24) + lin(8, 8) + lin(8, 16) + lin(16, 8)
    rel_window, rel_global = 2 * (2 * 2 - 1) * 4, 2 * (2 * 4 - 1) * 4  # window 2 / grid 16 // 4, head_dim 4
    neck = 8 * 4 + 2 * 4 + 4 * 4 * 9 + 2 * 4
    expected = TINY_CONV + 4 * 4 * 8 + 2 * block + rel_window + rel_global + neck
    assert params(cfg)["total"] == expected


def test_mobilenet_v1_by_hand():
    cfg = {"model_type": "mobilenet_v1", "architectures": ["MobileNetV1Model"], "num_channels": 3}
    cfg.update(depth_multiplier=1.0, min_depth=8)
    widths = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]  # stem, then 13 pairs
    n = 3 * 32 * 9 + 2 * 32
    for cin, cout in zip(widths, widths[1:], strict=False):
        n += cin * 9 + 2 * cin + cin * cout + 2 * cout  # depthwise 3x3 + BN, pointwise 1x1 + BN
    assert params(cfg)["total"] == n
