"""Speech encoders on raw waveforms: wav2vec 2.0, HuBERT and their derivatives (UniSpeech(-SAT), WavLM,
data2vec-audio, SEW, wav2vec2-conformer), each described by a :class:`SpeechShape`.

A convolutional feature encoder, a feature projection, a grouped convolutional position embedding (weight-norm
parametrised: the weight ``v`` plus one ``g`` per kernel tap), and a BERT-sized Transformer encoder (post-LN, or
pre-LN with ``do_stable_layer_norm``). Non-autoregressive: no KV cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    divide,
    encoder_tally,
    linear,
    positive,
)
from hubscan.estimate.families.registry import architecture_of, register

_CONV_DIM = [512] * 7
_CONV_KERNEL = [10, 3, 3, 3, 3, 2, 2]
_CONV_STRIDE = [5, 2, 2, 2, 2, 2, 2]


def _weighted(c: Cfg, L: int) -> int:
    return L + 1 if c.bool("use_weighted_layer_sum", default=False) else 0


_ALL_HEADS = ("model", "ctc", "seq_cls", "audio_frame_cls", "xvector", "pretraining")


@dataclass(frozen=True)
class SpeechShape:
    """How one wav2vec2-derived family differs from wav2vec 2.0 (module tree read from transformers)."""

    pos_conv: str = "weight_norm"  # weight_norm | hubert (optional BatchNorm) | stack (data2vec: conv layers)
    masked_spec_always: bool = False  # masked_spec_embed built whatever the masking probabilities
    conv_layer_norm: bool = (
        False  # every feature-encoder conv layer has a LayerNorm (feat_extract_norm ignored)
    )
    projection: str = (
        "norm"  # norm: LayerNorm + Linear | hubert: optional LayerNorm | sew: Linear iff widths differ
    )
    adapter: bool = True  # add_adapter builds the output adapter
    adapter_attn: bool = False  # adapter_attn_dim adds per-layer adapters (stable-layer-norm layers)
    layer: str = "transformer"  # transformer | wavlm (gated relative position bias) | conformer
    upsample: bool = False  # SEW: squeeze / upsample around the encoder
    heads: tuple[str, ...] = _ALL_HEADS


WAV2VEC2 = SpeechShape(adapter_attn=True)
SHAPES = {
    "wav2vec2": WAV2VEC2,
    "hubert": SpeechShape(
        pos_conv="hubert", projection="hubert", adapter=False, adapter_attn=True, heads=_ALL_HEADS[:3]
    ),
    "unispeech": SpeechShape(adapter=False, adapter_attn=True, heads=_ALL_HEADS[:3]),
    "unispeech-sat": SpeechShape(
        masked_spec_always=True, adapter=False, adapter_attn=True, heads=_ALL_HEADS[:5]
    ),
    "wavlm": SpeechShape(layer="wavlm", heads=_ALL_HEADS[:5]),
    "data2vec-audio": SpeechShape(pos_conv="stack", conv_layer_norm=True, heads=_ALL_HEADS[:5]),
    "sew": SpeechShape(projection="sew", adapter=False, upsample=True, heads=_ALL_HEADS[:3]),
    "wav2vec2-conformer": SpeechShape(layer="conformer"),
    "wav2vec2-bert": SpeechShape(heads=_ALL_HEADS[:5]),  # heads only: counted by wav2vec2_bert()
}


def _feature_encoder(c: Cfg, t: Tally, shape: SpeechShape) -> int:
    """Conv1d stack on the waveform; GroupNorm on the first layer ("group") or LayerNorm on every layer."""
    conv_dim = c.ints("conv_dim", default=_CONV_DIM)
    kernels = c.ints("conv_kernel", default=_CONV_KERNEL)
    strides = c.ints("conv_stride", default=_CONV_STRIDE)
    if not conv_dim or not (len(conv_dim) == len(kernels) == len(strides)):
        raise ConfigProblem("conv_dim, conv_kernel and conv_stride must have the same (non-zero) length")
    conv_bias = c.bool("conv_bias", default=False)
    norm = "layer" if shape.conv_layer_norm else c.str("feat_extract_norm", default="group")
    if norm not in ("group", "layer"):
        raise ConfigProblem(f"feat_extract_norm={norm!r} is not one of group, layer")
    prev = 1
    for i, (d, k) in enumerate(zip(conv_dim, kernels, strict=True)):
        t.add("other", prev * d * k + (d if conv_bias else 0))
        if norm == "layer" or i == 0:
            t.add("norms", 2 * d)
        prev = d
    return conv_dim[-1]


def _projection(c: Cfg, t: Tally, shape: SpeechShape, last: int, h: int) -> None:
    if shape.projection != "hubert" or c.bool("feat_proj_layer_norm", default=True):
        t.add("norms", 2 * last)
    if shape.projection != "sew" or last != h:
        t.add("other", linear(last, h))


def _positional_conv(c: Cfg, t: Tally, shape: SpeechShape, h: int) -> None:
    """Grouped convolutional position embedding (weight-norm ``g`` has one entry per kernel tap)."""
    K = c.int("num_conv_pos_embeddings", default=128)
    G = c.int("num_conv_pos_embedding_groups", default=16)
    per_group = divide("hidden_size / num_conv_pos_embedding_groups", h, G)
    if shape.pos_conv == "stack":  # K conv layers of kernel conv_pos_kernel_size, LayerNorm without affine
        k = c.int("conv_pos_kernel_size", default=19)
        t.add("embeddings", K * (h * per_group * k + h))
        return
    conv = h * per_group * K + h
    if shape.pos_conv == "hubert" and c.bool("conv_pos_batch_norm", default=False):
        conv += 2 * h  # BatchNorm1d instead of weight norm
    else:
        conv += K  # weight_g of weight norm over dim 2
    t.add("embeddings", conv)


def _layers(c: Cfg, t: Tally, shape: SpeechShape, h: int, L: int, inter: int) -> None:
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=12))
    ffn = linear(h, inter) + linear(inter, h)
    if shape.layer == "conformer":
        _conformer_blocks(c, t, L, h, inter, nh, default_pos="relative")
        return
    t.add("attention", L * 4 * linear(h, h))
    t.add("mlp", L * ffn)
    t.add("norms", L * 4 * h)
    if shape.layer == "wavlm":
        hd = divide("hidden_size / num_attention_heads", h, nh)
        t.add("attention", L * (nh + linear(hd, 8)) + c.int("num_buckets", default=320) * nh)
    adapter_dim = c.int("adapter_attn_dim", default=None)
    if shape.adapter_attn and adapter_dim is not None and c.bool("do_stable_layer_norm", default=False):
        t.add("other", L * (2 * h + linear(h, adapter_dim) + linear(adapter_dim, h)))


def _conformer_blocks(c: Cfg, t: Tally, L: int, h: int, inter: int, nh: int, *, default_pos: str) -> None:
    """Conformer blocks: two feed-forwards, self-attention (relative / relative_key / rotary), a convolution
    module (LayerNorm, pointwise to 2h, depthwise, BatchNorm or LayerNorm, pointwise; convs without bias)."""
    t.add("attention", L * 4 * linear(h, h))
    t.add("mlp", L * 2 * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * 2 * h)
    k = c.int("conv_depthwise_kernel_size", default=31)
    t.add("other", L * (2 * h + 2 * h * h + h * k + 2 * h + h * h))
    # an explicit null means no position embedding; an absent key the config class default
    pos = c.data.get("position_embeddings_type", default_pos)
    hd = h // nh
    if pos == "relative":
        t.add("attention", L * (h * h + 2 * nh * hd))  # linear_pos, pos_bias_u / pos_bias_v
    elif pos == "relative_key" and default_pos == "relative_key":  # wav2vec2-bert's distance embedding
        left = c.int("left_max_position_embeddings", default=64)
        right = c.int("right_max_position_embeddings", default=8)
        t.add("attention", L * (left + right + 1) * hd)
    elif pos not in ("rotary", None):
        raise NotExact(f"position_embeddings_type={pos!r} is not modelled")


def _adapter(c: Cfg, t: Tally, shape: SpeechShape, h: int) -> int:
    if not c.bool("add_adapter", default=False):
        return h
    if not shape.adapter:
        raise NotExact("add_adapter is not modelled for this family (its base model builds no adapter)")
    out_h = c.int("output_hidden_size", default=None) or h
    if out_h != h:
        t.add("other", linear(h, out_h) + 2 * out_h)
    n = c.int("num_adapter_layers", default=3)
    k = c.int("adapter_kernel_size", default=3)
    t.add("other", n * (out_h * 2 * out_h * k + 2 * out_h))
    return out_h


def speech_encoder(c: Cfg, head: str, *, kind: str) -> Tally:
    shape = SHAPES[kind]
    h = positive("hidden_size", c.int("hidden_size", default=768))
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=3072)
    t = encoder_tally(L, h)
    last = _feature_encoder(c, t, shape)
    _projection(c, t, shape, last, h)
    if (
        shape.masked_spec_always
        or c.num("mask_time_prob", default=0.05) > 0
        or c.num("mask_feature_prob", default=0.0) > 0
    ):
        t.add("embeddings", h)  # masked_spec_embed
    _positional_conv(c, t, shape, h)
    t.add("norms", 2 * h)  # encoder layer_norm
    _layers(c, t, shape, h, L, inter)
    if shape.upsample:
        t.add("other", linear(h, h * c.int("squeeze_factor", default=2)))
    out_h = _adapter(c, t, shape, h)
    _speech_head(c, t, head, kind, h=h, L=L, out_h=out_h, last=last)
    return t


def _speech_head(c: Cfg, t: Tally, head: str, kind: str, *, h: int, L: int, out_h: int, last: int) -> None:
    """Output heads of wav2vec2 / HuBERT: CTC, sequence / frame classification, x-vector, pre-training."""
    if head not in SHAPES[kind].heads:
        raise NotExact(f"output head '{head}' is not modelled for {kind}")
    add_adapter = c.bool("add_adapter", default=False)
    labels = None if head in ("model", "ctc", "pretraining") else c.num_labels()
    if head == "model":
        pass
    elif head == "ctc":
        if "vocab_size" in c.data and c.data["vocab_size"] is None:
            raise ConfigProblem("vocab_size is null: transformers cannot build the CTC head")
        t.add("heads", linear(out_h, c.int("vocab_size", default=32)))
    elif head == "seq_cls":
        if add_adapter:
            raise ConfigProblem("sequence classification does not support add_adapter=True")
        proj = c.int("classifier_proj_size", default=256)
        t.add("heads", _weighted(c, L) + linear(h, proj) + linear(proj, labels))
    elif head == "audio_frame_cls":
        if add_adapter:
            raise ConfigProblem("audio frame classification does not support add_adapter=True")
        t.add("heads", _weighted(c, L) + linear(h, labels))
    elif head == "xvector":
        tdnn = c.ints("tdnn_dim", default=[512, 512, 512, 512, 1500])
        tk = c.ints("tdnn_kernel", default=[5, 3, 3, 1, 1])
        if not tdnn or len(tk) < len(tdnn):
            raise ConfigProblem("tdnn_kernel must have an entry per tdnn_dim")
        xd = c.int("xvector_output_dim", default=512)
        n = _weighted(c, L) + linear(h, tdnn[0])
        for i, d in enumerate(tdnn):
            n += linear((tdnn[i - 1] if i else tdnn[0]) * tk[i], d)
        n += linear(tdnn[-1] * 2, xd) + linear(xd, xd) + xd * labels
        t.add("heads", n)
    elif head == "pretraining":
        groups = c.int("num_codevector_groups", default=2)
        per = c.int("num_codevectors_per_group", default=320)
        cd = c.int("codevector_dim", default=256)
        pcd = c.int("proj_codevector_dim", default=256)
        t.add(
            "heads",
            groups * per * divide("codevector_dim / num_codevector_groups", cd, groups)
            + linear(last, groups * per)
            + linear(h, pcd)
            + linear(cd, pcd),
        )
    else:
        raise NotExact(f"output head '{head}' is not modelled for {kind}")


def wav2vec2(c: Cfg, head: str) -> Tally:
    return speech_encoder(c, head, kind="wav2vec2")


def hubert(c: Cfg, head: str) -> Tally:
    return speech_encoder(c, head, kind="hubert")


register("wav2vec2", wav2vec2, "Wav2Vec2")
register("hubert", hubert, "Hubert")
for _kind, _prefix in (
    ("unispeech", "UniSpeech"),
    ("unispeech-sat", "UniSpeechSat"),
    ("wavlm", "WavLM"),
    ("data2vec-audio", "Data2VecAudio"),
    ("sew", "SEW"),
    ("wav2vec2-conformer", "Wav2Vec2Conformer"),
):
    register(_kind, lambda c, h, k=_kind: speech_encoder(c, h, kind=k), _prefix, name=_kind)


def _bert_adapter(c: Cfg, t: Tally, h: int, inter: int) -> int:
    """Wav2Vec2-BERT adapter layers: strided residual and attention convolutions, attention, feed-forward."""
    o = c.int("output_hidden_size", default=None) or h
    if o != h:
        t.add("other", linear(h, o) + 2 * o)
    n = c.int("num_adapter_layers", default=1)
    k = c.int("adapter_kernel_size", default=3)
    conv = o * 2 * o * k + 2 * o
    t.add("other", n * (3 * 2 * o + 2 * conv + 4 * linear(o, o) + linear(o, inter) + linear(inter, o)))
    return o


def wav2vec2_bert(c: Cfg, head: str) -> Tally:
    """Wav2Vec2-BERT: a feature projection of precomputed features into conformer blocks (no conv encoder)."""
    h = positive("hidden_size", c.int("hidden_size", default=1024))
    L = c.int("num_hidden_layers", default=24)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=16))
    inter = c.int("intermediate_size", default=4096)
    fin = c.int("feature_projection_input_dim", default=160)
    t = encoder_tally(L, h)
    t.add("other", 2 * fin + linear(fin, h))
    if c.num("mask_time_prob", default=0.05) > 0 or c.num("mask_feature_prob", default=0.0) > 0:
        t.add("embeddings", h)  # masked_spec_embed
    _conformer_blocks(c, t, L, h, inter, nh, default_pos="relative_key")
    if c.bool("use_intermediate_ffn_before_adapter", default=False):
        t.add("mlp", linear(h, inter) + linear(inter, h))
    out_h = _bert_adapter(c, t, h, inter) if c.bool("add_adapter", default=False) else h
    _speech_head(c, t, head, "wav2vec2-bert", h=h, L=L, out_h=out_h, last=fin)
    return t


def audio_spectrogram_transformer(c: Cfg, head: str) -> Tally:
    """AST: a ViT over the mel spectrogram (one input channel, overlapping patches), class + distillation tokens."""
    h = positive("hidden_size", c.int("hidden_size", default=768))
    L = c.int("num_hidden_layers", default=12)
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=12))
    inter = c.int("intermediate_size", default=3072)
    p = c.raw("patch_size", default=16)
    if isinstance(p, bool) or not isinstance(p, int):
        raise NotExact("a non-integer AST patch_size is not modelled")
    p = positive("patch_size", p)
    fs = positive("frequency_stride", c.int("frequency_stride", default=10))
    ts = positive("time_stride", c.int("time_stride", default=10))
    freq = (c.int("num_mel_bins", default=128) - p) // fs + 1
    time = (c.int("max_length", default=1024) - p) // ts + 1
    if freq <= 0 or time <= 0:
        raise ConfigProblem("num_mel_bins and max_length must be at least patch_size")
    hd = c.int("head_dim", default=h // nh)
    qkv = c.bool("qkv_bias", default=True)
    t = encoder_tally(L, h)
    t.add(
        "embeddings", linear(p * p, h) + (freq * time + 2) * h + 2 * h
    )  # patch conv, positions, cls/dist tokens
    t.add("attention", L * (3 * linear(h, nh * hd, qkv) + linear(nh * hd, h)))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h + 2 * h)
    if head == "audio_cls":
        labels = c.num_labels()
        t.add("heads", 2 * h + (linear(h, labels) if labels > 0 else 0))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for audio-spectrogram-transformer")
    return t


register("wav2vec2-bert", wav2vec2_bert, "Wav2Vec2Bert")
register(
    "audio-spectrogram-transformer",
    audio_spectrogram_transformer,
    "AST",
    classes={"ASTForAudioClassification": "audio_cls"},
)


def _fastconformer_block(c: Cfg, h: int, inter: int, *, lasr: bool = False) -> int:
    """Parakeet's FastConformer block: two feed-forwards, relative-position attention, a BatchNorm conv module
    and five LayerNorms. LASR: rotary attention (no relative projections), bias-free LayerNorms."""
    nh = positive("num_attention_heads", c.int("num_attention_heads", default=8))
    kv = c.int("num_key_value_heads", default=nh)
    hd = c.int("head_dim", default=h // nh)
    ab, cb = c.bool("attention_bias", default=not lasr), c.bool("convolution_bias", default=not lasr)
    k = c.int("conv_kernel_size", default=32 if lasr else 9)
    ffn = linear(h, inter, ab) + linear(inter, h, ab)
    attn = linear(h, nh * hd, ab) + 2 * linear(h, kv * hd, ab) + linear(nh * hd, h, ab)
    if not lasr:
        attn += h * nh * hd + 2 * nh * hd  # relative_k_proj, bias_u, bias_v
    conv = linear(h, 2 * h, cb) + h * k + (h if cb else 0) + 2 * h + linear(h, h, cb)
    return 2 * ffn + attn + conv + 5 * (h if lasr else 2 * h)


def lasr_encoder(c: Cfg, head: str) -> Tally:
    """LASR (MedASR): dense + two strided Conv1d + dense subsampler, LASR conformer blocks, a bias-free norm."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for lasr_encoder")
    h = positive("hidden_size", c.int("hidden_size", default=512))
    L = c.int("num_hidden_layers", default=17)
    ch = c.int("subsampling_conv_channels", default=256)
    k = c.int("subsampling_conv_kernel_size", default=5)
    t = encoder_tally(L, h)
    sub = linear(c.int("num_mel_bins", default=128), h) + linear(h * k, h) + linear(h * k, ch) + linear(ch, h)
    t.add("other", sub)
    t.add("attention", L * _fastconformer_block(c, h, c.int("intermediate_size", default=2048), lasr=True))
    t.add("norms", h)
    return t


