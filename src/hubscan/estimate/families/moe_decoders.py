"""Decoders whose mixture of experts is unusual enough to need its own formula: JetMoE (experts in the
attention as well as in the MLP)."""

from __future__ import annotations

import math

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    claim_heads,
    decoder_dims,
    gated_mlp,
    linear,
    lm_head,
)
from hubscan.estimate.families.registry import register
from hubscan.estimate.structural_parts import mla_params


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
        raise ConfigProblem(
            "hidden_size, num_local_experts, num_key_value_heads, kv_channels must be positive"
        )
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
    claim_heads(head, "causal_lm", "seq_cls")
    lm_head(t, c, head, V, h, tie_default=True)
    return t


register("jetmoe", jetmoe, "JetMoe")


def longcat_flash(c: Cfg, head: str) -> Tally:
    """LongCat-Flash: each of ``num_layers`` blocks holds two MLA sublayers, two dense MLPs, four norms and one
    shortcut MoE whose router also scores ``zero_expert_num`` parameter-free (identity) experts."""
    h = c.int("hidden_size")
    L = c.int("num_layers")
    V = c.int("vocab_size")
    E = c.int("n_routed_experts", "num_local_experts")
    k = c.int("moe_topk", "num_experts_per_tok")
    zero = c.int("zero_expert_num", default=0)
    ei = c.int("expert_ffn_hidden_size", "moe_intermediate_size")
    inter = c.int("ffn_hidden_size", "intermediate_size")
    if h <= 0 or E <= 0:
        raise ConfigProblem("hidden_size and n_routed_experts must be positive")
    mla, kv = mla_params(c, h, 0)
    per_expert = 3 * h * ei
    t = Tally()
    t.embed(V * h)
    t.experts(L * E * per_expert, L * min(k, E) * per_expert)
    t.add("other", L * linear(h, E + zero, c.bool("router_bias", default=False)))
    t.add("attention", 2 * L * mla)
    t.add("mlp", 2 * L * gated_mlp(h, inter))
    t.add("norms", 4 * L * h + h)
    t.kv_layers.extend([kv] * (2 * L))
    t.notes.append(f"up to {k} of {E} routed experts per token; the {zero} zero experts have no parameters")
    claim_heads(head, "causal_lm")
    lm_head(t, c, head, V, h, tie_default=False)
    return t


register("longcat_flash", longcat_flash, "LongcatFlash")


def doge(c: Cfg, head: str) -> Tally:
    """Doge: attention with a learned dynamic mask (A per key/value head, dt_proj over the values), q/k norms,
    learned residual scales; with ``is_moe`` a cross-domain MoE = a shared gated MLP plus ``num_experts`` retrieval
    experts stored as two embedding rows each, picked through product keys (2 x floor(sqrt(experts)) logits)."""
    h, L, V, nh, kv, hd = decoder_dims(c)
    ab = c.bool("attention_bias", default=False)
    attn = linear(h, nh * hd, ab) + 2 * linear(h, kv * hd, ab) + linear(nh * hd, h, ab)
    attn += kv + linear(kv * hd, kv, ab) + 2 * hd  # A, dt_proj, q/k norms
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * attn)
    t.add("mlp", L * gated_mlp(h, c.int("intermediate_size"), c.bool("mlp_bias", default=False)))
    if c.bool("is_moe", default=False):
        E = c.int("num_experts")
        k = c.int("num_experts_per_tok", default=E)
        t.add("other", L * h * 2 * math.isqrt(E))  # product-key router
        t.experts(L * E * 2 * h, L * min(k, E) * 2 * h)
    t.add("norms", 2 * L * h + h)
    t.add("other", 2 * L * h)  # input_residual, post_attention_residual
    window = c.int("sliding_window", default=None)
    t.kv_layers.extend(KVLayer(2 * kv * hd, window, nh * hd) for _ in range(L))
    claim_heads(head, "causal_lm", "seq_cls")
    lm_head(t, c, head, V, h, tie_default=False)
    return t


