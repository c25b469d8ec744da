"""Segmentation, video-tracking and matching models: the SAM 2 / SAM 3 video trackers (SAM 2's image tree plus the
memory attention and memory encoder), SAM 3 (detector), MaskFormer / Mask2Former / OneFormer (pixel decoder and
transformer decoder over a backbone), EfficientLoFTR and LightGlue (keypoint matching).

Each formula follows the module tree transformers 5 builds for the class it claims; every other head raises
NotExact, so the answer is ``unknown``, never a guess.
"""

from __future__ import annotations

import math

from hubscan.estimate.families.common import Cfg, NotExact, Tally, attention, claim_heads, linear, positive
from hubscan.estimate.families.hierarchical import _backbone_channels, _sizes, resnet, swin
from hubscan.estimate.families.misc_models import sam3_lite_text_text
from hubscan.estimate.families.vision import CLIP_TEXT, clip_text
from hubscan.estimate.families.vision_dense import (
    SAM2_VISION,
    _base_only,
    _sam2_like,
    feed_forward,
    sam2_vision_model,
    sam3_vision_model,
)
from hubscan.estimate.families.vision_more import register_own, sam3_vit_model, with_defaults

# ----------------------------------------------------------------------------- SAM 2 video trackers

SAM2_MEMORY = {"num_maskmem": 7, "enable_occlusion_spatial_embedding": True}
SAM2_MEMORY.update(enable_temporal_pos_encoding_for_object_pointers=True)
SAM2_MEMORY.update(memory_attention_hidden_size=256, memory_attention_num_layers=4)
SAM2_MEMORY.update(memory_attention_downsample_rate=1, memory_attention_feed_forward_hidden_size=2048)
SAM2_MEMORY.update(memory_attention_num_attention_heads=1)
SAM2_MEMORY.update(memory_encoder_hidden_size=256, memory_encoder_output_channels=64)
SAM2_MEMORY.update(mask_downsampler_embed_dim=256, mask_downsampler_kernel_size=3, mask_downsampler_stride=2)
SAM2_MEMORY.update(mask_downsampler_total_stride=16)
SAM2_MEMORY.update(memory_fuser_num_layers=2, memory_fuser_embed_dim=256, memory_fuser_intermediate_dim=1024)
SAM2_MEMORY.update(memory_fuser_kernel_size=7)
MEMORY_KV_DIM = 64  # Sam2VideoMemoryAttentionLayer's image cross-attention reads 64-wide keys (hard-coded)


def _memory_attention(c: Cfg, ff_key: str) -> int:
    """Memory attention: per layer a RoPE self-attention, a RoPE cross-attention from 64-wide memory keys, a
    2-layer MLP (width ``ff_key``) and three LayerNorms; a final LayerNorm (rotary tables are buffers)."""
    h, ff = c.int("memory_attention_hidden_size"), c.int(ff_key)
    inner = h // positive("memory_attention_downsample_rate", c.int("memory_attention_downsample_rate"))
    if inner == 0 or inner % positive("heads", c.int("memory_attention_num_attention_heads")):
        raise NotExact("memory attention heads must divide its inner width")
    self_attn = 3 * linear(h, inner) + linear(inner, h)
    cross = linear(h, inner) + 2 * linear(MEMORY_KV_DIM, inner) + linear(inner, h)
    layer = self_attn + cross + linear(h, ff) + linear(ff, h) + 3 * 2 * h
    return c.int("memory_attention_num_layers") * layer + 2 * h


