"""Decoder-only language models (dense, GQA/MQA, MoE, MLA)."""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import (
    I_KEYS,
    KV_KEYS,
    V_KEYS,
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    attention,
    dims,
    gated_mlp,
    head_dim,
    kv_full,
    layer_types,
    linear,
    lm_head,
    mlp,
    sliding_window,
)
from hubscan.estimate.families.registry import register


def _kv_heads(c: Cfg, nh: int) -> int:
    kv = c.int(*KV_KEYS, default=nh)
    if kv <= 0 or nh % kv:
        raise ConfigProblem(f"num_key_value_heads={kv} does not divide num_attention_heads={nh}")
    return kv


def _decoder_dims(c: Cfg) -> tuple[int, int, int, int, int]:
    """hidden size, layers, attention heads, vocabulary, key/value heads (alias keys resolved)."""
    h, L, nh = dims(c)
    return h, L, nh, c.int(*V_KEYS), _kv_heads(c, nh)


def _window_layers(c: Cfg, L: int, default_sliding) -> list[int | None]:
    """Per-layer sliding window (None = full attention)."""
    w = sliding_window(c)
    lt = layer_types(c, L)
    if lt is not None:
        return [w if t == "sliding_attention" else None for t in lt]
    return [w if default_sliding(i) else None for i in range(L)]


def llama_like(
    c: Cfg,
    head: str,
    *,
    tie_default: bool = False,
    qkv_bias: bool | None = None,
    o_bias: bool | None = None,
    norm: int | None = None,
    norms_per_layer: int = 2,
    qk_norm: str | None = None,
    final_norm: int | None = None,
    sliding=None,
    score_bias: bool = False,
) -> Tally:
    """Llama, Mistral, Qwen2/3, Gemma 1/2/3, Granite, Olmo, Cohere, StableLM share this skeleton."""
    h, L, nh, V, kv = _decoder_dims(c)
    hd = head_dim(c, h, nh)
    inter = c.int(*I_KEYS)
    attn_bias = c.bool("attention_bias", default=False)
    qb = attn_bias if qkv_bias is None else qkv_bias
    ob = attn_bias if o_bias is None else o_bias
    mlp_bias = c.bool("mlp_bias", default=False)
    norm = h if norm is None else norm
    t = Tally()
    t.embed(V * h)
    per_attn = attention(h, nh, kv, hd, q_bias=qb, k_bias=qb, v_bias=qb, o_bias=ob)
    if qk_norm == "head_dim":
        per_attn += 2 * hd
    elif qk_norm == "per_head":  # cohere: (heads, head_dim) weights
        per_attn += (nh + kv) * hd
    t.add("attention", L * per_attn)
    t.add("mlp", L * gated_mlp(h, inter, mlp_bias))
    t.add("norms", L * norms_per_layer * norm + (norm if final_norm is None else final_norm))
    lm_head(t, c, head, V, h, tie_default=tie_default, score_bias=score_bias)
    windows = _window_layers(c, L, sliding or (lambda i: False))
    for w in windows:
        t.kv_layers.append(KVLayer(2 * kv * hd, w, nh * hd))
    return t


def llama(c: Cfg, head: str) -> Tally:
    return llama_like(c, head)


def granite(c: Cfg, head: str) -> Tally:
    return llama_like(c, head)


def mistral(c: Cfg, head: str) -> Tally:
    return llama_like(c, head, qkv_bias=False, o_bias=False, sliding=lambda i: True)


def qwen2(c: Cfg, head: str) -> Tally:
    use_sw = c.bool("use_sliding_window", default=False)
    mwl = c.int("max_window_layers", default=28)
    return llama_like(c, head, qkv_bias=True, o_bias=False, sliding=lambda i: use_sw and i >= mwl)


def qwen3(c: Cfg, head: str) -> Tally:
    use_sw = c.bool("use_sliding_window", default=False)
    mwl = c.int("max_window_layers", default=28)
    return llama_like(c, head, qk_norm="head_dim", sliding=lambda i: use_sw and i >= mwl)


def olmo(c: Cfg, head: str) -> Tally:
    # OlmoLayerNorm is a non-parametric layer norm
    return llama_like(c, head, norm=0, final_norm=0, qkv_bias=False, o_bias=False)


def gemma(c: Cfg, head: str) -> Tally:
    return llama_like(c, head, tie_default=True)


def gemma2(c: Cfg, head: str) -> Tally:
    return llama_like(c, head, tie_default=True, norms_per_layer=4, sliding=lambda i: i % 2 == 0)


