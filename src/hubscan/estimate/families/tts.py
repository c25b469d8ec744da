"""Text-to-speech and speech-translation models: Dia, CSM, Higgs Audio v2, Pocket-TTS, Gradium Phonon TTS,
VITS, Bark, CLVP, SpeechT5, SeamlessM4T (v1, v2) and FastSpeech2-Conformer (with its HiFi-GAN vocoder).

Each formula mirrors the module tree transformers builds for the model type's base class (and the head classes
registered with it); a head class not listed is ``unknown``.
"""

from __future__ import annotations

from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    KVLayer,
    NotExact,
    Tally,
    attention,
    claim_heads,
    gated_mlp,
    linear,
    positive,
)
from hubscan.estimate.families.registry import architecture_of, register


def _sub(c: Cfg, key: str) -> Cfg:
    """A nested sub-config; absent means the config class's defaults, which only an empty dict reproduces when
    every default is read from the formula's own defaults."""
    return c.sub(key, default={})


def _kv(c: Cfg, nh: int, key: str = "num_key_value_heads") -> int:
    kv = c.int(key, default=nh) or nh
    if nh % kv:
        raise ConfigProblem(f"{c.name}.{key}={kv} does not divide the attention heads ({nh})")
    return kv


# ----------------------------------------------------------------------------- Dia


def _dia_stack(c: Cfg, *, h: int, L: int, nh: int, kv: int, hd: int, inter: int) -> int:
    """Self-attention (no biases) and a fused gate/up SiLU MLP per layer."""
    return L * (attention(h, nh, kv, hd) + gated_mlp(h, inter))


def dia(c: Cfg, head: str) -> Tally:
    """Dia: a RMSNorm byte encoder and a multi-channel (one embedding table per codebook) decoder with
    cross-attention; the conditional-generation head projects to every channel's vocabulary."""
    claim_heads(head, "cond_gen", family="dia")
    e, d = _sub(c, "encoder_config"), _sub(c, "decoder_config")
    eh = positive("encoder hidden_size", e.int("hidden_size", default=1024))
    eL = e.int("num_hidden_layers", default=12)
    enh = positive("encoder num_attention_heads", e.int("num_attention_heads", default=16))
    t = Tally()
    t.embed(e.int("vocab_size", default=256) * eh)
    t.add(
        "attention",
        _dia_stack(
            e,
            h=eh,
            L=eL,
            nh=enh,
            kv=_kv(e, enh),
            hd=e.int("head_dim", default=128),
            inter=e.int("intermediate_size", default=4096),
        ),
    )
    t.add("norms", (2 * eL + 1) * eh)
    h = positive("decoder hidden_size", d.int("hidden_size", default=2048))
    L = d.int("num_hidden_layers", default=18)
    nh = positive("decoder num_attention_heads", d.int("num_attention_heads", default=16))
    kv = _kv(d, nh)
    hd = d.int("head_dim", default=128)
    V, C = d.int("vocab_size", default=1028), d.int("num_channels", default=9)
    t.add("embeddings", V * C * h)
    t.add(
        "attention",
        _dia_stack(d, h=h, L=L, nh=nh, kv=kv, hd=hd, inter=d.int("intermediate_size", default=8192)),
    )
    cnh = positive("cross_num_attention_heads", d.int("cross_num_attention_heads", default=16))
    ckv = _kv(d, cnh, "cross_num_key_value_heads")
    chd = d.int("cross_head_dim", default=128)
    ch = d.int("cross_hidden_size", default=1024)
    t.add(
        "attention",
        L * (linear(h, cnh * chd, False) + 2 * linear(ch, ckv * chd, False) + linear(cnh * chd, h, False)),
    )
    t.add("norms", (3 * L + 1) * h)
    if head == "cond_gen":
        t.add("heads", linear(h, C * V, False))
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * kv * hd, None, nh * hd))
    return t


register("dia", dia, "Dia")


# ----------------------------------------------------------------------------- shared pieces


def _llama_layers(c: Cfg, *, h: int, L: int, nh: int, kv: int, hd: int, inter: int, mlps: int = 1) -> int:
    """L Llama decoder layers (``attention_bias`` / ``mlp_bias``; two RMSNorms per MLP); ``mlps`` SwiGLU MLPs
    each with its own pair of norms (Higgs Audio's dual FFN has two)."""
    ab = c.bool("attention_bias", default=False)
    per = attention(h, nh, kv, hd, q_bias=ab, k_bias=ab, v_bias=ab, o_bias=ab)
    return L * (per + mlps * (gated_mlp(h, inter, c.bool("mlp_bias", default=False)) + 2 * h))


