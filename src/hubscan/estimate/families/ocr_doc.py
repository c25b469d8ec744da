"""OCR and document models: the PP-OCRv5 / v6 text recognisers and the v6 small detector (PP-LCNet V3 / V4 and
HGNetV2 backbones built by ``load_backbone``, SVTR and DB heads), PP-DocLayoutV3 / V4 (RT-DETR-style layout
detectors with frozen-BatchNorm HGNetV2 backbones), PP-FormulaNet, UVDoc, Unlimited-OCR and C-RADIO.

Each formula follows the module tree transformers 5 builds; heads not claimed in a registration raise NotExact.
"""

from __future__ import annotations

from functools import partial

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    attention,
    claim_heads,
    dims,
    encoder_tally,
    gated_mlp,
    head_dim,
    linear,
    mlp,
    positive,
)
from hubscan.estimate.families.registry import register
from hubscan.estimate.families.seq2seq import _decoder_kv
from hubscan.estimate.families.seq2seq_more import _layers
from hubscan.estimate.families.vision_cnn import HGNET_V2, _bn_conv, hg_stem, hgnet_v2, make_div
from hubscan.estimate.families.vision_more import (
    SAM_VISION,
    register_own,
    sam_vision_model,
    vit_blocks,
    with_defaults,
)
from hubscan.estimate.families.vl_more import lm_head_of, sub_config

ACT_PARAMS = {"prelu": 1, "xielu": 2}  # transformers activations that hold parameters (PReLU: one slope)
LCNET_V4 = {"stem_channels": [3, 48, 96], "stem_type": "large", "use_learnable_affine_block": False}
LCNET_V4.update(hidden_act="relu", reduction=4)
LCNET_V4["block_configs"] = [
    [[3, 96, 96, 1, True]],
    [[3, 96, 96, 1, False], [3, 96, 96, 1, False]],
    [[3, 96, 192, [2, 1], False]] + [[3, 192, 192, 1, i % 2 == 0] for i in range(6)],
    [[3, 192, 384, [2, 1], False], [3, 384, 384, 1, True], [3, 384, 384, 1, False]],
]
LCNET_V3 = {"scale": 1.0, "stem_channels": 16, "divisor": 8, "reduction": 4, "conv_symmetric_num": 4}
LCNET_V3["block_configs"] = [
    [[3, 16, 32, 1, False]],
    [[3, 32, 64, 2, False], [3, 64, 64, 1, False]],
    [[3, 64, 128, 2, False], [3, 128, 128, 1, False]],
    [[3, 128, 256, 2, False]] + [[5, 256, 256, 1, False]] * 4,
    [[5, 256, 512, 2, True], [5, 512, 512, 1, True], [5, 512, 512, 1, False], [5, 512, 512, 1, False]],
]


def squeeze_excite(ch: int, reduction: int) -> int:
    """A squeeze-excitation pair of biased 1x1 convs: ch -> ch // reduction -> ch."""
    r = ch // max(reduction, 1)
    return 2 * ch * r + r + ch


def _is_one(stride: object) -> bool:
    """``stride == 1`` as Python compares it: a list stride such as [2, 1] (or [1, 1]) is not 1."""
    return isinstance(stride, (int, float)) and stride == 1


def _blocks(c: Cfg) -> list[tuple[int, int, int, object, bool]]:
    """``block_configs`` flattened: (kernel, in, out, stride, squeeze-excite) per block."""
    out = []
    for stage in c.list("block_configs"):
        if not isinstance(stage, list):
            raise ConfigProblem("block_configs must be a list of stages")
        for b in stage:
            if not isinstance(b, list) or len(b) != 5:
                raise ConfigProblem("each block_configs entry must be (kernel, in, out, stride, se)")
            k, cin, cout, stride, se = b
            if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (k, cin, cout)):
                raise NotExact(f"block {b!r}: kernel and channels must be positive integers")
            out.append((k, cin, cout, stride, bool(se)))
    return out


def lcnet_v4(c: Cfg) -> int:
    """PPLCNetV4Backbone: the HGNet-style large stem (or a two-conv small stem), then per block a depthwise token
    conv (a biased plain conv when stride 1 and in == out, else conv + BatchNorm), optional squeeze-excite and a
    1x1 expand-by-2 / 1x1 project channel MLP (conv + BatchNorm each)."""
    c = with_defaults(c, LCNET_V4)
    s0, s1, s2 = _three(c.ints("stem_channels"))
    lab = c.bool("use_learnable_affine_block") and bool(c.raw("hidden_act"))
    stem_type = c.str("stem_type")
    if stem_type not in ("large", "small"):
        raise NotExact(f"stem_type {stem_type!r} is not modelled for pp_lcnet_v4")
    n = hg_stem(s0, s1, s2, lab) if stem_type == "large" else _bn_conv(s0, s1, 3) + _bn_conv(s1, s2, 3)
    red = c.int("reduction")
    for k, cin, cout, stride, se in _blocks(c):
        if _is_one(stride) and cin == cout:
            n += cout * k * k + cout
        else:
            n += _bn_conv(cin, cin, k, cin)
        n += squeeze_excite(cin, red) if se else 0
        n += _bn_conv(cin, 2 * cin, 1) + _bn_conv(2 * cin, cout, 1)
    return n


