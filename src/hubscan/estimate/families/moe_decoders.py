"""Decoders whose mixture of experts is unusual enough to need its own formula: JetMoE (experts in the
attention as well as in the MLP)."""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import Cfg, ConfigProblem, Tally, lm_head
from hubscan.estimate.families.registry import register


def jetmoe(c: Cfg, head: str) -> Tally:
    """JetMoE: mixture-of-attention (per-expert query and output projections over kv_channels x kv heads, one
    shared key/value projection) and a mixture of single-hidden-layer GLU experts, each with a router and an
    output bias."""
    h = c.int("hidden_size")
    L = c.int("num_hidden_layers")
    V = c.int("vocab_size")
    E = c.int("num_local_experts")
    k = c.int("num_experts_per_tok", default=2)
    kv = c.int("num_key_value_heads")
    hd = c.int("kv_channels")
    inter = c.int("intermediate_size")
    if min(h, E, kv, hd) <= 0 or k > E:
        raise ConfigProblem("hidden_size, num_local_experts, num_key_value_heads, kv_channels must be positive")
    kvp = kv * hd
    moa = 2 * h * kvp  # one expert's query and output projections
    moe = 3 * h * inter  # one expert's fused gate/up (2 x intermediate) and down projection
    t = Tally()
    t.embed(V * h)
    t.experts(L * E * (moa + moe), L * k * (moa + moe))
    t.add("attention", L * (h * 2 * kvp))  # kv_proj
    t.add("other", L * 2 * (h * E + h))  # two routers and two output biases per layer
    t.add("norms", 2 * L * h + h)
    t.kv_layers.extend(KVLayer(2 * kvp, None, k * kvp) for _ in range(L))
    lm_head(t, c, head, V, h, tie_default=True)
    return t


register("jetmoe", jetmoe, "JetMoe")
