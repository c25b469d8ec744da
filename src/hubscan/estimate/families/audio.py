"""Speech encoders on raw waveforms: wav2vec 2.0 and HuBERT.

A convolutional feature encoder, a feature projection, a grouped convolutional position embedding (weight-norm
parametrised: the weight ``v`` plus one ``g`` per kernel tap), and a BERT-sized Transformer encoder (post-LN, or
pre-LN with ``do_stable_layer_norm``). Non-autoregressive: no KV cache.
"""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, divide, linear, positive
from hubscan.estimate.families.registry import register

_CONV_DIM = [512] * 7
_CONV_KERNEL = [10, 3, 3, 3, 3, 2, 2]
_CONV_STRIDE = [5, 2, 2, 2, 2, 2, 2]


def _weighted(c: Cfg, L: int) -> int:
    return L + 1 if c.bool("use_weighted_layer_sum", default=False) else 0


def speech_encoder(c: Cfg, head: str, *, kind: str) -> Tally:
    hubert = kind == "hubert"
    h = positive("hidden_size", c.int("hidden_size", default=768))
    L = c.int("num_hidden_layers", default=12)
    c.int("num_attention_heads", default=12)
    inter = c.int("intermediate_size", default=3072)
    conv_dim = c.ints("conv_dim", default=_CONV_DIM)
    kernels = c.ints("conv_kernel", default=_CONV_KERNEL)
    strides = c.ints("conv_stride", default=_CONV_STRIDE)
    if not conv_dim or not (len(conv_dim) == len(kernels) == len(strides)):
        raise ConfigProblem("conv_dim, conv_kernel and conv_stride must have the same (non-zero) length")
    conv_bias = c.bool("conv_bias", default=False)
    norm = c.str("feat_extract_norm", default="group")
    if norm not in ("group", "layer"):
        raise ConfigProblem(f"feat_extract_norm={norm!r} is not one of group, layer")
    add_adapter = c.bool("add_adapter", default=False)
    if hubert and add_adapter:
        raise NotExact("HuBERT with add_adapter is not modelled")
    t = Tally()
    t.has_kv = False
    for _ in range(L):
        t.kv_layers.append(KVLayer(0, None, h))

    # feature encoder: Conv1d stack; GroupNorm on the first layer ("group") or LayerNorm on every layer ("layer")
    prev = 1
    for i, (d, k) in enumerate(zip(conv_dim, kernels, strict=True)):
        t.add("other", prev * d * k + (d if conv_bias else 0))
        if norm == "layer" or i == 0:
            t.add("norms", 2 * d)
        prev = d
    # feature projection
    last = conv_dim[-1]
    if not hubert or c.bool("feat_proj_layer_norm", default=True):
        t.add("norms", 2 * last)
    t.add("other", linear(last, h))
    if c.num("mask_time_prob", default=0.05) > 0 or c.num("mask_feature_prob", default=0.0) > 0:
        t.add("embeddings", h)  # masked_spec_embed
    # convolutional relative position embedding
    K = c.int("num_conv_pos_embeddings", default=128)
    G = c.int("num_conv_pos_embedding_groups", default=16)
    conv = h * divide("hidden_size / num_conv_pos_embedding_groups", h, G) * K + h
    if hubert and c.bool("conv_pos_batch_norm", default=False):
        conv += 2 * h  # BatchNorm1d instead of weight norm
    else:
        conv += K  # weight_g of weight norm over dim 2
    t.add("embeddings", conv)
    t.add("norms", 2 * h)  # encoder layer_norm
    t.add("attention", L * 4 * linear(h, h))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h)
    adapter_dim = c.int("adapter_attn_dim", default=None)
    if adapter_dim is not None and c.bool("do_stable_layer_norm", default=False):
        t.add("other", L * (2 * h + linear(h, adapter_dim) + linear(adapter_dim, h)))
    out_h = h
    if add_adapter:
        out_h = c.int("output_hidden_size", default=None) or h
        if out_h != h:
            t.add("other", linear(h, out_h) + 2 * out_h)
        n = c.int("num_adapter_layers", default=3)
        k = c.int("adapter_kernel_size", default=3)
        t.add("other", n * (out_h * 2 * out_h * k + 2 * out_h))

    _speech_head(c, t, head, kind, h=h, L=L, out_h=out_h, last=last)
    return t


def _speech_head(c: Cfg, t: Tally, head: str, kind: str, *, h: int, L: int, out_h: int, last: int) -> None:
    """Output heads of wav2vec2 / HuBERT: CTC, sequence / frame classification, x-vector, pre-training."""
    hubert = kind == "hubert"
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
    elif head == "audio_frame_cls" and not hubert:
        if add_adapter:
            raise ConfigProblem("audio frame classification does not support add_adapter=True")
        t.add("heads", _weighted(c, L) + linear(h, labels))
    elif head == "xvector" and not hubert:
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
    elif head == "pretraining" and not hubert:
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
