"""Neural audio codecs and tokenizers: Mimi and the Pocket TTS audio tokenizer (a SEANet encoder / decoder around
a small transformer, with a split residual vector quantizer or a continuous latent), X-Codec, X-Codec 2 and
NeuCodec, WavTokenizer and VibeVoice's acoustic tokenizer.

Every codebook of these quantizers is a buffer (an EMA k-means table) or an implicit grid (FSQ), not a
parameter: only the projections around them count.
"""

from __future__ import annotations

import math

from hubscan.estimate.families.audio_more import (
    _dac_residual,
    _register,
    dac_halves,
    encodec,
    seanet_convs,
    seanet_shape,
)
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    attention,
    check_divisible,
    claim_heads,
    encoder_tally,
    positive,
)
from hubscan.estimate.families.registry import FAMILIES


def conv(i: int, o: int, k: int, *, bias: bool = True, groups: int = 1) -> int:
    """``nn.Conv1d`` / ``nn.ConvTranspose1d``: ``i/groups x o x k`` weights, ``o`` biases."""
    return i // groups * o * k + (o if bias else 0)


def _strict(model_type: str, formula, classes: dict[str, str]) -> None:
    """Register ``formula(cfg)`` for exactly ``classes`` (another ``architectures[0]`` is refused by
    ``audio_more._register``) and only for the base model: a codec has no output heads."""

    def model_only(c: Cfg, head: str) -> Tally:
        claim_heads(head, family=model_type)
        return formula(c)

    _register(model_type, model_only, classes)


def _codec_tally() -> Tally:
    t = Tally()
    t.has_kv = False
    return t


# --- Mimi and the Pocket TTS audio tokenizer: SEANet + transformer --------------------------------------------


def _seanet_plain(c: Cfg, *, decoder: bool, ratios_default: list[int]) -> int:
    """Mimi's SEANet encoder (or decoder): plain biased convolutions (weight norm only on request), no LSTM."""
    s = seanet_shape(
        c,
        ratios=ratios_default,
        hidden=512,
        filters=64,
        last_kernel=3,
        shortcut=False,
        empty_ratios_default=True,
    )
    return seanet_convs(s, lambda i, o, k, _t: conv(i, o, k), encoder=not decoder, decoder=decoder)


def _layer_scale_transformer(c: Cfg, layers_default: int) -> Tally:
    """Mimi's transformer: pre-LayerNorm layers of (optionally biased) GQA attention and a bias-free fc1/fc2 MLP,
    each branch scaled by a learned per-channel LayerScale; rotary positions (no parameters)."""
    h = positive("hidden_size", c.int("hidden_size", default=512))
    L = c.int("num_hidden_layers", default=layers_default)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=8))
    kv = positive("num_key_value_heads", c.int("num_key_value_heads", default=nh))
    hd = positive("head_dim", c.int("head_dim", default=None) or h // nh)
    b = c.bool("attention_bias", default=False)
    t = encoder_tally(L, nh * hd)
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b))
    t.add("mlp", L * 2 * h * c.int("intermediate_size", default=2048))
    t.add("norms", L * (2 * 2 * h + 2 * h))
    return t


def _frame_rates(c: Cfg, *, pocket: bool, ratios_default: list[int]) -> tuple[int, int]:
    """``(latent_stride, latent_dim)`` of the down / upsampling between SEANet frames and latent frames, or
    ``(0, latent_dim)`` when the two rates agree and transformers builds no resampling convolution."""
    ratios = c.ints("upsampling_ratios", default=ratios_default) or ratios_default
    sr = c.num("sampling_rate", default=24000)
    hop = math.prod(ratios)
    if hop <= 0:
        raise ConfigProblem("upsampling_ratios must be positive")
    encodec_rate = math.ceil(sr / hop)
    if pocket:
        stride = positive("latent_stride", c.int("latent_stride", default=16))
        rate = sr / (hop * stride)
        dim = positive("latent_dim", c.int("latent_dim", default=32))
    else:
        # transformers pops ``frame_rate`` first, then sets a saved ``_frame_rate`` (even null) over it
        key = "_frame_rate" if "_frame_rate" in c.data else "frame_rate"
        rate = c.num(key) if c.data.get(key) is not None else sr / (hop * 2)
        if rate <= 0:
            raise ConfigProblem("frame_rate must be positive")
        stride = int(encodec_rate / rate)
        dim = c.int("hidden_size", default=512)
    # a latent rate above the SEANet rate gives stride 0: transformers builds zero-width (parameter-free) convs
    return (0 if rate == encodec_rate else stride), dim


