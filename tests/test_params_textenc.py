"""Text encoders and old-style language models (families/textenc.py).

Three kinds of checks:
- tiny configs whose parameter count is summed by hand below, module by module, independently of the formulas
  (no torch needed);
- heads and options the formulas do not describe come out ``unknown`` (no total), never a number labelled exact;
- with transformers + torch installed: seeded random small configs under every head class transformers has for
  these model types, built on the meta device; every ``exact`` answer must equal the built count.
"""

from __future__ import annotations

import copy
import random

import pytest

from params_meta import _exact, _params

# ----------------------------------------------------------------------------- hand-summed tiny configs


def test_eurobert_gqa_by_hand():
    cfg = {
        "model_type": "eurobert",
        "architectures": ["EuroBertForMaskedLM"],
        "vocab_size": 10,
        "hidden_size": 8,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "intermediate_size": 16,
        "tie_word_embeddings": False,
    }
    embed = 10 * 8
    q, k, v, o = 8 * 8, 8 * 4, 8 * 4, 8 * 8  # head_dim 4, one key/value head
    gate, up, down = 8 * 16, 8 * 16, 16 * 8
    rms = 8 + 8
    layer = q + k + v + o + gate + up + down + rms
    body = embed + 2 * layer + 8  # final RMSNorm
    assert _exact(cfg) == body + 10 * 8  # untied lm_head, no bias (mlp_bias false)
    assert _exact({**cfg, "tie_word_embeddings": True}) == body
    assert _exact({**cfg, "architectures": ["EuroBertForSequenceClassification"], "num_labels": 3}) == (
        body + (8 * 8 + 8) + (8 * 3 + 3)
    )


def test_xlm_language_embeddings_and_lm_head_by_hand():
    cfg = {
        "model_type": "xlm",
        "architectures": ["XLMWithLMHeadModel"],
        "vocab_size": 20,
        "emb_dim": 8,
        "n_layers": 1,
        "n_heads": 2,
        "max_position_embeddings": 6,
        "n_langs": 3,
        "use_lang_emb": True,
    }
    emb = 20 * 8 + 6 * 8 + 3 * 8 + 2 * 8  # words, positions, languages, LayerNorm
    attn = 4 * (8 * 8 + 8)
    ffn = (8 * 32 + 32) + (32 * 8 + 8)  # 4 x emb_dim
    norms = 2 * (2 * 8)
    base = emb + attn + ffn + norms
    assert _exact(cfg) == base + 20  # tied projection: only its bias
    assert _exact({**cfg, "n_langs": 1}) == base - 3 * 8 + 20
    assert _exact({**cfg, "architectures": ["XLMModel"]}) == base
    # the sequence summary projects to num_labels
    assert (
        _exact({**cfg, "architectures": ["XLMForSequenceClassification"], "num_labels": 4})
        == base + 8 * 4 + 4
    )


