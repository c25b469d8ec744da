"""Text encoders outside the BERT-copy scheme and old-style language models: RoPE encoders built from decoder parts
(EuroBERT, ESM C), XLM / FlauBERT, FNet, ... Each formula mirrors the module tree transformers 5 builds; a head it
does not describe raises NotExact (``unknown``), never a guess."""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    attention,
    claim_heads,
    encoder_tally,
    gated_mlp,
    linear,
)
from hubscan.estimate.families.encoders import BertShape, bert_like, modernbert
from hubscan.estimate.families.registry import register
from hubscan.estimate.families.vision import SIGLIP_VISION, clip_vision


def _kv(c: Cfg, nh: int) -> int:
    kv = c.int("num_key_value_heads", default=None) or nh
    if kv <= 0 or nh % kv:
        raise ConfigProblem(f"num_key_value_heads={kv} does not divide num_attention_heads={nh}")
    return kv


def _rope_body(
    c: Cfg, *, defaults: dict[str, int], qk_norm: int, norm: int, final_norm: int
) -> tuple[Tally, int]:
    """Llama-style pre-norm stack (embedding, GQA attention, gated MLP, two norms per layer, final norm) used as
    an encoder. ``qk_norm``/``norm``/``final_norm``: parameters of each such norm, as a multiple of hidden_size."""
    h = c.int("hidden_size", default=defaults["h"])
    L = c.int("num_hidden_layers", default=defaults["L"])
    nh = c.int("num_attention_heads", default=defaults["nh"])
    inter = c.int("intermediate_size", default=defaults["inter"])
    V = c.int("vocab_size", default=defaults["V"])
    kv = _kv(c, nh)
    hd = c.int("head_dim", default=None) or h // nh
    ab, mb = c.bool("attention_bias", default=False), c.bool("mlp_bias", default=False)
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add(
        "attention", L * (attention(h, nh, kv, hd, q_bias=ab, k_bias=ab, v_bias=ab, o_bias=ab) + qk_norm * h)
    )
    t.add("mlp", L * gated_mlp(h, inter, mb))
    t.add("norms", L * 2 * norm * h + final_norm * h)
    return t, h


def eurobert(c: Cfg, head: str) -> Tally:
    d = {"h": 768, "L": 12, "nh": 12, "inter": 3072, "V": 128256}
    t, h = _rope_body(c, defaults=d, qk_norm=0, norm=1, final_norm=1)
    V = c.int("vocab_size", default=d["V"])
    if head == "masked_lm":  # lm_head: Linear(h, V, bias=mlp_bias), tied to the input embedding when asked
        tied = c.bool("tie_word_embeddings", default=False)
        t.add("heads", (0 if tied else V * h) + (V if c.bool("mlp_bias", default=False) else 0))
    elif head == "seq_cls":
        t.add("heads", linear(h, h) + linear(h, c.num_labels()))
    elif head == "token_cls":
        t.add("heads", linear(h, c.num_labels()))
    else:
        claim_heads(head, family="eurobert")
    return t


def esmc(c: Cfg, head: str) -> Tally:
    """ESM C: LayerNorm (with bias) around each block, q/k LayerNorms over the full width without bias, a final
    LayerNorm without bias; the masked-LM head's decoder is never tied."""
    d = {"h": 2560, "L": 80, "nh": 40, "inter": 6912, "V": 64}
    t, h = _rope_body(c, defaults=d, qk_norm=2, norm=2, final_norm=1)
    V = c.int("vocab_size", default=d["V"])
    if head == "masked_lm":
        t.add("heads", linear(h, h) + 2 * h + linear(h, V))
    elif head == "seq_cls":
        t.add("heads", linear(h, h) + linear(h, c.num_labels()))
    elif head == "token_cls":
        t.add("heads", linear(h, c.num_labels()))
    else:
        claim_heads(head, family="esmc")
    return t


register("eurobert", eurobert, "EuroBert")
register("esmc", esmc, "Esmc")


# ----------------------------------------------------------------------------- XLM / FlauBERT


def _summary(c: Cfg, h: int, *, use_proj: bool = True, to_labels: bool = True) -> int:
    """XLM's SequenceSummary: an optional projection to num_labels (or to hidden_size). ``use_proj`` /
    ``to_labels``: the defaults of summary_use_proj / summary_proj_to_labels (a config class may not define the
    key, which means no projection / a hidden-size one)."""
    if c.str("summary_type", default="first") == "attn":
        raise NotExact("summary_type='attn' is not implemented by transformers")
    if not c.bool("summary_use_proj", default=use_proj):
        return 0
    labels = c.num_labels()
    to_labels = c.bool("summary_proj_to_labels", default=to_labels) and labels > 0
    return linear(h, labels if to_labels else h)


def _squad_head(h: int) -> int:
    """start logits (h -> 1), end logits (2h -> h, LayerNorm, h -> 1), answer class (2h -> h, h -> 1 no bias)."""
    return linear(h, 1) + linear(2 * h, h) + 2 * h + linear(h, 1) + linear(2 * h, h) + h


def xlm(c: Cfg, head: str) -> Tally:
    """XLM and FlauBERT (same module tree): post-LN layers, FFN width 4 x emb_dim, optional language embeddings."""
    h = c.int("emb_dim", default=2048)
    L = c.int("n_layers", default=12)
    V = c.int("vocab_size", "n_words", default=30145)
    P = c.int("max_position_embeddings", default=512)
    langs = c.int("n_langs", default=1)
    if not c.bool("is_encoder", default=True):
        raise ConfigProblem("is_encoder=False: transformers' XLM can only be built as an encoder")
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", P * h + (langs * h if langs > 1 and c.bool("use_lang_emb", default=True) else 0))
    t.add("norms", 2 * h + L * 4 * h)
    t.add("attention", L * 4 * linear(h, h))
    t.add("mlp", L * (linear(h, 4 * h) + linear(4 * h, h)))
    labels = c.num_labels()
    if head == "masked_lm":
        if c.bool("asm", default=False):
            raise NotExact("asm=True (adaptive softmax output layer) is not modelled")
        t.add("heads", V + (0 if c.bool("tie_word_embeddings", default=True) else V * h))
    elif head == "seq_cls":
        t.add("heads", _summary(c, h))
    elif head == "multiple_choice":
        t.add("heads", _summary(c, h) + linear(labels, 1))
    elif head == "token_cls" or head == "qa_simple":
        t.add("heads", linear(h, labels))
    elif head == "qa":
        t.add("heads", _squad_head(h))
    else:
        claim_heads(head, family="xlm")
    return t


for _mt, _prefix in (("xlm", "XLM"), ("flaubert", "Flaubert")):
    register(
        _mt,
        xlm,
        _prefix,
        classes={
            f"{_prefix}WithLMHeadModel": "masked_lm",
            f"{_prefix}ForQuestionAnsweringSimple": "qa_simple",
        },
    )


# ----------------------------------------------------------------------------- FNet


