"""Segmentation, video-tracking and matching models: the SAM 2 / SAM 3 video trackers (SAM 2's image tree plus the
memory attention and memory encoder), SAM 3 (detector), MaskFormer / Mask2Former / OneFormer (pixel decoder and
transformer decoder over a backbone), EfficientLoFTR and LightGlue (keypoint matching).

Each formula follows the module tree transformers 5 builds for the class it claims; every other head raises
NotExact, so the answer is ``unknown``, never a guess.
"""

from __future__ import annotations

import math

from hubscan.estimate.families.common import Cfg, NotExact, Tally, linear, positive
from hubscan.estimate.families.vision_dense import (
    SAM2_VISION,
    _base_only,
    _sam2_like,
    feed_forward,
    sam2_vision_model,
    sam3_vision_model,
)
from hubscan.estimate.families.vision_more import register_own, with_defaults

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


def _memory_attention(c: Cfg) -> int:
    """Memory attention: per layer a RoPE self-attention, a RoPE cross-attention from 64-wide memory keys, a
    2-layer MLP and three LayerNorms; a final LayerNorm (rotary tables are buffers)."""
    h, ff = c.int("memory_attention_hidden_size"), c.int("memory_attention_feed_forward_hidden_size")
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


def _sam2_video_like(c: Cfg, vision_type: str, vision, vision_defaults: dict) -> Tally:
    t = _sam2_like(c, vision_type, vision, vision_defaults)
    m = with_defaults(c, SAM2_MEMORY)
    fpn = with_defaults(c.sub("vision_config", default={}), vision_defaults).int("fpn_hidden_size")
    t.add("other", _memory_attention(m) + _memory_encoder(m) + _video_extras(m, fpn))
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


register_own("sam2_video", sam2_video, "Sam2Video")
register_own("sam3_tracker_video", sam3_tracker_video, "Sam3TrackerVideo", stem="Sam3")
