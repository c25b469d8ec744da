"""Lineage when `baseModels` is absent: `base_model:<id>` and `base_model:<relation>:<id>` tags and the card's
`base_model`/`base_model_relation` give the edge; without a declared relation it is inferred as the Hub
documents (adapter files, quantized weights/GGUF, several bases, else finetune) and stored as inferred."""

from __future__ import annotations

import json
import sqlite3

import pytest

from hubscan.derive import resolve_families
from hubscan.derive.lineage import infer_relation, tag_bases
from hubscan.store import open_db


@pytest.mark.parametrize(("tags", "expected"), [
    (["base_model:google/gemma-3-12b-it"], (None, ["google/gemma-3-12b-it"])),
    (["base_model:quantized:google/gemma-3-12b-it", "base_model:google/gemma-3-12b-it"], ("quantized", ["google/gemma-3-12b-it"])),
    (["base_model:merge:a/x", "base_model:merge:b/y", "license:mit"], ("merge", ["a/x", "b/y"])),
    (["base_model:adapter:meta-llama/Llama-3.1-8B"], ("adapter", ["meta-llama/Llama-3.1-8B"])),
    (["base_model:finetune:bert-base-uncased"], ("finetune", ["bert-base-uncased"])),
    (["transformers", "base_model:"], (None, [])),
    (None, (None, [])),
])  # fmt: skip
def test_tag_bases(tags, expected):
    assert tag_bases(tags) == expected


def test_inference_order():
    assert infer_relation(["a/b"], adapter=True, quantized=True) == "adapter"
    assert infer_relation(["a/b"], adapter=False, quantized=True) == "quantized"
    assert infer_relation(["a/b", "c/d"], adapter=False, quantized=False) == "merge"
    assert infer_relation(["a/b"], adapter=False, quantized=False) == "finetune"


# id, tags, card_data, base_models JSON, files, gguf_total, config raw
MODELS = [
    ("org/base", [], None, None, [], None, None),
    ("u/tag-only", ["base_model:org/base"], None, None, [], None, None),
    ("u/tag-relation", ["base_model:quantized:org/base", "base_model:org/base"], None, None, [], None, None),
    (
        "u/lora",
        ["base_model:org/base"],
        None,
        None,
        ["adapter_config.json", "adapter_model.safetensors"],
        None,
        None,
    ),
    ("u/gguf", ["base_model:org/base", "gguf"], None, None, ["model-q4.gguf"], 7_000_000, None),
    ("u/gptq-config", ["base_model:org/base"], None, None, [], None, '{"quantization_config": {"bits": 4}}'),
    ("u/merge", ["base_model:org/base", "base_model:u/tag-only"], None, None, [], None, None),
    ("u/card", [], {"base_model": "org/base", "base_model_relation": "adapter"}, None, [], None, None),
    ("u/card-plain", [], {"base_model": ["org/base"]}, None, [], None, None),
    ("u/declared", [], None, {"relation": "quantized", "models": ["org/base"]}, [], None, None),
    ("u/self", ["base_model:u/self"], None, None, [], None, None),
]
EXPECTED = {
    "org/base": (None, None, None),
    "u/tag-only": ("org/base", "finetune", 1),
    "u/tag-relation": ("org/base", "quantized", 0),
    "u/lora": ("org/base", "adapter", 1),
    "u/gguf": ("org/base", "quantized", 1),
    "u/gptq-config": ("org/base", "quantized", 1),
    "u/merge": ("org/base", "merge", 1),
    "u/card": ("org/base", "adapter", 0),
    "u/card-plain": ("org/base", "finetune", 1),
    "u/declared": ("org/base", "quantized", 0),
    "u/self": (None, None, None),
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    path = tmp_path_factory.mktemp("lineage-tags") / "cat.db"
    db = open_db(path)
    for mid, tags, card, base, files, gguf, config in MODELS:
        db["models"].insert({"id": mid, "tags": json.dumps(tags), "gguf_total": gguf,
                             "base_models": json.dumps(base) if base else None})  # fmt: skip
        if card is not None:
            db["cards"].insert({"model_id": mid, "card_data": json.dumps(card)})
        for name in files:
            db["files"].insert({"model_id": mid, "path": name, "status": "ok"})
        if config:
            db["configs"].insert({"model_id": mid, "status": "ok", "raw": config})
    stats = resolve_families(db)
    db.close()
    return path, stats


def test_edges_relations_and_the_inferred_flag(catalog):
    path, stats = catalog
    con = sqlite3.connect(path)
    rows = {
        r[0]: r[1:]
        for r in con.execute("SELECT model_id, parent_id, relation, relation_inferred FROM lineage")
    }
    con.close()
    assert rows == EXPECTED
    assert stats["relation_inferred"] == sum(1 for v in EXPECTED.values() if v[2] == 1)


def test_family_counts_use_the_relation(catalog):
    path, _ = catalog
    con = sqlite3.connect(path)
    row = con.execute(
        "SELECT finetunes, adapters, quantized, merges FROM family_stats WHERE grouping = 'lineage' AND family = 'org/base'"
    ).fetchone()
    con.close()
    assert row == (2, 2, 4, 1)


def test_tags_on_the_real_listing_shape():
    # The 2024 listing carries only the `base_model:<id>` form; today's Hub adds `base_model:<relation>:<id>`.
    relation, parents = tag_bases(["text-generation", "base_model:mistralai/Mistral-7B-v0.1", "region:us"])
    assert (relation, parents) == (None, ["mistralai/Mistral-7B-v0.1"])