def test_squeezebert_grouped_convolutions_by_hand():
    cfg = {
        "model_type": "squeezebert",
        "architectures": ["SqueezeBertModel"],
        "vocab_size": 10,
        "hidden_size": 8,
        "embedding_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 16,
        "max_position_embeddings": 5,
        "type_vocab_size": 2,
        "q_groups": 2,
        "k_groups": 4,
        "v_groups": 1,
        "post_attention_groups": 1,
        "intermediate_groups": 2,
        "output_groups": 4,
    }
    emb = 10 * 8 + 5 * 8 + 2 * 8 + 2 * 8
    q = 8 * (8 // 2) + 8
    k = 8 * (8 // 4) + 8
    v = 8 * 8 + 8
    post = 8 * 8 + 8 + 2 * 8
    inter = 16 * (8 // 2) + 16
    out = 8 * (16 // 4) + 8 + 2 * 8
    pooler = 8 * 8 + 8
    assert _exact(cfg) == emb + q + k + v + post + inter + out + pooler


def test_convbert_span_convolution_by_hand():
    cfg = {
        "model_type": "convbert",
        "architectures": ["ConvBertModel"],
        "vocab_size": 10,
        "hidden_size": 8,
        "embedding_size": 4,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "head_ratio": 2,
        "conv_kernel_size": 3,
        "intermediate_size": 16,
        "max_position_embeddings": 5,
        "type_vocab_size": 2,
        "num_groups": 1,
    }
    emb = 10 * 4 + 5 * 4 + 2 * 4 + 2 * 4 + (4 * 8 + 8)  # narrower embeddings, then a projection
    heads = 4 // 2
    width = heads * ((8 // heads) // 2)  # 2 heads of half width: 4
    qkv = 3 * (8 * width + width)
    separable = 8 * 3 + width * 8 + width  # depthwise, pointwise, its bias
    kernel = width * heads * 3 + heads * 3
    conv_out = 8 * width + width
    out = 8 * 8 + 8 + 2 * 8
    ffn = (8 * 16 + 16) + (16 * 8 + 8) + 2 * 8
    assert _exact(cfg) == emb + qkv + separable + kernel + conv_out + out + ffn


def test_funnel_base_model_has_no_decoder():
    cfg = {
        "model_type": "funnel",
        "architectures": ["FunnelModel"],
        "vocab_size": 10,
        "block_sizes": [1, 2],
        "num_decoder_layers": 1,
        "d_model": 8,
        "n_head": 2,
        "d_head": 3,
        "d_inner": 16,
    }
    w = 2 * 3
    attn = 8 * w + 2 * (8 * w + w) + (w * 8 + 8) + 8 * w + 3 * w + 2 * w + 2 * 8
    ffn = (8 * 16 + 16) + (16 * 8 + 8) + 2 * 8
    layer = attn + ffn
    emb = 10 * 8 + 2 * 8
    assert _exact(cfg) == emb + 4 * layer  # 3 encoder layers + 1 decoder layer
    assert _exact({**cfg, "architectures": ["FunnelBaseModel"]}) == emb + 3 * layer
    assert _exact({**cfg, "architectures": ["FunnelForSequenceClassification"], "num_labels": 2}) == (
        emb + 3 * layer + (8 * 8 + 8) + (8 * 2 + 2)
    )


def test_cpmant_and_gpt_neox_japanese_by_hand():
    cpm = {
        "model_type": "cpmant",
        "architectures": ["CpmAntForCausalLM"],
        "vocab_size": 10,
        "hidden_size": 8,
        "num_attention_heads": 2,
        "dim_head": 3,
        "dim_ff": 12,
        "num_hidden_layers": 1,
        "position_bias_num_buckets": 4,
        "prompt_types": 2,
        "prompt_length": 3,
        "segment_types": 2,
    }
    emb = (10 + 2 * 3) * 8 + 2 * 8
    bias = (2 * 2 + 4) * 2
    layer = 8 + 4 * 8 * 6 + 8 + 3 * 8 * 12  # weight-only norms, bias-free attention, gated FFN
    assert _exact(cpm) == emb + bias + layer + 8 + 10 * 8  # final norm; the LM head is never tied
    neox = {
        "model_type": "gpt_neox_japanese",
        "architectures": ["GPTNeoXJapaneseForCausalLM"],
        "vocab_size": 10,
        "hidden_size": 8,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_multiple_size": 2,
        "tie_word_embeddings": True,
    }
    layer = 2 * (2 * 8) + 8 * 24 + 8 * 8 + 2 * 8 * 16
    assert _exact(neox) == 10 * 8 + 2 * layer + 8 + 2 * 8  # only the last layer has the dense bias


def test_reformer_axial_positions_by_hand():
    cfg = {
        "model_type": "reformer",
        "architectures": ["ReformerModel"],
        "vocab_size": 10,
        "hidden_size": 8,
        "num_attention_heads": 2,
        "attention_head_size": 3,
        "feed_forward_size": 12,
        "attn_layers": ["lsh", "local"],
        "num_hidden_layers": 2,
        "axial_pos_embds": True,
        "axial_pos_shape": [4, 5],
        "axial_pos_embds_dim": [3, 5],
    }
    pos = 4 * 3 + 5 * 5
    lsh = 2 * 8 * 6 + 6 * 8 + 2 * 8
    local = 3 * 8 * 6 + 6 * 8 + 2 * 8
    ffn = 2 * 8 + (8 * 12 + 12) + (12 * 8 + 8)
    final = 2 * 16
    assert _exact(cfg) == 10 * 8 + pos + lsh + local + 2 * ffn + final


# ----------------------------------------------------------------------------- what stays unknown


@pytest.mark.parametrize(
    "cfg",
    [
        {"model_type": "xlm", "architectures": ["XLMWithLMHeadModel"], "asm": True},
        {"model_type": "convbert", "architectures": ["ConvBertModel"], "add_cross_attention": True},
        {"model_type": "luke", "architectures": ["LukeForPreTraining"]},
        {"model_type": "esmc", "architectures": ["EsmcForCausalLM"]},
        {"model_type": "gte", "architectures": ["GteForMultipleChoice"]},
        {"model_type": "splinter", "architectures": ["SplinterForMaskedLM"]},
        {"model_type": "layoutlmv3", "architectures": ["LayoutLMv3Model"], "patch_size": [16, 8]},
        {
            "model_type": "modernvbert",
            "architectures": ["ModernVBertModel"],
            "text_config": {"model_type": "bert"},
        },
        {"model_type": "dpr", "architectures": ["DPRForMaskedLM"]},
    ],
)
def test_unmodelled_heads_and_options_are_not_exact(cfg):
    p = _params(cfg)
    assert p["confidence"] != "exact", (cfg, p)


def test_next_sentence_prediction_heads_are_not_the_base_model():
    for mt, prefix in (("mobilebert", "MobileBert"), ("fnet", "FNet")):
        base = _exact({"model_type": mt, "architectures": [f"{prefix}Model"]})
        nsp = _exact({"model_type": mt, "architectures": [f"{prefix}ForNextSentencePrediction"]})
        hidden = 512 if mt == "mobilebert" else 768
        assert nsp - base == hidden * 2 + 2


# ----------------------------------------------------------------------------- against transformers (meta device)

TYPES = [
    "eurobert",
    "esmc",
    "xlm",
    "flaubert",
    "fnet",
    "ultrabert",
    "jina_embeddings_v3",
    "gte",
    "nomic_bert",
    "convbert",
    "squeezebert",
    "mobilebert",
    "gpt_neo",
    "splinter",
    "dpr",
    "luke",
    "lilt",
    "markuplm",
    "bros",
    "layoutlmv3",
    "canine",
    "xlnet",
    "gpt_neox_japanese",
    "cpmant",
    "funnel",
    "reformer",
    "bigbird_pegasus",
    "modernvbert",
    "ultravbert",
    "prophetnet",
    "perceiver",
    "neomme",
]
LAYER_KEYS = ("num_hidden_layers", "n_layers", "n_layer", "num_layers", "encoder_layers", "decoder_layers")


def _head_classes(transformers, mt: str) -> list[str]:
    out = []
    for name in dir(transformers):
        if "PreTrained" in name or "Pretrained" in name:
            continue
        try:
            obj = getattr(transformers, name)
        except Exception:  # noqa: BLE001 - a class whose optional backend is missing
            continue
        module = getattr(obj, "__module__", "")
        if isinstance(obj, type) and f"models.{mt}.modeling_" in module and hasattr(obj, "from_pretrained"):
            out.append(name)
    return out


def _small(cfg_cls, mt: str, r: random.Random) -> dict:
    d = cfg_cls().to_dict()
    for k in LAYER_KEYS:
        if isinstance(d.get(k), int) and d[k] > 2:
            d[k] = r.randint(1, 2)
    if mt == "gpt_neo":
        d["attention_types"] = [[["global", "local"], 1]]
        d["attention_layers"] = ["global", "local"]
        d["num_layers"] = 2
    if mt == "reformer":
        d["attn_layers"] = ["lsh", "local"][: d.get("num_hidden_layers", 2)]
    if r.random() < 0.5:
        d["tie_word_embeddings"] = not d.get("tie_word_embeddings", True)
    if r.random() < 0.5:
        d["num_labels"] = r.randint(1, 12)
        d.pop("id2label", None)
        d.pop("label2id", None)
    return d


def test_exact_answers_equal_the_meta_count_for_every_head_class():
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    from hubscan.estimate import meta

    r = random.Random(12)
    checked, exact, unmatched = 0, 0, []
    for mt in TYPES:
        for cls in _head_classes(transformers, mt):
            d = _small(CONFIG_MAPPING[mt], mt, r)
            d["architectures"] = [cls]
            try:
                truth = sum(p.numel() for p in meta.build_meta_model(copy.deepcopy(d)).parameters())
            except Exception:  # noqa: BLE001 - a combination transformers refuses is not a case
                continue
            checked += 1
            p = _params(d)
            if p["confidence"] == "exact":
                exact += 1
                if p["total"] != truth:
                    unmatched.append((mt, cls, p["total"], truth))
    assert not unmatched
    assert checked >= 100 and exact >= 0.9 * checked, (checked, exact)


def test_dpr_abstract_base_classes_are_unknown():
    # DPRPretrainedReader & co. are transformers' abstract bases: no modules, never the encoder's count
    for cls in ("DPRPretrainedReader", "DPRPretrainedContextEncoder", "DPRPretrainedQuestionEncoder"):
        assert _params({"model_type": "dpr", "architectures": [cls]})["total"] is None