def parakeet_encoder(c: Cfg, head: str) -> Tally:
    h = positive("hidden_size", c.int("hidden_size", default=1024))
    L = c.int("num_hidden_layers", default=24)
    inter = c.int("intermediate_size", default=4096)
    ch = c.int("subsampling_conv_channels", default=256)
    k = c.int("subsampling_conv_kernel_size", default=3)
    stride = positive("subsampling_conv_stride", c.int("subsampling_conv_stride", default=2))
    factor = positive("subsampling_factor", c.int("subsampling_factor", default=8))
    n = factor.bit_length() - 1  # int(log2(factor))
    if n < 1:
        raise ConfigProblem("subsampling_factor must be at least 2")
    t = encoder_tally(L, h)
    sub = ch * k * k + ch + (n - 1) * (ch * k * k + ch + linear(ch, ch))  # conv, then depthwise + pointwise
    t.add("other", sub + linear(ch * (c.int("num_mel_bins", default=80) // stride**n), h))
    t.add("attention", L * _fastconformer_block(c, h, inter))
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for parakeet_encoder")
    return t


def parakeet_ctc(c: Cfg, head: str, *, lasr: bool = False) -> Tally:
    kind = "lasr_ctc" if lasr else "parakeet_ctc"
    raw = c.data.get("encoder_config")
    if not isinstance(raw, dict):
        raise NotExact(f"{kind} without an explicit encoder_config is not modelled")
    arch = architecture_of(c.data)
    if head not in ("ctc", "model") or (arch and not arch.endswith("ForCTC")):
        # AutoModel builds the ForCTC class for this model type; ParakeetEncoder / ForTDT / ForRNNT differ
        raise NotExact(f"architectures[0]={arch!r} is not modelled for {kind}")
    ec = Cfg(raw, "config.encoder_config")
    t = (lasr_encoder if lasr else parakeet_encoder)(ec, "model")
    h = ec.int("hidden_size", default=512 if lasr else 1024)
    t.add("heads", linear(h, c.int("vocab_size", default=512 if lasr else 1025)))  # Conv1d, kernel 1
    return t


register("parakeet_encoder", parakeet_encoder, "ParakeetEncoder", classes={"ParakeetEncoder": "model"})
register("parakeet_ctc", parakeet_ctc, "Parakeet")
register("lasr_encoder", lasr_encoder, "LasrEncoder", classes={"LasrEncoder": "model"})
register("lasr_ctc", lambda c, h: parakeet_ctc(c, h, lasr=True), "Lasr", name="lasr_ctc")
