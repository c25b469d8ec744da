"""Encoder-decoder models: T5/mT5, BART/mBART, Marian, Pegasus, Whisper."""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear, positive
from hubscan.estimate.families.registry import register


def _decoder_kv(t: Tally, L: int, nh: int, hd: int) -> None:
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * nh * hd, None, nh * hd))
    t.notes.append(
        "KV cache counts decoder self-attention; cross-attention caches add 2·d_model per layer per source token"
    )


def _switch_sparse_layers(c: Cfg, n_layers: int, sparse_key: str) -> set[int]:
    """Indices of the Switch Transformers layers whose MLP is a mixture of experts (as SwitchTransformersStack)."""
    n_sparse = c.int(sparse_key, default=3)
    step = n_layers // n_sparse if n_sparse > 0 else n_layers
    if step <= 0:
        return set()
    return {i for i in range(n_layers) if step == 1 or i % step == 1}


def _t5_stack(
    c: Cfg, t: Tally, kind: str, n_layers: int, *, decoder: bool, d: int, inner: int, nh: int
) -> None:
    """One T5-style stack (encoder or decoder): attention, feed-forward, RMS norms, relative position buckets."""
    d_ff = c.int("d_ff", default=2048)
    buckets = c.int("relative_attention_num_buckets", default=32)
    gated = kind != "switch" and c.str("feed_forward_proj", default="relu").startswith("gated-")
    attn = 3 * d * inner + inner * d
    t.add("attention", n_layers * attn * (2 if decoder else 1))
    # UMT5 gives every self-attention layer its own bucket table; the others only the first layer
    t.add("attention", (n_layers if kind == "umt5" else min(n_layers, 1)) * buckets * nh)
    t.add("norms", n_layers * (3 if decoder else 2) * d + d)
    if kind == "longt5" and not decoder:
        attn_type = c.str("encoder_attention_type", default="local")
        if attn_type == "transient-global":  # global_input_layer_norm per layer, a global bucket table first
            t.add("norms", n_layers * d)
            t.add("attention", min(n_layers, 1) * buckets * nh)
        elif attn_type != "local":
            raise ConfigProblem(f"encoder_attention_type={attn_type!r} is not one of local, transient-global")
    dense = (3 if gated else 2) * d * d_ff
    sparse = set()
    if kind == "switch":
        sparse = _switch_sparse_layers(
            c, n_layers, "num_sparse_decoder_layers" if decoder else "num_sparse_encoder_layers"
        )
    t.add("mlp", (n_layers - len(sparse)) * dense)
    if sparse:
        E = positive("num_experts", c.int("num_experts", default=8))
        router = linear(d, E, c.bool("router_bias", default=False))
        t.add("other", len(sparse) * router)
        t.experts(len(sparse) * E * dense, len(sparse) * dense)  # top-1 routing


def t5(c: Cfg, head: str, *, tie_default: bool = True, kind: str = "t5") -> Tally:
    """T5 / mT5 and the T5-shaped families: UMT5 (a bucket table per layer), LongT5 (local or transient-global
    encoder attention), Switch Transformers (every n-th MLP a top-1 mixture of experts)."""
    d = c.int("d_model", default=512)
    d_kv = c.int("d_kv", default=64)
    L = c.int("num_layers", default=6)
    Ld = c.int("num_decoder_layers", default=L)
    nh = c.int("num_heads", default=8)
    V = c.int("vocab_size", default=32128)
    t = Tally()
    t.embed(V * d)
    _t5_stack(c, t, kind, L, decoder=False, d=d, inner=nh * d_kv, nh=nh)
    if head != "encoder":
        _t5_stack(c, t, kind, Ld, decoder=True, d=d, inner=nh * d_kv, nh=nh)
        _decoder_kv(t, Ld, nh, d_kv)
    else:
        t.has_kv = False
    if kind == "switch" and not c.bool("tie_word_embeddings", default=True):
        # SwitchTransformersStack builds its own embed_tokens, tied to `shared` only by tie_word_embeddings
        t.add("embeddings", (1 if head == "encoder" else 2) * V * d)
    if head == "cond_gen" and not c.bool("tie_word_embeddings", default=tie_default):
        # transformers 5 ties the head regardless; checkpoints of such configs store a separate lm_head
        t.add("heads", V * d)
        t.notes.append("tie_word_embeddings=false: separate lm_head counted (as the checkpoint stores it)")
    elif head not in ("cond_gen", "model", "encoder"):
        raise NotExact(f"output head '{head}' is not modelled for {kind}")
    return t


