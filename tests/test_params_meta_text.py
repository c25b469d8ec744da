"""Text encoders, decoder-only heads of encoder-decoder families, classic decoders and the per-family shapes of
the structural estimator, against transformers' own module tree.

Each case is a seeded random small config (depth, width, heads, vocabulary, labels, tied or not) under one of
the model type's head classes. Whenever hubscan answers ``exact`` (default install, no transformers), its total
must equal ``sum(p.numel() for p in model.parameters())`` of the model transformers builds on the meta device;
the structural estimator's raw count must equal it too on the model types listed below. Skipped when
transformers/torch are not installed.
"""

from __future__ import annotations

import copy
import random

import pytest

from hubscan.estimate.footprint import analyze_config

transformers = pytest.importorskip("transformers")
pytest.importorskip("torch")

from transformers.models.auto.configuration_auto import CONFIG_MAPPING  # noqa: E402

from hubscan.estimate import meta  # noqa: E402
from hubscan.estimate.structural import count_structural  # noqa: E402

HEADS = (
    "Model",
    "ForMaskedLM",
    "ForCausalLM",
    "LMHeadModel",
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
    "ForMultipleChoice",
    "ForConditionalGeneration",
    "Encoder",  # BertGenerationEncoder / BertGenerationDecoder
    "Decoder",
)
# model type -> class-name prefix
ANALYTIC = {
    "bert": "Bert",
    "roberta": "Roberta",
    "camembert": "Camembert",
    "ernie": "Ernie",
    "megatron-bert": "MegatronBert",
    "xlm-roberta-xl": "XLMRobertaXL",
    "roberta-prelayernorm": "RobertaPreLayerNorm",
    "ibert": "IBert",
    "big_bird": "BigBird",
    "layoutlm": "LayoutLM",
    "mpnet": "MPNet",
    "mra": "Mra",
    "yoso": "Yoso",
    "nystromformer": "Nystromformer",
    "longformer": "Longformer",
    "tapas": "Tapas",
    "rembert": "RemBert",
    "roc_bert": "RoCBert",
    "roformer": "RoFormer",
    "xmod": "Xmod",
    "bert-generation": "BertGeneration",
    "deberta": "Deberta",
    "bart": "Bart",
    "mbart": "MBart",
    "pegasus": "Pegasus",
    "plbart": "PLBart",
    "blenderbot": "Blenderbot",
    "blenderbot-small": "BlenderbotSmall",
    "trocr": "TrOCR",
    "whisper": "Whisper",
}
STRUCTURAL = {
    "openai-gpt": "OpenAIGPT",
    "codegen": "CodeGen",
    "ctrl": "CTRL",
    "xglm": "XGLM",
    "biogpt": "BioGpt",
    "persimmon": "Persimmon",
    "bamba": "Bamba",
    "falcon_h1": "FalconH1",
    "mamba2": "Mamba2",
    "glm4": "Glm4",
    "cohere2": "Cohere2",
    "jais2": "Jais2",
    "bitnet": "BitNet",
    "diffllama": "DiffLlama",
    "olmoe": "Olmoe",
    "minimax": "MiniMax",
}
LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "decoder_layers", "encoder_layers")


def _config(mt: str, r: random.Random) -> dict:
    """The config class's defaults, shrunk: few layers, random label count, random tying."""
    d = CONFIG_MAPPING[mt]().to_dict()
    for k in LAYER_KEYS:
        if isinstance(d.get(k), int) and d[k] > 2:
            d[k] = r.randint(1, 3)
    if isinstance(d.get("attn_layer_indices"), list) or mt == "bamba":
        d["attn_layer_indices"] = sorted(r.sample(range(d["num_hidden_layers"]), r.randint(0, 1)))
    if "layer_types" in d and isinstance(d["layer_types"], list):
        n = next(d[k] for k in LAYER_KEYS if isinstance(d.get(k), int))
        d["layer_types"] = (d["layer_types"] * n)[:n]
    if r.random() < 0.5:
        d["tie_word_embeddings"] = not d.get("tie_word_embeddings", True)
    if r.random() < 0.5:
        d["num_labels"] = r.randint(1, 6)
        d.pop("id2label", None)
        d.pop("label2id", None)
    return d