def gemma3_text(c: Cfg, head: str) -> Tally:
    pattern = c.int("sliding_window_pattern", "_sliding_window_pattern", default=6)
    return llama_like(
        c,
        head,
        tie_default=True,
        norms_per_layer=4,
        qk_norm="head_dim",
        sliding=lambda i: bool((i + 1) % pattern) if pattern else False,
    )


def cohere(c: Cfg, head: str) -> Tally:
    qk = "per_head" if c.bool("use_qk_norm", default=False) else None
    return llama_like(c, head, tie_default=True, norms_per_layer=1, qk_norm=qk)


def stablelm(c: Cfg, head: str) -> Tally:
    h, L, nh, V, kv = _decoder_dims(c)
    hd = h // nh
    inter = c.int(*I_KEYS)
    qkv_bias = c.bool("use_qkv_bias", default=False)
    t = Tally()
    t.embed(V * h)
    per = attention(h, nh, kv, hd, q_bias=qkv_bias, k_bias=qkv_bias, v_bias=qkv_bias)
    if c.bool("qk_layernorm", default=False):
        per += (nh + kv) * hd * 2  # one LayerNorm(head_dim) per head, with bias
    t.add("attention", L * per)
    t.add("mlp", L * gated_mlp(h, inter))
    parallel = c.bool("use_parallel_residual", default=False)
    t.add("norms", L * (1 if parallel else 2) * 2 * h + 2 * h)
    lm_head(t, c, head, V, h, tie_default=False)
    kv_full(t, L, kv, hd, nh)
    return t


def phi(c: Cfg, head: str) -> Tally:
    h, L, nh, V, kv = _decoder_dims(c)
    hd = h // nh
    inter = c.int(*I_KEYS)
    t = Tally()
    t.embed(V * h)
    per = attention(h, nh, kv, hd, q_bias=True, k_bias=True, v_bias=True, o_bias=True)
    if c.bool("qk_layernorm", default=False):
        per += 2 * 2 * hd
    t.add("attention", L * per)
    t.add("mlp", L * mlp(h, inter))
    t.add("norms", L * 2 * h + 2 * h)
    lm_head(t, c, head, V, h, tie_default=False, bias=True)
    kv_full(t, L, kv, hd, nh)
    return t


def phi3(c: Cfg, head: str) -> Tally:
    h, L, nh, V, kv = _decoder_dims(c)
    hd = head_dim(c, h, nh)
    inter = c.int(*I_KEYS)
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * (h * (nh * hd + 2 * kv * hd) + nh * hd * h))
    t.add("mlp", L * (h * 2 * inter + inter * h))
    t.add("norms", L * 2 * h + h)
    lm_head(t, c, head, V, h, tie_default=False)
    w = sliding_window(c)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * kv * hd, w, nh * hd))
    return t


def gpt2(c: Cfg, head: str) -> Tally:
    h = c.int("n_embd", "hidden_size", default=768)
    L = c.int("n_layer", "num_hidden_layers", default=12)
    nh = c.int("n_head", "num_attention_heads", default=12)
    V = c.int("vocab_size", default=50257)
    P = c.int("n_positions", "max_position_embeddings", default=1024)
    inter = c.int("n_inner", default=None) or 4 * h
    t = Tally()
    t.embed(V * h)
    t.add("embeddings", P * h)
    t.add("attention", L * (linear(h, 3 * h) + linear(h, h)))
    t.add("mlp", L * mlp(h, inter))
    t.add("norms", L * 4 * h + 2 * h)
    if c.bool("add_cross_attention", default=False):  # q_attn, c_attn (k, v), c_proj, ln_cross_attn per block
        t.add("attention", L * (linear(h, h) + linear(h, 2 * h) + linear(h, h) + 2 * h))
    if head == "double_heads":
        lm_head(t, c, "causal_lm", V, h, tie_default=True)
        t.add("heads", linear(h, 1) if c.bool("summary_use_proj", default=True) else 0)
    elif head == "seq_cls":
        t.add("heads", h * c.num_labels())
    else:
        lm_head(t, c, head, V, h, tie_default=True)
    kv_full(t, L, nh, h // nh, nh)
    return t


def gpt_bigcode(c: Cfg, head: str) -> Tally:
    h = c.int("n_embd", "hidden_size", default=768)
    L = c.int("n_layer", "num_hidden_layers", default=12)
    nh = c.int("n_head", "num_attention_heads", default=12)
    V = c.int("vocab_size", default=50257)
    P = c.int("n_positions", "max_position_embeddings", default=1024)
    inter = c.int("n_inner", default=None) or 4 * h
    mq = c.bool("multi_query", default=True)
    hd = h // nh
    kvh = 1 if mq else nh
    t = Tally()
    t.embed(V * h)
    t.add("embeddings", P * h)
    t.add("attention", L * (linear(h, h + 2 * kvh * hd) + linear(h, h)))
    t.add("mlp", L * mlp(h, inter))
    t.add("norms", L * 4 * h + 2 * h)
    lm_head(t, c, head, V, h, tie_default=True)
    kv_full(t, L, kvh, hd, nh)
    return t


def starcoder2(c: Cfg, head: str) -> Tally:
    h, L, nh, V, kv = _decoder_dims(c)
    hd = h // nh
    inter = c.int(*I_KEYS)
    b = c.bool("use_bias", default=True)
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b))
    t.add("mlp", L * mlp(h, inter, b))
    t.add("norms", L * 4 * h + 2 * h)
    lm_head(t, c, head, V, h, tie_default=True)
    w = sliding_window(c)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * kv * hd, w, nh * hd))
    return t


