"""Vision transformers and dual encoders: ViT, DeiT, DINOv2, CLIP, SigLIP."""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear
from hubscan.estimate.families.registry import register


def _enc(t: Tally, L: int, h: int, inter: int, *, qkv_bias: bool = True) -> None:
    """Pre-LN ViT/CLIP encoder layers: 2 LayerNorms, q/k/v/o, 2-layer MLP."""
    t.add("attention", L * (3 * linear(h, h, qkv_bias) + linear(h, h)))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h)
    t.has_kv = False
    for _ in range(L):
        t.kv_layers.append(KVLayer(0, None, h))


def _patches(c: Cfg, image_default: int, patch_default: int) -> tuple[int, int, int]:
    image = c.raw("image_size", default=image_default)
    patch = c.raw("patch_size", default=patch_default)
    if isinstance(image, list):
        if len(image) != 2:
            raise ConfigProblem("image_size list must have two entries")
        ih, iw = image
    else:
        ih = iw = image
    if isinstance(patch, list):
        ph, pw = patch
    else:
        ph = pw = patch
    for v in (ih, iw, ph, pw):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ConfigProblem("image_size / patch_size must be positive integers")
    return (ih // ph) * (iw // pw), ph, pw


def vit(c: Cfg, head: str, *, deit: bool = False) -> Tally:
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=None)
    if inter is None:
        if c.has("mlp_ratio", "layerscale_value"):
            raise ConfigProblem(
                "no intermediate_size, but DINOv2-style keys (mlp_ratio/layerscale_value): "
                "transformers' ViT would silently use its default 3072"
            )
        inter = 3072
    C = c.int("num_channels", default=3)
    n, ph, pw = _patches(c, 224, 16)
    extra = 2 if deit else 1
    t = Tally()
    t.add("embeddings", C * ph * pw * h + h + extra * h + (n + extra) * h)
    _enc(t, L, h, inter, qkv_bias=c.bool("qkv_bias", default=True))
    t.add("norms", 2 * h)
    labels = c.num_labels()
    if head == "model":
        t.add("heads", linear(h, c.int("pooler_output_size", default=h)))
    elif head == "img_cls":
        t.add("heads", linear(h, labels))
    elif head == "img_cls_teacher" and deit:
        t.add("heads", 2 * linear(h, labels))
    else:
        raise NotExact(f"output head '{head}' is not modelled for vit")
    return t


def dinov2(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    ratio = c.num("mlp_ratio", default=4)
    C = c.int("num_channels", default=3)
    n, ph, pw = _patches(c, 224, 14)
    t = Tally()
    t.add("embeddings", C * ph * pw * h + h + 2 * h + (n + 1) * h)  # patch conv, cls, mask token, positions
    qb = c.bool("qkv_bias", default=True)
    t.add("attention", L * (3 * linear(h, h, qb) + linear(h, h)))
    hidden = int(h * ratio)
    if c.bool("use_swiglu_ffn", default=False):
        hidden = (int(hidden * 2 / 3) + 7) // 8 * 8
        t.add("mlp", L * (linear(h, 2 * hidden) + linear(hidden, h)))
    else:
        t.add("mlp", L * (linear(h, hidden) + linear(hidden, h)))
    t.add("norms", L * 4 * h + 2 * h)
    t.add("other", L * 2 * h)  # layer_scale1/2
    t.has_kv = False
    if head == "img_cls":
        t.add("heads", linear(2 * h, c.num_labels()))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for dinov2")
    return t


CLIP_TEXT = {
    "hidden_size": 512,
    "num_hidden_layers": 12,
    "intermediate_size": 2048,
    "vocab_size": 49408,
    "max_position_embeddings": 77,
}
CLIP_VISION = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "intermediate_size": 3072,
    "image_size": 224,
    "patch_size": 32,
    "num_channels": 3,
}
SIGLIP_TEXT = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "intermediate_size": 3072,
    "vocab_size": 32000,
    "max_position_embeddings": 64,
}
SIGLIP_VISION = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "intermediate_size": 3072,
    "image_size": 224,
    "patch_size": 16,
    "num_channels": 3,
}


def _get(c: Cfg, key: str, defaults: dict) -> int:
    return c.int(key, default=defaults[key])


def clip_text(c: Cfg, *, siglip: bool = False) -> Tally:
    d = SIGLIP_TEXT if siglip else CLIP_TEXT
    h, L, inter = _get(c, "hidden_size", d), _get(c, "num_hidden_layers", d), _get(c, "intermediate_size", d)
    V, P = _get(c, "vocab_size", d), _get(c, "max_position_embeddings", d)
    t = Tally()
    t.embed(V * h)
    t.add("embeddings", P * h)
    _enc(t, L, h, inter)
    t.add("norms", 2 * h)
    if siglip:
        t.add("heads", linear(h, c.int("projection_size", default=h)))
    return t


def clip_vision(c: Cfg, *, siglip: bool = False, use_head: bool | None = None) -> Tally:
    d = SIGLIP_VISION if siglip else CLIP_VISION
    h, L, inter = _get(c, "hidden_size", d), _get(c, "num_hidden_layers", d), _get(c, "intermediate_size", d)
    C = _get(c, "num_channels", d)
    n, ph, pw = _patches(c, d["image_size"], d["patch_size"])
    t = Tally()
    if siglip:
        t.add("embeddings", C * ph * pw * h + h + n * h)
    else:
        t.add("embeddings", C * ph * pw * h + h + (n + 1) * h)
        t.add("norms", 2 * h)  # pre_layrnorm
    _enc(t, L, h, inter)
    t.add("norms", 2 * h)  # post_layernorm
    if siglip and (c.bool("vision_use_head", default=True) if use_head is None else use_head):
        t.add("heads", h + 3 * h * h + 3 * h + linear(h, h) + 2 * h + linear(h, inter) + linear(inter, h))
    return t


def clip(c: Cfg, head: str) -> Tally:
    tc, vc = c.sub("text_config", default={}), c.sub("vision_config", default={})
    proj = c.int("projection_dim", default=512)
    t = clip_text(tc)
    v = clip_vision(vc)
    t.merge(v)
    th, vh = _get(tc, "hidden_size", CLIP_TEXT), _get(vc, "hidden_size", CLIP_VISION)
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for clip")
    t.add("heads", vh * proj + th * proj + 1)
    return t


def siglip(c: Cfg, head: str) -> Tally:
    tc, vc = c.sub("text_config", default={}), c.sub("vision_config", default={})
    t = clip_text(tc, siglip=True)
    t.merge(clip_vision(vc, siglip=True))
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for siglip")
    t.add("other", 2)  # logit_scale, logit_bias
    return t


register("vit", vit, "ViT")
register("deit", lambda c, h: vit(c, h, deit=True), "DeiT", name="deit")
register("dinov2", dinov2, "Dinov2")
register("clip", clip, "CLIP")
register("siglip", siglip, "Siglip")
