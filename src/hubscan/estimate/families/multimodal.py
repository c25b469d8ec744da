"""Multimodal wrappers with nested ``text_config`` / ``vision_config``: LLaVA, PaliGemma, Gemma 3, Idefics2/3."""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear
from hubscan.estimate.families.registry import FAMILIES, register
from hubscan.estimate.families.vision import CLIP_VISION, SIGLIP_VISION, clip_vision

# Class defaults transformers fills in for sub-configs that omit keys (transformers 5.x configuration classes).
TEXT_DEFAULTS = {
    "llama": {
        "vocab_size": 32000,
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
    },
    "mistral": {
        "vocab_size": 32000,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
    },
    "gemma": {
        "vocab_size": 256000,
        "hidden_size": 3072,
        "intermediate_size": 24576,
        "num_hidden_layers": 28,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "head_dim": 256,
    },
    "gemma2": {
        "vocab_size": 256000,
        "hidden_size": 2304,
        "intermediate_size": 9216,
        "num_hidden_layers": 26,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
        "head_dim": 256,
    },
    "gemma3_text": {
        "vocab_size": 262208,
        "hidden_size": 2304,
        "intermediate_size": 9216,
        "num_hidden_layers": 26,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
        "head_dim": 256,
    },
}
LLAVA_VISION = {
    "intermediate_size": 4096,
    "hidden_size": 1024,
    "patch_size": 14,
    "image_size": 336,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
}
PALIGEMMA_VISION = {
    "intermediate_size": 4096,
    "hidden_size": 1152,
    "patch_size": 14,
    "image_size": 224,
    "num_hidden_layers": 27,
    "num_attention_heads": 16,
    "vision_use_head": False,
}
PALIGEMMA_TEXT = {
    "hidden_size": 2048,
    "num_hidden_layers": 18,
    "intermediate_size": 16384,
    "num_attention_heads": 8,
    "num_key_value_heads": 1,
    "vocab_size": 257152,
    "head_dim": 256,
}
# A present sub-config gets its own class defaults; an absent one gets the wrapper's init kwargs.
VISION_CLASS_DEFAULTS = {"clip_vision_model": CLIP_VISION, "siglip_vision_model": SIGLIP_VISION}


def _with_defaults(sub: dict, defaults: dict) -> dict:
    merged = dict(defaults)
    merged.update({k: v for k, v in sub.items() if v is not None})
    return merged


def _text(c: Cfg, default_type: str, absent: dict | None = None) -> tuple[Tally, Cfg, int, int]:
    raw = c.data.get("text_config")
    if raw is None and absent is not None:
        raw, base = {}, absent
    else:
        raw = raw or {}
        base = None
    if not isinstance(raw, dict):
        raise ConfigProblem("text_config is not an object")
    mt = raw.get("model_type") or default_type
    fam = FAMILIES.get(mt)
    if fam is None:
        raise NotExact(f"text model_type {mt!r} has no analytic formula")
    tc = Cfg(_with_defaults(raw, TEXT_DEFAULTS.get(mt, {}) if base is None else base), "config.text_config")
    t = fam.formula(tc, "model")
    return t, tc, tc.int("hidden_size"), tc.int("vocab_size")


def _vision(c: Cfg, absent: dict, allowed: tuple[str, ...]) -> tuple[Tally, Cfg, int]:
    raw = c.data.get("vision_config")
    if raw is None:
        raw, defaults = {}, absent
    else:
        defaults = None
    if not isinstance(raw, dict):
        raise ConfigProblem("vision_config is not an object")
    mt = raw.get("model_type") or allowed[0]
    if mt not in allowed:
        raise NotExact(f"vision model_type {mt!r} is not modelled")
    vc = Cfg(
        _with_defaults(raw, VISION_CLASS_DEFAULTS[mt] if defaults is None else defaults),
        "config.vision_config",
    )
    siglip = mt.startswith("siglip")
    return clip_vision(vc, siglip=siglip), vc, vc.int("hidden_size")


def _finish(t: Tally, c: Cfg, head: str, V: int, th: int, tie: bool) -> Tally:
    if head in ("cond_gen", "causal_lm"):
        if not tie:
            t.add("heads", V * th)
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for this wrapper")
    return t