def _head_dim(c: Cfg, h: int, nh: int, *, absent: int | None = None) -> int:
    """``head_dim``: an explicit null means hidden_size / heads; an absent key the config class's default."""
    if "head_dim" not in c.data and absent is not None:
        return absent
    return positive(f"{c.name}.head_dim", c.int("head_dim", default=None) or h // nh)


def _decoder_kv(t: Tally, L: int, kv: int, hd: int, nh: int) -> None:
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * kv * hd, None, nh * hd))


def _auto_head(c: Cfg, head: str, base: str) -> str:
    """The head ``AutoModel`` builds: for these model types its mapping names the conditional-generation class,
    so only an explicit ``architectures`` entry naming the base class gives the bare model."""
    return "model" if head == "model" and architecture_of(c.data) == base else "cond_gen"


def _codec(c: Cfg, key: str, default_type: str) -> int:
    """Parameters of a nested audio codec (``AutoModel.from_config(config.<key>)``), counted by its own family."""
    from hubscan.estimate.families.registry import FAMILIES

    raw = c.data.get(key)
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigProblem(f"{c.name}.{key} is not an object")
    mt = raw.get("model_type", default_type)
    fam = FAMILIES.get(mt) if isinstance(mt, str) else None
    if fam is None:
        raise NotExact(f"{c.name}.{key} is a {mt!r} codec, which has no analytic formula")
    return fam.formula(Cfg(raw, f"{c.name}.{key}"), "model").total


# ----------------------------------------------------------------------------- CSM and Higgs Audio v2


def _csm_depth_decoder(d: Cfg, *, tied: bool, backbone_h: int, cb: int, V: int) -> int:
    """CSM's depth decoder (CsmDepthDecoderForCausalLM): codebook embedding (tied to the backbone's when
    ``tie_codebooks_embeddings``), a projector, Llama layers and a per-codebook head."""
    h = positive("depth hidden_size", d.int("hidden_size", default=1024))
    nh = positive("depth num_attention_heads", d.int("num_attention_heads", default=8))
    dcb = d.int("num_codebooks", default=32)
    dV = d.int("vocab_size", "codebook_size", default=2051)
    dbh = d.int("backbone_hidden_size", default=2048)
    n = linear(dbh, h, False) + h + (dcb - 1) * h * dV
    n += _llama_layers(
        d,
        h=h,
        L=d.int("num_hidden_layers", default=4),
        nh=nh,
        kv=_kv(d, nh),
        hd=_head_dim(d, h, nh),
        inter=d.int("intermediate_size", default=8192),
    )
    if not tied:
        return n + dcb * dV * dbh
    if (dcb, dV, dbh) != (cb, V, backbone_h):
        raise NotExact("tied codebook embeddings of different shapes are not modelled")
    return n


def csm(c: Cfg, head: str) -> Tally:
    """CSM (Sesame): a Llama backbone over summed codebook embeddings plus text embeddings, a Llama depth decoder
    for the remaining codebooks, and a Mimi codec (``codec_config``)."""
    claim_heads(head, "cond_gen", family="csm")  # AutoModel builds CsmForConditionalGeneration too
    h = positive("hidden_size", c.int("hidden_size", default=2048))
    L = c.int("num_hidden_layers", default=16)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=32))
    kv, hd = _kv(c, nh), _head_dim(c, h, nh)
    V, cb = c.int("vocab_size", "codebook_size", default=2051), c.int("num_codebooks", default=32)
    t = Tally()
    t.embed(c.int("text_vocab_size", default=128256) * h)
    t.add("embeddings", cb * V * h)
    t.add(
        "attention",
        _llama_layers(c, h=h, L=L, nh=nh, kv=kv, hd=hd, inter=c.int("intermediate_size", default=8192)),
    )
    t.add("norms", h)
    t.add("heads", linear(h, V, False))
    tied = c.bool("tie_codebooks_embeddings", default=True)
    t.add("other", _csm_depth_decoder(_sub(c, "depth_decoder_config"), tied=tied, backbone_h=h, cb=cb, V=V))
    t.add("other", _codec(c, "codec_config", "mimi"))
    _decoder_kv(t, L, kv, hd, nh)
    return t