def _mimi_half(c: Cfg, *, decoder: bool, pocket: bool) -> Tally:
    ratios_default = [6, 5, 4] if pocket else [8, 6, 5, 4]
    if not pocket and c.int("num_semantic_quantizers", default=1) >= c.int("num_quantizers", default=32):
        raise ConfigProblem("num_semantic_quantizers must be lower than num_quantizers")
    t = _layer_scale_transformer(c, 2 if pocket else 8)
    t.add("other", _seanet_plain(c, decoder=decoder, ratios_default=ratios_default))
    stride, dim = _frame_rates(c, pocket=pocket, ratios_default=ratios_default)
    if stride:
        h = c.int("hidden_size", default=512)
        if decoder:  # grouped ConvTranspose1d hidden -> hidden, no bias
            groups = positive("upsample_groups", c.int("upsample_groups", default=512))
            check_divisible("hidden_size by upsample_groups", h, groups)
            t.add("other", conv(h, h, 2 * stride, bias=False, groups=groups))
        else:
            t.add("other", conv(h, dim, 2 * stride, bias=False))
    return t


def _mimi_codec(c: Cfg, *, pocket: bool) -> Tally:
    """The full codec: the encoder and decoder halves (either may be dropped with ``*_config: null``), then
    Mimi's two residual quantizers (semantic, acoustic), each with bias-free 1x1 in / out projections when the
    quantizer width differs from the hidden size, or Pocket TTS's bias-free 1x1 latent projection."""
    t = _codec_tally()
    for half, decoder in (("encoder_config", False), ("decoder_config", True)):
        if half in c.data:
            if c.data[half] is not None:
                raise ConfigProblem(f"{half} can only be null (the halves are derived from the flat fields)")
            continue
        t.merge(_mimi_half(c, decoder=decoder, pocket=pocket))
    h = c.int("hidden_size", default=512)
    if pocket:
        t.add("other", c.int("latent_dim", default=32) * h)
        return t
    vq = c.int("vector_quantization_hidden_dimension", default=256)
    if vq != h:
        t.add("embeddings", 2 * 2 * h * vq)
    return t


for _stem, _mt, _pocket in (
    ("Mimi", "mimi", False),
    ("PocketTTSAudioTokenizer", "pocket_tts_audio_tokenizer", True),
):
    _strict(_mt, lambda c, p=_pocket: _mimi_codec(c, pocket=p), {f"{_stem}Model": "model"})
    _strict(
        f"{_mt}_encoder",
        lambda c, p=_pocket: _mimi_half(c, decoder=False, pocket=p),
        {f"{_stem}EncoderModel": "model"},
    )
    _strict(
        f"{_mt}_decoder",
        lambda c, p=_pocket: _mimi_half(c, decoder=True, pocket=p),
        {f"{_stem}DecoderModel": "model"},
    )


# --- X-Codec: DAC acoustic halves, a HuBERT-like semantic model, semantic conv encoder / decoder -------------


def _sub(c: Cfg, key: str, default_type: str, defaults: dict | None = None) -> Cfg:
    """A sub-config built with ``AutoConfig`` (class defaults under the composite's own defaults)."""
    raw = c.data.get(key)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigProblem(f"{key} is not an object")
    mt = raw.get("model_type") or default_type
    if mt not in FAMILIES:
        raise NotExact(f"{key}.model_type={mt!r} has no analytic formula")
    return Cfg({**(defaults or {}), **raw, "model_type": mt}, f"config.{key}")


def _part(sub: Cfg) -> Tally:
    """The base model of a sub-config, counted by its own family formula."""
    return FAMILIES[sub.data["model_type"]].formula(sub, "model")


