"""More BART-shaped encoder-decoders: Speech2Text, LED, FSMT, NLLB-MoE, PEGASUS-X and
Moonshine.

Each is a stack of post/pre-LN Transformer layers with biased q/k/v/out projections and a two-Linear feed-forward;
they differ in their embeddings (sinusoidal buffers, learned tables, frozen sinusoidal parameters, two
vocabularies), LED's extra global-attention projections, and NLLB-MoE's top-2 expert layers.
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear, positive
from hubscan.estimate.families.registry import architecture_of, register
from hubscan.estimate.families.seq2seq import _decoder_kv


def _ffn(d: int, f: int) -> int:
    return linear(d, f) + linear(f, d)


def _layers(
    t: Tally,
    d: int,
    *,
    enc: int,
    dec: int,
    ef: int,
    df: int,
    enc_attn_linears: int = 4,
    attn_bias: bool = True,
) -> None:
    """Encoder layers (self-attention, FFN, two LayerNorms) and decoder layers (+ cross-attention, a third norm)."""
    t.add("attention", (enc * enc_attn_linears + dec * 8) * linear(d, d, attn_bias))
    t.add("mlp", enc * _ffn(d, ef) + dec * _ffn(d, df))
    t.add("norms", enc * 4 * d + dec * 6 * d)


def _dims(
    c: Cfg, d_default: int, layers_default: int, ffn_default: int
) -> tuple[int, int, int, int, int, int]:
    d = positive("d_model", c.int("d_model", default=d_default))
    el = c.int("encoder_layers", default=layers_default)
    dl = c.int("decoder_layers", default=layers_default)
    ef = c.int("encoder_ffn_dim", default=ffn_default)
    df = c.int("decoder_ffn_dim", default=ffn_default)
    dh = positive("decoder_attention_heads", c.int("decoder_attention_heads", default=4))
    return d, el, dl, ef, df, dh


def _untied_head(t: Tally, c: Cfg, head: str, V: int, d: int, kind: str, *, tie_default: bool = True) -> None:
    if head == "cond_gen":
        if not c.bool("tie_word_embeddings", default=tie_default):
            t.add("heads", V * d)
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {kind}")


def speech_to_text(c: Cfg, head: str) -> Tally:
    """Conv1d subsampler (GLU halves the channels) + pre-LN encoder; the decoder owns the token embedding."""
    d, el, dl, ef, df, dh = _dims(c, 256, 12, 2048)
    V = c.int("vocab_size", default=10000)
    kernels = c.ints("conv_kernel_sizes", default=[5, 5])
    if not kernels or len(kernels) != c.int("num_conv_layers", default=len(kernels)):
        raise ConfigProblem("conv_kernel_sizes must have num_conv_layers (> 0) entries")
    mid = c.int("conv_channels", default=1024)
    in_ch = c.int("input_feat_per_channel", default=80) * c.int("input_channels", default=1)
    t = Tally()
    for i, k in enumerate(kernels):
        out = mid if i < len(kernels) - 1 else 2 * d
        t.add("other", linear((in_ch if i == 0 else mid // 2) * k, out))
    t.embed(V * d)  # sinusoidal positions are non-persistent buffers
    _layers(t, d, enc=el, dec=dl, ef=ef, df=df)
    t.add("norms", 2 * 2 * d)  # final encoder and decoder layer_norm
    _untied_head(t, c, head, V, d, "speech_to_text")
    _decoder_kv(t, dl, dh, d // dh)
    return t


def led(c: Cfg, head: str) -> Tally:
    """BART with Longformer encoder attention: separate global query/key/value projections in every layer."""
    d, el, dl, ef, df, dh = _dims(c, 1024, 12, 4096)
    V = c.int("vocab_size", default=50265)
    pe = c.int("max_encoder_position_embeddings", default=16384)
    pd = c.int("max_decoder_position_embeddings", default=1024)
    t = Tally()
    t.embed(V * d)
    t.add("embeddings", (pe + pd) * d)
    t.add("norms", 2 * 2 * d)  # layernorm_embedding in encoder and decoder
    _layers(t, d, enc=el, dec=dl, ef=ef, df=df, enc_attn_linears=7)
    if not c.bool(
        "tie_word_embeddings", default=True
    ):  # the stacks' embed_tokens are tied to `shared` only then
        t.add("embeddings", 2 * V * d)
    if head == "qa":
        t.add("heads", linear(d, 2))
    else:
        _untied_head(t, c, head, V, d, "led")
    _decoder_kv(t, dl, dh, d // dh)
    return t


def fsmt(c: Cfg, head: str) -> Tally:
    """Source and target vocabularies; sinusoidal position tables are frozen nn.Embedding parameters."""
    d, el, dl, ef, df, dh = _dims(c, 1024, 12, 4096)
    sv = c.int("src_vocab_size", default=42024)
    tv = c.int("tgt_vocab_size", default=42024)
    P = c.int("max_position_embeddings", default=1024)
    pad = c.int("pad_token_id", default=1)
    t = Tally()
    t.embed(sv * d)
    t.add("embeddings", 2 * (P + pad + 1) * d)
    t.notes.append("includes the frozen sinusoidal position tables transformers registers as parameters")
    _layers(t, d, enc=el, dec=dl, ef=ef, df=df)
    if c.bool(
        "tie_word_embeddings", default=False
    ):  # encoder embeddings and output projection share the target's
        if sv != tv:
            raise NotExact(
                "tied FSMT embeddings with different source and target vocabularies are not modelled"
            )
    else:
        t.add("embeddings", tv * d)
        t.add("heads", tv * d)  # output_projection
    if head not in ("model", "cond_gen"):
        raise NotExact(f"output head '{head}' is not modelled for fsmt")
    _decoder_kv(t, dl, dh, d // dh)
    return t


def pegasus_x(c: Cfg, head: str) -> Tally:
    """Bias-free attention, a global-token table and a global LayerNorm per encoder layer; positions computed."""
    d, el, dl, ef, df, dh = _dims(c, 1024, 16, 4096)
    V = c.int("vocab_size", default=96103)
    t = Tally()
    t.embed(V * d)
    t.add("embeddings", c.int("num_global_tokens", default=32) * d)
    _layers(t, d, enc=el, dec=dl, ef=ef, df=df, attn_bias=False)
    t.add("norms", el * 2 * d + 2 * 2 * d)  # global_self_attn_layer_norm; final encoder/decoder layer_norm
    if not c.bool("tie_word_embeddings", default=True):
        t.add("embeddings", 2 * V * d)
    _untied_head(t, c, head, V, d, "pegasus_x")
    _decoder_kv(t, dl, dh, d // dh)
    return t


def _moonshine_attention(c: Cfg, h: int, side: str) -> int:
    nh = positive(f"{side}_num_attention_heads", c.int(f"{side}_num_attention_heads", default=8))
    kv = c.int(f"{side}_num_key_value_heads", default=nh)
    hd = c.int("head_dim", default=h // nh)  # the attention width of the class, whatever the side's heads
    bias = c.bool("attention_bias", default=False)
    return linear(h, nh * hd, bias) + 2 * linear(h, kv * hd, bias) + nh * hd * h


def moonshine(c: Cfg, head: str) -> Tally:
    """Moonshine: a raw-audio conv stem, rotary pre-LN encoder; decoder with a gated (fc1 to 2x) MLP."""
    h = positive("hidden_size", c.int("hidden_size", default=288))
    inter = c.int("intermediate_size", default=1152)
    el = c.int("encoder_num_hidden_layers", default=6)
    dl = c.int("decoder_num_hidden_layers", default=6)
    V = c.int("vocab_size", default=32768)
    enc_heads = [c.int(f"encoder_num_{k}", default=None) for k in ("attention_heads", "key_value_heads")]
    dec_heads = [c.int(f"decoder_num_{k}", default=None) for k in ("attention_heads", "key_value_heads")]
    if enc_heads != dec_heads:
        # MoonshineAttention writes its heads into the shared config (aliased to the decoder's keys), so
        # transformers 5 builds the decoder with the encoder's heads: a count the checkpoint would not match
        raise NotExact("Moonshine with different encoder and decoder attention heads is not modelled")
    t = Tally()
    t.embed(V * h)
    t.add("other", h * 127 + linear(h * 7, 2 * h) + linear(2 * h * 3, h) + 2 * h)  # conv stem + GroupNorm
    t.add(
        "attention",
        el * _moonshine_attention(c, h, "encoder") + dl * 2 * _moonshine_attention(c, h, "decoder"),
    )
    t.add("mlp", el * _ffn(h, inter) + dl * (linear(h, 2 * inter) + linear(inter, h)))
    t.add("norms", el * 2 * h + h + dl * 3 * h + h)  # LayerNorms without bias
    _untied_head(t, c, head, V, h, "moonshine")
    nh = c.int("decoder_num_attention_heads", default=8)
    _decoder_kv(t, dl, c.int("decoder_num_key_value_heads", default=nh), c.int("head_dim", default=h // nh))
    return t


def _nllb_sparse(c: Cfg, t: Tally, n_layers: int, step_key: str, d: int, f: int) -> int:
    """Adds the router + experts of every ``step``-th layer; returns how many layers are sparse."""
    step = c.int(step_key, default=4)
    n = sum(1 for i in range(n_layers) if step > 0 and (i + 1) % step == 0)
    E = positive("num_experts", c.int("num_experts", default=128))
    t.add("other", n * linear(d, E, c.bool("router_bias", default=False)))
    t.experts(n * E * _ffn(d, f), n * 2 * _ffn(d, f))  # top-2 routing
    return n


def nllb_moe(c: Cfg, head: str) -> Tally:
    """M2M100 layout (sinusoidal buffers, final LayerNorms) with every n-th feed-forward a top-2 mixture."""
    d, el, dl, ef, df, dh = _dims(c, 1024, 12, 4096)
    V = c.int("vocab_size", default=128112)
    t = Tally()
    t.embed(V * d)
    se = _nllb_sparse(c, t, el, "encoder_sparse_step", d, ef)
    sd = _nllb_sparse(c, t, dl, "decoder_sparse_step", d, df)
    t.add("attention", el * 4 * linear(d, d) + dl * 8 * linear(d, d))
    t.add("mlp", (el - se) * _ffn(d, ef) + (dl - sd) * _ffn(d, df))
    t.add("norms", el * 4 * d + dl * 6 * d + 2 * 2 * d)
    if not c.bool("tie_word_embeddings", default=True):
        t.add("embeddings", 2 * V * d)
    _untied_head(t, c, head, V, d, "nllb-moe")
    _decoder_kv(t, dl, dh, d // dh)
    return t


def _gemma_stack(c: Cfg, t: Tally, *, cross_h: int | None) -> tuple[int, int]:
    """One T5Gemma stack (Gemma 2 layers with four RMSNorms; the decoder adds cross-attention and two norms)."""
    h = positive(f"{c.name}.hidden_size", c.int("hidden_size"))
    L = c.int("num_hidden_layers")
    nh = positive(f"{c.name}.num_attention_heads", c.int("num_attention_heads"))
    kv = c.int("num_key_value_heads")  # no defaults: T5GemmaModuleConfig's (Gemma 2 9B) are not h // heads
    hd = c.int("head_dim")
    V = c.int("vocab_size")
    b = c.bool("attention_bias", default=False)
    attn = linear(h, nh * hd, b) + 2 * linear(h, kv * hd, b) + linear(nh * hd, h, b)
    t.embed(V * h)
    t.add("attention", L * attn)
    t.add("mlp", L * 3 * h * c.int("intermediate_size"))
    t.add("norms", L * 4 * h + h)
    if cross_h is not None:
        t.add(
            "attention", L * (linear(h, nh * hd, b) + 2 * linear(cross_h, kv * hd, b) + linear(nh * hd, h, b))
        )
        t.add("norms", L * 2 * h)
        _decoder_kv(t, L, kv, hd)
    return h, V


def t5gemma(c: Cfg, head: str) -> Tally:
    """T5Gemma: Gemma 2 encoder and decoder stacks, each with its own token embedding."""
    arch = architecture_of(c.data)
    if arch and not arch.endswith(("Model", "ForConditionalGeneration")):  # e.g. T5Gemma2Encoder
        raise NotExact(f"architectures[0]={arch!r} is not modelled for t5gemma")
    subs = []
    for key in ("encoder", "decoder"):
        raw = c.data.get(key)
        if not isinstance(raw, dict):
            raise NotExact(f"T5Gemma without an explicit {key} sub-config is not modelled")
        subs.append(Cfg(raw, f"config.{key}"))
    t = Tally()
    enc_h, _ = _gemma_stack(subs[0], t, cross_h=None)
    dh, dV = _gemma_stack(subs[1], t, cross_h=enc_h)
    _untied_head(t, c, head, dV, dh, "t5gemma")
    return t


register("speech_to_text", speech_to_text, "Speech2Text")
register("led", led, "LED")
register("fsmt", fsmt, "FSMT")
register("nllb-moe", nllb_moe, "NllbMoe")
register("pegasus_x", pegasus_x, "PegasusX")
register("moonshine", moonshine, "Moonshine")
register("t5gemma", t5gemma, "T5Gemma")
