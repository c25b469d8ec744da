"""Shared helpers for the family tests: the default install's count of a config, its exact total, a linear
layer's parameters, and a check that a config counted by the default install equals the meta-device build."""

from __future__ import annotations

import copy

import pytest

from hubscan.estimate.footprint import analyze_config


def assert_exact_against_meta(model_type: str, kw: dict, cls: str | None = None) -> None:
    """Build ``model_type``'s config class with ``kw`` (as class ``cls`` when given) on the meta device and
    require hubscan's torch-free count to equal it, labelled exact. Skips without transformers and torch."""
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    d = transformers.CONFIG_MAPPING[model_type](**kw).to_dict()
    if cls:
        d["architectures"] = [cls]
    expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
    p = analyze_config(d, use_transformers=False)["params"]
    assert (p["total"], p["confidence"]) == (expected, "exact"), kw


def _params(cfg: dict) -> dict:
    """The default install's parameter answer for ``cfg`` (a copy: the test's dict stays as written)."""
    return analyze_config(copy.deepcopy(cfg), use_transformers=False)["params"]


def _exact(cfg: dict) -> int:
    p = _params(cfg)
    assert p["confidence"] == "exact", p
    return p["total"]


def lin(i: int, o: int, bias: bool = True) -> int:
    return i * o + (o if bias else 0)