def gpt_neox(c: Cfg, head: str) -> Tally:
    h, L, nh = dims(c)
    V = c.int(*V_KEYS)
    inter = c.int(*I_KEYS)
    b = c.bool("attention_bias", default=True)
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * (linear(h, 3 * h, b) + linear(h, h, b)))
    t.add("mlp", L * mlp(h, inter))
    t.add("norms", L * 4 * h + 2 * h)
    lm_head(t, c, head, V, h, tie_default=False)
    kv_full(t, L, nh, h // nh, nh)
    return t


def gptj(c: Cfg, head: str) -> Tally:
    h = c.int("n_embd", "hidden_size", default=4096)
    L = c.int("n_layer", "num_hidden_layers", default=28)
    nh = c.int("n_head", "num_attention_heads", default=16)
    V = c.int("vocab_size", default=50400)
    inter = c.int("n_inner", default=None) or 4 * h
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * 4 * h * h)
    t.add("mlp", L * mlp(h, inter))
    t.add("norms", L * 2 * h + 2 * h)
    lm_head(t, c, head, V, h, tie_default=False, bias=True)
    kv_full(t, L, nh, h // nh, nh)
    return t


def bloom(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=None)
    h = c.int("n_embed", default=64 if h is None else h)
    L = c.int("n_layer", "num_hidden_layers", default=2)
    nh = c.int("n_head", "num_attention_heads", default=8)
    V = c.int("vocab_size", default=250880)
    t = Tally()
    t.embed(V * h)
    t.add("norms", 2 * h)  # word_embeddings_layernorm
    t.add("attention", L * (linear(h, 3 * h) + linear(h, h)))
    t.add("mlp", L * mlp(h, 4 * h))
    t.add("norms", L * 4 * h + 2 * h)
    lm_head(t, c, head, V, h, tie_default=True)
    kv_full(t, L, nh, h // nh, nh)
    return t


def opt(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    nh = c.int("num_attention_heads", default=12)
    V = c.int("vocab_size", default=50272)
    ffn = c.int("ffn_dim", default=3072)
    P = c.int("max_position_embeddings", default=2048)
    wep = c.int("word_embed_proj_dim", default=h)
    b = c.bool("enable_bias", default=True)
    affine = c.bool("layer_norm_elementwise_affine", default=True)
    ln = 2 * h if affine else 0
    t = Tally()
    t.embed(V * wep)
    t.add("embeddings", (P + 2) * h)
    if wep != h:
        t.add("other", 2 * h * wep)  # project_in / project_out
    if c.bool("do_layer_norm_before", default=True) and not c.bool("_remove_final_layer_norm", default=False):
        t.add("norms", ln)
    t.add("attention", L * 4 * linear(h, h, b))
    t.add("mlp", L * mlp(h, ffn, b))
    t.add("norms", L * 2 * ln)
    if head == "causal_lm":
        if not c.bool("tie_word_embeddings", default=True):
            t.add("heads", V * wep)
    else:
        lm_head(t, c, head, V, wep, tie_default=True)
    kv_full(t, L, nh, h // nh, nh)
    return t


def falcon(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=None)
    h = c.int("n_embed", default=4544 if h is None else h)
    L = c.int("num_hidden_layers", default=32)
    nh = c.int("num_attention_heads", default=71)
    V = c.int("vocab_size", default=65024)
    kv = c.int("num_kv_heads", default=nh)
    new = c.bool("new_decoder_architecture", default=False)
    mq = c.bool("multi_query", default=True)
    parallel = c.bool("parallel_attn", default=True)
    b = c.bool("bias", default=False)
    ffn = c.int("ffn_hidden_size", default=4 * h)
    n_ln = c.int("num_ln_in_parallel_attn", default=None)
    if n_ln is None and new:
        n_ln = 2
    hd = h // nh
    if new:
        qkv = (2 * kv + nh) * hd
        kvh = kv
    elif mq:
        qkv = h + 2 * hd
        kvh = 1
    else:
        qkv = 3 * h
        kvh = nh
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * (linear(h, qkv, b) + linear(h, h, b)))
    t.add("mlp", L * mlp(h, ffn, b))
    per_norm = 2 if not parallel else 2 if n_ln == 2 else 1
    t.add("norms", L * per_norm * 2 * h + 2 * h)
    if head == "token_cls":
        t.add("heads", linear(h, c.num_labels(), True))
    else:
        lm_head(t, c, head, V, h, tie_default=True)
    kv_full(t, L, kvh, hd, nh)
    return t


def mpt(c: Cfg, head: str) -> Tally:
    h = c.int("d_model", "hidden_size", default=2048)
    L = c.int("n_layers", "num_hidden_layers", default=24)
    nh = c.int("n_heads", "num_attention_heads", default=16)
    V = c.int("vocab_size", default=50368)
    if c.num("expansion_ratio", default=4) != 4:
        raise NotExact("transformers' MPT builds a 4x MLP regardless of expansion_ratio")
    attn_cfg = c.raw("attn_config")
    if isinstance(attn_cfg, dict) and attn_cfg.get("alibi") is False:
        raise NotExact("MPT without ALiBi (learned positions) is not what the native class builds")
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * 4 * h * h)
    t.add("mlp", L * 8 * h * h)
    t.add("norms", L * 2 * h + h)
    lm_head(t, c, head, V, h, tie_default=True)
    kv_full(t, L, nh, h // nh, nh)
    return t


# ----------------------------------------------------------------------------- mixture of experts


def mixtral(c: Cfg, head: str) -> Tally:
    h, L, nh, V, kv = _decoder_dims(c)
    hd = head_dim(c, h, nh)
    inter = c.int(*I_KEYS)
    E = c.int("num_local_experts", "num_experts", "n_experts", default=8)
    k = c.int("num_experts_per_tok", "n_experts_per_tok", default=2)
    mixtral_moe = c.raw("moe")
    if isinstance(
        mixtral_moe, dict
    ):  # mlx/mistral-reference style {"num_experts": .., "num_experts_per_tok": ..}
        E = Cfg(mixtral_moe).int("num_experts", default=E)
        k = Cfg(mixtral_moe).int("num_experts_per_tok", default=k)
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * attention(h, nh, kv, hd))
    t.add("other", L * h * E)  # router
    per_expert = gated_mlp(h, inter)
    t.experts(L * E * per_expert, L * min(k, E) * per_expert)
    t.add("norms", L * 2 * h + h)
    lm_head(t, c, head, V, h, tie_default=False)
    w = sliding_window(c)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * kv * hd, w, nh * hd))
    return t


