"""Free-text hardware / location / provider resolvers, on the real strings of the shared card labels."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubscan.reference.resolve import resolve_hardware, resolve_location, resolve_provider

SHARED = Path(os.environ.get("HUBSCAN_SHARED") or Path(__file__).resolve().parents[2] / "shared")
LABELS = SHARED / "corpus" / "cards" / "labels.csv"


# --- hardware: strings verbatim from corpus/cards/labels.csv (hardware_used) and the issue -------------------

HARDWARE = [
    ("1x NVIDIA Tesla T4 (16 GB)", "T4", 1),
    ("8 x 32GB NVIDIA V100 GPUs", "V100", 8),
    ("A100 PCIe 40GB", "A100-40GB PCIe", None),
    ("A100 PCIe 40GB (base model)", "A100-40GB PCIe", None),
    ("A100+80GB", "A100-80GB SXM", None),
    ("A100-80GB (TDP of 350-400W)", "A100-80GB SXM", None),
    ("CSD3 Ampere GPU Node with 1 NVIDIA A100-SXM-80GB GPU", "A100-80GB SXM", 1),
    ("GPU from Kaggle (GPU T4 x 2)", "T4", 2),
    ("GPU from Kaggle (NVIDIA T4 x 2)", "T4", 2),
    ("H100-80GB (TDP of 700W)", "H100-80GB SXM", None),
    ("L4 GPU", "L4", None),
    ("NVIDIA A100 SXM4 80 GB", "A100-80GB SXM", None),
    ("NVIDIA A100-SXM4-40GB", "A100-40GB SXM", None),
    ("NVIDIA A100-SXM4-80GB", "A100-80GB SXM", None),
    ("NVIDIA L4 GPU(s), single- or multi-GPU via PyTorch DDP / DeepSpeed.", "L4", None),
    ("NVIDIA T4 (Colab workflow)", "T4", None),
    ("NVIDIA V100 or equivalent", "V100", None),
    ("Nvidia A100 80G", "A100-80GB SXM", None),
    ("Nvidia H100", "H100-80GB SXM", None),
    ("P100 for about 1.5 hours", "P100", None),
    ("RTX3080", "RTX 3080", None),
    ("Single NVIDIA A100 GPU", "A100-80GB SXM", 1),
    ("T4", "T4", None),
    ("T4 GPU (1x)", "T4", 1),
    ("Tesla P100-PCIE-16GB", "P100 PCIe", None),
    ("V100", "V100", None),
    # the examples
    ("8 x A100 80GB", "A100-80GB SXM", 8),
    ("v100", "V100", None),
    ("TPU v3-512", "TPU v3", 256),  # 512 TensorCores = 256 chips
    ("8 v100 GPUs", "V100", 8),
    # more forms
    ("64 H100s", "H100-80GB SXM", 64),
    ("H100 PCIe x 8", "H100 PCIe", 8),
    ("v5litepod-16 TPU", "TPU v5e", 16),
    ("TPU v4-128", "TPU v4", 64),
    # the whole hardware table by its tokens (tests/test_hardware_names.py covers every row)
    ("RTX 3090 x 2", "RTX 3090", 2),  # the model number is not a count
    ("8 x TPUv3", "TPU v3", 8),  # an unsliced TPU takes its count from the text
    ("NVIDIA GeForce GTX-1080-Ti", "GTX 1080 Ti", None),
    ("Intel(R) Xeon(R) Gold 6148 CPU", "Intel Xeon Gold 6148", None),
    ("B200 (GB200)", "B200 (GB200)", None),
    ("Quadro P6000", "Quadro P6000", None),
]


@pytest.mark.parametrize("text,device,count", HARDWARE)
def test_resolve_hardware(text, device, count):
    out = resolve_hardware(text)
    assert out is not None, text
    assert out["raw"] == text
    assert out["device"] == device
    assert out["count"] == count


def test_hardware_specs_attached():
    out = resolve_hardware("8 x A100 80GB")
    assert (out["tdp_w"], out["peak_tflops"]) == (400.0, 312.0)
    v100 = resolve_hardware("V100")
    assert (v100["tdp_w"], v100["peak_tflops"], v100["typical_w"]) == (300.0, 125.0, 330.0)
    tpu = resolve_hardware("TPU v4")
    assert tpu["tdp_w"] is None and tpu["peak_tflops"] == 275.0
    rtx = resolve_hardware("RTX3080")  # mlco2 gpus.csv: TDP only
    assert rtx["tdp_w"] == 320.0 and rtx["peak_tflops"] is None


def test_hardware_first_of_several_with_alternatives():
    out = resolve_hardware("A100 PCIe 40GB & A100 SXM4 80GB")
    assert out["device"] == "A100-40GB PCIe" and out["alternatives"] == ["A100-80GB SXM"]
    out = resolve_hardware("Google Cloud TPU Pods - TPU v3 or TPU v4  | Number of chips ≥ 4.")
    assert out["device"] == "TPU v3" and out["alternatives"] == ["TPU v4"] and out["count"] is None


def test_memory_sizes_are_not_counts():
    assert resolve_hardware("A100-80GB")["count"] is None
    assert resolve_hardware("8 x 32GB NVIDIA V100 GPUs")["count"] == 8


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "NVIDIA GPUs (CUDA)",
        "Google Colab (NVIDIA GPU)",
        "Training conducted on NVIDIA GPUs.",
        "Nvidia Architecture GPU Arrays",
        "1xA4500",  # RTX A4500: no table row
        "[More Information Needed]",
    ],
)
def test_unresolvable_hardware_is_none(text):
    assert resolve_hardware(text) is None


# --- location ---------------------------------------------------------------------------------------------

LOCATIONS = [
    # (text, provider, kind, code)
    ("Singapore", None, "country", "SGP"),
    ("Germany", None, "country", "DEU"),
    ("Fredericia, Denmark", None, "country", "DNK"),
    ("US-east", None, "country", "USA"),
    ("US-east (base model)", None, "country", "USA"),
    ("Google Cloud via Kaggle free tier (region not disclosed, US assumed)", None, "country", "USA"),
    ("northamerica_northeast", "gcp", "country", "CAN"),  # two GCP regions, both in Canada
    ("Catalonia", "gcp", "country", "ESP"),
    ("us-west-1", None, "cloud_region", "us-west-1"),
    ("USA", "private", "country", "USA"),
    ("`europe-west2` equivalent", "hpc", "cloud_region", "europe-west2"),
    ("East US 2", "azure", "cloud_region", "eastus2"),
    ("us-west", "gcp", "country", "USA"),
    ("France (FRA)", "private", "country", "FRA"),
    ("us-east-1", "aws", "cloud_region", "us-east-1"),
    ("Paris", "scaleway", "country", "FRA"),
    # the examples
    ("Quebec, Canada", None, "province", "Quebec"),
    ("East US", None, "cloud_region", "eastus"),
    # the validation set's locations
    ("USA-Georgia (Google)", None, "us_state", "Georgia"),
    ("USA-North Carolina (Google)", None, "us_state", "North Carolina"),
    ("Taiwan (Google)", None, "country", "TWN"),
    ("France (Jean Zay, IDRIS)", None, "country", "FRA"),
    ("Georgia", None, "country", "GEO"),  # no US context: the country
    ("Austin, TX", None, "us_state", "Texas"),
    ("Montréal", None, "province", "Quebec"),
    ("US East (N. Virginia)", None, "cloud_region", "us-east-1"),
    ("us-central1", None, "cloud_region", "us-central1"),
    ("world", None, "world", "WORLD"),
]


@pytest.mark.parametrize("text,provider,kind,code", LOCATIONS)
def test_resolve_location(text, provider, kind, code):
    out = resolve_location(text, provider=provider)
    assert out is not None, text
    assert (out["kind"], out["code"]) == (kind, code)
    assert out["raw"] == text
    assert out["grid_g_per_kwh"] > 0
    assert out["source"]


def test_location_values_and_years():
    assert resolve_location("Singapore")["year"] == 2023
    us = resolve_location("Oregon, USA")
    assert us["kind"] == "us_state" and us["year"] == 2023
    assert resolve_location("us-central1")["grid_g_per_kwh"] == 430.0  # codecarbon's newer GCP value wins
    assert resolve_location("us-east-1")["provider"] == "aws"
    assert resolve_location("USA (Microsoft)")["provider"] == "azure"
    assert resolve_location("France")["grid_g_per_kwh"] == pytest.approx(56.0, abs=0.1)
    assert resolve_location("Quebec, Canada")["grid_g_per_kwh"] < 60


@pytest.mark.parametrize(
    "text", [None, "", "NA", "EMEA", "Europe (likely)", "[More Information Needed]", "???"]
)
def test_unresolvable_location_is_none(text):
    assert resolve_location(text) is None


# --- provider ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,provider",
    [
        ("AWS", "aws"),
        ("Azure", "azure"),
        ("GCP", "gcp"),
        ("Google CoLab", "gcp"),
        ("Kaggle", "gcp"),
        ("Private Infrastructure", "private"),
        ("Aucun — poste de travail local", "private"),
        ("Cambridge High Performance Computing Wilkes3 Cluster", "hpc"),
        ("Scaleway", "scaleway"),
        ("Amazon SageMaker", "aws"),
        (None, None),
        ("", None),
        ("nothing here", None),
    ],
)
def test_resolve_provider(text, provider):
    assert resolve_provider(text) == provider


# --- robustness -------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_resolvers_never_raise(text):
    for fn in (resolve_hardware, resolve_location, resolve_provider):
        out = fn(text)
        assert out is None or isinstance(out, dict | str)


# --- coverage on the shared corpus labels (skipped without ../shared) --------------------------------------


@pytest.mark.skipif(
    not LABELS.exists(), reason=f"shared card labels not found at {LABELS} (set HUBSCAN_SHARED)"
)
def test_coverage_on_card_labels():
    rows = list(csv.DictReader(LABELS.open(encoding="utf-8")))
    hw = [r["hardware_used"] for r in rows if r["hardware_used"]]
    resolved_hw = [t for t in hw if resolve_hardware(t)]
    assert len(resolved_hw) / len(hw) >= 0.75
    loc = [
        (r["compute_region"] or r["geographical_location"], resolve_provider(r["cloud_provider"]))
        for r in rows
        if r["compute_region"] or r["geographical_location"]
    ]
    resolved_loc = [t for t, p in loc if resolve_location(t, provider=p)]
    assert len(resolved_loc) / len(loc) >= 0.8


def test_card_cpu_resolves_through_codecarbon_cpu_table():
    """A card's "Intel Core i7-12700H (CPU)" (issue 12's survey) resolves to codecarbon's row: 45 W TDP."""
    out = resolve_hardware("Intel Core i7-12700H (CPU)")
    assert out["device"] == "Intel Core i7-12700H" and out["tdp_w"] == 45.0 and out["peak_tflops"] is None