_XCODEC_DAC = {
    "encoder_hidden_size": 64,
    "downsampling_ratios": [8, 5, 4, 2],
    "decoder_hidden_size": 1024,
    "upsampling_ratios": [8, 5, 4, 2],
    "hidden_size": 256,
}


def _xcodec_semantic(c: Cfg, S: int) -> int:
    """X-Codec's semantic encoder and decoder: bias-free kernel-size convolutions at both ends, one block per
    stride (residual units of a dilated bias-free conv and a bias-free 1x1, and a strided conv: biased Conv1d
    in the encoder, biased Conv1d for stride 1 or bias-free ConvTranspose1d in the decoder)."""
    k = c.int("kernel_size", default=3)
    uk = c.int("unit_kernel_size", default=3)
    strides = c.ints("strides", default=[1, 1])
    ratios = c.ints("channel_ratios", default=[1, 1])
    if len(ratios) != len(strides) or not strides:
        raise ConfigProblem("channel_ratios and strides must be non-empty lists of the same length")
    units = len(c.list("block_dilations", default=[1, 1]))
    widths = [S * r for r in ratios]

    def res(d: int) -> int:
        return units * (conv(d, d, uk, bias=False) + conv(d, d, 1, bias=False))

    n = conv(S, S, k, bias=False)  # encoder
    d = S
    for w, s in zip(widths, strides, strict=True):
        n += res(d) + conv(d, w, 3 if s == 1 else 2 * s)
        d = w
    n += conv(S, widths[0], k, bias=False) + conv(S, S, k, bias=False)  # decoder
    for i, s in enumerate(strides):
        out = widths[i + 1] if i < len(widths) - 1 else S
        n += (conv(widths[i], out, 3) if s == 1 else conv(widths[i], out, 2 * s, bias=False)) + res(out)
    return n


def xcodec(c: Cfg) -> Tally:
    """X-Codec: DAC's encoder and decoder (acoustic), the semantic model (HuBERT by default), the semantic
    encoder / decoder, ``fc`` / ``fc1`` / ``fc2`` around the joint quantizer (whose codebooks are buffers)."""
    ac = _sub(c, "acoustic_model_config", "dac", _XCODEC_DAC)
    if ac.data["model_type"] != "dac":
        raise NotExact(f"acoustic model_type {ac.data['model_type']!r} is not modelled")
    enc, dec, A = dac_halves(ac)
    sc = _sub(c, "semantic_model_config", "hubert")
    t = _part(sc)
    S = positive("semantic hidden_size", sc.int("hidden_size", default=768))
    hid = A + S
    t.add("other", enc + dec + _xcodec_semantic(c, S))
    t.add("other", conv(hid, hid, 1) + conv(hid, S, 1) + conv(hid, A, 1))  # the three nn.Linear
    return t


_strict("xcodec", xcodec, {"XcodecModel": "model"})


def _vocos_resnet(d: int) -> int:
    """Vocos residual block: GroupNorm, Conv1d (kernel 3), GroupNorm, Conv1d (kernel 3)."""
    return 2 * (2 * d + conv(d, d, 3))


# --- WavTokenizer: EnCodec's SEANet encoder, a Vocos decoder with adaptive LayerNorm, an ISTFT head ------------


def wavtokenizer(c: Cfg) -> Tally:
    """WavTokenizer: the encoder model (counted by ``audio_more.encodec``), the Vocos backbone (embedding
    conv; a positional net of four GroupNorm / Conv1d residual blocks, a 1x1-conv attention and a GroupNorm;
    an adaptive LayerNorm of ``adanorm_num_embeddings`` scale / shift rows; ConvNeXt blocks with their own
    adaptive norms and a per-channel gamma; a final LayerNorm) and the ISTFT head's linear to ``n_fft + 2``
    (``n_fft`` is four hop lengths)."""
    t = encodec(c, "model", kind="wavtokenizer_encoder")
    h = c.int("hidden_size", default=512)
    D = positive("decoder_hidden_size", c.int("decoder_hidden_size", default=768))
    inter = c.int("decoder_intermediate_size", default=2304)
    ada = 2 * c.int("adanorm_num_embeddings", default=4) * D
    groups = positive("decoder_attention_num_groups", c.int("decoder_attention_num_groups", default=32))
    check_divisible("decoder_hidden_size by decoder_attention_num_groups", D, groups)
    pos_net = 4 * _vocos_resnet(D) + 2 * D + 4 * conv(D, D, 1) + 2 * D
    block = conv(D, D, 7, groups=D) + ada + conv(D, inter, 1) + conv(inter, D, 1) + D
    t.add("other", conv(h, D, 7) + pos_net + ada + 2 * D)
    t.add("mlp", c.int("decoder_num_layers", default=12) * block)
    n_fft = 4 * math.prod(c.ints("upsampling_ratios", default=[6, 5, 5, 4]))  # a property: 4 x hop length
    t.add("heads", conv(D, n_fft + 2, 1))
    return t


