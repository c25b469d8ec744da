"""2025-2026 configs (configs_modern) counted by the default install: transformers and torch cannot be imported."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from hubscan.estimate.footprint import analyze_config

_base = (
    Path(os.environ["HUBSCAN_SHARED"])
    if os.environ.get("HUBSCAN_SHARED")
    else Path(__file__).resolve().parents[2] / "shared"
)
MODERN = _base / "corpus" / "configs_modern"

if not (MODERN / "ground_truth.csv").exists():
    pytest.skip(f"modern corpus not found at {MODERN} (set HUBSCAN_SHARED)", allow_module_level=True)

with open(MODERN / "ground_truth.csv", newline="") as _fh:
    ROWS = list(csv.DictReader(_fh))


def _config(row: dict) -> dict:
    with open(MODERN / "files" / f"{row['id']}.json") as fh:
        return json.load(fh)


def test_modern_corpus_without_torch(no_torch):
    exact = within1 = 0
    for row in ROWS:
        p = analyze_config(_config(row))["params"]
        expected = int(row["expected_params"])
        if p["total"] is not None and abs(p["total"] - expected) <= 0.01 * expected:
            within1 += 1
            exact += p["total"] == expected and p["confidence"] == "exact"
        else:
            # a number that is off must never be presented as exact
            assert p["confidence"] != "exact", row["id"]
    assert len(ROWS) == 35
    assert within1 >= 34
    assert exact >= 0.9 * len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_modern_config_breakdown_is_consistent(row, no_torch):
    p = analyze_config(_config(row))["params"]
    assert p["method"] == "structural"
    assert sum(p["breakdown"].values()) == p["total"]
    assert p["embedding"] == int(row["embedding_params"])
    assert 0 < p["active"] <= p["total"]
    if "num_nextn_predict_layers=1" in row["note"]:
        assert p["mtp"] > 0  # reported separately, not in the total


def test_unknown_and_remote_types_are_never_exact(no_torch):
    cfg = _config(next(r for r in ROWS if r["model_type"] == "deepseek_v32"))
    for model_type, extra in (
        ("my_new_moe", {}),
        ("deepseek_v32_custom", {"auto_map": {"AutoConfig": "x.Y"}}),
    ):
        rec = analyze_config(
            {**cfg, **extra, "model_type": model_type, "architectures": ["MyNewMoeForCausalLM"]}
        )
        assert rec["params"]["confidence"] == "approximate"
        assert "not verified" in rec["params"]["reason"]
        assert rec["params"]["total"] == 671877929216  # the shapes are still read structurally
