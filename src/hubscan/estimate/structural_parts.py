"""Module-level building blocks of the structural estimator: attention variants, SSM mixers, MLPs, MoE."""

from __future__ import annotations

from dataclasses import dataclass

from hubscan.estimate._cfg import Cfg, ConfigProblem, KVLayer, Tally, linear

EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts", "n_experts")
TOPK_KEYS = (
    "num_experts_per_tok",
    "experts_per_token",
    "moe_top_k",
    "num_experts_per_token",
    "top_k",
    "moe_k",
)
NH_KEYS = ("num_attention_heads", "n_head", "n_heads", "num_heads", "attention_heads")
KV_KEYS = ("num_key_value_heads", "n_kv_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num")
FFN_KEYS = ("intermediate_size", "ffn_hidden_size", "n_inner", "d_ff", "ffn_dim", "dff")
NON_GATED_ACTS = ("relu2", "relu_squared", "squared_relu")


@dataclass
class Hints:
    """Per-family facts that no config key states (tiny tensors, defaults). Unknown types get the defaults."""

    qk_norm: str | None = None  # None, "head_dim" (one norm of head_dim for q and k) or "per_layer"
    sinks: bool = False  # one learned attention-sink logit per head (gpt-oss)
    expert_bias: bool = False  # experts' projections carry biases (gpt-oss)
    router_bias: bool = False
    tie_default: bool = False
    norms_per_layer: int = 2
    gated: bool = True
    shared_always: bool = False  # Llama 4: one shared expert of intermediate_size in every MoE layer
    output_gate: bool = False  # q_proj also produces a sigmoid gate for the attention output (Qwen3-Next)
    gate_bias: bool = True  # that gate carries the q bias (False: a separate bias-free gate_proj, AFMoE)
    gate_head_bias: bool = False  # plus one learned gate bias per head (Beam)
    value_gate: bool = False  # MLA output gated per head and value channel (hidden -> heads x v_head_dim)
    kda_gates: str = "low_rank"  # Kimi delta attention forget/output gates: "low_rank" (via head_dim), "full"
    mla_q_gate: bool = False  # MLA q_b reads [q, q] (2 x q_lora_rank), also emits a value gate (AXK2)
    patch_embed: bool = False  # Fuyu: image patches enter through one linear layer (patch^2 x channels)
    rope_k_norm: bool = False  # MLA: a norm over the rotary part of the key (qk_rope_head_dim; dots3)
    sliding_kv_mult: int = 1  # sliding-window layers have this many times the KV heads (MiMo-V2-Flash)
    sliding_sinks: bool = False  # sliding-window layers (only) carry one attention sink per head
    never_tied: bool = False
    norm_mult: int = 1  # parameters per normalised element: 0 weightless, 1 RMSNorm, 2 LayerNorm with bias
    o_bias: bool | None = None  # None: o_proj follows attention_bias; False: the bias is on q/k/v only
    sub_norms: bool = False  # BitNet: a norm inside attention (hidden) and inside the MLP (intermediate)
    diff_lambdas: bool = False  # differential attention: four learned vectors of head_dim per layer
    act_params: int = 0  # learned scalars of the MLP activation (xIELU: alpha_p, alpha_n)
    shared_gate: bool = True  # a shared expert of shared_expert_intermediate_size has a sigmoid gate (Qwen)
    head_gate: bool = False  # a per-head output gate projected from the hidden state (hidden x heads)
    # Classic (GPT / fairseq style) decoders: LayerNorm, biased projections, learned positions.
    classic: bool = False  # declared family without the modern decoder keys: read it structurally anyway
    qkv_bias: bool | None = None  # None: follows attention_bias / qkv_bias
    mlp_bias: bool | None = None  # None: follows mlp_bias
    pos_rows: int | None = (
        None  # learned position table of max_position_embeddings + pos_rows rows (None: none)
    )
    final_norm: bool = True
    head_bias: bool = False  # the LM head has a bias (also when its weight is tied)
    mha_only: bool = False  # the family has no grouped-query attention: num_key_value_heads is ignored
    ffn_mult: int | None = None  # FFN width when the config leaves it null: ffn_mult x hidden
    parallel_ssm: bool = False  # Falcon-H1: attention and Mamba-2 in parallel in every layer
    ssm_only: bool = False  # a pure Mamba-2 stack: num_heads / head_dim are the SSM's (no attention)
    moe_norm: bool = False  # a norm after the mixture of experts, inside each sparse block (A.X K1)
    lightning: bool = (
        False  # linear-attention layers are MiniMax lightning attention (fused qkv, output gate)
    )


