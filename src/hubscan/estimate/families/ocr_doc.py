"""PaddlePaddle OCR and document models: the PP-LCNet V3 / V4 and HGNetV2 backbones that ``load_backbone`` builds
under the PP-OCRv5 / PP-OCRv6 text recognisers and detectors.

Each formula follows the module tree transformers 5 builds; heads not claimed in a registration raise NotExact.
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, claim_heads
from hubscan.estimate.families.vision_cnn import _bn_conv, hg_stem, hgnet_v2, make_div
from hubscan.estimate.families.vision_more import register_own, with_defaults

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


def backbone(c: Cfg, absent: dict) -> int:
    """The ``load_backbone`` module: ``absent`` is the wrapper's backbone config when it states none (its
    ``model_type`` and the init kwargs that differ from that class's defaults)."""
    raw = c.data.get("backbone_config")
    if raw is None:
        raw = absent
    if not isinstance(raw, dict):
        raise ConfigProblem("backbone_config is not an object")
    mt = raw.get("model_type")
    if mt not in BACKBONES:
        raise NotExact(f"backbone_config.model_type {mt!r} is not modelled for OCR wrappers")
    return BACKBONES[mt](Cfg(raw, "config.backbone_config"))


def _model(c: Cfg, head: str, family: str, absent: dict) -> Tally:
    claim_heads(head, family=family)
    t = Tally()
    t.has_kv = False
    t.add("other", backbone(c, absent))
    return t


V6_BACKBONE = {"model_type": "pp_lcnet_v4"}
V5_MOBILE_BACKBONE = {"model_type": "pp_lcnet_v3", "scale": 0.75, "divisor": 16}
V5_SERVER_BACKBONE = {"model_type": "hgnet_v2", "stage_downsample": [True] * 4}


def pp_ocrv6_rec(c: Cfg, head: str) -> Tally:
    """PP-OCRv6 small / tiny recogniser base model: only the backbone (PP-LCNetV4 by default)."""
    return _model(c, head, c.str("model_type", default="pp_ocrv6_rec"), V6_BACKBONE)


def pp_ocrv5_mobile_rec(c: Cfg, head: str) -> Tally:
    """PP-OCRv5 mobile recogniser base model: only the backbone (PP-LCNetV3 x0.75 by default)."""
    return _model(c, head, "pp_ocrv5_mobile_rec", V5_MOBILE_BACKBONE)


def pp_ocrv5_server_rec(c: Cfg, head: str) -> Tally:
    """PP-OCRv5 server recogniser base model: only the backbone (HGNetV2 by default)."""
    return _model(c, head, "pp_ocrv5_server_rec", V5_SERVER_BACKBONE)


SMALL_DET = {"reduction": 4, "neck_out_channels": 96, "layer_list_out_channels": [12, 18, 42, 360]}
SMALL_DET["dilated_kernel_size"] = 7


def pp_ocrv6_small_det(c: Cfg, head: str) -> Tally:
    """PP-OCRv6 small detector base model: the backbone and a neck of, per input level, a 1x1 bias-free conv to
    the neck width + squeeze-excite, and a biased depthwise k x k conv, a 1x1 to a quarter width + its
    squeeze-excite."""
    t = _model(c, head, "pp_ocrv6_small_det", V6_BACKBONE)
    c = with_defaults(c, SMALL_DET)
    n, red, k = c.int("neck_out_channels"), c.int("reduction"), c.int("dilated_kernel_size")
    for cin in c.ints("layer_list_out_channels"):
        t.add("other", cin * n + squeeze_excite(n, red))
        t.add("other", n * k * k + n + n * (n // 4) + squeeze_excite(n // 4, red))
    return t


register_own("pp_ocrv6_small_rec", pp_ocrv6_rec, "PPOCRV6SmallRec")
register_own("pp_ocrv6_tiny_rec", pp_ocrv6_rec, "PPOCRV6TinyRec")
register_own("pp_ocrv5_mobile_rec", pp_ocrv5_mobile_rec, "PPOCRV5MobileRec")
register_own("pp_ocrv5_server_rec", pp_ocrv5_server_rec, "PPOCRV5ServerRec")
register_own("pp_ocrv6_small_det", pp_ocrv6_small_det, "PPOCRV6SmallDet")
