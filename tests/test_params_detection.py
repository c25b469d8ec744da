"""DETR-style detectors (families/detection.py): RT-DETR v1/v2, D-FINE, DEIMv2, LW-DETR, RF-DETR, Grounding DINO.

Without torch: tiny configs whose counts are summed by hand here, term by term from the module tree (not by calling
the formulas); head deltas derived by hand; heads and backbones the formulas do not model must come out
``unknown``. With transformers and torch installed: small configs (non-default widths, depths, flags, heads)
counted against the meta-device build.
"""

from __future__ import annotations

import pytest

from hubscan.estimate.footprint import analyze_config
from params_meta import lin


def params(cfg: dict) -> dict:
    return analyze_config(cfg, use_transformers=False)["params"]


def total(cfg: dict) -> int:
    p = params(cfg)
    assert p["confidence"] == "exact", p
    return p["total"]


def box_mlp(d: int, out: int = 4) -> int:
    return lin(d, d) + lin(d, d) + lin(d, out)


RT_TINY = {
    "model_type": "rt_detr",
    "architectures": ["RTDetrModel"],
    "backbone_config": {
        "model_type": "rt_detr_resnet",
        "num_channels": 3,
        "embedding_size": 8,
        "hidden_sizes": [8, 16],
        "depths": [1, 1],
        "layer_type": "basic",
        "out_indices": [1, 2],
    },
    "encoder_hidden_dim": 8,
    "encoder_in_channels": [8, 16],
    "encoder_layers": 1,
    "encoder_ffn_dim": 16,
    "encoder_attention_heads": 2,
    "encode_proj_layers": [1],
    "hidden_expansion": 1.0,
    "d_model": 8,
    "num_queries": 10,
    "decoder_in_channels": [8, 8],
    "decoder_ffn_dim": 16,
    "num_feature_levels": 2,
    "decoder_n_points": 2,
    "decoder_layers": 1,
    "decoder_attention_heads": 2,
    "num_denoising": 0,
    "learn_initial_query": False,
}


def test_rt_detr_tiny_counts_backbone_hybrid_encoder_and_decoder():
    # backbone BatchNorms are frozen (buffers): only bias-free convs count
    stem = 3 * 4 * 9 + 4 * 4 * 9 + 4 * 8 * 9
    stage1 = 8 * 8 + 2 * (8 * 8 * 9)  # the first basic layer of a stage always has a 1x1 shortcut
    stage2 = 8 * 16 + 8 * 16 * 9 + 16 * 16 * 9
    input_proj = (8 * 8 + 2 * 8) + (16 * 8 + 2 * 8)  # 1x1 conv + BatchNorm per backbone map
    attn_layer = 4 * lin(8, 8) + 2 * 16 + lin(8, 16) + lin(16, 8)
    csp = 2 * (16 * 8 + 16) + 3 * ((8 * 8 * 9 + 16) + (8 * 8 + 16))  # two 1x1 branches, three RepVGG blocks
    encoder = attn_layer + (8 * 8 + 16) + (8 * 8 * 9 + 16) + 2 * csp  # AIFI, lateral, downsample, FPN + PAN
    queries = lin(8, 8) + 16 + lin(8, 2) + box_mlp(8)  # enc_output + LayerNorm, score and box heads
    decoder_proj = 2 * (8 * 8 + 16)
    deformable = lin(8, 2 * 8) + lin(8, 8) + 2 * lin(8, 8)  # 2 heads x 2 levels x 2 points
    decoder = attn_layer + deformable + 16 + lin(4, 16) + lin(16, 8)  # + cross-attn LayerNorm, query pos head
    expected = stem + stage1 + stage2 + input_proj + encoder + queries + decoder_proj + decoder
    assert total(RT_TINY) == expected


def test_rt_detr_detection_head_and_unfrozen_backbone_norms():
    base = total(RT_TINY)
    det = total({**RT_TINY, "architectures": ["RTDetrForObjectDetection"]})
    assert det - base == 1 * (lin(8, 2) + box_mlp(8))  # one class + one box head per decoder layer
    unfrozen = total({**RT_TINY, "freeze_backbone_batch_norms": False})
    bn = 2 * (4 + 4 + 8) + 2 * (8 + 8 + 8) + 2 * (16 + 16 + 16)  # stem, stage1, stage2 BatchNorm affines
    assert unfrozen - base == bn
    labels = total({**RT_TINY, "num_denoising": 100, "learn_initial_query": True})
    assert labels - base == (2 + 1) * 8 + 10 * 8  # denoising class embedding (labels + 1), learnt queries