# Shapes of a family that no config key states, declared per model type (exact names, not prefixes: a new
# model type gets the defaults until a coverage run has measured it). Each fact is a general shape that the
# estimator counts the same way wherever it appears.
FAMILY_SHAPES: dict[str, dict] = {
    **{t: {"qk_norm": "head_dim"} for t in ("exaone_moe", "hy_v3", "mellum", "minimax_m3_vl_text")},
    "flint": {"qk_norm": "head_dim", "sinks": True, "shared_gate": False},
    **{
        t: {"qk_norm": "head_dim", "norms_per_layer": 4, "shared_gate": False}
        for t in ("kolibri1", "kolibri1_1")
    },
    "laguna": {"qk_norm": "head_dim", "shared_gate": False, "head_gate": True, "router_bias": True},
    "lara_mini": {"qk_norm": "head_dim", "shared_gate": False},
    "flex_olmo": {"qk_norm": "per_layer"},
    "olmoe": {"qk_norm": "per_layer"},
    "olmo_hybrid": {"qk_norm": "per_layer"},
    "granite_swa": {"sinks": True},
    "granitemoe_swa": {"sinks": True},
    "glm": {"o_bias": False},
    "glm4": {"o_bias": False, "norms_per_layer": 4},
    "cohere": {"norms_per_layer": 1},  # parallel attention + MLP behind one input norm
    "cohere2": {"norms_per_layer": 1},
    "cohere2_moe": {"norms_per_layer": 1},
    "phimoe": {"norm_mult": 2},
    "nemotron": {"norm_mult": 2},
    "minicpm5_moe": {"output_gate": True},
    "jais2": {"norm_mult": 2},
    "nanochat": {"norm_mult": 0},
    "bitnet": {"sub_norms": True},
    "diffllama": {"diff_lambdas": True},
    "falcon_h1": {"parallel_ssm": True},
    "axk1": {"moe_norm": True},
    "bailing_hybrid": {"kda_gates": "full", "head_gate": True, "never_tied": True},
    "kimi_linear": {"never_tied": True},
    "hy_v4": {"value_gate": True, "sinks": True},
    "axk2": {"mla_q_gate": True},
    **{t: {"head_gate": True, "rope_k_norm": True} for t in ("dots3_note", "dots3_note_text")},
    "mimo_v2_flash": {"sliding_kv_mult": 2, "sliding_sinks": True, "o_bias": False},
    **{t: {"qk_norm": "head_dim"} for t in ("lfm2", "lfm2_vl", "lfm2_moe", "lfm3", "lfm3_vl")},
    "afmoe": {"qk_norm": "head_dim", "norms_per_layer": 4, "router_bias": True, "output_gate": True}
    | {"gate_bias": False},
    "beam": {"qk_norm": "head_dim", "norms_per_layer": 4, "output_gate": True, "gate_bias": False}
    | {"gate_head_bias": True},
    "minimax": {"lightning": True},
    "mamba2": {"classic": True, "ssm_only": True, "norm_mult": 1},
    **{
        t: {
            "classic": True,
            "norm_mult": 2,
            "qkv_bias": True,
            "o_bias": True,
            "mlp_bias": True,
            "mha_only": True,
        }
        | {"gated": False}
        for t in ("openai-gpt", "codegen", "ctrl", "xglm", "biogpt", "persimmon")
    },
}
# What sets each classic decoder apart from a post-LN GPT with every bias and a tied head.
FAMILY_SHAPES["openai-gpt"].update(pos_rows=0, final_norm=False, ffn_mult=4)
FAMILY_SHAPES["codegen"].update(norms_per_layer=1, qkv_bias=False, o_bias=False, head_bias=True, ffn_mult=4)
FAMILY_SHAPES["ctrl"].update(head_bias=True)
FAMILY_SHAPES["biogpt"].update(pos_rows=2)
FAMILY_SHAPES["persimmon"].update(qk_norm="head_dim")
FAMILY_SHAPES["fuyu"] = {
    **FAMILY_SHAPES["persimmon"],
    "patch_embed": True,
}  # a Persimmon LM fed image patches


