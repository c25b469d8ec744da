"""Text-to-speech and speech-translation models: Dia, CSM, Higgs Audio v2, Pocket-TTS, Gradium Phonon TTS,
VITS, Bark, CLVP, SpeechT5, SeamlessM4T (v1, v2) and FastSpeech2-Conformer (with its HiFi-GAN vocoder).

Each formula mirrors the module tree transformers builds for the model type's base class (and the head classes
registered with it); a head class not listed is ``unknown``.
"""

from __future__ import annotations

from hubscan.estimate.families.audio import WAV2VEC2, _feature_encoder, _positional_conv, _projection
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    KVLayer,
    NotExact,
    Tally,
    attention,
    claim_heads,
    encoder_tally,
    gated_mlp,
    linear,
    positive,
)
from hubscan.estimate.families.registry import FAMILIES, architecture_of, register


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


# ----------------------------------------------------------------------------- HiFi-GAN vocoders and VITS


def _conv(i: int, o: int, k: int = 1, *, bias: bool = True, groups: int = 1, wn: bool = False) -> int:
    """A Conv1d / ConvTranspose1d; weight norm (``wn``) adds one gain per output channel."""
    return o * (i // groups) * k + (o if bias else 0) + (o if wn else 0)


def _defaults(c: Cfg, rates: list[int], kernels: list[int]) -> Cfg:
    """The config with a vocoder class's own default upsampling rates / kernel sizes where it has none."""
    return Cfg({"upsample_rates": rates, "upsample_kernel_sizes": kernels, **c.data}, c.name)


def hifigan(c: Cfg, in_ch: int, *, post_bias: bool, cond: int = 0) -> int:
    """HiFi-GAN generator: conv_pre, transposed-conv upsamplers halving the channels, multi-receptive-field
    residual blocks (two convs per dilation) and conv_post (plain convs: weight norm is applied only on request)."""
    ch0 = c.int("upsample_initial_channel", default=512)
    rates = c.ints("upsample_rates", default=[8, 8, 2, 2])
    kernels = c.ints("upsample_kernel_sizes", default=[16, 16, 4, 4])
    rk = c.ints("resblock_kernel_sizes", default=[3, 7, 11])
    rd = c.list("resblock_dilation_sizes", default=[[1, 3, 5]] * 3)
    if not all(isinstance(d, list) for d in rd):
        raise ConfigProblem("resblock_dilation_sizes must be a list of lists")
    n = _conv(in_ch, ch0, 7) + (_conv(cond, ch0) if cond else 0)
    ch = ch0
    for i, k in enumerate(kernels[: len(rates)]):
        n += _conv(ch0 // 2**i, ch0 // 2 ** (i + 1), k)
        ch = ch0 // 2 ** (i + 1)
        n += sum(2 * len(d) * _conv(ch, ch, kk) for kk, d in zip(rk, rd, strict=False))
    return n + _conv(ch, 1, 7, bias=post_bias)


def _wavenet(c: Cfg, h: int, layers: int, speaker: int) -> int:
    """VITS WaveNet: weight-normed dilated convs to 2h and residual/skip 1x1 convs (the last one to h)."""
    k = c.int("wavenet_kernel_size", default=5)
    n = layers * _conv(h, 2 * h, k, wn=True) + max(layers - 1, 0) * _conv(h, 2 * h, wn=True)
    n += _conv(h, h, wn=True) if layers else 0
    return n + (_conv(speaker, 2 * h * layers, wn=True) if speaker else 0)


def _vits_dds(c: Cfg, h: int) -> int:
    """Dilated depth-separable conv stack: depthwise + pointwise convs and two LayerNorms per layer."""
    k = c.int("duration_predictor_kernel_size", default=3)
    return c.int("depth_separable_num_layers", default=3) * (_conv(h, h, k, groups=h) + _conv(h, h) + 4 * h)


def _vits_duration(c: Cfg, h: int, speaker: int) -> int:
    if not c.bool("use_stochastic_duration_prediction", default=True):
        f = c.int("duration_predictor_filter_channels", default=256)
        k = c.int("duration_predictor_kernel_size", default=3)
        return _conv(h, f, k) + _conv(f, f, k) + 4 * f + _conv(f, 1) + (_conv(speaker, h) if speaker else 0)
    dsc = c.int("depth_separable_channels", default=2)
    half, bins = dsc // 2, c.int("duration_predictor_flow_bins", default=10)
    flow = _conv(half, h) + _vits_dds(c, h) + _conv(h, half * (3 * bins - 1))
    flows = (
        2 * dsc + c.int("duration_predictor_num_flows", default=4) * flow
    )  # elementwise affine + conv flows
    pre = 2 * _conv(h, h) + _vits_dds(c, h)
    post = _conv(1, h) + _conv(h, h) + _vits_dds(c, h)
    return pre + post + 2 * flows + (_conv(speaker, h) if speaker else 0)


def vits(c: Cfg, head: str) -> Tally:
    """VITS / MMS-TTS: a relative-position Transformer text encoder with conv feed-forwards, residual coupling
    flows, a HiFi-GAN decoder, a (stochastic) duration predictor and the training-only posterior encoder."""
    claim_heads(head, family="vits")
    h = positive("hidden_size", c.int("hidden_size", default=192))
    L = c.int("num_hidden_layers", default=6)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=2))
    hd = h // nh
    if hd * nh != h:
        raise ConfigProblem(f"hidden_size={h} is not divisible by num_attention_heads={nh}")
    ffn, fk = c.int("ffn_dim", default=768), c.int("ffn_kernel_size", default=3)
    flow = c.int("flow_size", default=192)
    speaker = c.int("speaker_embedding_size", default=0)
    t = encoder_tally(L, h)
    t.embed(c.int("vocab_size", default=38) * h)
    w = c.int("window_size", default=4)
    t.add(
        "attention",
        L * (4 * linear(h, h, c.bool("use_bias", default=True)) + (2 * (2 * w + 1) * hd if w else 0)),
    )
    t.add("mlp", L * (_conv(h, ffn, fk) + _conv(ffn, h, fk)))
    t.add("norms", L * 4 * h)
    t.add("other", _conv(h, 2 * flow))  # text_encoder.project
    coupling = _conv(flow // 2, h) + _wavenet(
        c, h, c.int("prior_encoder_num_wavenet_layers", default=4), speaker
    )
    t.add("other", c.int("prior_encoder_num_flows", default=4) * (coupling + _conv(h, flow // 2)))
    t.add("other", hifigan(c, flow, post_bias=False, cond=speaker))
    t.add("other", _vits_duration(c, h, speaker))
    if c.int("num_speakers", default=1) > 1:
        t.add("embeddings", c.int("num_speakers") * speaker)
    posterior = _wavenet(c, h, c.int("posterior_encoder_num_wavenet_layers", default=16), speaker)
    t.add("other", _conv(c.int("spectrogram_bins", default=513), h) + posterior + _conv(h, 2 * flow))
    return t


register("vits", vits, "Vits")


# ----------------------------------------------------------------------------- FastSpeech2-Conformer


def _fs2_conformer(c: Cfg, h: int, side: str, defaults: tuple[int, int, int, int]) -> int:
    """One FastSpeech2 Conformer stack (encoder or decoder): relative-position attention, conv feed-forwards
    (a macaron pair when ``use_macaron_style_in_conformer``), a BatchNorm conv module and LayerNorms."""
    L = c.int(f"{side}_layers", default=defaults[0])
    nh = positive(f"{side}_num_attention_heads", c.int(f"{side}_num_attention_heads", default=defaults[1]))
    units = c.int(f"{side}_linear_units", default=defaults[2])
    k = c.int(f"{side}_kernel_size", default=defaults[3])
    pk = c.int("positionwise_conv_kernel_size", default=3)
    cb = c.bool("convolution_bias", default=True)
    ffn = _conv(h, units, pk) + _conv(units, h, pk)
    macaron = c.bool("use_macaron_style_in_conformer", default=True)
    cnn = c.bool("use_cnn_in_conformer", default=True)
    per = 4 * linear(h, h) + h * h + 2 * nh * (h // nh)  # q/k/v/out, linear_pos, pos_bias_u/v
    per += ffn * (2 if macaron else 1) + 2 * h * (2 + macaron)  # ff, self-attention (+ macaron) LayerNorms
    if cnn:
        per += _conv(h, 2 * h, bias=cb) + _conv(h, h, k, groups=h, bias=cb) + 2 * h + _conv(h, h, bias=cb)
        per += 2 * 2 * h  # conv_layer_norm, final_layer_norm
    if c.bool(f"{side}_concat_after", default=False):
        per += linear(2 * h, h)
    return L * per


def _fs2_predictor(c: Cfg, h: int, name: str, layers: int, kernel: int) -> int:
    """Duration / pitch / energy predictor: conv + LayerNorm layers and a Linear to one value."""
    n_layers = c.int(f"{name}_predictor_layers", default=layers)
    ch = c.int(f"{name}_predictor_channels", default=256)
    k = c.int(f"{name}_predictor_kernel_size", default=kernel)
    return sum(_conv(h if i == 0 else ch, ch, k) + 2 * ch for i in range(n_layers)) + linear(ch, 1)


def fastspeech2_conformer(c: Cfg, head: str) -> Tally:
    """FastSpeech2 with Conformer encoder and decoder, variance predictors and a BatchNorm conv postnet."""
    claim_heads(head, family="fastspeech2_conformer")
    h = positive("hidden_size", c.int("hidden_size", default=384))
    mel = c.int("num_mel_bins", default=80)
    t = encoder_tally(0, h)
    t.embed(c.int("vocab_size", default=78) * h)
    t.add("attention", _fs2_conformer(c, h, "encoder", (4, 2, 1536, 7)))
    t.add("attention", _fs2_conformer(c, h, "decoder", (4, 2, 1536, 31)))
    for name, layers, kernel in (("duration", 2, 3), ("pitch", 5, 5), ("energy", 2, 3)):
        t.add("other", _fs2_predictor(c, h, name, layers, kernel))
    for name in ("pitch", "energy"):
        t.add("other", _conv(1, h, c.int(f"{name}_embed_kernel_size", default=1)))
    for key in ("num_languages", "num_speakers"):
        n = c.int(key, default=None)
        if n is not None and n > 1:
            t.add("embeddings", n * h)
    spk = c.int("speaker_embed_dim", default=None)
    if spk:
        t.add("other", linear(h + spk, h))
    P = c.int("speech_decoder_postnet_layers", default=5)
    units, pk = (
        c.int("speech_decoder_postnet_units", default=256),
        c.int("speech_decoder_postnet_kernel", default=5),
    )
    post = sum(
        _conv(mel if i == 0 else units, mel if i == P - 1 else units, pk, bias=False)
        + 2 * (mel if i == P - 1 else units)
        for i in range(P)
    )
    t.add("other", linear(h, mel * c.int("reduction_factor", default=1)) + post)
    return t


def hifigan_vocoder(c: Cfg, head: str) -> Tally:
    """A standalone HiFi-GAN (FastSpeech2ConformerHifiGan or SpeechT5HifiGan: the same modules, different
    default upsampling; ``hifigan`` configs name their class in ``architectures``)."""
    claim_heads(head, family="hifigan")
    speecht5 = c.data.get("model_type") == "speecht5_hifigan" or architecture_of(c.data) == "SpeechT5HifiGan"
    rates, kernels = ([4] * 4, [8] * 4) if speecht5 else ([8, 8, 2, 2], [16, 16, 4, 4])
    t = encoder_tally(0, 0)
    t.add("other", hifigan(_defaults(c, rates, kernels), c.int("model_in_dim", default=80), post_bias=True))
    return t


def fastspeech2_with_hifigan(c: Cfg, head: str) -> Tally:
    claim_heads(head, family="fastspeech2_conformer_with_hifigan")
    t = fastspeech2_conformer(_sub(c, "model_config"), "model")
    t.merge(hifigan_vocoder(_sub(c, "vocoder_config"), "model"))
    return t


register(
    "fastspeech2_conformer",
    fastspeech2_conformer,
    "FastSpeech2Conformer",
    classes={"FastSpeech2ConformerModel": "model"},
)
register(
    ("fastspeech2_conformer_hifigan", "speecht5_hifigan", "hifigan"),
    hifigan_vocoder,
    "FastSpeech2ConformerHifiGan",
    "SpeechT5HifiGan",
    classes={"FastSpeech2ConformerHifiGan": "model", "SpeechT5HifiGan": "model"},
)
register(
    "fastspeech2_conformer_with_hifigan",
    fastspeech2_with_hifigan,
    "FastSpeech2ConformerWithHifiGan",
    classes={"FastSpeech2ConformerWithHifiGan": "model"},
)


# ----------------------------------------------------------------------------- SpeechT5


def _bn_postnet(c: Cfg, mel: int) -> int:
    """Tacotron-style postnet: bias-free convs with BatchNorm, from and back to the mel bins."""
    P = c.int("speech_decoder_postnet_layers", default=5)
    units, k = (
        c.int("speech_decoder_postnet_units", default=256),
        c.int("speech_decoder_postnet_kernel", default=5),
    )
    outs = [mel if i == P - 1 else units for i in range(P)]
    return sum(_conv(mel if i == 0 else units, o, k, bias=False) + 2 * o for i, o in enumerate(outs))


def _speecht5_speech_encoder(c: Cfg, t: Tally, h: int) -> None:
    """wav2vec 2.0's feature encoder, projection, (masked spectrogram embedding) and convolutional positions."""
    last = _feature_encoder(c, t, WAV2VEC2)
    _projection(c, t, WAV2VEC2, last, h)
    if c.num("mask_time_prob", default=0.05) > 0 or c.num("mask_feature_prob", default=0.0) > 0:
        t.add("embeddings", h)
    _positional_conv(c, t, WAV2VEC2, h)


def speecht5(c: Cfg, head: str) -> Tally:
    """SpeechT5: a shared encoder-decoder (relative position bias in the encoder) with text / speech pre-nets and
    post-nets chosen by the head class: speech-to-text, text-to-speech, speech-to-speech, or none (SpeechT5Model)."""
    claim_heads(head, "s2t", "tts", "s2s", family="speecht5")
    h = positive("hidden_size", c.int("hidden_size", default=768))
    el, dl = c.int("encoder_layers", default=12), c.int("decoder_layers", default=6)
    enh = positive("encoder_attention_heads", c.int("encoder_attention_heads", default=12))
    dnh = positive("decoder_attention_heads", c.int("decoder_attention_heads", default=12))
    ef, df = c.int("encoder_ffn_dim", default=3072), c.int("decoder_ffn_dim", default=3072)
    V, mel = c.int("vocab_size", default=81), c.int("num_mel_bins", default=80)
    t = Tally()
    t.add("attention", (4 * el + 8 * dl) * linear(h, h))
    t.add("mlp", el * (linear(h, ef) + linear(ef, h)) + dl * (linear(h, df) + linear(df, h)))
    t.add("norms", (2 * el + 1 + 3 * dl) * 2 * h)
    t.add("attention", 2 * c.int("encoder_max_relative_position", default=160) * (h // enh))
    if head in ("s2t", "s2s"):
        _speecht5_speech_encoder(c, t, h)
    if head == "tts":
        t.embed(V * h + 1)  # token embedding and the scaled positional encoding's alpha
    if head == "s2t":
        t.add("embeddings", V * h)
        if not c.bool("tie_word_embeddings", default=True):
            t.add("heads", V * h)
    if head in ("tts", "s2s"):
        units, n = (
            c.int("speech_decoder_prenet_units", default=256),
            c.int("speech_decoder_prenet_layers", default=2),
        )
        pre = sum(linear(mel if i == 0 else units, units) for i in range(n)) + linear(units, h) + 1
        pre += linear(c.int("speaker_embedding_dim", default=512) + h, h)
        rf = c.int("reduction_factor", default=2)
        t.add("other", pre + linear(h, mel * rf) + linear(h, rf) + _bn_postnet(c, mel))
    _decoder_kv(t, dl, dnh, h // dnh, dnh)
    return t


register(
    "speecht5",
    speecht5,
    "SpeechT5",
    classes={
        "SpeechT5ForSpeechToText": "s2t",
        "SpeechT5ForTextToSpeech": "tts",
        "SpeechT5ForSpeechToSpeech": "s2s",
    },
)


# ----------------------------------------------------------------------------- Bark


def _bark_stack(s: Cfg, *, causal: bool) -> tuple[int, int]:
    """(parameters without the token embeddings and heads, hidden size) of one Bark GPT: learned positions, fused
    qkv attention, a 4h MLP, LayerNorms (bias-free in the causal models when ``bias`` is false)."""
    h = positive(f"{s.name}.hidden_size", s.int("hidden_size", default=768))
    L = s.int("num_layers", default=12)
    bias = s.bool("bias", default=True)
    norm = 2 * h if bias or not causal else h
    per = (
        linear(h, 3 * h, bias)
        + linear(h, h, bias)
        + linear(h, 4 * h, bias)
        + linear(4 * h, h, bias)
        + 2 * norm
    )
    return s.int("block_size", default=1024) * h + L * per + (norm if causal else 2 * h), h


def bark(c: Cfg, head: str) -> Tally:
    """Bark: semantic and coarse causal GPTs, a non-causal fine GPT with one embedding per codebook (its heads
    tied to embeddings 1..), and an EnCodec codec (``codec_config``)."""
    claim_heads(head, family="bark")
    t = Tally()
    for key in ("semantic_config", "coarse_acoustics_config"):
        s = _sub(c, key)
        n, h = _bark_stack(s, causal=True)
        t.add("attention", n)
        t.add("embeddings", s.int("input_vocab_size", default=10048) * h)
        t.add("heads", linear(h, s.int("output_vocab_size", default=10048), False))
    f = _sub(c, "fine_acoustics_config")
    n, h = _bark_stack(f, causal=False)
    t.add("attention", n)
    total, given = f.int("n_codes_total", default=8), f.int("n_codes_given", default=1)
    vin, vout = f.int("input_vocab_size", default=10048), f.int("output_vocab_size", default=10048)
    t.add("embeddings", total * vin * h)
    if not f.bool("tie_word_embeddings", default=True):
        t.add("heads", (total - given) * h * vout)
    elif vin != vout:
        raise NotExact(
            "tied fine-acoustics heads with input_vocab_size != output_vocab_size are not modelled"
        )
    t.add("other", _codec(c, "codec_config", "encodec"))
    return t


register("bark", bark, "Bark")


# ----------------------------------------------------------------------------- CLVP


def _clvp_attention(s: Cfg, h: int, *, bias_default: bool) -> int:
    """q/k/v projections with ``use_attention_bias``; the output projection always has a bias."""
    return 3 * linear(h, h, s.bool("use_attention_bias", default=bias_default)) + linear(h, h)


def clvp_encoder(s: Cfg, head: str = "model") -> Tally:
    """CLVP text / speech encoder: RMSNorm layers with a GLU MLP, a final LayerNorm and a bias-free projection."""
    claim_heads(head, family="clvp_encoder")
    if s.bool("summary_use_proj", default=False):
        raise NotExact("a CLVP encoder with summary_use_proj is not modelled")
    h = positive(f"{s.name}.hidden_size", s.int("hidden_size", default=768))
    L, inter = s.int("num_hidden_layers", default=20), s.int("intermediate_size", default=1536)
    t = encoder_tally(L, h)
    t.embed(s.int("vocab_size", default=256) * h)
    t.add("attention", L * _clvp_attention(s, h, bias_default=False))
    t.add("mlp", L * (linear(h, 2 * inter) + linear(inter, h)))
    t.add("norms", L * 2 * h + 2 * h)
    t.add("heads", linear(h, s.int("projection_dim", default=768), False))
    return t


def _clvp_decoder(d: Cfg, head: str) -> Tally:
    """CLVP speech decoder (GPT-2 style with learned positions); ClvpForCausalLM adds a LayerNorm and a biased head."""
    h = positive(f"{d.name}.hidden_size", d.int("hidden_size", default=1024))
    L = d.int("num_hidden_layers", default=30)
    nh = positive(f"{d.name}.num_attention_heads", d.int("num_attention_heads", default=16))
    inner = d.int("n_inner", default=None) or 4 * h
    V = d.int("vocab_size", default=8194)
    t = Tally()
    t.embed(V * h)
    t.add("embeddings", d.int("max_position_embeddings", default=608) * h)
    t.add("attention", L * _clvp_attention(d, h, bias_default=True))
    t.add("mlp", L * (linear(h, inner) + linear(inner, h)))
    t.add("norms", L * 4 * h + 2 * h)
    if head == "causal_lm":
        t.add("heads", 2 * h + linear(h, V))
    _decoder_kv(t, L, nh, h // nh, nh)
    return t


def clvp_decoder(c: Cfg, head: str) -> Tally:
    claim_heads(head, "causal_lm", family="clvp_decoder")
    return _clvp_decoder(c, head)


def clvp(c: Cfg, head: str) -> Tally:
    """CLVP (Tortoise): a conditioning encoder (text embeddings, mel conv, GroupNorm + attention blocks), the speech
    decoder with its LM head, text and speech encoders, and the CLIP-style logit scale."""
    claim_heads(head, "cond_gen", family="clvp")  # AutoModel builds ClvpModelForConditionalGeneration
    d, tc = _sub(c, "decoder_config"), _sub(c, "text_config")
    t = _clvp_decoder(d, "causal_lm")
    h = positive("decoder_config.hidden_size", d.int("hidden_size", default=1024))
    blocks = d.int("num_mel_attn_blocks", default=6)
    cond = (tc.int("vocab_size", default=256) + d.int("max_text_tokens", default=404)) * h
    cond += _conv(d.int("feature_size", default=80), h) + blocks * (
        2 * h + _clvp_attention(d, h, bias_default=True)
    )
    t.add("other", cond)
    t.merge(clvp_encoder(tc))
    t.merge(clvp_encoder(_sub(c, "speech_config")))
    t.add("other", 1)  # logit_scale
    return t


register("clvp", clvp, "Clvp", classes={"ClvpModelForConditionalGeneration": "cond_gen"})
register("clvp_decoder", clvp_decoder, "Clvp", classes={"ClvpModel": "model", "ClvpForCausalLM": "causal_lm"})
register("clvp_encoder", clvp_encoder, "ClvpEncoder", classes={"ClvpEncoder": "model"})


# ----------------------------------------------------------------------------- SeamlessM4T (v1, v2)

_M4T_PARTS = {  # head kind -> (text encoder, speech encoder, text-to-unit model + vocoder)
    "model": (True, True, True),
    "t2t": (True, False, False),
    "s2t": (False, True, False),
    "t2s": (True, False, True),
    "s2s": (False, True, True),
}


def _ffn(h: int, inter: int) -> int:
    return linear(h, inter) + linear(inter, h)


def _m4t_speech_encoder(c: Cfg, h: int, *, v2: bool) -> int:
    """Feature projection, Conformer layers (relative / relative_key / rotary attention, a bias-free conv module
    with BatchNorm (v1) or LayerNorm (v2)), an intermediate FFN, the strided-conv adapter and a LayerNorm."""
    fin = c.int("feature_projection_input_dim", default=160)
    inter = c.int("speech_encoder_intermediate_size", default=4096)
    nh = positive("speech_encoder_attention_heads", c.int("speech_encoder_attention_heads", default=16))
    hd = h // nh
    L = c.int("speech_encoder_layers", default=24)
    k = c.int("conv_depthwise_kernel_size", default=31)
    pos = c.data.get("position_embeddings_type", "relative_key" if v2 else "relative")
    attn = 4 * linear(h, h)
    if pos == "relative" and not v2:
        attn += h * h + 2 * nh * hd  # linear_pos, pos_bias_u / pos_bias_v
    elif pos == "relative_key" and v2:
        attn += (
            c.int("left_max_position_embeddings", default=64)
            + c.int("right_max_position_embeddings", default=8)
            + 1
        ) * hd
    elif pos not in ("rotary", None):
        raise NotExact(f"position_embeddings_type={pos!r} is not modelled")
    conv = 2 * h + 2 * h * h + h * k + 2 * h + h * h
    layer = 2 * _ffn(h, inter) + attn + conv + 4 * 2 * h  # ffn1/ffn2, attention, final LayerNorms
    n = 2 * fin + linear(fin, h) + L * layer + 2 * h + _ffn(h, inter) + 2 * h  # + encoder / inner LayerNorms
    if c.bool("add_adapter", default=True):
        ak = c.int("adaptor_kernel_size", default=8)
        adapter = 3 * 2 * h + 2 * _conv(h, 2 * h, ak) + 4 * linear(h, h) + _ffn(h, inter)
        n += c.int("num_adapter_layers", default=1) * adapter
    return n


def _m4t_encoder(c: Cfg, h: int, prefix: str, layers: int) -> int:
    """Text (or text-to-unit) encoder layers: biased attention, ReLU FFN, two LayerNorms; a final LayerNorm."""
    L, ffn = c.int(f"{prefix}encoder_layers", default=layers), c.int(f"{prefix}encoder_ffn_dim", default=8192)
    return L * (4 * linear(h, h) + _ffn(h, ffn) + 4 * h) + 2 * h


def _m4t_decoder(c: Cfg, h: int, prefix: str, layers: int, *, conv: bool = False) -> int:
    """Text decoder layers (self- and cross-attention, FFN, three LayerNorms) and a final LayerNorm; v2's
    text-to-unit decoder (``conv``) has two kernel-7 convs instead of cross-attention and FFN."""
    L, ffn = c.int(f"{prefix}decoder_layers", default=layers), c.int(f"{prefix}decoder_ffn_dim", default=8192)
    if conv:
        return L * (4 * linear(h, h) + 2 * _conv(h, h, 7) + 4 * h) + 2 * h
    return L * (8 * linear(h, h) + _ffn(h, ffn) + 6 * h) + 2 * h


def _variance_predictor(embed: int, hidden: int, k: int) -> int:
    return _conv(embed, hidden, k) + _conv(hidden, hidden, k) + 4 * hidden + linear(hidden, 1)


def _m4t_unit_vocoder(c: Cfg, h: int, *, v2: bool, tied: bool) -> int:
    """The text-to-unit encoder-decoder (its token embedding and LM head, v2's character embedding and duration
    predictor) and the unit HiFi-GAN vocoder (unit / speaker / language embeddings, duration predictor)."""
    tV = c.int("t2u_vocab_size", default=10082)
    n = _m4t_encoder(c, h, "t2u_", 6) + _m4t_decoder(c, h, "t2u_", 6, conv=v2) + tV * h * (1 if tied else 2)
    if v2:
        n += c.int("char_vocab_size", default=10943) * h + 2
        n += _variance_predictor(
            c.int("t2u_variance_predictor_embed_dim", default=1024),
            c.int("t2u_variance_predictor_hidden_dim", default=256),
            c.int("t2u_variance_predictor_kernel_size", default=3),
        )
    ue, le, se = (
        c.int(k, default=d)
        for k, d in (("unit_embed_dim", 1280), ("lang_embed_dim", 256), ("spkr_embed_dim", 256))
    )
    n += _variance_predictor(ue, ue, c.int("variance_predictor_kernel_size", default=3))
    n += c.int("unit_hifi_gan_vocab_size", default=10000) * ue
    n += c.int("vocoder_num_spkrs", default=200) * se + c.int("vocoder_num_langs", default=36) * le
    vc = _defaults(c, [5, 4, 4, 2, 2], [11, 8, 8, 4, 4])
    return n + hifigan(vc, ue + le + se, post_bias=True)


def seamless_m4t(c: Cfg, head: str, *, v2: bool) -> Tally:
    """SeamlessM4T: shared token embedding, text encoder, Conformer speech encoder, text decoder and LM head, a
    text-to-unit model and a unit HiFi-GAN; each task class builds a subset (``_M4T_PARTS``)."""
    claim_heads(head, *_M4T_PARTS, family="seamless_m4t_v2" if v2 else "seamless_m4t")
    text_enc, speech_enc, speech_out = _M4T_PARTS[head]
    h = positive("hidden_size", c.int("hidden_size", default=1024))
    V = c.int("vocab_size", default=256102)
    tied = c.bool("tie_word_embeddings", default=True)
    t = Tally()
    t.embed(V * h)
    if not tied:  # text encoder / decoder embeddings and the LM head, each its own matrix
        t.add("heads", (3 if text_enc else 2) * V * h)
    t.add("attention", (_m4t_encoder(c, h, "", 24) if text_enc else 0) + _m4t_decoder(c, h, "", 24))
    if speech_enc:
        t.add("other", _m4t_speech_encoder(c, h, v2=v2))
    if speech_out:
        t.add("other", _m4t_unit_vocoder(c, h, v2=v2, tied=tied))
    dnh = positive("decoder_attention_heads", c.int("decoder_attention_heads", default=16))
    _decoder_kv(t, c.int("decoder_layers", default=24), dnh, h // dnh, dnh)
    return t


for _v2, _mt, _p in ((False, "seamless_m4t", "SeamlessM4T"), (True, "seamless_m4t_v2", "SeamlessM4Tv2")):
    register(
        _mt,
        lambda c, h, v2=_v2: seamless_m4t(c, h, v2=v2),
        _p,
        name=_mt,
        classes={
            f"{_p}ForTextToText": "t2t",
            f"{_p}ForSpeechToText": "s2t",
            f"{_p}ForTextToSpeech": "t2s",
            f"{_p}ForSpeechToSpeech": "s2s",
        },
    )
