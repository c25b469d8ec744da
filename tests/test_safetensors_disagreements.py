"""scripts/safetensors_disagreements.py on the bundled sample Hub, and the causes it reports.

The sample Hub's recorded safetensors totals are few (only the 2024-07 full model records of ids starting with
a digit or q were mined), so the GPT-2 mask-buffer and router-bias arithmetic is also checked on the sample
Hub's real configs with a synthetic total: count + the buffer size computed here from the config.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from hubscan.estimate.footprint import analyze_config

ROOT = Path(__file__).resolve().parent.parent
REPOS = ROOT / "src" / "hubscan" / "sample_hub" / "repos"
_spec = importlib.util.spec_from_file_location(
    "safetensors_disagreements", ROOT / "scripts" / "safetensors_disagreements.py"
)
script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)


@pytest.fixture(scope="module")
def rows():
    return script.sample_rows(REPOS)


def _config(repo: str) -> dict:
    return json.loads((REPOS / repo / "files" / "config.json").read_text(encoding="utf-8"))


def test_every_difference_is_explained_or_counted_unexplained(rows):
    assert rows, "the sample Hub should carry some recorded safetensors totals"
    section = script.render(rows)
    disagreements = [r for r in rows if r["check"] == "disagree"]
    for r in disagreements:
        assert r["cause"] and r["note"]
        assert r["note"].startswith("unexplained") == (r["cause"] == "unexplained")
    unexplained = sum(r["cause"] == "unexplained" for r in disagreements)
    assert f"Unexplained disagreements: {unexplained}." in section
    for r in script.differing(rows):
        assert f"| {r['repo']} |" in section
    for r in rows:
        if r["check"] == "quantized_packed":
            assert r["cause"] == "quantized_packed"


def test_recorded_bool_mask_is_the_whole_difference(rows):
    """0x7o/BulgakovLM-3B (GPT-J): the recorded BOOL tensors are exactly the difference, n_positions²."""
    row = next(r for r in rows if r["repo"] == "0x7o/BulgakovLM-3B")
    n_positions = _config(row["repo"])["n_positions"]
    diff = row["safetensors_total"] - row["hubscan_total"]
    assert diff == row["safetensors_parameters"]["BOOL"] == n_positions**2
    assert row["cause"] == "mask_buffers" and f"{diff:,}" in row["note"]


def _gpt2_repos() -> list[str]:
    found = []
    for path in sorted(REPOS.glob("*/*/files/config.json")):
        cfg = json.loads(path.read_text(encoding="utf-8"))
        if cfg.get("model_type") == "gpt2" and "n_layer" in cfg and "n_positions" in cfg:
            found.append(f"{path.parents[2].name}/{path.parents[1].name}")
    return found


@pytest.mark.parametrize("masked_bias", [False, True])
@pytest.mark.parametrize("repo", _gpt2_repos())
def test_gpt2_buffer_arithmetic_equals_the_difference(repo, masked_bias):
    cfg = _config(repo)
    n_layer, n_positions = cfg["n_layer"], cfg["n_positions"]
    buffers = n_layer * n_positions * n_positions + (n_layer if masked_bias else 0)
    count = analyze_config(cfg, use_transformers=False)["params"]["total"]
    st = analyze_config(cfg, safetensors_total=count + buffers, use_transformers=False)["safetensors"]
    assert st["cause"] == "mask_buffers"
    assert f"{n_layer} × {n_positions}² = {n_layer * n_positions * n_positions:,}" in st["note"]
    assert ("masked_bias" in st["note"]) == masked_bias
    assert st["check"] == ("agree" if abs(st["delta_pct"]) <= 1 else "disagree")


def test_gpt2_family_repos_exist():
    assert "openai-community/gpt2-large" in _gpt2_repos()


def test_router_bias_and_tied_head_and_unexplained():
    cfg = _config("trl-internal-testing/tiny-DeepseekV3ForCausalLM") | {"first_k_dense_replace": 1}
    count = analyze_config(cfg, use_transformers=False)["params"]["total"]
    moe_layers = cfg["num_hidden_layers"] - 1
    bias = analyze_config(
        cfg, safetensors_total=count + moe_layers * cfg["n_routed_experts"], use_transformers=False
    )
    assert bias["safetensors"]["cause"] == "router_bias"
    head = cfg["vocab_size"] * cfg["hidden_size"]
    twice = analyze_config(cfg, safetensors_total=count + head, use_transformers=False)["safetensors"]
    assert twice["check"] == "disagree" and twice["cause"] == "tied_head_twice"
    odd = analyze_config(cfg, safetensors_total=count * 3 + 7, use_transformers=False)["safetensors"]
    assert (
        odd["check"] == "disagree" and odd["cause"] == "unexplained" and odd["note"].startswith("unexplained")
    )


def test_doc_section_is_current(rows):
    doc = (ROOT / "docs" / "PARAMS.md").read_text(encoding="utf-8")
    assert script.current_section(doc) == script.render(rows), (
        "run: python scripts/safetensors_disagreements.py --write"
    )
    assert doc.index(script.MARK) < doc.index(script.BENCH_MARK)
