"""A committed sample of scripts/coverage_params.py: generated configs of transformers' registry with their
meta-device counts (tests/data/coverage_sample.csv), scored here as the default install (no torch)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from hubscan.estimate.footprint import analyze_config
from hubscan.estimate.structural import EXACT_TYPES

SAMPLE = Path(__file__).parent / "data" / "coverage_sample.csv"
with open(SAMPLE, newline="") as _fh:
    ROWS = list(csv.DictReader(_fh))


@pytest.fixture
def no_torch(monkeypatch):
    from hubscan.estimate import meta

    for name in ("transformers", "torch"):
        monkeypatch.setitem(sys.modules, name, None)
    meta.available.cache_clear()
    assert not meta.available()
    yield
    meta.available.cache_clear()


def _score(row: dict) -> dict:
    return analyze_config(json.loads(row["config_json"]))["params"]


def test_sample_is_broad():
    assert len(ROWS) >= 100
    assert len({r["model_type"] for r in ROWS}) >= 50


def test_never_a_confident_wrong_number(no_torch):
    for row in ROWS:
        p = _score(row)
        if p["confidence"] == "exact":
            assert p["total"] == int(row["expected_params"]), (row["model_type"], row["variant"])
        else:
            assert p["reason"], (row["model_type"], row["variant"])


def test_verified_decoders_are_exact(no_torch):
    verified = [r for r in ROWS if r["model_type"] in EXACT_TYPES]
    assert verified
    for row in verified:
        p = _score(row)
        assert p["confidence"] == "exact", (row["model_type"], row["variant"], p["reason"])
        assert p["total"] == int(row["expected_params"])
