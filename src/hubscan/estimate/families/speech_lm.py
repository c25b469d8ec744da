"""Speech encoders and speech-language composites: Perception Encoder audio (PE-Audio), Music Flamingo, and the
towers and wrappers around them (module trees read from transformers 5.25).

Most towers here are a convolutional front end followed by Llama-style rotary layers (q/k/v/o projections,
optionally per-head RMS q/k norms, a gated MLP, two RMSNorms); :func:`rope_layer` counts one such layer.
Composites reuse the text decoders' own family formulas for their language model.
"""

from __future__ import annotations

from hubscan.estimate.families.audio_lm import _audio_lm, whisper_audio_encoder
from hubscan.estimate.families.audio_more import (
    _register,
    dac_encoder,
    diarization_audio,
    transcribe_audio,
    voxtral_realtime_encoder,
)
from hubscan.estimate.families.codecs import vibevoice_encoder, vibevoice_tokenizer
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    attention,
    encoder_tally,
    gated_mlp,
    kv_full,
    linear,
    positive,
    sliding_window,
    tied,
)
from hubscan.estimate.families.encoders import modernbert
from hubscan.estimate.families.multimodal import _finish
from hubscan.estimate.families.registry import FAMILIES, architecture_of
from hubscan.estimate.families.vl_more import text_model


def sub_config(c: Cfg, key: str, defaults: dict | None = None) -> Cfg:
    """``c[key]`` over ``defaults`` (the init kwargs transformers merges under a present sub-config, or the
    whole config of an absent one)."""
    raw = c.data.get(key)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigProblem(f"{c.name}.{key} is not an object")
    merged = dict(defaults or {})
    merged.update({k: v for k, v in raw.items() if v is not None})
    return Cfg(merged, f"{c.name}.{key}")


def rope_layer(
    c: Cfg, h: int, *, nh_default: int, hd_default: int | None, inter_default: int, qk_norm: bool
) -> int:
    """One Llama-style layer: q/k/v/o (``attention_bias``), optional per-head q/k RMSNorms, a bias-free gated
    MLP and two RMSNorms."""
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=nh_default))
    kv = positive("num_key_value_heads", c.int("num_key_value_heads", default=nh))
    hd = positive("head_dim", c.int("head_dim", default=hd_default or h // nh))
    b = c.bool("attention_bias", default=False)
    n = attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b)
    n += gated_mlp(h, c.int("intermediate_size", default=inter_default)) + 2 * h
    return n + (2 * hd if qk_norm else 0)


# PeAudioEncoderConfig's DAC sub-config: DacConfig defaults under these init kwargs
_PE_DAC = {"downsampling_ratios": [2, 8, 10, 12], "encoder_hidden_size": 64, "codebook_dim": 128}
# PeAudioConfig's ModernBERT text sub-config init kwargs
_PE_TEXT = {
    "hidden_size": 1024,
    "intermediate_size": 2624,
    "num_hidden_layers": 22,
    "num_attention_heads": 16,
}


def pe_audio_encoder(c: Cfg, head: str) -> Tally:
    """PE-Audio encoder: a frozen DAC encoder and bottleneck, a linear to the hidden size, a class token and a
    GroupNorm / Conv1d ResNet block, rotary layers with q/k norms, a final RMSNorm and a bias-free output linear."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for pe_audio_encoder")
    h = positive("hidden_size", c.int("hidden_size", default=1792))
    L = c.int("num_hidden_layers", default=6)
    dc = sub_config(c, "dac_config", _PE_DAC)
    E = positive("encoder_hidden_size", dc.int("encoder_hidden_size", default=64))
    ratios = dc.ints("downsampling_ratios", default=[2, 4, 8, 8])
    H, cd = E * 2 ** len(ratios), dc.int("codebook_dim", default=8)
    t = encoder_tally(L, h)
    t.add("other", dac_encoder(E, ratios) + linear(H, cd) + linear(cd, h))
    t.add("embeddings", h + 2 * (2 * h + h * h * 3 + h))  # class token, ResNet block of two conv blocks
    t.add("attention", L * rope_layer(c, h, nh_default=14, hd_default=128, inter_default=4800, qk_norm=True))
    t.add("norms", h)
    t.add("other", h * h)
    return t


def pe_audio(c: Cfg, head: str) -> Tally:
    """PE-Audio (and its frame-level variant): a ModernBERT text model, the audio encoder, LayerNorm + linear
    contrastive heads for both towers, a logit scale and bias."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for pe_audio")
    tc = sub_config(c, "text_config", _PE_TEXT)
    if tc.data.get("model_type", "modernbert") != "modernbert":
        raise NotExact(f"text model_type {tc.data.get('model_type')!r} is not modelled for pe_audio")
    ac = sub_config(c, "audio_config")
    t = pe_audio_encoder(ac, "model")
    t.merge(modernbert(tc, "model"))
    th, ah = tc.int("hidden_size", default=768), ac.int("hidden_size", default=1792)
    t.add("heads", 2 * th + th * th + 2 * ah + ah * th + 2)
    return t