def _three(stem: list[int]) -> tuple[int, int, int]:
    if len(stem) != 3 or min(stem) <= 0:
        raise NotExact("stem_channels must be three positive widths")
    return stem[0], stem[1], stem[2]


def _rep_layer(cin: int, cout: int, k: int, stride: object, branches: int, groups: int) -> int:
    """PPLCNetV3LearnableRepLayer: a BatchNorm identity (in == out, stride 1), ``branches`` k x k convs and a 1x1
    conv (k > 1) each with BatchNorm, and two learnable affine (scale, bias) pairs."""
    n = 2 * cin if cin == cout and _is_one(stride) else 0
    n += branches * _bn_conv(cin, cout, k, groups)
    n += _bn_conv(cin, cout, 1, groups) if k > 1 else 0
    return n + 4


def lcnet_v3(c: Cfg) -> int:
    """PPLCNetV3Backbone: a 3x3 stem conv + BatchNorm, then per block a depthwise rep layer, optional
    squeeze-excite and a pointwise rep layer; channels are ``make_divisible(width * scale, divisor)``."""
    c = with_defaults(c, LCNET_V3)
    scale, div = c.num("scale"), c.int("divisor")
    if div <= 0 or scale <= 0:
        raise NotExact("pp_lcnet_v3 needs a positive scale and divisor")
    branches, red = c.int("conv_symmetric_num"), c.int("reduction")
    n = _bn_conv(3, make_div(c.int("stem_channels") * scale, div), 3)
    for k, cin, cout, stride, se in _blocks(c):
        i, o = make_div(cin * scale, div), make_div(cout * scale, div)
        n += _rep_layer(i, i, k, stride, branches, i)
        n += squeeze_excite(i, red) if se else 0
        n += _rep_layer(i, o, 1, 1, branches, 1)
    return n


def _hgnet_backbone(c: Cfg) -> int:
    return hgnet_v2(c, "backbone").total


BACKBONES = {"pp_lcnet_v4": lcnet_v4, "pp_lcnet_v3": lcnet_v3, "hgnet_v2": _hgnet_backbone}


def _backbone_cfg(c: Cfg, absent: dict) -> tuple[str, Cfg]:
    """(model_type, config) of the ``load_backbone`` module: ``absent`` is the wrapper's backbone config when it
    states none (its ``model_type`` and the init kwargs that differ from that class's defaults)."""
    raw = c.data.get("backbone_config")
    if raw is None:
        raw = absent
    if not isinstance(raw, dict):
        raise ConfigProblem("backbone_config is not an object")
    mt = raw.get("model_type")
    if mt not in BACKBONES:
        raise NotExact(f"backbone_config.model_type {mt!r} is not modelled for OCR wrappers")
    return mt, Cfg(raw, "config.backbone_config")


def backbone(c: Cfg, absent: dict) -> int:
    """Parameters of the ``load_backbone`` module (see :func:`_backbone_cfg`)."""
    mt, b = _backbone_cfg(c, absent)
    return BACKBONES[mt](b)


def _last_width(c: Cfg, absent: dict, source: str) -> int:
    """The backbone width a recognition head reads: ``block_configs[-1][-1][2]`` ("raw"), the same scaled and
    rounded as PP-LCNetV3 does ("scaled"), or ``stage_out_channels[-1]`` ("stage"); NotExact where the backbone's
    config has no such attribute (transformers fails to build it)."""
    mt, b = _backbone_cfg(c, absent)
    if source == "stage" and mt == "hgnet_v2":
        return with_defaults(b, HGNET_V2).ints("stage_out_channels")[-1]
    if (
        mt == "hgnet_v2"
        or (source == "scaled" and mt != "pp_lcnet_v3")
        or (source == "stage" and mt != "pp_lcnet_v4")
    ):
        raise NotExact(f"a {mt} backbone has no width the {source!r} head reads")
    b = with_defaults(b, LCNET_V3 if mt == "pp_lcnet_v3" else LCNET_V4)
    width = _blocks(b)[-1][2]
    return make_div(width * b.num("scale"), b.int("divisor")) if source == "scaled" else width


def _cbn(cin: int, cout: int, area: int, groups: int = 1, act: int = 0) -> int:
    """A bias-free conv of kernel ``area`` (kh x kw), its BatchNorm and ``act`` activation parameters."""
    return cin // groups * cout * area + 2 * cout + act


REC = {"hidden_size": 120, "mlp_ratio": 2.0, "qkv_bias": True, "hidden_act": "silu"}
REC.update(head_out_channels=18385, conv_kernel_size=[1, 3])