def _qwen_moe(c: Cfg, head: str, *, shared: bool, qk_norm: bool, qkv_bias: bool) -> Tally:
    h, L, nh, V, kv = _decoder_dims(c)
    hd = head_dim(c, h, nh)
    inter = c.int("intermediate_size")
    moe_i = c.int("moe_intermediate_size")
    E = c.int("num_experts")
    k = c.int("num_experts_per_tok")
    step = c.int("decoder_sparse_step", default=1)
    only = set(c.ints("mlp_only_layers", default=[]))
    t = Tally()
    t.embed(V * h)
    per_attn = attention(h, nh, kv, hd, q_bias=qkv_bias, k_bias=qkv_bias, v_bias=qkv_bias)
    if qk_norm:
        per_attn += 2 * hd
    t.add("attention", L * per_attn)
    for i in range(L):
        if i not in only and E > 0 and step > 0 and (i + 1) % step == 0:
            t.add("other", h * E)
            pe = gated_mlp(h, moe_i)
            t.experts(E * pe, min(k, E) * pe)
            if shared:
                t.add("mlp", gated_mlp(h, c.int("shared_expert_intermediate_size")) + h)
        else:
            t.add("mlp", gated_mlp(h, inter))
    t.add("norms", L * 2 * h + h)
    lm_head(t, c, head, V, h, tie_default=False)
    kv_full(t, L, kv, hd, nh)
    return t