_QK_NORM_TYPES = ("qwen3", "gemma3", "gemma4", "exaone4", "apertus")
_QK_NORM_FULL_TYPES = ("olmo2", "olmo3")  # RMSNorm over all heads' q and k (nh*hd and kv*hd)


def hints_for(model_type: str, c: Cfg) -> Hints:
    hints = Hints()
    flag = c.raw("use_qk_norm", "qk_layernorm", "qk_norm")
    if flag is True:
        hints.qk_norm = "per_layer" if c.raw("qk_norm_type") == "per_layer" else "head_dim"
    elif flag is None and model_type.startswith(_QK_NORM_TYPES):
        hints.qk_norm = "head_dim"
    elif flag is None and model_type.startswith(_QK_NORM_FULL_TYPES):
        hints.qk_norm = "per_layer"
    hints.output_gate = c.raw("attn_output_gate") is True or (
        c.raw("attn_output_gate") is None and model_type.startswith(("qwen3_next", "qwen3_5"))
    )
    if flag is None and model_type.startswith("minimax_m2"):
        hints.qk_norm = "per_layer"
    if model_type.startswith("ernie4_5_moe"):
        hints.router_bias = True  # its e_score_correction_bias is a parameter, not a buffer
    if model_type.startswith("gpt_oss"):
        hints.sinks = hints.expert_bias = hints.router_bias = True
    if model_type.startswith(("gemma2", "gemma3", "gemma4")):
        hints.norms_per_layer = 4
    if model_type.startswith("gemma"):
        hints.tie_default = True
    if model_type.startswith("llama4"):
        hints.shared_always = True
        hints.qk_norm = None  # Llama 4's q/k norm is a weightless L2 norm
    # Two-matrix (ungated) MLPs: relu^2 (Nemotron, Arcee) and xIELU (Apertus); BitNet says relu2 but is gated.
    act = c.raw("mlp_hidden_act", "hidden_act", "hidden_activation", "activation_function")
    ungated = isinstance(act, str) and act.lower() in (*NON_GATED_ACTS, "xielu")
    hints.gated = not ungated or model_type.startswith("bitnet")
    if model_type.startswith("nemotron_h"):
        hints.never_tied = True  # NemotronH keeps a separate lm_head whatever tie_word_embeddings says
    if isinstance(act, str) and act.lower() == "xielu":
        hints.act_params = 2
    if c.raw("use_attention_gate") is True:  # LFM3: a per-head sigmoid gate projected from the hidden state
        hints.head_gate = True
    if (
        c.raw("use_post_norm", "use_sandwich_norm") is True
    ):  # sandwich norms: after attention and after the MLP as well
        hints.norms_per_layer = 4
    for k, v in FAMILY_SHAPES.get(model_type, {}).items():
        setattr(hints, k, v)
    return hints


def _heads(c: Cfg, h: int, hints: Hints) -> tuple[int, int, int]:
    nh = c.int(*NH_KEYS)
    if nh <= 0:
        raise ConfigProblem(f"{c.name}: attention heads must be positive")
    kv = nh if hints.mha_only else c.int(*KV_KEYS, default=nh) or nh
    hd = c.int("head_dim", "attention_head_dim", default=None)
    if hd is None:
        hd = h // nh  # transformers' default: floor division
    return nh, kv, hd


