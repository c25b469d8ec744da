"""More vision encoders: ViT variants (MSN, I-JEPA, MAE, YOLOS, DINOv2 with registers), video ViTs (VideoMAE,
ViViT, TimeSformer) and the standalone CLIP / SigLIP / Idefics3 towers that VL composites embed.

Each formula follows the module tree transformers 5 builds for the class; heads not listed in a registration
raise NotExact (the answer is ``unknown``, never a guess).
"""

from __future__ import annotations

from functools import partial

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    layer_types,
    linear,
    positive,
)
from hubscan.estimate.families.hierarchical import convnext, swin
from hubscan.estimate.families.multimodal import IDEFICS3_VISION, _idefics_vision
from hubscan.estimate.families.registry import HEAD_SUFFIXES, Formula, architecture_of, register
from hubscan.estimate.families.vision import (
    CLIP_VISION,
    SIGLIP_VISION,
    _patches,
    clip,
    clip_text,
    clip_vision,
    dinov2,
)
from hubscan.estimate.towers import qwen_vl_vision

VIT_BASE = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "num_channels": 3,
    "image_size": 224,
    "patch_size": 16,
    "qkv_bias": True,
}


def with_defaults(c: Cfg, defaults: dict) -> Cfg:
    """The config as the class sees it: keys it omits take the configuration class's defaults."""
    merged = dict(defaults)
    merged.update({k: v for k, v in c.data.items() if v is not None})
    return Cfg(merged, c.name)


def attn_width(c: Cfg, h: int) -> int:
    """``num_attention_heads * (hidden_size // num_attention_heads)``: the q/k/v width transformers builds."""
    nh = positive("num_attention_heads", c.int("num_attention_heads"))
    return nh * (h // nh)


def vit_blocks(
    t: Tally,
    c: Cfg,
    h: int,
    *,
    q_bias: bool = True,
    k_bias: bool = True,
    v_bias: bool = True,
    extra: int = 0,
    width: int | None = None,
) -> None:
    """Pre-LN encoder layers: 2 LayerNorms, q/k/v/o, fc1/fc2 (``extra`` parameters more per layer); the q/k/v
    width is ``width`` or heads x (hidden // heads)."""
    L, inter = c.int("num_hidden_layers"), c.int("intermediate_size")
    a = attn_width(c, h) if width is None else width
    t.add(
        "attention", L * (linear(h, a, q_bias) + linear(h, a, k_bias) + linear(h, a, v_bias) + linear(a, h))
    )
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h)
    t.add("other", L * extra)
    t.has_kv = False
    for _ in range(L):
        t.kv_layers.append(KVLayer(0, None, a))


def classifier(t: Tally, c: Cfg, head: str, width: int, heads: tuple[str, ...], family: str) -> None:
    """The base model adds nothing; a claimed classification head is one linear (Identity with 0 labels)."""
    if head == "model":
        return
    if head not in heads:
        raise NotExact(f"output head '{head}' is not modelled for {family}")
    labels = c.num_labels()
    if labels > 0:
        t.add("heads", linear(width, labels))


def _patch_conv(c: Cfg, h: int) -> tuple[Tally, int]:
    """A Tally holding the 2-D patch convolution (with bias), and the number of patches."""
    n, ph, pw = _patches(c, 224, 16)
    t = Tally()
    t.add("embeddings", c.int("num_channels") * ph * pw * h + h)
    return t, n


def _plain_vit(c: Cfg, head: str, family: str, *, cls: bool, heads: tuple[str, ...]) -> Tally:
    """ViT without pooler: patch conv, optional [CLS], learned positions, encoder, final LayerNorm."""
    c = with_defaults(c, VIT_BASE)
    h = c.int("hidden_size")
    t, n = _patch_conv(c, h)
    t.add("embeddings", (n + cls) * h + cls * h)
    vit_blocks(t, c, h, q_bias=c.bool("qkv_bias"), k_bias=c.bool("qkv_bias"), v_bias=c.bool("qkv_bias"))
    t.add("norms", 2 * h)
    classifier(t, c, head, h, heads, family)
    return t


def vit_msn(c: Cfg, head: str) -> Tally:
    return _plain_vit(c, head, "vit_msn", cls=True, heads=("img_cls",))


def ijepa(c: Cfg, head: str) -> Tally:
    return _plain_vit(c, head, "ijepa", cls=False, heads=("img_cls",))


def vit_mae(c: Cfg, head: str) -> Tally:
    return _plain_vit(c, head, "vit_mae", cls=True, heads=())


YOLOS = {
    **VIT_BASE,
    "image_size": [512, 864],
    "num_detection_tokens": 100,
    "use_mid_position_embeddings": True,
}


def yolos(c: Cfg, head: str) -> Tally:
    """YolosModel: [CLS] + detection tokens, positions (and per-layer mid positions), pooler."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for yolos")
    c = with_defaults(c, YOLOS)
    h, det, L = c.int("hidden_size"), c.int("num_detection_tokens"), c.int("num_hidden_layers")
    t, n = _patch_conv(c, h)
    t.add("embeddings", h + det * h + (n + det + 1) * h)
    if c.bool("use_mid_position_embeddings"):
        image, p = c.ints("image_size"), c.int("patch_size")
        if len(image) != 2 or p <= 0:
            raise ConfigProblem("yolos image_size must be [height, width] and patch_size positive")
        t.add("embeddings", max(L - 1, 0) * (1 + image[0] * image[1] // p**2 + det) * h)
    qb = c.bool("qkv_bias")
    vit_blocks(t, c, h, q_bias=qb, k_bias=qb, v_bias=qb)
    t.add("norms", 2 * h)
    t.add("heads", linear(h, h))
    return t


DINOV2_REGISTERS = {**VIT_BASE, "mlp_ratio": 4, "num_register_tokens": 4}


def dinov2_with_registers(c: Cfg, head: str) -> Tally:
    """DINOv2 plus ``num_register_tokens`` learned tokens; the backbone has the same parameters as the model."""
    c = with_defaults(c, DINOV2_REGISTERS)
    t = dinov2(c, "model" if head == "backbone" else head)
    t.add("embeddings", c.int("num_register_tokens") * c.int("hidden_size"))
    return t


# ----------------------------------------------------------------------------- video transformers

VIDEOMAE = {**VIT_BASE, "num_frames": 16, "tubelet_size": 2, "qv_bias": True, "use_mean_pooling": True}


def videomae(c: Cfg, head: str) -> Tally:
    """VideoMAEModel: Conv3d tubelet embedding, fixed sinusoidal positions (a buffer), no key bias."""
    c = with_defaults(c, VIDEOMAE)
    h, tub, p = c.int("hidden_size"), c.int("tubelet_size"), c.int("patch_size")
    t = Tally()
    t.add("embeddings", c.int("num_channels") * tub * p * p * h + h)
    qv = c.bool("qv_bias")
    vit_blocks(t, c, h, q_bias=qv, k_bias=False, v_bias=qv)
    mean = c.bool("use_mean_pooling")
    if not mean:
        t.add("norms", 2 * h)
    if head == "video_cls" and mean:
        t.add("heads", 2 * h)  # fc_norm
    classifier(t, c, head, h, ("video_cls",), "videomae")
    return t


VIVIT = {**VIT_BASE, "num_frames": 32, "tubelet_size": [2, 16, 16], "pooler_output_size": None}


def vivit(c: Cfg, head: str) -> Tally:
    c = with_defaults(c, VIVIT)
    h = c.int("hidden_size")
    tub, frames, image = c.ints("tubelet_size"), c.int("num_frames"), c.int("image_size")
    if len(tub) != 3 or min(tub) <= 0:
        raise ConfigProblem("vivit tubelet_size must be three positive integers")
    n = (frames // tub[0]) * (image // tub[1]) * (image // tub[2])
    t = Tally()
    t.add("embeddings", c.int("num_channels") * tub[0] * tub[1] * tub[2] * h + h + h + (n + 1) * h)
    qb = c.bool("qkv_bias")
    vit_blocks(t, c, h, q_bias=qb, k_bias=qb, v_bias=qb)
    t.add("norms", 2 * h)
    if head == "model":
        t.add("heads", linear(h, c.int("pooler_output_size", default=h)))
    classifier(t, c, head, h, ("video_cls",), "vivit")
    return t


TIMESFORMER = {**VIT_BASE, "num_frames": 8, "attention_type": "divided_space_time"}


def timesformer(c: Cfg, head: str) -> Tally:
    c = with_defaults(c, TIMESFORMER)
    h, kind = c.int("hidden_size"), c.str("attention_type")
    if kind not in ("divided_space_time", "space_only", "joint_space_time"):
        raise ConfigProblem(f"timesformer attention_type {kind!r} is not one transformers accepts")
    t, n = _patch_conv(c, h)
    t.add("embeddings", h + (n + 1) * h + (0 if kind == "space_only" else c.int("num_frames") * h))
    qb = c.bool("qkv_bias")
    attention = linear(h, 3 * h, qb) + linear(h, h)
    # temporal branch: LayerNorm, a second attention block and temporal_dense
    temporal = 2 * h + attention + linear(h, h) if kind == "divided_space_time" else 0
    vit_blocks(t, c, h, q_bias=qb, k_bias=qb, v_bias=qb, extra=temporal, width=h)  # qkv is hidden x 3 hidden
    t.add("norms", 2 * h)
    classifier(t, c, head, h, ("video_cls",), "timesformer")
    return t


# ----------------------------------------------------------------------------- standalone towers

CLIP_TEXT_MODEL = {"projection_dim": 512}


def clip_text_model(c: Cfg, head: str) -> Tally:
    t = clip_text(c)
    if head == "with_projection":
        t.add("heads", c.int("hidden_size", default=512) * c.int("projection_dim", default=512))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for clip_text_model")
    return t


def clip_vision_model(c: Cfg, head: str) -> Tally:
    t = clip_vision(with_defaults(c, CLIP_VISION))
    if head == "with_projection":
        t.add("heads", c.int("hidden_size", default=768) * c.int("projection_dim", default=512))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for this CLIP vision tower")
    return t


def siglip_vision_model(c: Cfg, head: str) -> Tally:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for siglip_vision_model")
    return clip_vision(with_defaults(c, SIGLIP_VISION), siglip=True)


SIGLIP2_VISION = {**SIGLIP_VISION, "num_patches": 256}


def siglip2_vision_model(c: Cfg, head: str) -> Tally:
    """Siglip2: a Linear patch embedding (same count as a conv with bias) and ``num_patches`` positions."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for siglip2_vision_model")
    c = with_defaults(c, SIGLIP2_VISION)
    p = c.int("patch_size")
    one_patch = Cfg({**c.data, "image_size": p}, c.name)  # count as one position, then add the others
    t = clip_vision(one_patch, siglip=True)
    t.add("embeddings", (c.int("num_patches") - 1) * c.int("hidden_size"))
    return t


