"""Segmentation, video-tracking and keypoint-matching models (families/segmentation.py).

Without torch: tiny configs whose counts are summed by hand here, term by term from transformers' module tree (not
by calling the formulas). Composites are checked as differences against parts other registrations count (the
backbone, the SAM 2 image model, the vision and text towers), so the hand sum covers exactly the new modules.
Heads, nested configs and backbones the formulas do not model must come out ``unknown``. With transformers and
torch installed: small non-default configs counted against the meta-device build.
"""

from __future__ import annotations

import pytest

from hubscan.estimate.footprint import analyze_config
from params_meta import assert_exact_against_meta, lin


def params(cfg: dict) -> dict:
    return analyze_config(cfg, use_transformers=False)["params"]


def exact_total(cfg: dict) -> int:
    p = params(cfg)
    assert p["confidence"] == "exact", p
    return p["total"]


# ----------------------------------------------------------------------------- SAM 2 / SAM 3 / EdgeTAM video

MEMORY = {
    "num_maskmem": 2,
    "memory_attention_hidden_size": 16,
    "memory_attention_num_layers": 1,
    "memory_attention_num_attention_heads": 1,
    "memory_attention_downsample_rate": 1,
    "memory_attention_feed_forward_hidden_size": 8,
    "memory_encoder_hidden_size": 16,
    "memory_encoder_output_channels": 8,
    "mask_downsampler_embed_dim": 16,
    "mask_downsampler_kernel_size": 3,
    "mask_downsampler_stride": 2,
    "mask_downsampler_total_stride": 4,
    "memory_fuser_num_layers": 1,
    "memory_fuser_embed_dim": 16,
    "memory_fuser_intermediate_dim": 8,
    "memory_fuser_kernel_size": 3,
}


def _memory_by_hand(fpn: int) -> int:
    """The video modules of MEMORY around a tracker whose FPN width is ``fpn``."""
    self_attn = 4 * lin(16, 16)
    cross = lin(16, 16) + 2 * lin(64, 16) + lin(16, 16)  # keys and values come from 64-wide memories
    layer = self_attn + cross + lin(16, 8) + lin(8, 16) + 3 * 2 * 16
    attention = layer + 2 * 16
    downsampler = (lin(9, 4) + 2 * 4) + (lin(4 * 9, 16) + 2 * 16) + lin(16, 16)  # 1 -> 4 -> 16, 1x1 to 16
    fuser = lin(9, 16) + 2 * 16 + lin(16, 8) + lin(8, 16) + 16  # depthwise 3x3, LayerNorm, MLP, layer scale
    encoder = downsampler + lin(16, 16) + fuser + lin(16, 8)
    extras = fpn + 2 * 8 + fpn + lin(16, 1) + 3 * lin(fpn, fpn) + lin(fpn, 8) + 8
    return attention + encoder + extras


@pytest.mark.parametrize(("image", "video"), [("sam2", "sam2_video"), ("sam3_tracker", "sam3_tracker_video")])
def test_video_tracker_adds_memory_modules_to_the_image_model(image, video):
    # the image model (an exact family of its own) and the video model share vision, prompt and mask decoder
    base = exact_total({"model_type": image})
    assert exact_total({"model_type": video, **MEMORY}) - base == _memory_by_hand(256)


def test_video_tracker_flags_drop_their_parameters():
    on = exact_total({"model_type": "sam2_video", **MEMORY})
    off = exact_total(
        {
            "model_type": "sam2_video",
            **MEMORY,
            "enable_occlusion_spatial_embedding": False,
            "enable_temporal_pos_encoding_for_object_pointers": False,
        }
    )
    assert on - off == 8 + lin(256, 8)


def test_edgetam_video_adds_the_spatial_perceiver():
    sam2 = exact_total({"model_type": "sam2_video", **MEMORY})
    edge = {k: v for k, v in MEMORY.items() if k != "memory_attention_feed_forward_hidden_size"}
    edge.update(memory_attention_mlp_hidden_size=8)  # EdgeTAM's name for the same MLP width
    edge.update(
        perceiver_resampler_num_latents=3,
        perceiver_resampler_num_latents_2d=2,
        perceiver_resampler_hidden_size=8,
        perceiver_resampler_mlp_intermediate_size=4,
        perceiver_resampler_num_attention_heads=1,
        perceiver_resampler_attention_head_dim=4,
        perceiver_resampler_num_layers=1,
    )
    attn = 4 * 8 * 4  # bias-free q/k/v/o between width 8 and 1 head x 4
    mlp = 2 * 8 + 8 * 4 + 4 * 8  # LayerNorm, bias-free up and down
    perceiver = (3 + 2) * 8 + (2 * (attn + mlp) + 3 * 2 * 8) + 2 * 8
    assert exact_total({"model_type": "edgetam_video", **edge}) - sam2 == perceiver


