"""Every scorable config of a supported family in the shared corpus must be counted exactly."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from hubscan.estimate.families import FAMILIES
from hubscan.estimate.footprint import analyze_config

_base = (
    Path(os.environ["HUBSCAN_SHARED"])
    if os.environ.get("HUBSCAN_SHARED")
    else Path(__file__).resolve().parents[2] / "shared"
)
CORPUS = _base / "corpus" / "configs"
SCORABLE = ("transformers_meta", "transformers_meta+untied_lm_head")

if not (CORPUS / "ground_truth.csv").exists():
    pytest.skip(f"shared corpus not found at {CORPUS} (set HUBSCAN_SHARED)", allow_module_level=True)

with open(CORPUS / "ground_truth.csv", newline="") as _fh:
    ROWS = list(csv.DictReader(_fh))


def _config(row: dict) -> dict:
    with open(CORPUS / "files" / row["file"]) as fh:
        return json.load(fh)


SUPPORTED = [r for r in ROWS if r["basis"] in SCORABLE and r["model_type"] in FAMILIES]
UNSCORABLE = [r for r in ROWS if r["basis"] not in SCORABLE]


# Vision/audio/multimodal families that must be counted analytically (not by the meta-device fallback).
REQUIRED_ANALYTIC = ("convnext", "swin", "resnet", "wav2vec2", "idefics2", "blip")


def test_corpus_covers_the_supported_families():
    assert len(SUPPORTED) >= 203
    assert len(UNSCORABLE) >= 10
    assert all(mt in FAMILIES for mt in REQUIRED_ANALYTIC)
    assert {r["model_type"] for r in SUPPORTED} >= set(REQUIRED_ANALYTIC)


@pytest.mark.parametrize("row", SUPPORTED, ids=[r["file"] for r in SUPPORTED])
def test_supported_family_counted_exactly(row):
    rec = analyze_config(_config(row), use_transformers=False)
    p = rec["params"]
    assert p["method"].startswith("analytic:"), p["reason"]
    assert p["confidence"] == "exact"
    assert p["total"] == int(row["expected_params"])
    assert p["active"] <= p["total"]
    assert p["embedding"] + p["non_embedding"] == p["total"]
    assert sum(p["breakdown"].values()) == p["total"]
    if row["embedding_params"] and row["model_type"] not in ("llava", "paligemma", "gemma3"):
        assert p["embedding"] == int(row["embedding_params"])


@pytest.mark.parametrize("use_transformers", [False, None])
@pytest.mark.parametrize("row", UNSCORABLE, ids=[r["file"] for r in UNSCORABLE])
def test_unscorable_rows_are_flagged(row, use_transformers):
    rec = analyze_config(_config(row), use_transformers=use_transformers)
    p = rec["params"]
    assert p["confidence"] in ("approximate", "unknown")
    assert p["reason"]


def test_rows_without_formula_use_meta_path_when_available():
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    rows = [r for r in ROWS if r["basis"] in SCORABLE and r["model_type"] not in FAMILIES]
    for row in rows:
        rec = analyze_config(_config(row))
        assert rec["params"]["method"] == "transformers-meta"
        assert rec["params"]["total"] == int(row["expected_params"]), row["file"]
    # every scorable corpus family now has a formula: check the meta-device path itself on those most recently
    # moved off it, so the fallback stays verified
    from hubscan.estimate import meta

    moved = [r for r in SUPPORTED if r["model_type"] in REQUIRED_ANALYTIC]
    assert rows or moved
    for row in moved:
        assert meta.count_meta(_config(row)).total == int(row["expected_params"]), row["file"]
