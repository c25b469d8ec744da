"""More speech models on FastConformer encoders: Parakeet's RNN-T / TDT transducers and NVIDIA's streaming
Nemotron ASR encoder and transducers.

The encoder is Parakeet's (a strided Conv2d subsampler, then FastConformer blocks counted by
``audio._fastconformer_block``); the streaming encoder differs only in its causal subsampler's output width.
A transducer adds an encoder projector, an LSTM prediction network (embedding, LSTM, projector) and a joint
network whose head predicts the vocabulary (plus the token durations for TDT).
"""

from __future__ import annotations

from typing import NamedTuple

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.audio import _fastconformer_block, speech_encoder
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    encoder_tally,
    linear,
    positive,
)
from hubscan.estimate.families.multimodal import _finish, _text
from hubscan.estimate.families.registry import architecture_of, register
from hubscan.estimate.families.vl_composites import _qformer


def _register(model_type: str, formula, classes: dict[str, str]) -> None:
    """Register ``formula`` for exactly the transformers classes in ``classes`` (class -> head kind): any other
    ``architectures[0]`` (a sibling class such as ``*ForCTC`` under an encoder type, or a repo's own class) is
    refused rather than counted as the base model."""

    def strict(c: Cfg, head: str) -> Tally:
        arch = architecture_of(c.data)
        if arch is not None and arch not in classes:
            raise NotExact(f"architectures[0]={arch!r} is not modelled for {model_type}")
        return formula(c, head)

    register(model_type, strict, *classes, name=model_type, classes=classes)


def _freq_bins(c: Cfg, n: int, *, causal: bool) -> int:
    """Mel bins left after ``n`` strided convolutions (Parakeet: ``mels // stride**n``; the causal streaming
    subsampler pads ``kernel - 1 + stride - 1`` before every convolution)."""
    mels = c.int("num_mel_bins", default=80)
    k = c.int("subsampling_conv_kernel_size", default=3)
    s = positive("subsampling_conv_stride", c.int("subsampling_conv_stride", default=2))
    if not causal:
        return mels // s**n
    out = mels
    for _ in range(n):
        out = (out + (k - 1) + (s - 1) - k) // s + 1
    return out