def _svtr(c: Cfg, h: int) -> int:
    """SVTR mixing blocks (two LayerNorms, bias-free fused qkv with q / v biases, biased projection, MLP) and a
    final LayerNorm, plus the classifier linear to head_out_channels."""
    inner = int(h * c.num("mlp_ratio"))
    act = ACT_PARAMS.get(c.str("hidden_act"), 0)
    block = 4 * h + 3 * h * h + (3 * h if c.bool("qkv_bias") else 0) + linear(h, h) + mlp(h, inner) + act
    depth = c.int("depth", "num_hidden_layers", default=2)  # num_hidden_layers is its attribute_map alias
    return depth * block + 2 * h + linear(h, c.int("head_out_channels"))


def _kernel_area(c: Cfg) -> int:
    ks = c.ints("conv_kernel_size")
    if len(ks) != 2:
        raise NotExact("conv_kernel_size must be (kh, kw)")
    return ks[0] * ks[1]


def _rec_head(c: Cfg, family: str, absent: dict) -> int:
    """``...ForTextRecognition``'s head. Tiny: depthwise 5-tap and 1x1 Conv1d (+ BatchNorm) and two linears.
    V6 small: two 1x1 convs to the SVTR width and a depthwise one (+ BatchNorm, activation). V5: the five-conv SVTR
    neck (k x k to in / 8, 1x1 to the width, 1x1 back, k x k over the concatenation, 1x1 to the width). Then SVTR."""
    if family == "pp_ocrv6_tiny_rec":
        c = with_defaults(c, {"hidden_size": 120, "head_out_channels": 6625})
        i, h = _last_width(c, absent, "raw"), c.int("hidden_size")
        return i * 5 + 2 * i + i * i + 2 * i + linear(i, h) + linear(h, c.int("head_out_channels"))
    if family == "pp_ocrv6_small_rec":
        c = with_defaults(c, {**REC, "head_out_channels": 18714, "conv_kernel_size": [1, 7]})
        i, h, a = _last_width(c, absent, "raw"), c.int("hidden_size"), ACT_PARAMS.get(c.str("hidden_act"), 0)
        return 2 * _cbn(i, h, 1, act=a) + _cbn(h, h, _kernel_area(c), h, a) + _svtr(c, h)
    c = with_defaults(c, REC)
    i = _last_width(c, absent, "scaled" if family == "pp_ocrv5_mobile_rec" else "stage")
    h, k, e = c.int("hidden_size"), _kernel_area(c), i // 8
    return _cbn(i, e, k) + _cbn(e, h, 1) + _cbn(h, i, 1) + _cbn(2 * i, e, k) + _cbn(e, h, 1) + _svtr(c, h)


def _model(c: Cfg, head: str, family: str, absent: dict, extra: tuple[str, ...] = ()) -> Tally:
    claim_heads(head, *extra, family=family)
    t = Tally()
    t.has_kv = False
    t.add("other", backbone(c, absent))
    return t


V6_BACKBONE = {"model_type": "pp_lcnet_v4"}
V5_MOBILE_BACKBONE = {"model_type": "pp_lcnet_v3", "scale": 0.75, "divisor": 16}
V5_SERVER_BACKBONE = {"model_type": "hgnet_v2", "stage_downsample": [True] * 4}
REC_ABSENT = {"pp_ocrv5_mobile_rec": V5_MOBILE_BACKBONE, "pp_ocrv5_server_rec": V5_SERVER_BACKBONE}


def pp_ocr_rec(c: Cfg, head: str, family: str) -> Tally:
    """PP-OCRv5 mobile / server and PP-OCRv6 small / tiny recognisers: the base model is the backbone alone
    (PP-LCNetV3 x0.75 / HGNetV2 / PP-LCNetV4 by default); ``...ForTextRecognition`` adds its recognition head."""
    absent = REC_ABSENT.get(family, V6_BACKBONE)
    t = _model(c, head, family, absent, ("text_rec",))
    if head == "text_rec":
        t.add("heads", _rec_head(c, family, absent))
    return t


SMALL_DET = {"reduction": 4, "neck_out_channels": 96, "layer_list_out_channels": [12, 18, 42, 360]}
SMALL_DET.update(dilated_kernel_size=7, kernel_list=[3, 2, 2])