def test_rt_detr_v2_heads_are_copied_into_the_decoder_unless_tied():
    cfg = {**RT_TINY, "model_type": "rt_detr_v2", "architectures": ["RTDetrV2Model"]}
    base = total(cfg)
    # v2's deformable attention samples decoder_n_levels (default 3) levels, not num_feature_levels (2 here):
    # 2 heads x 1 more level x 2 points = 4 more sampling offsets (x, y) and weights
    assert base - total(RT_TINY) == (8 + 1) * (2 * 4) + (8 + 1) * 4  # weight rows + biases of both linears
    assert total({**cfg, "decoder_n_levels": 2}) == total(RT_TINY)
    tied = total({**cfg, "architectures": ["RTDetrV2ForObjectDetection"]})
    untied = total({**cfg, "architectures": ["RTDetrV2ForObjectDetection"], "tie_word_embeddings": False})
    assert tied - base == lin(8, 2) + box_mlp(8)
    assert untied - base == 2 * (lin(8, 2) + box_mlp(8))


def test_d_fine_and_deimv2_box_heads_predict_distributions():
    # default configs: d_model 256, 6 decoder layers, 2 labels, 4 x (32 + 1) box distribution outputs
    d_fine = {"model_type": "d_fine", "architectures": ["DFineModel"]}
    det = total({**d_fine, "architectures": ["DFineForObjectDetection"]}) - total(d_fine)
    assert det == 6 * lin(256, 2) + 6 * box_mlp(256, 4 * 33)
    deim = {"model_type": "deimv2", "architectures": ["Deimv2ForObjectDetection"]}
    shared = total({**deim, "share_bbox_head": True})
    assert total(deim) - shared == 5 * box_mlp(256, 4 * 33)  # one shared box head instead of six


def test_deimv2_without_gateway_uses_an_rms_norm():
    deim = {"model_type": "deimv2", "architectures": ["Deimv2Model"], "decoder_layers": 2, "eval_idx": -1}
    gate = lin(2 * 256, 2 * 256) + 256  # the gate's linear and RMSNorm replace encoder_attn_layer_norm
    assert total(deim) - total({**deim, "use_gateway": False}) == 2 * (gate - 256)


def test_rt_detr_resnet_backbone_alone_keeps_its_batch_norms():
    cfg = {**RT_TINY["backbone_config"], "architectures": ["RTDetrResNetBackbone"]}
    convs = (
        (3 * 4 * 9 + 4 * 4 * 9 + 4 * 8 * 9) + (8 * 8 + 2 * 8 * 8 * 9) + (8 * 16 + 8 * 16 * 9 + 16 * 16 * 9)
    )
    norms = 2 * (4 + 4 + 8) + 2 * (8 + 8 + 8) + 2 * (16 + 16 + 16)
    assert total(cfg) == convs + norms


LW_TINY = {
    "model_type": "lw_detr",
    "architectures": ["LwDetrModel"],
    "backbone_config": {
        "model_type": "lw_detr_vit",
        "hidden_size": 8,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "mlp_ratio": 2,
        "pretrain_image_size": 32,
        "patch_size": 16,
        "out_indices": [2],
    },
    "projector_scale_factors": [1.0],
    "num_feature_levels": 1,
    "d_model": 8,
    "hidden_expansion": 0.5,
    "c2f_num_blocks": 1,
    "decoder_self_attention_heads": 2,
    "decoder_cross_attention_heads": 2,
    "decoder_n_points": 2,
    "decoder_ffn_dim": 16,
    "decoder_layers": 1,
    "num_queries": 5,
    "group_detr": 2,
}


def test_lw_detr_tiny_counts_vit_projector_and_group_queries():
    vit_layer = 2 * lin(8, 8) + lin(8, 8, False) + lin(8, 8) + 4 * 8 + 2 * 8 + lin(8, 16) + lin(16, 8)
    backbone = (3 * 16 * 16 * 8 + 8) + (2 * 2 + 1) * 8 + 2 * vit_layer  # patch conv, positions (+1), layers
    c2f = (8 * 8 + 16) + 2 * (4 * 4 * 9 + 8) + (12 * 8 + 16)  # hidden 4; one RepVGG block of two 3x3 convs
    projector = c2f + 16  # + channels-first LayerNorm
    deformable = lin(8, 2 * 4) + lin(8, 4) + 2 * lin(8, 8)  # 2 heads x 1 level x 2 points
    layer = 4 * lin(8, 8) + deformable + 3 * 16 + lin(8, 16) + lin(16, 8)
    decoder = layer + 16 + lin(16, 8) + lin(8, 8)  # final LayerNorm, reference-point MLP
    groups = 5 * 2 * (4 + 8) + 2 * (lin(8, 8) + 16 + box_mlp(8) + lin(8, 2))
    assert total(LW_TINY) == backbone + projector + decoder + groups
    det = total({**LW_TINY, "architectures": ["LwDetrForObjectDetection"]})
    assert det - total(LW_TINY) == lin(8, 2) + box_mlp(8)