def fastconformer_encoder(c: Cfg, head: str, *, causal: bool = False) -> Tally:
    """Parakeet / streaming Nemotron encoder: Conv2d stem, depthwise-separable Conv2d stages, a linear to the
    hidden size, FastConformer blocks (no final norm)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for this FastConformer encoder")
    h = positive("hidden_size", c.int("hidden_size", default=1024))
    L = c.int("num_hidden_layers", default=24)
    ch = c.int("subsampling_conv_channels", default=256)
    k = c.int("subsampling_conv_kernel_size", default=3)
    factor = positive("subsampling_factor", c.int("subsampling_factor", default=8))
    n = factor.bit_length() - 1  # int(log2(factor))
    if n < 1:
        raise ConfigProblem("subsampling_factor must be at least 2")
    t = encoder_tally(L, h)
    stem = ch * k * k + ch
    stages = (n - 1) * (ch * k * k + ch + linear(ch, ch))  # depthwise + pointwise Conv2d
    t.add("other", stem + stages + linear(ch * _freq_bins(c, n, causal=causal), h))
    t.add("attention", L * _fastconformer_block(c, h, c.int("intermediate_size", default=4096)))
    return t


def _lstm(inp: int, hidden: int, layers: int) -> int:
    """``nn.LSTM`` with biases: four gates of input and recurrent weights plus two bias vectors per layer."""
    return sum(4 * hidden * ((inp if i == 0 else hidden) + hidden) + 8 * hidden for i in range(layers))


_TRANSDUCERS = {
    # model type: (encoder model type, vocab default, causal subsampler, duration head, prompt projector)
    "parakeet_rnnt": ("parakeet_encoder", 8193, False, False, False),
    "parakeet_tdt": ("parakeet_encoder", 8193, False, True, False),
    "nemotron_asr_streaming": ("nemotron_asr_streaming_encoder", 1025, True, False, False),
    "nemotron3_5_asr": ("nemotron_asr_streaming_encoder", 13088, True, False, True),
}


def transducer(c: Cfg, head: str, *, kind: str) -> Tally:
    enc_type, v_default, causal, durations, prompts = _TRANSDUCERS[kind]
    arch = architecture_of(c.data)
    if head != "rnnt" and not (head == "model" and arch is None):
        raise NotExact(f"architectures[0]={arch!r} is not modelled for {kind} (only its transducer class)")
    raw = c.data.get("encoder_config")
    if not isinstance(raw, dict):
        raise NotExact(f"{kind} without an explicit encoder_config is not modelled")
    if raw.get("model_type", enc_type) != enc_type:
        raise NotExact(f"encoder model_type {raw.get('model_type')!r} is not modelled for {kind}")
    ec = Cfg(raw, "config.encoder_config")
    t = fastconformer_encoder(ec, "model", causal=causal)
    h = ec.int("hidden_size", default=1024)
    dh = c.int("decoder_hidden_size", default=640)
    V = c.int("vocab_size", default=v_default)
    out = V
    if durations:
        ds = c.raw("durations", default=[0, 1, 2, 3, 4])
        if not isinstance(ds, (list, tuple)):
            raise ConfigProblem("durations is not a list")
        out += len(ds)
    t.add("other", linear(h, dh))  # encoder_projector
    t.add("embeddings", V * dh)
    t.add("other", _lstm(dh, dh, c.int("num_decoder_layers", default=2)) + linear(dh, dh))
    t.add("heads", linear(dh, out))
    if prompts:
        mid = c.int("prompt_intermediate_size", default=2048)
        t.add("other", linear(h + c.int("num_prompts", default=128), mid) + linear(mid, h))
    return t


_register(
    "nemotron_asr_streaming_encoder",
    lambda c, h: fastconformer_encoder(c, h, causal=True),
    {"NemotronAsrStreamingEncoder": "model"},
)
for _kind, _cls in (
    ("parakeet_rnnt", "ParakeetForRNNT"),
    ("parakeet_tdt", "ParakeetForTDT"),
    ("nemotron_asr_streaming", "NemotronAsrStreamingForRNNT"),
    ("nemotron3_5_asr", "Nemotron3_5AsrForRNNT"),
):
    _register(_kind, lambda c, h, k=_kind: transducer(c, h, kind=k), {_cls: "rnnt"})


def _asr_decoder(dc: Cfg, t: Tally, *, enc_h: int, hd_default: int | None, cohere: bool) -> tuple[int, int]:
    """Canary / Cohere ASR Transformer decoder: token embedding (Cohere: plus a learned position table and an
    encoder-to-decoder projection), pre-LN layers of self-attention, cross-attention and a biased fc1/fc2 MLP,
    embedding and final LayerNorms. Returns (hidden size, vocabulary)."""
    d = positive("hidden_size", dc.int("hidden_size", default=1024))
    L = dc.int("num_hidden_layers", default=8)
    nh = positive("num_attention_heads", dc.int("num_attention_heads", default=8))
    kv = dc.int("num_key_value_heads", default=None) or nh
    hd = dc.int("head_dim", default=None) or hd_default or d // nh
    ffn = dc.int("intermediate_size", default=4096)
    V = dc.int("vocab_size", default=16384)
    b = dc.bool("attention_bias", default=True)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * kv * hd, None, nh * hd))
    attn = linear(d, nh * hd, b) + 2 * linear(d, kv * hd, b) + linear(nh * hd, d, b)
    t.add("attention", L * 2 * attn)
    t.add("mlp", L * (linear(d, ffn) + linear(ffn, d)))
    t.add("norms", L * 3 * 2 * d + 2 * 2 * d)
    t.add("embeddings", V * d)
    if cohere:
        t.add("embeddings", dc.int("max_position_embeddings", default=1024) * d)
        t.add("other", linear(enc_h, d))
    return d, V


def asr_seq2seq(c: Cfg, head: str, *, kind: str) -> Tally:
    """Canary / Cohere ASR: a Parakeet encoder (``encoder_config``) and a Transformer decoder."""
    raw = c.data.get("encoder_config")
    if not isinstance(raw, dict):
        raise NotExact(f"{kind} without an explicit encoder_config is not modelled")
    if raw.get("model_type", "parakeet_encoder") != "parakeet_encoder":
        raise NotExact(f"encoder model_type {raw.get('model_type')!r} is not modelled for {kind}")
    ec = Cfg(raw, "config.encoder_config")
    t = fastconformer_encoder(ec, "model")
    t.has_kv = True
    t.kv_layers = []  # the decoder's self-attention layers hold the cache
    enc_h = ec.int("hidden_size", default=1024)
    if kind == "canary":
        dec = c.data.get("decoder_config")
        if not isinstance(dec, dict):
            raise NotExact("canary without an explicit decoder_config is not modelled")
        d, V = _asr_decoder(Cfg(dec, "config.decoder_config"), t, enc_h=enc_h, hd_default=128, cohere=False)
        tie = c.bool("tie_word_embeddings", default=True)
    else:
        d, V = _asr_decoder(c, t, enc_h=enc_h, hd_default=None, cohere=True)
        tie = c.bool("tie_word_embeddings", default=False)
    if head == "cond_gen":
        t.add("heads", V if tie else linear(d, V))  # proj_out (its weight tied to the token embedding)
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {kind}")
    return t


for _kind, _prefix in (("canary", "Canary"), ("cohere_asr", "CohereAsr")):
    _register(
        _kind,
        lambda c, h, k=_kind: asr_seq2seq(c, h, kind=k),
        {f"{_prefix}Model": "model", f"{_prefix}ForConditionalGeneration": "cond_gen"},
    )


def omniasr_audio(c: Cfg, head: str) -> Tally:
    """OmniASR's audio encoder: wav2vec 2.0's conv feature encoder (a LayerNorm on every layer), LayerNorm +
    projection, a plain grouped positional convolution (no weight norm), pre-LN layers, a final LayerNorm."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for omniasr_audio")
    h = positive("hidden_size", c.int("hidden_size", default=1024))
    L = c.int("num_hidden_layers", default=24)
    inter = c.int("intermediate_size", default=4096)
    t = encoder_tally(L, h)
    conv = c.ints("conv_dim", default=[512] * 7)
    kernels = c.ints("conv_kernel", default=[10, 3, 3, 3, 3, 2, 2])
    if not conv or len(kernels) != len(conv):
        raise ConfigProblem("conv_dim and conv_kernel must have the same (non-zero) length")
    bias = c.bool("conv_bias", default=True)
    prev = 1
    for d, k in zip(conv, kernels, strict=True):
        t.add("other", prev * d * k + (d if bias else 0) + 2 * d)
        prev = d
    t.add("other", 2 * prev + linear(prev, h))
    K = c.int("num_conv_pos_embeddings", default=128)
    G = positive("num_conv_pos_embedding_groups", c.int("num_conv_pos_embedding_groups", default=16))
    t.add("embeddings", h * (h // G) * K + h)
    t.add("attention", L * 4 * linear(h, h))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h + 2 * h)
    return t


def _omniasr_tower(c: Cfg) -> tuple[Tally, int]:
    raw = c.data.get("audio_config")
    if not isinstance(raw, dict):
        raise NotExact("audio_config is absent: its class defaults are not modelled")
    if raw.get("model_type", "omniasr_audio") != "omniasr_audio":
        raise NotExact(f"audio model_type {raw.get('model_type')!r} is not modelled")
    ac = Cfg(raw, "config.audio_config")
    return omniasr_audio(ac, "model"), ac.int("hidden_size", default=1024)


def omniasr_ctc(c: Cfg, head: str) -> Tally:
    t, h = _omniasr_tower(c)
    if head == "ctc":
        t.add("heads", linear(h, c.int("vocab_size", default=10288)))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for omniasr_ctc")
    return t


def omniasr(c: Cfg, head: str) -> Tally:
    """OmniASR LLM: the audio encoder, a linear projector, a Llama decoder; the lm_head is never tied."""
    if c.data.get("text_config") is None:
        raise NotExact("text_config is absent: its class defaults are not modelled")
    t, tc, th, V = _text(c, "llama")
    audio, ah = _omniasr_tower(c)
    t.merge(audio)
    t.add("other", linear(ah, th))
    return _finish(t, c, head, V, th, False)


_register("omniasr_audio", omniasr_audio, {"OmniASRAudioModel": "model"})
_register("omniasr_ctc", omniasr_ctc, {"OmniASRCTCModel": "model", "OmniASRForCTC": "ctc"})
_register("omniasr", omniasr, {"OmniASRModel": "model", "OmniASRForConditionalGeneration": "cond_gen"})


def granite_speech5_encoder(c: Cfg, head: str) -> Tally:
    """Granite Speech 5 CTC encoder: an input linear on four stacked mel features, Conformer blocks (bias-free
    q/k/v, a Shaw relative-position table, a Linear/depthwise/BatchNorm/Linear conv module with expansion), and
    the self-conditioning out / out_mid projections through the vocabulary."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for granite_speech5_encoder")
    h = positive("hidden_size", c.int("hidden_size", default=1024))
    L = c.int("num_hidden_layers", default=16)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=8))
    hd = c.int("head_dim", default=None) or h // nh
    inter = c.int("intermediate_size", default=4096)
    b = c.bool("attention_bias", default=True)
    inner = h * c.int("conv_expansion_factor", default=2)
    k = c.int("conv_kernel_size", default=7)
    V = c.int("vocab_size", default=16384)
    t = encoder_tally(L, h)
    t.add("other", linear(4 * c.int("num_mel_bins", default=80), h))
    attn = 3 * h * nh * hd + linear(nh * hd, h) + (2 * c.int("max_position_embeddings", default=512) + 1) * hd
    t.add("attention", L * attn)
    t.add("mlp", L * 2 * (linear(h, inter, b) + linear(inter, h, b)))
    t.add("other", L * (linear(h, 2 * inner) + inner * k + 2 * inner + linear(inner, h)))
    t.add("norms", L * 5 * 2 * h)
    t.add("heads", linear(h, V) + linear(V, h))  # out, out_mid
    return t


def granite_speech5_ctc(c: Cfg, head: str) -> Tally:
    raw = c.data.get("encoder_config")
    if not isinstance(raw, dict):
        raise NotExact("granite_speech5_ctc without an explicit encoder_config is not modelled")
    if raw.get("model_type", "granite_speech5_encoder") != "granite_speech5_encoder":
        raise NotExact(f"encoder model_type {raw.get('model_type')!r} is not modelled")
    ec = Cfg(raw, "config.encoder_config")
    t = granite_speech5_encoder(ec, "model")
    if head == "ctc":
        V = c.int("vocab_size", default=16384)
        if not c.bool("tie_word_embeddings", default=True):
            t.add("heads", linear(ec.int("hidden_size", default=1024), V))
        elif ec.int("vocab_size", default=16384) != V:
            raise NotExact("a tied CTC head over a vocabulary other than the encoder's is not modelled")
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for granite_speech5_ctc")
    return t


_register("granite_speech5_encoder", granite_speech5_encoder, {"GraniteSpeech5Encoder": "model"})
_register("granite_speech5_ctc", granite_speech5_ctc, {"GraniteSpeech5ForCTC": "ctc"})


def _granite_ctc_encoder(c: Cfg) -> Tally:
    """Granite Speech's CTC Conformer encoder: pre-LN feed-forwards, bias-free q / kv with a Shaw relative-position
    table, a conv module (LayerNorm, pointwise Conv1d, bias-free depthwise, BatchNorm, pointwise), a post-norm,
    and the self-conditioning out / out_mid projections through ``output_dim``."""
    h = positive("hidden_dim", c.int("hidden_dim", default=1024))
    L = c.int("num_layers", default=10)
    nh = positive("num_heads", c.int("num_heads", default=8))
    dh = c.int("dim_head", default=None) or h // nh
    ff = h * c.int("feedforward_mult", default=4)
    inner = h * c.int("conv_expansion_factor", default=2)
    out = c.int("output_dim", default=42)
    t = Tally()
    t.add("other", linear(c.int("input_dim", default=160), h) + linear(h, out) + linear(out, h))
    t.add("mlp", L * 2 * (2 * h + linear(h, ff) + linear(ff, h)))
    attn = 2 * h + 3 * h * nh * dh + linear(nh * dh, h) + (2 * c.int("max_pos_emb", default=512) + 1) * dh
    t.add("attention", L * attn)
    k = c.int("conv_kernel_size", default=15)
    t.add("other", L * (2 * h + linear(h, 2 * inner) + inner * k + 2 * inner + linear(inner, h)))
    t.add("norms", L * 2 * h)
    return t


def granite_speech(c: Cfg, head: str, *, kind: str) -> Tally:
    """Granite Speech (and Plus): the CTC encoder, a windowed BLIP-2 Q-Former projector (learned queries, a
    linear to the text width) and a Granite decoder; the lm_head is tied per ``tie_word_embeddings``."""
    subs = {}
    for key in ("encoder_config", "projector_config", "text_config"):
        raw = c.data.get(key)
        if not isinstance(raw, dict):
            raise NotExact(f"{kind} without an explicit {key} is not modelled")
        subs[key] = Cfg(raw, f"config.{key}")
    q = subs["projector_config"]
    if q.data.get("model_type", "blip_2_qformer") != "blip_2_qformer":
        raise NotExact(f"projector model_type {q.data.get('model_type')!r} is not modelled")
    t, tc, th, V = _text(c, "granite")
    t.merge(_granite_ctc_encoder(subs["encoder_config"]))
    qh = q.int("hidden_size", default=768)
    queries = c.int("window_size", default=15) // positive(
        "downsample_rate", c.int("downsample_rate", default=5)
    )
    qformer = _qformer(q, q.int("encoder_hidden_size", default=1408), instruct=False)
    t.add("other", queries * qh + qformer + linear(qh, th))
    return _finish(t, c, head, V, th, c.bool("tie_word_embeddings", default=True))


for _kind, _prefix in (("granite_speech", "GraniteSpeech"), ("granite_speech_plus", "GraniteSpeechPlus")):
    _register(
        _kind,
        lambda c, h, k=_kind: granite_speech(c, h, kind=k),
        {f"{_prefix}Model": "model", f"{_prefix}ForConditionalGeneration": "cond_gen"},
    )


def diarization_audio(c: Cfg, head: str, *, qk_norm: bool = False) -> Tally:
    """Nemotron 3 diarization audio tower: stacked-frame projection (no bias), input LayerNorm, rotary pre-LN
    layers (bias-free q / k / v, v over all heads, biased o; fc1/fc2 MLP), a final LayerNorm. The Nemotron 3.5
    Transcribe speech encoder (``qk_norm``) adds a per-head-dim LayerNorm on queries and keys."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for this audio tower")
    h = positive("hidden_size", c.int("hidden_size", default=1280 if qk_norm else 512))
    L = c.int("num_hidden_layers", default=32 if qk_norm else 31)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=10 if qk_norm else 8))
    kv = c.int("num_key_value_heads", default=None) or nh
    hd = c.int("head_dim", default=None) or h // nh
    inter = c.int("intermediate_size", default=5120 if qk_norm else 2048)
    t = encoder_tally(L, h)
    stack = c.int("subsampling_factor", default=8) * c.int("num_mel_bins", default=128)
    t.add("embeddings", stack * h)
    t.add("attention", L * (2 * h * nh * hd + h * kv * hd + linear(nh * hd, h) + (4 * hd if qk_norm else 0)))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 2 * 2 * h + 2 * 2 * h)
    return t