_register("pe_audio_encoder", pe_audio_encoder, {"PeAudioEncoder": "model"})
_register("pe_audio", pe_audio, {"PeAudioModel": "model", "PeAudioFrameLevelModel": "model"})


def musicflamingo(c: Cfg, head: str) -> Tally:
    """Music Flamingo: Audio Flamingo 3's module tree (the Whisper-style encoder, a two-linear projector, a Qwen2
    decoder, an untied head); its rotary position table is a buffer. The config class reads an audio sub-config
    typed ``musicflamingo_encoder`` (or untyped) as ``audioflamingo3_encoder``."""
    audio = c.data.get("audio_config")
    if isinstance(audio, dict) and audio.get("model_type") in (None, "musicflamingo_encoder"):
        c = Cfg({**c.data, "audio_config": {**audio, "model_type": "audioflamingo3_encoder"}}, c.name)
    return _audio_lm(c, head, kind="audioflamingo3")


_register(
    "musicflamingo",
    musicflamingo,
    {"MusicFlamingoModel": "model", "MusicFlamingoForConditionalGeneration": "cond_gen"},
)

# MossTranscribeDiarizeAudioConfig defaults (a Whisper-style encoder smaller than the audio_lm defaults)
_MOSS_AUDIO = {
    "num_mel_bins": 80,
    "num_hidden_layers": 24,
    "intermediate_size": 4096,
    "hidden_size": 1024,
    "max_source_positions": 1500,
}
_register(
    "moss_transcribe_diarize_audio",
    lambda c, h: whisper_audio_encoder(Cfg({**_MOSS_AUDIO, **c.data}, c.name), h),
    {"MossTranscribeDiarizeAudioModel": "model"},
)


# VoxtralRealtimeConfig's text sub-config init kwargs (under VoxtralRealtimeTextConfig's defaults)
_VOXTRAL_RT_TEXT = {
    "vocab_size": 131072,
    "hidden_size": 3072,
    "intermediate_size": 9216,
    "num_hidden_layers": 26,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "tie_word_embeddings": True,
    "sliding_window": 8192,
}