def _meta(d: dict) -> int | None:
    try:
        model = meta.build_meta_model(copy.deepcopy(d))
    except Exception:  # noqa: BLE001 - a combination transformers refuses is not a case
        return None
    return sum(p.numel() for p in model.parameters())


def _cases(table: dict[str, str], seed: int) -> list[tuple[str, dict]]:
    r = random.Random(seed)
    out = []
    for mt, prefix in table.items():
        for suffix in HEADS:
            if hasattr(transformers, prefix + suffix):
                for _ in range(2):
                    d = _config(mt, r)
                    d["architectures"] = [prefix + suffix]
                    out.append((mt, d))
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_exact_answers_equal_the_meta_count(seed):
    checked = exact = 0
    for mt, d in _cases(ANALYTIC | STRUCTURAL, seed):
        truth = _meta(d)
        if truth is None:
            continue
        checked += 1
        p = analyze_config(copy.deepcopy(d), use_transformers=False)["params"]
        if p["confidence"] == "exact":
            exact += 1
            assert p["total"] == truth, (mt, d["architectures"][0], p["total"], truth)
    assert checked >= 80 and exact >= checked // 2, (checked, exact)


def test_structural_shapes_equal_the_meta_count():
    for mt, d in _cases(STRUCTURAL, 7):
        arch = d["architectures"][0]
        if not arch.endswith(("ForCausalLM", "LMHeadModel")):
            continue
        truth = _meta(d)
        if truth is None:
            continue
        assert count_structural(copy.deepcopy(d)).total == truth, (mt, arch)


@pytest.mark.parametrize("mt", ["bert", "roberta", "ernie", "xmod", "roc_bert", "rembert"])
def test_relative_position_keys_are_never_a_confident_wrong_number(mt):
    """transformers 5 ignores ``position_embedding_type="relative_key"`` (no distance embedding) while old
    checkpoints store one: an `exact` answer must still be transformers' own count."""
    d = CONFIG_MAPPING[mt](num_hidden_layers=2).to_dict()
    d["position_embedding_type"] = "relative_key"
    d["architectures"] = [ANALYTIC[mt] + "Model"]
    truth = _meta(d)
    assert truth is not None
    p = analyze_config(copy.deepcopy(d), use_transformers=False)["params"]
    assert p["confidence"] != "exact" or p["total"] == truth, (mt, p["total"], truth)


BERT_COPIES = {
    **{mt: ANALYTIC[mt] for mt in list(ANALYTIC)[: list(ANALYTIC).index("bert-generation") + 1]},
    "xlm-roberta": "XLMRoberta",
    "data2vec-text": "Data2VecText",
    "electra": "Electra",
}


def test_cross_attention_decoders_are_counted_with_their_cross_attention():
    """A BERT copy configured as a decoder with ``add_cross_attention`` has one more attention block and
    LayerNorm per layer: an `exact` answer must be transformers' count, for every class that builds."""
    exact = 0
    for mt, prefix in BERT_COPIES.items():
        for suffix in ("Model", "ForCausalLM", "LMHeadModel", "Decoder"):
            if not hasattr(transformers, prefix + suffix):  # the meta build would fall back to another class
                continue
            d = CONFIG_MAPPING[mt](num_hidden_layers=2, add_cross_attention=True, is_decoder=True).to_dict()
            d["architectures"] = [prefix + suffix]
            truth = _meta(d)
            if truth is None:
                continue
            p = analyze_config(copy.deepcopy(d), use_transformers=False)["params"]
            if p["confidence"] == "exact":
                exact += 1
                assert p["total"] == truth, (mt, suffix, p["total"], truth)
    assert exact >= 8, exact