def test_sam3_detector_modules_by_hand():
    vision = {
        "backbone_config": {
            "model_type": "sam3_vit_model",
            "hidden_size": 32,
            "intermediate_size": 40,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
        },
        "scale_factors": [1.0],
        "fpn_hidden_size": 16,
    }
    text = {"hidden_size": 12, "intermediate_size": 20, "num_hidden_layers": 1, "num_attention_heads": 2}
    text.update(vocab_size=30, max_position_embeddings=5, projection_dim=6)
    part = {"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 4}
    cfg = {
        "model_type": "sam3",
        "vision_config": vision,
        "text_config": text,
        "geometry_encoder_config": {**part, "num_layers": 1, "roi_size": 2},
        "detr_encoder_config": {**part, "num_layers": 1},
        "detr_decoder_config": {**part, "num_layers": 1, "num_queries": 3},
        "mask_decoder_config": {"hidden_size": 8, "num_upsampling_stages": 1},
    }
    towers = exact_total({"model_type": "sam3_vision_model", **vision})
    towers += exact_total({"model_type": "clip_text_model", "architectures": ["CLIPTextModel"], **text})
    att, mlp, ln = 4 * lin(8, 8), lin(8, 4) + lin(4, 8), 2 * 8
    two_attn_layer = 2 * att + mlp + 3 * ln
    geometry = (
        2 * 8 + 8 + lin(4, 8) + lin(8 * 2 * 2, 8) + lin(10, 8) + ln + lin(8, 8) + ln + two_attn_layer + ln
    )
    decoder = 3 * att + mlp + 4 * ln + ln  # one layer and the output LayerNorm
    decoder += (lin(8, 8) * 2 + lin(8, 4)) + 3 * 8 + 3 * 4 + 8 + (lin(8, 8) * 2 + lin(8, 1)) + ln
    decoder += lin(16, 8) + lin(8, 8) + 2 * (lin(2, 8) + lin(8, 2))  # reference-point head, box RPB MLPs
    mask = lin(9 * 8, 8) + 2 * 8 + 3 * lin(8, 8) + lin(8, 8) + lin(8, 1) + att + ln
    scoring = lin(8, 4) + lin(4, 8) + ln + 2 * lin(8, 8)
    projections = 12 * 6 + lin(12, 8)  # CLIP's bias-free text projection, then text -> DETR width
    expected = geometry + two_attn_layer + decoder + mask + scoring + projections
    assert exact_total(cfg) - towers == expected


# ----------------------------------------------------------------------------- keypoint matching


SUPERPOINT = {"encoder_hidden_sizes": [2, 4], "decoder_hidden_size": 6}
SUPERPOINT.update(keypoint_decoder_dim=5, descriptor_decoder_dim=8)
# two 3x3 convs per block (1 -> 2, 2 -> 4), then a 3x3 and a 1x1 conv for scores and for descriptors
SUPERPOINT_BY_HAND = (
    (lin(9, 2) + lin(18, 2)) + (lin(18, 4) + lin(36, 4)) + 2 * lin(36, 6) + lin(6, 5) + lin(6, 8)
)


def test_superpoint_by_hand():
    cfg = {"model_type": "superpoint", "architectures": ["SuperPointForKeypointDetection"], **SUPERPOINT}
    assert exact_total(cfg) == SUPERPOINT_BY_HAND


def test_lightglue_by_hand():
    cfg = {
        "model_type": "lightglue",
        "architectures": ["LightGlueForKeypointMatching"],
        "descriptor_dim": 8,
        "num_attention_heads": 2,
        "num_hidden_layers": 2,
        "keypoint_detector_config": {"model_type": "superpoint", **SUPERPOINT},
    }
    attn = 4 * lin(8, 8)
    mlp = lin(16, 16) + 2 * 16 + lin(16, 8)  # fc1 works on twice the width, LayerNorm, fc2
    layers = 2 * (2 * attn + 2 * mlp)
    heads = 2 * (lin(8, 8) + lin(8, 1)) + 1 * lin(8, 1)  # match assignment per layer, confidence but the last
    positional = 2 * (8 // 2 // 2)  # bias-free Linear(2, head_dim // 2)
    assert exact_total(cfg) == SUPERPOINT_BY_HAND + positional + layers + heads


def test_lightglue_projects_descriptors_of_another_width():
    base = {"model_type": "lightglue", "descriptor_dim": 8, "num_attention_heads": 2, "num_hidden_layers": 1}
    same = exact_total({**base, "keypoint_detector_config": SUPERPOINT})
    wider = exact_total({**base, "keypoint_detector_config": {**SUPERPOINT, "descriptor_decoder_dim": 10}})
    assert wider - same == lin(6, 10) - lin(6, 8) + lin(10, 8)


LOFTR = {"stage_num_blocks": [1, 2], "stage_stride": [2, 1], "out_features": [4, 8], "hidden_size": 8}
LOFTR.update(num_attention_heads=2, num_attention_layers=1, q_aggregation_kernel_size=2)


def test_efficientloftr_by_hand():
    # RepVGG: 3x3 and 1x1 bias-free convs with BatchNorms, a BatchNorm identity where the shape is kept
    backbone = (9 * 4 + 8 + 4 + 8) + (9 * 32 + 16 + 32 + 16) + (9 * 64 + 16 + 64 + 16 + 16)
    aggregated = (
        8 * 2 * 2 + 16 + 4 * 8 * 8 + (16 * 16 + 16 * 8 + 16)
    )  # depthwise conv, LN, attention, MLP + LN
    model = backbone + 2 * aggregated
    assert exact_total({"model_type": "efficientloftr", **LOFTR}) == model
    matching = {
        "model_type": "efficientloftr",
        "architectures": ["EfficientLoFTRForKeypointMatching"],
        **LOFTR,
    }
    assert exact_total(matching) == model + 8 * 8  # fine fusion: one 1x1 conv on the coarse width


# ----------------------------------------------------------------------------- MaskFormer family


def _resnet(hidden_sizes: list[int]) -> dict:
    n = len(hidden_sizes)
    return {
        "model_type": "resnet",
        "embedding_size": 8,
        "hidden_sizes": hidden_sizes,
        "depths": [1] * n,
        "layer_type": "basic",
        "out_features": [f"stage{i}" for i in range(1, n + 1)],
    }


def _backbone_total(bc: dict) -> int:
    return exact_total({**bc, "architectures": ["ResNetBackbone"]})


def test_maskformer_by_hand():
    bc = _resnet([32, 64])
    decoder = {
        "model_type": "detr",
        "d_model": 16,
        "decoder_layers": 1,
        "decoder_ffn_dim": 8,
        "num_queries": 3,
    }
    cfg = {"model_type": "maskformer", "backbone_config": bc, "decoder_config": decoder}
    cfg.update(fpn_feature_size=32, mask_feature_size=16, num_labels=4)
    fpn = (9 * 64 * 32 + 2 * 32) + (32 * 32 + 2 * 32 + 9 * 32 * 32 + 2 * 32) + lin(9 * 32, 16)
    layer = 8 * lin(16, 16) + lin(16, 8) + lin(8, 16) + 3 * 2 * 16
    transformer = 3 * 16 + lin(64, 16) + layer + 2 * 16
    model = _backbone_total(bc) + fpn + transformer
    assert exact_total(cfg) == model
    seg = {**cfg, "architectures": ["MaskFormerForInstanceSegmentation"]}
    assert exact_total(seg) == model + lin(16, 5) + 3 * lin(16, 16)


PIXEL = {"encoder_feedforward_dim": 8, "encoder_layers": 1, "num_attention_heads": 2, "common_stride": 4}
# the deformable pixel decoder for ResNet channels [8, 16, 24, 32], width 32, mask width 8 (strides 4..32):
# level embeddings, 1x1 conv + GroupNorm for the last three levels, one encoder layer (offsets for 2 heads x 3
# levels x 4 points x 2, weights, value, output, MLP, 2 LayerNorms), mask projection, one extra FPN level
PIXEL_BY_HAND = (
    3 * 32
    + sum(lin(ch, 32) + 2 * 32 for ch in (16, 24, 32))
    + (lin(32, 48) + lin(32, 24) + 2 * lin(32, 32) + lin(32, 8) + lin(8, 32) + 4 * 32)
    + lin(32, 8)
    + (8 * 32 + 2 * 32 + 9 * 32 * 32 + 2 * 32)
)
LAYER16 = 8 * lin(16, 16) + lin(16, 8) + lin(8, 16) + 3 * 2 * 16  # masked-attention layer, width 16, MLP 8


def test_mask2former_by_hand():
    bc = _resnet([8, 16, 24, 32])
    cfg = {"model_type": "mask2former", "backbone_config": bc, **PIXEL, "num_labels": 4}
    cfg.update(feature_size=32, mask_feature_size=8, hidden_dim=16, decoder_layers=2, dim_feedforward=8)
    cfg.update(num_queries=3)
    transformer = 2 * 3 * 16 + 3 * lin(32, 16) + 3 * 16  # query features + embeddings, projections, levels
    transformer += (
        LAYER16 + 2 * 16 + (2 * lin(16, 16) + lin(16, 8))
    )  # decoder_layers - 1 layers, LN, embedder
    model = _backbone_total(bc) + PIXEL_BY_HAND + transformer
    assert exact_total(cfg) == model
    seg = {**cfg, "architectures": ["Mask2FormerForUniversalSegmentation"]}
    assert exact_total(seg) == model + lin(16, 5)


def test_oneformer_by_hand():
    bc = _resnet([8, 16, 24, 32])
    cfg = {"model_type": "oneformer", "backbone_config": bc, **PIXEL, "num_labels": 4}
    cfg.update(
        conv_dim=32, mask_dim=8, hidden_dim=16, decoder_layers=2, dim_feedforward=8, query_dec_layers=1
    )
    cfg.update(num_queries=3, task_seq_len=5)
    transformer = 3 * 16 + 3 * 16  # queries and level embeddings; OneFormer's level projections hold nothing
    transformer += (
        (LAYER16 + 2 * 16) + 2 * 16 + LAYER16 + lin(32, 16) + lin(16, 5) + (2 * lin(16, 16) + lin(16, 8))
    )
    task = lin(5, 16) + lin(16, 16)
    model = _backbone_total(bc) + PIXEL_BY_HAND + transformer + task
    assert exact_total(cfg) == model
    seg = {**cfg, "architectures": ["OneFormerForUniversalSegmentation"]}
    assert exact_total(seg) == model + 1  # the contrastive loss's logit scale


# ----------------------------------------------------------------------------- not modelled: unknown, not a guess


@pytest.mark.parametrize(
    "cfg",
    [
        {"model_type": "sam3", "detector_config": {}},
        {"model_type": "sam3", "text_config": {"model_type": "siglip_text_model"}},
        {"model_type": "sam3", "architectures": ["Sam3TrackerModel"]},
        {"model_type": "sam3_tracker_video", "tracker_config": {}},
        {"model_type": "sam2_video", "architectures": ["Sam2Model"]},
        {"model_type": "sam2_video", "architectures": ["Sam2VideoForTracking"]},
        {"model_type": "edgetam_video", "vision_config": {"model_type": "edgetam_vision_model"}},
        {"model_type": "maskformer", "backbone_config": {"model_type": "convnext"}},
        {"model_type": "maskformer", "use_timm_backbone": True, "backbone": "resnet50"},
        {"model_type": "maskformer", "backbone_config": {"model_type": "swin", "depths": [2, 2, 2]}},
        {"model_type": "mask2former", "architectures": ["Mask2FormerForPanopticThings"]},
        {"model_type": "oneformer", "decoder_layers": 2, "architectures": ["OneFormerForSomething"]},
        {"model_type": "lightglue", "keypoint_detector_config": {"model_type": "disk"}},
        {"model_type": "efficientloftr", "stage_num_blocks": [1, 2], "stage_stride": [2]},
    ],
)
def test_unmodelled_variants_are_unknown(cfg):
    assert params(cfg)["confidence"] != "exact"


# ----------------------------------------------------------------------------- against the meta-device build

META_CASES = [
    ("sam2_video", {**MEMORY, "memory_attention_downsample_rate": 2, "num_maskmem": 3}),
    ("edgetam_video", {"perceiver_resampler_num_latents": 0, "perceiver_resampler_num_layers": 1}),
    (
        "lightglue",
        {"descriptor_dim": 64, "num_attention_heads": 2, "num_hidden_layers": 2, "attention_bias": False},
    ),
    (
        "efficientloftr",
        {
            **LOFTR,
            "out_features": [8, 16],
            "hidden_size": 16,
            "num_key_value_heads": 1,
            "attention_bias": True,
        },
    ),
    (
        "maskformer",
        {
            "backbone_config": {
                "model_type": "swin",
                "embed_dim": 16,
                "depths": [1, 1, 1, 1],
                "num_heads": [1, 1, 2, 2],
                "window_size": 4,
            },
            "decoder_config": {"d_model": 64, "decoder_layers": 1, "decoder_ffn_dim": 32},
            "fpn_feature_size": 64,
            "mask_feature_size": 32,
        },
    ),
    (
        "mask2former",
        {
            "backbone_config": _resnet([32, 32, 64, 64]),
            **PIXEL,
            "feature_size": 32,
            "hidden_dim": 64,
            "decoder_layers": 3,
            "enforce_input_projection": True,
        },
    ),
    (
        "oneformer",
        {"backbone_config": _resnet([32, 32, 64, 64]), **PIXEL, "conv_dim": 32, "is_training": True},
    ),
]


@pytest.mark.parametrize(("model_type", "kw"), META_CASES)
def test_against_meta_device(model_type, kw):
    assert_exact_against_meta(model_type, kw)