_strict("wavtokenizer", wavtokenizer, {"WavTokenizerModel": "model"})


# --- X-Codec 2 and NeuCodec: w2v-BERT semantic encoder, SnakeBeta DAC-like encoder, FSQ, Vocos transformer ---


def _snake_beta_encoder(c: Cfg, H: int) -> int:
    """X-Codec 2's acoustic encoder: DAC's layout with SnakeBeta activations (``alpha`` and ``beta`` per
    channel, twice DAC's Snake) behind anti-aliasing filters (buffers)."""
    E = positive("encoder_hidden_size", c.int("encoder_hidden_size", default=48))
    ratios = c.ints("downsampling_ratios", default=[2, 2, 4, 4, 5])
    n = conv(1, E, 7)
    for i, s in enumerate(ratios, start=1):
        half = E * 2 ** (i - 1)
        n += 3 * (_dac_residual(half) + 2 * half) + 2 * half + conv(half, 2 * half, 2 * s)
    d_model = E * 2 ** len(ratios)
    return n + 2 * d_model + conv(d_model, H, 3)


def _xcodec2(c: Cfg, *, neucodec: bool) -> Tally:
    """X-Codec 2 / NeuCodec: the semantic encoder (w2v-BERT 2.0 by default) and its four-conv adapter, the
    acoustic encoder, ``fc_encoder``, the FSQ quantizer's in / out projections, and the decoder: ``fc``, a
    Conv1d embedding, two Vocos residual blocks before and after Llama-like layers (bias-free fc1 / fc2 MLP,
    RMSNorms), a LayerNorm and the ISTFT head's linear to ``n_fft + 2`` (four hop lengths; NeuCodec's hop
    is rescaled from the input to the output sampling rate)."""
    sc = _sub(c, "semantic_model_config", "wav2vec2-bert", {"num_hidden_layers": 16})
    t = _part(sc)
    S = positive("semantic hidden_size", sc.int("hidden_size", default=1024))
    h = positive("hidden_size", c.int("hidden_size", default=1024))
    L = c.int("num_hidden_layers", default=12)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=16))
    check_divisible("hidden_size by num_attention_heads", h, nh)
    check_divisible("hidden_size by 32 GroupNorm groups", h, 32)
    # class defaults 16 and 64 (not derived from the hidden size); an explicit null is derived
    kv = positive("num_key_value_heads", c.int("num_key_value_heads", default=16) or nh)
    hd = positive("head_dim", c.int("head_dim", default=64) or h // nh)
    b = c.bool("attention_bias", default=False)
    levels = len(c.list("quantization_levels", default=[4] * 8))
    qd = c.int("quantization_dim", default=2048)
    hop = math.prod(c.ints("downsampling_ratios", default=[2, 2, 4, 4, 5]))
    if neucodec:
        hop = int(
            hop * c.num("output_sampling_rate", default=24000) / c.num("input_sampling_rate", default=16000)
        )
    t.add("other", 4 * conv(S, S, 3, bias=False) + 2 * S + _snake_beta_encoder(c, h))
    t.add("other", conv(h + S, h + S, 1) + conv(qd, levels, 1) + conv(levels, qd, 1))
    t.add("other", conv(h + S, h, 1) + conv(h, h, 7) + 4 * _vocos_resnet(h) + 2 * h)
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b))
    t.add("mlp", L * 2 * h * c.int("intermediate_size", default=4096))
    t.add("norms", L * 2 * h)
    t.add("heads", conv(h, 4 * hop + 2, 1))
    return t