def voxtral_realtime_text(c: Cfg, head: str) -> Tally:
    """Voxtral Realtime's text model: bias-free GQA layers with a gated MLP, two RMSNorms and an adaptive
    RMSNorm (two bias-free linears through width 32) per layer; token embedding and a final RMSNorm."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for voxtral_realtime_text")
    h = positive("hidden_size", c.int("hidden_size", default=4096))
    L = c.int("num_hidden_layers", default=32)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=32))
    kv = positive("num_key_value_heads", c.int("num_key_value_heads", default=8))
    hd = positive("head_dim", c.int("head_dim", default=h // nh))
    t = Tally()
    t.embed(c.int("vocab_size", default=32000) * h)
    t.add("attention", L * attention(h, nh, kv, hd))
    t.add("mlp", L * gated_mlp(h, c.int("intermediate_size", default=14336)))
    t.add("norms", L * (2 * h + 2 * 32 * h) + h)
    kv_full(t, L, kv, hd, nh, window=sliding_window(c))
    return t


def voxtral_realtime(c: Cfg, head: str) -> Tally:
    """Voxtral Realtime: the causal audio encoder, a bias-free two-linear projector over ``downsample_factor``
    stacked frames, the text model; the LM head is tied to the token embedding unless the config unties it."""
    tc = sub_config(c, "text_config", _VOXTRAL_RT_TEXT)
    ac = sub_config(c, "audio_config")
    for sc, mt in ((tc, "voxtral_realtime_text"), (ac, "voxtral_realtime_encoder")):
        if sc.data.get("model_type", mt) != mt:
            raise NotExact(f"sub-config model_type {sc.data.get('model_type')!r} is not modelled")
    t = voxtral_realtime_text(tc, "model")
    t.merge(voxtral_realtime_encoder(ac, "model"))
    th, ah = tc.int("hidden_size"), ac.int("hidden_size", default=1280)
    t.add("other", ah * c.int("downsample_factor", default=4) * th + th * th)
    return _finish(t, c, head, tc.int("vocab_size"), th, tied(c, True))


_register(
    "voxtral_realtime",
    voxtral_realtime,
    {"VoxtralRealtimeModel": "model", "VoxtralRealtimeForConditionalGeneration": "cond_gen"},
)


# Nemotron3_5TranscribeWordTimestampConfig defaults, in the keys diarization_audio reads
_WORD_TIMESTAMP = {
    "hidden_size": 1280,
    "intermediate_size": 640,
    "num_hidden_layers": 2,
    "num_attention_heads": 16,
}


def word_timestamp(c: Cfg, head: str) -> Tally:
    """Nemotron 3.5 Transcribe word-timestamp encoder: a ConvTranspose1d upsampler (kernel = stride =
    ``upsampling_factor``), then the speech encoder's input LayerNorm, q/k-normed layers and final LayerNorm
    (counted by ``diarization_audio`` without its stacked-frame projection)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for nemotron3_5_transcribe_word_timestamp")
    wc = Cfg({**_WORD_TIMESTAMP, **c.data, "subsampling_factor": 0}, c.name)  # no stacked-frame projection
    t = diarization_audio(wc, "model", qk_norm=True)
    h = wc.int("hidden_size")
    t.add("other", h * h * positive("upsampling_factor", c.int("upsampling_factor", default=2)) + h)
    return t


def nemo_speechlm(c: Cfg, head: str) -> Tally:
    """Nemotron 3.5 Transcribe: the audio model (speech encoder + diarization), a biased linear projector, a
    Nemotron-H language model, the word-timestamp encoder; the generation class adds an untied LM head and a
    pointwise Conv1d word-timestamp head."""
    tc = sub_config(c, "text_config")
    if "model_type" not in tc.data:
        raise NotExact("nemo_speechlm without an explicit text_config is not modelled")
    ac = sub_config(c, "audio_config")
    if ac.data.get("model_type", "nemotron3_5_transcribe_audio") != "nemotron3_5_transcribe_audio":
        raise NotExact(f"audio model_type {ac.data.get('model_type')!r} is not modelled for nemo_speechlm")
    wc = sub_config(c, "word_timestamp_config", _WORD_TIMESTAMP)
    t = text_model(tc)
    t.merge(transcribe_audio(ac, "model"))
    t.merge(word_timestamp(wc, "model"))
    th = tc.int("hidden_size")
    t.add("other", linear(sub_config(ac, "asr_config").int("hidden_size", default=1280), th))
    if head == "cond_gen":
        wh = wc.int("hidden_size")
        t.add("heads", tc.int("vocab_size") * th + linear(wh, wc.int("vocab_size", default=23863)))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for nemo_speechlm")
    return t


_register(
    "nemotron3_5_transcribe_word_timestamp",
    word_timestamp,
    {"Nemotron3_5TranscribeWordTimestampModel": "model"},
)
_register(
    "nemo_speechlm",
    nemo_speechlm,
    {"Nemotron3_5TranscribeModel": "model", "Nemotron3_5TranscribeForConditionalGeneration": "cond_gen"},
)


def _tower(c: Cfg, key: str, model_type: str) -> Cfg:
    """An explicit sub-config of the given model type (class defaults of an absent one are not modelled)."""
    raw = c.data.get(key)
    if not isinstance(raw, dict):
        raise NotExact(f"{c.data.get('model_type')} without an explicit {key} is not modelled")
    if raw.get("model_type", model_type) != model_type:
        raise NotExact(f"{key} model_type {raw.get('model_type')!r} is not modelled")
    return Cfg(raw, f"{c.name}.{key}")


def _rms_projector(i: int, o: int) -> int:
    """VibeVoice connector: biased linear, RMSNorm, biased linear."""
    return linear(i, o) + o + linear(o, o)


def _vibevoice_text(c: Cfg) -> tuple[Tally, Cfg, int, int]:
    tc = _tower(c, "text_config", "qwen2")
    t = text_model(tc)
    return t, tc, tc.int("hidden_size"), tc.int("vocab_size")


