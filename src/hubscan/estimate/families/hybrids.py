"""Hybrid and recurrent decoders: Zamba, Zamba2 (shared blocks), RecurrentGemma (Griffin), xLSTM.

Zamba and Zamba2 interleave Mamba layers with a *shared* transformer block (attention over the
concatenation of the input embedding and the hidden state, so its input is ``attention_hidden_size``
= 2 x hidden wide). Every hybrid layer owns a hidden x hidden projection and its own Mamba layer; the
shared block's weights are tied across hybrid layers (Zamba: one block; Zamba2: ``num_mem_blocks``
blocks used in turn, each with LoRA-style adapters for the hybrid layers that use it), so the total
counts each shared block once.
"""

from __future__ import annotations

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
from hubscan.estimate.families.ssm import _dt_rank


def _block_types(c: Cfg) -> list[str]:
    types = c.list("layers_block_type", "layer_types")
    L = c.int("num_hidden_layers", default=len(types))
    if len(types) != L:
        raise ConfigProblem(f"layers_block_type has {len(types)} entries, num_hidden_layers={L}")
    for t in types:
        if t not in ("hybrid", "mamba", "linear_attention"):
            raise NotExact(f"Zamba layer type {t!r} is not understood")
    return types


def _zamba_dims(c: Cfg) -> tuple[int, int, int, int, int]:
    """hidden, attention input width, query heads, key/value heads, head_dim."""
    h = c.int("hidden_size")
    nh = c.int("num_attention_heads")
    if h <= 0 or nh <= 0:
        raise ConfigProblem("hidden_size and num_attention_heads must be positive")
    kv = c.int("num_key_value_heads", default=nh) or nh
    hd = c.int("attention_head_dim", "head_dim", default=2 * h // nh)
    return h, c.int("attention_hidden_size", default=2 * h), nh, kv, hd


def _shared_attention(A: int, h: int, nh: int, kv: int, hd: int) -> int:
    """q/k/v read the A-wide concatenated input; o writes the hidden size; no biases."""
    return A * nh * hd + 2 * A * kv * hd + nh * hd * h


def _zamba_mamba(c: Cfg, h: int) -> tuple[int, int]:
    """Zamba's multi-head Mamba-1 mixer (per-head x/dt projections) + its input norm: (params, state)."""
    inner = c.int("mamba_expand", default=2) * h
    N = c.int("mamba_d_state", default=16)
    K = c.int("mamba_d_conv", default=4)
    R = _dt_rank(c, "mamba_dt_rank", h)
    conv_bias = c.bool("mamba_conv_bias", default=True)
    bias = c.bool("mamba_proj_bias", default=False)
    n = linear(h, 2 * inner, bias) + inner * K + (inner if conv_bias else 0)
    n += inner * (R + 2 * N) + inner * R + inner  # x_proj, dt_proj weight and bias (per head, all heads)
    n += inner * N + inner + linear(inner, h, bias)  # A_log, D, out_proj
    return n + h, inner * (N + K)


def zamba(c: Cfg, head: str) -> Tally:
    types = _block_types(c)
    h, A, nh, kv, hd = _zamba_dims(c)
    V = c.int("vocab_size")
    t = Tally()
    t.embed(V * h)
    mamba, state = _zamba_mamba(c, h)
    t.add("other", len(types) * mamba)
    t.state_elems = len(types) * state
    hybrids = types.count("hybrid")
    t.add("other", hybrids * h * h)  # each hybrid layer's own projection of the shared block's output
    if hybrids:  # one shared transformer block, tied across the hybrid layers
        t.add("attention", _shared_attention(A, h, nh, kv, hd))
        t.add("mlp", gated_mlp(h, c.int("intermediate_size")))
        t.add("norms", A + h)
    t.kv_layers.extend(KVLayer(2 * kv * hd, None, nh * hd) for _ in range(hybrids))
    t.add("norms", h)
    claim_heads(head, "causal_lm", "seq_cls")
    lm_head(t, c, head, V, h, tie_default=True)
    return t


def _zamba2_mamba(c: Cfg, h: int) -> tuple[int, int]:
    """Zamba2's Mamba-2 mixer + its input norm: (params, state)."""
    inner = int(c.num("mamba_expand", default=2) * h)
    nH = c.int("n_mamba_heads", default=8)
    N = c.int("mamba_d_state", default=64)
    K = c.int("mamba_d_conv", default=4)
    groups = c.int("mamba_ngroups", default=1)
    bias = c.bool("add_bias_linear", default=False)
    conv_dim = inner + 2 * groups * N
    n = linear(h, inner + conv_dim + nH, bias) + conv_dim * K + conv_dim  # in_proj, conv1d (always biased)
    n += 3 * nH + inner + linear(inner, h, bias)  # dt_bias, A_log, D, gated norm, out_proj
    return n + h, nH * (inner // max(nH, 1)) * N + conv_dim * (K - 1)


def _zamba2_block(c: Cfg, h: int, uses: int) -> int:
    """One shared Zamba2 transformer block whose adapters serve ``uses`` hybrid layers."""
    _, A, nh, kv, hd = _zamba_dims(c)
    inter = c.int("intermediate_size", default=4 * h)
    bias = c.bool("add_bias_linear", default=False)
    r = c.int("adapter_rank", default=128)
    n = _shared_attention(A, h, nh, kv, hd) + A + h
    if c.bool("use_shared_attention_adapter", default=False):
        n += uses * 3 * 2 * A * r  # q, k, v adapters: A -> rank -> A
    n += linear(h, 2 * inter, bias) + linear(inter, h, bias)
    n += uses * (h * r + r * 2 * inter)  # gate/up adapter: h -> rank -> 2 x intermediate
    return n


def zamba2(c: Cfg, head: str) -> Tally:
    types = _block_types(c)
    h, _, nh, kv, hd = _zamba_dims(c)
    V = c.int("vocab_size")
    mem = c.int("num_mem_blocks", default=1)
    if mem <= 0:
        raise ConfigProblem("num_mem_blocks must be positive")
    t = Tally()
    t.embed(V * h)
    mamba, state = _zamba2_mamba(c, h)
    t.add("other", len(types) * mamba)
    t.state_elems = len(types) * state
    hybrids = types.count("hybrid")
    t.add("other", hybrids * h * h)
    for block in range(min(mem, hybrids)):  # block b serves hybrid layers i with i % mem == b
        uses = len(range(block, hybrids, mem))
        t.add("attention", _zamba2_block(c, h, uses))
    t.kv_layers.extend(KVLayer(2 * kv * hd, None, nh * hd) for _ in range(hybrids))
    t.add("norms", h)
    claim_heads(head, "causal_lm", "seq_cls")
    lm_head(t, c, head, V, h, tie_default=True)
    return t


register("zamba", zamba, "Zamba")
register("zamba2", zamba2, "Zamba2")


def _griffin_recurrent(h: int, W: int, nh: int, K: int) -> int:
    """Griffin's recurrent block: x/y branches, depthwise conv, RG-LRU (block-diagonal gates per head), out."""
    bw = W // nh
    lru = W + 2 * nh * bw * bw + 2 * nh * bw  # recurrent_param, input/recurrent gate weights and biases
    return 2 * linear(h, W) + W * K + W + lru + linear(W, h)


def recurrent_gemma(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size")
    L = c.int("num_hidden_layers")
    nh = c.int("num_attention_heads")
    if h <= 0 or nh <= 0:
        raise ConfigProblem("hidden_size and num_attention_heads must be positive")
    kv = c.int("num_key_value_heads", default=nh) or nh
    hd = c.int("head_dim", default=h // nh)
    V = c.int("vocab_size")
    W = c.int("lru_width", default=h)
    kinds = c.list("block_types", default=["recurrent", "recurrent", "attention"])
    if not kinds or any(k not in ("recurrent", "attention") for k in kinds):
        raise NotExact(f"block_types {kinds!r} are not Griffin's recurrent/attention blocks")
    plan = [kinds[i % len(kinds)] for i in range(L)]
    b = c.bool("attention_bias", default=False)
    attn = linear(h, nh * hd, b) + 2 * linear(h, kv * hd, b) + linear(nh * hd, h)  # o_proj always biased
    rec = _griffin_recurrent(h, W, nh, c.int("conv1d_width", default=4))
    inter = c.int("intermediate_size") // 2
    t = Tally()
    t.embed(V * h)
    t.add("attention", plan.count("attention") * attn)
    t.add("other", plan.count("recurrent") * rec)
    t.add("mlp", L * (2 * linear(h, inter) + linear(inter, h)))
    t.add("norms", 2 * L * h + h)
    window = c.int("attention_window_size", default=None)
    t.kv_layers.extend(KVLayer(2 * kv * hd, window, nh * hd) for _ in range(plan.count("attention")))
    t.state_elems = plan.count("recurrent") * W * c.int("conv1d_width", default=4)
    claim_heads(head, "causal_lm")
    lm_head(t, c, head, V, h, tie_default=True)
    return t


register("recurrent_gemma", recurrent_gemma, "RecurrentGemma")


def _round_up(x: float, multiple: int) -> int:
    return int(((x + multiple - 1) // multiple) * multiple)


def xlstm(c: Cfg, head: str) -> Tally:
    """xLSTM-7B style mLSTM blocks (transformers' native implementation): per block two RMSNorms, the mLSTM
    layer (q/k of qk_dim_factor x hidden, v and output gate of v_dim_factor x hidden, biased input/forget gate
    per head, multi-head norm, out projection) and a gated FFN rounded up to ffn_round_up_to_multiple_of. The
    head is never tied to the embeddings."""
    h = c.int("hidden_size", "embedding_dim")
    L = c.int("num_hidden_layers", "num_blocks")
    V = c.int("vocab_size")
    nh = c.int("num_heads")
    if h <= 0 or nh <= 0:
        raise ConfigProblem("hidden_size and num_heads must be positive")
    b = c.bool("use_bias", default=False)
    qk = int(h * c.num("qk_dim_factor", default=0.5))
    v = int(h * c.num("v_dim_factor", default=1.0))
    up = _round_up(
        h * c.num("ffn_proj_factor", default=2.667), c.int("ffn_round_up_to_multiple_of", default=64)
    )
    norm = h * (2 if b else 1)
    layer = 2 * linear(h, qk, b) + 2 * linear(h, v, b) + 2 * linear(h, nh) + linear(v, h, b)
    layer += (v // nh) * nh * (2 if b else 1)  # multi-head norm
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * layer)
    t.add("mlp", L * (2 * linear(h, up, b) + linear(up, h, b)))
    t.add("norms", 2 * L * norm + h)
    t.state_elems = L * nh * ((qk // nh) * (v // nh) + qk // nh + 1)
    t.notes.append("xLSTM keeps a fixed-size matrix memory per head (no per-token KV cache)")
    if head == "causal_lm":
        t.add("heads", V * h)
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for xLSTM")
    return t


register("xlstm", xlstm, "xLSTM")


def dory(c: Cfg, head: str) -> Tally:
    """Dory (looped, normalized transformer): every layer has gated attention (gate_proj, learned q/k and gate
    scales, weightless L2 norms) and a gated MLP with learned per-channel scales, plus two residual rates; the
    head keeps a learned per-token logit scale even when its weight is tied. Loops reuse the same layers."""
    h, L, V, nh, kv, hd = decoder_dims(c)
    inter = c.int("intermediate_size")
    kinds = c.list("layer_types", default=["full_attention"] * L)
    if "mlp" in kinds:  # released configs list attention and MLP blocks apart: each pair is one layer
        kinds, L = kinds[::2], L // 2
    ab = c.bool("attention_bias", default=False)
    attn = linear(h, nh * hd, ab) + 2 * linear(h, kv * hd, ab) + linear(nh * hd, h, ab)
    attn += h * nh * hd + 2 * nh * hd  # gate_proj, sqk, s_gate
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * attn)
    t.add("mlp", L * (gated_mlp(h, inter, c.bool("mlp_bias", default=False)) + 2 * inter))
    t.add("other", L * 2 * h)  # lambda_1, lambda_2
    window = c.int("sliding_window", default=None)
    for kind in kinds:
        t.kv_layers.append(KVLayer(2 * kv * hd, window if kind == "sliding_attention" else None, nh * hd))
    claim_heads(head, "causal_lm")
    if head == "causal_lm":
        t.add("heads", V)  # logit_scale
        lm_head(t, c, head, V, h, tie_default=True)
    return t


register("dory", dory, "Dory")


def hrm_text(c: Cfg, head: str) -> Tally:
    """HRM-Text (hierarchical reasoning model): a low-level and a high-level stack of num_layers_per_stack
    layers each (run for L_cycles / H_cycles, weights reused), multi-head attention with a sigmoid output gate,
    weightless RMSNorms, and the low-level stack's initial state z_L_init (a frozen parameter)."""
    h = c.int("hidden_size")
    V = c.int("vocab_size")
    nh = c.int("num_attention_heads")
    if h <= 0 or nh <= 0:
        raise ConfigProblem("hidden_size and num_attention_heads must be positive")
    hd = c.int("head_dim", default=h // nh)
    per_stack = c.int("num_layers_per_stack")
    ab = c.bool("attention_bias", default=False)
    attn = 4 * linear(h, nh * hd, ab) + linear(nh * hd, h, ab)  # q, k, v, gate; o
    t = Tally()
    t.embed(V * h)
    t.add("attention", 2 * per_stack * attn)
    t.add("mlp", 2 * per_stack * gated_mlp(h, c.int("intermediate_size"), c.bool("mlp_bias", default=False)))
    t.add("other", h)  # z_L_init
    t.kv_layers.extend(KVLayer(2 * nh * hd, None, nh * hd) for _ in range(2 * per_stack))
    claim_heads(head, "causal_lm")
    lm_head(t, c, head, V, h, tie_default=False)
    return t


register("hrm_text", hrm_text, "HrmText")


def mllama_text(c: Cfg, head: str) -> Tally:
    """Llama 3.2 Vision's language model alone (``MllamaForCausalLM``): Llama layers, of which those listed in
    ``cross_attention_layers`` attend to image states instead (q/k norms and two tanh gates more), an embedding
    table with 8 extra rows, and a head that is never tied. The vision model (ForConditionalGeneration) is not
    counted by this formula."""
    claim_heads(head, "causal_lm")
    if head == "model":
        raise NotExact("MllamaModel holds the vision tower too; not modelled by the text formula")
    t_cfg = c.sub("text_config") if isinstance(c.raw("text_config"), dict) else c
    h = t_cfg.int("hidden_size")
    L = t_cfg.int("num_hidden_layers")
    V = t_cfg.int("vocab_size")
    nh = t_cfg.int("num_attention_heads")
    if h <= 0 or nh <= 0:
        raise ConfigProblem("hidden_size and num_attention_heads must be positive")
    kv = t_cfg.int("num_key_value_heads", default=nh) or nh
    hd = h // nh
    cross = {i for i in t_cfg.ints("cross_attention_layers", default=[]) if i < L}
    t = Tally()
    t.embed((V + 8) * h)
    t.add("attention", L * (2 * h * nh * hd + 2 * h * kv * hd) + len(cross) * (2 * hd + 2))
    t.add("mlp", L * gated_mlp(h, t_cfg.int("intermediate_size")))
    t.add("norms", 2 * L * h + h)
    t.kv_layers.extend(KVLayer(2 * kv * hd, None, nh * hd) for i in range(L) if i not in cross)
    t.add("heads", V * h)
    return t


register("mllama", mllama_text, "Mllama")