def kv_shared(c: Cfg, layer: int) -> bool:
    """The layer reuses another layer's keys and values: one of the last ``num_kv_shared_layers`` (Gemma 3n /
    Gemma 4), or one whose ``kv_source_layers`` entry names another layer (Kolibri 1.1)."""
    sources = c.raw("kv_source_layers")
    if isinstance(sources, list) and layer < len(sources):
        return sources[layer] != layer
    shared = c.int("num_kv_shared_layers", default=0)
    return shared > 0 and layer >= c.int("num_hidden_layers") - shared


def attention_params(
    c: Cfg, h: int, hints: Hints, *, sliding: bool, shared: bool = False
) -> tuple[int, KVLayer]:
    """Multi-head / grouped-query attention (optional output gate, biases, q/k norms, sinks); ``shared``: the
    layer reuses another layer's keys and values, so it has no k/v projections nor k norm and caches nothing."""
    nh, kv, hd = _heads(c, h, hints)
    kv *= hints.sliding_kv_mult if sliding else 1
    gate = 2 if hints.output_gate else 1
    bias = c.raw("attention_bias") is True
    qkv_bias = bias or c.raw("qkv_bias") is True if hints.qkv_bias is None else hints.qkv_bias
    out_bias = c.raw("attention_out_bias", default=bias if hints.o_bias is None else hints.o_bias) is True
    vd = c.int("v_head_dim", default=hd)  # values (and o_proj's input) narrower than queries/keys (MiMo-V2)
    n = linear(h, gate * nh * hd, qkv_bias) + linear(h, kv * hd, qkv_bias) + linear(h, kv * vd, qkv_bias)
    if gate == 2 and qkv_bias and not hints.gate_bias:
        n -= nh * hd
    if gate == 2 and hints.gate_head_bias:
        n += nh
    n += linear(nh * vd, h, out_bias)
    if hints.qk_norm == "head_dim":
        n += 2 * hd * max(hints.norm_mult, 1)
    elif hints.qk_norm == "per_layer":
        n += (nh + kv) * hd
    if hints.sinks or (sliding and hints.sliding_sinks):
        n += nh
    if hints.sub_norms:
        n += h * hints.norm_mult
    if hints.diff_lambdas:
        n += 4 * hd
    if hints.head_gate:
        n += h * nh
    window = c.raw("sliding_window", "attention_window_size") if sliding else None
    if isinstance(window, bool) or not isinstance(window, int) or window <= 0:
        window = None
    if shared:
        n -= linear(h, kv * hd, qkv_bias) + linear(h, kv * vd, qkv_bias)
        n -= hd * max(hints.norm_mult, 1) if hints.qk_norm == "head_dim" else 0
        return n, KVLayer(0, window, nh * hd)
    return n, KVLayer(2 * kv * hd, window, nh * hd)


def hyper_connections(c: Cfg, h: int, L: int) -> int:
    """``hc_mult`` residual streams in HY-V4's form (pre and post weights, no sinkhorn mix): per layer two
    mixers (around attention and the FFN), each a weight over the concatenated streams, a bias and two scales;
    one more mixer before the output head. (DeepSeek-V4's form has a family formula.)"""
    m = c.int("hc_mult", default=0)
    if m <= 0:
        return 0
    return L * 2 * (2 * m * m * h + 2 * m + 2) + m * m * h + m + 1


def mla_params(c: Cfg, h: int, layer: int) -> tuple[int, KVLayer]:
    """Multi-head latent attention (DeepSeek V2/V3, Kimi, GLM-5), plus a sparse-attention indexer if any."""
    nh = c.int(*NH_KEYS)
    q_lora = c.int("q_lora_rank", default=None)
    kv_lora = c.int("kv_lora_rank")
    nope = c.int("qk_nope_head_dim")
    rope = c.int("qk_rope_head_dim")
    v_hd = c.int("v_head_dim")
    b = c.raw("attention_bias") is True
    qk = nope + rope
    q = linear(h, q_lora, b) + q_lora + q_lora * nh * qk if q_lora else h * nh * qk
    n = q + linear(h, kv_lora + rope, b) + kv_lora + kv_lora * nh * (nope + v_hd) + linear(nh * v_hd, h, b)
    cached = kv_lora + rope
    if c.has("index_n_heads"):
        ih = c.int("index_n_heads")
        ihd = c.int("index_head_dim")
        kinds = c.raw("indexer_types")
        types = c.raw("layer_types")  # with "indexed_attention" layers, only those own an indexer (dots3)
        if kinds is None and isinstance(types, list) and "indexed_attention" in types and layer < len(types):
            kinds = ["full" if t == "indexed_attention" else "none" for t in types]
        if not (isinstance(kinds, list) and layer < len(kinds) and kinds[layer] != "full"):
            n += (q_lora or h) * ih * ihd + h * ihd + 2 * ihd + h * ih
            cached += ihd
    return n, KVLayer(cached, None, nh * qk)