_ENCODER = "vibevoice_acoustic_tokenizer_encoder"


def vibevoice_asr(c: Cfg, head: str) -> Tally:
    """VibeVoice-ASR: acoustic and semantic tokenizer encoders, one RMS connector from each to the text width,
    a Qwen2 language model; the generation class adds an LM head that is never tied."""
    t, tc, th, V = _vibevoice_text(c)
    for key in ("acoustic_tokenizer_encoder_config", "semantic_tokenizer_encoder_config"):
        sc = _tower(c, key, _ENCODER)
        t.add("other", vibevoice_encoder(sc))
        t.add("other", _rms_projector(sc.int("hidden_size", default=64), th))
    return _finish(t, c, head, V, th, False)  # the class declares no tied weights


def _diffusion_head(dc: Cfg, h: int, latent: int) -> int:
    """VibeVoice diffusion head (width = the text width, output = the acoustic latent width): input, condition
    and timestep projections, adaLN layers (gated MLP, RMSNorm, 3-way modulation), a 2-way modulated output."""
    inter = dc.int("intermediate_size", default=4608)
    n = latent * h + h * h + dc.int("frequency_embedding_size", default=256) * h + h * h
    layer = gated_mlp(h, inter, dc.bool("mlp_bias", default=False)) + h + h * 3 * h
    return n + dc.int("num_hidden_layers", default=4) * layer + h * 2 * h + h * latent


def vibevoice(c: Cfg, head: str) -> Tally:
    """VibeVoice TTS: the acoustic tokenizer (encoder and decoder), a Qwen2 language model, RMS connectors from
    the acoustic and semantic latents, the semantic tokenizer encoder, the diffusion head and two latent scale
    scalars; the LM head is tied as the text config says. AutoModel builds the generation class."""
    if architecture_of(c.data) is None:
        head = "cond_gen"
    t, tc, th, V = _vibevoice_text(c)
    ac = _tower(c, "audio_config", "vibevoice_acoustic_tokenizer")
    sc = _tower(c, "semantic_model_config", _ENCODER)
    t.merge(vibevoice_tokenizer(ac, part="model"))
    ah = ac.int("hidden_size", default=64)
    t.add("other", _rms_projector(ah, th) + vibevoice_encoder(sc))
    t.add("other", _rms_projector(sc.int("hidden_size", default=64), th))
    t.add("other", _diffusion_head(sub_config(c, "diffusion_head_config"), th, ah) + 2)
    return _finish(t, c, head, V, th, tc.bool("tie_word_embeddings", default=False))


_register(
    "vibevoice_asr",
    vibevoice_asr,
    {"VibeVoiceAsrModel": "model", "VibeVoiceAsrForConditionalGeneration": "cond_gen"},
)
_register(
    "vibevoice", vibevoice, {"VibeVoiceModel": "model", "VibeVoiceForConditionalGeneration": "cond_gen"}
)


def _usm_conformer_layer(h: int, nh: int, k: int) -> int:
    """Gemma 3n / Gemma 4 audio conformer block (bias-free): two macaron feed-forwards (RMSNorm, h -> 4h -> h,
    RMSNorm), chunked local attention (q/k/v, relative-key projection, per-dim scale, output projection), a
    light conv module (RMSNorm, GLU linear to 2h, depthwise conv, RMSNorm, linear) and three more RMSNorms."""
    hd = h // nh
    ffn = 2 * h + linear(h, 4 * h, False) + linear(4 * h, h, False)
    attn = 4 * h * nh * hd + hd + h * h
    conv = 2 * h + 2 * h * h + h * k + h * h
    return 2 * ffn + attn + conv + 3 * h