# Decoder of each BART-style family: (position table rows beyond max_position_embeddings or None when the table
# is exactly max_position_embeddings, layernorm_embedding, final layer_norm)
_DECODER_SHAPES = {
    "bart": (2, True, False),
    "plbart": (2, True, False),
    "mvp": (2, True, False),
    "mbart": (2, True, True),
    "pegasus": (0, False, True),
    "blenderbot": (0, False, True),
    "blenderbot-small": (0, True, False),
    "marian": (0, False, False),
    "trocr": (2, True, False),  # layernorm_embedding as the config says
}


def _decoder_only(c: Cfg, *, kind: str, d: int, V: int, P: int, dh: int) -> Tally:
    """*ForCausalLM of a BART-style family: the decoder alone, plus an LM head tied to its embeddings."""
    extra, emb_norm, final_norm = _DECODER_SHAPES[kind]
    if kind == "trocr":
        if not c.bool("use_learned_position_embeddings", default=True):
            raise NotExact("TrOCR with sinusoidal positions is not modelled")
        if c.raw("cross_attention_hidden_size") not in (None, d):
            raise NotExact("TrOCR with a cross-attention width other than d_model is not modelled")
        emb_norm = c.bool("layernorm_embedding", default=True)
    dl = c.int("decoder_layers", default=12)
    df = c.int("decoder_ffn_dim", default=4096)
    if kind == "mvp" and c.bool("use_prompt", default=False):
        raise NotExact("MVP prompts are not modelled")
    t = Tally()
    t.embed(V * d)
    t.add("embeddings", (P + extra) * d)
    attn = 4 * linear(d, d)
    t.add("attention", dl * 2 * attn)
    t.add("mlp", dl * (linear(d, df) + linear(df, d)))
    t.add("norms", dl * 6 * d + 2 * d * (int(emb_norm) + int(final_norm)))
    if not c.bool("tie_word_embeddings", default=True):
        t.add("heads", V * d)
    _decoder_kv(t, dl, dh, d // dh)
    return t


def _bart_like(c: Cfg, head: str, *, kind: str) -> Tally:
    d = c.int("d_model", default=1024)
    el = c.int("encoder_layers", default=12)
    dl = c.int("decoder_layers", default=12)
    ef = c.int("encoder_ffn_dim", default=4096)
    df = c.int("decoder_ffn_dim", default=4096)
    c.int("encoder_attention_heads", default=16)
    dh = c.int("decoder_attention_heads", default=16)
    V = c.int("vocab_size", default=50265)
    P = c.int("max_position_embeddings", default=1024)
    if head == "causal_lm":
        if kind == "marian" and c.int("decoder_vocab_size", default=V) != V:
            raise NotExact("MarianForCausalLM with a separate decoder vocabulary is not modelled")
        return _decoder_only(c, kind=kind, d=d, V=V, P=P, dh=dh)
    if kind == "mvp" and c.bool("use_prompt", default=False):
        raise NotExact("MVP prompts are not modelled")
    if kind in ("mvp", "plbart"):  # BART's encoder-decoder shape
        kind = "bart"
    if kind not in ("bart", "mbart", "marian", "pegasus", "m2m_100"):
        raise NotExact(f"only the *ForCausalLM (decoder) class of {kind} is modelled")
    t = Tally()
    attn = 4 * linear(d, d)
    t.embed(V * d)
    if kind in ("bart", "mbart"):
        t.add("embeddings", 2 * (P + 2) * d)
        t.add("norms", 2 * 2 * d)  # layernorm_embedding in encoder and decoder
    elif (
        kind != "m2m_100"
    ):  # marian, pegasus: sinusoidal tables are frozen nn.Embedding parameters in transformers
        t.add("embeddings", 2 * P * d)
        t.notes.append("includes the frozen sinusoidal position tables transformers registers as parameters")
    # (M2M100's sinusoidal tables are non-persistent buffers: no parameters)
    if kind in ("mbart", "pegasus", "m2m_100"):
        t.add("norms", 2 * 2 * d)  # final encoder/decoder layer_norm
    if kind == "marian":
        share = c.bool("share_encoder_decoder_embeddings", default=True)
        dv = c.int("decoder_vocab_size", default=V)
        pad = c.int("pad_token_id", default=None)
        if pad is not None and pad >= (V if share else dv) or pad is not None and pad >= dv:
            raise ConfigProblem(
                f"pad_token_id={pad} is outside the decoder vocabulary ({dv}); transformers refuses it"
            )
        if not share:
            t.add("embeddings", dv * d)
    t.add("attention", el * attn + dl * 2 * attn)
    t.add("mlp", el * (linear(d, ef) + linear(ef, d)) + dl * (linear(d, df) + linear(df, d)))
    t.add("norms", el * 4 * d + dl * 6 * d)
    if not c.bool("tie_word_embeddings", default=True):
        # transformers 5 ties encoder/decoder embed_tokens to `shared` only when tie_word_embeddings is true
        if kind == "marian" and not c.bool("share_encoder_decoder_embeddings", default=True):
            raise NotExact("untied Marian without shared encoder/decoder embeddings is not modelled")
        t.add("embeddings", 2 * V * d)
    if head == "cond_gen":
        if not c.bool("tie_word_embeddings", default=True):
            t.add("heads", V * d)
    elif head == "seq_cls":
        t.add("heads", linear(d, d) + linear(d, c.num_labels(default=3 if kind in ("bart", "mbart") else 2)))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {kind}")
    _decoder_kv(t, dl, dh, d // dh)
    return t


def whisper(c: Cfg, head: str) -> Tally:
    d = c.int("d_model", default=384)
    el = c.int("encoder_layers", default=4)
    dl = c.int("decoder_layers", default=4)
    ef = c.int("encoder_ffn_dim", default=1536)
    df = c.int("decoder_ffn_dim", default=1536)
    dh = c.int("decoder_attention_heads", default=6)
    V = c.int("vocab_size", default=51865)
    mels = c.int("num_mel_bins", default=80)
    src = c.int("max_source_positions", default=1500)
    tgt = c.int("max_target_positions", default=448)
    attn = 3 * linear(d, d) + d * d  # k_proj has no bias
    t = Tally()
    t.embed(V * d)
    if head == "causal_lm":  # WhisperForCausalLM: the decoder alone, its head tied to the token embeddings
        t.add("embeddings", tgt * d)
        t.add("attention", dl * 2 * attn)
        t.add("mlp", dl * (linear(d, df) + linear(df, d)))
        t.add("norms", dl * 6 * d + 2 * d)
        if not c.bool("tie_word_embeddings", default=True):
            t.add("heads", V * d)
        _decoder_kv(t, dl, dh, d // dh)
        return t
    t.add("other", linear(mels * 3, d) + linear(d * 3, d))  # two Conv1d, kernel 3
    t.add("embeddings", src * d + tgt * d)
    t.add("attention", el * attn + dl * 2 * attn)
    t.add("mlp", el * (linear(d, ef) + linear(ef, d)) + dl * (linear(d, df) + linear(df, d)))
    t.add("norms", el * 4 * d + dl * 6 * d + 4 * d)
    if head not in ("cond_gen", "model"):
        raise NotExact(f"output head '{head}' is not modelled for whisper")
    if head == "cond_gen" and not c.bool("tie_word_embeddings", default=True):
        t.add("heads", V * d)  # proj_out, untied
    _decoder_kv(t, dl, dh, d // dh)
    return t


register("t5", t5, "T5")
register("mt5", lambda c, h: t5(c, h, tie_default=False), "MT5", name="mt5")
register("umt5", lambda c, h: t5(c, h, kind="umt5"), "UMT5", name="umt5")
register("longt5", lambda c, h: t5(c, h, kind="longt5"), "LongT5", name="longt5")
register(
    "switch_transformers",
    lambda c, h: t5(c, h, kind="switch"),
    "SwitchTransformers",
    name="switch_transformers",
)
register("bart", lambda c, h: _bart_like(c, h, kind="bart"), "Bart", name="bart")
register("mbart", lambda c, h: _bart_like(c, h, kind="mbart"), "MBart", name="mbart")
register("marian", lambda c, h: _bart_like(c, h, kind="marian"), "Marian", name="marian")
register("pegasus", lambda c, h: _bart_like(c, h, kind="pegasus"), "Pegasus", name="pegasus")
register("m2m_100", lambda c, h: _bart_like(c, h, kind="m2m_100"), "M2M100", name="m2m_100")
register("whisper", whisper, "Whisper")
for _kind, _prefix in (
    ("plbart", "PLBart"),
    ("mvp", "Mvp"),
    ("blenderbot", "Blenderbot"),
    ("blenderbot-small", "BlenderbotSmall"),
    ("trocr", "TrOCR"),
):
    register(_kind, lambda c, h, k=_kind: _bart_like(c, h, kind=k), _prefix, name=_kind)
