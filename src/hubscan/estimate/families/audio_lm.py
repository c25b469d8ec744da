"""Audio-language models built on a Whisper-style audio encoder: Qwen2-Audio, Voxtral, Audio Flamingo 3.

The encoder (also a model type of its own: ``qwen2_audio_encoder``, ``voxtral_encoder``,
``audioflamingo3_encoder``) is Whisper's: two Conv1d (kernel 3), a position table, pre-LN layers with a bias-free
key projection, a final LayerNorm (the average pooling has no parameters). The wrapper adds a projector and a
text decoder counted by that decoder's own family formula.
"""

from __future__ import annotations

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


def _encoder_dims(c: Cfg) -> tuple[int, int, int]:
    d = positive("d_model", c.int("d_model", "hidden_size", default=1280))
    L = c.int("encoder_layers", "num_hidden_layers", default=32)
    ffn = c.int("encoder_ffn_dim", "intermediate_size", default=5120)
    return d, L, ffn


def whisper_audio_encoder(c: Cfg, head: str) -> Tally:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for the Whisper-style audio encoder")
    d, L, ffn = _encoder_dims(c)
    mels = c.int("num_mel_bins", default=128)
    src = c.int("max_source_positions", default=1500)
    t = encoder_tally(L, d)
    t.add("other", linear(mels * 3, d) + linear(d * 3, d))  # conv1, conv2
    t.add("embeddings", src * d)  # frozen position table (a parameter without gradient)
    t.add("attention", L * (3 * linear(d, d) + d * d))  # k_proj without bias
    t.add("mlp", L * (linear(d, ffn) + linear(ffn, d)))
    t.add("norms", L * 4 * d + 2 * d)
    return t


def glmasr_encoder(c: Cfg, head: str) -> Tally:
    """GLM-ASR's encoder: Whisper's conv stem, then rotary GQA layers (q/v/o biased, k not), no position table."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for glmasr_encoder")
    d = positive("hidden_size", c.int("hidden_size", default=1280))
    L = c.int("num_hidden_layers", default=32)
    ffn = c.int("intermediate_size", default=5120)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=20))
    kv = c.int("num_key_value_heads", default=nh)
    hd = c.int("head_dim", default=d // nh)
    t = encoder_tally(L, d)
    t.add("other", linear(c.int("num_mel_bins", default=128) * 3, d) + linear(d * 3, d))
    t.add("attention", L * (linear(d, nh * hd) + d * kv * hd + linear(d, kv * hd) + linear(nh * hd, d)))
    t.add("mlp", L * (linear(d, ffn) + linear(ffn, d)))
    t.add("norms", L * 4 * d + 2 * d)
    return t


def _audio(c: Cfg, encoder_type: str) -> tuple[Tally, Cfg]:
    raw = c.data.get("audio_config")
    if raw is None:
        raise NotExact("audio_config is absent: its class defaults are not modelled")
    if not isinstance(raw, dict):
        raise ConfigProblem("audio_config is not an object")
    mt = raw.get("model_type") or encoder_type
    if mt != encoder_type:
        raise NotExact(f"audio model_type {mt!r} is not modelled")
    ac = Cfg(raw, "config.audio_config")
    encoder = glmasr_encoder if encoder_type == "glmasr_encoder" else whisper_audio_encoder
    return encoder(ac, "model"), ac


def _audio_lm(c: Cfg, head: str, *, kind: str) -> Tally:
    arch = architecture_of(c.data)
    if arch and not arch.endswith(("Model", "ForConditionalGeneration")):  # e.g. the bare *Encoder class
        raise NotExact(f"architectures[0]={arch!r} is not modelled for {kind}")
    if c.data.get("text_config") is None:
        raise NotExact("text_config is absent: its class defaults are not modelled")
    t, tc, th, V = _text(c, "qwen2" if kind not in ("voxtral", "glmasr") else "llama")
    audio, ac = _audio(c, f"{kind}_encoder")
    t.merge(audio)
    ad, _, affn = _encoder_dims(ac)
    if kind == "qwen2_audio":
        t.add("other", linear(ad, th))
    elif kind == "voxtral":  # four frames stacked: the projector reads intermediate_size features
        t.add("other", affn * th + th * th)
    elif kind == "glmasr":
        t.add("other", linear(affn, 2 * th) + linear(2 * th, th))
        return _finish(t, c, head, V, th, c.bool("tie_word_embeddings", default=True))  # GlmAsrConfig default
    else:
        bias = c.bool("projector_bias", default=True)
        t.add("other", linear(ad, th, bias) + linear(th, th, bias))
    # these classes declare no tied weights: transformers builds a separate lm_head whatever the config says
    return _finish(t, c, head, V, th, False)


register(
    "qwen2_audio_encoder", whisper_audio_encoder, "Qwen2AudioEncoder", classes={"Qwen2AudioEncoder": "model"}
)
register("voxtral_encoder", whisper_audio_encoder, "VoxtralEncoder", classes={"VoxtralEncoder": "model"})
register(
    "audioflamingo3_encoder",
    whisper_audio_encoder,
    "AudioFlamingo3Encoder",
    classes={"AudioFlamingo3Encoder": "model"},
)
register("glmasr_encoder", glmasr_encoder, "GlmAsrEncoder", classes={"GlmAsrEncoder": "model"})
for _kind, _prefix in (
    ("qwen2_audio", "Qwen2Audio"),
    ("voxtral", "Voxtral"),
    ("audioflamingo3", "AudioFlamingo3"),
    ("glmasr", "GlmAsr"),
):
    register(_kind, lambda c, h, k=_kind: _audio_lm(c, h, kind=k), _prefix, name=_kind)