_strict("xcodec2", lambda c: _xcodec2(c, neucodec=False), {"Xcodec2Model": "model"})
_strict("neucodec", lambda c: _xcodec2(c, neucodec=True), {"NeuCodecModel": "model"})


# --- VibeVoice acoustic tokenizer: a sigma-VAE of ConvNeXt-1d stages -------------------------------------------


def _vibevoice_half(c: Cfg, *, decoder: bool, depths: list[int]) -> int:
    """VibeVoice's acoustic encoder (or decoder): a stem convolution and ConvNeXt-1d blocks (two RMSNorms, a
    depthwise conv mixer, a biased ``ffn_expansion`` MLP, two per-channel gammas), one strided Conv1d
    (ConvTranspose1d) per ratio followed by ``depths[i + 1]`` blocks, and a head convolution. The decoder's
    widths follow ``len(depths)`` and it walks the ratios reversed."""
    F = positive("num_filters", c.int("num_filters", default=32))
    H = c.int("hidden_size", default=64)
    k = positive("kernel_size", c.int("kernel_size", default=7))
    e = c.int("ffn_expansion", default=4)
    ratios = c.ints("downsampling_ratios", default=[2, 2, 4, 5, 5, 8])
    if len(depths) < len(ratios) + 1:
        raise ConfigProblem("depths needs one entry for the stem and one per downsampling ratio")

    def blocks(n: int, d: int) -> int:
        return n * (2 * d + conv(d, d, k, groups=d) + conv(d, e * d, 1) + conv(e * d, d, 1) + 2 * d)

    if not decoder:
        n = conv(c.int("channels", default=1), F, k) + blocks(depths[0], F)
        for i, r in enumerate(ratios):
            n += conv(F * 2**i, F * 2 ** (i + 1), 2 * r) + blocks(depths[i + 1], F * 2 ** (i + 1))
        return n + conv(F * 2 ** len(ratios), H, k)
    D = len(depths)
    n = conv(H, int(F * 2 ** (D - 1)), k) + blocks(depths[0], int(F * 2 ** (D - 1)))
    for i, r in enumerate(reversed(ratios)):
        out = int(F * 2 ** (D - 2 - i))  # transformers' int() of a float power for very short depths
        n += conv(int(F * 2 ** (D - 1 - i)), out, 2 * r) + blocks(depths[i + 1], out)
    return n + conv(F, c.int("channels", default=1), k)


_VIBEVOICE_DEPTHS = [3, 3, 3, 3, 3, 3, 8]


def vibevoice_encoder(c: Cfg) -> int:
    """A VibeVoice acoustic (or semantic) tokenizer's encoder alone, as VibeVoice and VibeVoice-ASR hold it."""
    return _vibevoice_half(c, decoder=False, depths=c.ints("depths", default=_VIBEVOICE_DEPTHS))


def vibevoice_tokenizer(c: Cfg, *, part: str) -> Tally:
    """The whole tokenizer builds its decoder from the reversed ``depths``; a standalone half reads them as
    saved."""
    depths = c.ints("depths", default=_VIBEVOICE_DEPTHS)
    t = _codec_tally()
    if part in ("encoder", "model"):
        t.add("other", _vibevoice_half(c, decoder=False, depths=depths))
    if part in ("decoder", "model"):
        t.add("other", _vibevoice_half(c, decoder=True, depths=depths[::-1] if part == "model" else depths))
    return t


for _part_name, _suffix in (("model", ""), ("encoder", "Encoder"), ("decoder", "Decoder")):
    _strict(
        "vibevoice_acoustic_tokenizer" + ("" if _part_name == "model" else f"_{_part_name}"),
        lambda c, p=_part_name: vibevoice_tokenizer(c, part=p),
        {f"VibeVoiceAcousticTokenizer{_suffix}Model": "model"},
    )


__all__ = ["conv", "vibevoice_encoder", "vibevoice_tokenizer", "wavtokenizer", "xcodec"]
