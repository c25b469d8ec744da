"""Vision and audio towers of VL / omni configs (``vision_config`` / ``audio_config``) for the structural estimator.

Qwen3-VL style vision towers (``deepstack_visual_indexes`` / ``out_hidden_size`` / ``spatial_merge_size``) are
counted module by module. Any other tower gets a ViT-shaped estimate and marks the whole count approximate.
"""

from __future__ import annotations

from hubscan.estimate._cfg import Cfg, ConfigProblem, Tally

_QWEN_VL_KEYS = ("out_hidden_size", "spatial_merge_size", "temporal_patch_size", "depth")


def qwen_vl_vision(v: Cfg) -> int:
    hv = v.int("hidden_size")
    depth = v.int("depth")
    inter = v.int("intermediate_size")
    out = v.int("out_hidden_size")
    m = v.int("spatial_merge_size")
    p = v.int("patch_size")
    tp = v.int("temporal_patch_size")
    ch = v.int("in_channels", "in_chans", default=3)
    n = ch * tp * p * p * hv + hv  # Conv3d patch embedding with bias
    n += v.int("num_position_embeddings", default=0) * hv
    block = 4 * hv + (3 * hv * hv + 3 * hv) + (hv * hv + hv) + (hv * inter + inter) + (inter * hv + hv)
    n += depth * block
    merged = hv * m * m
    merger = merged * merged + merged + merged * out + out
    n += 2 * hv + merger
    deepstack = v.raw("deepstack_visual_indexes", default=[])
    if not isinstance(deepstack, list):
        raise ConfigProblem("vision_config.deepstack_visual_indexes is not a list")
    n += len(deepstack) * (2 * merged + merger)
    return n


def vit_like(v: Cfg, text_h: int) -> int:
    """A ViT-shaped tower plus a two-layer projector: an estimate, not an exact count."""
    hv = v.int("hidden_size", "embed_dim", "width", "d_model")
    L = v.int("depth", "num_hidden_layers", "num_layers", "encoder_layers", "layers")
    inter = v.int("intermediate_size", "encoder_ffn_dim", default=4 * hv)
    p = v.int("patch_size", default=0)
    img = v.int("image_size", default=0)
    ch = v.int("num_channels", "in_channels", "num_mel_bins", default=3)
    n = L * (4 * hv * hv + 4 * hv + 2 * hv * inter + inter + hv + 4 * hv) + 2 * hv
    if p:
        n += ch * p * p * hv + hv + (img // p) ** 2 * hv if img else ch * p * p * hv + hv
    return n + hv * text_h + text_h + text_h * text_h + text_h


def count_towers(config: dict, text_h: int, t: Tally) -> None:
    root = Cfg(config)
    for key in ("vision_config", "audio_config", "speech_config"):
        sub = config.get(key)
        if not isinstance(sub, dict):
            continue
        v = Cfg(sub, f"config.{key}")
        if key == "vision_config" and all(v.has(k) for k in _QWEN_VL_KEYS):
            t.add("vision", qwen_vl_vision(v))
            continue
        t.add("vision" if key == "vision_config" else "audio", vit_like(v, text_h))
        t.approx.append(f"{key}: tower counted as a generic ViT-shaped encoder + projector (estimate)")
    if root.has("projector_hidden_act", "mm_projector_type") and not t.parts.get("vision"):
        t.approx.append("a multimodal projector is declared but no tower shape was recognised")