def _memory_encoder(c: Cfg) -> int:
    """Memory encoder: the mask downsampler (strided convs with channels-first LayerNorms, a 1x1 conv), a 1x1
    feature projection, the ConvNeXt-style fuser blocks and a 1x1 output projection."""
    h, out = c.int("memory_encoder_hidden_size"), c.int("memory_encoder_output_channels")
    k, s = c.int("mask_downsampler_kernel_size"), c.int("mask_downsampler_stride")
    total = c.int("mask_downsampler_total_stride")
    if s < 2 or total < 1:
        raise NotExact("mask_downsampler_stride below 2 is not modelled")
    n_layers = int(math.log2(total) // math.log2(s))
    n, ch = 0, 1
    for _ in range(n_layers):
        n += linear(ch * k * k, ch * s * s) + 2 * ch * s * s
        ch *= s * s
    n += linear(ch, c.int("mask_downsampler_embed_dim")) + linear(h, h)
    e, i, fk = (c.int(f"memory_fuser_{x}") for x in ("embed_dim", "intermediate_dim", "kernel_size"))
    n += c.int("memory_fuser_num_layers") * (linear(fk * fk, e) + 2 * e + linear(e, i) + linear(i, e) + e)
    return n + linear(h, out)


def _video_extras(c: Cfg, fpn: int) -> int:
    """Sam2VideoModel's own parameters: no-memory positional vector, per-slot temporal encodings, no-object
    pointer, the 4x4 mask downsampling conv, the 3-layer object-pointer MLP, the temporal projection and the
    occlusion embedding (when enabled)."""
    mem = c.int("memory_encoder_output_channels")
    n = fpn + c.int("num_maskmem") * mem + fpn + linear(16, 1) + feed_forward([fpn] * 4)
    if c.bool("enable_temporal_pos_encoding_for_object_pointers"):
        n += linear(fpn, mem)
    if c.bool("enable_occlusion_spatial_embedding"):
        n += mem
    return n


def _sam2_video_like(
    c: Cfg,
    vision_type: str,
    vision,
    vision_defaults: dict,
    *,
    memory: dict = SAM2_MEMORY,
    ff_key: str = "memory_attention_feed_forward_hidden_size",
) -> Tally:
    t = _sam2_like(c, vision_type, vision, vision_defaults)
    m = with_defaults(c, memory)
    fpn = with_defaults(c.sub("vision_config", default={}), vision_defaults).int("fpn_hidden_size")
    t.add("other", _memory_attention(m, ff_key) + _memory_encoder(m) + _video_extras(m, fpn))
    return t


def sam2_video(c: Cfg, head: str) -> Tally:
    """Sam2VideoModel: Sam2Model's tree (Hiera + FPN, prompt encoder, mask decoder) plus memory attention, memory
    encoder and the tracking parameters."""
    _base_only(head, "sam2_video")
    return _sam2_video_like(c, "sam2_vision_model", sam2_vision_model, SAM2_VISION)


def sam3_tracker_video(c: Cfg, head: str) -> Tally:
    """Sam3TrackerVideoModel: SAM 2 video's tree around the SAM 3 vision model (a config nesting a
    tracker_config, as sam3_video ones do, is not modelled here)."""
    _base_only(head, "sam3_tracker_video")
    if c.has("tracker_config"):
        raise NotExact("a config nesting tracker_config is not modelled")
    return _sam2_video_like(c, "sam3_vision_model", sam3_vision_model, {"fpn_hidden_size": 256})


EDGETAM_MEMORY = {**SAM2_MEMORY, "memory_attention_num_layers": 2, "memory_attention_mlp_hidden_size": 2048}
EDGETAM_MEMORY.update(perceiver_resampler_num_latents=256, perceiver_resampler_num_latents_2d=256)
EDGETAM_MEMORY.update(perceiver_resampler_hidden_size=64, perceiver_resampler_mlp_intermediate_size=256)
EDGETAM_MEMORY.update(perceiver_resampler_num_attention_heads=1, perceiver_resampler_attention_head_dim=64)
EDGETAM_MEMORY.update(perceiver_resampler_num_layers=2)


def _perceiver_resampler(c: Cfg) -> int:
    """EdgeTAM's spatial perceiver: 1-D and 2-D latents, layers of bias-free cross- and self-attention each with
    a LayerNorm'd bias-free MLP, three LayerNorms per layer, a final LayerNorm."""
    h, i = c.int("perceiver_resampler_hidden_size"), c.int("perceiver_resampler_mlp_intermediate_size")
    inner = c.int("perceiver_resampler_num_attention_heads") * c.int("perceiver_resampler_attention_head_dim")
    latents = sum(
        max(c.int(k), 0) for k in ("perceiver_resampler_num_latents", "perceiver_resampler_num_latents_2d")
    )
    layer = 2 * (4 * h * inner + 2 * h + 2 * h * i) + 6 * h
    return latents * h + c.int("perceiver_resampler_num_layers") * layer + 2 * h


def edgetam_video(c: Cfg, head: str) -> Tally:
    """EdgeTamVideoModel: SAM 2 video's tree (the default SAM 2 Hiera vision model; EdgeTAM's timm RepViT
    vision model is not modelled) with its own memory-attention defaults, plus the spatial perceiver."""
    _base_only(head, "edgetam_video")
    ff_key = "memory_attention_mlp_hidden_size"
    t = _sam2_video_like(
        c, "sam2_vision_model", sam2_vision_model, SAM2_VISION, memory=EDGETAM_MEMORY, ff_key=ff_key
    )
    t.add("other", _perceiver_resampler(with_defaults(c, EDGETAM_MEMORY)))
    return t


register_own("sam2_video", sam2_video, "Sam2Video", stem="Sam2")
register_own("edgetam_video", edgetam_video, "EdgeTamVideo", stem="EdgeTam")
register_own("sam3_tracker_video", sam3_tracker_video, "Sam3TrackerVideo", stem="Sam3")


# ----------------------------------------------------------------------------- SAM 3 (detector) and SAM 3 video

SAM3_PART = {"hidden_size": 256, "num_attention_heads": 8, "intermediate_size": 2048}
SAM3_GEOMETRY = {**SAM3_PART, "num_layers": 3, "roi_size": 7}
SAM3_DETR_ENCODER = {**SAM3_PART, "num_layers": 6}
SAM3_DETR_DECODER = {**SAM3_PART, "num_layers": 6, "num_queries": 200}
SAM3_MASK_DECODER = {"hidden_size": 256, "num_upsampling_stages": 3}
SAM3_TEXT = {"vocab_size": 49408, "hidden_size": 1024, "intermediate_size": 4096, "projection_dim": 512}
SAM3_TEXT.update(num_hidden_layers=24, num_attention_heads=16, max_position_embeddings=32)
CLIP_TEXT_MODEL = {**CLIP_TEXT, "projection_dim": 512}  # CLIPTextConfig's defaults (a given text_config)


def _sam3_attention(h: int) -> int:
    """Sam3Attention: biased q/k/v/o projections of the full width."""
    return 4 * linear(h, h)


def _sam3_layers(c: Cfg, n_attn: int) -> int:
    """``num_layers`` Sam3 transformer layers of ``n_attn`` attentions (each with a LayerNorm) and a LayerNorm'd
    2-layer MLP."""
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    if h % positive("num_attention_heads", c.int("num_attention_heads")):
        raise NotExact("num_attention_heads must divide hidden_size")
    layer = n_attn * (_sam3_attention(h) + 2 * h) + linear(h, inter) + linear(inter, h) + 2 * h
    return c.int("num_layers") * layer


def _geometry_encoder(g: Cfg) -> int:
    """Label (2) and CLS embeddings, box projections (direct, ROI-pool conv, position), three LayerNorms, a final
    projection, the layers (self- and cross-attention) and the output LayerNorm."""
    h, roi = g.int("hidden_size"), g.int("roi_size")
    n = 3 * h + linear(4, h) + linear(h * roi * roi, h) + linear(h + 2, h) + 2 * h + linear(h, h) + 2 * h
    return n + _sam3_layers(g, 2) + 2 * h


def _detr_decoder(d: Cfg) -> int:
    """DETR decoder: layers (self-, text- and vision-attention), output LayerNorm, the 3-layer box and presence
    heads, query / reference-point / presence embeddings, presence LayerNorm, reference-point head and the two
    box relative-position MLPs."""
    h, nq, nh = d.int("hidden_size"), d.int("num_queries"), d.int("num_attention_heads")
    n = _sam3_layers(d, 3) + 2 * h + feed_forward([h, h, h, 4]) + nq * h + nq * 4 + h
    n += feed_forward([h, h, h, 1]) + 2 * h + feed_forward([2 * h, h, h]) + 2 * feed_forward([2, h, nh])
    return n


def _mask_decoder(m: Cfg) -> int:
    """Mask decoder: pixel decoder (3x3 conv + GroupNorm per upsampling stage), 3-layer mask embedder, instance
    and semantic 1x1 projections, prompt cross-attention and its LayerNorm."""
    h = m.int("hidden_size")
    n = m.int("num_upsampling_stages") * (linear(9 * h, h) + 2 * h) + 3 * linear(h, h)
    return n + linear(h, h) + linear(h, 1) + _sam3_attention(h) + 2 * h


def _sam3_detector(c: Cfg, text: Tally, text_hidden: int) -> Tally:
    """Sam3Model's tree around an already counted text encoder: vision model (ViT + FPN), text projection,
    geometry encoder, DETR encoder / decoder, mask decoder and dot-product scoring."""
    t = sam3_vision_model(c.sub("vision_config", default={}), "model")
    t.merge(text)
    g, e, d, m = (
        with_defaults(c.sub(key, default={}), defaults)
        for key, defaults in (
            ("geometry_encoder_config", SAM3_GEOMETRY),
            ("detr_encoder_config", SAM3_DETR_ENCODER),
            ("detr_decoder_config", SAM3_DETR_DECODER),
            ("mask_decoder_config", SAM3_MASK_DECODER),
        )
    )
    t.add("other", linear(text_hidden, e.int("hidden_size")) + _geometry_encoder(g))
    t.add("other", _sam3_layers(e, 2) + _detr_decoder(d) + _mask_decoder(m))
    h, inter = d.int("hidden_size"), d.int("intermediate_size")
    t.add("heads", feed_forward([h, inter, h]) + 2 * h + 2 * linear(h, h))
    return t


def sam3(c: Cfg, head: str) -> Tally:
    """Sam3Model: the SAM 3 detector with a CLIP text encoder (with its bias-free projection)."""
    _base_only(head, "sam3")
    if c.has("detector_config"):
        raise NotExact("a config nesting detector_config is not modelled")
    raw = c.raw("text_config")
    tc = (
        Cfg(SAM3_TEXT, "text_config") if raw is None else with_defaults(c.sub("text_config"), CLIP_TEXT_MODEL)
    )
    if tc.str("model_type", default="clip_text_model") != "clip_text_model":
        raise NotExact("text_config model_type other than clip_text_model is not modelled")
    text = clip_text(tc)
    th = tc.int("hidden_size")
    text.add("heads", th * tc.int("projection_dim"))
    return _sam3_detector(c, text, th)


def sam3_lite_text(c: Cfg, head: str) -> Tally:
    """Sam3LiteTextModel: the SAM 3 detector with the MobileCLIP-style lite text encoder."""
    _base_only(head, "sam3_lite_text")
    tc = c.sub("text_config", default={})
    th = with_defaults(tc, {"hidden_size": 512}).int("hidden_size")
    return _sam3_detector(c, sam3_lite_text_text(tc, "model"), th)


def _minus(t: Tally, other: Tally) -> None:
    for k, v in other.parts.items():
        t.parts[k] -= v


def sam3_video(c: Cfg, head: str) -> Tally:
    """Sam3VideoModel: the SAM 3 detector (detector_config), the SAM 3 tracker (tracker_config) without its
    vision encoder, and a tracker FPN neck built from the detector's vision config."""
    _base_only(head, "sam3_video")
    det = c.sub("detector_config", default={})
    t = sam3(det, "model")
    trk = c.sub("tracker_config", default={})
    t.merge(sam3_tracker_video(trk, "model"))
    _minus(t, sam3_vision_model(trk.sub("vision_config", default={}), "model"))
    vc = det.sub("vision_config", default={})
    neck = sam3_vision_model(vc, "model")
    _minus(neck, sam3_vit_model(vc.sub("backbone_config", default={}), "model"))
    t.merge(neck)
    return t


register_own("sam3", sam3, "Sam3")
register_own("sam3_lite_text", sam3_lite_text, "Sam3LiteText", stem="Sam3")
register_own("sam3_video", sam3_video, "Sam3Video", stem="Sam3")


# ----------------------------------------------------------------------------- keypoint detection and matching

SUPERPOINT = {"encoder_hidden_sizes": [64, 64, 128, 128], "decoder_hidden_size": 256}
SUPERPOINT.update(keypoint_decoder_dim=65, descriptor_decoder_dim=256)
KEYPOINTS = "keypoints"  # head kind of the ...ForKeypointDetection / ...ForKeypointMatching classes


def _superpoint(c: Cfg) -> int:
    """SuperPoint: VGG-style blocks of two biased 3x3 convs from one grey channel, then the interest-point and
    descriptor decoders (a 3x3 and a 1x1 conv each)."""
    c = with_defaults(c, SUPERPOINT)
    sizes, dec = c.ints("encoder_hidden_sizes"), c.int("decoder_hidden_size")
    if len(sizes) < 2:
        raise NotExact("encoder_hidden_sizes needs at least two entries")
    n = sum(linear(9 * a, b) + linear(9 * b, b) for a, b in zip([1] + sizes[:-1], sizes, strict=True))
    n += 2 * linear(9 * sizes[-1], dec)
    return n + linear(dec, c.int("keypoint_decoder_dim")) + linear(dec, c.int("descriptor_decoder_dim"))


def superpoint(c: Cfg, head: str) -> Tally:
    """SuperPointForKeypointDetection (the only class)."""
    claim_heads(head, KEYPOINTS, family="superpoint")
    t = Tally()
    t.has_kv = False
    t.add("other", _superpoint(c))
    return t


LIGHTGLUE = {"descriptor_dim": 256, "num_hidden_layers": 9, "num_attention_heads": 4, "attention_bias": True}


def lightglue(c: Cfg, head: str) -> Tally:
    """LightGlueForKeypointMatching: the SuperPoint detector, an input projection when the descriptor widths
    differ, a bias-free positional projector, per layer self- and cross-attention each with an MLP (fc1 on twice
    the width, LayerNorm, fc2), per layer a match-assignment projection and matchability, and one token
    confidence per layer but the last (hidden and intermediate sizes follow descriptor_dim)."""
    claim_heads(head, KEYPOINTS, family="lightglue")
    c = with_defaults(c, LIGHTGLUE)
    kp = c.sub("keypoint_detector_config", default={})
    if kp.str("model_type", default="superpoint") != "superpoint":
        raise NotExact("a keypoint detector other than SuperPoint is not modelled")
    h, L, nh = c.int("descriptor_dim"), c.int("num_hidden_layers"), c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", default=nh)
    hd = c.int("head_dim", default=h // positive("num_attention_heads", nh))
    b = c.bool("attention_bias")
    t = Tally()
    t.has_kv = False
    t.add("other", _superpoint(kp))
    kdd = with_defaults(kp, SUPERPOINT).int("descriptor_decoder_dim")
    t.add("embeddings", (linear(kdd, h) if kdd != h else 0) + 2 * (h // nh // 2))
    mlp = linear(2 * h, 2 * h) + 2 * 2 * h + linear(2 * h, h)
    t.add("attention", L * 2 * (attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b) + mlp))
    t.add("heads", L * (linear(h, h) + linear(h, 1)) + max(L - 1, 0) * linear(h, 1))
    return t


LOFTR = {"stage_num_blocks": [1, 2, 4, 14], "stage_stride": [2, 1, 2, 2], "out_features": [64, 64, 128, 256]}
LOFTR.update(hidden_size=256, num_attention_layers=4, num_attention_heads=8, attention_bias=False)
LOFTR.update(q_aggregation_kernel_size=4)


def _loftr_blocks(c: Cfg) -> list[tuple[int, int, int]]:
    """(in, out, stride) of every RepVGG block; the per-block lists a saved config carries win over the ones
    derived from stage_num_blocks / stage_stride / out_features (as in the config class)."""
    blocks, strides, outs = c.ints("stage_num_blocks"), c.ints("stage_stride"), c.ints("out_features")
    if not (len(blocks) == len(strides) == len(outs)):
        raise NotExact("stage_num_blocks, stage_stride and out_features must have one entry per stage")
    ins = [1] + outs[:-1]
    derived = {
        "stage_block_in_channels": [[ins[s]] + [outs[s]] * (n - 1) for s, n in enumerate(blocks)],
        "stage_block_out_channels": [[outs[s]] * n for s, n in enumerate(blocks)],
        "stage_block_stride": [[strides[s]] + [1] * (n - 1) for s, n in enumerate(blocks)],
    }
    lists = []
    for key, value in derived.items():
        got = c.raw(key, default=value)
        if not isinstance(got, list) or any(not isinstance(x, list) for x in got):
            raise NotExact(f"{key} must be a list of lists")
        if len(got) < len(strides) or any(len(got[s]) < n for s, n in enumerate(blocks)):
            raise NotExact(f"{key} must cover stage_num_blocks")
        lists.append([Cfg({key: got[s][:n]}).ints(key) for s, n in enumerate(blocks)])
    return [blk for stage in zip(*lists, strict=True) for blk in zip(*stage, strict=True)]


def efficientloftr(c: Cfg, head: str) -> Tally:
    """EfficientLoFTRModel: RepVGG backbone (3x3 and 1x1 conv + BatchNorm per block, a BatchNorm identity branch
    when shape is kept), then layers of self- and cross- aggregated attention (depthwise q-aggregation conv,
    LayerNorm, attention, bias-free MLP on the concatenation with LayerNorm); ForKeypointMatching adds the fine
    fusion convs."""
    claim_heads(head, KEYPOINTS, family="efficientloftr")
    c = with_defaults(c, LOFTR)
    t = Tally()
    t.has_kv = False
    for i, o, s in _loftr_blocks(c):
        t.add("other", 9 * i * o + 2 * o + i * o + 2 * o + (2 * i if i == o and s == 1 else 0))
    h, nh, k = c.int("hidden_size"), c.int("num_attention_heads"), c.int("q_aggregation_kernel_size")
    kv = c.int("num_key_value_heads", default=nh)
    hd = c.int("head_dim", default=h // positive("num_attention_heads", nh))
    inter, b = c.int("intermediate_size", default=2 * h), c.bool("attention_bias")
    block = h * k * k + 2 * h + attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b)
    block += 2 * h * inter + inter * h + 2 * h
    t.add("attention", c.int("num_attention_layers") * 2 * block)
    if head == KEYPOINTS:
        dims = c.ints("fine_fusion_dims", default=list(reversed(c.ints("out_features")))[:-1])
        if not dims:
            raise NotExact("fine_fusion_dims must not be empty")
        n = dims[0] * dims[0]
        for a, m in zip(dims[1:], dims, strict=False):
            n += a * m + 9 * m * m + 2 * m + 9 * m * a
        t.add("heads", n)
    return t


register_own("superpoint", superpoint, "SuperPoint", classes={"SuperPointForKeypointDetection": KEYPOINTS})
register_own("lightglue", lightglue, "LightGlue", classes={"LightGlueForKeypointMatching": KEYPOINTS})
register_own(
    "efficientloftr",
    efficientloftr,
    "EfficientLoFTR",
    classes={"EfficientLoFTRForKeypointMatching": KEYPOINTS},
)


# ----------------------------------------------------------------------------- MaskFormer

MASKFORMER_SWIN = {"depths": [2, 2, 18, 2], "image_size": 384, "embed_dim": 128, "num_heads": [4, 8, 16, 32]}
MASKFORMER_SWIN.update(window_size=12, out_features=["stage1", "stage2", "stage3", "stage4"])
DETR_DECODER = {"d_model": 256, "decoder_layers": 6, "decoder_ffn_dim": 2048, "num_queries": 100}
MASKFORMER = {"fpn_feature_size": 256, "mask_feature_size": 256}
SEGMENT = "segmentation"  # head kind of the ...ForInstanceSegmentation / ...ForUniversalSegmentation classes


def _backbone_config(c: Cfg, swin_defaults: dict) -> Cfg:
    """The backbone sub-config as transformers builds it (the given dict, or the composite's swin defaults);
    timm or named-checkpoint backbones are not modelled."""
    if c.raw("backbone") is not None or c.bool("use_timm_backbone", default=False):
        raise NotExact("a named or timm backbone is not modelled")
    if c.raw("backbone_config") is None:
        return Cfg({**swin_defaults, "model_type": "swin"}, f"{c.name}.backbone_config")
    return c.sub("backbone_config")


def backbone(bc: Cfg, *, maskformer_swin: bool = False) -> tuple[Tally, list[int]]:
    """A Swin or ResNet backbone built by AutoBackbone and its output channels. ``maskformer_swin``: MaskFormer
    swaps Swin for MaskFormerSwinBackbone (final LayerNorm kept, a LayerNorm per stage, all four stages out)."""
    mt = bc.str("model_type", default="swin")
    if mt == "resnet":
        t = resnet(bc, "backbone")
        E, hs = bc.int("embedding_size", default=64), _sizes(bc, "hidden_sizes", [256, 512, 1024, 2048])
        names = ["stem"] + [f"stage{i}" for i in range(1, len(hs) + 1)]
        return t, _backbone_channels(bc, names, [E, *hs])
    if mt != "swin":
        raise NotExact(f"backbone model_type {mt!r} is not modelled")
    E, S = bc.int("embed_dim", default=96), len(bc.ints("depths", default=[2, 2, 6, 2]))
    widths = [int(E * 2**i) for i in range(S)]
    if not maskformer_swin:
        return swin(bc, "backbone"), _backbone_channels(
            bc, ["stem"] + [f"stage{i + 1}" for i in range(S)], [E, *widths]
        )
    if S != 4:
        raise NotExact("MaskFormer's Swin backbone needs exactly four stages")
    t = swin(bc, "model")
    t.add("norms", sum(2 * w for w in widths))
    return t, widths


def _detr_decoder_layers(d: Cfg) -> int:
    """DETR decoder: layers of self- and cross-attention (biased q/k/v/o), a 2-layer MLP, three LayerNorms; the
    final LayerNorm."""
    h, ff = d.int("d_model"), d.int("decoder_ffn_dim")
    return d.int("decoder_layers") * (8 * linear(h, h) + linear(h, ff) + linear(ff, h) + 6 * h) + 2 * h


def maskformer(c: Cfg, head: str) -> Tally:
    """MaskFormerModel: the backbone, the FPN pixel decoder (bias-free convs with GroupNorms, a 3x3 mask
    projection), query embeddings, an input projection when widths differ, the DETR decoder;
    ForInstanceSegmentation adds the class predictor and the 3-layer mask embedder."""
    claim_heads(head, SEGMENT, family="maskformer")
    c = with_defaults(c, MASKFORMER)
    d = with_defaults(c.sub("decoder_config", default={}), DETR_DECODER)
    if d.str("model_type", default="detr") != "detr":
        raise NotExact("a transformer decoder other than DETR is not modelled")
    t, ch = backbone(_backbone_config(c, MASKFORMER_SWIN), maskformer_swin=True)
    fs, ms, h = c.int("fpn_feature_size"), c.int("mask_feature_size"), d.int("d_model")
    fpn = 9 * ch[-1] * fs + 2 * fs + sum(lw * fs + 2 * fs + 9 * fs * fs + 2 * fs for lw in ch[:-1])
    t.add("other", fpn + linear(9 * fs, ms))
    t.add("embeddings", d.int("num_queries") * h + (linear(ch[-1], h) if ch[-1] != h else 0))
    t.add("attention", _detr_decoder_layers(d))
    if head == SEGMENT:
        t.add("heads", linear(h, c.num_labels() + 1) + feed_forward([h, h, h, ms]))
    return t


register_own("maskformer", maskformer, "MaskFormer", classes={"MaskFormerForInstanceSegmentation": SEGMENT})


# ----------------------------------------------------------------------------- Mask2Former and OneFormer

MASK2FORMER = {"feature_size": 256, "mask_feature_size": 256, "hidden_dim": 256}
MASK2FORMER.update(encoder_feedforward_dim=1024, encoder_layers=6, decoder_layers=10, num_attention_heads=8)
MASK2FORMER.update(dim_feedforward=2048, enforce_input_projection=False, common_stride=4, num_queries=100)
MASK2FORMER.update(feature_strides=[4, 8, 16, 32])
MASK2FORMER_SWIN = {"depths": [2, 2, 18, 2], "out_features": ["stage1", "stage2", "stage3", "stage4"]}
LEVELS, POINTS = 3, 4  # feature levels and sampling points of the multi-scale deformable pixel decoder


def msdeform_pixel_decoder(channels: list[int], c: Cfg, *, fs: int, mask_dim: int, strides: list[int]) -> int:
    """Mask2Former's pixel decoder (OneFormer's is the same): level embeddings, a 1x1 conv + GroupNorm per level
    input, encoder layers of multi-scale deformable attention (offsets, weights, value and output projections) with
    a 2-layer MLP and two LayerNorms, a 1x1 mask projection, and for each extra FPN level a bias-free lateral
    1x1 and output 3x3 conv, each with a GroupNorm."""
    nh, ffn = c.int("num_attention_heads"), c.int("encoder_feedforward_dim")
    n = LEVELS * fs + sum(linear(ch, fs) + 2 * fs for ch in channels[-LEVELS:])
    msda = linear(fs, nh * LEVELS * POINTS * 3) + 2 * linear(fs, fs)
    n += c.int("encoder_layers") * (msda + linear(fs, ffn) + linear(ffn, fs) + 4 * fs)
    n += linear(fs, mask_dim)
    if not strides or min(strides[-LEVELS:]) <= 0 or c.int("common_stride") <= 0:
        raise NotExact("feature strides and common_stride must be positive")
    n_fpn = int(math.log2(min(strides[-LEVELS:])) - math.log2(c.int("common_stride")))
    return n + sum(ch * fs + 2 * fs + 9 * fs * fs + 2 * fs for ch in channels[:n_fpn])


def _decoder_layer(h: int, ff: int) -> int:
    """A masked-attention decoder layer: self- and cross-attention (biased q/k/v/o), a 2-layer MLP, three
    LayerNorms."""
    return 8 * linear(h, h) + linear(h, ff) + linear(ff, h) + 6 * h


def mask2former(c: Cfg, head: str) -> Tally:
    """Mask2FormerModel: the backbone, the deformable pixel decoder, query features and embeddings, three input
    projections when widths differ, the masked-attention decoder (decoder_layers - 1 layers, LayerNorm, 3-layer
    mask embedder) and level embeddings; ForUniversalSegmentation adds the class predictor."""
    claim_heads(head, SEGMENT, family="mask2former")
    c = with_defaults(c, MASK2FORMER)
    t, ch = backbone(_backbone_config(c, MASK2FORMER_SWIN))
    fs, ms, h = c.int("feature_size"), c.int("mask_feature_size"), c.int("hidden_dim")
    t.add("other", msdeform_pixel_decoder(ch, c, fs=fs, mask_dim=ms, strides=c.ints("feature_strides")))
    proj = LEVELS * linear(fs, h) if fs != h or c.bool("enforce_input_projection") else 0
    t.add("embeddings", 2 * c.int("num_queries") * h + proj + LEVELS * h)
    L = max(c.int("decoder_layers") - 1, 0)
    t.add("attention", L * _decoder_layer(h, c.int("dim_feedforward")) + 2 * h + feed_forward([h, h, h, ms]))
    if head == SEGMENT:
        t.add("heads", linear(h, c.num_labels() + 1))
    return t


ONEFORMER = {"num_queries": 150, "conv_dim": 256, "mask_dim": 256, "hidden_dim": 256}
ONEFORMER.update(encoder_feedforward_dim=1024, encoder_layers=6, decoder_layers=10, num_attention_heads=8)
ONEFORMER.update(dim_feedforward=2048, query_dec_layers=2, common_stride=4, strides=[4, 8, 16, 32])
ONEFORMER.update(task_seq_len=77, is_training=False)
ONEFORMER.update(text_encoder_width=256, text_encoder_context_length=77, text_encoder_num_layers=6)
ONEFORMER.update(text_encoder_vocab_size=49408, text_encoder_proj_layers=2, text_encoder_n_ctx=16)
ONEFORMER.update(contrastive_temperature=0.07)
ONEFORMER_SWIN = {"out_features": ["stage1", "stage2", "stage3", "stage4"]}


def _oneformer_text_mapper(c: Cfg, h: int) -> int:
    """The training-only text mapper: a CLIP-style text encoder (token and position tables, layers of
    multi-head attention and a 4x MLP with two LayerNorms, final LayerNorm), the text projector MLP and the
    prompt context embeddings."""
    w, layers = c.int("text_encoder_width"), c.int("text_encoder_num_layers")
    n = c.int("text_encoder_context_length") * w + 2 * w + c.int("text_encoder_vocab_size") * w
    n += layers * (4 * linear(w, w) + 4 * w + linear(w, 4 * w) + linear(4 * w, w))
    p = c.int("text_encoder_proj_layers")
    if p < 1:
        raise NotExact("text_encoder_proj_layers below 1 is not modelled")
    return n + feed_forward([w] + [h] * p) + max(c.int("text_encoder_n_ctx"), 0) * w


def oneformer(c: Cfg, head: str) -> Tally:
    """OneFormerModel: the backbone, the deformable pixel decoder, query embeddings, the task-conditioned query
    transformer (query_dec_layers layers + LayerNorm), the decoder (LayerNorm, decoder_layers - 1 layers, query
    input projection, class embedding, 3-layer mask embedder), level embeddings, the task MLP and, when
    is_training, the text mapper (OneFormer's level input projections are a plain list: no parameters);
    ForUniversalSegmentation adds the contrastive logit scale."""
    claim_heads(head, SEGMENT, family="oneformer")
    c = with_defaults(c, ONEFORMER)
    t, ch = backbone(_backbone_config(c, ONEFORMER_SWIN))
    fs, ms, h = c.int("conv_dim"), c.int("mask_dim"), c.int("hidden_dim")
    t.add("other", msdeform_pixel_decoder(ch, c, fs=fs, mask_dim=ms, strides=c.ints("strides")))
    t.add("embeddings", c.int("num_queries") * h + LEVELS * h)
    ff = c.int("dim_feedforward")
    n = c.int("query_dec_layers") * _decoder_layer(h, ff) + 2 * h + 2 * h
    n += max(c.int("decoder_layers") - 1, 0) * _decoder_layer(h, ff) + linear(fs, h)
    n += linear(h, c.num_labels() + 1) + feed_forward([h, h, h, ms])
    t.add("attention", n)
    t.add("other", feed_forward([c.int("task_seq_len"), h, h]))
    if c.bool("is_training"):
        t.add("other", _oneformer_text_mapper(c, h))
    if head == SEGMENT and c.raw("contrastive_temperature") is not None:
        t.add("heads", 1)
    return t


register_own(
    "mask2former", mask2former, "Mask2Former", classes={"Mask2FormerForUniversalSegmentation": SEGMENT}
)
register_own("oneformer", oneformer, "OneFormer", classes={"OneFormerForUniversalSegmentation": SEGMENT})