def lightning_attention(c: Cfg, h: int, hints: Hints) -> tuple[int, int]:
    """MiniMax lightning attention: fused q/k/v over all heads, output gate, norm: (parameters, state)."""
    nh, _, hd = _heads(c, h, hints)
    inner = nh * hd
    return h * 3 * inner + inner * h + h * inner + inner, nh * hd * hd


def linear_attention(c: Cfg, h: int) -> tuple[int, int]:
    """Gated DeltaNet linear attention (Qwen3-Next / Qwen3.5): (parameters, fixed state elements)."""
    nk = c.int("linear_num_key_heads")
    dk = c.int("linear_key_head_dim")
    nv = c.int("linear_num_value_heads")
    dv = c.int("linear_value_head_dim")
    K = c.int("linear_conv_kernel_dim", default=4)
    key_dim, value_dim = nk * dk, nv * dv
    conv_dim = 2 * key_dim + value_dim
    n = h * conv_dim + h * value_dim + 2 * h * nv + conv_dim * K + 2 * nv + dv + value_dim * h
    return n, nv * dk * dv + conv_dim * max(K - 1, 0)


def delta_attention(c: Cfg, h: int, hints: Hints) -> tuple[int, int]:
    """Kimi delta attention (KDA: gated delta rule with a per-channel forget gate), read from
    ``linear_num_heads`` / ``linear_head_dim``: (parameters, fixed state elements). The forget gate and output gate
    are low-rank through head_dim (Kimi Linear) or full hidden -> heads x head_dim (``kda_gates = "full"``)."""
    nh = c.int("linear_num_heads")
    hd = c.int("linear_head_dim")
    K = c.int("linear_conv_kernel_dim", default=4)
    qkv = nh * hd
    gate = h * qkv if hints.kda_gates == "full" else h * hd + hd * qkv
    n = 3 * h * qkv + 3 * qkv * K  # q/k/v projections, depthwise conv without bias
    n += 2 * gate + qkv + nh  # forget gate and output gate, dt_bias, A_log
    n += h * nh + hd + qkv * h  # beta projection, gated output norm, o_proj
    return n, nh * hd * hd + 3 * qkv * max(K - 1, 0)


