"""Building blocks shared by the family formulas: key aliases, attention, MLPs, heads."""

from __future__ import annotations

from hubscan.estimate._cfg import Cfg, ConfigProblem, KVLayer, NotExact, Tally, divide, linear, positive

H_KEYS = ("hidden_size", "n_embd", "d_model", "dim", "n_embed", "embed_dim")
L_KEYS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers")
NH_KEYS = ("num_attention_heads", "n_head", "n_heads", "num_heads")
KV_KEYS = ("num_key_value_heads", "n_kv_heads", "num_kv_heads", "n_head_kv", "kv_n_heads")
I_KEYS = ("intermediate_size", "ffn_dim", "hidden_dim", "n_inner", "ffn_hidden_size", "d_ff")
V_KEYS = ("vocab_size", "n_vocab")


def dims(
    c: Cfg, *, h: int | None = None, L: int | None = None, nh: int | None = None
) -> tuple[int, int, int]:
    h = positive("hidden size", c.int(*H_KEYS) if h is None else c.int(*H_KEYS, default=h))
    L = c.int(*L_KEYS) if L is None else c.int(*L_KEYS, default=L)
    nh = positive("attention heads", c.int(*NH_KEYS) if nh is None else c.int(*NH_KEYS, default=nh))
    return h, L, nh


def decoder_dims(c: Cfg, *, read_head_dim: bool = True) -> tuple[int, int, int, int, int, int]:
    """(hidden, layers, vocabulary, heads, KV heads, head_dim) of a decoder config under the plain transformers
    keys only (``decoders._decoder_dims`` also resolves GPT-style aliases and checks the KV grouping): KV heads
    default to the heads, head_dim to hidden / heads (``read_head_dim=False``: always that)."""
    h = c.int("hidden_size")
    L = c.int("num_hidden_layers")
    V = c.int("vocab_size")
    nh = c.int("num_attention_heads")
    if h <= 0 or nh <= 0:
        raise ConfigProblem("hidden_size and num_attention_heads must be positive")
    kv = c.int("num_key_value_heads", default=nh) or nh
    hd = c.int("head_dim", default=h // nh) if read_head_dim else h // nh
    return h, L, V, nh, kv, hd


def head_dim(c: Cfg, h: int, nh: int) -> int:
    hd = c.int("head_dim", default=None)
    if hd is None:
        hd = h // nh
    return positive("head_dim", hd)


def attention(
    h: int, nh: int, kv: int, hd: int, *, q_bias=False, k_bias=False, v_bias=False, o_bias=False
) -> int:
    return (
        linear(h, nh * hd, q_bias)
        + linear(h, kv * hd, k_bias)
        + linear(h, kv * hd, v_bias)
        + linear(nh * hd, h, o_bias)
    )


def gated_mlp(h: int, inter: int, bias: bool = False) -> int:
    return 2 * linear(h, inter, bias) + linear(inter, h, bias)


def mlp(h: int, inter: int, bias: bool = True) -> int:
    return linear(h, inter, bias) + linear(inter, h, bias)


def tied(c: Cfg, default: bool) -> bool:
    return c.bool("tie_word_embeddings", default=default)


def lm_head(
    t: Tally,
    c: Cfg,
    head: str,
    V: int,
    h: int,
    *,
    tie_default: bool,
    bias: bool = False,
    score_bias: bool = False,
) -> None:
    """Output head for decoder families: causal LM, sequence classification, QA, token classification."""
    if head == "model":
        return
    if head == "causal_lm":
        if not tied(c, tie_default):
            t.add("heads", V * h)
        if bias:
            t.add("heads", V)
        return
    if head == "seq_cls":
        t.add("heads", linear(h, c.num_labels(), score_bias))
        return
    if head == "token_cls":
        t.add("heads", linear(h, c.num_labels(), True))
        return
    if head == "qa":
        t.add("heads", linear(h, 2, True))
        return
    raise NotExact(f"output head '{head}' is not modelled for this family")


def claim_heads(head: str, *heads: str, family: str = "this family") -> None:
    """Refuse (NotExact) an output head this family's formula was not checked against transformers for."""
    if head not in ("model", *heads):
        raise NotExact(f"output head '{head}' is not modelled for {family}")


def encoder_tally(L: int, attn_dim: int) -> Tally:
    """A Tally for a bidirectional encoder of L layers: no KV cache, ``attn_dim`` attention width per layer."""
    t = Tally()
    t.has_kv = False
    for _ in range(L):
        t.kv_layers.append(KVLayer(0, None, attn_dim))
    return t


def kv_full(
    t: Tally, L: int, kv: int, hd: int, nh: int, *, window: int | None = None, v_hd: int | None = None
) -> None:
    for _ in range(L):
        t.kv_layers.append(KVLayer(kv * (hd + (hd if v_hd is None else v_hd)), window, nh * hd))


def check_divisible(name: str, a: int, b: int) -> None:
    divide(name, a, b)


def sliding_window(c: Cfg) -> int | None:
    w = c.raw("sliding_window")
    if isinstance(w, bool) or not isinstance(w, int) or w <= 0:
        return None
    return w


def layer_types(c: Cfg, L: int) -> list[str] | None:
    lt = c.raw("layer_types")
    if isinstance(lt, list) and len(lt) == L and all(isinstance(x, str) for x in lt):
        return lt
    return None


__all__ = [
    "H_KEYS",
    "L_KEYS",
    "NH_KEYS",
    "KV_KEYS",
    "I_KEYS",
    "V_KEYS",
    "ConfigProblem",
    "NotExact",
    "dims",
    "head_dim",
    "attention",
    "gated_mlp",
    "mlp",
    "tied",
    "lm_head",
    "claim_heads",
    "encoder_tally",
    "kv_full",
    "sliding_window",
    "layer_types",
    "linear",
    "positive",
    "divide",
    "Cfg",
    "Tally",
    "KVLayer",
]
