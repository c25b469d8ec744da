"""Convolutional image backbones not covered elsewhere: BiT (ResNet v2 with weight-standardised convolutions and
GroupNorm).

Each formula follows the module tree transformers 5 builds; heads not claimed in a registration raise NotExact.
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, NotExact, Tally, linear
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


register_own("bit", bit, "Bit")