COSMOS3_EDGE_VISION = {
    **SIGLIP2_VISION,
    "hidden_size": 1152,
    "intermediate_size": 4304,
    "num_hidden_layers": 27,
}
COSMOS3_EDGE_VISION.update(num_attention_heads=16)


def cosmos3_edge_vision(c: Cfg, head: str) -> Tally:
    """Cosmos3-Edge vision: the SigLIP2 layout (num_patches positions) without the attention-pooling head."""
    _model_only(head, "cosmos3_edge_vision")
    merged = with_defaults(c, COSMOS3_EDGE_VISION)
    return siglip2_vision_model(Cfg({**merged.data, "vision_use_head": False}, c.name), head)


MINICPM_VISION = {**SIGLIP_VISION, "window_kernel_size": [2, 2]}


def minicpm_vision(c: Cfg, head: str) -> Tally:
    """MiniCPM-V 4.7 / MiniCPM-OCR vision: the SigLIP layout without pooling head, plus the window-attention
    merger (q/k/v/out, LayerNorm, LayerNorm and a two-layer MLP over the kernel window)."""
    _model_only(head, "this MiniCPM vision tower")
    c = with_defaults(c, MINICPM_VISION)
    t = clip_vision(Cfg({**c.data, "vision_use_head": False}, c.name), siglip=True)
    k = c.ints("window_kernel_size")
    if len(k) != 2:
        raise ConfigProblem("window_kernel_size must have two entries")
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    wh, wi = h * k[0] * k[1], inter * k[0] * k[1]
    t.add("other", 4 * linear(h, h) + 2 * h + 2 * wh + linear(wh, wi) + linear(wi, h))
    return t


def idefics3_vision(c: Cfg, head: str) -> Tally:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for this Idefics3-style vision tower")
    n, _ = _idefics_vision(Cfg({"vision_config": c.data}), IDEFICS3_VISION)
    t = Tally()
    t.add("other", n)
    t.has_kv = False
    return t


# ----------------------------------------------------------------------------- more ViT-shaped encoders

PIXTRAL = {**VIT_BASE, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24}
PIXTRAL.update(num_attention_heads=16, image_size=1024)


def pixtral(c: Cfg, head: str) -> Tally:
    """PixtralVisionModel: bias-free patch conv, RMSNorm before the blocks, bias-free attention (hidden x hidden)
    and gated MLP, two RMSNorms per block; rotary positions (no parameters)."""
    _model_only(head, "pixtral")
    c = with_defaults(c, PIXTRAL)
    h, inter, p = c.int("hidden_size"), c.int("intermediate_size"), c.int("patch_size")
    t = Tally()
    t.add("embeddings", c.int("num_channels") * p * p * h)
    t.add("norms", h)
    L = c.int("num_hidden_layers")
    t.add("attention", L * 4 * h * h)
    t.add("mlp", L * 3 * h * inter)
    t.add("norms", L * 2 * h)
    t.has_kv = False
    return t


INTERNVL_VISION = {**PIXTRAL, "image_size": [448, 448], "patch_size": [14, 14], "num_hidden_layers": 24}
INTERNVL_VISION.update(attention_bias=False, use_qk_norm=False, norm_type="layer_norm", use_mask_token=False)
INTERNVL_VISION.update(use_absolute_position_embeddings=True, use_mean_pooling=True)


def internvl_vision(c: Cfg, head: str) -> Tally:
    """InternVLVisionModel: BEiT-like; [CLS] (+ mask token), absolute positions, layer scale lambdas, optional
    full-width q/k RMSNorms, LayerNorm or RMSNorm blocks, a final LayerNorm unless mean pooling."""
    _model_only(head, "internvl_vision")
    c = with_defaults(c, INTERNVL_VISION)
    h = c.int("hidden_size")
    t, n = _patch_conv(c, h)
    t.add(
        "embeddings",
        h + h * c.bool("use_mask_token") + (n + 1) * h * c.bool("use_absolute_position_embeddings"),
    )
    norm = c.str("norm_type")
    if norm not in ("layer_norm", "rms_norm"):
        raise ConfigProblem(f"internvl_vision norm_type {norm!r} is not one transformers builds")
    b = c.bool("attention_bias")
    extra = 2 * h + 2 * h * c.bool("use_qk_norm") - (2 * h if norm == "rms_norm" else 0)
    vit_blocks(t, c, h, q_bias=b, k_bias=b, v_bias=b, extra=extra)
    if not c.bool("use_mean_pooling"):
        t.add("norms", 2 * h)
    return t


AIMV2_VISION = {**VIT_BASE, "hidden_size": 1024, "intermediate_size": 2816, "num_hidden_layers": 24}
AIMV2_VISION.update(num_attention_heads=8, patch_size=14, qkv_bias=False, mlp_bias=False, use_head=True)
AIMV2_VISION.update(is_native=False)


def _aimv2_layers(t: Tally, c: Cfg, h: int) -> None:
    """Aimv2 encoder layers: q/k/v/out (bias = qkv_bias), gated MLP (bias = mlp_bias), two RMSNorms."""
    L, inter, qb, mb = (
        c.int("num_hidden_layers"),
        c.int("intermediate_size"),
        c.bool("qkv_bias"),
        c.bool("mlp_bias"),
    )
    t.add("attention", L * 4 * linear(h, h, qb))
    t.add("mlp", L * (2 * linear(h, inter, mb) + linear(inter, h, mb)))
    t.add("norms", L * 2 * h + h)  # and the final RMSNorm
    t.has_kv = False


