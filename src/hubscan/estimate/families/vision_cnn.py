"""Convolutional image backbones not covered elsewhere: BiT (ResNet v2 with weight-standardised convolutions and
GroupNorm), EfficientNet (MBConv stages), TextNet (re-parameterisable convs),
SwiftFormer, CvT, FocalNet, HGNet-V2, LeViT, MobileViT (v1 and v2).

Each formula follows the module tree transformers 5 builds; heads not claimed in a registration raise NotExact.
"""

from __future__ import annotations

import math

from hubscan.estimate.families.common import Cfg, NotExact, Tally, linear, positive
from hubscan.estimate.families.vision_more import register_own, with_defaults

BIT = {
    "num_channels": 3,
    "embedding_size": 64,
    "hidden_sizes": [256, 512, 1024, 2048],
    "depths": [3, 4, 6, 3],
}
BIT.update(layer_type="preactivation", num_groups=32, width_factor=1)


def make_div(value: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of ``divisor`` (not below it, nor more than 10% down)."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


def _bit_layer(cin: int, cout: int, first: bool, preact: bool) -> int:
    """One bottleneck layer: 1x1, 3x3, 1x1 bias-free convs with three GroupNorms (pre-activation: the norms read
    the input width, mid, mid; otherwise mid, mid, out), and a 1x1 projection on the first layer of a stage (with
    a GroupNorm unless pre-activation)."""
    mid = make_div(cout * 0.25)
    n = cin * mid + mid * mid * 9 + mid * cout
    n += 2 * (cin + 2 * mid) if preact else 2 * (2 * mid + cout)
    if first:
        n += cin * cout + (0 if preact else 2 * cout)
    return n


def bit(c: Cfg, head: str) -> Tally:
    """BitModel / BitForImageClassification / BitBackbone: weight-standardised 7x7 stem (GroupNorm unless
    pre-activation), bottleneck stages, a final GroupNorm in the pre-activation variant."""
    if head not in ("model", "img_cls", "backbone"):
        raise NotExact(f"output head '{head}' is not modelled for bit")
    c = with_defaults(c, BIT)
    kind = c.str("layer_type")
    if kind not in ("preactivation", "bottleneck"):
        raise NotExact(f"layer_type {kind!r} is not modelled for bit")
    preact = kind == "preactivation"
    E, sizes, depths = c.int("embedding_size"), c.ints("hidden_sizes"), c.ints("depths")
    if not sizes or len(sizes) != len(depths):
        raise NotExact("hidden_sizes and depths must be non-empty lists of one length")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", c.int("num_channels") * E * 49 + (0 if preact else 2 * E))
    prev = E
    for size, depth in zip(sizes, depths, strict=True):
        out = make_div(size * c.int("width_factor"))
        t.add("other", sum(_bit_layer(prev if i == 0 else out, out, i == 0, preact) for i in range(depth)))
        prev = out
    if preact:
        t.add("norms", 2 * sizes[-1])
    if head == "img_cls" and c.num_labels() > 0:
        t.add("heads", linear(sizes[-1], c.num_labels()))
    return t


EFFICIENTNET = {"num_channels": 3, "width_coefficient": 2.0, "depth_coefficient": 3.1, "depth_divisor": 8}
EFFICIENTNET.update(kernel_sizes=[3, 3, 5, 3, 5, 5, 3], in_channels=[32, 16, 24, 40, 80, 112, 192])
EFFICIENTNET.update(out_channels=[16, 24, 40, 80, 112, 192, 320], strides=[1, 2, 2, 2, 1, 2, 1])
EFFICIENTNET.update(num_block_repeats=[1, 2, 2, 3, 3, 4, 1], expand_ratios=[1, 6, 6, 6, 6, 6, 6])
EFFICIENTNET.update(squeeze_expansion_ratio=0.25, hidden_dim=2560)


def _mbconv(cin: int, cout: int, ratio: int, k: int, squeeze: float) -> int:
    """EfficientNetBlock: 1x1 expansion + BatchNorm (ratio != 1), k x k depthwise conv + BatchNorm, squeeze-excite
    (two biased 1x1 convs, the bottleneck sized from the block input), 1x1 projection + BatchNorm."""
    wide = cin * ratio
    n = cin * wide + 2 * wide if ratio != 1 else 0
    se = max(1, int(cin * squeeze))
    return n + wide * k * k + 2 * wide + linear(wide, se) + linear(se, wide) + wide * cout + 2 * cout


def efficientnet(c: Cfg, head: str) -> Tally:
    """EfficientNetModel / ForImageClassification: 3x3 stem + BatchNorm, MBConv stages (widths rounded by
    width_coefficient, repeats by depth_coefficient), 1x1 top conv + BatchNorm over hidden_dim."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for efficientnet")
    c = with_defaults(c, EFFICIENTNET)
    w, div = c.num("width_coefficient"), c.int("depth_divisor")
    keys = ("in_channels", "out_channels", "kernel_sizes", "expand_ratios", "num_block_repeats")
    stages = [c.ints(k) for k in keys]
    if not stages[0] or any(len(v) < len(stages[0]) for v in stages):
        raise NotExact(f"{', '.join(keys)} must have an entry per stage")

    def width(n: int) -> int:
        return make_div(n * w, div)

    t = Tally()
    t.has_kv = False
    stem = width(32)
    t.add("embeddings", c.int("num_channels") * stem * 9 + 2 * stem)
    sq, out = c.num("squeeze_expansion_ratio"), stem
    for cin, cout, k, ratio, reps in zip(*stages, strict=False):
        n = math.ceil(c.num("depth_coefficient") * reps)
        out = width(cout)
        t.add("other", sum(_mbconv(width(cin) if j == 0 else out, out, ratio, k, sq) for j in range(n)))
    hidden = c.int("hidden_dim")
    t.add("other", out * width(1280) + 2 * hidden)
    if head == "img_cls" and c.num_labels() > 0:
        t.add("heads", linear(hidden, c.num_labels()))
    return t


TEXTNET = {"stem_kernel_size": 3, "stem_num_channels": 3, "stem_out_channels": 64}
TEXTNET.update(
    hidden_sizes=[64, 64, 128, 256, 512],
    conv_layer_strides=[[1, 2, 1], [2, 1, 1, 1], [2, 1, 1, 1], [2, 1, 1, 1]],
)
TEXTNET["conv_layer_kernel_sizes"] = [
    [[3, 3], [3, 3], [3, 3]],
    [[3, 3], [1, 3], [3, 3], [3, 1]],
    [[3, 3], [3, 3], [3, 1], [1, 3]],
    [[3, 3], [3, 1], [1, 3], [3, 3]],
]


def _rep_conv(cin: int, cout: int, kernel: list, stride: int) -> int:
    """TextNetRepConvLayer: bias-free kh x kw main conv, kh x 1 (when kw != 1) and 1 x kw (when kh != 1) branches,
    each with a BatchNorm, and an identity BatchNorm when shape and stride allow."""
    if len(kernel) != 2 or any(isinstance(k, bool) or not isinstance(k, int) or k <= 0 for k in kernel):
        raise NotExact("conv_layer_kernel_sizes entries must be [kh, kw] positive integers")
    kh, kw = kernel
    n = cin * cout * kh * kw + 2 * cout
    n += cin * cout * kh + 2 * cout if kw != 1 else 0
    n += cin * cout * kw + 2 * cout if kh != 1 else 0
    return n + (2 * cin if cin == cout and stride == 1 else 0)


def textnet(c: Cfg, head: str) -> Tally:
    """TextNetModel / ForImageClassification: bias-free stem conv + BatchNorm, stages of re-parameterisable convs."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for textnet")
    c = with_defaults(c, TEXTNET)
    k, so = c.int("stem_kernel_size"), c.int("stem_out_channels")
    sizes, kernels, strides = (
        c.ints("hidden_sizes"),
        c.list("conv_layer_kernel_sizes"),
        c.list("conv_layer_strides"),
    )
    if len(sizes) <= len(kernels) or len(strides) < len(kernels):
        raise NotExact("hidden_sizes / conv_layer_strides must cover every stage")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", c.int("stem_num_channels") * so * k * k + 2 * so)
    for i, (ks, ss) in enumerate(zip(kernels, strides, strict=False)):
        if not isinstance(ks, list) or not isinstance(ss, list) or len(ss) < len(ks):
            raise NotExact("each stage needs a kernel and a stride per layer")
        ins = [sizes[i]] + [sizes[i + 1]] * (len(ks) - 1)
        t.add("other", sum(_rep_conv(a, sizes[i + 1], kk, s) for a, kk, s in zip(ins, ks, ss, strict=False)))
    if head == "img_cls" and c.num_labels() > 0:
        t.add("heads", linear(sizes[-1], c.num_labels()))
    return t