def pp_ocrv6_small_det(c: Cfg, head: str) -> Tally:
    """PP-OCRv6 small detector base model: the backbone and a neck of, per input level, a 1x1 bias-free conv to
    the neck width + squeeze-excite, and a biased depthwise k x k conv, a 1x1 to a quarter width + its
    squeeze-excite. ``...ForObjectDetection`` adds the DB head: k x k conv to a quarter width + BatchNorm, a biased
    stride-2 transposed conv + BatchNorm and a biased transposed conv to one map."""
    t = _model(c, head, "pp_ocrv6_small_det", V6_BACKBONE, ("object_detection",))
    c = with_defaults(c, SMALL_DET)
    n, red, k = c.int("neck_out_channels"), c.int("reduction"), c.int("dilated_kernel_size")
    for cin in c.ints("layer_list_out_channels"):
        t.add("other", cin * n + squeeze_excite(n, red))
        t.add("other", n * k * k + n + n * (n // 4) + squeeze_excite(n // 4, red))
    if head == "object_detection":
        kl = c.ints("kernel_list")
        if len(kl) != 3:
            raise NotExact("kernel_list must hold three kernel sizes")
        q = n // 4
        t.add("heads", _bn_conv(n, q, kl[0]) + q * q * kl[1] ** 2 + 3 * q + q * kl[2] ** 2 + 1)
    return t


UVDOC_BACKBONE = {"resnet_head": [[3, 32], [32, 32]], "kernel_size": 5}
UVDOC_BACKBONE["resnet_configs"] = [
    [[32, 32, 1, False], [32, 32, 3, False], [32, 32, 3, False]],
    [[32, 64, 1, True]] + [[64, 64, 3, False]] * 3,
    [[64, 128, 1, True]] + [[128, 128, 3, False]] * 5,
]
UVDOC_BACKBONE["stage_configs"] = [
    [[128, 1]],
    [[128, 2]],
    [[128, 5]],
    [[128, 8], [128, 3], [128, 2]],
    [[128, 12], [128, 7], [128, 4]],
    [[128, 18], [128, 12], [128, 6]],
]
UVDOC = {"hidden_act": "prelu", "kernel_size": 5, "bridge_connector": [128, 128]}
UVDOC["out_point_positions2D"] = [[128, 32], [32, 2]]


def _rows(rows: object, width: int, name: str) -> list[list[int]]:
    """A list of fixed-width integer entries (e.g. [in, out] pairs; booleans read as 0 / 1)."""
    if not isinstance(rows, list):
        raise ConfigProblem(f"{name} is not a list")
    for v in rows:
        if not isinstance(v, list) or len(v) != width or not all(isinstance(x, int) and x >= 0 for x in v):
            raise ConfigProblem(f"{name} entries must be lists of {width} non-negative integers")
    return rows


def _uvdoc_backbone(b: Cfg) -> tuple[int, int]:
    """UVDocBackbone (parameters, bridge stages): stride-2 head convs, ResNet stages of residual blocks (biased
    k x k start / final convs + BatchNorm, a biased downsample conv on downsampling blocks) and dilated 3x3 bridge
    convs; every conv but the biased ones is bias-free, each with a BatchNorm."""
    b = with_defaults(b, UVDOC_BACKBONE)
    k = b.int("kernel_size")
    n = sum(_bn_conv(i, o, k) for i, o in _rows(b.list("resnet_head"), 2, "resnet_head"))
    for stage in b.list("resnet_configs"):
        for i, o, _dilation, down in _rows(stage, 4, "resnet_configs"):
            n += (2 + bool(down)) * o + _bn_conv(i, o, k) + _bn_conv(o, o, k)
            n += _bn_conv(i, o, k) if down else 0
    stages = b.list("stage_configs")
    for stage in stages:
        n += sum(_bn_conv(i, i, 3) for i, _dilation in _rows(stage, 2, "stage_configs"))
    return n, len(stages)


def uvdoc(c: Cfg, head: str) -> Tally:
    """UVDocModel: the backbone, a 1x1 bridge connector over the concatenated bridge outputs, and the 2-D point
    head (k x k conv + BatchNorm + activation, then a biased k x k conv)."""
    claim_heads(head, family="uvdoc")
    raw = c.data.get("backbone_config") or {"model_type": "uvdoc_backbone"}
    if not isinstance(raw, dict) or raw.get("model_type", "uvdoc_backbone") != "uvdoc_backbone":
        raise NotExact("uvdoc counts only a uvdoc_backbone backbone_config")
    c = with_defaults(c, UVDOC)
    n, bridges = _uvdoc_backbone(Cfg(raw, "config.backbone_config"))
    ((bc_in, bc_out),) = _rows([c.list("bridge_connector")], 2, "bridge_connector")
    points = _rows(c.list("out_point_positions2D"), 2, "out_point_positions2D")
    if len(points) != 2:
        raise ConfigProblem("out_point_positions2D must hold two [in, out] pairs")
    (d_in, d_out), (u_in, u_out) = points
    k = c.int("kernel_size")
    head_n = _bn_conv(bc_in * bridges, bc_out, 1) + _bn_conv(d_in, d_out, k)
    t = Tally()
    t.has_kv = False
    t.add("other", n)
    t.add("heads", head_n + ACT_PARAMS.get(c.str("hidden_act"), 0) + u_in * u_out * k * k + u_out)
    return t


RADIO = {"hidden_size": 1280, "num_hidden_layers": 32, "num_attention_heads": 16, "mlp_ratio": 4.0}
RADIO.update(use_swiglu_ffn=False, qkv_bias=True, num_channels=3, patch_size=16, max_img_size=2048)
RADIO.update(num_cls_tokens=3, num_registers=7)


def radio(c: Cfg, head: str) -> Tally:
    """RadioModel (C-RADIO): a bias-free patch linear (and a video one with ``video_temporal_patch_size``), a
    (max_img_size / patch)^2 position table, cls + register tokens; pre-LN layers with biased o_proj, two
    layer scales and a GELU or SwiGLU MLP; no final norm."""
    claim_heads(head, family="radio")
    c = with_defaults(c, RADIO)
    h, L, nh = dims(c)
    hd, p = head_dim(c, h, nh), c.int("patch_size")
    patch_dim = c.int("num_channels") * p * p
    t = encoder_tally(L, nh * hd)
    frames = c.int("video_temporal_patch_size", default=0)
    grid = c.int("max_img_size") // positive("patch_size", p)
    tokens = c.int("num_cls_tokens") + c.int("num_registers")
    t.add("embeddings", (patch_dim * (1 + frames) + grid * grid + tokens) * h)
    bias = c.bool("qkv_bias")
    t.add("attention", L * attention(h, nh, nh, hd, q_bias=bias, k_bias=bias, v_bias=bias, o_bias=True))
    width = int(h * c.num("mlp_ratio"))
    if c.bool("use_swiglu_ffn"):
        width = (int(width * 2 / 3) + 7) // 8 * 8
        t.add("mlp", L * gated_mlp(h, width, bias=True))
    else:
        t.add("mlp", L * mlp(h, width))
    t.add("norms", L * 6 * h)  # two LayerNorms (weight + bias) and two layer scales per layer
    return t


FORMULANET_VISION = {
    **SAM_VISION,
    "image_size": 512,
    "post_conv_in_channels": 256,
    "post_conv_mid_channels": 512,
}
FORMULANET_VISION.update(post_conv_out_channels=1024, decoder_hidden_size=512)
FORMULANET_TEXT = {"vocab_size": 50000, "max_position_embeddings": 2560, "decoder_layers": 8}
FORMULANET_TEXT.update(decoder_ffn_dim=2048, decoder_attention_heads=16)


def pp_formulanet(c: Cfg, head: str) -> Tally:
    """PP-FormulaNet: a SAM-style windowed ViT encoder with its neck, a projector (two stride-2 3x3 bias-free convs,
    two linears to the decoder width), and an mBART-style decoder (scaled token embedding, learned positions + 2,
    embedding and final LayerNorms); ``...ForConditionalGeneration`` adds an lm_head that is never tied."""
    claim_heads(head, "cond_gen", family="pp_formulanet")
    vc = sub_config(c, "vision_config", FORMULANET_VISION)
    t = sam_vision_model(vc, "model")
    pin, pmid, pout = (vc.int(f"post_conv_{k}_channels") for k in ("in", "mid", "out"))
    t.add(
        "other",
        9 * (pin * pmid + pmid * pout) + linear(pout, pout) + linear(pout, vc.int("decoder_hidden_size")),
    )
    tc = sub_config(c, "text_config", FORMULANET_TEXT)
    d, V = positive("d_model", tc.int("d_model", "hidden_size", default=512)), tc.int("vocab_size")
    dl, nh = tc.int("decoder_layers"), positive("decoder_attention_heads", tc.int("decoder_attention_heads"))
    t.embed(V * d)
    t.add("embeddings", (tc.int("max_position_embeddings") + 2) * d)
    _layers(t, d, enc=0, dec=dl, ef=0, df=tc.int("decoder_ffn_dim"))
    t.add("norms", 4 * d)
    t.has_kv = True
    t.kv_layers = []
    _decoder_kv(t, dl, nh, d // nh)
    if head == "cond_gen":
        t.add("heads", V * d)
    return t


UOCR_SAM = {**SAM_VISION, "downsample_channels": [512, 1024]}
UOCR_CLIP = {
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
}
UOCR_CLIP.update(image_size=224, patch_size=14)
UOCR_TEXT = {"vocab_size": 129280, "hidden_size": 1280, "intermediate_size": 6848, "num_hidden_layers": 12}
UOCR_TEXT.update(num_attention_heads=10, attention_bias=False, mlp_bias=False)
UOCR_TEXT.update(n_shared_experts=2, num_experts_per_tok=6, moe_intermediate_size=896)


def _uocr_vision(vc: Cfg) -> tuple[int, int]:
    """UnlimitedOcrVisionModel (parameters, feature width): the SAM ViT-B encoder with its neck and two stride-2
    bias-free 3x3 downsampling convs, and a CLIP-L encoder fed SAM features (class token, positions, pre-LayerNorm,
    layers; no patch conv, no post-LayerNorm)."""
    sam = sub_config(vc, "sam_config", UOCR_SAM)
    ds = sam.ints("downsample_channels")
    if len(ds) != 2:
        raise NotExact("sam_config.downsample_channels must hold two widths")
    n = sam_vision_model(sam, "model").total + 9 * (sam.int("output_channels") * ds[0] + ds[0] * ds[1])
    enc = sub_config(vc, "encoder_config", UOCR_CLIP)
    eh = enc.int("hidden_size")
    grid = enc.int("image_size") // positive("patch_size", enc.int("patch_size"))
    clip = Tally()
    vit_blocks(clip, enc, eh)
    return n + clip.total + (grid * grid + 2) * eh + 2 * eh, ds[1] + eh


def _uocr_text(t: Tally, tc: Cfg) -> int:
    """UnlimitedOcrTextModel (DeepSeek-V2-style, plain attention with head_dim = hidden / heads): dense gated MLP
    layers and MoE layers (stacked experts, a router, shared experts) as ``mlp_layer_types`` says (default: the
    first ``first_k_dense_replace`` = 1 dense); returns the text width."""
    h, L, nh = dims(tc)
    kv = tc.int("num_key_value_heads", default=nh)
    types = tc.list("mlp_layer_types", default=None)
    if types is None:
        first = tc.int("first_k_dense_replace", default=1)
        types = ["sparse" if i >= first else "dense" for i in range(L)]
    if len(types) != L or any(x not in ("dense", "sparse") for x in types):
        raise NotExact("mlp_layer_types must name dense or sparse for every layer")
    ab, mb = tc.bool("attention_bias"), tc.bool("mlp_bias")
    hd = h // nh
    V = tc.int("vocab_size")
    t.embed(V * h)
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=ab, k_bias=ab, v_bias=ab, o_bias=ab))
    t.add("norms", (2 * L + 1) * h)
    sparse = types.count("sparse")
    E, k, mi = (
        tc.int("n_routed_experts", "num_experts", default=64),
        tc.int("num_experts_per_tok"),
        tc.int("moe_intermediate_size"),
    )
    t.add("mlp", (L - sparse) * gated_mlp(h, tc.int("intermediate_size"), mb))
    t.add("mlp", sparse * (E * h + gated_mlp(h, mi * tc.int("n_shared_experts"), mb)))
    t.experts(sparse * E * 3 * h * mi, sparse * min(k, E) * 3 * h * mi)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * kv * hd, None, nh * hd))
    return h


