"""Exact counts for the families in ``estimate/families/ocr_doc.py``: PP-OCRv5 / v6 recognisers and the v6 small
detector (PP-LCNetV3 / V4 and HGNetV2 backbones), UVDoc, C-RADIO, PP-FormulaNet, Unlimited-OCR and
PP-DocLayoutV3 / V4.

The hand-derived tests write one term per module of tiny configs (not by calling the family formulas); each of
those sums was also checked against transformers 5.25's meta-device build when the tests were written. The
reference table holds counts transformers 5.25 printed for the class defaults (meta device, this repo's
``hubscan.estimate.meta``). The last test builds seeded random configs (base and head classes) on the meta device (skipped without
transformers/torch).
"""

from __future__ import annotations

import random

import pytest

from params_meta import _exact, _params, lin


def conv_bn(i: int, o: int, k: int, groups: int = 1) -> int:
    """A bias-free k x k conv and its BatchNorm (weight + bias)."""
    return i // groups * o * k * k + 2 * o


def se(ch: int, r: int) -> int:
    """Squeeze-excite: biased 1x1 convs ch -> ch // r -> ch."""
    return lin(ch, ch // r) + lin(ch // r, ch)


# A tiny PP-LCNetV4: small stem 3 -> 4 -> 8, four one-block stages.
LCNET_V4 = {
    "model_type": "pp_lcnet_v4",
    "stem_type": "small",
    "stem_channels": [3, 4, 8],
    "reduction": 4,
    "block_configs": [
        [[3, 8, 8, 1, True]],
        [[3, 8, 16, [2, 1], False]],
        [[3, 16, 16, 1, False]],
        [[3, 16, 16, 2, False]],
    ],
}
V4_STEM = conv_bn(3, 4, 3) + conv_bn(4, 8, 3)
# stride 1 and in == out: the token conv is a plain biased depthwise conv; otherwise a depthwise conv + BatchNorm
V4_B1 = (8 * 9 + 8) + se(8, 4) + conv_bn(8, 16, 1) + conv_bn(16, 8, 1)
V4_B2 = conv_bn(8, 8, 3, groups=8) + conv_bn(8, 16, 1) + conv_bn(16, 16, 1)
V4_B3 = (16 * 9 + 16) + conv_bn(16, 32, 1) + conv_bn(32, 16, 1)
V4_B4 = conv_bn(16, 16, 3, groups=16) + conv_bn(16, 32, 1) + conv_bn(32, 16, 1)
LCNET_V4_TOTAL = V4_STEM + V4_B1 + V4_B2 + V4_B3 + V4_B4


def test_v6_recognisers_are_the_lcnet_v4_backbone():
    for mt in ("pp_ocrv6_tiny_rec", "pp_ocrv6_small_rec"):
        assert _exact({"model_type": mt, "backbone_config": LCNET_V4}) == LCNET_V4_TOTAL == 3958


def test_v5_mobile_recogniser_counts_lcnet_v3_rep_layers():
    blocks = [[[3, 8, 8, 1, False]], [[3, 8, 16, 2, False]], [[1, 16, 16, 1, False]]]
    blocks += [[[3, 16, 16, 1, True]], [[3, 16, 24, 2, False]]]
    backbone = {"model_type": "pp_lcnet_v3", "scale": 1.0, "divisor": 8, "stem_channels": 8}
    backbone.update(conv_symmetric_num=1, reduction=4, block_configs=blocks)
    lab = 4  # two learnable affine (scale, bias) pairs per rep layer
    stem = conv_bn(3, 8, 3)
    # depthwise rep layer: identity BatchNorm (stride 1), one k x k branch, a 1x1 branch (k > 1); pointwise: 1x1
    b1 = (2 * 8 + conv_bn(8, 8, 3, 8) + conv_bn(8, 8, 1, 8) + lab) + (2 * 8 + conv_bn(8, 8, 1) + lab)
    b2 = (conv_bn(8, 8, 3, 8) + conv_bn(8, 8, 1, 8) + lab) + (conv_bn(8, 16, 1) + lab)
    b3 = (2 * 16 + conv_bn(16, 16, 1, 16) + lab) + (2 * 16 + conv_bn(16, 16, 1) + lab)
    b4 = (2 * 16 + conv_bn(16, 16, 3, 16) + conv_bn(16, 16, 1, 16) + lab) + se(16, 4)
    b4 += 2 * 16 + conv_bn(16, 16, 1) + lab
    b5 = (conv_bn(16, 16, 3, 16) + conv_bn(16, 16, 1, 16) + lab) + (conv_bn(16, 24, 1) + lab)
    total = stem + b1 + b2 + b3 + b4 + b5
    assert _exact({"model_type": "pp_ocrv5_mobile_rec", "backbone_config": backbone}) == total == 2548


def test_v5_server_recogniser_default_backbone_downsamples_every_stage():
    # Without a backbone_config the wrapper builds HGNetV2 with stage_downsample all True: the class default has
    # no stage-1 downsampler, a depthwise 3x3 conv + BatchNorm over 48 channels.
    server = _exact({"model_type": "pp_ocrv5_server_rec"})
    hgnet = _exact({"model_type": "hgnet_v2", "architectures": ["HGNetV2Backbone"]})
    assert server - hgnet == conv_bn(48, 48, 3, groups=48) == 528


def test_v6_small_detector_adds_the_residual_se_neck():
    cfg = {"model_type": "pp_ocrv6_small_det", "backbone_config": LCNET_V4, "neck_out_channels": 8}
    cfg.update(reduction=2, dilated_kernel_size=3, layer_list_out_channels=[8, 16])
    # per level: bias-free 1x1 to 8 + SE(8); biased depthwise 3x3, bias-free 1x1 to 8 // 4 + SE(2)
    level = se(8, 2) + (8 * 9 + 8) + 8 * 2 + se(2, 2)
    assert _exact(cfg) == LCNET_V4_TOTAL + (8 * 8 + level) + (16 * 8 + level) == 4508
    # DB head: 3x3 conv to 8 // 4 + BatchNorm, biased stride-2 2x2 transposed conv + BatchNorm, 2x2 one to 1 map
    head = conv_bn(8, 2, 3) + (2 * 2 * 4 + 2 + 2 * 2) + (2 * 1 * 4 + 1)
    det = {**cfg, "architectures": ["PPOCRV6SmallDetForObjectDetection"]}
    assert _exact(det) == 4508 + head == 4687


def test_recognition_heads_on_tiny_backbones():
    tiny = {"model_type": "pp_ocrv6_tiny_rec", "architectures": ["PPOCRV6TinyRecForTextRecognition"]}
    tiny.update(backbone_config=LCNET_V4, hidden_size=4, head_out_channels=5)
    # the head reads block_configs[-1][-1][2] = 16: depthwise 5-tap and 1x1 Conv1d (+ BatchNorm1d), two linears
    head = 16 * 5 + 2 * 16 + 16 * 16 + 2 * 16 + lin(16, 4) + lin(4, 5)
    assert _exact(tiny) == LCNET_V4_TOTAL + head == 4451
    # SVTR block of width 8: two LayerNorms, bias-free fused qkv with q / v biases, projection, MLP (ratio 2)
    svtr = 4 * 8 + 8 * 24 + 3 * 8 + lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 8 + lin(8, 5)
    small = {
        **tiny,
        "model_type": "pp_ocrv6_small_rec",
        "architectures": ["PPOCRV6SmallRecForTextRecognition"],
    }
    small.update(hidden_size=8, num_attention_heads=2, depth=1, conv_kernel_size=[1, 3])
    convs = 2 * conv_bn(16, 8, 1) + (8 * 3 + 2 * 8)  # two 1x1 convs, a depthwise 1x3 conv (+ BatchNorm)
    assert _exact(small) == LCNET_V4_TOTAL + convs + svtr == 4947


def test_v5_recognition_head_reads_the_scaled_lcnet_v3_width():
    blocks = [[[3, 8, 8, 1, False]], [[3, 8, 16, 2, False]], [[1, 16, 16, 1, False]]]
    blocks += [[[3, 16, 16, 1, True]], [[3, 16, 24, 2, False]]]
    backbone = {"model_type": "pp_lcnet_v3", "scale": 1.0, "divisor": 8, "stem_channels": 8}
    backbone.update(conv_symmetric_num=1, reduction=4, block_configs=blocks)
    base = {"model_type": "pp_ocrv5_mobile_rec", "backbone_config": backbone, "hidden_size": 8}
    base.update(num_attention_heads=2, depth=1, conv_kernel_size=[1, 3], head_out_channels=5)
    rec = {**base, "architectures": ["PPOCRV5MobileRecForTextRecognition"]}

    def cbn(i: int, o: int, area: int) -> int:
        return i * o * area + 2 * o

    # width 24 (make_divisible(24 * 1.0, 8)): 1x3 to 24 // 8, 1x1 to 8, 1x1 back to 24, 1x3 over 48, 1x1 to 8
    neck = cbn(24, 3, 3) + cbn(3, 8, 1) + cbn(8, 24, 1) + cbn(48, 3, 3) + cbn(3, 8, 1)
    svtr = 4 * 8 + 8 * 24 + 3 * 8 + lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 8 + lin(8, 5)
    assert _exact(rec) - _exact(base) == neck + svtr == 1641


def test_uvdoc_resnet_bridge_and_point_head():
    backbone = {"model_type": "uvdoc_backbone", "kernel_size": 3, "resnet_head": [[3, 4]]}
    backbone.update(
        resnet_configs=[[[4, 4, 1, False]], [[4, 8, 2, True]]], stage_configs=[[[8, 1]], [[8, 2], [8, 3]]]
    )
    cfg = {"model_type": "uvdoc", "kernel_size": 3, "hidden_act": "prelu", "bridge_connector": [8, 6]}
    cfg.update(out_point_positions2D=[[6, 4], [4, 2]], backbone_config=backbone)
    head = conv_bn(3, 4, 3)
    # residual blocks: biased start / final convs + BatchNorm; a downsampling block adds a biased conv + BatchNorm
    res = 2 * (conv_bn(4, 4, 3) + 4) + 2 * (conv_bn(4, 8, 3) + 8) + (conv_bn(8, 8, 3) + 8)
    bridge = 3 * conv_bn(8, 8, 3)
    point = conv_bn(2 * 8, 6, 1) + conv_bn(6, 4, 3) + 1 + lin(4 * 9, 2)  # PReLU has one slope
    assert _exact(cfg) == head + res + bridge + point == 3835


RADIO = {"model_type": "radio", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2}
RADIO.update(mlp_ratio=2.0, patch_size=4, max_img_size=16, num_cls_tokens=1, num_registers=1)
# bias-free patch linear (3 x 4 x 4 -> 8), a 4 x 4 position table, cls + register tokens
RADIO_EMB = 48 * 8 + 16 * 8 + 2 * 8
RADIO_LAYER_CORE = (
    2 * 2 * 8 + 3 * lin(8, 8) + lin(8, 8) + 2 * 8
)  # LayerNorms, q/k/v, o_proj, two layer scales


def test_radio_gelu_layers():
    assert _exact(RADIO) == RADIO_EMB + 2 * (RADIO_LAYER_CORE + lin(8, 16) + lin(16, 8)) == 1760


def test_radio_swiglu_rounds_the_hidden_width_and_video_adds_a_projection():
    cfg = {**RADIO, "mlp_ratio": 3.0, "use_swiglu_ffn": True, "video_temporal_patch_size": 2}
    hidden = 16  # int(8 * 3) = 24 -> int(24 * 2 / 3) = 16 -> rounded up to a multiple of 8
    swiglu = 2 * lin(8, hidden) + lin(hidden, 8)
    assert _exact(cfg) == RADIO_EMB + 2 * 48 * 8 + 2 * (RADIO_LAYER_CORE + swiglu) == 2816


FORMULA_VISION = {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 32}
FORMULA_VISION.update(patch_size=8, window_size=2, global_attn_indexes=[1], mlp_dim=24, output_channels=8)
FORMULA_VISION.update(post_conv_in_channels=8, post_conv_mid_channels=8, post_conv_out_channels=16)
FORMULA_VISION["decoder_hidden_size"] = 16
FORMULA_TEXT = {"vocab_size": 20, "d_model": 8, "decoder_layers": 1, "decoder_ffn_dim": 16}
FORMULA_TEXT.update(decoder_attention_heads=2, max_position_embeddings=10)


def test_pp_formulanet_encoder_projector_decoder_and_untied_head():
    cfg = {"model_type": "pp_formulanet", "vision_config": FORMULA_VISION, "text_config": FORMULA_TEXT}
    layer = 4 * 16 + lin(16, 48) + lin(16, 16) + lin(16, 24) + lin(24, 16)
    rel = 2 * (2 * 2 - 1) * 8 + 2 * (2 * 4 - 1) * 8  # windowed layer: side 2; global layer: the 4 x 4 grid
    vision = (3 * 64 * 16 + 16) + 16 * 16 + 2 * layer + rel + (16 * 8 + 2 * 8 + 8 * 8 * 9 + 2 * 8)
    projector = 9 * (8 * 8 + 8 * 16) + lin(16, 16) + lin(16, 16)
    text = 20 * 8 + (10 + 2) * 8 + (8 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 3 * 16) + 2 * 16
    model = vision + projector + text
    assert _exact({**cfg, "architectures": ["PPFormulaNetModel"]}) == model == 11624
    # the lm_head is never tied, whatever the flags say
    gen = {**cfg, "architectures": ["PPFormulaNetForConditionalGeneration"], "tie_word_embeddings": True}
    assert _exact(gen) == model + 20 * 8


UOCR_VISION = {
    "sam_config": {"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "image_size": 16},
    "encoder_config": {
        "hidden_size": 8,
        "intermediate_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
    },
}
UOCR_VISION["sam_config"].update(patch_size=8, window_size=2, global_attn_indexes=[], mlp_dim=8)
UOCR_VISION["sam_config"].update(output_channels=4, downsample_channels=[4, 8])
UOCR_VISION["encoder_config"].update(image_size=28, patch_size=14)
UOCR_TEXT = {"vocab_size": 10, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 2}
UOCR_TEXT.update(num_attention_heads=2, num_key_value_heads=1, n_routed_experts=2, n_shared_experts=1)
UOCR_TEXT.update(moe_intermediate_size=4, num_experts_per_tok=1, mlp_layer_types=["dense", "sparse"])


def test_unlimited_ocr_sam_clip_moe_text_and_wrapper_tie():
    cfg = {"model_type": "unlimited_ocr", "vision_config": UOCR_VISION, "text_config": UOCR_TEXT}
    sam = (3 * 64 * 8 + 8) + 2 * 2 * 8 + (4 * 8 + lin(8, 24) + lin(8, 8) + lin(8, 8) + lin(8, 8) + 2 * 3 * 4)
    sam += 8 * 4 + 2 * 4 + 4 * 4 * 9 + 2 * 4 + 9 * (4 * 4 + 4 * 8)  # neck, two stride-2 downsampling convs
    clip = 8 + 5 * 8 + 2 * 8 + (4 * lin(8, 8) + 4 * 8 + lin(8, 8) + lin(8, 8))  # no patch conv, no post-LN
    attn = 8 * 8 + 2 * 8 * 4 + 8 * 8  # head_dim 4, one key-value head
    dense, sparse = 3 * 8 * 12, 2 * 8 + 3 * 8 * 4 + 2 * 3 * 8 * 4  # router, shared expert, two experts
    text = 10 * 8 + 2 * (attn + 2 * 8) + dense + sparse + 8
    model = sam + clip + lin(8 + 8, 8) + 2 * 8 + text
    assert _exact({**cfg, "architectures": ["UnlimitedOcrModel"]}) == model == 4464
    gen = {**cfg, "architectures": ["UnlimitedOcrForConditionalGeneration"]}
    assert _exact(gen) == model + 10 * 8
    # only the wrapper's flag ties the lm_head; the text config's does not
    assert _exact({**gen, "tie_word_embeddings": True}) == model
    untied = {**gen, "text_config": {**UOCR_TEXT, "tie_word_embeddings": True}}
    assert _exact(untied) == model + 10 * 8


def test_unlimited_ocr_language_config_and_first_k_dense_replace():
    text = {k: v for k, v in UOCR_TEXT.items() if k != "mlp_layer_types"}
    a = {"model_type": "unlimited_ocr", "vision_config": UOCR_VISION, "text_config": UOCR_TEXT}
    b = {"model_type": "unlimited_ocr", "vision_config": UOCR_VISION, "language_config": text}
    assert _exact(a) == _exact(b)  # first_k_dense_replace defaults to 1: dense, sparse
    all_sparse = {**b, "language_config": {**text, "first_k_dense_replace": 0}}
    assert _exact(all_sparse) - _exact(b) == (2 * 8 + 3 * 8 * 4 + 2 * 3 * 8 * 4) - 3 * 8 * 12


def test_doclayout_v3_ties_decoder_heads_v4_does_not():
    d = 256
    tied_pair = lin(d, 2) + (lin(d, d) + lin(d, d) + lin(d, 4))  # class linear + 3-layer box MLP
    v3 = {"model_type": "pp_doclayout_v3"}
    assert _exact({**v3, "tie_word_embeddings": False}) - _exact(v3) == tied_pair
    v4 = {"model_type": "pp_doclayout_v4"}
    assert _exact({**v4, "tie_word_embeddings": False}) == _exact(v4)


def test_doclayout_frozen_batch_norms_hold_no_parameters():
    backbone = {
        "model_type": "hgnet_v2",
        "out_indices": [1],
        "stem_channels": [3, 4, 8],
        "stage_in_channels": [8],
    }
    backbone.update(
        stage_mid_channels=[4], stage_out_channels=[8], stage_num_blocks=[1], stage_numb_of_layers=[1]
    )
    backbone.update(stage_kernel_size=[3], stage_downsample=[False], stage_light_block=[False])
    cfg = {"model_type": "pp_doclayout_v3", "encoder_in_channels": [256], "backbone_config": backbone}
    # BatchNorm widths: stem 4 + 2 + 4 + 4 + 8, the block's conv 4, squeeze 4 and excitation 8
    bn_channels = 4 + 2 + 4 + 4 + 8 + 4 + 4 + 8
    trainable = _exact({**cfg, "freeze_backbone_batch_norms": False})
    assert trainable - _exact(cfg) == 2 * bn_channels == 76


# Counts transformers 5.25 printed for each class's defaults (meta device, ``sum(p.numel())``).
REFERENCE = [
    ({"model_type": "pp_ocrv6_tiny_rec"}, 2684328),
    ({"model_type": "pp_ocrv6_small_rec"}, 2684328),
    ({"model_type": "pp_ocrv5_mobile_rec"}, 3175136),
    ({"model_type": "pp_ocrv5_server_rec"}, 13553904),
    ({"model_type": "pp_ocrv6_small_det"}, 2774400),
    ({"model_type": "uvdoc"}, 7898595),
    ({"model_type": "radio"}, 651727360),
    ({"model_type": "pp_formulanet", "architectures": ["PPFormulaNetModel"]}, 155297536),
    ({"model_type": "pp_formulanet", "architectures": ["PPFormulaNetForConditionalGeneration"]}, 180897536),
    ({"model_type": "unlimited_ocr", "architectures": ["UnlimitedOcrModel"]}, 3170025728),
    ({"model_type": "unlimited_ocr", "architectures": ["UnlimitedOcrForConditionalGeneration"]}, 3335504128),
    ({"model_type": "pp_doclayout_v3"}, 33163622),
    ({"model_type": "pp_doclayout_v4"}, 33633653),
    ({"model_type": "pp_ocrv6_tiny_rec", "architectures": ["PPOCRV6TinyRecForTextRecognition"]}, 3683065),
    ({"model_type": "pp_ocrv6_small_rec", "architectures": ["PPOCRV6SmallRecForTextRecognition"]}, 5275722),
    ({"model_type": "pp_ocrv5_mobile_rec", "architectures": ["PPOCRV5MobileRecForTextRecognition"]}, 5857929),
    (
        {"model_type": "pp_ocrv5_server_rec", "architectures": ["PPOCRV5ServerRecForTextRecognition"]},
        21043161,
    ),
    ({"model_type": "pp_ocrv6_small_det", "architectures": ["PPOCRV6SmallDetForObjectDetection"]}, 2797657),
    # the V3 detection class swaps the denoising embedding for one without the padding row; V4's adds nothing
    ({"model_type": "pp_doclayout_v3", "architectures": ["PPDocLayoutV3ForObjectDetection"]}, 33163366),
    ({"model_type": "pp_doclayout_v4", "architectures": ["PPDocLayoutV4ForObjectDetection"]}, 33633653),
]


@pytest.mark.parametrize(
    "cfg,expected", REFERENCE, ids=[c.get("architectures", [c["model_type"]])[0] for c, _ in REFERENCE]
)
def test_class_defaults_match_transformers(cfg, expected):
    assert _exact(cfg) == expected


@pytest.mark.parametrize(
    "cfg",
    [
        # transformers cannot build these heads: the backbone config lacks the attribute the head reads
        {
            "model_type": "pp_ocrv5_server_rec",
            "architectures": ["PPOCRV5ServerRecForTextRecognition"],
            "backbone_config": {"model_type": "pp_lcnet_v3"},
        },
        {
            "model_type": "pp_ocrv5_mobile_rec",
            "architectures": ["PPOCRV5MobileRecForTextRecognition"],
            "backbone_config": {"model_type": "hgnet_v2"},
        },
        {"model_type": "radio", "architectures": ["RadioForImageClassification"]},
        {"model_type": "uvdoc", "architectures": ["UVDocForDocumentRectification"]},
        {"model_type": "pp_ocrv6_tiny_rec", "backbone_config": {"model_type": "resnet"}},
        {"model_type": "pp_doclayout_v3", "backbone": "resnet50", "use_timm_backbone": True},
        {"model_type": "pp_doclayout_v3", "feat_strides": [8, 12, 32]},
        {"model_type": "uvdoc", "backbone_config": {"model_type": "pp_lcnet_v4"}},
    ],
)
def test_unclaimed_heads_and_unmodelled_parts_are_not_exact(cfg):
    assert _params(cfg)["confidence"] != "exact"


def _random_kw(r: random.Random, mt: str) -> dict:
    if mt in ("pp_ocrv6_tiny_rec", "pp_ocrv6_small_det"):
        w = r.choice([8, 16])
        blocks = [[[r.choice([3, 5]), w, w, 1, r.random() < 0.5]] for _ in range(3)]
        blocks.append([[3, w, 2 * w, r.choice([2, [2, 1], 1]), r.random() < 0.5]])
        bb = {
            "model_type": "pp_lcnet_v4",
            "stem_type": r.choice(["small", "large"]),
            "stem_channels": [3, 8, w],
        }
        bb.update(
            block_configs=blocks, use_learnable_affine_block=r.random() < 0.5, reduction=r.choice([2, 4])
        )
        kw = {"backbone_config": bb}
        if mt == "pp_ocrv6_small_det":
            kw.update(neck_out_channels=r.choice([8, 16]), layer_list_out_channels=[w, w, w, 2 * w])
        return kw
    if mt == "pp_ocrv5_mobile_rec":
        bb = {"model_type": "pp_lcnet_v3", "scale": r.choice([0.5, 0.75, 1.0]), "divisor": r.choice([8, 16])}
        return {"backbone_config": {**bb, "conv_symmetric_num": r.randint(1, 4)}}
    if mt == "radio":
        kw = {
            "hidden_size": 16,
            "num_hidden_layers": r.randint(1, 3),
            "num_attention_heads": r.choice([2, 4]),
        }
        kw.update(
            mlp_ratio=r.choice([2.0, 2.5, 4.0]), use_swiglu_ffn=r.random() < 0.5, qkv_bias=r.random() < 0.5
        )
        return {**kw, "patch_size": r.choice([4, 8]), "max_img_size": 32, "num_registers": r.randint(0, 4)}
    kw = {"decoder_layers": r.randint(1, 3), "decoder_ffn_dim": r.choice([32, 64]), "num_queries": 10}
    kw.update(encoder_hidden_dim=32, encoder_ffn_dim=64, hidden_expansion=r.choice([0.5, 1.0]))
    kw.update(tie_word_embeddings=r.random() < 0.5, freeze_backbone_batch_norms=r.random() < 0.5)
    kw.update(
        decoder_in_channels=[32, 32, 32], num_feature_levels=r.choice([3, 4]), global_pointer_head_size=8
    )
    kw["d_model" if mt == "pp_doclayout_v3" else "hidden_size"] = 32
    return kw


HEAD_CLASS = {
    "pp_ocrv6_tiny_rec": "PPOCRV6TinyRecForTextRecognition",
    "pp_ocrv5_mobile_rec": "PPOCRV5MobileRecForTextRecognition",
    "pp_ocrv6_small_det": "PPOCRV6SmallDetForObjectDetection",
    "pp_doclayout_v3": "PPDocLayoutV3ForObjectDetection",
    "pp_doclayout_v4": "PPDocLayoutV4ForObjectDetection",
}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    "mt",
    [
        "pp_ocrv6_tiny_rec",
        "pp_ocrv6_small_det",
        "pp_ocrv5_mobile_rec",
        "radio",
        "pp_doclayout_v3",
        "pp_doclayout_v4",
    ],
)
def test_ocr_doc_equals_the_meta_device_build(mt, seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers import AutoConfig

    from hubscan.estimate import meta

    r = random.Random(f"{mt}-{seed}")
    cfg = AutoConfig.for_model(mt, **_random_kw(r, mt)).to_dict()
    if seed % 2 and mt in HEAD_CLASS:  # odd seeds build the task class (recognition / detection head)
        cfg["architectures"] = [HEAD_CLASS[mt]]
    expected = sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


@pytest.mark.parametrize(
    "primary,alias",
    [
        (
            {"model_type": "pp_doclayout_v3", "d_model": 128, "decoder_in_channels": [128] * 3},
            {"model_type": "pp_doclayout_v3", "hidden_size": 128, "decoder_in_channels": [128] * 3},
        ),
        (
            {"model_type": "pp_doclayout_v4", "hidden_size": 128, "decoder_in_channels": [128] * 3},
            {"model_type": "pp_doclayout_v4", "d_model": 128, "decoder_in_channels": [128] * 3},
        ),
        (
            {"model_type": "pp_formulanet", "text_config": {"d_model": 256}},
            {"model_type": "pp_formulanet", "text_config": {"hidden_size": 256}},
        ),
        (
            {
                "model_type": "pp_ocrv6_small_rec",
                "architectures": ["PPOCRV6SmallRecForTextRecognition"],
                "depth": 4,
            },
            {
                "model_type": "pp_ocrv6_small_rec",
                "architectures": ["PPOCRV6SmallRecForTextRecognition"],
                "num_hidden_layers": 4,
            },
        ),
        (
            {"model_type": "unlimited_ocr", "text_config": {"n_routed_experts": 8}},
            {"model_type": "unlimited_ocr", "text_config": {"num_experts": 8}},
        ),
    ],
)
def test_attribute_map_aliases_stand_in_for_absent_keys(primary, alias):
    defaults = {k: v for k, v in primary.items() if k in ("model_type", "architectures")}
    # each value differs from the class default, so an ignored alias would count the default instead
    assert _exact(primary) != _exact(defaults)
    assert _exact(alias) == _exact(primary)
