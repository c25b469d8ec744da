"""State-space and recurrent models: Mamba, RWKV (v4 in transformers), Jamba (Mamba + attention + MoE)."""

from __future__ import annotations

import math

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import Cfg, ConfigProblem, Tally, gated_mlp, linear, lm_head
from hubscan.estimate.families.registry import register


def _dt_rank(c: Cfg, key: str, h: int) -> int:
    v = c.raw(key, default="auto")
    if v == "auto":
        return math.ceil(h / 16)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
        raise ConfigProblem(f"{key}={v!r} is neither 'auto' nor a positive number")
    return int(v)


def _mixer(h: int, inner: int, state: int, conv: int, rank: int, *, conv_bias: bool, bias: bool) -> int:
    return (
        linear(h, 2 * inner, bias)
        + inner * conv
        + (inner if conv_bias else 0)
        + inner * (rank + 2 * state)
        + linear(rank, inner)
        + inner * state
        + inner
        + linear(inner, h, bias)
    )


def mamba(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", "d_model", default=768)
    L = c.int("num_hidden_layers", "n_layer", "n_layers", default=32)
    V = c.int("vocab_size", default=50280)
    state = c.int("state_size", "d_state", default=16)
    conv = c.int("conv_kernel", "d_conv", default=4)
    expand = c.num("expand", default=2)
    inner = c.int("intermediate_size", default=int(expand * h))
    rank = _dt_rank(c, "time_step_rank", h)
    t = Tally()
    t.embed(V * h)
    t.add(
        "other",
        L
        * _mixer(
            h,
            inner,
            state,
            conv,
            rank,
            conv_bias=c.bool("use_conv_bias", default=True),
            bias=c.bool("use_bias", default=False),
        ),
    )
    t.add("norms", L * h + h)
    lm_head(t, c, head, V, h, tie_default=True)
    t.state_elems = L * inner * (state + conv)
    t.notes.append("Mamba keeps a fixed-size recurrent state (no per-token KV cache)")
    return t


def rwkv(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=4096)
    L = c.int("num_hidden_layers", default=32)
    V = c.int("vocab_size", default=50277)
    A = c.int("attention_hidden_size", default=h)
    inter = c.int("intermediate_size", default=4 * h)
    t = Tally()
    t.embed(V * h)
    t.add("norms", 2 * h + L * 4 * h + 2 * h)  # pre_ln (layer 0), ln1/ln2 per layer, ln_out
    t.add("attention", L * (2 * A + 3 * h + 3 * h * A + A * h))
    t.add("mlp", L * (2 * h + h * inter + h * h + inter * h))
    if head == "causal_lm":
        if not c.bool("tie_word_embeddings", default=False):
            t.add("heads", V * h)
    elif head != "model":
        lm_head(t, c, head, V, h, tie_default=False)
    t.state_elems = L * 5 * h
    t.notes.append("RWKV keeps a fixed-size recurrent state (no per-token KV cache)")
    return t


def jamba(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=4096)
    L = c.int("num_hidden_layers", default=32)
    nh = c.int("num_attention_heads", default=32)
    kv = c.int("num_key_value_heads", default=8)
    V = c.int("vocab_size", default=65536)
    ff = c.int("intermediate_size", default=14336)
    E = c.int("num_experts", default=16)
    k = c.int("num_experts_per_tok", default=2)
    ep = c.int("expert_layer_period", default=2)
    eo = c.int("expert_layer_offset", default=1)
    ap = c.int("attn_layer_period", default=8)
    ao = c.int("attn_layer_offset", default=4)
    if ap <= 0 or ep <= 0:
        raise ConfigProblem("attn_layer_period and expert_layer_period must be positive")
    state = c.int("mamba_d_state", default=16)
    conv = c.int("mamba_d_conv", default=4)
    expand = c.int("mamba_expand", default=2)
    rank = _dt_rank(c, "mamba_dt_rank", h)
    inner = expand * h
    hd = h // nh
    mixer = (
        _mixer(
            h,
            inner,
            state,
            conv,
            rank,
            conv_bias=c.bool("mamba_conv_bias", default=True),
            bias=c.bool("mamba_proj_bias", default=False),
        )
        + rank
        + 2 * state
    )
    t = Tally()
    t.embed(V * h)
    for i in range(L):
        if i % ap == ao:
            t.add("attention", 2 * h * nh * hd + 2 * h * kv * hd)
            t.kv_layers.append(KVLayer(2 * kv * hd, None, nh * hd))
        else:
            t.add("other", mixer)
            t.state_elems += inner * (state + conv)
        n_exp = E if i % ep == eo else 1
        if n_exp > 1:
            t.add("other", n_exp * h)
            pe = gated_mlp(h, ff)
            t.experts(n_exp * pe, min(k, n_exp) * pe)
        else:
            t.add("mlp", gated_mlp(h, ff))
        t.add("norms", 2 * h)
    t.add("norms", h)
    lm_head(t, c, head, V, h, tie_default=False)
    return t


register("mamba", mamba, "Mamba")
register("falcon_mamba", mamba, "FalconMamba", name="falcon_mamba")  # its B/C/dt RMSNorms have no weights
register("rwkv", rwkv, "Rwkv")
register("jamba", jamba, "Jamba")