register("doge", doge, "Doge")


def _dsv4_compressor(c: Cfg, h: int, hd: int, kind: str) -> int:
    """A DeepSeek-V4 KV compressor: kv and gate projections, a learned position bias per window slot, a norm;
    the compressed-sparse kind has two series (2 x head_dim) and owns a lightning indexer."""
    rates = c.raw("compress_rates")
    if not isinstance(rates, dict) or not isinstance(rates.get(kind), int):
        raise ConfigProblem(f"compress_rates has no integer entry for {kind!r}")
    rate = rates[kind]
    if kind == "heavily_compressed_attention":
        return 2 * h * hd + rate * hd + hd
    ihd = c.int("index_head_dim")
    inh = c.int("index_n_heads")
    indexer = 4 * h * ihd + rate * 2 * ihd + ihd + c.int("q_lora_rank") * inh * ihd + h * inh
    return 4 * h * hd + rate * 2 * hd + hd + indexer


def _dsv4_attention(c: Cfg, h: int, kind: str) -> int:
    """Shared-KV attention: low-rank q with its norm, one KV head with its norm, grouped low-rank output
    projection, one sink per head, and the compressor of compressed layers."""
    nh = c.int("num_attention_heads")
    hd = c.int("head_dim")
    ql = c.int("q_lora_rank")
    groups = c.int("o_groups")
    olr = c.int("o_lora_rank")
    if groups <= 0 or (nh * hd) % groups:
        raise ConfigProblem(f"o_groups={groups} does not divide heads x head_dim={nh * hd}")
    n = h * ql + ql + ql * nh * hd + h * hd + hd
    n += groups * olr * (nh * hd // groups) + groups * olr * h + nh
    if kind != "sliding_attention":
        n += _dsv4_compressor(c, h, hd, kind)
    return n


def deepseek_v4(c: Cfg, head: str) -> Tally:
    """DeepSeek-V4: sliding / compressed-sparse / heavily-compressed attention layers, a MoE in every layer
    (learned or hash routing, one shared expert), and hyper-connections (hc_mult residual streams mixed by
    learned weights around each sublayer and before the head)."""
    h = c.int("hidden_size")
    V = c.int("vocab_size")
    kinds = c.list("layer_types")
    L = c.int("num_hidden_layers", default=len(kinds))
    known = ("sliding_attention", "compressed_sparse_attention", "heavily_compressed_attention")
    if len(kinds) != L or any(k not in known for k in kinds):
        raise NotExact("layer_types must list one DeepSeek-V4 attention kind per layer")
    E = c.int("n_routed_experts", "num_local_experts")
    k = c.int("num_experts_per_tok")
    mi = c.int("moe_intermediate_size", "intermediate_size")
    m = c.int("hc_mult")
    t = Tally()
    t.embed(V * h)
    for kind in set(kinds):
        t.add("attention", kinds.count(kind) * _dsv4_attention(c, h, kind))
    per_expert = 3 * h * mi
    t.experts(L * E * per_expert, L * min(k, E) * per_expert)
    t.add("other", L * E * h)  # router weight (learned and hash routers alike)
    t.add("mlp", L * gated_mlp(h, mi, c.bool("mlp_bias", default=False)))  # the shared expert
    mix = (2 + m) * m
    t.add("other", L * 2 * (mix * m * h + mix + 3) + m * m * h + m + 1)  # hyper-connections + hyper head
    t.add("norms", 2 * L * h + h)
    hd = c.int("head_dim")
    window = c.int("sliding_window", default=None)
    t.kv_layers.extend(KVLayer(hd, window, c.int("num_attention_heads") * hd) for _ in range(L))
    t.notes.append(
        "compressed layers also cache compressed KV entries; the KV estimate counts the window only"
    )
    claim_heads(head, "causal_lm")
    lm_head(t, c, head, V, h, tie_default=False)
    return t


register("deepseek_v4", deepseek_v4, "DeepseekV4")


def ergo(c: Cfg, head: str) -> Tally:
    """Ergo: fused qkv attention (head_dim = hidden / heads) with q/k norms, four norms and two learned residual
    gates per layer; relu^2 (two-matrix) MLPs: a wide dense one in the first layers, else routed experts with a
    per-expert output norm plus a shared expert with its own norm. The head is never tied."""
    h, L, V, nh, kv, hd = decoder_dims(c, read_head_dim=False)
    kinds = c.list("mlp_layer_types")
    if len(kinds) != L or any(k not in ("dense", "sparse") for k in kinds):
        raise NotExact("mlp_layer_types must list dense/sparse for every layer")
    E = c.int("num_experts")
    k = c.int("num_experts_per_tok", default=E)
    per_expert = 2 * h * c.int("moe_intermediate_size")
    sparse = kinds.count("sparse")
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * (h * (nh + 2 * kv) * hd + nh * hd * h + 2 * hd))
    t.add("mlp", kinds.count("dense") * 2 * h * c.int("first_dense_intermediate_size"))
    t.experts(sparse * E * per_expert, sparse * min(k, E) * per_expert)
    shared = 2 * h * c.int("shared_intermediate_size") + h
    t.add("mlp", sparse * shared)
    t.add("other", sparse * (E * h + E * h))  # router, per-expert output norms
    t.add("norms", 4 * L * h + h)
    t.add("other", 2 * L * h)  # attention and feed-forward residual gates
    window = c.int("sliding_window", default=None)
    for kind in c.list("layer_types", default=["full_attention"] * L):
        t.kv_layers.append(KVLayer(2 * kv * hd, window if kind == "sliding_attention" else None, nh * hd))
    claim_heads(head, "causal_lm")
    if head == "causal_lm":
        t.add("heads", V * h)
    return t