def diarization(c: Cfg, head: str) -> Tally:
    """Nemotron 3 diarization: the audio tower, a projection to the head width, a sub-pixel Conv1d upsampler;
    frame classification adds a dense + out_proj classifier and a silence embedding."""
    ac, hc = _sub(c, "audio_config", "nemotron3_diarization"), _sub(c, "head_config", "nemotron3_diarization")
    t = diarization_audio(ac, "model")
    hh = hc.int("hidden_size", default=192)
    up = hh * hc.int("subsampling_factor", default=8)
    t.add("other", linear(hc.int("audio_hidden_size", default=512), hh) + hh * up * 3 + up)
    if head == "audio_frame_cls":
        t.add("heads", linear(hh, hh) + linear(hh, hc.int("num_speakers", default=8)))
        t.add("embeddings", ac.int("hidden_size", default=512))  # silence_embeds
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for nemotron3_diarization")
    return t


_register("nemotron3_diarization_audio", diarization_audio, {"Nemotron3DiarizationAudioModel": "model"})
_register(
    "nemotron3_diarization",
    diarization,
    {
        "Nemotron3DiarizationModel": "model",
        "Nemotron3DiarizationForAudioFrameClassification": "audio_frame_cls",
    },
)


def _sub(c: Cfg, key: str, kind: str) -> Cfg:
    raw = c.data.get(key)
    if not isinstance(raw, dict):
        raise NotExact(f"{kind} without an explicit {key} is not modelled")
    return Cfg(raw, f"config.{key}")