def unlimited_ocr(c: Cfg, head: str) -> Tally:
    """Unlimited-OCR (DeepSeek-OCR layout): the SAM + CLIP vision tower, a biased linear projector from the
    concatenated features, view-separator and image-newline vectors, the MoE text model, and an lm_head on
    ``...ForConditionalGeneration`` unless the wrapper's own flag ties it (a text-config flag does not: the class is
    new in transformers 5). A ``language_config`` stands in for an absent ``text_config``."""
    key = "text_config" if c.data.get("text_config") is not None else "language_config"
    tc = sub_config(c, key, UOCR_TEXT)
    t = Tally()
    th = _uocr_text(t, tc)
    vision, width = _uocr_vision(sub_config(c, "vision_config", {}))
    t.add("vision", vision)
    t.add("other", linear(width, th) + 2 * th)
    t.notes.append("KV cache counted in full; reference sliding attention keeps image and prompt tokens too")
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=False))


DOCLAYOUT = {"encoder_hidden_dim": 256, "encoder_in_channels": [512, 1024, 2048], "feat_strides": [8, 16, 32]}
DOCLAYOUT.update(encoder_layers=1, encoder_ffn_dim=1024, encode_proj_layers=[2], hidden_expansion=1.0)
DOCLAYOUT.update(
    num_queries=300, decoder_in_channels=[256, 256, 256], decoder_ffn_dim=1024, num_feature_levels=3
)
DOCLAYOUT.update(decoder_n_points=4, decoder_layers=6, decoder_attention_heads=8, num_denoising=100)
DOCLAYOUT.update(global_pointer_head_size=64, freeze_backbone_batch_norms=True, tie_word_embeddings=True)
DOCLAYOUT_V3 = {**DOCLAYOUT, "mask_feature_channels": [64, 64], "x4_feat_dim": 128}
DOCLAYOUT_V3.update(num_prototypes=32, learn_initial_query=False)
DOCLAYOUT_V4 = {**DOCLAYOUT, "num_coords": 10, "deform_pred": False, "deform_conv_width": 128}
DOCLAYOUT_V4["deform_kbins"] = 41
HGNET_BACKBONE = {"embedding_size": 64, "hidden_sizes": [256, 512, 1024, 2048], "depths": [3, 4, 6, 3]}