def _usm_audio(c: Cfg, head: str, *, gemma4: bool) -> Tally:
    """Gemma 3n (``Gemma3nAudioEncoder``) / Gemma 4 (``Gemma4AudioModel``) audio tower: two strided Conv2d
    (bias-free, each with a channel norm), a bias-free linear from channels x remaining frequency bins, conformer
    blocks; Gemma 4 adds a biased output projection."""
    kind = "gemma4_audio" if gemma4 else "gemma3n_audio"
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {kind}")
    h = positive("hidden_size", c.int("hidden_size", default=1024 if gemma4 else 1536))
    L = c.int("num_hidden_layers" if gemma4 else "conf_num_hidden_layers", default=12)
    nh = positive(
        "num_attention_heads",
        c.int("num_attention_heads" if gemma4 else "conf_num_attention_heads", default=8),
    )
    k = c.int("conv_kernel_size" if gemma4 else "conf_conv_kernel_size", default=5)
    ch = c.ints("subsampling_conv_channels" if gemma4 else "sscp_conv_channel_size", default=[128, 32])
    if len(ch) != 2:
        raise ConfigProblem(f"{kind} needs two subsampling conv channel sizes")
    t = encoder_tally(L, h)
    if gemma4:
        stem = 9 * ch[0] + ch[0] + ch[0] * ch[1] * 9 + ch[1] + ch[0] // 4 * ch[1] * h
        t.add("other", linear(h, c.int("output_proj_dims", default=1536)))
    else:
        stem = _gemma3n_stem(c, ch, h)
    t.add("other", stem)
    t.add("attention", L * _usm_conformer_layer(h, nh, k))
    return t


def _gemma3n_stem(c: Cfg, ch: list[int], h: int) -> int:
    """Gemma 3n sub-sample conv projection: per-layer (kernel, stride) pairs; frequency padded by one each side."""
    kernels = c.raw("sscp_conv_kernel_size", default=[[3, 3], [3, 3]])
    strides = c.raw("sscp_conv_stride_size", default=[[2, 2], [2, 2]])
    f, n, prev = c.int("input_feat_size", default=128), 0, 1
    for i in range(2):
        try:
            (kh, kw), (_, sw) = kernels[i], strides[i]
        except (TypeError, ValueError, IndexError, KeyError) as e:
            raise ConfigProblem("sscp_conv_kernel_size / sscp_conv_stride_size need two (h, w) pairs") from e
        f = (f + 2 - kw) // positive("sscp stride", sw) + 1
        n += prev * ch[i] * kh * kw + ch[i]
        prev = ch[i]
    return n + ch[1] * f * h


_register("gemma3n_audio", lambda c, h: _usm_audio(c, h, gemma4=False), {"Gemma3nAudioEncoder": "model"})
_register("gemma4_audio", lambda c, h: _usm_audio(c, h, gemma4=True), {"Gemma4AudioModel": "model"})


