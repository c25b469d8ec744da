"""Dense-prediction, segmentation and CNN image models (families/vision_dense.py, families/vision_cnn.py).

Without torch: tiny configs whose counts are summed by hand here, term by term from the module tree (not by calling
the formulas), and heads / variants the formulas do not model must come out ``unknown``. With transformers and
torch installed: small configs (non-default widths, depths, flags) counted against the meta-device build.
"""

from __future__ import annotations

import pytest

from hubscan.estimate.footprint import analyze_config
from params_meta import assert_exact_against_meta, lin


def params(cfg: dict) -> dict:
    return analyze_config(cfg, use_transformers=False)["params"]


def test_bit_bottleneck_counts_stem_norm_projection_and_layers():
    cfg = {
        "model_type": "bit",
        "architectures": ["BitModel"],
        "layer_type": "bottleneck",
        "num_channels": 3,
        "embedding_size": 8,
        "hidden_sizes": [16],
        "depths": [2],
        "num_groups": 4,
    }
    stem = 3 * 8 * 7 * 7 + 2 * 8  # bias-free 7x7 conv, GroupNorm (the stem has one unless pre-activation)
    # mid width rounds 16 * 0.25 = 4 up to the divisor 8; convs have no bias; GroupNorms have weight + bias
    first = 8 * 8 + 8 * 8 * 9 + 8 * 16 + (2 * 8 + 2 * 8 + 2 * 16) + (8 * 16 + 2 * 16)
    second = 16 * 8 + 8 * 8 * 9 + 8 * 16 + (2 * 8 + 2 * 8 + 2 * 16)
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (stem + first + second, "exact")


def test_bit_preactivation_has_final_norm_and_classifier():
    cfg = {
        "model_type": "bit",
        "architectures": ["BitForImageClassification"],
        "layer_type": "preactivation",
        "embedding_size": 8,
        "hidden_sizes": [16],
        "depths": [1],
        "num_groups": 4,
        "num_labels": 3,
    }
    stem = 3 * 8 * 49  # no stem norm in the pre-activation variant
    layer = (
        8 * 8 + 8 * 8 * 9 + 8 * 16 + (2 * 8 + 2 * 8 + 2 * 8) + 8 * 16
    )  # norms read in, mid, mid; bare projection
    assert params(cfg)["total"] == stem + layer + 2 * 16 + lin(16, 3)


def test_efficientnet_counts_stem_mbconv_and_top():
    cfg = {
        "model_type": "efficientnet",
        "architectures": ["EfficientNetModel"],
        "width_coefficient": 1.0,
        "depth_coefficient": 1.0,
        "in_channels": [8],
        "out_channels": [16],
        "kernel_sizes": [3],
        "strides": [1],
        "num_block_repeats": [1],
        "expand_ratios": [2],
        "hidden_dim": 1280,
    }
    stem = 3 * 32 * 9 + 2 * 32  # bias-free 3x3 conv to 32 channels, BatchNorm weight + bias
    # expansion 8 -> 16, depthwise 3x3, squeeze-excite with int(8 * 0.25) = 2 channels, projection 16 -> 16
    block = (8 * 16 + 2 * 16) + (16 * 9 + 2 * 16) + lin(16, 2) + lin(2, 16) + (16 * 16 + 2 * 16)
    top = 16 * 1280 + 2 * 1280
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (stem + block + top, "exact")


def test_textnet_counts_rep_conv_branches_and_identity_norm():
    cfg = {
        "model_type": "textnet",
        "architectures": ["TextNetModel"],
        "stem_kernel_size": 3,
        "stem_num_channels": 3,
        "stem_out_channels": 4,
        "hidden_sizes": [4, 4],
        "conv_layer_kernel_sizes": [[[3, 3], [1, 3]]],
        "conv_layer_strides": [[1, 1]],
    }
    stem = 3 * 4 * 9 + 2 * 4
    # 3x3: main + 3x1 + 1x3 branches, each with a BatchNorm, plus the identity BatchNorm (4 -> 4, stride 1)
    first = 4 * 4 * 9 + 4 * 4 * 3 + 4 * 4 * 3 + 3 * 2 * 4 + 2 * 4
    # 1x3: main + 1x3 "vertical" branch (kw != 1); no horizontal one since kh == 1
    second = 4 * 4 * 3 + 4 * 4 * 1 + 2 * 2 * 4 + 2 * 4
    assert params(cfg)["total"] == stem + first + second