def mlp_head(i: int, hidden: int, o: int, layers: int) -> int:
    """A DETR MLPPredictionHead: ``layers`` biased linears i -> hidden -> ... -> o."""
    widths = [i] + [hidden] * (layers - 1) + [o]
    return sum(linear(a, b) for a, b in zip(widths, widths[1:], strict=False))


def _detr_backbone(c: Cfg, out_indices: list[int]) -> tuple[int, list[int]]:
    """The HGNetV2 backbone under an RT-DETR-style wrapper (frozen BatchNorms by default): (parameters, channels of
    the stages it returns). ``out_indices`` are the wrapper's when it states no backbone_config."""
    if c.raw("backbone") is not None or c.bool("use_timm_backbone", default=False):
        raise NotExact("a named (timm) backbone is not modelled for PP-DocLayout")
    raw = c.data.get("backbone_config")
    raw = {"model_type": "hgnet_v2", "out_indices": out_indices} if raw is None else raw
    if not isinstance(raw, dict) or raw.get("model_type") != "hgnet_v2":
        raise NotExact("PP-DocLayout counts only an hgnet_v2 backbone_config")
    b = with_defaults(Cfg(raw, "config.backbone_config"), HGNET_BACKBONE)
    n = hgnet_v2(b, "backbone", frozen_bn=c.bool("freeze_backbone_batch_norms")).total
    widths = [b.int("embedding_size"), *b.ints("hidden_sizes")]
    names = ["stem"] + [f"stage{i}" for i in range(1, len(b.list("depths")) + 1)]
    idx = b.ints("out_indices", default=None)
    if idx is None:
        feats = b.list("out_features", default=None) or [names[-1]]
        if any(f not in names for f in feats):
            raise NotExact("backbone out_features name stages the backbone does not have")
        idx = [names.index(f) for f in feats]
    if any(i >= len(widths) for i in idx):
        raise NotExact("backbone out_indices point past the backbone's stages")
    return n, [widths[i] for i in idx]