def qwen2_moe(c: Cfg, head: str) -> Tally:
    return _qwen_moe(c, head, shared=True, qk_norm=False, qkv_bias=c.bool("qkv_bias", default=True))


def qwen3_moe(c: Cfg, head: str) -> Tally:
    return _qwen_moe(c, head, shared=False, qk_norm=True, qkv_bias=c.bool("attention_bias", default=False))


def dbrx(c: Cfg, head: str) -> Tally:
    h = c.int("d_model", default=2048)
    L = c.int("n_layers", default=24)
    nh = c.int("n_heads", default=16)
    V = c.int("vocab_size", default=32000)
    ac = c.sub("attn_config", default={})
    fc = c.sub("ffn_config", default={})
    kv = ac.int("kv_n_heads", default=1)
    hd = h // nh
    ffn = fc.int("ffn_hidden_size", default=3584)
    E = fc.int("moe_num_experts", default=4)
    k = fc.int("moe_top_k", default=1)
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * (h * (h + 2 * kv * hd) + h * h))
    t.add("norms", L * 2 * h + h)
    t.add("other", L * h * E)
    pe = 3 * ffn * h
    t.experts(L * E * pe, L * min(k, E) * pe)
    lm_head(t, c, head, V, h, tie_default=False)
    kv_full(t, L, kv, hd, nh)
    return t


def deepseek_v3(c: Cfg, head: str) -> Tally:
    h, L, nh = dims(c)
    V = c.int(*V_KEYS)
    inter = c.int("intermediate_size")
    moe_i = c.int("moe_intermediate_size")
    E = c.int("n_routed_experts")
    k = c.int("num_experts_per_tok")
    n_shared = c.int("n_shared_experts", default=1)
    first_dense = c.int("first_k_dense_replace", default=3)
    q_lora = c.int("q_lora_rank", default=None)
    kv_lora = c.int("kv_lora_rank")
    nope = c.int("qk_nope_head_dim")
    rope = c.int("qk_rope_head_dim")
    v_hd = c.int("v_head_dim")
    b = c.bool("attention_bias", default=False)
    qk_hd = nope + rope
    t = Tally()
    t.embed(V * h)
    q = linear(h, q_lora, b) + q_lora + q_lora * nh * qk_hd if q_lora else h * nh * qk_hd
    attn = q + linear(h, kv_lora + rope, b) + kv_lora + kv_lora * nh * (nope + v_hd) + linear(nh * v_hd, h, b)
    t.add("attention", L * attn)
    for i in range(L):
        if i < first_dense:
            t.add("mlp", gated_mlp(h, inter))
        else:
            t.add("other", E * h)  # router weight (e_score_correction_bias is a buffer in transformers 5.25)
            pe = gated_mlp(h, moe_i)
            t.experts(E * pe, min(k, E) * pe)
            t.add("mlp", gated_mlp(h, moe_i * n_shared))
    t.add("norms", L * 2 * h + h)
    lm_head(t, c, head, V, h, tie_default=False)
    for _ in range(L):  # MLA caches the compressed latent plus the shared rope key
        t.kv_layers.append(KVLayer(kv_lora + rope, None, nh * qk_hd))
    t.notes.append("KV cache counts MLA's compressed latent (kv_lora_rank + qk_rope_head_dim per layer)")
    return t


register("llama", llama, "Llama")
register("mistral", mistral, "Mistral")
register("qwen2", qwen2, "Qwen2")
register("qwen3", qwen3, "Qwen3")
register("gemma", gemma, "Gemma")
register("gemma2", gemma2, "Gemma2")
register("gemma3_text", gemma3_text, "Gemma3")
register("granite", granite, "Granite")
register("olmo", olmo, "Olmo")
register("cohere", cohere, "Cohere")
register("stablelm", stablelm, "StableLm")
register("phi", phi, "Phi")
register("phi3", phi3, "Phi3")
register("gpt2", gpt2, "GPT2")
register("gpt_bigcode", gpt_bigcode, "GPTBigCode")
register("starcoder2", starcoder2, "Starcoder2")
register("gpt_neox", gpt_neox, "GPTNeoX")
register("gptj", gptj, "GPTJ")
register("bloom", bloom, "Bloom")
register("opt", opt, "OPT")
register("falcon", falcon, "Falcon")
register("mpt", mpt, "Mpt")
register("mixtral", mixtral, "Mixtral")
register("qwen2_moe", qwen2_moe, "Qwen2Moe")
register("qwen3_moe", qwen3_moe, "Qwen3Moe")
register("dbrx", dbrx, "Dbrx")
register("deepseek_v3", deepseek_v3, "DeepseekV3")