def test_cvt_counts_conv_projections_cls_and_classifier_norm():
    cfg = {
        "model_type": "cvt",
        "architectures": ["CvtForImageClassification"],
        "num_labels": 2,
        "embed_dim": [8],
        "num_heads": [2],
        "depth": [1],
        "patch_sizes": [3],
        "mlp_ratio": [2.0],
        "qkv_bias": [True],
        "cls_token": [True],
        "qkv_projection_method": ["dw_bn"],
        "kernel_qkv": [3],
    }
    embed = (3 * 9 * 8 + 8) + 2 * 8 + 8  # patch conv, LayerNorm, [CLS]
    # q/k/v each: depthwise 3x3 bias-free conv + BatchNorm, then a biased linear; output dense, MLP, 2 LayerNorms
    layer = 3 * (8 * 9 + 2 * 8) + 3 * lin(8, 8) + lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 2 * 8
    assert params(cfg)["total"] == embed + layer + 2 * 8 + lin(8, 2)


def test_glpn_counts_the_mix_transformer_encoder():
    cfg = {
        "model_type": "glpn",
        "architectures": ["GLPNModel"],
        "num_channels": 3,
        "num_encoder_blocks": 1,
        "depths": [1],
        "hidden_sizes": [8],
        "patch_sizes": [3],
        "strides": [2],
        "num_attention_heads": [2],
        "sr_ratios": [2],
        "mlp_ratios": [2],
    }
    patch = 3 * 3 * 3 * 8 + 8 + 2 * 8
    attn = 3 * lin(8, 8) + (8 * 8 * 2 * 2 + 8) + 2 * 8 + lin(8, 8)
    ffn = lin(8, 16) + 16 * 9 + 16 + lin(16, 8)
    p = params(cfg)
    assert (p["total"], p["confidence"]) == (patch + 2 * 8 + attn + 2 * 8 + ffn + 2 * 8, "exact")