def _hybrid_encoder(c: Cfg) -> int:
    """RT-DETR's hybrid encoder: AIFI transformer layers (biased q/k/v/o, two LayerNorms, FFN) per projected level,
    and top-down / bottom-up paths of 1x1 lateral and 3x3 stride-2 convs (+ BatchNorm) with CSP-RepVGG blocks."""
    E, ffn = c.int("encoder_hidden_dim"), c.int("encoder_ffn_dim")
    aifi = (
        len(c.list("encode_proj_layers")) * c.int("encoder_layers") * (4 * linear(E, E) + 4 * E + mlp(E, ffn))
    )
    hid = int(E * c.num("hidden_expansion"))
    csp = 2 * _bn_conv(2 * E, hid, 1) + 3 * (_bn_conv(hid, hid, 3) + _bn_conv(hid, hid, 1))
    csp += _bn_conv(hid, E, 1) if hid != E else 0
    stages = len(c.list("encoder_in_channels")) - 1
    return aifi + stages * (_bn_conv(E, E, 1) + _bn_conv(E, E, 3) + 2 * csp)


def _detr_decoder(c: Cfg, d: int) -> int:
    """The decoder input projections (1x1 per input level, then 3x3 stride-2 for extra levels; + BatchNorm) and the
    decoder layers (self-attention, multi-scale deformable cross-attention, FFN, three LayerNorms)."""
    ins = c.ints("decoder_in_channels")
    n = sum(_bn_conv(i, d, 1) for i in ins)
    levels = c.int("num_feature_levels")
    prev = ins[-1] if ins else 0
    for _ in range(levels - len(ins)):
        n += _bn_conv(prev, d, 3)
        prev = d
    nh, pts = c.int("decoder_attention_heads"), c.int("decoder_n_points")
    deform = linear(d, nh * levels * pts * 2) + linear(d, nh * levels * pts) + 2 * linear(d, d)
    layer = 4 * linear(d, d) + deform + mlp(d, c.int("decoder_ffn_dim")) + 6 * d
    return n + c.int("decoder_layers") * layer


def _is_pow2(v: int) -> bool:
    return v > 0 and v & (v - 1) == 0


def _mask_fpn(c: Cfg, E: int) -> int:
    """PP-DocLayoutV3's mask branch: per level a scale head of log2(stride / min stride) (at least one) 3x3 convs,
    an output 3x3 conv, the x4 lateral 3x3 conv and the prototype output (3x3 conv, biased 1x1) (+ BatchNorm)."""
    strides = c.ints("feat_strides")
    if not strides or not all(_is_pow2(s) for s in strides):
        raise NotExact("feat_strides that are not powers of two are not modelled")
    widths = c.ints("mask_feature_channels")
    if len(widths) != 2:
        raise NotExact("mask_feature_channels must hold two widths")
    fc, out = widths
    base = min(strides)
    n = 0
    for s in strides:
        n += _bn_conv(E, fc, 3) + (max(1, s.bit_length() - base.bit_length()) - 1) * _bn_conv(fc, fc, 3)
    n += _bn_conv(fc, out, 3) + _bn_conv(c.int("x4_feat_dim"), out, 3) + _bn_conv(out, out, 3)
    return n + linear(out, c.int("num_prototypes"))


def _doclayout_common(c: Cfg, d: int, out_indices: list[int], proj_from: int) -> Tally:
    """Backbone, encoder input projections (1x1 + BatchNorm, from the ``proj_from``-th backbone output), hybrid
    encoder, encoder output (linear + LayerNorm), decoder input projections and layers."""
    t = Tally()
    t.has_kv = False
    n, channels = _detr_backbone(c, out_indices)
    t.add("other", n)
    E = c.int("encoder_hidden_dim")
    t.add("other", sum(_bn_conv(ch, E, 1) for ch in channels[proj_from:]) + _hybrid_encoder(c))
    t.add("other", linear(d, d) + 2 * d + _detr_decoder(c, d))
    return t


