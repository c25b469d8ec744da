"""Hierarchical vision backbones: ConvNeXt (v1 and v2), ResNet, Swin.

All are non-autoregressive: no KV cache (``has_kv = False``). BatchNorm running statistics are buffers, not
parameters. Backbone classes (``...Backbone``) add what transformers adds for the stages named by
``out_features`` / ``out_indices``.
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear
from hubscan.estimate.families.registry import architecture_of, register


def _pair(c: Cfg, key: str, default: int) -> tuple[int, int]:
    v = c.raw(key, default=default)
    if isinstance(v, list):
        if len(v) != 2:
            raise ConfigProblem(f"{key} list must have two entries")
        a, b = v
    else:
        a = b = v
    for x in (a, b):
        if isinstance(x, bool) or not isinstance(x, int) or x <= 0:
            raise ConfigProblem(f"{key} must be a positive integer or a pair of them")
    return a, b


def _sizes(c: Cfg, key: str, default: list[int]) -> list[int]:
    v = c.ints(key, default=default)
    if not v or any(x <= 0 for x in v):
        raise ConfigProblem(f"{key} must be a non-empty list of positive integers")
    return v


def _labels(c: Cfg) -> int:
    n = c.num_labels()
    return n


def _backbone_channels(c: Cfg, stage_names: list[str], num_features: list[int]) -> list[int]:
    """Channels of the stages a transformers backbone outputs (default: the last stage)."""
    feats = c.raw("out_features")
    idx = c.raw("out_indices")
    n = len(stage_names)
    if feats is None and idx is None:
        chosen = [n - 1]
    elif idx is not None:
        if not isinstance(idx, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in idx):
            raise NotExact("out_indices is not a list of integers")
        chosen = [i % n if i < 0 else i for i in idx]
        if any(i >= n for i in chosen) or chosen != sorted(set(chosen)):
            raise ConfigProblem("out_indices do not name distinct stages in order")
        if feats is not None and feats != [stage_names[i] for i in chosen]:
            raise ConfigProblem("out_features and out_indices disagree")
    else:
        if not isinstance(feats, list) or any(f not in stage_names for f in feats):
            raise ConfigProblem("out_features must be a list of stage names")
        chosen = [stage_names.index(f) for f in feats]
        if chosen != sorted(set(chosen)):
            raise ConfigProblem("out_features must be distinct and in stage order")
    if any(i >= len(num_features) for i in chosen):
        raise ConfigProblem("out_features name a stage that has no channel count")
    return [num_features[i] for i in chosen]


# ----------------------------------------------------------------------------- ConvNeXt


def convnext(c: Cfg, head: str, *, model_type: str = "convnext") -> Tally:
    arch = architecture_of(c.data) or ""
    if arch.startswith("ConvNextV2"):
        v2 = True
    elif arch.startswith("ConvNext"):
        v2 = False
    else:
        v2 = model_type == "convnextv2"
    if not v2 and model_type == "convnextv2" and not c.has("layer_scale_init_value"):
        raise NotExact("a ConvNeXt v1 class on a ConvNextV2Config without layer_scale_init_value")
    C = c.int("num_channels", default=3)
    ph, pw = _pair(c, "patch_size", 4)
    hs = _sizes(c, "hidden_sizes", [96, 192, 384, 768])
    depths = c.ints("depths", default=[3, 3, 9, 3])
    S = c.int("num_stages", default=4)
    if min(len(hs), len(depths)) < S:
        raise ConfigProblem(f"num_stages={S} exceeds hidden_sizes/depths")
    scale = (not v2) and c.num("layer_scale_init_value", default=1e-6) > 0
    t = Tally()
    t.has_kv = False
    h0 = hs[0]
    t.add("embeddings", C * ph * pw * h0 + h0)  # patchify conv
    t.add("norms", 2 * h0)
    prev = h0
    for i in range(S):
        d = hs[i]
        if prev != d or i > 0:  # downsampling: channels-first LayerNorm + 2x2 stride-2 conv
            t.add("norms", 2 * prev)
            t.add("other", prev * d * 4 + d)
        per_mlp = linear(d, 4 * d) + linear(4 * d, d)
        if v2:
            per_mlp += 2 * 4 * d  # GRN gamma, beta
        t.add("other", depths[i] * (d * 49 + d))  # 7x7 depthwise conv
        t.add("norms", depths[i] * 2 * d)
        t.add("mlp", depths[i] * per_mlp)
        if scale:
            t.add("other", depths[i] * d)  # layer_scale_parameter
        prev = d
    if head == "backbone":
        stage_names = ["stem"] + [f"stage{i}" for i in range(1, len(depths) + 1)]
        for ch in _backbone_channels(c, stage_names, [h0, *hs]):
            t.add("norms", 2 * ch)
        return t
    t.add("norms", 2 * hs[-1])
    if head == "img_cls":
        labels = _labels(c)
        if labels > 0:
            t.add("heads", linear(hs[-1], labels))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for convnext")
    return t


# ----------------------------------------------------------------------------- ResNet


def _bn(ch: int) -> int:
    return 2 * ch  # BatchNorm2d weight + bias (running stats are buffers)


def _resnet_block(kind: str, cin: int, cout: int, stride: int) -> int:
    n = 0
    if cin != cout or stride != 1:
        n += cin * cout + _bn(cout)  # 1x1 shortcut conv + BN
    if kind == "bottleneck":
        r = cout // 4
        n += cin * r + _bn(r) + r * r * 9 + _bn(r) + r * cout + _bn(cout)
    else:
        n += cin * cout * 9 + _bn(cout) + cout * cout * 9 + _bn(cout)
    return n


def resnet(c: Cfg, head: str) -> Tally:
    C = c.int("num_channels", default=3)
    E = c.int("embedding_size", default=64)
    hs = _sizes(c, "hidden_sizes", [256, 512, 1024, 2048])
    depths = c.ints("depths", default=[3, 4, 6, 3])
    kind = c.str("layer_type", default="bottleneck")
    if kind not in ("basic", "bottleneck"):
        raise ConfigProblem(f"layer_type={kind!r} is not one of basic, bottleneck")
    if not depths:
        raise ConfigProblem("depths is empty")
    first_stride = 2 if c.bool("downsample_in_first_stage", default=False) else 1
    t = Tally()
    t.has_kv = False
    t.add("embeddings", C * E * 49 + _bn(E))  # 7x7 stem conv (no bias) + BN
    stages = [(E, hs[0], first_stride, depths[0])]
    stages += [(a, b, 2, d) for (a, b), d in zip(zip(hs, hs[1:], strict=False), depths[1:], strict=False)]
    for cin, cout, stride, depth in stages:
        n = _resnet_block(kind, cin, cout, stride) + max(depth - 1, 0) * _resnet_block(kind, cout, cout, 1)
        t.add("other", n)
    if head == "img_cls":
        labels = _labels(c)
        if labels > 0:
            t.add("heads", linear(hs[-1], labels))
    elif head == "backbone":
        stage_names = ["stem"] + [f"stage{i}" for i in range(1, len(depths) + 1)]
        _backbone_channels(c, stage_names, [E, *hs])  # validates; ResNet adds no per-stage norms
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for resnet")
    return t


# ----------------------------------------------------------------------------- Swin


def swin(c: Cfg, head: str) -> Tally:
    C = c.int("num_channels", default=3)
    ih, iw = _pair(c, "image_size", 224)
    ph, pw = _pair(c, "patch_size", 4)
    E = c.int("embed_dim", default=96)
    depths = c.ints("depths", default=[2, 2, 6, 2])
    heads = c.ints("num_heads", default=[3, 6, 12, 24])
    S = len(depths)
    if S == 0 or len(heads) < S:
        raise ConfigProblem("swin needs non-empty depths and a num_heads entry per stage")
    w = c.raw("window_size", default=7)
    if isinstance(w, bool) or not isinstance(w, int) or w <= 0:
        raise NotExact(f"window_size={w!r} is not a positive integer")
    ratio = c.num("mlp_ratio", default=4.0)
    qkv_bias = c.bool("qkv_bias", default=True)
    t = Tally()
    t.has_kv = False
    t.add("embeddings", C * ph * pw * E + E)  # patch projection conv
    t.add("norms", 2 * E)
    if c.bool("use_absolute_embeddings", default=False):
        t.add("embeddings", (ih // ph) * (iw // pw) * E)
    if head == "masked_im":
        t.add("embeddings", E)  # mask_token
    rel = (2 * w - 1) ** 2
    for i in range(S):
        d = int(E * 2**i)
        hid = int(ratio * d)
        L = depths[i]
        t.add("attention", L * (3 * linear(d, d, qkv_bias) + linear(d, d) + rel * heads[i]))
        t.add("mlp", L * (linear(d, hid) + linear(hid, d)))
        t.add("norms", L * 4 * d)
        if i < S - 1:  # patch merging
            t.add("norms", 2 * 4 * d)
            t.add("other", 4 * d * 2 * d)
    nf = int(E * 2 ** (S - 1))
    t.add("norms", 2 * nf)
    if head == "img_cls":
        labels = _labels(c)
        if labels > 0:
            t.add("heads", linear(nf, labels))
    elif head == "masked_im":
        s = c.int("encoder_stride", default=32)
        t.add("heads", linear(nf, s * s * C))
    elif head == "backbone":
        stage_names = ["stem"] + [f"stage{i}" for i in range(1, S + 1)]
        for ch in _backbone_channels(c, stage_names, [E] + [int(E * 2**i) for i in range(S)]):
            t.add("norms", 2 * ch)
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for swin")
    return t


register(
    "convnextv2",
    lambda c, h: convnext(c, h, model_type="convnextv2"),
    "ConvNextV2",
    "ConvNext",
    name="convnextv2",
)
register("convnext", convnext, "ConvNext", "ConvNextV2")
register("resnet", resnet, "ResNet")
register("swin", swin, "Swin")