def transcribe_audio(c: Cfg, head: str) -> Tally:
    """Nemotron 3.5 Transcribe audio model: the speech encoder, the diarization frame classifier, and two
    LayerNorms (speech width, speaker count); the speaker embedding is a fixed buffer."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for nemotron3_5_transcribe_audio")
    kind = "nemotron3_5_transcribe_audio"
    ac, dc = _sub(c, "asr_config", kind), _sub(c, "diarization_config", kind)
    if dc.data.get("model_type", "nemotron3_diarization") != "nemotron3_diarization":
        raise NotExact(f"diarization model_type {dc.data.get('model_type')!r} is not modelled")
    t = diarization_audio(ac, "model", qk_norm=True)
    t.merge(diarization(dc, "audio_frame_cls"))
    speakers = _sub(dc, "head_config", "diarization_config").int("num_speakers", default=8)
    t.add("norms", 2 * ac.int("hidden_size", default=1280) + 2 * speakers)
    return t


_register(
    "nemotron3_5_transcribe_asr_audio",
    lambda c, h: diarization_audio(c, h, qk_norm=True),
    {"Nemotron3_5TranscribeAsrAudioModel": "model"},
)
_register("nemotron3_5_transcribe_audio", transcribe_audio, {"Nemotron3_5TranscribeAudioModel": "model"})


def _dac_residual(d: int) -> int:
    """DAC residual unit: Snake, dilated Conv1d (kernel 7), Snake, pointwise Conv1d."""
    return d + d * d * 7 + d + d + linear(d, d)


def dac_encoder(E: int, ratios: list[int], out: int | None = None) -> int:
    """DAC's convolutional encoder: Conv1d(1, E, 7), one block per downsampling ratio (three residual units,
    Snake, strided Conv1d doubling the width), Snake, Conv1d(H, ``out``, 3) with H = E * 2**len(ratios)
    (``out`` defaults to H)."""
    n = 7 * E + E
    for i, s in enumerate(ratios, start=1):
        half = E * 2 ** (i - 1)
        n += 3 * _dac_residual(half) + half + half * 2 * half * 2 * s + 2 * half
    H = E * 2 ** len(ratios)
    out = H if out is None else out
    return n + H + H * out * 3 + out


def dac_halves(c: Cfg) -> tuple[int, int, int]:
    """DAC's encoder (Conv1d, strided blocks of residual units and Snake, Snake, Conv1d to ``hidden_size``) and
    decoder (Conv1d from ``hidden_size``, ConvTranspose1d blocks, Snake, Conv1d to one channel), and the hidden
    size between them (derived by the config class unless the config names one: X-Codec's DAC does)."""
    E = positive("encoder_hidden_size", c.int("encoder_hidden_size", default=64))
    ratios = c.ints("downsampling_ratios", default=[2, 4, 8, 8])
    D = c.int("decoder_hidden_size", default=1536)
    H = positive("hidden_size", c.int("hidden_size", default=E * 2 ** len(ratios)))
    enc = dac_encoder(E, ratios, H)
    dec = H * D * 7 + D
    out = D
    # the decoder reads ``upsampling_ratios``: the reversed downsampling ratios unless the config names them
    for i, s in enumerate(c.ints("upsampling_ratios", default=ratios[::-1])):
        inp, out = D // 2**i, D // 2 ** (i + 1)
        dec += inp + inp * out * 2 * s + out + 3 * _dac_residual(out)
    dec += out + out * 7 + 1
    return enc, dec, H


def dac(c: Cfg, head: str) -> Tally:
    """DAC codec: a Conv1d / strided-block / Snake encoder, a residual vector quantizer (in / out pointwise
    projections and a codebook per level) and the mirrored ConvTranspose1d decoder (plain convolutions: the
    weight norm is applied only on request)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for dac")
    t = Tally()
    t.has_kv = False
    enc, dec, H = dac_halves(c)
    cd = c.int("codebook_dim", default=8)
    quant = c.int("n_codebooks", default=9) * (
        linear(H, cd) + linear(cd, H) + c.int("codebook_size", default=1024) * cd
    )
    t.add("other", enc + dec)
    t.add("embeddings", quant)
    return t


_register("dac", dac, {"DacModel": "model"})


def qwen3_asr_encoder(c: Cfg, head: str) -> Tally:
    """Qwen3-ASR audio encoder: three stride-2 3x3 Conv2d, a bias-free linear from the flattened channels x
    remaining mel bins, Whisper-like pre-LN layers (all projections biased; sinusoidal positions are a buffer),
    ``ln_post``."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for qwen3_asr_encoder")
    d = positive("d_model", c.int("d_model", default=1024))
    L = c.int("encoder_layers", default=24)
    ffn = c.int("encoder_ffn_dim", default=4096)
    ch = c.int("downsample_hidden_size", default=480)
    bins = c.int("num_mel_bins", default=128)
    for _ in range(3):
        bins = (bins + 1) // 2
    t = encoder_tally(L, d)
    t.add("other", (ch * 9 + ch) + 2 * (ch * ch * 9 + ch) + ch * bins * d)
    t.add("attention", L * 4 * linear(d, d))
    t.add("mlp", L * (linear(d, ffn) + linear(ffn, d)))
    t.add("norms", L * 2 * 2 * d + 2 * d)
    return t