def fnet(c: Cfg, head: str) -> Tally:
    """FNet: BERT embeddings plus a hidden-to-hidden projection; each layer a Fourier mixing sub-layer (only its
    LayerNorm has parameters) and BERT's feed-forward; the pooler is always built."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size", default=32000)
    P = c.int("max_position_embeddings", default=512)
    T = c.int("type_vocab_size", default=4)
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", P * h + T * h)
    t.add("norms", 2 * h + L * 4 * h)
    t.add("other", linear(h, h))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("heads", linear(h, h))  # the pooler, built under every head
    labels = c.num_labels()
    lm = linear(h, h) + 2 * h + V + (0 if c.bool("tie_word_embeddings", default=True) else V * h + V)
    if head == "masked_lm":
        t.add("heads", lm)
    elif head in ("seq_cls", "token_cls", "qa"):
        t.add("heads", linear(h, labels))
    elif head == "multiple_choice":
        t.add("heads", linear(h, 1))
    elif head == "pretraining":
        t.add("heads", lm + linear(h, 2))
    elif head == "nsp":
        t.add("heads", linear(h, 2))
    else:
        claim_heads(head, family="fnet")
    return t


register("fnet", fnet, "FNet", classes={"FNetForNextSentencePrediction": "nsp"})


def ultrabert(c: Cfg, head: str) -> Tally:
    """Ultrabert: a Llama-style stack as encoder; the masked-LM head is two bias-free projections through
    prediction_head_size and a decoder tied to the input embedding unless tie_word_embeddings is false."""
    d = {"h": 4096, "L": 32, "nh": 32, "inter": 11008, "V": 32000}
    t, h = _rope_body(c, defaults=d, qk_norm=0, norm=1, final_norm=1)
    V = c.int("vocab_size", default=d["V"])
    if head == "masked_lm":
        p = c.int("prediction_head_size", default=768)
        t.add("heads", 2 * h * p + (0 if c.bool("tie_word_embeddings", default=False) else V * h))
    elif head in ("seq_cls", "token_cls"):
        t.add("heads", linear(h, c.num_labels()))
    elif head == "qa":
        t.add("heads", linear(h, 2))
    else:
        claim_heads(head, family="ultrabert")
    return t


register("ultrabert", ultrabert, "Ultrabert")


# ----------------------------------------------------------------------------- RoPE BERTs (Jina v3, GTE, Nomic)


def _rope_bert(c: Cfg, head: str, *, name: str, mlp: str, attn_bias: bool, pooler: bool, lm: str) -> Tally:
    """Post-LN BERT layers with rotary positions: word (+ token-type) embeddings and LayerNorm, q/k/v/o, an MLP,
    two LayerNorms per layer. ``mlp``: "plain" (fc1/fc2 with biases), "gated" (gate/up without bias, down with
    one: GTE), "gated_nobias". ``pooler``: the base model builds its pooler. ``lm``: "bias" (a head bias tied to the
    decoder's, Jina/Nomic) or "decoder_bias" (GTE)."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    nh = c.int("num_attention_heads", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size")
    T = c.int("type_vocab_size", default=2)
    hd = c.int("head_dim", default=None) or h // nh
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", T * h)
    t.add("norms", 2 * h + L * 4 * h)
    t.add(
        "attention",
        L * attention(h, nh, nh, hd, q_bias=attn_bias, k_bias=attn_bias, v_bias=attn_bias, o_bias=attn_bias),
    )
    if mlp == "plain":
        t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    else:
        t.add("mlp", L * (2 * h * inter + linear(inter, h, mlp == "gated")))
    labels = c.num_labels()
    tied = c.bool("tie_word_embeddings", default=True)
    if head == "model":
        t.add("heads", linear(h, h) if pooler else 0)
    elif (
        head == "masked_lm"
    ):  # dense + LayerNorm transform, a vocabulary bias, the decoder weight when untied
        t.add("heads", linear(h, h) + 2 * h + V + (0 if tied else V * h + (V if lm == "bias" else 0)))
    elif head == "seq_cls":  # Jina: RoBERTa's dense + out_proj head; GTE / Nomic: the pooler + a classifier
        t.add("heads", linear(h, h) + linear(h, labels))
    elif head in ("token_cls", "qa"):
        t.add("heads", linear(h, labels))
    else:
        claim_heads(head, family=name)
    return t


register(
    "jina_embeddings_v3",
    lambda c, h: _rope_bert(
        c, h, name="jina_embeddings_v3", mlp="plain", attn_bias=True, pooler=True, lm="bias"
    ),
    "JinaEmbeddingsV3",
)
register(
    "gte",
    lambda c, h: _rope_bert(c, h, name="gte", mlp="gated", attn_bias=True, pooler=False, lm="decoder_bias"),
    "Gte",
)
register(
    "nomic_bert",
    lambda c, h: _rope_bert(
        c, h, name="nomic_bert", mlp="gated_nobias", attn_bias=False, pooler=False, lm="bias"
    ),
    "NomicBert",
)


# ----------------------------------------------------------------------------- ConvBERT


def _convbert_layer(c: Cfg, h: int, inter: int) -> tuple[int, int]:
    """(attention, feed-forward) of one ConvBERT layer: attention with nh / head_ratio heads of half width next to
    a span-based dynamic convolution (separable conv, kernel generator, conv output projection); grouped linear
    feed-forward when num_groups > 1."""
    nh = c.int("num_attention_heads", default=12)
    k = c.int("conv_kernel_size", default=9)
    heads = nh // c.int("head_ratio", default=2) or 1
    A = heads * ((h // heads) // 2)
    conv = h * k + A * h + A  # depthwise (no bias), pointwise (no bias), the separable conv's own bias
    attn = 3 * linear(h, A) + conv + linear(A, heads * k) + linear(h, A) + linear(h, h)
    groups = c.int("num_groups", default=1)
    if groups == 1:
        ffn = linear(h, inter) + linear(inter, h)
    else:  # GroupedLinearLayer: (groups, in/groups, out/groups) weight and a full-width bias
        ffn = (
            groups * (h // groups) * (inter // groups)
            + inter
            + groups * (inter // groups) * (h // groups)
            + h
        )
    return attn, ffn


def convbert(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size", default=30522)
    E = c.int("embedding_size", default=768)
    if c.bool("add_cross_attention", default=False):
        raise NotExact("add_cross_attention (ConvBERT as a decoder) is not modelled")
    t = encoder_tally(L, h)
    t.embed(V * E)
    t.add(
        "embeddings",
        c.int("max_position_embeddings", default=512) * E + c.int("type_vocab_size", default=2) * E,
    )
    t.add("norms", 2 * E + L * 4 * h)
    if h != E:
        t.add("other", linear(E, h))
    attn, ffn = _convbert_layer(c, h, inter)
    t.add("attention", L * attn)
    t.add("mlp", L * ffn)
    labels = c.num_labels()
    if (
        head == "masked_lm"
    ):  # generator predictions (h -> E, LayerNorm) and the LM head, tied unless told not to
        tied = c.bool("tie_word_embeddings", default=True)
        t.add("heads", linear(h, E) + 2 * E + V + (0 if tied else V * E))
    elif head == "seq_cls":
        t.add("heads", linear(h, h) + linear(h, labels))
    elif head == "multiple_choice":
        t.add("heads", _summary(c, h, use_proj=False) + linear(h, 1))
    elif head in ("token_cls", "qa"):
        t.add("heads", linear(h, labels))
    else:
        claim_heads(head, family="convbert")
    return t


register("convbert", convbert, "ConvBert")


# ----------------------------------------------------------------------------- SqueezeBERT


def _conv1x1(cin: int, cout: int, groups: int) -> int:
    """A kernel-size-1 grouped Conv1d with bias."""
    if groups <= 0 or cin % groups or cout % groups:
        raise ConfigProblem(f"groups={groups} does not divide the channels ({cin} -> {cout})")
    return cout * (cin // groups) + cout


def squeezebert(c: Cfg, head: str) -> Tally:
    """SqueezeBERT: BERT with every projection a grouped 1x1 convolution; the pooler is built under every head."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size", default=30522)
    E = c.int("embedding_size", default=768)
    if h != E:
        raise ConfigProblem("SqueezeBERT requires embedding_size == hidden_size")
    g = {k: c.int(f"{k}_groups", default=d) for k, d in (("q", 4), ("k", 4), ("v", 4), ("post_attention", 1))}
    g.update({k: c.int(f"{k}_groups", default=4) for k in ("intermediate", "output")})
    t = encoder_tally(L, h)
    t.embed(V * E)
    t.add(
        "embeddings",
        c.int("max_position_embeddings", default=512) * E + c.int("type_vocab_size", default=2) * E,
    )
    t.add("norms", 2 * h + L * 4 * h)
    t.add("attention", L * (sum(_conv1x1(h, h, g[k]) for k in "qkv") + _conv1x1(h, h, g["post_attention"])))
    t.add("mlp", L * (_conv1x1(h, inter, g["intermediate"]) + _conv1x1(inter, h, g["output"])))
    t.add("heads", linear(h, h))  # pooler
    labels = c.num_labels()
    if head == "masked_lm":
        tied = c.bool("tie_word_embeddings", default=True)
        t.add("heads", linear(h, h) + 2 * h + V + (0 if tied else V * h + V))
    elif head in ("seq_cls", "token_cls", "qa"):
        t.add("heads", linear(h, labels))
    elif head == "multiple_choice":
        t.add("heads", linear(h, 1))
    else:
        claim_heads(head, family="squeezebert")
    return t


register("squeezebert", squeezebert, "SqueezeBert")


# ----------------------------------------------------------------------------- MobileBERT


def _mobilebert_layer(c: Cfg, h: int, th: int, inter: int) -> tuple[int, int, int]:
    """(attention, feed-forward, bottlenecks) of one MobileBERT layer; th is the true (bottleneck) width."""
    nh = c.int("num_attention_heads", default=4)
    A = nh * (th // nh)
    bottleneck = c.bool("use_bottleneck", default=True)
    v_in = th if c.bool("use_bottleneck_attention", default=False) else h
    attn = 2 * linear(th, A) + linear(v_in, A) + linear(th, th) + 2 * th
    ffn = c.int("num_feedforward_networks", default=4) * (linear(th, inter) + linear(inter, th) + 2 * th)
    extra = 0
    if bottleneck:
        ib = c.int("intra_bottleneck_size", default=128)
        shared = c.bool("key_query_shared_bottleneck", default=True)
        extra = (2 if shared else 1) * (linear(h, ib) + 2 * ib) + linear(th, h) + 2 * h
    return attn, ffn, extra


def mobilebert(c: Cfg, head: str) -> Tally:
    """MobileBERT: trigram embeddings projected to hidden_size, narrow bottleneck layers with several stacked
    feed-forward networks; NoNorm and LayerNorm both hold a weight and a bias."""
    h = c.int("hidden_size", default=512)
    L = c.int("num_hidden_layers", default=24)
    inter = c.int("intermediate_size", default=512)
    V = c.int("vocab_size", default=30522)
    E = c.int("embedding_size", default=128)
    if c.str("normalization_type", default="no_norm") not in ("no_norm", "layer_norm"):
        raise ConfigProblem("normalization_type is neither 'no_norm' nor 'layer_norm'")
    bottleneck = c.bool("use_bottleneck", default=True)
    th = c.int("intra_bottleneck_size", default=128) if bottleneck else h
    t = encoder_tally(L, h)
    t.embed(V * E)
    t.add(
        "embeddings",
        c.int("max_position_embeddings", default=512) * h + c.int("type_vocab_size", default=2) * h,
    )
    t.add("other", linear(E * (3 if c.bool("trigram_input", default=True) else 1), h))
    t.add("norms", 2 * h)
    attn, ffn, extra = _mobilebert_layer(c, h, th, inter)
    t.add("attention", L * attn)
    t.add("mlp", L * ffn)
    t.add("other", L * extra)
    pooler = linear(h, h) if c.bool("classifier_activation", default=True) else 0
    tied = c.bool("tie_word_embeddings", default=True)
    lm = linear(h, h) + 2 * h + V * (h - E) + V + (0 if tied else V * E + V)
    labels = c.num_labels()
    if head == "model":
        t.add("heads", pooler)
    elif head == "masked_lm":
        t.add("heads", lm)
    elif head == "pretraining":
        t.add("heads", pooler + lm + linear(h, 2))
    elif head == "seq_cls":
        t.add("heads", pooler + linear(h, labels))
    elif head == "multiple_choice":
        t.add("heads", pooler + linear(h, 1))
    elif head == "nsp":
        t.add("heads", pooler + linear(h, 2))
    elif head in ("token_cls", "qa"):
        t.add("heads", linear(h, labels))
    else:
        claim_heads(head, family="mobilebert")
    return t


register("mobilebert", mobilebert, "MobileBert", classes={"MobileBertForNextSentencePrediction": "nsp"})


# ----------------------------------------------------------------------------- GPT-Neo


def gpt_neo(c: Cfg, head: str) -> Tally:
    """GPT-Neo: GPT-2 layout with bias-free q/k/v projections; layers alternate global and local (windowed)
    attention as listed in attention_layers."""
    h = c.int("hidden_size", default=2048)
    L = c.int("num_layers", default=24)
    V = c.int("vocab_size", default=50257)
    inter = c.int("intermediate_size", default=None) or 4 * h
    t = Tally()
    t.embed(V * h)
    t.add("embeddings", c.int("max_position_embeddings", default=2048) * h)
    t.add("attention", L * (3 * h * h + linear(h, h)))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h + 2 * h)
    kinds = c.raw("attention_layers")
    window = c.int("window_size", default=256)
    for i in range(L):
        local = isinstance(kinds, list) and i < len(kinds) and kinds[i] == "local"
        t.kv_layers.append(KVLayer(2 * h, window if local else None, h))
    if head == "causal_lm":
        t.add("heads", 0 if c.bool("tie_word_embeddings", default=True) else V * h)
    elif head == "seq_cls":
        t.add("heads", h * c.num_labels())
    elif head == "token_cls":
        t.add("heads", linear(h, c.num_labels()))
    elif head == "qa":
        t.add("heads", linear(h, 2))
    else:
        claim_heads(head, family="gpt_neo")
    return t


register("gpt_neo", gpt_neo, "GPTNeo")


# ----------------------------------------------------------------------------- BERT bodies with their own heads

_BERT_NO_POOLER = BertShape(pooler="never", cross_attention=False)


def splinter(c: Cfg, head: str) -> Tally:
    """Splinter: BERT without a pooler; QA and pre-training both use the question-aware span selection head
    (four dense + LayerNorm transforms and two bias-free bilinear classifiers)."""
    claim_heads(head, "qa", "pretraining", family="splinter")
    t = bert_like(c, "model", style="bert", shape=_BERT_NO_POOLER)
    if head != "model":
        h = c.int("hidden_size", default=768)
        t.add("heads", 4 * (linear(h, h) + 2 * h) + 2 * h * h)
    return t


def dpr(c: Cfg, head: str) -> Tally:
    """DPR question / context encoders and reader: a BERT without pooler, an optional projection to
    projection_dim; the reader adds span (2) and relevance (1) outputs on that width."""
    claim_heads(head, "reader", family="dpr")
    t = bert_like(c, "model", style="bert", shape=BertShape(pooler="never"))
    h = c.int("hidden_size", default=768)
    pd = c.int("projection_dim", default=0)
    if pd > 0:
        t.add("other", linear(h, pd))
    if head == "reader":
        w = pd if pd > 0 else h
        t.add("heads", linear(w, 2) + linear(w, 1))
    return t


register("splinter", splinter, "Splinter")
register(
    "dpr",
    dpr,
    "DPR",
    classes={
        "DPRQuestionEncoder": "model",
        "DPRContextEncoder": "model",
        "DPRReader": "reader",
        # abstract base classes (no modules): not a model anyone saves; unknown rather than the encoder's count
        **{
            f"DPRPretrained{k}": "abstract base class"
            for k in ("ContextEncoder", "QuestionEncoder", "Reader")
        },
    },
)


# ----------------------------------------------------------------------------- LUKE


def _luke_head(c: Cfg, head: str, *, h: int, V: int, Ev: int, ee: int) -> int:
    labels = c.num_labels()
    if head == "masked_lm":  # the word LM head keeps its own decoder; the entity decoder is tied to the table
        tied = c.bool("tie_word_embeddings", default=True)
        word = linear(h, h) + 2 * h + linear(h, V) + (0 if tied else V)
        return word + linear(h, ee) + 2 * ee + Ev + (0 if tied else Ev * ee)
    sizes = {"seq_cls": h, "entity_cls": h, "entity_span_cls": 3 * h, "token_cls": h, "qa": h}
    if head in sizes:
        return linear(sizes[head], labels)
    if head == "entity_pair_cls":
        return 2 * h * labels
    if head == "multiple_choice":
        return linear(h, 1)
    claim_heads(head, family="luke")
    return 0


def luke(c: Cfg, head: str) -> Tally:
    """LUKE: RoBERTa word embeddings plus an entity table (entity_emb_size, projected to hidden_size), entity-aware
    self-attention (three more query projections per layer); the pooler under all but the token / QA heads."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size", default=50267)
    P = c.int("max_position_embeddings", default=512)
    T = c.int("type_vocab_size", default=2)
    Ev, ee = c.int("entity_vocab_size", default=500000), c.int("entity_emb_size", default=256)
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", 2 * (P * h + T * h) + Ev * ee + (h * ee if ee != h else 0))
    t.add("norms", 4 * h + L * 4 * h)
    queries = 6 if c.bool("use_entity_aware_attention", default=True) else 3
    t.add("attention", L * (queries + 1) * linear(h, h))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    if head not in ("token_cls", "qa"):
        t.add("heads", linear(h, h))  # pooler
    t.add("heads", _luke_head(c, head, h=h, V=V, Ev=Ev, ee=ee))
    return t


register(
    "luke",
    luke,
    "Luke",
    classes={
        "LukeForEntityClassification": "entity_cls",
        "LukeForEntityPairClassification": "entity_pair_cls",
        "LukeForEntitySpanClassification": "entity_span_cls",
    },
)


# ----------------------------------------------------------------------------- LiLT


def _post_ln_layers(t: Tally, n: int, h: int, inter: int) -> None:
    """``n`` post-LN BERT layers: q/k/v/output with biases, feed-forward, two LayerNorms each."""
    t.add("attention", n * 4 * linear(h, h))
    t.add("mlp", n * (linear(h, inter) + linear(inter, h)))
    t.add("norms", n * 4 * h)


def _pooled_encoder_heads(t: Tally, c: Cfg, head: str, h: int, family: str) -> None:
    """A pooler (dense h x h) on the base model and under sequence classification; token classification and QA
    read the hidden states directly (LiLT, MarkupLM)."""
    labels = c.num_labels()
    if head == "model":
        t.add("heads", linear(h, h))
    elif head == "seq_cls":
        t.add("heads", linear(h, h) + linear(h, labels))
    elif head in ("token_cls", "qa"):
        t.add("heads", linear(h, labels))
    else:
        claim_heads(head, family=family)


def lilt(c: Cfg, head: str) -> Tally:
    """LiLT: a BERT text stream and a layout stream channel_shrink_ratio times narrower, each with its own
    attention, feed-forward and LayerNorms; box coordinates embedded in hidden_size // 6 wide tables."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size", default=30522)
    P = c.int("max_position_embeddings", default=512)
    r = c.int("channel_shrink_ratio", default=4)
    if r <= 0:
        raise ConfigProblem("channel_shrink_ratio must be positive")
    lh, li = h // r, inter // r
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", P * h + c.int("type_vocab_size", default=2) * h)
    t.add("embeddings", 4 * c.int("max_2d_position_embeddings", default=1024) * (h // 6) + P * lh)
    t.add("other", linear(h, lh))
    t.add("norms", 2 * h + 2 * lh)
    _post_ln_layers(t, L, h, inter)
    _post_ln_layers(t, L, lh, li)  # the layout stream
    _pooled_encoder_heads(t, c, head, h, "lilt")
    return t


register("lilt", lilt, "Lilt")


# ----------------------------------------------------------------------------- MarkupLM


def _xpath_embeddings(c: Cfg, h: int) -> int:
    """MarkupLM: max_depth tag and subscript tables of xpath_unit_hidden_size, and three projections."""
    D = c.int("max_depth", default=50)
    u = c.int("xpath_unit_hidden_size", default=32)
    tags, subs = (
        c.int("max_xpath_tag_unit_embeddings", default=256),
        c.int("max_xpath_subs_unit_embeddings", default=1024),
    )
    return linear(u * D, h) + linear(u * D, 4 * h) + linear(4 * h, h) + D * (tags + subs) * u


def markuplm(c: Cfg, head: str) -> Tally:
    """MarkupLM: BERT (no cross-attention) whose embeddings add xpath tag / subscript embeddings; the pooler on the
    base model and under sequence classification."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size", default=30522)
    P = c.int("max_position_embeddings", default=512)
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", P * h + c.int("type_vocab_size", default=2) * h + _xpath_embeddings(c, h))
    t.add("norms", 2 * h)
    _post_ln_layers(t, L, h, inter)
    _pooled_encoder_heads(t, c, head, h, "markuplm")
    return t


register("markuplm", markuplm, "MarkupLM")


# ----------------------------------------------------------------------------- BROS


def _relation_extractor(c: Cfg, h: int) -> int:
    """BROS relation extractor: query and key projections to n_relations x hidden_size and a dummy node."""
    return 2 * linear(h, c.int("n_relations", default=1) * h) + h


def bros(c: Cfg, head: str) -> Tally:
    """BROS: BERT with a bias-free projection of sinusoidal box embeddings ((hidden/4) -> hidden/heads); the pooler
    is built under every head."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    nh = c.int("num_attention_heads", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size", default=30522)
    P = c.int("max_position_embeddings", default=512)
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", P * h + c.int("type_vocab_size", default=2) * h)
    t.add("other", (h // 4) * (h // nh))
    t.add("norms", 2 * h)
    _post_ln_layers(t, L, h, inter)
    if c.bool("add_cross_attention", default=False):
        if not c.bool("is_decoder", default=False):
            raise ConfigProblem("add_cross_attention without is_decoder: transformers refuses to build BROS")
        t.add("attention", L * (4 * linear(h, h) + 2 * h))
    t.add("heads", linear(h, h))  # pooler
    labels = c.num_labels()
    if head == "token_cls":
        t.add("heads", linear(h, labels))
    elif (
        head == "spade_ee"
    ):  # initial-token classifier (dense, dense) and the subsequent-token relation extractor
        t.add("heads", linear(h, h) + linear(h, labels) + _relation_extractor(c, h))
    elif head == "spade_el":
        t.add("heads", _relation_extractor(c, h))
    else:
        claim_heads(head, family="bros")
    return t


register(
    "bros",
    bros,
    "Bros",
    classes={
        "BrosSpadeEEForTokenClassification": "spade_ee",
        "BrosSpadeELForTokenClassification": "spade_el",
    },
)


# ----------------------------------------------------------------------------- LayoutLMv3


def _layoutlmv3_visual(c: Cfg, h: int) -> int:
    """Patch embedding convolution, CLS token, position table over the patch grid, two LayerNorms."""
    size, p = c.raw("input_size", default=224), c.raw("patch_size", default=16)
    if not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in (size, p)):
        raise NotExact("non-square input_size / patch_size of LayoutLMv3 is not modelled")
    grid = int(size / p)
    return c.int("num_channels", default=3) * h * p * p + h + h + (grid * grid + 1) * h + 4 * h


def layoutlmv3(c: Cfg, head: str) -> Tally:
    """LayoutLMv3: RoBERTa text embeddings with 2-D box tables, patch embeddings of the page image, relative and
    spatial attention-bias projections shared by all layers."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    nh = c.int("num_attention_heads", default=12)
    inter = c.int("intermediate_size", default=3072)
    V = c.int("vocab_size", default=50265)
    t = encoder_tally(L, h)
    if c.bool("text_embed", default=True):
        M = c.int("max_2d_position_embeddings", default=1024)
        t.embed(V * h)
        t.add(
            "embeddings",
            (c.int("max_position_embeddings", default=512) + c.int("type_vocab_size", default=2)) * h,
        )
        t.add(
            "embeddings", 2 * M * (c.int("coordinate_size", default=128) + c.int("shape_size", default=128))
        )
        t.add("norms", 2 * h)
    if c.bool("visual_embed", default=True):
        t.add("other", _layoutlmv3_visual(c, h))
    _post_ln_layers(t, L, h, inter)
    if c.bool("has_relative_attention_bias", default=True):
        t.add("attention", c.int("rel_pos_bins", default=32) * nh)
    if c.bool("has_spatial_attention_bias", default=True):
        t.add("attention", 2 * c.int("rel_2d_pos_bins", default=64) * nh)
    labels = c.num_labels()
    cls_head = linear(h, h) + linear(h, labels)
    if head in ("seq_cls", "qa"):
        t.add("heads", cls_head)
    elif head == "token_cls":  # a plain classifier below 10 labels, the dense + out_proj head from 10 on
        t.add("heads", linear(h, labels) if labels < 10 else cls_head)
    else:
        claim_heads(head, family="layoutlmv3")
    return t


register("layoutlmv3", layoutlmv3, "LayoutLMv3")


# ----------------------------------------------------------------------------- CANINE


def canine(c: Cfg, head: str) -> Tally:
    """CANINE: hashed character embeddings (num_hash_functions shards), a one-layer local character encoder, a
    strided downsampling convolution, the deep encoder, an upsampling convolution over [chars; molecules] and a
    one-layer final character encoder; the pooler is built under every head."""
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=12)
    inter = c.int("intermediate_size", default=3072)
    nhash, buckets = c.int("num_hash_functions", default=8), c.int("num_hash_buckets", default=16384)
    if nhash <= 0:
        raise ConfigProblem("num_hash_functions must be positive")
    t = encoder_tally(L + 2, h)
    t.embed(nhash * buckets * (h // nhash))
    t.add("embeddings", buckets * h + c.int("type_vocab_size", default=16) * h)
    t.add("norms", 2 * h)
    _post_ln_layers(t, L + 2, h, inter)
    down, up = c.int("downsampling_rate", default=4), c.int("upsampling_kernel_size", default=4)
    t.add("other", h * h * down + h + 2 * h + 2 * h * h * up + h + 2 * h)
    t.add("heads", linear(h, h))  # pooler
    labels = c.num_labels()
    if head in ("seq_cls", "token_cls", "qa"):
        t.add("heads", linear(h, labels))
    elif head == "multiple_choice":
        t.add("heads", linear(h, 1))
    else:
        claim_heads(head, family="canine")
    return t


register("canine", canine, "Canine")


# ----------------------------------------------------------------------------- XLNet


def xlnet(c: Cfg, head: str) -> Tally:
    """XLNet: two-stream relative attention with (d_model, heads, d_head) q/k/v/o/r tensors, three relative biases
    and a segment embedding per layer; a mask embedding; the LM head's bias (its weight tied unless told not)."""
    h = c.int("d_model", default=1024)
    L = c.int("n_layer", default=24)
    nh = c.int("n_head", default=16)
    inner = c.int("d_inner", default=4096)
    V = c.int("vocab_size", default=32000)
    dh = c.int("d_head", default=None) or h // nh
    t = Tally()
    t.embed(V * h)
    t.add("embeddings", h)  # mask_emb
    t.add("attention", L * (5 * h * nh * dh + 5 * nh * dh))
    t.add("mlp", L * (linear(h, inner) + linear(inner, h)))
    t.add("norms", L * 4 * h)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * nh * dh, None, nh * dh))
    labels = c.num_labels()
    if head == "causal_lm":
        t.add("heads", V + (0 if c.bool("tie_word_embeddings", default=True) else V * h))
    elif head == "seq_cls":
        t.add("heads", _summary(c, h, to_labels=False) + linear(h, labels))
    elif head == "multiple_choice":
        t.add("heads", _summary(c, h, to_labels=False) + linear(h, 1))
    elif head in ("token_cls", "qa_simple"):
        t.add("heads", linear(h, labels))
    elif head == "qa":
        t.add("heads", _squad_head(h))
    else:
        claim_heads(head, family="xlnet")
    return t


register("xlnet", xlnet, "XLNet", classes={"XLNetForQuestionAnsweringSimple": "qa_simple"})


# ----------------------------------------------------------------------------- GPT-NeoX Japanese


def gpt_neox_japanese(c: Cfg, head: str) -> Tally:
    """GPT-NeoX Japanese: bias-free fused QKV, output and MLP projections (MLP width hidden_size x
    intermediate_multiple_size); only the last layer's attention carries an output bias."""
    claim_heads(head, "causal_lm", family="gpt_neox_japanese")
    h = c.int("hidden_size", default=2560)
    L = c.int("num_hidden_layers", default=32)
    V = c.int("vocab_size", default=32000)
    inter = int(h * c.num("intermediate_multiple_size", default=4))
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * 4 * h * h + (h if L > 0 else 0))
    t.add("mlp", L * 2 * h * inter)
    t.add("norms", L * 4 * h + 2 * h)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * h, None, h))
    if head == "causal_lm" and not c.bool("tie_word_embeddings", default=True):
        t.add("heads", V * h)
    return t


register("gpt_neox_japanese", gpt_neox_japanese, "GPTNeoXJapanese")


# ----------------------------------------------------------------------------- CPM-Ant


def cpmant(c: Cfg, head: str) -> Tally:
    """CPM-Ant: pre-norm layers (weight-only LayerNorms), bias-free attention of heads x dim_head and a gated
    feed-forward; token table extended by prompt_types x prompt_length rows; a segment-and-bucket relative bias;
    the LM head is its own (never tied) matrix."""
    claim_heads(head, "causal_lm", family="cpmant")
    h = c.int("hidden_size", default=4096)
    L = c.int("num_hidden_layers", default=48)
    nh = c.int("num_attention_heads", default=32)
    dh = c.int("dim_head", default=128)
    ff = c.int("dim_ff", default=10240)
    V = c.int("vocab_size", default=30720)
    S = c.int("segment_types", default=32)
    t = Tally()
    t.embed((V + c.int("prompt_types", default=32) * c.int("prompt_length", default=32)) * h)
    t.add("embeddings", S * h)
    t.add("attention", L * 4 * h * nh * dh + (S * S + c.int("position_bias_num_buckets", default=512)) * nh)
    t.add("mlp", L * 3 * h * ff)
    t.add("norms", L * 2 * h + h)
    for _ in range(L):
        t.kv_layers.append(KVLayer(2 * nh * dh, None, nh * dh))
    if head == "causal_lm":
        t.add("heads", V * h)
    return t


register("cpmant", cpmant, "CpmAnt")


# ----------------------------------------------------------------------------- Funnel Transformer


def _funnel_layer(h: int, nh: int, dh: int, inner: int) -> int:
    """Relative multi-head attention (bias-free q, k/v/post with biases, r_kernel, three relative biases, a segment
    embedding, LayerNorm) and the position-wise feed-forward with its LayerNorm."""
    w = nh * dh
    attn = h * w + 2 * linear(h, w) + linear(w, h) + h * w + 3 * w + 2 * w + 2 * h
    return attn + linear(h, inner) + linear(inner, h) + 2 * h


def funnel(c: Cfg, head: str) -> Tally:
    """Funnel Transformer: an encoder of pooled blocks (repeats reuse a block's layers) and, on the full model, a
    num_decoder_layers upsampling decoder; classification and multiple choice use the encoder-only base model."""
    h = c.int("d_model", default=768)
    nh = c.int("n_head", default=12)
    dh = c.int("d_head", default=64)
    inner = c.int("d_inner", default=3072)
    V = c.int("vocab_size", default=30522)
    blocks = c.ints("block_sizes", default=[4, 4, 4])
    if any(b < 0 for b in blocks):
        raise ConfigProblem("block_sizes holds a negative size")
    base = head in ("base", "seq_cls", "multiple_choice")
    layers = sum(blocks) + (0 if base else c.int("num_decoder_layers", default=2))
    t = encoder_tally(layers, h)
    t.embed(V * h)
    t.add("norms", 2 * h)
    t.add("attention", layers * _funnel_layer(h, nh, dh, inner))
    labels = c.num_labels()
    if head == "masked_lm":
        t.add("heads", V + (0 if c.bool("tie_word_embeddings", default=True) else V * h))
    elif head == "pretraining":
        t.add("heads", linear(h, h) + linear(h, 1))
    elif head in ("seq_cls", "multiple_choice"):
        t.add("heads", linear(h, h) + linear(h, labels if head == "seq_cls" else 1))
    elif head in ("token_cls", "qa"):
        t.add("heads", linear(h, labels))
    else:
        claim_heads(head, "base", family="funnel")
    return t


register("funnel", funnel, "Funnel", classes={"FunnelBaseModel": "base"})


# ----------------------------------------------------------------------------- ModernVBERT / UltraVBERT


def _sub(c: Cfg, key: str, default_type: str) -> tuple[Cfg, bool]:
    """A sub-config (and whether it was present); a sub-config of another model type is not modelled."""
    raw = c.raw(key)
    if raw is None:
        return Cfg({}, f"config.{key}"), False
    if not isinstance(raw, dict):
        raise ConfigProblem(f"{key} is not an object")
    if raw.get("model_type", default_type) != default_type:
        raise NotExact(
            f"{key}.model_type={raw.get('model_type')!r} is not modelled (expected {default_type!r})"
        )
    return Cfg(raw, f"config.{key}"), True


def _vbert(
    c: Cfg, *, text_type: str, text, absent_head: bool, connector_norm: bool
) -> tuple[Tally, Cfg, int]:
    """SigLIP vision tower + pixel-shuffle connector (no bias) + a text encoder counted by ``text``."""
    tc, _ = _sub(c, "text_config", text_type)
    vraw, present = _sub(c, "vision_config", "siglip_vision_model")
    vc = Cfg(
        {**SIGLIP_VISION, **{k: v for k, v in vraw.data.items() if v is not None}}, "config.vision_config"
    )
    t = text(tc, "model")
    th = tc.int("hidden_size", default=768 if text_type == "modernbert" else 4096)
    t.merge(
        clip_vision(
            vc, siglip=True, use_head=vc.bool("vision_use_head", default=True if present else absent_head)
        )
    )
    f = c.int("pixel_shuffle_factor", default=4)
    t.add("other", vc.int("hidden_size") * f * f * th + (th if connector_norm else 0))
    return t, tc, th


def modernvbert(c: Cfg, head: str) -> Tally:
    """ModernVBERT: SigLIP vision (with its attention-pooling head by default) and a ModernBERT text encoder; the
    masked-LM and classification heads share ModernBERT's prediction head (dense, LayerNorm)."""
    t, tc, th = _vbert(c, text_type="modernbert", text=modernbert, absent_head=True, connector_norm=False)
    pred = (
        linear(th, th, tc.bool("classifier_bias", default=False))
        + (2 if tc.bool("norm_bias", default=False) else 1) * th
    )
    if head == "masked_lm":
        V = tc.int("vocab_size", default=50368)
        tied = c.bool("tie_word_embeddings", default=False)
        t.add("heads", pred + (0 if tied else V * th) + (V if tc.bool("decoder_bias", default=True) else 0))
    elif head in ("seq_cls", "token_cls"):
        t.add("heads", pred + linear(th, c.num_labels()))
    else:
        claim_heads(head, family="modernvbert")
    return t


def ultravbert(c: Cfg, head: str) -> Tally:
    """UltraVBERT: SigLIP vision (no pooling head unless configured) and an Ultrabert text encoder; an RMSNorm after
    the connector; the masked-LM head is Ultrabert's two bias-free projections and a bias-free decoder."""
    t, tc, th = _vbert(c, text_type="ultrabert", text=ultrabert, absent_head=False, connector_norm=True)
    if head == "masked_lm":
        V = tc.int("vocab_size", default=32000)
        p = tc.int("prediction_head_size", default=768)
        t.add("heads", 2 * th * p + (0 if c.bool("tie_word_embeddings", default=False) else V * th))
    elif head in ("seq_cls", "token_cls"):
        t.add("heads", linear(th, c.num_labels()))
    else:
        claim_heads(head, family="ultravbert")
    return t


register("modernvbert", modernvbert, "ModernVBert")
register("ultravbert", ultravbert, "UltraVBert")


# ----------------------------------------------------------------------------- Reformer


def _reformer_positions(c: Cfg, h: int) -> int:
    if not c.bool("axial_pos_embds", default=True):
        return c.int("max_position_embeddings", default=4096) * h
    shape, dims_ = (
        c.ints("axial_pos_shape", default=[64, 64]),
        c.ints("axial_pos_embds_dim", default=[64, 192]),
    )
    if len(shape) != len(dims_) or sum(dims_) != h:
        raise ConfigProblem(
            "axial_pos_embds_dim must have one entry per axial_pos_shape axis and sum to hidden_size"
        )
    return sum(s * d for s, d in zip(shape, dims_, strict=True))  # one (1, .., s, .., 1, d) weight per axis


def reformer(c: Cfg, head: str) -> Tally:
    """Reformer: reversible layers, each an attention half (LayerNorm; LSH: shared query-key and value, local:
    query, key and value; bias-free projections of heads x attention_head_size) and a feed-forward half; the
    encoder's final LayerNorm and every head read the concatenated 2 x hidden_size stream."""
    h = c.int("hidden_size", default=256)
    nh = c.int("num_attention_heads", default=12)
    A = nh * c.int("attention_head_size", default=64)
    ff = c.int("feed_forward_size", default=512)
    V = c.int("vocab_size", default=320)
    kinds = c.raw("attn_layers", default=["local", "lsh", "local", "lsh", "local", "lsh"])
    if not isinstance(kinds, list | tuple) or not kinds or any(k not in ("lsh", "local") for k in kinds):
        raise ConfigProblem("attn_layers must list 'lsh' / 'local' layer types")
    L = c.int("num_hidden_layers", default=len(kinds))
    if len(set(kinds)) == 2 and len(kinds) < L:
        raise ConfigProblem("attn_layers is shorter than num_hidden_layers")
    layer_kinds = [kinds[i] if len(set(kinds)) == 2 else kinds[0] for i in range(L)]
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", _reformer_positions(c, h))
    t.add("attention", sum((2 if k == "lsh" else 3) * h * A + A * h for k in layer_kinds))
    t.add("mlp", L * (linear(h, ff) + linear(ff, h)))
    t.add("norms", L * 4 * h + 4 * h)
    labels = c.num_labels()
    if head in ("causal_lm", "masked_lm"):  # the decoder's bias and the head's own (unused, untied) bias
        t.add("heads", linear(2 * h, V) + V)
    elif head == "seq_cls":
        t.add("heads", linear(2 * h, h) + linear(h, labels))
    elif head == "qa":
        t.add("heads", linear(2 * h, labels))
    else:
        claim_heads(head, family="reformer")
    return t


register("reformer", reformer, "Reformer", classes={"ReformerModelWithLMHead": "causal_lm"})


# ----------------------------------------------------------------------------- BigBird-Pegasus


def bigbird_pegasus(c: Cfg, head: str) -> Tally:
    """BigBird-Pegasus: a Pegasus-style encoder-decoder with learned position tables (no offset), projections with
    biases only when use_bias, a LayerNorm at the end of each stack; *ForCausalLM is the decoder alone with an
    untied LM head."""
    d = c.int("d_model", default=1024)
    el, dl = c.int("encoder_layers", default=16), c.int("decoder_layers", default=16)
    ef, df = c.int("encoder_ffn_dim", default=4096), c.int("decoder_ffn_dim", default=4096)
    V = c.int("vocab_size", default=96103)
    P = c.int("max_position_embeddings", default=4096)
    b = c.bool("use_bias", default=False)
    tied = c.bool("tie_word_embeddings", default=True)
    attn = 4 * linear(d, d, b)
    decoder_only = head == "causal_lm"
    t = Tally()
    t.embed(V * d)
    t.add("embeddings", (1 if decoder_only else 2) * P * d)
    if not decoder_only:
        t.add("attention", el * attn)
        t.add("mlp", el * (linear(d, ef) + linear(ef, d)))
        t.add("norms", el * 4 * d + 2 * d)
        if (
            not tied
        ):  # encoder / decoder embed_tokens are tied to `shared` only when tie_word_embeddings is true
            t.add("embeddings", 2 * V * d)
    t.add("attention", dl * 2 * attn)
    t.add("mlp", dl * (linear(d, df) + linear(df, d)))
    t.add("norms", dl * 6 * d + 2 * d)
    for _ in range(dl):
        t.kv_layers.append(KVLayer(2 * d, None, d))
    if head == "cond_gen":
        t.add("heads", 0 if tied else V * d)
    elif head == "causal_lm":  # BigBirdPegasusForCausalLM declares no tied weights: its lm_head is its own
        t.add("heads", V * d)
    elif head == "seq_cls":
        t.add("heads", linear(d, d) + linear(d, c.num_labels()))
    elif head == "qa":  # the QA class sets num_labels = 2 itself
        t.add("heads", linear(d, 2))
    else:
        claim_heads(head, family="bigbird_pegasus")
    return t


register("bigbird_pegasus", bigbird_pegasus, "BigBirdPegasus")


# ----------------------------------------------------------------------------- ProphetNet


def _prophetnet_decoder(c: Cfg, h: int, V: int) -> int:
    """Decoder stack: positions, ngram embeddings, LayerNorm; per layer n-gram self-attention with its relative
    position projection, optional cross-attention, feed-forward, a LayerNorm after each."""
    L = c.int("num_decoder_layers", default=12)
    nh = c.int("num_decoder_attention_heads", default=16)
    df = c.int("decoder_ffn_dim", default=4096)
    layer = 4 * linear(h, h) + linear(h, c.int("num_buckets", default=32) * nh) + 2 * h
    if c.bool("add_cross_attention", default=True):
        layer += 4 * linear(h, h) + 2 * h
    layer += linear(h, df) + linear(df, h) + 2 * h
    return (
        c.int("max_position_embeddings", default=512) * h + c.int("ngram", default=2) * h + 2 * h + L * layer
    )


def _prophetnet_encoder(c: Cfg, h: int) -> int:
    el, ef = c.int("num_encoder_layers", default=12), c.int("encoder_ffn_dim", default=4096)
    layer = 4 * linear(h, h) + 2 * h + linear(h, ef) + linear(ef, h) + 2 * h
    return c.int("max_position_embeddings", default=512) * h + 2 * h + el * layer


def prophetnet(c: Cfg, head: str) -> Tally:
    """ProphetNet: encoder (learned positions, post-LN layers) and n-gram decoder; word embeddings shared by
    encoder, decoder and LM head unless tie_word_embeddings is false (then each keeps its own table). The bare
    ProphetNetEncoder / ProphetNetDecoder classes hold one word table each."""
    claim_heads(head, "cond_gen", "causal_lm", "encoder_stack", "decoder_stack", family="prophetnet")
    h = c.int("hidden_size", default=1024)
    V = c.int("vocab_size", default=30522)
    tied = c.bool("tie_word_embeddings", default=True)
    t = Tally()
    t.embed(V * h)
    if head == "encoder_stack":
        t.has_kv = False
        t.add("other", _prophetnet_encoder(c, h))
        return t
    for _ in range(c.int("num_decoder_layers", default=12)):
        t.kv_layers.append(KVLayer(2 * h, None, h))
    t.add("other", _prophetnet_decoder(c, h, V))
    if head == "decoder_stack":
        return t
    copies = 1  # the decoder's own word table when untied
    if head != "causal_lm":
        t.add("other", _prophetnet_encoder(c, h))
        copies = 2
    if not tied:
        t.add("embeddings", copies * V * h)
    if head != "model" and not tied:
        t.add("heads", V * h)
    return t


register(
    "prophetnet",
    prophetnet,
    "ProphetNet",
    classes={"ProphetNetEncoder": "encoder_stack", "ProphetNetDecoder": "decoder_stack"},
)


# ----------------------------------------------------------------------------- Perceiver (text heads)


def _perceiver_layer(
    c: Cfg, *, q: int, kv: int, qk: int | None, v: int | None, cross: bool, widening: int
) -> int:
    """One PerceiverLayer: LayerNorm(s), query/key/value, output projection, LayerNorm, widened MLP."""
    if qk is None:
        shape = c.str("cross_attention_shape_for_attention", default="kv") if cross else "q"
        if shape not in ("q", "kv"):
            raise ConfigProblem("cross_attention_shape_for_attention is neither 'q' nor 'kv'")
        qk = q if shape == "q" else kv
    v = qk if v is None else v
    attn = 2 * q + (2 * kv if cross else 0) + linear(q, qk) + linear(kv, qk) + linear(kv, v)
    attn += linear(v, q if cross else v)
    return attn + 2 * q + linear(q, widening * q) + linear(widening * q, q)


def perceiver(c: Cfg, head: str) -> Tally:
    """Perceiver IO: latent array, one cross-attention layer from the inputs, num_self_attends_per_block
    self-attention layers (reused num_blocks times). Modelled: the bare PerceiverModel and the text heads
    (byte embeddings with learned positions; masked-LM and classification decoders)."""
    claim_heads(head, "masked_lm", "seq_cls", family="perceiver (image, flow and multimodal heads)")
    dl, dm = c.int("d_latents", default=1280), c.int("d_model", default=768)
    V, P = c.int("vocab_size", default=262), c.int("max_position_embeddings", default=2048)
    qk, v = c.int("qk_channels", default=None), c.int("v_channels", default=None)
    n_self = c.int("num_self_attends_per_block", default=26)
    t = encoder_tally(n_self, dl)
    t.add("embeddings", c.int("num_latents", default=256) * dl)
    wide_x, wide_s = (
        c.int("cross_attention_widening_factor", default=1),
        c.int("self_attention_widening_factor", default=1),
    )
    t.add("attention", _perceiver_layer(c, q=dl, kv=dm, qk=qk, v=v, cross=True, widening=wide_x))
    t.add("attention", n_self * _perceiver_layer(c, q=dl, kv=dl, qk=qk, v=v, cross=False, widening=wide_s))
    if head == "model":
        return t
    t.embed(V * dm)
    t.add("embeddings", P * dm)
    if (
        head == "masked_lm"
    ):  # decoder queries: learned positions; 8 heads, qk 256, v = d_model; vocabulary bias
        t.add("heads", P * dm + _perceiver_layer(c, q=dm, kv=dl, qk=256, v=dm, cross=True, widening=1) + V)
    else:  # one learned query of d_latents, then a projection to num_labels
        layer = _perceiver_layer(c, q=dl, kv=dl, qk=None, v=None, cross=True, widening=1)
        t.add("heads", dl + layer + linear(dl, c.num_labels()))
    return t


_PERCEIVER_OTHER = (
    "ImageClassificationLearned",
    "ImageClassificationFourier",
    "ImageClassificationConvProcessing",
    "OpticalFlow",
    "MultimodalAutoencoding",
)
# named so that they resolve to a head the formula refuses (unknown), not to the bare model
register(
    "perceiver", perceiver, "Perceiver", classes={f"PerceiverFor{k}": k.lower() for k in _PERCEIVER_OTHER}
)


# ----------------------------------------------------------------------------- NeoMME


def neomme(c: Cfg, head: str) -> Tally:
    """NeoMME: low-rank token embeddings (embedding_rank, projected), an image patch stem, scale-free RMSNorms,
    GQA attention with a sigmoid-gated output projection and per-head exclusive-attention scales, a two-matrix
    MLP, two residual lambdas per layer and a value-embedding table; the masked-LM head reuses the (tied)
    low-rank factors."""
    claim_heads(head, "masked_lm", "retrieval", family="neomme")
    h, L = c.int("hidden_size", default=1024), c.int("num_hidden_layers", default=22)
    nh, kv = c.int("num_attention_heads", default=16), c.int("num_key_value_heads", default=4)
    hd, inter = c.int("head_dim", default=64), c.int("intermediate_size", default=3584)
    V, r = c.int("vocab_size", default=131072), c.int("embedding_rank", default=256)
    ab, mb = c.bool("attention_bias", default=False), c.bool("mlp_bias", default=False)
    pd = 3 * c.int("patch_size", default=32) ** 2
    t = encoder_tally(L, h)
    t.embed(V * r)
    t.add("embeddings", r * h + V * kv * hd)  # embedding projection, value embeddings
    t.add("other", 2 * pd + pd * 2 * h + linear(2 * h, h))  # patch stem
    attn = linear(h, nh * hd, ab) + 2 * linear(h, kv * hd, ab) + nh + h * nh * hd + linear(nh * hd, h, ab)
    t.add("attention", L * attn)
    t.add("mlp", L * (linear(h, inter, mb) + linear(inter, h, mb)))
    t.add("other", L * 2)  # residual lambdas
    if head == "masked_lm" and not c.bool("tie_word_embeddings", default=True):
        t.add("heads", r * h + V * r)
    elif head == "retrieval":
        t.add("heads", h * c.int("embedding_dim", default=128))
    return t


register("neomme", neomme, "NeoMME", classes={"NeoMMEForRetrieval": "retrieval"})
