"""Encoder-only models: BERT and its copies (RoBERTa, XLM-R, RemBERT, RoCBert, RoFormer, X-MOD, ...), DistilBERT, ALBERT,
ELECTRA, DeBERTa v1/v2, ModernBERT."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, encoder_tally, linear
from hubscan.estimate.families.registry import register


def _bert_layer(h: int, inter: int) -> tuple[int, int, int]:
    """(attention, mlp, norms) of one post-LN BERT layer."""
    return 4 * linear(h, h), linear(h, inter) + linear(inter, h), 4 * h


def _pos_type(c: Cfg) -> None:
    pet = c.raw("position_embedding_type", default="absolute")
    if pet in ("relative_key", "relative_key_query"):
        # transformers 5 ignores the key and builds no distance embedding; checkpoints trained with it (transformers
        # 4) store num_layers x (2P-1) x head_dim more: no single number is right for both.
        raise NotExact(f"position_embedding_type={pet!r}: transformers 5 builds no relative-position table")
    if pet != "absolute":
        raise NotExact(f"position_embedding_type={pet!r} is not modelled")


@dataclass(frozen=True)
class BertShape:
    """What sets a BERT clone apart from BERT (each a general shape; declared per model type at registration)."""

    extra_norm: bool = False  # pre-LN variants whose final LayerNorm comes on top of the embedding LayerNorm
    pos_extra: int = 0  # position table rows beyond max_position_embeddings
    token_types: bool = True
    pooler: str = "base"  # "base": on the base model only; "always": also under LM heads; "never"
    rel_buckets: bool = False  # MPNet: one relative-attention bias table (buckets x heads)
    layout_2d: bool = False  # LayoutLM: x, y, height and width position tables
    heads: tuple[str, ...] | None = None  # the output heads checked against transformers (None: BERT's)
    global_attn: bool = False  # Longformer: separate query/key/value projections for global attention
    cls_dense: bool = False  # classification heads bring their own dense layer (besides any pooler)
    head_conv: bool = False  # Nystromformer: a depthwise convolution over values, conv_kernel_size per head
    emb_key: str | None = None  # config key of the embedding width when it may differ from hidden_size
    project_always: bool = False  # RemBERT: the embedding-to-hidden projection exists even at equal widths
    positions: str = "learned"  # "learned": a position table; "sinusoid_head": RoFormer's (P, head_dim) table
    lm_head: str = (
        "bert"  # "bert": transform + tied decoder; "projected": RemBERT's untied one; "bias": no transform
    )
    extra: Callable[[Cfg], int] | None = None  # further body parameters a clone adds, counted from its config
    qa_labels: int | None = None  # RoFormer: the QA head sets num_labels itself (2), whatever the config says
    cross_attention: bool = True  # add_cross_attention builds a cross-attention block (False: key ignored)


BERT = BertShape()


def _bert_embeddings(c: Cfg, t: Tally, shape: BertShape, *, V: int, E: int, h: int, P: int) -> None:
    t.embed(V * E)
    sizes = c.raw("type_vocab_sizes")  # TAPAS: one token-type table per structural feature
    if (
        isinstance(sizes, list)
        and sizes
        and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in sizes)
    ):
        T = sum(sizes) if shape.token_types else 0
    else:
        T = c.int("type_vocab_size", default=2) if shape.token_types else 0
    if shape.positions == "sinusoid_head":
        t.add("embeddings", P * (h // c.int("num_attention_heads", default=12)) + T * E)
    else:
        t.add("embeddings", (P + shape.pos_extra) * E + T * E)
    t.add("norms", 2 * E + (2 * h if shape.extra_norm else 0))
    if c.bool("use_task_id", default=False):  # ERNIE: task-type embeddings
        t.add("embeddings", c.int("task_type_vocab_size", default=3) * E)
    if shape.layout_2d:
        t.add("embeddings", 4 * c.int("max_2d_position_embeddings", default=1024) * E)
    if shape.rel_buckets:
        t.add("attention", c.int("relative_attention_num_buckets", default=32) * c.int("num_attention_heads"))
    if h != E or shape.project_always:
        t.add("other", linear(E, h))  # embeddings_project
    if shape.extra is not None:
        t.add("other", shape.extra(c))


def _cross_attention(c: Cfg, t: Tally, shape: BertShape, *, L: int, h: int) -> None:
    """``add_cross_attention`` (a BERT used as a decoder): per layer one more attention block (q, k, v, output,
    with biases) and its LayerNorm."""
    if not shape.cross_attention or not c.bool("add_cross_attention", default=False):
        return
    if shape.global_attn or shape.head_conv:
        raise NotExact("add_cross_attention on this BERT variant's attention is not modelled")
    t.add("attention", L * 4 * linear(h, h))
    t.add("norms", L * 2 * h)


def bert_like(c: Cfg, head: str, *, style: str, tie_default: bool = True, shape: BertShape = BERT) -> Tally:
    """BERT-style post-LN encoder; ``shape`` says how a clone differs from BERT."""
    el = style == "electra"
    h = c.int("hidden_size", default=256 if el else 768)
    L = c.int("num_hidden_layers", default=12)
    nh = c.int("num_attention_heads", default=4 if el else 12)
    inter = c.int("intermediate_size", default=1024 if el else 3072)
    V = c.int("vocab_size", default=50265 if style == "roberta" else 30522)
    P = c.int("max_position_embeddings", default=512)
    E = (
        c.int("embedding_size", default=128)
        if el
        else c.int(shape.emb_key, default=h)
        if shape.emb_key
        else h
    )
    if shape.heads is not None and head not in shape.heads:
        raise NotExact(f"output head '{head}' of this BERT variant is not modelled")
    t = encoder_tally(L, h)
    _bert_embeddings(c, t, shape, V=V, E=E, h=h, P=P)
    a, m, n = _bert_layer(h, inter)
    t.add("attention", L * (a + (3 * linear(h, h) if shape.global_attn else 0)))
    if shape.head_conv and c.int("conv_kernel_size", default=None):
        t.add("attention", L * nh * c.int("conv_kernel_size"))
    t.add("mlp", L * m)
    t.add("norms", L * n)
    _cross_attention(c, t, shape, L=L, h=h)
    if not el:
        _pos_type(c)
    labels = c.num_labels()
    pooler = 0 if shape.pooler == "never" else linear(h, h)
    tied = c.bool("tie_word_embeddings", default=tie_default)
    if shape.pooler == "always" and head not in ("model", "seq_cls", "multiple_choice", "pretraining"):
        t.add("heads", pooler)  # the base model keeps its pooler under every head
    if head == "model":
        if not el:
            t.add("heads", pooler)
    elif head in ("masked_lm", "causal_lm"):  # *ForCausalLM / *LMHeadModel: the same LM head, no pooler
        t.add("heads", _lm_head(c, shape, el=el, h=h, E=E, V=V, tied=tied))
    elif head == "seq_cls":
        if shape.cls_dense:
            t.add("heads", pooler + linear(h, h) + linear(h, labels))
        elif style == "bert":
            t.add("heads", pooler + linear(h, labels))
        elif style == "electra":
            t.add("heads", linear(h, h) + linear(h, labels))
        else:  # roberta / electra classification head: dense + out_proj
            t.add("heads", linear(h, h) + linear(h, labels))
    elif head == "token_cls":
        t.add("heads", linear(h, labels))
    elif head == "qa":
        t.add("heads", linear(h, shape.qa_labels or labels))  # num_labels outputs (2 by default)
    elif head == "multiple_choice" and not el:
        t.add("heads", pooler + linear(h, 1) + (linear(h, h) if shape.cls_dense else 0))
    elif head == "pretraining" and style == "electra":
        t.add("heads", linear(h, h) + linear(h, 1))
    elif head == "pretraining" and style == "bert":
        t.add("heads", pooler + linear(h, h) + 2 * h + V + (0 if tied else V * h + V) + linear(h, 2))
    else:
        raise NotExact(f"output head '{head}' is not modelled for {style}")
    return t


def _lm_head(c: Cfg, shape: BertShape, *, el: bool, h: int, E: int, V: int, tied: bool) -> int:
    if el:
        return linear(h, E) + 2 * E + V + (0 if tied else V * E)
    if shape.lm_head == "projected":  # RemBERT: dense to output_embedding_size, LayerNorm, its own decoder
        w = c.int("output_embedding_size", default=1664)
        return linear(h, w) + 2 * w + linear(w, V)
    transform = 0 if shape.lm_head == "bias" else linear(h, E) + 2 * E
    # untied, the decoder keeps its own bias next to the head's `bias` (transformers 5)
    return transform + V + (0 if tied else V * E + V)


def bert(c: Cfg, head: str) -> Tally:
    return bert_like(c, head, style="bert")


def roberta(c: Cfg, head: str) -> Tally:
    return bert_like(c, head, style="roberta")


def electra(c: Cfg, head: str) -> Tally:
    return bert_like(c, head, style="electra")


def distilbert(c: Cfg, head: str) -> Tally:
    h = c.int("dim", default=768)
    L = c.int("n_layers", default=6)
    c.int("n_heads", default=12)  # read for its type check; the count does not depend on it
    inter = c.int("hidden_dim", default=3072)
    V = c.int("vocab_size", default=30522)
    P = c.int("max_position_embeddings", default=512)
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("embeddings", P * h)
    t.add("norms", 2 * h)
    a, m, n = _bert_layer(h, inter)
    t.add("attention", L * a)
    t.add("mlp", L * m)
    t.add("norms", L * n)
    labels = c.num_labels()
    if head == "masked_lm":
        t.add(
            "heads", linear(h, h) + 2 * h + V + (0 if c.bool("tie_word_embeddings", default=True) else V * h)
        )
    elif head == "seq_cls":
        t.add("heads", linear(h, h) + linear(h, labels))
    elif head == "token_cls":
        t.add("heads", linear(h, labels))
    elif head == "qa":
        t.add("heads", linear(h, 2))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for distilbert")
    return t


def albert(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=4096)
    L = c.int("num_hidden_layers", default=12)
    c.int("num_attention_heads", default=64)  # read for its type check; the count does not depend on it
    inter = c.int("intermediate_size", default=16384)
    V = c.int("vocab_size", default=30000)
    P = c.int("max_position_embeddings", default=512)
    T = c.int("type_vocab_size", default=2)
    E = c.int("embedding_size", default=128)
    groups = c.int("num_hidden_groups", default=1)
    inner = c.int("inner_group_num", default=1)
    t = encoder_tally(L, h)
    t.embed(V * E)
    t.add("embeddings", P * E + T * E)
    t.add("norms", 2 * E)
    t.add("other", linear(E, h))
    a, m, n = _bert_layer(h, inter)
    t.add("attention", groups * inner * a)
    t.add("mlp", groups * inner * m)
    t.add("norms", groups * inner * n)
    t.notes.append(f"ALBERT shares weights: {groups}x{inner} distinct layers reused across {L} layers")
    if head == "model":
        t.add("heads", linear(h, h))
    elif head == "masked_lm":
        t.add("heads", 2 * E + V + linear(h, E))
    elif head == "seq_cls":
        t.add("heads", linear(h, h) + linear(h, c.num_labels()))
    elif head == "pretraining":
        t.add("heads", linear(h, h) + 2 * E + V + linear(h, E) + linear(h, 2))
    else:
        raise NotExact(f"output head '{head}' is not modelled for albert")
    return t


def _pos_att(c: Cfg) -> list[str]:
    v = c.raw("pos_att_type", default=None)
    if v is None:
        return []
    if isinstance(v, str):
        return [x.strip() for x in v.lower().split("|")]
    if isinstance(v, list):
        return [str(x) for x in v]
    raise ConfigProblem("pos_att_type is neither a string nor a list")


def _signed(c: Cfg, key: str) -> int:
    v = c.raw(key, default=-1)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigProblem(f"{key} = {v!r} is not an integer")
    return v


def deberta(c: Cfg, head: str, *, v2: bool) -> Tally:
    h = c.int("hidden_size", default=1536 if v2 else 768)
    L = c.int("num_hidden_layers", default=24 if v2 else 12)
    nh = c.int("num_attention_heads", default=24 if v2 else 12)
    inter = c.int("intermediate_size", default=6144 if v2 else 3072)
    V = c.int("vocab_size", default=128100 if v2 else 50265)
    P = c.int("max_position_embeddings", default=512)
    T = c.int("type_vocab_size", default=0)
    E = c.int("embedding_size", default=h)
    rel = c.bool("relative_attention", default=False)
    pos_att = _pos_att(c)
    t = encoder_tally(L, h)
    t.embed(V * E)
    if c.bool("position_biased_input", default=True):
        t.add("embeddings", P * E)
    if T > 0:
        t.add("embeddings", T * E)
    if h != E:
        t.add("other", E * h)
    t.add("norms", 2 * h)
    if v2:
        attn = 3 * linear(h, h)
    else:
        attn = h * 3 * h + 2 * h
        if c.bool("talking_head", default=False):
            attn += 2 * nh * nh
    if rel:
        max_rel = _signed(c, "max_relative_positions")
        if max_rel < 1:
            max_rel = P
        if v2:
            buckets = _signed(c, "position_buckets")
            rel_size = (buckets if buckets > 0 else max_rel) * 2
            if not c.bool("share_att_key", default=True):
                if "c2p" in pos_att:
                    attn += linear(h, h)
                if "p2c" in pos_att:
                    attn += linear(h, h)
            t.add("embeddings", rel_size * h)
            norm_rel = [x.strip() for x in str(c.raw("norm_rel_ebd", default="none")).lower().split("|")]
            if "layer_norm" in norm_rel:
                t.add("norms", 2 * h)
        else:
            if "c2p" in pos_att:
                attn += h * h
            if "p2c" in pos_att:
                attn += linear(h, h)
            t.add("embeddings", max_rel * 2 * h)
    if v2:
        k = c.int("conv_kernel_size", default=0)
        if k > 0:
            groups = c.int("conv_groups", default=1)
            t.add("other", h * (h // groups) * k + h + 2 * h)
    t.add("attention", L * (attn + linear(h, h)))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h)
    labels = c.num_labels()
    if head == "seq_cls":
        ph = c.int("pooler_hidden_size", default=h)
        t.add("heads", linear(ph, ph) + linear(ph, labels))
    elif head in ("token_cls", "qa"):  # qa_outputs has num_labels outputs (2 by default)
        t.add("heads", linear(h, labels))
    elif head == "masked_lm":  # BERT's LM head; untied, the decoder keeps its own bias (transformers 5)
        tied = c.bool("tie_word_embeddings", default=True)
        t.add("heads", linear(h, h) + 2 * h + V + (0 if tied else V * h + V))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for deberta")
    return t


def modernbert(c: Cfg, head: str) -> Tally:
    h = c.int("hidden_size", default=768)
    L = c.int("num_hidden_layers", default=22)
    c.int("num_attention_heads", default=12)  # read for its type check; the count does not depend on it
    inter = c.int("intermediate_size", default=1152)
    V = c.int("vocab_size", default=50368)
    nb = c.bool("norm_bias", default=False)
    ab = c.bool("attention_bias", default=False)
    mb = c.bool("mlp_bias", default=False)
    ln = 2 * h if nb else h
    t = encoder_tally(L, h)
    t.embed(V * h)
    t.add("norms", ln)
    t.add("attention", L * (linear(h, 3 * h, ab) + linear(h, h, ab)))
    t.add("mlp", L * (linear(h, 2 * inter, mb) + linear(inter, h, mb)))
    t.add("norms", (2 * L - 1) * ln + ln)  # layer 0 has no attn_norm; plus final_norm
    pred = linear(h, h, c.bool("classifier_bias", default=False)) + ln
    if head == "masked_lm":
        tiedw = c.bool("tie_word_embeddings", default=True)
        t.add("heads", pred + (0 if tiedw else V * h) + (V if c.bool("decoder_bias", default=True) else 0))
    elif head in ("seq_cls", "token_cls"):
        t.add("heads", pred + linear(h, c.num_labels()))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for modernbert")
    return t


register("bert", bert, "Bert")
register("roberta", roberta, "Roberta")
register("xlm-roberta", lambda c, h: bert_like(c, h, style="xlm-roberta"), "XLMRoberta", name="xlm-roberta")
register("electra", electra, "Electra")
register("camembert", roberta, "Camembert", name="camembert")
register("ernie", bert, "Ernie", name="ernie")
# Pre-LN BERTs: a LayerNorm per sub-layer as in BERT; Megatron-BERT and XLM-R XL move the embedding LayerNorm to
# the end of the encoder (same count), RoBERTa-PreLayerNorm keeps it and adds the final one.
register("megatron-bert", bert, "MegatronBert", name="megatron-bert")
register("xlm-roberta-xl", roberta, "XLMRobertaXL", name="xlm-roberta-xl")


def _roberta_shaped(**shape: Any) -> Callable[[Cfg, str], Tally]:
    """A RoBERTa copy that differs by ``shape`` (BertShape fields)."""
    return lambda c, h: bert_like(c, h, style="roberta", shape=BertShape(**shape))


register(
    "roberta-prelayernorm",
    _roberta_shaped(extra_norm=True),
    "RobertaPreLayerNorm",
    name="roberta-prelayernorm",
)
register("data2vec-text", roberta, "Data2VecText", name="data2vec-text")
register("ibert", _roberta_shaped(cross_attention=False), "IBert", name="ibert")  # IBert ignores the key
_LM_AND_BASE = ("model", "masked_lm", "causal_lm", "token_cls")
_BERT_HEADS = (*_LM_AND_BASE, "seq_cls", "qa", "multiple_choice")  # not the pretraining heads
register(
    "big_bird",
    lambda c, h: bert_like(
        c, h, style="bert", shape=BertShape(pooler="always", cls_dense=True, heads=(*_LM_AND_BASE, "seq_cls"))
    ),
    "BigBird",
)
register(
    "layoutlm",
    lambda c, h: bert_like(
        c, h, style="bert", shape=BertShape(layout_2d=True, pooler="always", cross_attention=False)
    ),
    "LayoutLM",
)
register(
    "mpnet",
    lambda c, h: bert_like(
        c, h, style="roberta", shape=BertShape(token_types=False, rel_buckets=True, cross_attention=False)
    ),
    "MPNet",
)
register(
    "longformer",
    lambda c, h: bert_like(
        c,
        h,
        style="roberta",
        shape=BertShape(global_attn=True, heads=(*_LM_AND_BASE, "seq_cls"), cross_attention=False),
    ),
    "Longformer",
)
register(
    "tapas",
    lambda c, h: bert_like(c, h, style="bert", shape=BertShape(heads=("model", "masked_lm", "seq_cls"))),
    "Tapas",
)
_NO_POOLER = BertShape(
    pos_extra=2,
    pooler="never",
    cls_dense=True,
    heads=(*_LM_AND_BASE, "seq_cls", "multiple_choice"),
    cross_attention=False,
)
register(
    "nystromformer",
    lambda c, h: bert_like(c, h, style="bert", shape=replace(_NO_POOLER, head_conv=True)),
    "Nystromformer",
)
for _mt, _prefix in (("mra", "Mra"), ("yoso", "Yoso")):
    register(
        _mt,
        lambda c, h: bert_like(c, h, style="bert", shape=_NO_POOLER),
        _prefix,
    )
register("distilbert", distilbert, "DistilBert")
register("albert", albert, "Albert")
register("deberta", lambda c, h: deberta(c, h, v2=False), "Deberta")
register("deberta-v2", lambda c, h: deberta(c, h, v2=True), "DebertaV2")
register("modernbert", modernbert, "ModernBert")
register(
    "rembert",
    lambda c, h: bert_like(
        c,
        h,
        style="bert",
        shape=BertShape(emb_key="input_embedding_size", project_always=True, lm_head="projected"),
    ),
    "RemBert",
)


def _roc_bert_inputs(c: Cfg) -> int:
    """RoCBert: pronunciation and glyph-shape tables (always built) and, with concat_input, the layer mapping the
    concatenated embeddings back to hidden_size."""
    h = c.int("hidden_size", default=768)
    pd, sd = c.int("pronunciation_embed_dim", default=768), c.int("shape_embed_dim", default=512)
    n = c.int("pronunciation_vocab_size", default=910) * pd + c.int("shape_vocab_size", default=24858) * sd
    if c.bool("concat_input", default=True):
        width = h + (pd if c.bool("enable_pronunciation", default=True) else 0)
        n += linear(width + (sd if c.bool("enable_shape", default=True) else 0), h)
    return n


register(
    "roc_bert",
    lambda c, h: bert_like(c, h, style="bert", shape=BertShape(extra=_roc_bert_inputs, heads=_BERT_HEADS)),
    "RoCBert",
)


def roformer(c: Cfg, head: str) -> Tally:
    if head == "multiple_choice" and c.bool("summary_use_proj", default=False):
        raise NotExact("RoFormer's multiple-choice summary projection is not modelled")
    shape = BertShape(
        emb_key="embedding_size", positions="sinusoid_head", pooler="never", heads=_BERT_HEADS, qa_labels=2
    )
    return bert_like(c, head, style="roberta", shape=shape)


register("roformer", roformer, "RoFormer")


def _xmod_adapters(c: Cfg) -> int:
    """X-MOD: one bottleneck adapter per language in every layer, optional adapter LayerNorms, and with pre_norm
    the encoder's final LayerNorm."""
    h, L = c.int("hidden_size", default=768), c.int("num_hidden_layers", default=12)
    langs = c.raw("languages", default=["en_XX"])
    if not isinstance(langs, list | tuple) or not langs:
        raise ConfigProblem("languages is not a non-empty list")
    b = h // c.int("adapter_reduction_factor", default=2)
    per_layer = len({str(x) for x in langs}) * (linear(h, b) + linear(b, h))
    per_layer += 2 * h if c.bool("adapter_layer_norm", default=False) else 0
    return L * per_layer + (2 * h if c.bool("pre_norm", default=False) else 0)


register(
    "xmod",
    lambda c, h: bert_like(c, h, style="roberta", shape=BertShape(extra=_xmod_adapters, heads=_BERT_HEADS)),
    "Xmod",
)
register(
    "bert-generation",
    lambda c, h: bert_like(
        c,
        h,
        style="bert",
        shape=BertShape(token_types=False, pooler="never", lm_head="bias", heads=("model", "causal_lm")),
    ),
    "BertGeneration",
    name="bert-generation",
    classes={"BertGenerationEncoder": "model", "BertGenerationDecoder": "causal_lm"},
)