def qwen3_asr(c: Cfg, head: str) -> Tally:
    """Qwen3-ASR: the audio encoder, a two-layer projector to ``output_dim``, a Qwen3 decoder."""
    if c.data.get("text_config") is None:
        raise NotExact("text_config is absent: its class defaults are not modelled")
    ac = _sub(c, "audio_config", "qwen3_asr")
    if ac.data.get("model_type", "qwen3_asr_encoder") != "qwen3_asr_encoder":
        raise NotExact(f"audio model_type {ac.data.get('model_type')!r} is not modelled")
    t, tc, th, V = _text(c, "qwen3")
    t.merge(qwen3_asr_encoder(ac, "model"))
    d = ac.int("d_model", default=1024)
    t.add("other", linear(d, d) + linear(d, ac.int("output_dim", default=3584)))
    return _finish(t, c, head, V, th, c.bool("tie_word_embeddings", default=True))


_register("qwen3_asr_encoder", qwen3_asr_encoder, {"Qwen3ASREncoder": "model"})
_register("qwen3_asr", qwen3_asr, {"Qwen3ASRModel": "model", "Qwen3ASRForConditionalGeneration": "cond_gen"})


def voxtral_realtime_encoder(c: Cfg, head: str) -> Tally:
    """Voxtral Realtime audio encoder: two causal Conv1d (kernel 3), rotary layers (q / v / o biased, k not),
    RMSNorms, a gated MLP with a biased down projection, a final RMSNorm."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for voxtral_realtime_encoder")
    h = positive("hidden_size", c.int("hidden_size", default=1280))
    L = c.int("num_hidden_layers", default=32)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=32))
    hd = c.int("head_dim", default=64)
    inter = c.int("intermediate_size", default=5120)
    t = encoder_tally(L, h)
    t.add("other", linear(c.int("num_mel_bins", default=128) * 3, h) + linear(h * 3, h))
    t.add("attention", L * (2 * linear(h, nh * hd) + h * nh * hd + linear(nh * hd, h)))
    t.add("mlp", L * (2 * h * inter + linear(inter, h)))
    t.add("norms", L * 2 * h + h)
    return t


_register("voxtral_realtime_encoder", voxtral_realtime_encoder, {"VoxtralRealtimeEncoder": "model"})


def sew_d(c: Cfg, head: str) -> Tally:
    """SEW-D: SEW's front end, squeeze / upsample and heads around a DeBERTa-v2 encoder. Its layers count like
    SEW's; the differences are the relative-position table, the optional position projections (unshared keys)
    and a LayerNorm only when ``norm_rel_ebd`` asks for one (instead of SEW's encoder LayerNorm)."""
    t = speech_encoder(c, head, kind="sew")
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    norm = [x.strip() for x in c.str("norm_rel_ebd", default="layer_norm").lower().split("|")]
    if "layer_norm" not in norm:
        t.add("norms", -2 * h)  # speech_encoder counted SEW's encoder LayerNorm
    if c.bool("relative_attention", default=True):
        buckets, rel = c.raw("position_buckets", default=256), c.raw("max_relative_positions", default=-1)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (buckets, rel)):
            raise ConfigProblem("position_buckets and max_relative_positions must be integers")
        size = buckets if buckets > 0 else rel  # -1: unset
        if size < 1:
            size = c.int("max_position_embeddings", default=512)
        t.add("embeddings", 2 * size * h)
        pos = c.raw("pos_att_type", default=["p2c", "c2p"]) or []
        if not c.bool("share_att_key", default=True):
            t.add("attention", L * sum(linear(h, h) for kind in ("c2p", "p2c") if kind in pos))
    if c.int("conv_kernel_size", default=0) > 0:  # transformers 5.25 cannot build SEW-D's ConvLayer
        raise NotExact("SEW-D with conv_kernel_size > 0 (DeBERTa conv layer) is not modelled")
    return t