def test_rf_detr_instance_segmentation_adds_mask_modules():
    base = {"model_type": "rf_detr", "architectures": ["RfDetrForObjectDetection"], "d_model": 8}
    base.update(decoder_self_attention_heads=2, decoder_cross_attention_heads=2, decoder_layers=1)
    base.update(intermediate_size=16)
    seg = total({**base, "architectures": ["RfDetrForInstanceSegmentation"]}) - total(base)
    block = 16 + (8 * 9 + 8) + lin(8, 8)  # LayerNorm, depthwise 3x3, pointwise linear per decoder layer
    assert seg == block + lin(8, 8) + 16 + lin(8, 16) + lin(16, 8) + lin(8, 8) + 1


def test_grounding_dino_shared_box_head_and_mm_contrastive_bias():
    gd = {"model_type": "grounding-dino", "architectures": ["GroundingDinoModel"]}
    base = total(gd)
    assert total({**gd, "architectures": ["GroundingDinoForObjectDetection"]}) - base == box_mlp(256)
    unshared = {**gd, "architectures": ["GroundingDinoForObjectDetection"], "decoder_bbox_embed_share": False}
    assert total(unshared) - base == 6 * box_mlp(256)
    mm = {"model_type": "mm-grounding-dino", "architectures": ["MMGroundingDinoModel"]}
    assert total(mm) - base == 1  # the two-stage contrastive class embedding holds one bias
    mm_det = {**mm, "architectures": ["MMGroundingDinoForObjectDetection"], "decoder_cls_embed_share": False}
    assert total(mm_det) - total(mm) == box_mlp(256) + 6


@pytest.mark.parametrize(
    "cfg",
    [
        {**RT_TINY, "use_timm_backbone": True, "backbone": "resnet50", "backbone_config": None},
        {**RT_TINY, "backbone": "resnet50", "backbone_config": None},
        {**RT_TINY, "backbone_config": {"model_type": "resnet"}},
        {**RT_TINY, "architectures": ["RTDetrForSegmentation"]},
        {"model_type": "d_fine", "architectures": ["DFineForInstanceSegmentation"]},
        {"model_type": "deimv2", "backbone_config": {"model_type": "convnext"}},
        {**LW_TINY, "architectures": ["LwDetrForInstanceSegmentation"]},
        {**LW_TINY, "backbone_config": {"model_type": "dinov2"}},
        {"model_type": "rf_detr", "architectures": ["RfDetrForSegmentation"]},
        {"model_type": "grounding-dino", "text_config": {"model_type": "roberta"}},
        {"model_type": "mm-grounding-dino", "backbone_config": {"model_type": "resnet"}},
        {**RT_TINY["backbone_config"], "architectures": ["RTDetrResNetModel"]},
        {**RT_TINY, "encoder_in_channels": []},  # malformed: no feature maps
        {"model_type": "d_fine", "eval_idx": -10},  # not one of the 6 decoder layers
        {"model_type": "d_fine", "depth_mult": -1.0},
        {**LW_TINY, "projector_scale_factors": [2.0, None]},
        {"model_type": "lw_detr_vit"},
    ],
)
def test_unmodelled_heads_and_backbones_are_unknown(cfg):
    p = params(cfg)
    assert p["confidence"] != "exact"
    assert p["total"] is None