def pp_doclayout_v3(c: Cfg, head: str) -> Tally:
    """PPDocLayoutV3Model / ForObjectDetection: the RT-DETR body (encoder projections from the second backbone output), the mask
    branch, denoising label embedding (labels + 1), encoder score / box heads, query position MLP, the decoder's
    class / box heads (tied to the encoder's when ``tie_word_embeddings``), per-layer order projections, the global
    pointer, the decoder LayerNorm and the mask query MLP."""
    claim_heads(head, "object_detection", family="pp_doclayout_v3")
    c = with_defaults(c, DOCLAYOUT_V3)
    d, labels, L = c.int("d_model", "hidden_size", default=256), c.num_labels(), c.int("decoder_layers")
    t = _doclayout_common(c, d, [1, 2, 3, 4], 1)
    E = c.int("encoder_hidden_dim")
    t.add("other", _mask_fpn(c, E))
    if head == "object_detection":  # the detection class swaps in a label embedding without the padding row
        t.add("embeddings", labels * d)
    else:
        t.add("embeddings", (labels + 1) * d if c.int("num_denoising") > 0 else 0)
    t.add("embeddings", c.int("num_queries") * d if c.bool("learn_initial_query") else 0)
    heads = linear(d, labels) + mlp_head(d, d, 4, 3)
    t.add("heads", heads * (1 if c.bool("tie_word_embeddings") else 2) + mlp_head(4, 2 * d, d, 2))
    gp = c.int("global_pointer_head_size")
    t.add("heads", L * linear(d, d) + linear(d, 2 * gp) + 2 * d + mlp_head(d, d, c.int("num_prototypes"), 3))
    return t


def pp_doclayout_v4(c: Cfg, head: str) -> Tally:
    """PPDocLayoutV4Model / ForObjectDetection: the RT-DETR body (encoder projections from every backbone output), the optional
    geometry head, encoder score / quad heads, a quad query-position MLP, per-layer quad and class heads, successor
    and relative reading-order heads (per-layer projections, a q/k global pointer each, one fusion weight) and a
    denoising label embedding; nothing is tied."""
    claim_heads(head, "object_detection", family="pp_doclayout_v4")  # the detection class adds nothing
    c = with_defaults(c, DOCLAYOUT_V4)
    d, labels, L = c.int("hidden_size", "d_model", default=256), c.num_labels(), c.int("decoder_layers")
    nc, gp = c.int("num_coords"), c.int("global_pointer_head_size")
    t = _doclayout_common(c, d, [2, 3, 4], 0)
    if c.bool("deform_pred"):
        w, E = c.int("deform_conv_width"), c.int("encoder_hidden_dim")
        t.add("other", (E + 2) * w * 9 + w + 2 * (w * w * 9 + w) + linear(w, 7 + 2 * c.int("deform_kbins")))
    t.add("heads", linear(d, labels) + mlp_head(d, d, nc, 3) + mlp_head(nc, 2 * d, d, 2))
    t.add("heads", L * (mlp_head(d, d, nc, 3) + linear(d, labels)))
    t.add("heads", 2 * (L * linear(d, d) + 2 * linear(d, gp)) + 1)
    t.add("embeddings", labels * d if c.int("num_denoising") > 0 else 0)
    return t


for _mt, _prefix in (
    ("pp_ocrv6_small_rec", "PPOCRV6SmallRec"),
    ("pp_ocrv6_tiny_rec", "PPOCRV6TinyRec"),
    ("pp_ocrv5_mobile_rec", "PPOCRV5MobileRec"),
    ("pp_ocrv5_server_rec", "PPOCRV5ServerRec"),
):
    register_own(
        _mt, partial(pp_ocr_rec, family=_mt), _prefix, classes={f"{_prefix}ForTextRecognition": "text_rec"}
    )
register_own(
    "pp_ocrv6_small_det",
    pp_ocrv6_small_det,
    "PPOCRV6SmallDet",
    classes={"PPOCRV6SmallDetForObjectDetection": "object_detection"},
)
register_own("uvdoc", uvdoc, "UVDoc")
register_own("radio", radio, "Radio")
register("pp_formulanet", pp_formulanet, "PPFormulaNet", name="pp_formulanet")
register("unlimited_ocr", unlimited_ocr, "UnlimitedOcr", name="unlimited_ocr")
for _mt, _fn, _prefix in (
    ("pp_doclayout_v3", pp_doclayout_v3, "PPDocLayoutV3"),
    ("pp_doclayout_v4", pp_doclayout_v4, "PPDocLayoutV4"),
):
    register_own(_mt, _fn, _prefix, classes={f"{_prefix}ForObjectDetection": "object_detection"})