_register(
    "sew-d",
    sew_d,
    {"SEWDModel": "model", "SEWDForCTC": "ctc", "SEWDForSequenceClassification": "seq_cls"},
)


def _encodec_conv(norm: str, i: int, o: int, k: int, *, transposed: bool = False) -> int:
    """Conv1d / ConvTranspose1d with bias; weight norm adds ``g`` over dim 0 (out channels, or the in channels
    of a transposed weight), time-group norm an affine GroupNorm(1, out)."""
    extra = (i if transposed else o) if norm == "weight_norm" else 2 * o
    return i * o * k + o + extra


class SeanetShape(NamedTuple):
    """The config fields of a SEANet encoder / decoder (EnCodec, WavTokenizer, Mimi, Pocket TTS)."""

    filters: int
    ratios: list[int]
    hidden: int
    channels: int
    kernel: int
    last_kernel: int
    residual_kernel: int
    residual_layers: int
    compress: int
    shortcut: bool


def seanet_shape(
    c: Cfg,
    *,
    ratios: list[int],
    hidden: int,
    filters: int,
    last_kernel: int,
    shortcut: bool,
    empty_ratios_default: bool = False,
) -> SeanetShape:
    """Read a SEANet's fields with the config class's defaults; ``empty_ratios_default``: an empty
    ``upsampling_ratios`` falls back to the default (Mimi's config class does that)."""
    read = c.ints("upsampling_ratios", default=ratios)
    return SeanetShape(
        positive("num_filters", c.int("num_filters", default=filters)),
        (read or ratios) if empty_ratios_default else read,
        positive("hidden_size", c.int("hidden_size", default=hidden)),
        c.int("audio_channels", default=1),
        c.int("kernel_size", default=7),
        c.int("last_kernel_size", default=last_kernel),
        c.int("residual_kernel_size", default=3),
        c.int("num_residual_layers", default=1),
        positive("compress", c.int("compress", default=2)),
        c.bool("use_conv_shortcut", default=shortcut),
    )


