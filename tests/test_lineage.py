"""Lineage: roots, depths, relations, cycles, external bases; on a hand-made and on the crawled sample catalog."""

from __future__ import annotations

import json

import pytest

from catalog_fixtures import build_catalog
from hubscan.derive.lineage import compute_lineage, parse_base_models, resolve_lineage
from hubscan.store import open_db, open_db_read_only


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return build_catalog(tmp_path_factory.mktemp("lineage") / "cat.db")


def _lineage(path):
    db = open_db_read_only(path)
    rows = {r["model_id"]: r for r in db["lineage"].rows}
    db.close()
    return rows


def test_finetune_of_a_finetune_resolves_to_the_root(catalog):
    rows = _lineage(catalog)
    grandchild = rows["bob/llama-8b-chat-v2"]
    assert grandchild["parent_id"] == "alice/llama-8b-chat"
    assert grandchild["relation"] == "finetune"
    assert grandchild["root_id"] == "meta/llama-8b"
    assert grandchild["depth"] == 2
    assert grandchild["root_status"] == "resolved"
    quant = rows["bob/llama-8b-chat-gguf"]
    assert (quant["root_id"], quant["depth"], quant["relation"]) == ("meta/llama-8b", 3, "quantized")
    assert rows["carol/llama-lora"]["relation"] == "adapter"
    root = rows["meta/llama-8b"]
    assert (root["parent_id"], root["root_id"], root["depth"], root["root_status"]) == (
        None, "meta/llama-8b", 0, "root",
    )  # fmt: skip


def test_merge_without_declared_relation_follows_first_parent(catalog):
    merge = _lineage(catalog)["carol/merge"]
    assert merge["relation"] == "merge"
    assert merge["parent_id"] == "alice/llama-8b-chat"
    assert merge["root_id"] == "meta/llama-8b"


def test_missing_base_is_an_external_root(catalog):
    row = _lineage(catalog)["dave/bert-ft"]
    assert (row["root_id"], row["depth"], row["root_status"]) == ("missing-org/bert-base", 1, "external")


def test_cycle_is_detected_and_members_agree_on_the_root(catalog):
    rows = _lineage(catalog)
    a, b = rows["loop/a"], rows["loop/b"]
    assert a["root_status"] == b["root_status"] == "cycle"
    assert a["root_id"] == b["root_id"] == "loop/a"
    assert {a["depth"], b["depth"]} == {0, 1}


def test_self_reference_is_no_base(catalog):
    row = _lineage(catalog)["solo/self"]
    assert (row["parent_id"], row["root_id"], row["root_status"]) == (None, "solo/self", "root")


def test_every_model_has_exactly_one_lineage_row(catalog):
    db = open_db_read_only(catalog)
    assert (
        db.execute("SELECT COUNT(*) FROM lineage").fetchone()[0]
        == db.execute("SELECT COUNT(*) FROM models").fetchone()[0]
    )
    db.close()


def test_compute_lineage_long_chain_and_tail_into_cycle():
    n = 50_000  # iterative walk: no recursion limit
    edges = {f"m{i}": (f"m{i - 1}" if i else None, "finetune" if i else None) for i in range(n)}
    result = compute_lineage(edges)
    assert result[f"m{n - 1}"] == ("m0", n - 1, "resolved")
    edges = {"x": ("y", "finetune"), "y": ("z", "finetune"), "z": ("y", "finetune"), "t": ("x", "adapter")}
    result = compute_lineage(edges)
    assert result["y"] == ("y", 0, "cycle")
    assert result["z"] == ("y", 1, "cycle")
    assert result["x"] == ("y", 1, "cycle")
    assert result["t"] == ("y", 2, "cycle")


@pytest.mark.parametrize(
    ("raw", "column", "expected"),
    [
        (None, None, (None, [])),
        (json.dumps({"relation": "adapter", "models": ["a/b"]}), None, ("adapter", ["a/b"])),
        (json.dumps({"relation": None, "models": ["a/b", "c/d"]}), None, ("merge", ["a/b", "c/d"])),
        (json.dumps({"relation": None, "models": ["a/b"]}), "quantized", ("quantized", ["a/b"])),
        (json.dumps(["a/b"]), None, ("finetune", ["a/b"])),
        ("not json", None, ("finetune", ["not json"])),
        (json.dumps({"relation": "finetune", "models": []}), None, (None, [])),
    ],
)
def test_parse_base_models(raw, column, expected):
    assert parse_base_models(raw, column) == expected


def test_resolve_lineage_is_idempotent_and_reports_stats(tmp_path):
    path = build_catalog(tmp_path / "c.db")
    db = open_db(path)
    stats = resolve_lineage(db)
    again = resolve_lineage(db)
    assert stats == again
    assert stats["models"] == 12
    assert stats["cycle"] == 2 and stats["external"] == 1
    assert stats["max_depth"] == 3
    db.close()


def test_sample_catalog_lineage(sample_catalog):
    db = open_db_read_only(sample_catalog)
    ids = {r[0] for r in db.execute("SELECT id FROM models")}
    rows = list(db["lineage"].rows)
    assert {r["model_id"] for r in rows} == ids
    for row in rows:
        if row["root_status"] == "root":
            assert row["root_id"] == row["model_id"] and row["depth"] == 0
        elif row["root_status"] == "external":
            assert row["root_id"] not in ids and row["depth"] >= 1
        elif row["root_status"] == "resolved":
            assert row["root_id"] in ids and row["depth"] >= 1
    # Every declared base in models.base_models is the parent in lineage.
    for mid, raw in db.execute("SELECT id, base_models FROM models WHERE base_models IS NOT NULL"):
        parents = [p for p in parse_base_models(raw)[1] if p != mid]
        parent = db.execute("SELECT parent_id FROM lineage WHERE model_id = ?", [mid]).fetchone()[0]
        assert parent == (parents[0] if parents else None)
    db.close()