def test_seggpt_counts_tokens_positions_and_relative_tables():
    cfg = {
        "model_type": "seggpt",
        "architectures": ["SegGptModel"],
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "image_size": [16, 8],
        "patch_size": 4,
        "pretrain_image_size": 8,
        "mlp_dim": 16,
        "num_channels": 3,
    }
    emb = 5 * 8 + (3 * 4 * 4 * 8 + 8) + ((8 // 4) ** 2 + 1) * 8
    rel = ((2 * 4 - 1) + (2 * 2 - 1)) * (8 // 2)  # grid 4 x 2 patches, head_dim 4
    layer = 2 * 2 * 8 + lin(8, 24) + lin(8, 8) + lin(8, 16) + lin(16, 8) + rel
    assert params(cfg)["total"] == emb + layer + 2 * 8


def test_dpt_base_model_is_a_vit_with_pooler():
    cfg = {
        "model_type": "dpt",
        "architectures": ["DPTModel"],
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 16,
        "image_size": 8,
        "patch_size": 4,
    }
    layer = 4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 2 * 8
    total = (3 * 4 * 4 * 8 + 8) + 8 + 5 * 8 + layer + 2 * 8 + lin(8, 8)
    assert params(cfg)["total"] == total


def test_videoprism_vision_counts_spatial_and_temporal_stacks():
    cfg = {
        "model_type": "videoprism_vision_model",
        "architectures": ["VideoPrismVisionModel"],
        "hidden_size": 8,
        "num_attention_heads": 2,
        "intermediate_size": 16,
        "num_spatial_layers": 1,
        "num_temporal_layers": 2,
        "image_size": 8,
        "tubelet_size": [1, 4, 4],
        "num_frames": 2,
        "num_channels": 3,
    }
    layer = 2 * 2 * 8 + 4 * lin(8, 8) + lin(8, 16) + lin(16, 8)
    total = (3 * 4 * 4 * 8 + 8) + 4 * 8 + 2 * 8 + 2 * 2 * 8 + 3 * layer
    assert params(cfg)["total"] == total


def test_sam2_hiera_counts_width_change_projection():
    cfg = {
        "model_type": "sam2_hiera_det_model",
        "architectures": ["Sam2HieraDetModel"],
        "hidden_size": 8,
        "blocks_per_stage": [1, 1],
        "embed_dim_per_stage": [8, 16],
        "num_attention_heads_per_stage": [1, 1],
        "window_size_per_stage": [2, 2],
        "global_attention_blocks": [],
        "window_positional_embedding_background_size": [2, 2],
        "patch_kernel_size": [3, 3],
        "mlp_ratio": 2.0,
    }
    emb = 3 * 9 * 8 + 8 + 8 * 4 + 8 * 4
    b0 = 16 + lin(8, 24) + lin(8, 8) + 16 + lin(8, 16) + lin(16, 8)
    b1 = 16 + lin(8, 48) + lin(16, 16) + 32 + lin(16, 32) + lin(32, 16) + lin(8, 16)
    assert params(cfg)["total"] == emb + b0 + b1


def test_sam_untied_positional_embedding_counts_twice():
    base = {"model_type": "sam", "architectures": ["SamModel"], "vision_config": {"num_pos_feats": 16}}
    tied = params({**base, "tie_word_embeddings": True})
    untied = params({**base, "tie_word_embeddings": False})
    assert tied["confidence"] == untied["confidence"] == "exact"
    assert untied["total"] - tied["total"] == 2 * 16


@pytest.mark.parametrize(
    "cfg",
    [
        {"model_type": "dpt", "architectures": ["DPTForDepthEstimation"]},
        {"model_type": "dpt", "architectures": ["DPTModel"], "is_hybrid": True},
        {"model_type": "glpn", "architectures": ["GLPNForDepthEstimation"]},
        {"model_type": "seggpt", "architectures": ["SegGptForImageSegmentation"]},
        {"model_type": "sam3_vision_model", "backbone_config": {"model_type": "vit"}},
        {"model_type": "sam2_vision_model", "backbone_config": {"model_type": "hiera"}},
        {"model_type": "bit", "architectures": ["BitModel"], "layer_type": "other"},
        {"model_type": "videoprism_vision_model", "architectures": ["VideoPrismForVideoClassification"]},
        {"model_type": "hiera", "architectures": ["HieraForPreTraining"]},
        {"model_type": "hiera", "architectures": ["HieraBackbone"]},
        {"model_type": "sapiens2", "num_hidden_layers": 2, "num_key_value_heads_per_layer": [4]},
        {"model_type": "depth_pro", "architectures": ["DepthProForDepthEstimation"]},
        {"model_type": "depth_pro", "patch_model_config": {"model_type": "vit"}},
        {"model_type": "mobilevit", "architectures": ["MobileViTForSemanticSegmentation"]},
        {"model_type": "levit", "architectures": ["LevitModel"], "depths": [1, 1]},
        {"model_type": "focalnet", "architectures": ["FocalNetForMaskedImageModeling"]},
        {"model_type": "swiftformer", "architectures": ["SwiftFormerForImageClassification"]},
        {"model_type": "sam3_tracker", "tracker_config": {}},
    ],
)
def test_unmodelled_heads_and_variants_are_unknown(cfg):
    p = params(cfg)
    assert p["confidence"] != "exact"
    assert p["total"] is None


DINO_SMALL = {
    "model_type": "dinov2",
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "image_size": 64,
    "patch_size": 16,
}
DEPTH_PRO_SMALL = {
    "patch_model_config": {**DINO_SMALL, "hidden_size": 64, "num_hidden_layers": 2},
    "image_model_config": {**DINO_SMALL, "hidden_size": 96},
    "fov_model_config": {**DINO_SMALL, "hidden_size": 32},
    "fusion_hidden_size": 32,
    "scaled_images_feature_dims": [48, 40, 32],
    "intermediate_hook_ids": [1, 0],
    "patch_size": 64,
}

META_CASES = [
    (
        "sapiens2",
        {
            "hidden_size": 64,
            "num_attention_heads": 4,
            "intermediate_size": 96,
            "num_hidden_layers": 3,
            "num_first_full_attention_layers": 1,
            "num_last_full_attention_layers": 1,
            "num_key_value_attention_heads": 2,
            "use_gated_mlp": False,
            "use_qk_norm": False,
            "key_bias": False,
            "mlp_bias": False,
            "use_mask_token": True,
            "num_register_tokens": 2,
        },
    ),
    (
        "sapiens2",
        {"hidden_size": 48, "num_attention_heads": 4, "intermediate_size": 80, "num_hidden_layers": 2},
    ),
    ("depth_pro", {**DEPTH_PRO_SMALL, "intermediate_feature_dims": [32, 32]}),
    ("depth_pro", {**DEPTH_PRO_SMALL, "intermediate_feature_dims": [40, 24]}),
    (
        "mobilevitv2",
        {
            "width_multiplier": 0.75,
            "n_attn_blocks": [1, 2, 1],
            "base_attn_unit_dims": [64, 96, 128],
            "ffn_multiplier": 3,
            "expand_ratio": 3.0,
            "conv_kernel_size": 5,
        },
    ),
    ("mobilevitv2", {"width_multiplier": 0.5, "n_attn_blocks": [1, 1, 1]}),
    (
        "mobilevit",
        {
            "hidden_sizes": [32, 48, 64],
            "neck_hidden_sizes": [8, 16, 24, 32, 40, 48, 96],
            "num_attention_heads": 2,
            "mlp_ratio": 3.0,
            "expand_ratio": 2.5,
            "conv_kernel_size": 5,
            "qkv_bias": False,
        },
    ),
    (
        "levit",
        {
            "image_size": 112,
            "hidden_sizes": [32, 64, 96],
            "num_attention_heads": [2, 4, 6],
            "key_dim": [8, 8, 16],
            "depths": [1, 2, 1],
            "mlp_ratio": [2, 0, 3],
            "attention_ratio": [2, 3, 2],
            "kernel_size": 5,
        },
    ),
    (
        "hgnet_v2",
        {
            "use_learnable_affine_block": True,
            "stem_channels": [3, 16, 24],
            "stage_in_channels": [24, 32],
            "stage_mid_channels": [16, 24],
            "stage_out_channels": [32, 64],
            "stage_num_blocks": [2, 1],
            "stage_downsample": [False, True],
            "stage_downsample_strides": [2, 2],
            "stage_light_block": [True, False],
            "stage_kernel_size": [3, 5],
            "stage_numb_of_layers": [2, 3],
            "hidden_sizes": [32, 64],
            "depths": [2, 1],
        },
    ),
    (
        "focalnet",
        {
            "embed_dim": 16,
            "depths": [1, 2, 1],
            "focal_levels": [1, 3, 2],
            "focal_windows": [3, 5, 3],
            "use_conv_embed": True,
            "use_layerscale": True,
            "use_post_layernorm_in_modulation": True,
        },
    ),
    ("focalnet", {"embed_dim": 24, "depths": [2, 1], "focal_levels": [2, 2], "focal_windows": [3, 3]}),
    (
        "cvt",
        {
            "embed_dim": [16, 32],
            "num_heads": [1, 2],
            "depth": [1, 2],
            "patch_sizes": [5, 3],
            "patch_stride": [4, 2],
            "patch_padding": [2, 1],
            "mlp_ratio": [2.0, 3.0],
            "qkv_bias": [False, True],
            "cls_token": [True, True],
            "qkv_projection_method": ["avg", "dw_bn"],
            "kernel_qkv": [3, 5],
            "padding_kv": [1, 2],
            "stride_kv": [2, 2],
            "padding_q": [1, 2],
            "stride_q": [1, 1],
            "attention_drop_rate": [0.0, 0.0],
            "drop_rate": [0.0, 0.0],
            "drop_path_rate": [0.0, 0.0],
        },
    ),
    (
        "swiftformer",
        {
            "depths": [1, 2, 3],
            "embed_dims": [16, 16, 32],
            "downsamples": [False, False, True],
            "mlp_ratio": 3,
        },
    ),
    (
        "textnet",
        {
            "stem_out_channels": 16,
            "stem_kernel_size": 5,
            "hidden_sizes": [16, 16, 32],
            "conv_layer_kernel_sizes": [[[3, 3], [1, 3]], [[3, 1], [1, 1], [3, 3]]],
            "conv_layer_strides": [[1, 1], [2, 1, 1]],
        },
    ),
    (
        "efficientnet",
        {
            "width_coefficient": 1.0,
            "depth_coefficient": 1.1,
            "hidden_dim": 1280,
            "in_channels": [32, 16, 24],
            "out_channels": [16, 24, 40],
            "kernel_sizes": [3, 5, 3],
            "strides": [1, 2, 2],
            "num_block_repeats": [1, 2, 2],
            "expand_ratios": [1, 6, 4],
        },
    ),
    (
        "sam3_tracker",
        {
            "vision_config": {
                "backbone_config": {
                    "model_type": "sam3_vit_model",
                    "hidden_size": 64,
                    "num_hidden_layers": 1,
                    "num_attention_heads": 2,
                    "intermediate_size": 100,
                },
                "fpn_hidden_size": 32,
            },
            "mask_decoder_config": {"hidden_size": 64, "num_hidden_layers": 1, "mlp_dim": 90},
            "prompt_encoder_config": {"hidden_size": 64},
        },
    ),
    (
        "hiera",
        {
            "embed_dim": 32,
            "depths": [1, 2, 1],
            "num_heads": [1, 2, 4],
            "embed_dim_multiplier": 1.5,
            "num_query_pool": 2,
        },
    ),
    (
        "swin2sr",
        {"embed_dim": 32, "depths": [1, 2], "num_heads": [2, 4], "resi_connection": "3conv", "patch_size": 2},
    ),
    ("swin2sr", {"embed_dim": 24, "depths": [2], "num_heads": [3], "use_absolute_embeddings": True}),
    (
        "glpn",
        {"hidden_sizes": [16, 32], "num_encoder_blocks": 2, "depths": [1, 2], "num_attention_heads": [1, 2]},
    ),
    (
        "dpt",
        {
            "hidden_size": 64,
            "num_attention_heads": 4,
            "num_hidden_layers": 2,
            "intermediate_size": 96,
            "qkv_bias": False,
        },
    ),
    ("seggpt", {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": [64, 32]}),
    ("bit", {"layer_type": "bottleneck", "hidden_sizes": [40, 80], "depths": [2, 1], "num_groups": 8}),
    ("bit", {"hidden_sizes": [64, 128], "depths": [1, 2], "width_factor": 2, "embedding_size": 32}),
    (
        "sam",
        {
            "tie_word_embeddings": False,
            "mask_decoder_config": {"hidden_size": 128, "num_hidden_layers": 3, "iou_head_depth": 4},
            "prompt_encoder_config": {"hidden_size": 128, "mask_input_channels": 8},
            "vision_config": {"hidden_size": 96, "num_hidden_layers": 3, "num_attention_heads": 3},
        },
    ),
    (
        "sam_hq",
        {
            "mask_decoder_config": {"hidden_size": 128, "vit_dim": 96, "mlp_dim": 300},
            "prompt_encoder_config": {"hidden_size": 128},
            "vision_config": {"hidden_size": 96, "num_hidden_layers": 2, "global_attn_indexes": [1]},
        },
    ),
    (
        "sam3_vision_model",
        {
            "backbone_config": {
                "model_type": "sam3_vit_model",
                "hidden_size": 96,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "intermediate_size": 150,
            },
            "fpn_hidden_size": 64,
            "scale_factors": [4.0, 1.0],
        },
    ),
    (
        "sam2_vision_model",
        {
            "backbone_config": {
                "model_type": "sam2_hiera_det_model",
                "hidden_size": 32,
                "blocks_per_stage": [1, 2, 1],
                "embed_dim_per_stage": [32, 64, 64],
                "num_attention_heads_per_stage": [1, 2, 2],
                "window_size_per_stage": [4, 4, 4],
                "global_attention_blocks": [2],
                "mlp_ratio": 3.0,
            },
            "backbone_channel_list": [64, 64, 32],
            "fpn_hidden_size": 48,
            "fpn_kernel_size": 3,
        },
    ),
    ("sam2", {"mask_decoder_config": {"hidden_size": 128, "num_hidden_layers": 1}}),
    (
        "videoprism",
        {
            "vision_config": {
                "hidden_size": 64,
                "num_attention_heads": 4,
                "intermediate_size": 100,
                "num_spatial_layers": 2,
                "num_temporal_layers": 1,
                "num_auxiliary_layers": 3,
                "image_size": 72,
                "qkv_bias": False,
            },
            "text_config": {
                "vocab_size": 50,
                "hidden_size": 32,
                "num_attention_heads": 2,
                "num_hidden_layers": 2,
            },
        },
    ),
]


@pytest.mark.parametrize(("model_type", "kw"), META_CASES)
def test_against_meta_device(model_type, kw):
    assert_exact_against_meta(model_type, kw)