def seanet_convs(s: SeanetShape, cost, *, encoder: bool, decoder: bool) -> int:
    """The convolutions of a SEANet encoder and / or its mirrored decoder: the end convolutions, residual
    blocks ``dim -> dim/compress -> dim`` (optional 1x1 shortcut) and one strided convolution per ratio
    (ConvTranspose1d in the decoder). ``cost(in, out, kernel, transposed)`` counts one convolution."""

    def resnet(d: int) -> int:
        hid = d // s.compress
        short = cost(d, d, 1, False) if s.shortcut else 0
        return s.residual_layers * (cost(d, hid, s.residual_kernel, False) + cost(hid, d, 1, False) + short)

    top = s.filters * 2 ** len(s.ratios)
    n = 0
    if encoder:
        n += cost(s.channels, s.filters, s.kernel, False) + cost(top, s.hidden, s.last_kernel, False)
    if decoder:
        n += cost(s.hidden, top, s.kernel, False) + cost(s.filters, s.channels, s.last_kernel, False)
    scale = s.filters
    for r in reversed(s.ratios):
        if encoder:
            n += resnet(scale) + cost(scale, 2 * scale, 2 * r, False)
        if decoder:
            n += cost(2 * scale, scale, 2 * r, True) + resnet(scale)
        scale *= 2
    return n


def _seanet(c: Cfg, *, ratios_default: list[int], hidden_default: int, decoder: bool) -> int:
    """EnCodec's SEANet encoder (and, with ``decoder``, its mirrored decoder): normalised convolutions,
    residual blocks with an optional conv shortcut, a residual LSTM at the bottleneck."""
    norm = c.str("norm_type", default="weight_norm")
    if norm not in ("weight_norm", "time_group_norm"):
        raise ConfigProblem(f"norm_type={norm!r} is not one of weight_norm, time_group_norm")
    s = seanet_shape(
        c, ratios=ratios_default, hidden=hidden_default, filters=32, last_kernel=7, shortcut=True
    )
    top = s.filters * 2 ** len(s.ratios)
    n = (2 if decoder else 1) * _lstm(top, top, c.int("num_lstm_layers", default=2))

    def cost(i: int, o: int, k: int, transposed: bool) -> int:
        return _encodec_conv(norm, i, o, k, transposed=transposed)

    return n + seanet_convs(s, cost, encoder=True, decoder=decoder)