META_CASES = [
    ("rt_detr", "RTDetrForObjectDetection", {"num_labels": 5, "decoder_layers": 2, "encoder_layers": 2}),
    (
        "rt_detr",
        "RTDetrModel",
        {
            "backbone_config": {
                "model_type": "rt_detr_resnet",
                "depths": [1, 1, 1, 1],
                "out_indices": [2, 3, 4],
            },
            "num_feature_levels": 4,
            "hidden_expansion": 0.5,
            "freeze_backbone_batch_norms": False,
        },
    ),
    ("rt_detr_v2", "RTDetrV2ForObjectDetection", {"decoder_layers": 3, "tie_word_embeddings": False}),
    ("rt_detr_v2", "RTDetrV2Model", {"decoder_n_levels": 4, "num_feature_levels": 4, "decoder_n_points": 3}),
    ("d_fine", "DFineForObjectDetection", {"decoder_layers": 4, "eval_idx": 2, "layer_scale": 0.5}),
    ("d_fine", "DFineModel", {"depth_mult": 0.34, "hidden_expansion": 0.5, "decoder_n_points": [3, 6, 3]}),
    ("deimv2", "Deimv2ForObjectDetection", {"share_bbox_head": True, "decoder_layers": 3}),
    (
        "deimv2",
        "Deimv2Model",
        {
            "encoder_type": "lite",
            "use_gateway": False,
            "encoder_has_trailing_conv": False,
            "encoder_in_channels": [512, 1024],
            "decoder_in_channels": [256, 256],
            "num_feature_levels": 2,
            "feat_strides": [16, 32],
            "backbone_config": {"model_type": "hgnet_v2", "out_indices": [3, 4]},
        },
    ),
    (
        "deimv2",
        "Deimv2Model",
        {
            "backbone_config": {
                "model_type": "dinov3_vit",
                "hidden_size": 96,
                "num_hidden_layers": 2,
                "num_attention_heads": 3,
                "intermediate_size": 192,
                "out_indices": [1, 2],
            },
            "encoder_in_channels": [256, 256, 256],
        },
    ),
    ("lw_detr", "LwDetrForObjectDetection", {"projector_scale_factors": [2.0, 0.5], "num_feature_levels": 2}),
    ("rf_detr", "RfDetrForInstanceSegmentation", {"decoder_layers": 2, "num_labels": 4}),
    (
        "grounding-dino",
        "GroundingDinoForObjectDetection",
        {
            "decoder_bbox_embed_share": False,
            "encoder_layers": 1,
            "decoder_layers": 2,
            "num_feature_levels": 5,
            "text_config": {
                "model_type": "bert",
                "hidden_size": 64,
                "num_hidden_layers": 1,
                "num_attention_heads": 4,
            },
        },
    ),
    ("mm-grounding-dino", "MMGroundingDinoModel", {"num_feature_levels": 1, "two_stage": False}),
]


def meta_built(model_type: str, arch: str, kw: dict) -> tuple[dict, int]:
    """The config transformers makes of ``kw`` (every key filled in) and its meta-device parameter count."""
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    d = transformers.CONFIG_MAPPING[model_type](**kw).to_dict()
    d["architectures"] = [arch]
    return d, sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())


@pytest.mark.parametrize(("model_type", "arch", "kw"), META_CASES)
def test_against_meta_device(model_type, arch, kw):
    d, expected = meta_built(model_type, arch, kw)
    p = params(d)
    assert (p["total"], p["confidence"]) == (expected, "exact")


# hub-style configs: sub-configs that name a few keys, the rest taken from the backbone config classes' defaults
PARTIAL_CASES = [
    ("lw_detr", "LwDetrModel", {}),
    (
        "lw_detr",
        "LwDetrModel",
        {
            "backbone_config": {
                "model_type": "lw_detr_vit",
                "hidden_size": 192,
                "out_features": ["stage3", "stage6"],
            },
            "projector_scale_factors": [2.0, 0.5],
            "num_feature_levels": 2,
        },
    ),
    (
        "rf_detr",
        "RfDetrModel",
        {"backbone_config": {"model_type": "rf_detr_dinov2", "out_indices": [3, 6, 9, 12]}},
    ),
    (
        "rt_detr",
        "RTDetrForObjectDetection",
        {"backbone_config": {"model_type": "rt_detr_resnet", "depths": [2] * 4}},
    ),
    ("deimv2", "Deimv2Model", {"backbone_config": {"model_type": "dinov3_vit", "num_hidden_layers": 2}}),
    ("rf_detr_dinov2", "RfDetrDinov2Backbone", {"hidden_size": 384, "num_attention_heads": 6}),
    ("lw_detr_vit", "LwDetrViTBackbone", {"num_hidden_layers": 3}),
]


@pytest.mark.parametrize(("model_type", "arch", "kw"), PARTIAL_CASES)
def test_partial_configs_against_meta_device(model_type, arch, kw):
    _, expected = meta_built(model_type, arch, kw)
    p = params({**kw, "model_type": model_type, "architectures": [arch]})
    assert (p["total"], p["confidence"]) == (expected, "exact")