register("ergo", ergo, "Ergo")


def _zaya_attention(c: Cfg, h: int) -> tuple[int, int, int, int]:
    """ZAYA compressed convolutional attention: q/k projections, values split into a current and a delayed half,
    a depthwise then a per-head grouped causal conv over the q/k channels (biased), a learned key temperature per
    KV head and the output projection: (params, query heads, KV heads, head_dim)."""
    nh = c.int("num_attention_heads")
    if h <= 0 or nh <= 0:
        raise ConfigProblem("hidden_size and num_attention_heads must be positive")
    kv = c.int("num_key_value_heads", default=nh) or nh
    hd = c.int("head_dim", default=h // nh)
    b = c.bool("attention_bias", default=False)
    q, kvd = nh * hd, kv * hd
    n = linear(h, q, b) + linear(h, kvd, b) + 2 * linear(h, kvd // 2, b) + linear(q, h, b)
    ch = q + kvd
    n += ch * c.int("cca_time0") + ch + ch * hd * c.int("cca_time1") + ch + kv
    return n, nh, kv, hd


def zaya(c: Cfg, head: str) -> Tally:
    """ZAYA: CCA attention and a routed MoE in every layer; the router projects to router_hidden_size, (after
    the first layer) mixes in the previous router state, and scores experts + one "skip" class with a small MLP;
    learned residual scales and biases around both sublayers and on the input."""
    h = c.int("hidden_size")
    L = c.int("num_hidden_layers")
    V = c.int("vocab_size")
    attn, nh, kv, hd = _zaya_attention(c, h)
    E = c.int("num_experts")
    k = c.int("num_experts_per_tok", default=1)
    r = c.int("router_hidden_size")
    router = linear(h, r) + r + 2 * linear(r, r) + r * (E + 1)  # down_proj, router MLP (norm, fc1, fc2, out)
    per_expert = 3 * h * c.int("moe_intermediate_size")
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * attn)
    t.add("other", L * router + max(L - 1, 0) * r)  # router_states_scale from the second layer on
    t.experts(L * E * per_expert, L * min(k, E) * per_expert)
    t.add("norms", 2 * L * h + h)
    t.add("other", L * 2 * 4 * h + 2 * h)  # residual scalings, input scale and bias
    window = c.int("sliding_window", default=None)
    for kind in c.list("layer_types", default=["hybrid"] * L):
        t.kv_layers.append(KVLayer(2 * kv * hd, window if kind == "hybrid_sliding" else None, nh * hd))
    claim_heads(head, "causal_lm")
    lm_head(t, c, head, V, h, tie_default=True, bias=c.bool("lm_head_bias", default=False))
    return t


register("zaya", zaya, "Zaya")


def _inkling2_attention(c: Cfg, h: int, sliding: bool) -> tuple[int, int, int, int]:
    """One Inkling-2 attention: scaled q, short-convolved k/v (dynamic taps in full layers), gated output,
    per-head sink projection, hidden-state-conditioned relative position bias: (params, heads, kv, head_dim)."""
    pre = "swa_" if sliding else ""
    nh = c.int(f"{pre}num_attention_heads")
    kv = c.int(f"{pre}num_key_value_heads")
    hd = c.int(f"{pre}head_dim")
    K = c.int("conv_kernel_size", "sconv_kernel_size")
    d_rel = c.int("d_rel")
    extent = c.int("sliding_window_size") if sliding else c.int("rel_extent")
    kvd = kv * hd
    conv = (
        kvd * K if sliding else K * kvd + h * kv * K
    )  # static taps (+ per-token taps projected from hidden)
    n = h * nh * hd + nh * hd + 2 * (h * kvd + conv) + 2 * h * nh * hd + h * nh
    n += h * nh * d_rel + d_rel * extent + nh * d_rel
    return n, nh, kv, hd


def _inkling2_loop(c: Cfg, h: int, L: int) -> int:
    """Inkling-2 Loop: layers loop_layer_index_start..end-1 carry four message gates (q, k, v, MLP: a low-rank
    projection of [state, message] to forget and message gates); the model holds four message queries per loop
    layer of the config's range."""
    start = c.int("loop_layer_index_start", default=0)
    end = c.int("loop_layer_index_end", default=0)
    if end <= start:
        return 0
    r = c.int("loop_gate_rank")
    looped = len(range(start, min(end, L)))
    return looped * 4 * (2 * h * r + 2 * r * h) + (end - start) * 4 * h


def inkling2_text(c: Cfg, head: str) -> Tally:
    """Inkling-2 text model: sliding ("hybrid_sliding") and full ("hybrid") attention layers with block attention
    residuals (learned queries over earlier block outputs; three for a full layer's q/k/v inputs), short
    convolutions after attention and MoE, sigmoid-routed experts without a shared expert, a normed embedding and
    an untied head over the unpadded vocabulary."""
    claim_heads(head, "causal_lm")
    archs = c.raw("architectures")
    if head == "model" and isinstance(archs, list) and archs and not archs[0].endswith("TextModel"):
        raise NotExact(f"{archs[0]} holds more than the text model; not modelled by the text formula")
    h = c.int("hidden_size")
    V = c.int("vocab_size")
    kinds = c.list("layer_types")
    L = c.int("num_hidden_layers", default=len(kinds))
    if len(kinds) != L or any(k not in ("hybrid", "hybrid_sliding") for k in kinds):
        raise NotExact("layer_types must list hybrid / hybrid_sliding for every layer")
    E = c.int("n_routed_experts", "num_local_experts")
    k = c.int("num_experts_per_tok")
    K = c.int("conv_kernel_size", "sconv_kernel_size")
    per_expert = 3 * h * c.int("moe_intermediate_size", "intermediate_size")
    t = Tally()
    t.embed(V * h)
    for i, kind in enumerate(kinds):
        sliding = kind == "hybrid_sliding"
        attn, nh, kv, hd = _inkling2_attention(c, h, sliding)
        t.add("attention", attn)
        t.add("norms", (2 if sliding else 4) * h)
        t.add("other", (0 if i == 0 else h if sliding else 3 * h) + h + 2 * h * K)  # residual queries, convs
        window = c.int("sliding_window_size") if sliding else None
        t.kv_layers.append(KVLayer(2 * kv * hd, window, nh * hd))
    t.experts(L * E * per_expert, L * min(k, E) * per_expert)
    t.add("other", L * E * h)  # routers
    t.add("norms", 2 * h)  # embedding norm, final norm
    t.add("other", h + _inkling2_loop(c, h, L))  # final block-residual query, loop message gates
    if head == "causal_lm":
        t.add("heads", c.int("unpadded_vocab_size", default=V) * h)
    return t


register(
    "inkling2_text", inkling2_text, "Inkling2Text", "Inkling2", classes={"Inkling2ForCausalLM": "causal_lm"}
)
register(
    "inkling2_loop_text",
    inkling2_text,
    "Inkling2LoopText",
    "Inkling2Loop",
    classes={"Inkling2LoopForCausalLM": "causal_lm"},
)


def inkling_text(c: Cfg, head: str) -> Tally:
    """Inkling (first version) text model: sliding / full attention with q/k norms, short-convolved k/v and a
    relative-logits projection; dense (with a learned global scale) or MoE layers whose router also scores the
    shared experts and has a global scale; short convolutions after attention and MLP; untied head."""
    claim_heads(head, "causal_lm")
    archs = c.raw("architectures")
    if head == "model" and isinstance(archs, list) and archs and not archs[0].endswith("TextModel"):
        raise NotExact(f"{archs[0]} holds more than the text model; not modelled by the text formula")
    h = c.int("hidden_size")
    V = c.int("vocab_size")
    kinds = c.list("layer_types")
    mlps = c.list("mlp_layer_types")
    L = c.int("num_hidden_layers", default=len(kinds))
    if len(kinds) != L or len(mlps) != L or any(k not in ("hybrid", "hybrid_sliding") for k in kinds):
        raise NotExact("layer_types / mlp_layer_types must describe every layer")
    K = c.int("sconv_kernel_size", "conv_kernel_size")
    d_rel = c.int("d_rel")
    E = c.int("n_routed_experts")
    shared = c.int("n_shared_experts", default=0)
    k = c.int("num_experts_per_tok")
    mi = c.int("moe_intermediate_size")
    t = Tally()
    t.embed(V * h)
    for kind, mlp_kind in zip(kinds, mlps, strict=True):
        pre = "swa_" if kind == "hybrid_sliding" else ""
        nh, kv, hd = (
            c.int(f"{pre}{key}") for key in ("num_attention_heads", "num_key_value_heads", "head_dim")
        )
        extent = c.int("sliding_window_size") if pre else c.int("rel_extent")
        t.add("attention", 2 * h * nh * hd + 2 * (h * kv * hd + kv * hd * K) + h * nh * d_rel + 2 * hd)
        t.add("attention", d_rel * extent)
        t.kv_layers.append(KVLayer(2 * kv * hd, extent if pre else None, nh * hd))
        if mlp_kind == "sparse":
            t.experts(E * 3 * h * mi, min(k, E) * 3 * h * mi)
            t.add("mlp", shared * 3 * h * mi)
            t.add("other", (E + shared) * h + 1)  # router over routed + shared experts, global scale
        else:
            t.add("mlp", gated_mlp(h, c.int("intermediate_size")) + 1)
        t.add("norms", 2 * h)
        t.add("other", 2 * h * K)  # attention and MLP short convolutions
    t.add("norms", 2 * h)  # embedding norm, final norm
    if head == "causal_lm":
        t.add("heads", V * h)
    return t


register("inkling_text", inkling_text, "InklingText", "Inkling", classes={"InklingForCausalLM": "causal_lm"})
