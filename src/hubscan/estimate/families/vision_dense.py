"""Dense-prediction and segmentation models built on towers counted elsewhere: SAM / SAM-HQ (the exact SAM vision
encoder plus prompt encoder and two-way mask decoder), GLPN (the Mix Transformer encoder).

Each formula follows the module tree transformers 5 builds for the base model class; every other head (depth
estimation, segmentation heads) raises NotExact, so the answer is ``unknown``, never a guess.
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, NotExact, Tally, linear, positive
from hubscan.estimate.families.registry import Formula
from hubscan.estimate.families.vision import dinov2, vit
from hubscan.estimate.families.vision_more import (
    SEGFORMER,
    _mix_transformer,
    register_own,
    sam3_vit_model,
    sam_vision_model,
    with_defaults,
)


def _base_only(head: str, family: str) -> None:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {family}")


def glpn(c: Cfg, head: str) -> Tally:
    """GLPNModel: the SegFormer Mix Transformer encoder (biased q/k/v); the depth head is not counted."""
    _base_only(head, "glpn")
    return _mix_transformer(with_defaults(c, SEGFORMER), True, False)


DPT = {"hidden_size": 768, "num_hidden_layers": 12, "intermediate_size": 3072, "image_size": 384}
DPT.update(patch_size=16, num_channels=3, qkv_bias=True, is_hybrid=False)


def dpt(c: Cfg, head: str) -> Tally:
    """DPTModel (not hybrid): a ViT with [CLS], learned positions, final LayerNorm and pooler; the neck and the
    depth / segmentation heads (and DPT-hybrid's BiT backbone) are not counted."""
    _base_only(head, "dpt")
    c = with_defaults(c, DPT)
    if c.bool("is_hybrid"):
        raise NotExact("DPT-hybrid embeds a BiT backbone, which is not modelled")
    return vit(c, "model")


SEGGPT = {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "image_size": [896, 448]}
SEGGPT.update(patch_size=16, num_channels=3, qkv_bias=True, pretrain_image_size=224)
SEGGPT.update(use_relative_position_embeddings=True)


def _int_pair(c: Cfg, key: str) -> tuple[int, int]:
    v = c.raw(key)
    pair = v if isinstance(v, list) else [v, v]
    if len(pair) != 2 or any(isinstance(x, bool) or not isinstance(x, int) or x <= 0 for x in pair):
        raise NotExact(f"{key} must be a positive integer or a pair of them")
    return pair[0], pair[1]


def seggpt(c: Cfg, head: str) -> Tally:
    """SegGptModel: five learned tokens, patch conv, pretraining-grid positions plus one, layers with fused qkv and
    decomposed relative positions over the image grid, final LayerNorm (the decoder belongs to the head)."""
    _base_only(head, "seggpt")
    c = with_defaults(c, SEGGPT)
    h, L, C, nh = (
        c.int(k) for k in ("hidden_size", "num_hidden_layers", "num_channels", "num_attention_heads")
    )
    p = c.int("patch_size")
    ih, iw = _int_pair(c, "image_size")
    pre = c.int("pretrain_image_size")
    mlp = c.int("mlp_dim", default=None) or 4 * h
    t = Tally()
    t.has_kv = False
    t.add("embeddings", 5 * h + C * p * p * h + h + ((pre // positive("patch_size", p)) ** 2 + 1) * h)
    layer = 4 * h + linear(h, 3 * h, c.bool("qkv_bias")) + linear(h, h) + linear(h, mlp) + linear(mlp, h)
    if c.bool("use_relative_position_embeddings"):
        layer += (2 * (ih // p) - 1 + 2 * (iw // p) - 1) * (h // positive("num_attention_heads", nh))
    t.add("other", L * layer)
    t.add("norms", 2 * h)
    return t


# ----------------------------------------------------------------------------- SAM

SAM_PROMPT = {"hidden_size": 256, "mask_input_channels": 16, "num_point_embeddings": 4}
SAM_DECODER = {"hidden_size": 256, "mlp_dim": 2048, "num_hidden_layers": 2, "num_attention_heads": 8}
SAM_DECODER.update(
    attention_downsample_rate=2, num_multimask_outputs=3, iou_head_depth=3, iou_head_hidden_dim=256
)


def feed_forward(dims: list[int]) -> int:
    """A stack of biased linears through ``dims`` (SamFeedForward: proj_in, num_layers - 2 hidden, proj_out)."""
    return sum(linear(a, b) for a, b in zip(dims, dims[1:], strict=False))


def sam_attention(h: int, nh: int, downsample: int) -> int:
    """SamAttention: biased q/k/v to ``h // downsample`` and back (heads must divide that width)."""
    inner = h // positive("attention_downsample_rate", downsample)
    if inner == 0 or inner % positive("num_attention_heads", nh):
        raise NotExact("num_attention_heads must divide hidden_size // attention_downsample_rate")
    return 3 * linear(h, inner) + linear(inner, h)


def sam_prompt_encoder(p: Cfg) -> int:
    """Mask embedding (two 2x2 convs, a 1x1 conv, two channels-first LayerNorms), no-mask, point and not-a-point
    embeddings (the shared positional embedding is counted by the caller)."""
    h, m = p.int("hidden_size"), p.int("mask_input_channels")
    q = m // 4
    mask_embed = linear(4, q) + linear(4 * q, m) + linear(m, h) + 2 * q + 2 * 4 * q
    return mask_embed + h + p.int("num_point_embeddings") * h + h


def sam_mask_decoder(d: Cfg, *, extra_layer_width: int = 0) -> int:
    """SamMaskDecoder: iou / mask tokens, the two-way transformer, two transposed upscaling convs, per mask token a
    3-layer hypernetwork MLP, the IoU head."""
    h, nh, ds = d.int("hidden_size"), d.int("num_attention_heads"), d.int("attention_downsample_rate")
    tokens = d.int("num_multimask_outputs") + 1
    mlp = d.int("mlp_dim")
    block = (
        sam_attention(h, nh, 1) + 2 * sam_attention(h, nh, ds) + linear(h, mlp) + linear(mlp, h) + 4 * 2 * h
    )
    n = h + tokens * h + d.int("num_hidden_layers") * block + sam_attention(h, nh, ds) + 2 * h
    q, e = h // 4, h // 8
    n += h * q * 4 + q + q * e * 4 + e + 2 * q
    n += tokens * feed_forward([h, h, h, e])
    depth = d.int("iou_head_depth")
    if depth < 2:
        raise NotExact("iou_head_depth below 2 is not modelled")
    hid = d.int("iou_head_hidden_dim")
    n += feed_forward([h] + [hid] * (depth - 1) + [tokens])
    return n


def _sam_parts(c: Cfg) -> tuple[Tally, Cfg, Cfg]:
    vc = c.sub("vision_config", default={})
    t = sam_vision_model(vc, "model")
    vc = with_defaults(vc, {"num_pos_feats": 128})
    npf = vc.int("num_pos_feats")
    shared = 2 * npf
    if not c.bool("tie_word_embeddings", default=True):
        shared *= 2  # the prompt encoder keeps its own copy of the positional embedding
    t.add("embeddings", shared)
    p = with_defaults(c.sub("prompt_encoder_config", default={}), SAM_PROMPT)
    d = with_defaults(c.sub("mask_decoder_config", default={}), SAM_DECODER)
    t.add("other", sam_prompt_encoder(p))
    return t, p, d


def sam(c: Cfg, head: str) -> Tally:
    """SamModel: shared positional embedding, SAM vision encoder, prompt encoder, mask decoder."""
    _base_only(head, "sam")
    t, _, d = _sam_parts(c)
    t.add("heads", sam_mask_decoder(d))
    return t


def _hq_extra(d: Cfg) -> int:
    """SAM-HQ's additions to the mask decoder: HQ token and its MLP, the ViT-feature compression (two transposed
    convs), the encoder-feature upscaling (two transposed convs) and the mask-feature convs (two 3x3 convs)."""
    h, vit = d.int("hidden_size"), d.int("vit_dim")
    q, e = h // 4, h // 8
    n = h + feed_forward([h, h, h, e])
    n += vit * h * 4 + h + 2 * h + h * e * 4 + e
    n += h * q * 4 + q + 2 * q + q * e * 4 + e
    return n + e * q * 9 + q + 2 * q + q * e * 9 + e


def sam_hq(c: Cfg, head: str) -> Tally:
    """SamHQModel: SamModel's tree with the high-quality mask decoder."""
    _base_only(head, "sam_hq")
    t, _, d = _sam_parts(c)
    d = with_defaults(d, {"vit_dim": 768})
    t.add("heads", sam_mask_decoder(d) + _hq_extra(d))
    return t


def sub_model(c: Cfg, key: str, default_type: str, formulas: dict) -> tuple[Tally, Cfg]:
    """Count the sub-config ``key`` (a backbone built with AutoModel) with the formula of its model_type, which
    must be one of ``formulas``; any other backbone type is NotExact."""
    sub = c.sub(key, default={})
    mt = sub.str("model_type", default=default_type)
    if mt not in formulas:
        raise NotExact(f"{key} model_type {mt!r} is not modelled here")
    return formulas[mt](sub, "model"), sub


def fpn_layer(h: int, fpn: int, scale: float) -> int:
    """Sam3FPNLayer: transposed 2x2 convs for x4 / x2 upscaling (none for x1, a max-pool for x0.5), then a 1x1 and
    a 3x3 conv to the FPN width."""
    if scale == 4.0:
        n, inner = linear(4 * h, h // 2) + linear(4 * (h // 2), h // 4), h // 4
    elif scale == 2.0:
        n, inner = linear(4 * h, h // 2), h // 2
    elif scale in (1.0, 0.5):
        n, inner = 0, h
    else:
        raise NotExact(f"FPN scale factor {scale} is not supported by transformers")
    return n + linear(inner, fpn) + linear(9 * fpn, fpn)


def sam3_vision_model(c: Cfg, head: str) -> Tally:
    """Sam3VisionModel: the Sam3 ViT backbone and the FPN neck (one layer per scale factor)."""
    _base_only(head, "sam3_vision_model")
    t, bc = sub_model(c, "backbone_config", "sam3_vit_model", {"sam3_vit_model": sam3_vit_model})
    h = with_defaults(bc, {"hidden_size": 1024}).int("hidden_size")
    c = with_defaults(c, {"fpn_hidden_size": 256, "scale_factors": [4.0, 2.0, 1.0, 0.5]})
    scales = c.list("scale_factors")
    if any(isinstance(s, bool) or not isinstance(s, (int, float)) for s in scales):
        raise NotExact("scale_factors must be numbers")
    t.add("other", sum(fpn_layer(h, c.int("fpn_hidden_size"), float(s)) for s in scales))
    return t


register_own("glpn", glpn, "GLPN")
register_own("dpt", dpt, "DPT")
register_own("seggpt", seggpt, "SegGpt")
register_own("sam", sam, "Sam")
register_own("sam3_vision_model", sam3_vision_model, "Sam3Vision", stem="Sam3")
register_own("sam_hq", sam_hq, "SamHQ")


# ----------------------------------------------------------------------------- VideoPrism

VIDEOPRISM_VISION = {"image_size": 288, "num_frames": 16, "tubelet_size": [1, 18, 18], "num_channels": 3}
VIDEOPRISM_VISION.update(hidden_size=768, num_attention_heads=12, intermediate_size=3072, qkv_bias=True)
VIDEOPRISM_VISION.update(num_spatial_layers=12, num_temporal_layers=4, num_auxiliary_layers=2)
VIDEOPRISM_TEXT = {
    "vocab_size": 32000,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
}
VIDEOPRISM_TEXT.update(num_attention_heads=12, qkv_bias=True)


def _prism_layer(c: Cfg) -> int:
    """VideoPrismLayer: two LayerNorms, q/k/v (qkv_bias) to heads x (hidden // heads), biased output, fc1/fc2."""
    h, nh, inter = c.int("hidden_size"), c.int("num_attention_heads"), c.int("intermediate_size")
    a = nh * (h // positive("num_attention_heads", nh))
    return 4 * h + 3 * linear(h, a, c.bool("qkv_bias")) + linear(a, h) + linear(h, inter) + linear(inter, h)


def _prism_vision(c: Cfg) -> Tally:
    h, C = c.int("hidden_size"), c.int("num_channels")
    tub = c.ints("tubelet_size")
    if len(tub) != 3 or min(tub) <= 0:
        raise NotExact("tubelet_size must be three positive integers")
    ih, iw = _int_pair(c, "image_size")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", C * tub[0] * tub[1] * tub[2] * h + h + (ih // tub[1]) * (iw // tub[2]) * h)
    t.add("embeddings", c.int("num_frames") * h)
    t.add("norms", 4 * h)
    t.add("other", (c.int("num_spatial_layers") + c.int("num_temporal_layers")) * _prism_layer(c))
    return t


def videoprism_vision_model(c: Cfg, head: str) -> Tally:
    """VideoPrismVisionModel: tubelet conv, spatial and temporal position tables, two LayerNorms, the factorised
    spatial then temporal encoder layers."""
    _base_only(head, "videoprism_vision_model")
    return _prism_vision(with_defaults(c, VIDEOPRISM_VISION))


def videoprism(c: Cfg, head: str) -> Tally:
    """VideoPrismClipModel: the video model (vision tower, auxiliary layers, attention-pooling head with its
    LayerNorm) and the text model (token table, [CLS], layers, LayerNorm; sinusoidal positions are buffers)."""
    _base_only(head, "videoprism")
    v = with_defaults(c.sub("vision_config", default={}), VIDEOPRISM_VISION)
    tc = with_defaults(c.sub("text_config", default={}), VIDEOPRISM_TEXT)
    t = _prism_vision(v)
    h, nh, inter = v.int("hidden_size"), v.int("num_attention_heads"), v.int("intermediate_size")
    t.add("other", v.int("num_auxiliary_layers") * _prism_layer(v))
    hd = inter // positive("num_attention_heads", nh)
    t.add("heads", 3 * linear(h, nh * hd, v.bool("qkv_bias")) + linear(nh * hd, h) + hd + h + 2 * h)
    th = tc.int("hidden_size")
    t.embed(tc.int("vocab_size") * th)
    t.add("embeddings", th)
    t.add("other", tc.int("num_hidden_layers") * _prism_layer(tc))
    t.add("norms", 2 * th)
    return t


register_own("videoprism_vision_model", videoprism_vision_model, "VideoPrismVision", stem="VideoPrism")
register_own("videoprism", videoprism, "VideoPrismClip", stem="VideoPrism")


# ----------------------------------------------------------------------------- SAM 2 Hiera

SAM2_HIERA = {"hidden_size": 96, "num_channels": 3, "patch_kernel_size": [7, 7], "mlp_ratio": 4.0}
SAM2_HIERA.update(window_positional_embedding_background_size=[7, 7], blocks_per_stage=[1, 2, 7, 2])
SAM2_HIERA.update(embed_dim_per_stage=[96, 192, 384, 768], window_size_per_stage=[8, 4, 14, 7])
SAM2_VISION = {"backbone_channel_list": [768, 384, 192, 96], "fpn_hidden_size": 256, "fpn_kernel_size": 1}


def _hiera_block(dim: int, out: int, ratio: float) -> int:
    """Sam2MultiScaleBlock: two LayerNorms, fused qkv and proj to the stage width, a 2-layer MLP, and a projection
    when the block changes width (q-pooling has no parameters)."""
    inner = int(out * ratio)
    n = 2 * dim + linear(dim, 3 * out) + linear(out, out) + 2 * out + linear(out, inner) + linear(inner, out)
    return n + (linear(dim, out) if dim != out else 0)


def sam2_hiera_det_model(c: Cfg, head: str) -> Tally:
    """Sam2HieraDetModel: biased patch conv, background and window position tables, multi-scale blocks."""
    _base_only(head, "sam2_hiera_det_model")
    c = with_defaults(c, SAM2_HIERA)
    h = c.int("hidden_size")
    kh, kw = _int_pair(c, "patch_kernel_size")
    bh, bw = _int_pair(c, "window_positional_embedding_background_size")
    blocks, dims, wins = (
        c.ints(k) for k in ("blocks_per_stage", "embed_dim_per_stage", "window_size_per_stage")
    )
    if not blocks or len(dims) < len(blocks) or not wins:
        raise NotExact("embed_dim_per_stage must cover blocks_per_stage")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", c.int("num_channels") * kh * kw * h + h + h * bh * bw + h * wins[0] * wins[0])
    ratio = c.num("mlp_ratio")
    for s, n in enumerate(blocks):
        t.add(
            "other",
            sum(_hiera_block(dims[s - 1] if s and not b else dims[s], dims[s], ratio) for b in range(n)),
        )
    return t


def sam2_vision_model(c: Cfg, head: str) -> Tally:
    """Sam2VisionModel: the Hiera backbone and one FPN conv per backbone channel count."""
    _base_only(head, "sam2_vision_model")
    t, _ = sub_model(
        c, "backbone_config", "sam2_hiera_det_model", {"sam2_hiera_det_model": sam2_hiera_det_model}
    )
    c = with_defaults(c, SAM2_VISION)
    fpn, k = c.int("fpn_hidden_size"), c.int("fpn_kernel_size")
    t.add("other", sum(linear(ch * k * k, fpn) for ch in c.ints("backbone_channel_list")))
    return t


def _sam2_like(c: Cfg, vision_type: str, vision: Formula, vision_defaults: dict) -> Tally:
    """SAM 2's tree around a vision model counted by ``vision``: SAM's prompt encoder (the positional embedding
    is a buffer) and mask decoder plus SAM 2's skip convs and object-score token and head, and the no-memory
    embedding (one FPN-width vector)."""
    t, vc = sub_model(c, "vision_config", vision_type, {vision_type: vision})
    t.add("other", with_defaults(vc, vision_defaults).int("fpn_hidden_size"))
    p = with_defaults(c.sub("prompt_encoder_config", default={}), SAM_PROMPT)
    d = with_defaults(c.sub("mask_decoder_config", default={}), SAM_DECODER)
    t.add("other", sam_prompt_encoder(p))
    h = d.int("hidden_size")
    extra = linear(h, h // 8) + linear(h, h // 4) + h + feed_forward([h, h, h, 1])
    t.add("heads", sam_mask_decoder(d) + extra)
    return t


def sam2(c: Cfg, head: str) -> Tally:
    """Sam2Model: the SAM 2 vision model (Hiera + FPN) in SAM 2's prompt / mask-decoder tree."""
    _base_only(head, "sam2")
    return _sam2_like(c, "sam2_vision_model", sam2_vision_model, SAM2_VISION)


def sam3_tracker(c: Cfg, head: str) -> Tally:
    """Sam3TrackerModel: SAM 2's tree around the SAM 3 vision model (a config nesting a tracker_config, as
    sam3_video ones do, is not modelled)."""
    _base_only(head, "sam3_tracker")
    if c.has("tracker_config"):
        raise NotExact("a config nesting tracker_config is not modelled")
    return _sam2_like(c, "sam3_vision_model", sam3_vision_model, {"fpn_hidden_size": 256})


HIERA = {"embed_dim": 96, "image_size": [224, 224], "patch_size": [7, 7], "patch_stride": [4, 4]}
HIERA.update(mlp_ratio=4.0, depths=[2, 3, 16, 3], embed_dim_multiplier=2.0, num_channels=3)


def hiera(c: Cfg, head: str) -> Tally:
    """HieraModel / HieraForImageClassification: patch conv, token positions, stages of Sam2-style multi-scale
    blocks widening by embed_dim_multiplier, the pooler LayerNorm (and classifier)."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for hiera")
    c = with_defaults(c, HIERA)
    E, depths, m = c.int("embed_dim"), c.ints("depths"), c.num("embed_dim_multiplier")
    kh, kw = _int_pair(c, "patch_size")
    ih, iw = _int_pair(c, "image_size")
    sh, sw = _int_pair(c, "patch_stride")
    if not depths:
        raise NotExact("depths must list at least one stage")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", c.int("num_channels") * kh * kw * E + E + (ih // sh) * (iw // sw) * E)
    prev, ratio = E, c.num("mlp_ratio")
    for s, depth in enumerate(depths):
        out = int(E * m**s)
        t.add("other", sum(_hiera_block(prev if i == 0 else out, out, ratio) for i in range(depth)))
        prev = out
    t.add("norms", 2 * prev)
    if head == "img_cls" and c.num_labels() > 0:
        t.add("heads", linear(prev, c.num_labels()))
    return t


register_own("sam2_hiera_det_model", sam2_hiera_det_model, "Sam2HieraDet", stem="Sam2")
register_own("sam2_vision_model", sam2_vision_model, "Sam2Vision", stem="Sam2")
register_own("sam2", sam2, "Sam2")
register_own("sam3_tracker", sam3_tracker, "Sam3Tracker", stem="Sam3")
register_own("hiera", hiera, "Hiera")


# ----------------------------------------------------------------------------- Swin2SR

SWIN2SR = {"image_size": 64, "patch_size": 1, "num_channels": 3, "embed_dim": 180, "depths": [6] * 6}
SWIN2SR.update(num_heads=[6] * 6, mlp_ratio=2.0, qkv_bias=True, use_absolute_embeddings=False)
SWIN2SR.update(resi_connection="1conv")


def _swin2sr_layer(d: int, nh: int, ratio: float, qkv_bias: bool) -> int:
    """Swin2SRLayer: logit scale per head, the continuous position-bias MLP (2 -> 512 -> heads), q/v (optionally
    biased) and bias-free k, output dense, two LayerNorms, the MLP."""
    a = nh * (d // positive("num_heads", nh))
    inner = int(ratio * d)
    n = nh + linear(2, 512) + 512 * nh + 2 * linear(d, a, qkv_bias) + linear(d, a, False) + linear(d, d)
    return n + 4 * d + linear(d, inner) + linear(inner, d)


def swin2sr(c: Cfg, head: str) -> Tally:
    """Swin2SRModel: first 3x3 conv, patch conv + LayerNorm (optional absolute positions), residual Swin V2 stages
    at one width (each: layers, a 1conv / 3conv residual, a patch conv), final LayerNorm, conv after the body."""
    _base_only(head, "swin2sr")
    c = with_defaults(c, SWIN2SR)
    d, C = c.int("embed_dim"), c.int("num_channels")
    ph, pw = _int_pair(c, "patch_size")
    ih, iw = _int_pair(c, "image_size")
    depths, heads = c.ints("depths"), c.ints("num_heads")
    if len(heads) < len(depths):
        raise NotExact("num_heads must have an entry per stage")
    resi = c.str("resi_connection")
    if resi == "1conv":
        res = linear(9 * d, d)
    elif resi == "3conv":
        q = d // 4
        res = linear(9 * d, q) + linear(q, q) + linear(9 * q, d)
    else:
        raise NotExact(f"resi_connection {resi!r} builds no residual conv in transformers")
    patch = d * d * ph * pw + d
    t = Tally()
    t.has_kv = False
    t.add("embeddings", linear(9 * C, d) + patch + 2 * d)
    if c.bool("use_absolute_embeddings"):
        t.add("embeddings", ((ih // ph) * (iw // pw) + 1) * d)
    ratio, qb = c.num("mlp_ratio"), c.bool("qkv_bias")
    for depth, nh in zip(depths, heads, strict=False):
        t.add("other", depth * _swin2sr_layer(d, nh, ratio, qb) + res + patch)
    t.add("other", 2 * d + linear(9 * d, d))
    return t


register_own("swin2sr", swin2sr, "Swin2SR")


# ----------------------------------------------------------------------------- Depth Pro

DEPTH_PRO = {"fusion_hidden_size": 256, "intermediate_feature_dims": [256, 256]}
DEPTH_PRO.update(scaled_images_feature_dims=[1024, 1024, 512])


def _upsample_block(i: int, inner: int, out: int, n: int, proj: bool, bias: bool) -> int:
    """DepthProFeatureUpsampleBlock: an optional 1x1 projection, then ``n`` 2x2 transposed convs."""
    b = out if bias else 0
    return (linear(i, inner, bias) if proj else 0) + inner * out * 4 + b + (n - 1) * (out * out * 4 + b)


def depth_pro(c: Cfg, head: str) -> Tally:
    """DepthProModel: the patch and image DINOv2 encoders and the neck (upsampling blocks for the image, each scaled
    image and each intermediate hook, a 1x1 fusion conv, bias-free 3x3 projections to the fusion width; the last
    one is skipped when it already has that width). The depth / field-of-view heads are not counted."""
    _base_only(head, "depth_pro")
    t, pc = sub_model(c, "patch_model_config", "dinov2", {"dinov2": dinov2})
    image, ic = sub_model(c, "image_model_config", "dinov2", {"dinov2": dinov2})
    t.merge(image)
    hp, hi = (with_defaults(x, {"hidden_size": 768}).int("hidden_size") for x in (pc, ic))
    c = with_defaults(c, DEPTH_PRO)
    fusion, scaled, inter = (
        c.int("fusion_hidden_size"),
        c.ints("scaled_images_feature_dims"),
        c.ints("intermediate_feature_dims"),
    )
    if not scaled:
        raise NotExact("scaled_images_feature_dims must not be empty")
    n = _upsample_block(hi, hi, scaled[0], 1, False, True)
    n += sum(_upsample_block(hp, f, f, 1, True, False) for f in scaled)
    n += sum(_upsample_block(hp, fusion if i == 0 else f, f, 2 + i, True, False) for i, f in enumerate(inter))
    n += linear(2 * scaled[0], scaled[0])
    dims = scaled + inter
    n += sum(ch * fusion * 9 for j, ch in enumerate(dims) if not (j == len(dims) - 1 and ch == fusion))
    t.add("other", n)
    return t


register_own("depth_pro", depth_pro, "DepthPro")


# ----------------------------------------------------------------------------- Sapiens2

SAPIENS2 = {"patch_size": 16, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24}
SAPIENS2.update(num_attention_heads=16, num_channels=3, query_bias=True, key_bias=True, value_bias=True)
SAPIENS2.update(
    proj_bias=True, mlp_bias=True, use_gated_mlp=True, num_register_tokens=8, use_mask_token=False
)
SAPIENS2.update(use_qk_norm=True)


def sapiens2(c: Cfg, head: str) -> Tally:
    """Sapiens2Model: [CLS], register (and optional mask) tokens, biased patch conv, RMSNorm layers whose k/v
    head count comes from num_key_value_heads_per_layer (q/k RMSNorms optional, one layer scale), gated or plain
    MLP, final RMSNorm; rotary positions have no parameters. Task heads are not counted."""
    _base_only(head, "sapiens2")
    c = with_defaults(c, SAPIENS2)
    h, L, nh, inter = (
        c.int(k) for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")
    )
    kv_heads = c.ints("num_key_value_heads_per_layer", default=None)
    if kv_heads is None or len(kv_heads) < L:
        raise NotExact("num_key_value_heads_per_layer must list every layer")
    hd = h // positive("num_attention_heads", nh)
    ph, pw = _int_pair(c, "patch_size")
    t = Tally()
    t.has_kv = False
    extra = c.int("num_register_tokens") + 1 + c.bool("use_mask_token")
    t.add("embeddings", extra * h + c.int("num_channels") * ph * pw * h + h)
    b = {k: c.bool(k) for k in ("query_bias", "key_bias", "value_bias", "proj_bias", "mlp_bias")}
    mlp = (3 if c.bool("use_gated_mlp") else 2) * inter * h + (
        2 if c.bool("use_gated_mlp") else 1
    ) * inter * b["mlp_bias"]
    mlp += h * b["mlp_bias"]
    qk = 2 * hd if c.bool("use_qk_norm") else 0
    for kv in kv_heads[:L]:
        attn = linear(h, h, b["query_bias"]) + linear(h, h, b["proj_bias"])
        attn += linear(h, kv * hd, b["key_bias"]) + linear(h, kv * hd, b["value_bias"])
        t.add("other", 3 * h + attn + qk + mlp)
    t.add("norms", h)
    return t


register_own("sapiens2", sapiens2, "Sapiens2")