def higgs_audio_v2(c: Cfg, head: str) -> Tally:
    """Higgs Audio v2: a Llama decoder whose layers carry a second (audio) SwiGLU MLP with its own norms, an
    audio-codebook embedding and, in the conditional-generation class, an audio LM head (no text head)."""
    claim_heads(head, "cond_gen", family="higgs_audio_v2")
    head = _auto_head(c, head, "HiggsAudioV2Model")
    h = positive("hidden_size", c.int("hidden_size", default=3072))
    L = c.int("num_hidden_layers", default=28)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=24))
    kv, hd = _kv(c, nh), _head_dim(c, h, nh, absent=128)
    audio = c.int("num_codebooks", default=8) * c.int("codebook_size", default=1024)
    t = Tally()
    t.embed(c.int("vocab_size", default=128256) * h)
    t.add("embeddings", audio * h)
    inter = c.int("intermediate_size", default=8192)
    t.add("attention", _llama_layers(c, h=h, L=L, nh=nh, kv=kv, hd=hd, inter=inter, mlps=2))
    t.add("norms", h)
    if head == "cond_gen":
        t.add("heads", linear(h, audio, False))
    _decoder_kv(t, L, kv, hd, nh)
    return t


register("csm", csm, "Csm")
register("higgs_audio_v2", higgs_audio_v2, "HiggsAudioV2")


# ----------------------------------------------------------------------------- Pocket-TTS, Gradium Phonon TTS


def _flow_head(f: Cfg, *, latent: int, cond: int) -> int:
    """The adaLN MLP flow head, the end-of-speech head's sibling modules and the training-only loss weighting
    (both built by the conditional-generation class)."""
    F = positive("flow_head_config.hidden_size", f.int("hidden_size", default=512))
    lat = f.int("latent_dim", default=latent)
    flow_type = f.str("flow_type", default="lsd")
    if flow_type not in ("lsd", "drifting"):
        raise ConfigProblem(f"flow_head_config.flow_type={flow_type!r} is not one of lsd, drifting")
    times = 2 if flow_type == "lsd" else 0
    freq = f.int("frequency_embedding_size", default=256)
    n = linear(lat, F) + linear(f.int("condition_dim", default=cond), F)
    n += times * (linear(freq, F) + linear(F, F) + F)
    n += f.int("num_hidden_layers", default=6) * (2 * F + 2 * linear(F, F) + linear(F, 3 * F))
    n += linear(F, 2 * F) + linear(F, lat)
    w = f.int("loss_weighting_hidden_size", default=32)
    sizes = [2] + [w] * f.int("loss_weighting_num_layers", default=3)
    return n + sum(linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False)) + linear(sizes[-1], 1)


def latent_tts(c: Cfg, head: str, *, phonon: bool) -> Tally:
    """Pocket-TTS / Gradium Phonon TTS: a pre-LN Transformer (LayerNorm, bias-free GELU MLP) over text tokens and
    continuous audio latents; the conditional-generation class adds the flow head and an end-of-speech head.
    Phonon adds speaker-count and duration conditioning."""
    kind = "gradium_phonon_tts" if phonon else "pocket_tts"
    claim_heads(head, "cond_gen", family=kind)
    h = positive("hidden_size", c.int("hidden_size", default=768 if phonon else 1024))
    L = c.int("num_hidden_layers", default=6)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=12 if phonon else 16))
    kv, hd = _kv(c, nh), _head_dim(c, h, nh)
    ab = c.bool("attention_bias", default=False)
    inter = c.int("intermediate_size", default=3072 if phonon else 4096)
    lat = c.int("latent_dim", default=32)
    t = Tally()
    t.embed(c.int("vocab_size", default=4001 if phonon else 4004) * h)
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=ab, k_bias=ab, v_bias=ab, o_bias=ab))
    t.add("mlp", L * 2 * linear(h, inter, False))
    t.add("norms", (2 * L + 1) * 2 * h)
    prompt = c.int("audio_prompt_dim", default=512) if phonon else lat
    t.add("other", linear(prompt, h, False) + linear(lat, h, False) + lat)
    if phonon:
        sd = c.int("num_speakers_embedding_dim", default=16)
        t.add("other", c.int("num_speakers_vocab_size", default=32) * sd + linear(sd, h, False))
        t.add("other", linear(c.int("duration_delta_embedding_dim", default=128), h, False))
    if head == "cond_gen":
        t.add("heads", _flow_head(_sub(c, "flow_head_config"), latent=lat, cond=h) + linear(h, 1))
    _decoder_kv(t, L, kv, hd, nh)
    return t


register("pocket_tts", lambda c, h: latent_tts(c, h, phonon=False), "PocketTTS", name="pocket_tts")
register(
    "gradium_phonon_tts",
    lambda c, h: latent_tts(c, h, phonon=True),
    "GradiumPhononTTS",
    name="gradium_phonon_tts",
)