def mamba2(c: Cfg, h: int, plain: bool = False) -> tuple[int, int]:
    """Mamba-2 mixer (Nemotron-H, Bamba, Falcon-H1 style keys; ``plain``: Mamba2's own num_heads / head_dim):
    (parameters, fixed state elements)."""
    nheads = c.int("mamba_num_heads", "mamba_n_heads", *(("num_heads",) if plain else ()))
    hd = c.int("mamba_head_dim", "mamba_d_head", *(("head_dim",) if plain else ()), default=None)
    inter = nheads * hd if hd else int(c.num("mamba_expand", "expand", default=2) * h)
    groups = c.int("n_groups", "mamba_n_groups", default=1)
    N = c.int("ssm_state_size", "mamba_d_state", default=128)
    K = c.int("conv_kernel", "mamba_d_conv", default=4)
    conv_bias = c.raw("use_conv_bias", "mamba_conv_bias", default=True) is True
    pb = c.raw("mamba_proj_bias", "use_bias", default=False) is True
    conv_dim = inter + 2 * groups * N
    n = linear(h, 2 * inter + 2 * groups * N + nheads, pb) + conv_dim * K + (conv_dim if conv_bias else 0)
    gated_norm = 0 if c.raw("mamba_rms_norm") is False else inter  # Falcon-H1 may drop the gated RMSNorm
    n += 3 * nheads + gated_norm + linear(inter, h, pb)
    return n, nheads * (inter // max(nheads, 1)) * N + conv_dim * max(K - 1, 0)


def short_conv(c: Cfg, h: int) -> tuple[int, int]:
    """LFM2-style gated short convolution: in_proj h -> 3h, depthwise conv over h channels, out_proj h -> h:
    (parameters, fixed state elements)."""
    K = c.int("conv_L_cache")
    bias = c.raw("conv_bias") is True
    return linear(h, 3 * h, bias) + h * K + (h if bias else 0) + linear(h, h, bias), h * K


def _ffn_width(c: Cfg, inter: int) -> int:
    """LFM2's block_auto_adjust_ff_dim: 2/3 of intermediate_size, times block_ffn_dim_multiplier, rounded up to
    a multiple of block_multiple_of."""
    if c.raw("block_auto_adjust_ff_dim") is not True:
        return inter
    inter = int(2 * inter / 3)
    mult = c.num("block_ffn_dim_multiplier", default=None)
    if mult is not None:
        m = c.int("block_multiple_of", default=256)
        inter = m * ((int(mult * inter) + m - 1) // m)
    return inter


def mlp_params(h: int, inter: int, gated: bool, bias: bool = False) -> int:
    return (3 if gated else 2) * h * inter + ((2 * inter if gated else inter) + h if bias else 0)


def dense_mlp(c: Cfg, h: int, hints: Hints, *, double: bool = False) -> int:
    wide = hints.ffn_mult * h if hints.ffn_mult else None
    inter = c.int(
        "intermediate_size_mlp",
        "dense_intermediate_size",
        "mlp_only_intermediate_size",
        *FFN_KEYS,
        **({"default": wide} if wide else {}),
    )
    inter = _ffn_width(c, inter) * (2 if double else 1)  # use_double_wide_mlp on KV-shared layers
    sub = inter * hints.norm_mult if hints.sub_norms else 0
    bias = c.raw("mlp_bias") is True if hints.mlp_bias is None else hints.mlp_bias
    return mlp_params(h, inter, hints.gated, bias) + sub + hints.act_params


def _shared(c: Cfg, h: int, hints: Hints, moe_i: int) -> int:
    s = c.int("shared_expert_intermediate_size", default=0)
    if s:
        return mlp_params(h, s, hints.gated) + (h if hints.shared_gate else 0)  # Qwen style: + sigmoid gate
    s = c.int(
        "moe_shared_expert_intermediate_size",
        "shared_intermediate_size",
        "shared_experts_intermediate_size",
        default=0,
    )
    if s:
        return mlp_params(h, s, hints.gated)
    n = c.int("n_shared_experts", "num_shared_experts", "moe_num_shared_experts", default=0)
    if n:
        return mlp_params(h, moe_i * n, hints.gated)
    if hints.shared_always:
        return mlp_params(h, c.int(*FFN_KEYS), hints.gated)
    return 0


def moe_block(c: Cfg, h: int, hints: Hints, t: Tally) -> None:
    """Router + routed experts (+ latent projections) + shared experts of one sparse layer."""
    E = c.int(*EXPERT_KEYS)
    k = c.int(*TOPK_KEYS, default=E)
    moe_i = c.int("moe_intermediate_size", "expert_intermediate_size", "moe_ffn_hidden_size", *FFN_KEYS)
    d = c.int("moe_latent_size", default=0) or h
    if d != h:
        t.add("mlp", 2 * h * d)  # fc1/fc2 latent projections
    per = mlp_params(d, moe_i, hints.gated, hints.expert_bias)
    t.experts(E * per, min(k, E) * per)
    t.add("other", h * E + (E if hints.router_bias else 0))
    t.add("mlp", _shared(c, h, hints, moe_i))
    if hints.moe_norm:
        t.add("norms", h * hints.norm_mult)