def encodec(c: Cfg, head: str, *, kind: str = "encodec") -> Tally:
    """EnCodec (SEANet encoder and decoder) and WavTokenizer's encoder model (the same SEANet encoder); their
    quantizer codebooks are buffers, not parameters."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {kind}")
    t = Tally()
    t.has_kv = False
    if kind == "encodec":
        t.add("other", _seanet(c, ratios_default=[8, 5, 4, 2], hidden_default=128, decoder=True))
        return t
    if c.int("codebook_dim", default=512) != c.int("hidden_size", default=512):
        raise NotExact("a WavTokenizer codebook_dim other than hidden_size is not modelled")
    t.add("other", _seanet(c, ratios_default=[6, 5, 5, 4], hidden_default=512, decoder=False))
    return t


_register("encodec", encodec, {"EncodecModel": "model"})
_register(
    "wavtokenizer_encoder",
    lambda c, h: encodec(c, h, kind="wavtokenizer_encoder"),
    {"WavTokenizerEncoderModel": "model"},
)


def _san_m_layer(c: Cfg, inp: int, *, fsmn: bool, final_norm: bool) -> int:
    """Fun-ASR SAN-M layer: biased q/k/v from the input width, o_proj, an optional bias-free depthwise FSMN
    conv, an fc1/fc2 MLP, LayerNorms on the input and after attention (plus an optional output LayerNorm)."""
    h = c.int("hidden_size", default=512)
    inter = c.int("intermediate_size", default=2048)
    n = 3 * linear(inp, h) + linear(h, h) + linear(h, inter) + linear(inter, h) + 2 * inp + 2 * h
    if fsmn:
        n += h * c.int("fsmn_kernel_size", default=11)
    return n + (2 * h if final_norm else 0)


def fun_asr_nano_encoder(c: Cfg, head: str) -> Tally:
    """Fun-ASR-Nano audio encoder: SAN-M layers over stacked mel frames (the first reads ``num_mel_bins x
    num_stacked_frames``); the last transcription layer and the last timestamp layer normalise their output."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for fun_asr_nano_encoder")
    h = positive("hidden_size", c.int("hidden_size", default=512))
    L = c.int("num_hidden_layers", default=70)
    normed = {L - c.int("num_timestamp_prediction_layers", default=20) - 1, L - 1}
    inp = c.int("num_mel_bins", default=80) * c.int("num_stacked_frames", default=7)
    t = Tally()
    t.has_kv = False
    for i in range(L):
        t.kv_layers.append(KVLayer(0, None, h))
        t.add("attention", _san_m_layer(c, inp if i == 0 else h, fsmn=True, final_norm=i in normed))
    return t


def fun_asr_nano(c: Cfg, head: str) -> Tally:
    """Fun-ASR-Nano: the audio encoder, a two-linear projector with SAN-M adaptor layers (no FSMN), Qwen3."""
    if c.data.get("text_config") is None:
        raise NotExact("text_config is absent: its class defaults are not modelled")
    ac, pc = _sub(c, "audio_config", "fun_asr_nano"), _sub(c, "adaptor_config", "fun_asr_nano")
    if ac.data.get("model_type", "fun_asr_nano_encoder") != "fun_asr_nano_encoder":
        raise NotExact(f"audio model_type {ac.data.get('model_type')!r} is not modelled")
    t, tc, th, V = _text(c, "qwen3")
    t.merge(fun_asr_nano_encoder(ac, "model"))
    ph, ah = pc.int("projector_hidden_size", default=2048), pc.int("hidden_size", default=1024)
    n = linear(ac.int("hidden_size", default=512), ph) + linear(ph, ah)
    n += pc.int("num_hidden_layers", default=2) * _san_m_layer(pc, ah, fsmn=False, final_norm=False)
    t.add("other", n)
    return _finish(t, c, head, V, th, c.bool("tie_word_embeddings", default=True))


_register("fun_asr_nano_encoder", fun_asr_nano_encoder, {"FunAsrNanoEncoder": "model"})
_register(
    "fun_asr_nano",
    fun_asr_nano,
    {"FunAsrNanoModel": "model", "FunAsrNanoForConditionalGeneration": "cond_gen"},
)


def univnet(c: Cfg, head: str) -> Tally:
    """UnivNet vocoder: conv_pre, location-variable-convolution blocks (a ConvTranspose1d upsampler, a kernel
    predictor ResNet emitting every residual conv's kernels and biases, dilated residual convs), conv_post."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for univnet")
    cin, hid = c.int("model_in_channels", default=64), c.int("model_hidden_channels", default=32)
    mels = c.int("num_mel_bins", default=100)
    kph, kpk = (
        c.int("kernel_predictor_hidden_channels", default=64),
        c.int("kernel_predictor_conv_size", default=3),
    )
    nb = c.int("kernel_predictor_num_blocks", default=3)
    kernels = c.ints("resblock_kernel_sizes", default=[3, 3, 3])
    strides = c.ints("resblock_stride_sizes", default=[8, 8, 4])
    dilations = c.raw("resblock_dilation_sizes", default=[[1, 3, 9, 27]] * 3)
    if not isinstance(dilations, list) or len(dilations) < len(strides) or len(kernels) < len(strides):
        raise ConfigProblem("resblock_kernel_sizes / resblock_dilation_sizes need an entry per stride")
    n = linear(cin * 7, hid) + linear(hid * 7, 1)
    for k, s, dil in zip(kernels, strides, dilations, strict=False):
        if not isinstance(dil, list):
            raise ConfigProblem("resblock_dilation_sizes entries must be lists")
        layers = len(dil)
        kc, bc = hid * 2 * hid * k * layers, 2 * hid * layers
        predictor = linear(mels * 5, kph) + nb * 2 * linear(cin * kpk, cin)
        predictor += linear(kph * kpk, kc) + linear(kph * kpk, bc)
        n += linear(hid * 2 * s, hid) + predictor + layers * linear(hid * k, hid)
    t = Tally()
    t.has_kv = False
    t.add("other", n)
    return t


_register("univnet", univnet, {"UnivNetModel": "model"})