def llava(c: Cfg, head: str, *, towers: int = 1, absent: dict = LLAVA_VISION) -> Tally:
    """LLaVA; Video-LLaVA builds the same vision tower twice (image_tower and video_tower)."""
    t, tc, th, V = _text(c, "llama")
    v, vc, vh = _vision(c, absent, ("clip_vision_model", "siglip_vision_model"))
    for _ in range(towers):
        t.merge(v)
    layer = c.raw("vision_feature_layer", default=-2)
    n_feat = len(layer) if isinstance(layer, list) else 1
    bias = c.bool("multimodal_projector_bias", default=True)
    t.add("other", linear(vh * n_feat, th, bias) + linear(th, th, bias))
    tie = c.bool("tie_word_embeddings", default=False) or tc.bool("tie_word_embeddings", default=False)
    return _finish(t, c, head, V, th, tie)


def paligemma(c: Cfg, head: str) -> Tally:
    t, tc, th, V = _text(c, "gemma", PALIGEMMA_TEXT)
    v, vc, vh = _vision(c, PALIGEMMA_VISION, ("siglip_vision_model",))
    t.merge(v)
    proj = c.int("projection_dim", default=2048)
    t.add("other", linear(vh, proj))
    return _finish(t, c, head, V, th, c.bool("tie_word_embeddings", default=True))


def gemma3(c: Cfg, head: str) -> Tally:
    t, tc, th, V = _text(c, "gemma3_text")
    v, vc, vh = _vision(c, SIGLIP_VISION, ("siglip_vision_model",))
    t.merge(v)
    t.add("other", vh * th + vh)  # mm_input_projection_weight, mm_soft_emb_norm
    return _finish(t, c, head, V, th, c.bool("tie_word_embeddings", default=True))


# Idefics2/3 vision towers (SigLIP-style, no pooling head) and the Idefics2 perceiver: class defaults.
IDEFICS2_VISION = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_channels": 3,
    "image_size": 224,
    "patch_size": 32,
}
IDEFICS3_VISION = {**IDEFICS2_VISION, "hidden_size": 1152}
IDEFICS2_PERCEIVER = {
    "resampler_n_latents": 64,
    "resampler_depth": 3,
    "resampler_n_heads": 16,
    "resampler_head_dim": 96,
    "num_key_value_heads": 4,
}


def _idefics_vision(c: Cfg, defaults: dict) -> tuple[int, int]:
    """(parameters, hidden size) of the Idefics2/3 vision transformer (vision_config.model_type is ignored)."""
    raw = c.data.get("vision_config")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigProblem("vision_config is not an object")
    vc = Cfg(_with_defaults(raw, defaults), "config.vision_config")
    h, L, inter = vc.int("hidden_size"), vc.int("num_hidden_layers"), vc.int("intermediate_size")
    C, image, patch = vc.int("num_channels"), vc.int("image_size"), vc.int("patch_size")
    if patch <= 0:
        raise ConfigProblem("vision_config.patch_size must be positive")
    n = C * patch * patch * h + h + (image // patch) ** 2 * h  # patch conv, position embedding
    n += L * (4 * linear(h, h) + linear(h, inter) + linear(inter, h) + 4 * h)
    n += 2 * h  # post_layernorm
    return n, h


def _idefics_head(t: Tally, c: Cfg, head: str, V: int, th: int) -> Tally:
    # transformers ties lm_head to embed_tokens only when the wrapper config's own flag says so (default False)
    return _finish(t, c, head, V, th, c.bool("tie_word_embeddings", default=False))


def idefics2(c: Cfg, head: str) -> Tally:
    t, tc, th, V = _text(c, "mistral")
    vis, vh = _idefics_vision(c, IDEFICS2_VISION)
    t.add("other", vis)
    ti = tc.int("intermediate_size")
    t.add("other", 2 * vh * ti + ti * th)  # modality_projection: gated MLP vision -> text width, no biases
    raw = c.data.get("perceiver_config")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigProblem("perceiver_config is not an object")
    pc = Cfg(_with_defaults(raw, IDEFICS2_PERCEIVER), "config.perceiver_config")
    n_lat, depth = pc.int("resampler_n_latents"), pc.int("resampler_depth")
    nh, hd, kv = pc.int("resampler_n_heads"), pc.int("resampler_head_dim"), pc.int("num_key_value_heads")
    if kv > nh:
        raise ConfigProblem(f"perceiver num_key_value_heads={kv} exceeds resampler_n_heads={nh}")
    # the perceiver always runs at the text hidden size (transformers overrides perceiver_config.hidden_size)
    layer = 3 * th + th * nh * hd + 2 * th * kv * hd + nh * hd * th + 3 * th * 4 * th
    t.add("other", n_lat * th + depth * layer + th)
    return _idefics_head(t, c, head, V, th)


def idefics3(c: Cfg, head: str) -> Tally:
    t, tc, th, V = _text(c, "llama")
    vis, vh = _idefics_vision(c, IDEFICS3_VISION)
    t.add("other", vis)
    s = c.int("scale_factor", default=2)
    t.add("other", vh * s * s * th)  # connector: pixel-shuffle then one bias-free linear
    return _idefics_head(t, c, head, V, th)


BLIP_TEXT = {
    "vocab_size": 30524,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 8,
    "max_position_embeddings": 512,
}
BLIP_VISION = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "image_size": 384,
    "patch_size": 16,
}