def aimv2_vision_model(c: Cfg, head: str) -> Tally:
    """Aimv2VisionModel: biased patch conv + RMSNorm, positions unless native, Aimv2 layers, final RMSNorm,
    attention-pooling head (cls token, k/v, output projection) if use_head."""
    _model_only(head, "aimv2_vision_model")
    c = with_defaults(c, AIMV2_VISION)
    h = c.int("hidden_size")
    p = positive("patch_size", c.int("patch_size"))
    t = Tally()
    t.add("embeddings", c.int("num_channels") * p * p * h + h + h)
    if not c.bool("is_native"):
        t.add("embeddings", (c.int("image_size") // p) ** 2 * h)
    _aimv2_layers(t, c, h)
    if c.bool("use_head"):
        t.add("heads", h + 2 * linear(h, h, c.bool("qkv_bias")) + linear(h, h))
    return t


AIMV2_TEXT = {"vocab_size": 49408, "hidden_size": 768, "intermediate_size": 2048, "num_hidden_layers": 12}
AIMV2_TEXT.update(max_position_embeddings=77, qkv_bias=False, mlp_bias=False)


def aimv2(c: Cfg, head: str) -> Tally:
    """Aimv2Model: Aimv2 text tower (tokens, positions, layers, RMSNorm), the vision tower, bias-free
    projections to projection_dim and logit_scale."""
    _model_only(head, "aimv2")
    tc = with_defaults(c.sub("text_config", default={}), AIMV2_TEXT)
    vc = with_defaults(c.sub("vision_config", default={}), AIMV2_VISION)
    th, vh, proj = tc.int("hidden_size"), vc.int("hidden_size"), c.int("projection_dim", default=512)
    t = aimv2_vision_model(vc, "model")
    t.embed(tc.int("vocab_size") * th)
    t.add("embeddings", tc.int("max_position_embeddings") * th)
    _aimv2_layers(t, tc, th)
    t.add("heads", vh * proj + th * proj + 1)
    return t


DINOV3_VIT = {**VIT_BASE, "hidden_size": 384, "intermediate_size": 1536, "num_attention_heads": 6}
DINOV3_VIT.update(query_bias=True, key_bias=False, value_bias=True, proj_bias=True, mlp_bias=True)
DINOV3_VIT.update(use_gated_mlp=False, num_register_tokens=0)


def dinov3_vit(c: Cfg, head: str) -> Tally:
    """DINOv3 ViT: [CLS], mask and register tokens, biased patch conv, rotary positions; per layer two
    LayerNorms, q/k/v/o with their own bias flags, two layer scales, (gated) MLP; final LayerNorm."""
    if head not in ("model", "backbone"):
        raise NotExact(f"output head '{head}' is not modelled for dinov3_vit")
    c = with_defaults(c, DINOV3_VIT)
    h, inter, mb = c.int("hidden_size"), c.int("intermediate_size"), c.bool("mlp_bias")
    p = positive("patch_size", c.int("patch_size"))
    t = Tally()
    t.add("embeddings", (2 + c.int("num_register_tokens")) * h + c.int("num_channels") * p * p * h + h)
    L = c.int("num_hidden_layers")
    bias = [c.bool(k) for k in ("query_bias", "key_bias", "value_bias", "proj_bias")]
    t.add("attention", L * sum(linear(h, h, b) for b in bias))
    gates = 2 if c.bool("use_gated_mlp") else 1
    t.add("mlp", L * (gates * linear(h, inter, mb) + linear(inter, h, mb)))
    t.add("norms", L * 4 * h + 2 * h)
    t.add("other", L * 2 * h)
    t.has_kv = False
    return t


PIXIO = {**VIT_BASE, "hidden_size": 1280, "num_hidden_layers": 32, "num_attention_heads": 16, "mlp_ratio": 4}
PIXIO.update(image_size=256, n_cls_tokens=8)


def pixio(c: Cfg, head: str) -> Tally:
    """PixioModel / PixioBackbone: ``n_cls_tokens`` class tokens, learned positions, ViT blocks with MLP width
    int(hidden x mlp_ratio), final LayerNorm; the backbone wraps the model and adds its own LayerNorm."""
    if head not in ("model", "backbone"):
        raise NotExact(f"output head '{head}' is not modelled for pixio")
    c = with_defaults(c, PIXIO)
    h, k = c.int("hidden_size"), c.int("n_cls_tokens")
    c = Cfg({**c.data, "intermediate_size": int(h * c.num("mlp_ratio"))}, c.name)
    t, n = _patch_conv(c, h)
    t.add("embeddings", k * h + (n + k) * h)
    qb = c.bool("qkv_bias")
    vit_blocks(t, c, h, q_bias=qb, k_bias=qb, v_bias=qb)
    t.add("norms", (4 if head == "backbone" else 2) * h)
    return t


QIANFAN_OCR_VISION = {**INTERNVL_VISION, "attention_bias": True}


def qianfan_ocr_vision(c: Cfg, head: str) -> Tally:
    """The InternVL vision tower under Qianfan-OCR's class defaults (biased q/k/v)."""
    return internvl_vision(with_defaults(c, QIANFAN_OCR_VISION), head)


TIPSV2_VISION = {**DINOV2_REGISTERS, "image_size": 448, "patch_size": 14, "num_register_tokens": 1}


def tipsv2_vision_model(c: Cfg, head: str) -> Tally:
    """TIPSv2's vision tower: the DINOv2-with-registers module tree under its own class defaults."""
    _model_only(head, "tipsv2_vision_model")
    return dinov2_with_registers(with_defaults(c, TIPSV2_VISION), head)


TIPSV2_TEXT = {"vocab_size": 32000, "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12}
TIPSV2_TEXT.update(num_attention_heads=12)


def tipsv2_text_model(c: Cfg, head: str) -> Tally:
    """Tipsv2TextModel: token embedding (sinusoidal positions, no table), CLIP-style layers, final LayerNorm."""
    _model_only(head, "tipsv2_text_model")
    c = with_defaults(c, TIPSV2_TEXT)
    h = c.int("hidden_size")
    t = Tally()
    t.embed(c.int("vocab_size") * h)
    vit_blocks(t, c, h, width=h)
    t.add("norms", 2 * h)
    return t


def tipsv2(c: Cfg, head: str) -> Tally:
    """Tipsv2Model: the text and vision towers and a learned temperature."""
    _model_only(head, "tipsv2")
    t = tipsv2_text_model(c.sub("text_config", default={}), "model")
    t.merge(tipsv2_vision_model(c.sub("vision_config", default={}), "model"))
    t.add("other", 1)
    return t


VIDEO_LLAMA_3_VISION = {**VIT_BASE}


def video_llama_3_vision(c: Cfg, head: str) -> Tally:
    """VideoLLaMA3's vision encoder: biased patch conv, rotary positions (no table), SigLIP-style layers,
    post LayerNorm."""
    _model_only(head, "video_llama_3_vision")
    c = with_defaults(c, VIDEO_LLAMA_3_VISION)
    h, p = c.int("hidden_size"), c.int("patch_size")
    t = Tally()
    t.add("embeddings", c.int("num_channels") * p * p * h + h)
    vit_blocks(t, c, h)
    t.add("norms", 2 * h)
    return t


def siglip2(c: Cfg, head: str) -> Tally:
    """Siglip2Model: the SigLIP text tower, the SigLIP2 vision tower, logit scale and bias."""
    _model_only(head, "siglip2")
    t = clip_text(c.sub("text_config", default={}), siglip=True)
    t.merge(siglip2_vision_model(c.sub("vision_config", default={}), "model"))
    t.add("other", 2)
    return t


BEIT = {**VIT_BASE, "vocab_size": 8192, "use_mask_token": False, "use_absolute_position_embeddings": False}
BEIT.update(use_relative_position_bias=False, use_shared_relative_position_bias=False)
BEIT.update(layer_scale_init_value=0.1, use_mean_pooling=True)


def _relative_bias_table(c: Cfg) -> int:
    """One BEiT relative position bias table: ((2 Wh - 1)(2 Ww - 1) + 3) x heads, window = image // patch."""
    image, p = c.raw("image_size"), positive("patch_size", c.int("patch_size"))
    ih, iw = (
        (image, image)
        if isinstance(image, int) and not isinstance(image, bool)
        else tuple(c.ints("image_size"))
    )
    return ((2 * (ih // p) - 1) * (2 * (iw // p) - 1) + 3) * c.int("num_attention_heads")


def beit(c: Cfg, head: str, *, model_pooler: bool = True) -> Tally:
    """BeitModel (with its pooler), ForImageClassification, ForMaskedImageModeling: [CLS] (+ mask token),
    optional absolute positions, shared or per-layer relative position bias tables, layer-scale lambdas, no key
    bias; mean pooling moves the final LayerNorm into the pooler (which Data2VecVisionModel leaves out)."""
    if head not in ("model", "img_cls", "masked_im"):
        raise NotExact(f"output head '{head}' is not modelled for beit")
    c = with_defaults(c, BEIT)
    h = c.int("hidden_size")
    t, n = _patch_conv(c, h)
    t.add(
        "embeddings",
        h + h * c.bool("use_mask_token") + (n + 1) * h * c.bool("use_absolute_position_embeddings"),
    )
    if c.bool("use_shared_relative_position_bias"):
        t.add("other", _relative_bias_table(c))
    extra = 2 * h * (c.num("layer_scale_init_value") > 0)
    if c.bool("use_relative_position_bias"):
        extra += _relative_bias_table(c)
    vit_blocks(t, c, h, k_bias=False, extra=extra)
    # the final LayerNorm (no mean pooling) or the pooler's LayerNorm (mean pooling)
    pooler = head == "img_cls" or (head == "model" and model_pooler)
    if not c.bool("use_mean_pooling") or pooler:
        t.add("norms", 2 * h)
    if head == "masked_im":
        t.add("heads", 2 * h + linear(h, c.int("vocab_size")))
    else:
        classifier(t, c, head, h, ("img_cls",), "beit")
    return t


IMAGEGPT = {"vocab_size": 513, "n_positions": 1024, "n_embd": 512, "n_layer": 24, "n_head": 8}


def imagegpt(c: Cfg, head: str) -> Tally:
    """ImageGPTModel / ForImageClassification: GPT-2 layout with weight-only LayerNorms; the classifier is a
    bias-free linear. The causal image-modeling head (vocab - 1 outputs, tied) is not modelled."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for imagegpt")
    c = with_defaults(c, IMAGEGPT)
    if c.bool("add_cross_attention", default=False):
        raise NotExact("imagegpt with add_cross_attention is not modelled")
    h, L = c.int("n_embd"), c.int("n_layer")
    inner = c.int("n_inner", default=None) or 4 * h
    t = Tally()
    t.embed(c.int("vocab_size") * h)
    t.add("embeddings", c.int("n_positions") * h)
    t.add("attention", L * (linear(h, 3 * h) + linear(h, h)))
    t.add("mlp", L * (linear(h, inner) + linear(inner, h)))
    t.add("norms", L * 2 * h + h)
    kv = positive("n_head", c.int("n_head"))
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * h, None, kv * (h // kv)))
    if head == "img_cls":
        t.add("heads", h * c.num_labels())
    return t


MLCD_VISION = {**VIT_BASE, "hidden_size": 1664, "intermediate_size": 8192, "num_hidden_layers": 48}
MLCD_VISION.update(num_attention_heads=16, image_size=336, patch_size=14)


def mlcd_vision_model(c: Cfg, head: str) -> Tally:
    """MLCDVisionModel: CLIP vision layout with rotary positions: bias-free patch conv, class embedding, a
    class rotary slot (head_dim // 2), pre/post LayerNorms, CLIP encoder layers; no position table."""
    _model_only(head, "mlcd_vision_model")
    c = with_defaults(c, MLCD_VISION)
    h, p = c.int("hidden_size"), c.int("patch_size")
    nh = positive("num_attention_heads", c.int("num_attention_heads"))
    t = Tally()
    t.add("embeddings", c.int("num_channels") * p * p * h + h + h // nh // 2)
    vit_blocks(t, c, h, width=h)  # q/k/v/out are hidden x hidden
    t.add("norms", 4 * h)
    return t


VJEPA2 = {"patch_size": 16, "tubelet_size": 2, "hidden_size": 1024, "in_chans": 3, "num_attention_heads": 16}
VJEPA2.update(
    num_hidden_layers=24, mlp_ratio=4.0, qkv_bias=True, pred_hidden_size=384, pred_num_hidden_layers=12
)
VJEPA2.update(pred_num_mask_tokens=10, pred_mlp_ratio=4.0)


def _vjepa2_layers(L: int, h: int, ratio: float, qkv_bias: bool) -> int:
    hid = int(h * ratio)
    return L * (4 * h + 3 * linear(h, h, qkv_bias) + linear(h, h) + linear(h, hid) + linear(hid, h))


def vjepa2(c: Cfg, head: str) -> Tally:
    """VJEPA2Model: the video encoder (biased Conv3d tubelets, rotary attention layers, LayerNorm) and the
    predictor (mask tokens, input/output projections, its own layers and LayerNorm)."""
    _model_only(head, "vjepa2")
    c = with_defaults(c, VJEPA2)
    h, ph, p, qb = c.int("hidden_size"), c.int("pred_hidden_size"), c.int("patch_size"), c.bool("qkv_bias")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", c.int("in_chans") * c.int("tubelet_size") * p * p * h + h)
    t.add("other", _vjepa2_layers(c.int("num_hidden_layers"), h, c.num("mlp_ratio"), qb) + 2 * h)
    pred = c.int("pred_num_mask_tokens") * ph + linear(h, ph) + 2 * ph + linear(ph, h)
    t.add("other", pred + _vjepa2_layers(c.int("pred_num_hidden_layers"), ph, c.num("pred_mlp_ratio"), qb))
    return t


GEMMA4_VISION = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 16,
    "num_attention_heads": 12,
}
GEMMA4_VISION.update(num_key_value_heads=12, head_dim=64, patch_size=16, position_embedding_size=10240)


def gemma4_vision(c: Cfg, head: str) -> Tally:
    """Gemma4VisionModel: bias-free linear patch embedding (3 x patch^2 -> hidden), an (x, y) position table,
    layers with GQA q/k/v/o and q/k RMSNorms (v norm has no weight), a bias-free gated MLP and four RMSNorms;
    the pooler has no parameters."""
    _model_only(head, "gemma4_vision")
    c = with_defaults(c, GEMMA4_VISION)
    h, inter, p, L = (
        c.int("hidden_size"),
        c.int("intermediate_size"),
        c.int("patch_size"),
        c.int("num_hidden_layers"),
    )
    nh = positive("num_attention_heads", c.int("num_attention_heads"))
    kv, hd = c.int("num_key_value_heads", default=nh), c.int("head_dim", default=h // nh)
    t = Tally()
    t.has_kv = False
    t.add("embeddings", 3 * p * p * h + 2 * c.int("position_embedding_size") * h)
    t.add("attention", L * (2 * h * nh * hd + 2 * h * kv * hd + 2 * hd))
    t.add("mlp", L * 3 * h * inter)
    t.add("norms", L * 4 * h)
    return t


# ----------------------------------------------------------------------------- windowed ViTs (SAM, ViTDet)


def _windowed_layer(h: int, nh: int, mlp: int, qkv_bias: bool, rel_side: int | None) -> int:
    """One SAM/ViTDet block: 2 LayerNorms, fused qkv, proj, MLP, and the two decomposed relative-position
    tables ((2 s - 1) x head_dim each) when ``rel_side`` (the window or grid side) is given."""
    n = 4 * h + linear(h, 3 * h, qkv_bias) + linear(h, h) + linear(h, mlp) + linear(mlp, h)
    if rel_side is not None:
        n += 2 * (2 * rel_side - 1) * (h // nh)
    return n


def _windowed_layers(c: Cfg, h: int, mlp: int, windowed: list[bool], rel: bool) -> int:
    """Every block: windowed ones use window_size x window_size tables, global ones the image // patch grid."""
    nh = positive("num_attention_heads", c.int("num_attention_heads"))
    grid = c.int("image_size") // positive("patch_size", c.int("patch_size"))
    w, qb = c.int("window_size"), c.bool("qkv_bias")
    return sum(
        _windowed_layer(h, nh, mlp, qb, (w if win and w else grid) if rel else None) for win in windowed
    )


SAM_VISION = {**VIT_BASE, "image_size": 1024, "output_channels": 256, "mlp_dim": 3072, "mlp_ratio": 4.0}
SAM_VISION.update(use_abs_pos=True, use_rel_pos=True, window_size=14, global_attn_indexes=[2, 5, 8, 11])


def sam_vision_model(c: Cfg, head: str) -> Tally:
    """SamVisionModel: biased patch conv, absolute position grid, windowed blocks with relative positions
    (global blocks at global_attn_indexes), and the neck (1x1 and 3x3 bias-free convs, two LayerNorms)."""
    _model_only(head, "sam_vision_model")
    c = with_defaults(c, SAM_VISION)
    h, L, out, p = (
        c.int("hidden_size"),
        c.int("num_hidden_layers"),
        c.int("output_channels"),
        c.int("patch_size"),
    )
    mlp = c.int("mlp_dim", default=None) or int(h * c.num("mlp_ratio"))
    glob = set(c.ints("global_attn_indexes"))
    t = Tally()
    t.has_kv = False
    t.add("embeddings", c.int("num_channels") * p * p * h + h)
    if c.bool("use_abs_pos"):
        t.add("embeddings", (c.int("image_size") // positive("patch_size", p)) ** 2 * h)
    t.add("other", _windowed_layers(c, h, mlp, [i not in glob for i in range(L)], c.bool("use_rel_pos")))
    t.add("other", h * out + 2 * out + out * out * 9 + 2 * out)
    return t


VITDET = {**VIT_BASE, "mlp_ratio": 4, "pretrain_image_size": 224, "window_block_indices": []}
VITDET.update(residual_block_indices=[], use_absolute_position_embeddings=True)
VITDET.update(use_relative_position_embeddings=False, window_size=0)


def vitdet(c: Cfg, head: str) -> Tally:
    """VitDetModel / VitDetBackbone: biased patch conv, positions for the pretraining grid plus one, windowed or
    global blocks (relative positions optional), bottleneck residual blocks at residual_block_indices."""
    if head not in ("model", "backbone"):
        raise NotExact(f"output head '{head}' is not modelled for vitdet")
    c = with_defaults(c, VITDET)
    h, L = c.int("hidden_size"), c.int("num_hidden_layers")
    pre = Cfg({**c.data, "image_size": c.raw("pretrain_image_size")}, c.name)
    t, n = _patch_conv(pre, h)
    if c.bool("use_absolute_position_embeddings"):
        t.add("embeddings", (n + 1) * h)
    win, res = set(c.ints("window_block_indices")), set(c.ints("residual_block_indices"))
    mlp = int(h * c.num("mlp_ratio"))
    t.add(
        "other",
        _windowed_layers(c, h, mlp, [i in win for i in range(L)], c.bool("use_relative_position_embeddings")),
    )
    b = h // 2
    t.add("other", len(res & set(range(L))) * (h * b + 2 * b + b * b * 9 + 2 * b + b * h + 2 * h))
    t.has_kv = False
    return t


SAM3_VIT = {**VIT_BASE, "hidden_size": 1024, "intermediate_size": 4736, "num_hidden_layers": 32}
SAM3_VIT.update(num_attention_heads=16, image_size=1008, patch_size=14, pretrain_image_size=336)


def sam3_vit_model(c: Cfg, head: str) -> Tally:
    """Sam3ViTModel: bias-free patch conv, a position table for the pretraining grid (tiled at run time), one
    LayerNorm, ViT layers with rotary attention (windowing changes no parameter)."""
    _model_only(head, "sam3_vit_model")
    c = with_defaults(c, SAM3_VIT)
    h = c.int("hidden_size")
    n, ph, pw = _patches(Cfg({**c.data, "image_size": c.raw("pretrain_image_size")}, c.name), 336, 14)
    t = Tally()
    t.add("embeddings", c.int("num_channels") * ph * pw * h + n * h)
    t.add("norms", 2 * h)
    vit_blocks(t, c, h)
    return t


LFM3_VL_VISION = {"hidden_size": 1024, "intermediate_size": 2560, "in_channels": 3, "patch_size": 16}
LFM3_VL_VISION.update(
    temporal_patch_size=2, num_hidden_layers=14, num_attention_heads=16, num_key_value_heads=8
)
LFM3_VL_VISION.update(conv_kernel_size=3)


def lfm3_vl_vision(c: Cfg, head: str) -> Tally:
    """LFM3-VL vision: a bias-free linear patch embedding + RMSNorm; per layer (by layer_types) either GQA
    attention with q/k RMSNorms or a gated short depthwise conv, then a bias-free gated MLP; two RMSNorms."""
    _model_only(head, "lfm3_vl_vision")
    c = with_defaults(c, LFM3_VL_VISION)
    h, inter, L, k = (
        c.int("hidden_size"),
        c.int("intermediate_size"),
        c.int("num_hidden_layers"),
        c.int("conv_kernel_size"),
    )
    kinds = layer_types(c, L)
    if kinds is None:
        raise ConfigProblem("lfm3_vl_vision needs layer_types with one entry per layer")
    nh = positive("num_attention_heads", c.int("num_attention_heads"))
    kv, hd = c.int("num_key_value_heads"), h // nh
    attn = 2 * h * nh * hd + 2 * h * kv * hd + 2 * hd
    conv = 3 * h * h + h * k * k + h * h
    t = Tally()
    t.has_kv = False
    t.add("embeddings", _conv3d(c, h, False) + h)
    t.add("attention", sum(conv if kind == "conv" else attn for kind in kinds))
    t.add("mlp", L * 3 * h * inter)
    t.add("norms", L * 2 * h)
    return t


KIMI_K25_VISION = {**VIT_BASE, "hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27}
KIMI_K25_VISION.update(num_attention_heads=16, patch_size=14, pos_emb_height=64, pos_emb_width=64)


def kimi_k25_vision(c: Cfg, head: str) -> Tally:
    """Kimi-K2.5 vision: a biased 3-channel patch conv, a learned height x width position grid (the temporal
    table is a buffer), ViT layers with biased q/k/v/proj, final LayerNorm."""
    _model_only(head, "kimi_k25_vision")
    c = with_defaults(c, KIMI_K25_VISION)
    h, p = c.int("hidden_size"), c.int("patch_size")
    t = Tally()
    t.add("embeddings", 3 * p * p * h + h + c.int("pos_emb_height") * c.int("pos_emb_width") * h)
    vit_blocks(t, c, h)
    t.add("norms", 2 * h)
    return t


INKLING2_VISION = {**VIT_BASE, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 23}
INKLING2_VISION.update(num_attention_heads=16, patch_size=20, spatial_merge_size=2, posemb_grid_size=32)
INKLING2_VISION.update(projection_hidden_dim=4096, projector_bias=False, text_hidden_size=4608)


def inkling2_vision(c: Cfg, head: str) -> Tally:
    """Inkling2 vision: bias-free linear patch embedding, class embedding and its position, a learned position
    grid, pre-LayerNorm, ViT layers with layer-scale lambdas, and the merger (merged window -> projection ->
    text width, bias = projector_bias)."""
    _model_only(head, "inkling2_vision")
    c = with_defaults(c, INKLING2_VISION)
    h, p, m, b = (
        c.int("hidden_size"),
        c.int("patch_size"),
        c.int("spatial_merge_size"),
        c.bool("projector_bias"),
    )
    proj, text = c.int("projection_hidden_dim"), c.int("text_hidden_size")
    t = Tally()
    t.add("embeddings", c.int("num_channels") * p * p * h + 2 * h + c.int("posemb_grid_size") ** 2 * h)
    t.add("norms", 2 * h)
    vit_blocks(t, c, h, extra=2 * h)
    t.add("other", linear(m * m * h, proj, b) + linear(proj, text, b))
    return t


MUSE_VISION = {**VIT_BASE, "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 50}
MUSE_VISION.update(
    num_attention_heads=16, patch_size=14, patch_temporal=2, pos_emb_height=32, pos_emb_width=32
)


def muse_vision(c: Cfg, head: str) -> Tally:
    """Muse Spark / Glimmer vision: bias-free linear patch embedding over patch_temporal x 3 x patch^2, a
    height x width position table, pre- and post-LayerNorms around ViT layers with biased q/k/v/proj."""
    _model_only(head, "this Muse vision tower")
    c = with_defaults(c, MUSE_VISION)
    h, p = c.int("hidden_size"), c.int("patch_size")
    t = Tally()
    t.add(
        "embeddings",
        c.int("patch_temporal") * 3 * p * p * h + c.int("pos_emb_height") * c.int("pos_emb_width") * h,
    )
    t.add("norms", 4 * h)
    vit_blocks(t, c, h)
    return t


HY_V4_VL_VISION = {**VIT_BASE, "hidden_size": 1536, "intermediate_size": 6144, "num_hidden_layers": 40}
HY_V4_VL_VISION.update(
    num_attention_heads=16, out_hidden_size=6144, spatial_merge_size=2, max_image_size=2048
)


def hy_v4_vl_vision(c: Cfg, head: str) -> Tally:
    """HY-V4-VL vision: biased patch conv, a position table for the largest image grid plus one, ViT layers
    (q/k/v/o biased, width heads x head_dim), and the patch merger (RMSNorm, merge-window conv to hidden x m^2,
    1x1 conv to the text width, image_newline)."""
    _model_only(head, "hy_v4_vl_vision")
    c = with_defaults(c, HY_V4_VL_VISION)
    h, p, m, out = (
        c.int("hidden_size"),
        c.int("patch_size"),
        c.int("spatial_merge_size"),
        c.int("out_hidden_size"),
    )
    nh = positive("num_attention_heads", c.int("num_attention_heads"))
    grid = c.int("max_image_size") // positive("patch_size", p)
    t, _ = _patch_conv(Cfg({**c.data, "image_size": p}, c.name), h)
    t.add("embeddings", (grid * grid + 1) * h)
    vit_blocks(t, c, h, width=nh * c.int("head_dim", default=h // nh))
    wide = h * m * m
    t.add("other", h + h * wide * m * m + wide + linear(wide, out) + out)
    return t


# ----------------------------------------------------------------------------- Swin / ConvNeXt copies


def maskformer_swin(c: Cfg, head: str) -> Tally:
    """MaskFormerSwinModel: the Swin module tree (patch embedding, stages, final LayerNorm)."""
    _model_only(head, "maskformer-swin")
    return swin(c, "model")


def donut_swin(c: Cfg, head: str) -> Tally:
    """DonutSwinModel: Swin without the final LayerNorm; absolute positions also cover a [CLS] slot."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for donut-swin")
    t = swin(c, head)
    E, depths = c.int("embed_dim", default=96), c.ints("depths", default=[2, 2, 6, 2])
    t.add("norms", -2 * int(E * 2 ** (len(depths) - 1)))
    if c.bool("use_absolute_embeddings", default=False):
        t.add("embeddings", E)
    return t


SWINV2 = {"image_size": 224, "patch_size": 4, "num_channels": 3, "embed_dim": 96, "depths": [2, 2, 6, 2]}
SWINV2.update(num_heads=[3, 6, 12, 24], mlp_ratio=4.0, qkv_bias=True, use_absolute_embeddings=False)


def swinv2(c: Cfg, head: str) -> Tally:
    """Swinv2Model / ForImageClassification: patch conv + LayerNorm; per block q (bias = qkv_bias), bias-free k,
    v, output dense, per-head logit scale, the continuous position-bias MLP (2 -> 512 -> heads), MLP, two
    LayerNorms; patch merging reduces 4d -> 2d without bias and normalises the 2d output; final LayerNorm."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for swinv2")
    c = with_defaults(c, SWINV2)
    E, depths, heads, qb = c.int("embed_dim"), c.ints("depths"), c.ints("num_heads"), c.bool("qkv_bias")
    if not depths or len(heads) < len(depths):
        raise ConfigProblem("swinv2 needs non-empty depths and a num_heads entry per stage")
    n, ph, pw = _patches(c, 224, 4)
    t = Tally()
    t.has_kv = False
    t.add("embeddings", c.int("num_channels") * ph * pw * E + E + 2 * E)
    if c.bool("use_absolute_embeddings"):
        t.add("embeddings", (n + 1) * E)
    ratio = c.num("mlp_ratio")
    for i, (L, nh) in enumerate(zip(depths, heads, strict=False)):
        d = E * 2**i
        hid = int(ratio * d)
        t.add("attention", L * (2 * linear(d, d, qb) + d * d + linear(d, d) + nh + linear(2, 512) + 512 * nh))
        t.add("mlp", L * (linear(d, hid) + linear(hid, d)))
        t.add("norms", L * 4 * d)
        if i < len(depths) - 1:
            t.add("other", 4 * d * 2 * d + 2 * 2 * d)
    nf = E * 2 ** (len(depths) - 1)
    t.add("norms", 2 * nf)
    classifier(t, c, head, nf, ("img_cls",), "swinv2")
    return t


def dinov3_convnext(c: Cfg, head: str) -> Tally:
    """DINOv3 ConvNeXt: the ConvNeXt v1 module tree with a fixed 4x4 stem, one stage per hidden size and a
    layer-scale gamma in every block whatever its initial value; the backbone is the encoder alone (no final
    LayerNorm, no per-stage norms)."""
    if head not in ("model", "backbone"):
        raise NotExact(f"output head '{head}' is not modelled for dinov3_convnext")
    hs = c.ints("hidden_sizes", default=[96, 192, 384, 768])
    if not hs:
        raise ConfigProblem("dinov3_convnext hidden_sizes is empty")
    fixed = {
        **c.data,
        "patch_size": 4,
        "num_stages": len(hs),
        "architectures": None,
        "layer_scale_init_value": 1.0,
    }
    t = convnext(Cfg(fixed, c.name), "model")
    if head == "backbone":
        t.add("norms", -2 * hs[-1])
    return t


# ----------------------------------------------------------------------------- CNNs

_MOBILENET_V1_STRIDES = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1)


def mobilenet_v1(c: Cfg, head: str) -> Tally:
    """MobileNetV1Model / ForImageClassification: a 3x3 stem and 13 depthwise-separable pairs (bias-free convs,
    each with a BatchNorm of weight + bias); widths double at stride-2 layers, scaled by depth_multiplier."""
    mult, floor = c.num("depth_multiplier", default=1.0), c.int("min_depth", default=8)

    def width(d: int) -> int:
        return max(int(d * mult), floor)

    depth, out = 32, width(32)
    n = c.int("num_channels", default=3) * out * 9 + 2 * out
    for i, stride in enumerate(_MOBILENET_V1_STRIDES):
        cin = out
        if stride == 2 or i == 0:
            depth *= 2
            out = width(depth)
        n += cin * 9 + 2 * cin + cin * out + 2 * out
    t = Tally()
    t.has_kv = False
    t.add("other", n)
    classifier(t, c, head, out, ("img_cls",), "mobilenet_v1")
    return t


_MOBILENET_V2_CHANNELS = (16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320)


def _divisible(value: float, divisor: int, floor: int) -> int:
    """Round a channel count to a multiple of ``divisor`` (at least ``floor``), never more than 10% down."""
    new = max(floor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


def mobilenet_v2(c: Cfg, head: str) -> Tally:
    """MobileNetV2Model / ForImageClassification: stem (3x3 conv, optional 1x1 expansion, depthwise 3x3, 1x1
    reduction), 16 inverted residuals (1x1 expand by expand_ratio, depthwise 3x3, 1x1 reduce) and a final 1x1
    conv; every conv is bias-free and followed by a BatchNorm (weight + bias)."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for mobilenet_v2")
    mult, d, floor = (
        c.num("depth_multiplier", default=1.0),
        c.int("depth_divisible_by", default=8),
        c.int("min_depth", default=8),
    )
    positive("depth_divisible_by", d)

    def scaled(ch: int) -> int:
        return _divisible(int(round(ch * mult)), d, floor)

    def conv(cin: int, cout: int, k: int = 1, depthwise: bool = False) -> int:
        return (cin if not depthwise else 1) * cout * k * k + 2 * cout

    chans = [scaled(ch) for ch in _MOBILENET_V2_CHANNELS]
    e = scaled(32)
    n = conv(c.int("num_channels", default=3), e, 3) + conv(e, e, 3, depthwise=True) + conv(e, chans[0])
    if not c.bool("first_layer_is_expansion", default=True):
        n += conv(e, e)
    for cin, cout in zip(chans, chans[1:], strict=False):
        x = _divisible(int(round(cin * c.num("expand_ratio", default=6.0))), d, floor)
        n += conv(cin, x) + conv(x, x, 3, depthwise=True) + conv(x, cout)
    fine = c.bool("finegrained_output", default=True) and mult < 1.0
    out = 1280 if fine else scaled(1280)
    n += conv(chans[-1], out)
    t = Tally()
    t.has_kv = False
    t.add("other", n)
    classifier(t, c, head, out, ("img_cls",), "mobilenet_v2")
    return t


POOLFORMER = {
    "num_channels": 3,
    "mlp_ratio": 4.0,
    "depths": [2, 2, 6, 2],
    "hidden_sizes": [64, 128, 320, 512],
}
POOLFORMER.update(patch_sizes=[7, 3, 3, 3], num_encoder_blocks=4, use_layer_scale=True)


def poolformer(c: Cfg, head: str) -> Tally:
    """PoolFormerModel / ForImageClassification: per stage a biased patch conv from the previous width, then
    blocks of two GroupNorms, two biased 1x1 convs (width x mlp_ratio) and optional layer scales; the classifier
    adds a GroupNorm and a linear."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for poolformer")
    c = with_defaults(c, POOLFORMER)
    S, hs, depths, ks = (
        c.int("num_encoder_blocks"),
        c.ints("hidden_sizes"),
        c.ints("depths"),
        c.ints("patch_sizes"),
    )
    if S == 0 or min(len(hs), len(depths), len(ks)) < S:
        raise ConfigProblem("poolformer needs hidden_sizes, depths and patch_sizes for every encoder block")
    scale = 2 if c.bool("use_layer_scale") else 0
    t = Tally()
    t.has_kv = False
    prev = c.int("num_channels")
    for i in range(S):
        h = hs[i]
        inter = int(h * c.num("mlp_ratio"))
        t.add("embeddings", prev * ks[i] * ks[i] * h + h)
        t.add("other", depths[i] * (4 * h + linear(h, inter) + linear(inter, h) + scale * h))
        prev = h
    if head == "img_cls":
        t.add("norms", 2 * prev)
    classifier(t, c, head, prev, ("img_cls",), "poolformer")
    return t


SEGFORMER = {"num_channels": 3, "num_encoder_blocks": 4, "depths": [2, 2, 2, 2], "sr_ratios": [8, 4, 2, 1]}
SEGFORMER.update(hidden_sizes=[32, 64, 160, 256], patch_sizes=[7, 3, 3, 3], num_attention_heads=[1, 2, 5, 8])
SEGFORMER.update(mlp_ratios=[4, 4, 4, 4])
PVT = {
    **SEGFORMER,
    "image_size": 224,
    "sequence_reduction_ratios": [8, 4, 2, 1],
    "hidden_sizes": [64, 128, 320, 512],
}
PVT.update(patch_sizes=[4, 2, 2, 2], strides=[4, 2, 2, 2], mlp_ratios=[8, 8, 4, 4], qkv_bias=True)


def _stages(c: Cfg, *keys: str) -> list[tuple[int, ...]]:
    """Per encoder block, the i-th entry of each list key (all must cover num_encoder_blocks)."""
    S = c.int("num_encoder_blocks")
    lists = [c.list(k) for k in keys]
    if S == 0 or min(len(v) for v in lists) < S:
        raise ConfigProblem(f"{', '.join(keys)} must have an entry per encoder block ({S})")
    return [tuple(c.ints(k)[i] for k in keys) for i in range(S)]


def _reduced_attention(h: int, nh: int, sr: int, qkv_bias: bool, linear_attention: bool = False) -> int:
    """Efficient self-attention: q/k/v/o, plus the sr x sr sequence-reduction conv and its LayerNorm (a 1x1 conv
    under PVTv2's linear attention)."""
    a = positive("num_attention_heads", nh) * (h // nh)
    n = 3 * linear(h, a, qkv_bias) + linear(a, h)
    if linear_attention:
        return n + linear(h, h) + 2 * h
    return n + (h * h * sr * sr + h + 2 * h if sr > 1 else 0)


def _mix_transformer(c: Cfg, qkv_bias: bool, linear_attention: bool) -> Tally:
    """SegFormer / PVTv2 encoder: per stage an overlapping patch conv + LayerNorm, blocks of reduced attention and
    a Mix-FFN (fc1, 3x3 depthwise conv, fc2) with two LayerNorms, a stage LayerNorm."""
    t = Tally()
    t.has_kv = False
    prev = c.int("num_channels")
    keys = ("hidden_sizes", "depths", "patch_sizes", "num_attention_heads", "sr_ratios", "mlp_ratios")
    for h, depth, k, nh, sr, ratio in _stages(c, *keys):
        hid = int(h * ratio)
        t.add("embeddings", prev * k * k * h + h + 2 * h)
        mix = linear(h, hid) + hid * 9 + hid + linear(hid, h)
        t.add(
            "other", depth * (4 * h + _reduced_attention(h, nh, sr, qkv_bias, linear_attention) + mix) + 2 * h
        )
        prev = h
    return t


def segformer(c: Cfg, head: str) -> Tally:
    """SegformerModel / ForImageClassification (the Mix Transformer encoder, biased q/k/v)."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for segformer")
    c = with_defaults(c, SEGFORMER)
    t = _mix_transformer(c, True, False)
    if head == "img_cls":  # the classifier reads hidden_sizes[-1], whatever num_encoder_blocks
        t.add("heads", linear(c.ints("hidden_sizes")[-1], c.num_labels()))
    return t


PVT_V2 = {**SEGFORMER, "mlp_ratios": [8, 8, 4, 4], "qkv_bias": True, "linear_attention": False}


def pvt_v2(c: Cfg, head: str) -> Tally:
    """PvtV2Model / Backbone (same parameters) / ForImageClassification: the Mix Transformer encoder with
    q/k/v bias = qkv_bias and optional linear attention."""
    if head not in ("model", "backbone", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for pvt_v2")
    c = with_defaults(c, PVT_V2)
    t = _mix_transformer(c, c.bool("qkv_bias"), c.bool("linear_attention"))
    classifier(
        t, c, "model" if head == "backbone" else head, c.ints("hidden_sizes")[-1], ("img_cls",), "pvt_v2"
    )
    return t


def pvt(c: Cfg, head: str) -> Tally:
    """PvtModel / ForImageClassification: per stage a patch conv (kernel = stride) + LayerNorm with learned
    positions (the last stage also a [CLS] token), blocks of reduced attention and an MLP, final LayerNorm."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for pvt")
    c = with_defaults(c, PVT)
    image, qb = c.int("image_size"), c.bool("qkv_bias")
    keys = ("hidden_sizes", "depths", "patch_sizes", "strides", "num_attention_heads")
    stages = _stages(c, *keys, "sequence_reduction_ratios", "mlp_ratios")
    t = Tally()
    t.has_kv = False
    prev = c.int("num_channels")
    for i, (h, depth, p, stride, nh, sr, ratio) in enumerate(stages):
        side = image if i == 0 else image // 2 ** (i + 1)
        last = i == len(stages) - 1
        n = (side // positive("patch_sizes", p)) ** 2 + last
        t.add("embeddings", n * h + last * h + prev * stride * stride * h + h + 2 * h)
        hid = int(h * ratio)
        t.add("other", depth * (4 * h + _reduced_attention(h, nh, sr, qb) + linear(h, hid) + linear(hid, h)))
        prev = h
    last = c.ints("hidden_sizes")[-1]  # the final LayerNorm and classifier read hidden_sizes[-1]
    t.add("norms", 2 * last)
    classifier(t, c, head, last, ("img_cls",), "pvt")
    return t


REGNET = {
    "num_channels": 3,
    "embedding_size": 32,
    "hidden_sizes": [128, 192, 512, 1088],
    "depths": [2, 6, 12, 2],
}
REGNET.update(groups_width=64, layer_type="y", downsample_in_first_stage=True)


def _regnet_layer(cin: int, cout: int, stride: int, group_width: int, squeeze: bool) -> int:
    """One RegNet X/Y layer: bias-free convs each followed by a BatchNorm (weight + bias): projection shortcut when
    the shape changes, 1x1, grouped 3x3, (Y: squeeze-excitation with biased 1x1 convs to round(in / 4)), 1x1."""
    groups = max(1, cout // group_width)
    if cout % groups:
        raise ConfigProblem(f"regnet width {cout} is not divisible into {groups} groups")
    n = (cin * cout + 2 * cout if cin != cout or stride != 1 else 0) + cin * cout + 2 * cout
    n += cout * (cout // groups) * 9 + 2 * cout + cout * cout + 2 * cout
    if squeeze:
        r = int(round(cin / 4))
        n += linear(cout, r) + linear(r, cout)
    return n


def regnet(c: Cfg, head: str) -> Tally:
    """RegNetModel / ForImageClassification: a 3x3 stride-2 stem and stages of X or Y layers."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for regnet")
    c = with_defaults(c, REGNET)
    E, hs, depths, gw = (
        c.int("embedding_size"),
        c.ints("hidden_sizes"),
        c.ints("depths"),
        c.int("groups_width"),
    )
    if not hs or not depths:
        raise ConfigProblem("regnet hidden_sizes and depths must not be empty")
    squeeze = c.str("layer_type") != "x"
    positive("groups_width", gw)
    n = c.int("num_channels") * E * 9 + 2 * E
    first = 2 if c.bool("downsample_in_first_stage") else 1
    for i, (cout, depth) in enumerate(zip(hs, depths, strict=False)):
        cin = E if i == 0 else hs[i - 1]
        n += _regnet_layer(cin, cout, first if i == 0 else 2, gw, squeeze)
        n += max(depth - 1, 0) * _regnet_layer(cout, cout, 1, gw, squeeze)
    t = Tally()
    t.has_kv = False
    t.add("other", n)
    classifier(t, c, head, hs[-1], ("img_cls",), "regnet")
    return t


# ----------------------------------------------------------------------------- Qwen-VL / GLM-V vision towers

QWEN3_VL_VISION = {
    "depth": 27,
    "hidden_size": 1152,
    "intermediate_size": 4304,
    "num_heads": 16,
    "in_channels": 3,
    "patch_size": 16,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "out_hidden_size": 3584,
    "num_position_embeddings": 2304,
}


def _tower(n: int) -> Tally:
    t = Tally()
    t.add("vision", n)
    t.has_kv = False
    return t


def _model_only(head: str, family: str) -> None:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {family}")


def qwen3_vl_vision(c: Cfg, head: str) -> Tally:
    """The Qwen3-VL vision tower (the module-by-module count the VL composites use), standalone."""
    _model_only(head, "this Qwen3-VL-style vision tower")
    return _tower(qwen_vl_vision(with_defaults(c, QWEN3_VL_VISION)))


def _conv3d(c: Cfg, h: int, bias: bool) -> int:
    """Conv3d patch embedding: in_channels x temporal_patch x patch x patch -> hidden."""
    p = c.int("patch_size")
    return c.int("in_channels") * c.int("temporal_patch_size") * p * p * h + (h if bias else 0)


QWEN2_5_VL_VISION = {
    **QWEN3_VL_VISION,
    "depth": 32,
    "hidden_size": 3584,
    "intermediate_size": 3420,
    "patch_size": 14,
    "out_hidden_size": 3584,
}


def qwen2_5_vl_vision(c: Cfg, head: str) -> Tally:
    """Qwen2.5-VL vision: bias-free Conv3d, RMSNorm blocks with biased qkv/proj and a gated biased MLP, then a
    merger (RMSNorm, Linear over the merged window, GELU, Linear to the text width)."""
    _model_only(head, "qwen2_5_vl_vision")
    c = with_defaults(c, QWEN2_5_VL_VISION)
    h, inter, out, m = (
        c.int("hidden_size"),
        c.int("intermediate_size"),
        c.int("out_hidden_size"),
        c.int("spatial_merge_size"),
    )
    block = 2 * h + linear(h, 3 * h) + linear(h, h) + 2 * linear(h, inter) + linear(inter, h)
    merged = h * m * m
    return _tower(
        _conv3d(c, h, False) + c.int("depth") * block + h + linear(merged, merged) + linear(merged, out)
    )


GLM4V_VISION = {
    "depth": 24,
    "hidden_size": 1536,
    "attention_bias": False,
    "num_heads": 12,
    "in_channels": 3,
    "image_size": 336,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "out_hidden_size": 4096,
    "intermediate_size": 13696,
}
GLM_OCR_VISION = {**GLM4V_VISION, "hidden_size": 1024, "attention_bias": True, "num_heads": 16}
GLM_OCR_VISION.update(out_hidden_size=1536, intermediate_size=4096)


def _glm_merger(c: Cfg, h: int, out: int, context: int) -> int:
    """Patch merger (proj, LayerNorm, bias-free gated MLP at ``context``), the merge-window Conv2d
    ``downsample`` (with bias) and the final RMSNorm."""
    m = c.int("spatial_merge_size")
    return out * out + 2 * out + 3 * out * context + linear(h * m * m, out) + h


def glm4v_vision(c: Cfg, head: str) -> Tally:
    """GLM-4V vision: learned positions, biased Conv3d, RMSNorm blocks (qkv bias = attention_bias, bias-free
    proj, bias-free gated MLP at out_hidden_size), RMSNorm after the blocks, merger and downsample."""
    _model_only(head, "glm4v_vision")
    c = with_defaults(c, GLM4V_VISION)
    h, out, p = c.int("hidden_size"), c.int("out_hidden_size"), positive("patch_size", c.int("patch_size"))
    block = 2 * h + linear(h, 3 * h, c.bool("attention_bias")) + h * h + 3 * h * out
    n = (c.int("image_size") // p) ** 2 * h + _conv3d(c, h, True) + c.int("depth") * block
    return _tower(n + h + _glm_merger(c, h, out, c.int("intermediate_size")))


def glm_ocr_vision(c: Cfg, head: str) -> Tally:
    """GLM-OCR vision: no learned positions; q/k RMSNorms; qkv, proj and the gated MLP biased by attention_bias;
    merger width out_hidden_size x in_channels."""
    _model_only(head, "glm_ocr_vision")
    c = with_defaults(c, GLM_OCR_VISION)
    h, out, inter, b = (
        c.int("hidden_size"),
        c.int("out_hidden_size"),
        c.int("intermediate_size"),
        c.bool("attention_bias"),
    )
    nh = positive("num_heads", c.int("num_heads"))
    block = (
        2 * h
        + linear(h, 3 * h, b)
        + linear(h, h, b)
        + 2 * (h // nh)
        + 2 * linear(h, inter, b)
        + linear(inter, h, b)
    )
    n = _conv3d(c, h, True) + c.int("depth") * block
    return _tower(n + _glm_merger(c, h, out, out * c.int("in_channels")))


def own_classes_only(
    formula: Formula, stem: str, prefixes: tuple[str, ...], classes: dict[str, str]
) -> Formula:
    """Wrap a formula so a class name of the same model family (starting with ``stem``) that the registration does
    not name (a prefix + known suffix, or one of ``classes``) is unknown, not counted as the base model: e.g.
    ``SiglipForImageClassification`` under ``model_type: siglip_vision_model``, ``YolosForObjectDetection``."""

    def guarded(c: Cfg, head: str) -> Tally:
        arch = architecture_of(c.data)
        own = arch is None or not arch.startswith(stem) or arch in classes
        if not own and not any(arch.startswith(p) and arch[len(p) :] in HEAD_SUFFIXES for p in prefixes):
            raise NotExact(
                f"architectures[0]={arch!r} is a related transformers class this formula does not count"
            )
        return formula(c, head)

    return guarded


def register_own(
    model_type: str,
    formula: Formula,
    *prefixes: str,
    stem: str | None = None,
    classes: dict[str, str] | None = None,
) -> None:
    """:func:`register` with :func:`own_classes_only`; ``stem`` defaults to the shortest prefix."""
    classes = classes or {}
    stem = stem or min(prefixes or tuple(classes), key=len)
    guarded = own_classes_only(formula, stem, prefixes, classes)
    register(model_type, guarded, *prefixes, name=model_type, classes=classes)


VIDEO_CLS = "video_cls"
register_own("vit_msn", vit_msn, "ViTMSN")
register_own("ijepa", ijepa, "IJepa")
register_own("vit_mae", vit_mae, "ViTMAE")
register_own("yolos", yolos, "Yolos")
register_own("dinov2_with_registers", dinov2_with_registers, "Dinov2WithRegisters")
register_own("videomae", videomae, "VideoMAE", classes={"VideoMAEForVideoClassification": VIDEO_CLS})
register_own("vivit", vivit, "Vivit", classes={"VivitForVideoClassification": VIDEO_CLS})
register_own(
    "timesformer", timesformer, "Timesformer", classes={"TimesformerForVideoClassification": VIDEO_CLS}
)
register_own(
    "clip_text_model",
    clip_text_model,
    "CLIPText",
    stem="CLIP",
    classes={"CLIPTextModelWithProjection": "with_projection"},
)
register_own(
    "clip_vision_model",
    clip_vision_model,
    "CLIPVision",
    stem="CLIP",
    classes={"CLIPVisionModelWithProjection": "with_projection"},
)
register_own("chinese_clip_vision_model", clip_vision_model, "ChineseCLIPVision", stem="ChineseCLIP")
register_own("siglip_vision_model", siglip_vision_model, "SiglipVision", stem="Siglip")
register_own("siglip2_vision_model", siglip2_vision_model, "Siglip2Vision", stem="Siglip2")
register_own(
    "idefics3_vision", idefics3_vision, stem="Idefics3", classes={"Idefics3VisionTransformer": "model"}
)
register_own("smolvlm_vision", idefics3_vision, stem="SmolVLM", classes={"SmolVLMVisionTransformer": "model"})
for _mt, _prefix, _stem in (
    ("qwen3_5_vision", "Qwen3_5Vision", "Qwen3_5"),
    ("qwen3_5_moe_vision", "Qwen3_5MoeVision", "Qwen3_5Moe"),
    ("qwen4_exp_vision", "Qwen4ExpVision", "Qwen4Exp"),
):
    register_own(_mt, qwen3_vl_vision, _prefix, stem=_stem)


def qwen3_vl_deepstack_vision(c: Cfg, head: str) -> Tally:
    """A Qwen3-VL-style tower whose config class defaults to three deepstack mergers (indexes 8, 16, 24): a config
    that omits the key gets them (the Qwen3.5 / Qwen4-exp classes have no such field)."""
    return qwen3_vl_vision(with_defaults(c, {"deepstack_visual_indexes": [8, 16, 24]}), head)


for _mt, _prefix, _stem in (
    ("qwen3_vl_vision", "Qwen3VLVision", "Qwen3VL"),
    ("qwen3_vl_moe_vision", "Qwen3VLMoeVision", "Qwen3VLMoe"),
):
    register_own(_mt, qwen3_vl_deepstack_vision, _prefix, stem=_stem)
register_own(
    "qwen2_5_vl_vision",
    qwen2_5_vl_vision,
    stem="Qwen2_5_V",
    classes={"Qwen2_5_VisionTransformerPretrainedModel": "model"},
)
register_own("glm4v_vision", glm4v_vision, "Glm4vVision", stem="Glm4v")
register_own("glm4v_moe_vision", glm4v_vision, "Glm4vMoeVision", stem="Glm4vMoe")
register_own("glm_ocr_vision", glm_ocr_vision, "GlmOcrVision", stem="GlmOcr")
register_own("pixtral", pixtral, "PixtralVision", stem="Pixtral")
register_own("internvl_vision", internvl_vision, "InternVLVision", stem="InternVL")
register_own("aimv2_vision_model", aimv2_vision_model, "Aimv2Vision", stem="Aimv2")
register_own("dinov3_vit", dinov3_vit, "DINOv3ViT")
register_own("pixio", pixio, "Pixio")
register_own("qianfan_ocr_vision", qianfan_ocr_vision, "QianfanOCRVision", stem="QianfanOCR")
register_own("tipsv2_vision_model", tipsv2_vision_model, "Tipsv2Vision", stem="Tipsv2")
register_own("video_llama_3_vision", video_llama_3_vision, "VideoLlama3Vision", stem="VideoLlama3")
register_own("metaclip_2", clip, "MetaClip2")
register_own("siglip2", siglip2, "Siglip2")
register_own("beit", beit, "Beit")
register_own("data2vec-vision", partial(beit, model_pooler=False), "Data2VecVision")
register_own("maskformer-swin", maskformer_swin, "MaskFormerSwin")
register_own("donut-swin", donut_swin, "DonutSwin")
register_own("dinov3_convnext", dinov3_convnext, "DINOv3ConvNext")
register_own("aimv2", aimv2, "Aimv2")
register_own("sam_vision_model", sam_vision_model, "SamVision", stem="Sam")
register_own("vitdet", vitdet, "VitDet")
register_own("sam_hq_vision_model", sam_vision_model, "SamHQVision", stem="SamHQ")
register_own("imagegpt", imagegpt, "ImageGPT")
register_own("mlcd_vision_model", mlcd_vision_model, "MLCDVision", stem="MLCD")
register_own("mlcd", mlcd_vision_model, "MLCDVision", stem="MLCD")
register_own("vjepa2", vjepa2, "VJEPA2")
register_own("gemma4_vision", gemma4_vision, "Gemma4Vision", stem="Gemma4")
register_own("swinv2", swinv2, "Swinv2")
register_own("cosmos3_edge_vision", cosmos3_edge_vision, "Cosmos3EdgeVision", stem="Cosmos3")
register_own("minicpmv4_7_vision", minicpm_vision, "MiniCPMV4_7Vision", stem="MiniCPMV4_7")
register_own("minicpm_ocr_vision", minicpm_vision, "MiniCPMOcrVision", stem="MiniCPMOcr")
register_own("mobilenet_v1", mobilenet_v1, "MobileNetV1")
register_own("poolformer", poolformer, "PoolFormer")
register_own("segformer", segformer, "Segformer")
register_own("pvt", pvt, "Pvt")
register_own("pvt_v2", pvt_v2, "PvtV2")
register_own("regnet", regnet, "RegNet")
register_own("tipsv2_text_model", tipsv2_text_model, "Tipsv2Text", stem="Tipsv2")
register_own("tipsv2", tipsv2, "Tipsv2")
register_own("mobilenet_v2", mobilenet_v2, "MobileNetV2")
register_own("sam3_vit_model", sam3_vit_model, "Sam3ViT", stem="Sam3")
register_own("lfm3_vl_vision", lfm3_vl_vision, "Lfm3VlVision", stem="Lfm3Vl")
register_own("kimi_k25_vision", kimi_k25_vision, "Kimi_K25Vision", stem="Kimi_K25")
register_own("inkling2_vision", inkling2_vision, "Inkling2Vision", stem="Inkling2")
register_own("muse_spark_vision", muse_vision, "MuseSparkVision", stem="MuseSpark")
register_own("muse_glimmer_vision", muse_vision, "MuseGlimmerVision", stem="MuseGlimmer")
register_own("hy_v4_vl_vision", hy_v4_vl_vision, "HYV4VLVision", stem="HYV4VL")