def muse_spark_audio(c: Cfg, head: str) -> Tally:
    """Muse Spark audio tower: per stage a patch embedding (biased linear over ``patch_size`` frames, RMSNorm) and
    ``depth`` blocks (biased depthwise causal conv, RMSNorm, fc1/fc2 MLP of ``mlp_ratio``); a final RMSNorm, a
    biased projection to ``out_hidden_size`` and its RMSNorm."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for muse_spark_audio")
    patches = c.ints("patch_sizes", default=[16, 6, 5, 4])
    widths = c.ints("hidden_sizes", default=[256, 512, 1024, 2048])
    depths = c.ints("depths", default=[2, 2, 2, 2])
    if not patches or not len(patches) == len(widths) == len(depths):
        raise ConfigProblem("patch_sizes, hidden_sizes and depths must have the same (non-zero) length")
    ratio, k = c.num("mlp_ratio", default=4.0), c.int("conv_kernel_size", default=7)
    out = c.int("out_hidden_size", default=8192)
    t = encoder_tally(0, widths[-1])
    prev = 1
    for p, d, depth in zip(patches, widths, depths, strict=True):
        inter = int(d * ratio)
        t.add("embeddings", linear(prev * p, d) + d)
        t.add("mlp", depth * (d * k + d + d + linear(d, inter) + linear(inter, d)))
        prev = d
    t.add("other", widths[-1] + linear(widths[-1], out) + out)
    return t


_register("muse_spark_audio", muse_spark_audio, {"MuseSparkAudioModel": "model"})


def _moonshine_streaming_encoder(ec: Cfg) -> tuple[Tally, int]:
    """Moonshine Streaming encoder: asinh compression (one scalar), a bias-free frame linear, two causal Conv1d
    (h -> 2h -> h, kernel 5), layers of q/k/v/o (``attention_bias``), an fc1/fc2 MLP and two gamma-only
    LayerNorms, a final one."""
    h = positive("hidden_size", ec.int("hidden_size", default=320))
    L = ec.int("num_hidden_layers", default=6)
    nh = positive("num_attention_heads", ec.int("num_attention_heads", default=8))
    kv = positive("num_key_value_heads", ec.int("num_key_value_heads", default=8))
    hd = positive("head_dim", ec.int("head_dim", default=h // nh))
    inter = ec.int("intermediate_size", default=1280)
    b = ec.bool("attention_bias", default=False)
    frame = int(round(ec.num("sample_rate", default=16000) * ec.num("frame_ms", default=5.0) / 1000.0))
    t = encoder_tally(L, nh * hd)
    t.add("other", 1 + frame * h + linear(h * 5, 2 * h) + linear(2 * h * 5, h))
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 2 * h + h)
    return t, h


def moonshine_streaming(c: Cfg, head: str) -> Tally:
    """Moonshine Streaming: the streaming encoder, a decoder (self- and cross-attention with a bias-free output
    projection, an fc1-to-2x gated MLP, bias-free LayerNorms) with a learned position table of the encoder
    width and a projection when the widths differ; ``proj_out`` tied as ``tie_word_embeddings`` says."""
    t, eh = _moonshine_streaming_encoder(sub_config(c, "encoder_config"))
    h = positive("hidden_size", c.int("hidden_size", default=320))
    L = c.int("num_hidden_layers", default=6)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=8))
    if c.data.get("num_key_value_heads") is None:
        raise ConfigProblem("num_key_value_heads is absent: transformers cannot build the decoder")
    kv = positive("num_key_value_heads", c.int("num_key_value_heads"))
    hd = positive("head_dim", c.int("head_dim", default=h // nh))
    inter = c.int("intermediate_size", default=1280)
    b = c.bool("attention_bias", default=False)
    V = c.int("vocab_size", default=32768)
    t.has_kv = True
    t.kv_layers = []  # the decoder's self-attention holds the cache
    kv_full(t, L, kv, hd, nh)
    t.embed(V * h)
    t.add("embeddings", c.int("max_position_embeddings", default=4096) * eh + (0 if eh == h else eh * h))
    t.add("attention", L * 2 * attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b))
    t.add("mlp", L * (linear(h, 2 * inter) + linear(inter, h)))
    t.add("norms", L * 3 * h + h)
    return _finish(t, c, head, V, h, tied(c, False))


_register(
    "moonshine_streaming",
    moonshine_streaming,
    {"MoonshineStreamingModel": "model", "MoonshineStreamingForConditionalGeneration": "cond_gen"},
)


def kyutai_speech_to_text(c: Cfg, head: str) -> Tally:
    """Kyutai STT: one embedding table over the text and every codebook's audio tokens (plus padding), bias-free
    GQA layers with a gating MLP (fc1 to ``ffn_dim``, fc2 from half of it) and two RMSNorms, a final RMSNorm.
    The generation class adds the LM head and the Mimi codec (counted only where a Mimi formula exists)."""
    h = positive("hidden_size", c.int("hidden_size", default=2048))
    L = c.int("num_hidden_layers", default=48)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=32))
    kv = positive("num_key_value_heads", c.int("num_key_value_heads", default=nh))
    hd = positive("head_dim", c.int("head_dim", default=h // nh))
    ffn = c.int("ffn_dim", default=11264)
    if ffn % 2:
        raise ConfigProblem(f"ffn_dim={ffn} must be even")
    V = c.int("vocab_size", default=4001)
    rows = V + c.int("num_codebooks", default=32) * c.int("codebook_vocab_size", default=2049) + 1
    t = Tally()
    t.embed(rows * h)
    t.add("attention", L * attention(h, nh, kv, hd))
    t.add("mlp", L * (h * ffn + ffn // 2 * h))
    t.add("norms", L * 2 * h + h)
    kv_full(t, L, kv, hd, nh, window=sliding_window(c))
    if head == "cond_gen":
        codec = sub_config(c, "codec_config")
        fam = FAMILIES.get(codec.data.get("model_type", "mimi"))
        if fam is None or "model_type" not in codec.data:
            raise NotExact(
                "the Mimi codec of KyutaiSpeechToTextForConditionalGeneration has no exact formula"
            )
        t.merge(fam.formula(codec, "model"))
        if not tied(c, False):  # tied: lm_head shares the joint embedding table (checked on the meta device)
            t.add("heads", V * h)
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for kyutai_speech_to_text")
    return t


_register(
    "kyutai_speech_to_text",
    kyutai_speech_to_text,
    {"KyutaiSpeechToTextModel": "model", "KyutaiSpeechToTextForConditionalGeneration": "cond_gen"},
)