def blip(c: Cfg, head: str) -> Tally:
    """BlipForConditionalGeneration: ViT image encoder + BERT-style text decoder with cross-attention."""
    if head != "cond_gen":
        raise NotExact(f"output head '{head}' is not modelled for blip (only BlipForConditionalGeneration)")
    for key in ("text_config", "vision_config"):
        if c.data.get(key) is not None and not isinstance(c.data[key], dict):
            raise ConfigProblem(f"{key} is not an object")
    tc = Cfg(_with_defaults(c.data.get("text_config") or {}, BLIP_TEXT), "config.text_config")
    vc = Cfg(_with_defaults(c.data.get("vision_config") or {}, BLIP_VISION), "config.vision_config")
    if tc.bool("is_decoder", default=True) is not True:
        raise NotExact("blip text_config.is_decoder=false is not modelled")
    vh, vL, vi = vc.int("hidden_size"), vc.int("num_hidden_layers"), vc.int("intermediate_size")
    image, patch = vc.int("image_size"), vc.int("patch_size")
    vnh = vc.int("num_attention_heads")
    if patch <= 0 or vnh <= 0 or vh % vnh:
        raise ConfigProblem(
            "blip vision_config needs a positive patch_size and hidden_size divisible by its heads"
        )
    t = Tally()
    n_pos = (image // patch) ** 2 + 1
    t.add("other", vh + 3 * patch * patch * vh + vh + n_pos * vh)  # class token, patch conv, positions
    t.add(
        "other",
        vL * (linear(vh, 3 * vh) + linear(vh, vh) + 4 * vh + linear(vh, vi) + linear(vi, vh)) + 2 * vh,
    )
    h, L, ti = tc.int("hidden_size"), tc.int("num_hidden_layers"), tc.int("intermediate_size")
    nh, V, P = tc.int("num_attention_heads"), tc.int("vocab_size"), tc.int("max_position_embeddings")
    if nh <= 0 or h % nh:
        raise ConfigProblem("blip text hidden_size must be divisible by num_attention_heads")
    t.embed(V * h)
    t.add("embeddings", P * h)
    t.add("norms", 2 * h + L * 3 * 2 * h)
    # self-attention; cross-attention keys/values read the vision width (encoder_hidden_size := vision hidden)
    t.add("attention", L * (4 * linear(h, h) + 2 * linear(h, h) + 2 * linear(vh, h)))
    t.add("mlp", L * (linear(h, ti) + linear(ti, h)))
    t.add("heads", linear(h, h) + 2 * h + V)  # prediction transform + output bias
    # the decoder weight/bias are tied to the word embeddings unless both the wrapper and text flags say false
    if not (c.bool("tie_word_embeddings", default=True) or tc.bool("tie_word_embeddings", default=True)):
        t.add("heads", V * h + V)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * h, None, h))
    return t


register("llava", llava, "Llava")
register(
    "video_llava",
    lambda c, h: llava(c, h, towers=2, absent={**LLAVA_VISION, "image_size": 224}),
    "VideoLlava",
    name="video_llava",
)
register("paligemma", paligemma, "PaliGemma")
register("gemma3", gemma3, "Gemma3")
register("idefics2", idefics2, "Idefics2")
register("idefics3", idefics3, "Idefics3")
register("blip", blip, "Blip")