SWIFTFORMER = {"num_channels": 3, "depths": [3, 3, 6, 4], "embed_dims": [48, 56, 112, 220], "mlp_ratio": 4}
SWIFTFORMER.update(downsamples=[True] * 4, down_patch_size=3, use_layer_scale=True)


def _swift_stage(dim: int, depth: int, ratio: float, layer_scale: bool) -> int:
    """A SwiftFormer stage: conv encoders (depthwise 3x3 + BatchNorm, two 1x1 convs, layer scale), the last block an
    encoder block (local representation, additive attention, BatchNorm MLP, two layer scales if enabled)."""
    hid = int(ratio * dim)
    conv = linear(9, dim) + 2 * dim + linear(dim, hid) + linear(hid, dim) + dim
    local = linear(9, dim) + 2 * dim + 2 * linear(dim, dim) + dim
    block = local + 4 * linear(dim, dim) + dim + 2 * dim + linear(dim, hid) + linear(hid, dim)
    return (depth - 1) * conv + block + (2 * dim if layer_scale else 0) if depth > 0 else 0


def swiftformer(c: Cfg, head: str) -> Tally:
    """SwiftFormerModel: two stride-2 conv + BatchNorm stem, stages, a k x k conv + BatchNorm between stages that
    downsample or change width (the classification heads are not counted)."""
    _model_only(head, "swiftformer")
    c = with_defaults(c, SWIFTFORMER)
    dims, depths, down = c.ints("embed_dims"), c.ints("depths"), c.list("downsamples")
    k = c.int("down_patch_size")
    if not depths or len(dims) < len(depths) or len(down) < len(depths) - 1:
        raise NotExact("embed_dims / downsamples must cover depths")
    C, o = c.int("num_channels"), dims[0]
    t = Tally()
    t.has_kv = False
    t.add("embeddings", linear(9 * C, o // 2) + 2 * (o // 2) + linear(9 * (o // 2), o) + 2 * o)
    ratio, ls = c.num("mlp_ratio"), c.bool("use_layer_scale")
    for i, depth in enumerate(depths):
        t.add("other", _swift_stage(dims[i], depth, ratio, ls))
        if i < len(depths) - 1 and (down[i] or dims[i] != dims[i + 1]):
            t.add("other", linear(k * k * dims[i], dims[i + 1]) + 2 * dims[i + 1])
    return t


def _model_only(head: str, family: str) -> None:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {family}")


CVT = {"num_channels": 3, "patch_sizes": [7, 3, 3], "embed_dim": [64, 192, 384], "depth": [1, 2, 10]}
CVT.update(mlp_ratio=[4.0] * 3, qkv_bias=[True] * 3, cls_token=[False, False, True], kernel_qkv=[3] * 3)
CVT.update(qkv_projection_method=["dw_bn"] * 3)


def _cvt_layer(d: int, ratio: float, qkv_bias: bool, method: str, k: int) -> int:
    """CvtLayer: per q/k/v a depthwise k x k conv + BatchNorm under "dw_bn" (nothing under "avg"), biased-or-not
    q/k/v linears, output dense, MLP, two LayerNorms."""
    if method not in ("dw_bn", "avg"):
        raise NotExact(f"qkv_projection_method {method!r} is not modelled for cvt")
    conv = 3 * (d * k * k + 2 * d) if method == "dw_bn" else 0
    hid = int(d * ratio)
    return conv + 3 * linear(d, d, qkv_bias) + linear(d, d) + linear(d, hid) + linear(hid, d) + 4 * d


def cvt(c: Cfg, head: str) -> Tally:
    """CvtModel / ForImageClassification: per stage a conv patch embedding + LayerNorm, an optional [CLS] token
    (sized by the last stage's width), convolutional-projection layers; the classifier adds a LayerNorm."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for cvt")
    c = with_defaults(c, CVT)
    keys = ("embed_dim", "depth", "patch_sizes", "mlp_ratio", "qkv_bias", "cls_token")
    dims, depths, patches, kernels = (c.ints(k) for k in ("embed_dim", "depth", "patch_sizes", "kernel_qkv"))
    ratios, biases, cls, methods = (
        c.list(k) for k in ("mlp_ratio", "qkv_bias", "cls_token", "qkv_projection_method")
    )
    if not all(isinstance(r, (int, float)) and not isinstance(r, bool) for r in ratios) or not all(
        isinstance(b, bool) for b in biases + cls
    ):
        raise NotExact("mlp_ratio must list numbers, qkv_bias / cls_token booleans")
    S = len(depths)
    if S == 0 or min(len(v) for v in (dims, patches, ratios, biases, cls, methods, kernels)) < S:
        raise NotExact(f"{', '.join(keys)} must have an entry per stage")
    t = Tally()
    t.has_kv = False
    prev = c.int("num_channels")
    for s in range(S):
        d, k = dims[s], patches[s]
        t.add("embeddings", linear(prev * k * k, d) + 2 * d + (dims[-1] if cls[s] else 0))
        t.add("other", depths[s] * _cvt_layer(d, ratios[s], biases[s], methods[s], kernels[s]))
        prev = d
    if head == "img_cls":
        t.add("heads", 2 * dims[-1] + (linear(dims[-1], c.num_labels()) if c.num_labels() > 0 else 0))
    return t


FOCALNET = {
    "patch_size": 4,
    "num_channels": 3,
    "embed_dim": 96,
    "use_conv_embed": False,
    "depths": [2, 2, 6, 2],
}
FOCALNET.update(focal_levels=[2] * 4, focal_windows=[3] * 4, mlp_ratio=4.0, use_layerscale=False)
FOCALNET.update(use_post_layernorm_in_modulation=False)


def _focal_layer(d: int, level: int, window: int, ratio: float, post_ln: bool, scale: bool) -> int:
    """FocalNetLayer: two LayerNorms, focal modulation (biased in-projection to 2 d + level + 1, 1x1 context conv,
    out-projection, bias-free depthwise convs of kernel 2 k + window, optional LayerNorm), MLP, layer scales."""
    hid = int(d * ratio)
    mod = (
        linear(d, 2 * d + level + 1) + 2 * linear(d, d) + sum(d * (2 * k + window) ** 2 for k in range(level))
    )
    return 4 * d + mod + (2 * d if post_ln else 0) + linear(d, hid) + linear(hid, d) + (2 * d if scale else 0)


def focalnet(c: Cfg, head: str) -> Tally:
    """FocalNetModel / ForImageClassification: patch (or 7x7 conv) stem + LayerNorm, stages of width
    embed_dim * 2^i (hidden_sizes is not read) joined by 2x2 (or 3x3 conv) downsamplers with LayerNorm, final
    LayerNorm."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for focalnet")
    c = with_defaults(c, FOCALNET)
    E, depths, conv = c.int("embed_dim"), c.ints("depths"), c.bool("use_conv_embed")
    levels, windows = c.ints("focal_levels"), c.ints("focal_windows")
    if not depths or min(len(levels), len(windows)) < len(depths):
        raise NotExact("focal_levels / focal_windows must have an entry per stage")
    p = c.int("patch_size")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", linear(c.int("num_channels") * (49 if conv else p * p), E) + 2 * E)
    ratio, post, scale = (
        c.num("mlp_ratio"),
        c.bool("use_post_layernorm_in_modulation"),
        c.bool("use_layerscale"),
    )
    S = len(depths)
    for i, depth in enumerate(depths):
        d = E * 2**i
        t.add("other", depth * _focal_layer(d, levels[i], windows[i], ratio, post, scale))
        if i < S - 1:
            t.add("other", linear(d * (9 if conv else 4), 2 * d) + 4 * d)
    width = E * 2 ** (S - 1)
    t.add("norms", 2 * width)
    if head == "img_cls" and c.num_labels() > 0:
        t.add("heads", linear(width, c.num_labels()))
    return t


HGNET_V2 = {"hidden_sizes": [256, 512, 1024, 2048], "hidden_act": "relu", "stem_channels": [3, 32, 48]}
HGNET_V2.update(stage_in_channels=[48, 128, 512, 1024], stage_mid_channels=[48, 96, 192, 384])
HGNET_V2.update(stage_out_channels=[128, 512, 1024, 2048], stage_num_blocks=[1, 1, 3, 1])
HGNET_V2.update(stage_downsample=[False, True, True, True], stage_light_block=[False, False, True, True])
HGNET_V2.update(
    stage_kernel_size=[3, 3, 5, 5], stage_numb_of_layers=[6] * 4, use_learnable_affine_block=False
)


def _hg_conv(cin: int, cout: int, k: int, lab: bool, groups: int = 1, bn: int = 2) -> int:
    """HGNetV2ConvLayer: bias-free conv, BatchNorm (``bn`` = 0: frozen, buffers only), and a learnable affine
    (scale, bias) when activated and enabled."""
    return cin // groups * cout * k * k + bn * cout + (2 if lab else 0)


def _hg_block(cin: int, mid: int, out: int, layers: int, k: int, light: bool, lab: bool, bn: int = 2) -> int:
    """HGNetV2BasicLayer: ``layers`` conv layers (light: 1x1 then depthwise k x k) concatenated with the input, a
    1x1 squeeze to out / 2 and a 1x1 excitation to out."""
    n = 0
    for i in range(layers):
        a = cin if i == 0 else mid
        n += (
            _hg_conv(a, mid, 1, False, bn=bn) + _hg_conv(mid, mid, k, lab, mid, bn)
            if light
            else _hg_conv(a, mid, k, lab, bn=bn)
        )
    total = cin + layers * mid
    return n + _hg_conv(total, out // 2, 1, lab, bn=bn) + _hg_conv(out // 2, out, 1, lab, bn=bn)


def hg_stem(s0: int, s1: int, s2: int, lab: bool, bn: int = 2) -> int:
    """The HGNetV2 (and PP-LCNetV4 large) stem: 3x3 conv, a 2x2 -> 2x2 branch beside a max-pool, 3x3 over both
    concatenated, 1x1 out (conv + BatchNorm each, a learnable affine with ``lab``)."""
    stem = _hg_conv(s0, s1, 3, lab, bn=bn) + _hg_conv(s1, s1 // 2, 2, lab, bn=bn)
    stem += _hg_conv(s1 // 2, s1, 2, lab, bn=bn)
    return stem + _hg_conv(2 * s1, s1, 3, lab, bn=bn) + _hg_conv(s1, s2, 1, lab, bn=bn)


def hgnet_v2(c: Cfg, head: str, *, frozen_bn: bool = False) -> Tally:
    """HGNetV2Backbone / ForImageClassification: five-conv stem, stages of an optional depthwise 3x3 downsampler and
    HG blocks (the classifier reads hidden_sizes[-1]); ``frozen_bn``: BatchNorms replaced by frozen ones (DETRs)."""
    bn = 0 if frozen_bn else 2
    if head not in (
        "model",
        "backbone",
        "img_cls",
    ):  # AutoModel builds the backbone: there is no HGNetV2Model
        raise NotExact(f"output head '{head}' is not modelled for hgnet_v2")
    c = with_defaults(c, HGNET_V2)
    lab_on = c.bool("use_learnable_affine_block")
    lab = lab_on and bool(c.raw("hidden_act"))
    stem_ch = c.ints("stem_channels")
    if len(stem_ch) != 3 or min(stem_ch) <= 0:
        raise NotExact("stem_channels must be three positive widths")
    s0, s1, s2 = stem_ch
    keys = ("stage_in_channels", "stage_mid_channels", "stage_out_channels", "stage_num_blocks")
    keys += ("stage_numb_of_layers", "stage_kernel_size")
    stages = [c.ints(k) for k in keys]
    down, light = c.list("stage_downsample"), c.list("stage_light_block")
    S = len(stages[0])
    if min(len(v) for v in (*stages, down, light)) < S:
        raise NotExact("every stage list needs an entry per stage")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", hg_stem(s0, s1, s2, lab, bn))
    for i in range(S):
        cin, mid, out, nb, nl, k = (v[i] for v in stages)
        t.add("other", _hg_conv(cin, cin, 3, False, cin, bn) if down[i] else 0)
        t.add(
            "other",
            sum(
                _hg_block(cin if b == 0 else out, mid, out, nl, k, bool(light[i]), lab_on, bn)
                for b in range(nb)
            ),
        )
    if head == "img_cls" and c.num_labels() > 0:
        t.add("heads", linear(c.ints("hidden_sizes")[-1], c.num_labels()))
    return t


LEVIT = {"image_size": 224, "num_channels": 3, "kernel_size": 3, "patch_size": 16, "depths": [4, 4, 4]}
LEVIT.update(hidden_sizes=[128, 256, 384], num_attention_heads=[4, 8, 12], key_dim=[16, 16, 16])
LEVIT.update(mlp_ratio=[2, 2, 2], attention_ratio=[2, 2, 2])


def _bn_linear(i: int, o: int) -> int:
    """MLPLayerWithBN: a bias-free linear and a BatchNorm1d."""
    return i * o + 2 * o


def _levit_attention(h: int, kd: int, nh: int, ar: int, res: int) -> int:
    """LevitAttention: fused q/k/v and projection (linear + BatchNorm each), one bias per head and grid offset."""
    return _bn_linear(h, (ar + 2) * kd * nh) + _bn_linear(ar * kd * nh, h) + nh * res * res


def _levit_subsample(i: int, o: int, kd: int, nh: int, res_in: int) -> tuple[int, int]:
    """LevitAttentionSubsample (attention ratio 4, stride 2) and its resolution out: k/v, q and projection (linear +
    BatchNorm each), a bias per head and distinct (|dx|, |dy|) offset between the strided and the full grid."""
    res_out = (res_in - 1) // 2 + 1
    offsets = len({abs(a * 2 - b) for a in range(res_out) for b in range(res_in)}) ** 2
    n = _bn_linear(i, 5 * kd * nh) + _bn_linear(i, kd * nh) + _bn_linear(4 * kd * nh, o) + nh * offsets
    return n, res_out


def levit(c: Cfg, head: str) -> Tally:
    """LevitModel / ForImageClassification(WithTeacher): four conv + BatchNorm patch layers, three stages of
    attention and MLP residuals with the two subsampling attentions (and their x2 MLPs) transformers derives from
    key_dim[0] and hidden_sizes (any down_ops in the config is overwritten), BatchNorm + linear classifiers."""
    heads = {"model": 0, "img_cls": 1, "img_cls_teacher": 2}
    if head not in heads:
        raise NotExact(f"output head '{head}' is not modelled for levit")
    c = with_defaults(c, LEVIT)
    keys = ("hidden_sizes", "depths", "num_attention_heads", "key_dim", "attention_ratio", "mlp_ratio")
    hs, depths, nhs, kds, ars, mrs = (c.ints(k) for k in keys)
    if len(depths) != 3 or min(len(v) for v in (hs, nhs, kds, ars, mrs)) < 3 or min(kds) <= 0:
        raise NotExact("transformers builds LeViT with exactly three stages")
    k, h0 = c.int("kernel_size"), hs[0]
    t = Tally()
    t.has_kv = False
    widths = [c.int("num_channels"), h0 // 8, h0 // 4, h0 // 2, h0]
    t.add("embeddings", sum(a * b * k * k + 2 * b for a, b in zip(widths, widths[1:], strict=False)))
    res = c.int("image_size") // positive("patch_size", c.int("patch_size"))
    for i in range(3):
        h = hs[i]
        layer = _levit_attention(h, kds[i], nhs[i], ars[i], res)
        layer += _bn_linear(h, h * mrs[i]) + _bn_linear(h * mrs[i], h) if mrs[i] > 0 else 0
        t.add("other", depths[i] * layer)
        if i < 2:
            n, res = _levit_subsample(h, hs[i + 1], kds[0], hs[i] // kds[0], res)
            t.add("other", n + _bn_linear(hs[i + 1], 2 * hs[i + 1]) + _bn_linear(2 * hs[i + 1], hs[i + 1]))
    if c.num_labels() > 0:
        t.add("heads", heads[head] * (2 * hs[-1] + linear(hs[-1], c.num_labels())))
    return t


MOBILEVIT = {"num_channels": 3, "hidden_sizes": [144, 192, 240], "num_attention_heads": 4, "mlp_ratio": 2.0}
MOBILEVIT.update(neck_hidden_sizes=[16, 32, 64, 96, 128, 160, 640], expand_ratio=4.0, conv_kernel_size=3)
MOBILEVIT.update(qkv_bias=True)


def _bn_conv(cin: int, cout: int, k: int, groups: int = 1) -> int:
    """A bias-free conv followed by a BatchNorm."""
    return cin // groups * cout * k * k + 2 * cout


def _inverted_residual(cin: int, cout: int, ratio: float) -> int:
    """MobileViTInvertedResidual: 1x1 expansion, 3x3 depthwise, 1x1 reduction, each conv + BatchNorm."""
    e = make_div(int(round(cin * ratio)), 8)
    return _bn_conv(cin, e, 1) + _bn_conv(e, e, 3, e) + _bn_conv(e, cout, 1)


def _mobilevit_block(c: Cfg, cin: int, cout: int, h: int, layers: int) -> int:
    """MobileViTLayer: a stride-2 inverted residual, k x k conv, bias-free 1x1 to the transformer width (no norm),
    transformer layers, LayerNorm, 1x1 projection back, k x k fusion of the concatenation."""
    k, ratio, nh = c.int("conv_kernel_size"), c.num("mlp_ratio"), c.int("num_attention_heads")
    if h % positive("num_attention_heads", nh):
        raise NotExact("hidden_sizes must be multiples of num_attention_heads")
    inner = int(h * ratio)
    layer = 3 * linear(h, h, c.bool("qkv_bias")) + linear(h, h) + linear(h, inner) + linear(inner, h) + 4 * h
    n = _inverted_residual(cin, cout, c.num("expand_ratio")) + _bn_conv(cout, cout, k) + cout * h
    return n + layers * layer + 2 * h + _bn_conv(h, cout, 1) + _bn_conv(2 * cout, cout, k)


def mobilevit(c: Cfg, head: str) -> Tally:
    """MobileViTModel / ForImageClassification: 3x3 stem, two MobileNet stages (1 and 3 inverted residuals), three
    MobileViT blocks (2, 4, 3 transformer layers), the 1x1 expansion to neck_hidden_sizes[6]."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for mobilevit")
    c = with_defaults(c, MOBILEVIT)
    n, hs = c.ints("neck_hidden_sizes"), c.ints("hidden_sizes")
    if len(n) < 7 or len(hs) < 3:
        raise NotExact("neck_hidden_sizes needs 7 widths and hidden_sizes 3")
    r = c.num("expand_ratio")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", _bn_conv(c.int("num_channels"), n[0], 3))
    t.add("other", _inverted_residual(n[0], n[1], r) + _inverted_residual(n[1], n[2], r))
    t.add("other", 2 * _inverted_residual(n[2], n[2], r))
    for i, layers in enumerate((2, 4, 3)):
        t.add("other", _mobilevit_block(c, n[2 + i], n[3 + i], hs[i], layers))
    t.add("other", _bn_conv(n[5], n[6], 1))
    if head == "img_cls" and c.num_labels() > 0:
        t.add("heads", linear(n[6], c.num_labels()))
    return t


MOBILEVITV2 = {"num_channels": 3, "expand_ratio": 2.0, "conv_kernel_size": 3, "n_attn_blocks": [2, 4, 3]}
MOBILEVITV2.update(base_attn_unit_dims=[128, 192, 256], width_multiplier=1.0, ffn_multiplier=2)


def _mobilevitv2_block(c: Cfg, cin: int, cout: int, d: int, layers: int) -> int:
    """MobileViTV2Layer: a stride-2 inverted residual, depthwise k x k conv + BatchNorm, bias-free 1x1 to the
    attention width, layers of (GroupNorm, biased 1x1 qkv to 1 + 2 d and out-projection, GroupNorm, biased 1x1
    FFN of width multiplier x d rounded down to 16), a GroupNorm, 1x1 projection back + BatchNorm."""
    k, ffn = c.int("conv_kernel_size"), c.int("ffn_multiplier") * d // 16 * 16
    layer = 2 * d + linear(d, 1 + 2 * d) + linear(d, d) + 2 * d + linear(d, ffn) + linear(ffn, d)
    n = _inverted_residual(cin, cout, c.num("expand_ratio")) + _bn_conv(cout, cout, k, cout) + cout * d
    return n + layers * layer + 2 * d + _bn_conv(d, cout, 1)


def mobilevitv2(c: Cfg, head: str) -> Tally:
    """MobileViTV2Model / ForImageClassification: widths scaled by width_multiplier, 3x3 stem, MobileNet stages of
    1 and 2 inverted residuals, three MobileViTV2 blocks (no output expansion)."""
    if head not in ("model", "img_cls"):
        raise NotExact(f"output head '{head}' is not modelled for mobilevitv2")
    c = with_defaults(c, MOBILEVITV2)
    w, blocks, base = c.num("width_multiplier"), c.ints("n_attn_blocks"), c.ints("base_attn_unit_dims")
    if len(blocks) < 3 or len(base) < 3:
        raise NotExact("n_attn_blocks and base_attn_unit_dims need three entries")
    dims = [make_div(min(64, max(16, 32 * w)), 8), make_div(64 * w, 16)]
    dims += [make_div(n * w, 8) for n in (128, 256, 384, 512)]
    r = c.num("expand_ratio")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", _bn_conv(c.int("num_channels"), dims[0], 3))
    t.add("other", _inverted_residual(dims[0], dims[1], r) + _inverted_residual(dims[1], dims[2], r))
    t.add("other", _inverted_residual(dims[2], dims[2], r))
    for i in range(3):
        d = make_div(base[i] * w, 8)
        t.add("other", _mobilevitv2_block(c, dims[2 + i], dims[3 + i], d, blocks[i]))
    if head == "img_cls" and c.num_labels() > 0:
        t.add("heads", linear(dims[5], c.num_labels()))
    return t


register_own("bit", bit, "Bit")
register_own("mobilevitv2", mobilevitv2, "MobileViTV2")
register_own("mobilevit", mobilevit, "MobileViT")
register_own("levit", levit, "Levit")
register_own("hgnet_v2", hgnet_v2, "HGNetV2")
register_own("focalnet", focalnet, "FocalNet")
register_own("cvt", cvt, "Cvt")
register_own("swiftformer", swiftformer, "SwiftFormer")
register_own("textnet", textnet, "TextNet")
register_own("efficientnet", efficientnet, "EfficientNet")
