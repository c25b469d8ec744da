"""Training-emissions estimator: methods, ranges, provenance, not-estimable cases, verdicts, validation."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import pytest

from hubscan.estimate.emissions import (
    EMISSIONS_ESTIMATOR_VERSION,
    SCOPE,
    compare,
    estimate_emissions,
    estimate_for_model,
)

SHARED = Path(os.environ.get("HUBSCAN_SHARED") or Path(__file__).resolve().parents[2] / "shared")
PUBLISHED = SHARED / "reference" / "published_training_emissions.csv"


def _f(v):
    return float(v) if v not in (None, "") else None


# --- the 2% property on the published figures ---------------------------------------------------------------


@pytest.mark.skipif(
    not PUBLISHED.exists(), reason=f"shared reference not found at {PUBLISHED} (set HUBSCAN_SHARED)"
)
def test_hardware_time_reproduces_fully_specified_published_rows_within_2pct():
    rows = list(csv.DictReader(PUBLISHED.open(encoding="utf-8")))
    checked = 0
    for row in rows:
        dh, power, pue, grid = (
            _f(row[k]) for k in ("device_hours", "avg_power_w", "pue", "grid_gco2_per_kwh")
        )
        if None in (dh, power, pue, grid):
            continue
        est = estimate_emissions(device_hours=dh, power_w=power, pue=pue, grid_g_per_kwh=grid)
        assert est["method"] == "hardware-time"
        reported_g = float(row["tco2e_reported"]) * 1e6
        assert est["emissions_g"]["central"] == pytest.approx(reported_g, rel=0.02), row["model"]
        # all inputs are the source's: a point estimate
        assert est["emissions_g"]["low"] == pytest.approx(est["emissions_g"]["high"])
        checked += 1
    assert checked >= 20


@pytest.mark.skipif(
    not PUBLISHED.exists(), reason=f"shared reference not found at {PUBLISHED} (set HUBSCAN_SHARED)"
)
def test_defaults_mode_on_meta_rows_is_close():
    rows = {r["model"]: r for r in csv.DictReader(PUBLISHED.open(encoding="utf-8"))}
    row = rows["Llama 2 70B"]
    est = estimate_emissions(
        hardware=row["hardware"], device_hours=float(row["device_hours"]), location=row["location"]
    )
    ratio = est["emissions_g"]["central"] / (float(row["tco2e_reported"]) * 1e6)
    assert 0.9 < ratio < 1.05
    assert est["inputs"]["pue"]["provenance"] == "default:pue_meta"
    assert compare(float(row["tco2e_reported"]) * 1e6, est)["verdict"] == "consistent"


# --- hardware-time -------------------------------------------------------------------------------------------


def test_hardware_time_arithmetic_and_provenance():
    est = estimate_emissions(hardware="8 x A100 80GB", hours=100, pue=1.1, grid_g_per_kwh=400)
    # 800 device-hours x 400 W x 1.1 = 352 kWh; x 400 g/kWh = 140.8 kg
    assert est["method"] == "hardware-time" and est["estimable"]
    assert est["device_hours"]["central"] == 800
    assert est["energy_kwh"]["central"] == pytest.approx(352.0)
    assert est["emissions_g"]["central"] == pytest.approx(140_800.0)
    assert est["inputs"]["devices"]["value"] == 8
    assert est["inputs"]["power_w"]["provenance"] == "default:power_tdp"
    assert est["inputs"]["power_w"]["range"] == pytest.approx([240.0, 440.0])
    assert est["inputs"]["pue"]["provenance"] == "user"
    assert est["scope"] == SCOPE == "final training run, operational only"
    assert est["estimator_version"] == EMISSIONS_ESTIMATOR_VERSION
    lo, c, hi = (est["emissions_g"][k] for k in ("low", "central", "high"))
    assert lo < c < hi
    json.dumps(est)  # JSON-serialisable


def test_device_hours_override_hours_and_location_default():
    est = estimate_emissions(hardware="V100", device_hours=1000, hours=5, devices=3)
    assert est["device_hours"]["central"] == 1000
    assert est["inputs"]["grid_g_per_kwh"]["provenance"] == "default:grid_world"
    assert est["inputs"]["grid_g_per_kwh"]["value"] == 475
    assert est["inputs"]["pue"]["provenance"] == "default:pue_default"


def test_location_and_region_resolution():
    est = estimate_emissions(
        hardware="T4", hours=2, devices=1, region="us-east-1", provenance={"region": "card"}
    )
    g = est["inputs"]["grid_g_per_kwh"]
    assert g["provenance"] == "card" and g["kind"] == "cloud_region" and g["code"] == "us-east-1"
    assert est["inputs"]["provider"]["value"] == "aws"
    assert est["inputs"]["pue"]["provenance"] == "default:pue_aws"
    quebec = estimate_emissions(hardware="T4", hours=2, devices=1, location="Quebec, Canada")
    assert quebec["inputs"]["grid_g_per_kwh"]["kind"] == "province"
    assert quebec["emissions_g"]["central"] < est["emissions_g"]["central"]


def test_hours_without_device_count_assume_one_device_labelled():
    est = estimate_emissions(hardware="V100", hours=10)
    assert est["inputs"]["devices"]["provenance"] == "default:devices_1"
    assert est["device_hours"]["central"] == 10
    assert any("1 device assumed" in n for n in est["notes"])


def test_tpu_v4_power_is_a_labelled_assumption():
    est = estimate_emissions(hardware="TPU v4-128", hours=10)
    assert est["inputs"]["devices"]["value"] == 64
    assert est["inputs"]["power_w"]["provenance"] == "default:power_tpu_system"
    assert est["inputs"]["power_w"]["value"] == 378.5


# --- compute method -------------------------------------------------------------------------------------------


def test_compute_method_6nd():
    est = estimate_emissions(
        params=7e9, tokens=1e12, hardware="A100", devices=1000, pue=1.1, grid_g_per_kwh=385, provider="meta"
    )
    assert est["method"] == "compute"
    flops = 6 * 7e9 * 1e12
    assert est["inputs"]["flops"]["value"] == pytest.approx(flops)
    assert est["inputs"]["flops"]["provenance"] == "default:flops_6ND"
    assert est["inputs"]["mfu"]["provenance"] == "default:mfu_dense_large"
    dh = flops / (312e12 * 0.40 * 3600)
    assert est["device_hours"]["central"] == pytest.approx(dh)
    # higher MFU -> fewer hours: the MFU range maps inversely
    assert est["device_hours"]["low"] == pytest.approx(flops / (312e12 * 0.50 * 3600))
    assert est["device_hours"]["high"] == pytest.approx(flops / (312e12 * 0.30 * 3600))
    assert est["wall_clock_hours"]["central"] == pytest.approx(dh / 1000)
    assert est["emissions_g"]["central"] == pytest.approx(dh * 400 * 1.1 * 385 / 1000)


def test_compute_method_uses_active_params_and_reported_flops():
    moe = estimate_emissions(params=400e9, active_params=17e9, tokens=1e12, hardware="H100")
    assert moe["inputs"]["flops"]["value"] == pytest.approx(6 * 17e9 * 1e12)
    assert moe["inputs"]["mfu"]["provenance"] == "default:mfu_v100_or_moe"
    rep = estimate_emissions(flops=3.14e23, hardware="V100", mfu=0.2, provenance={"flops": "card"})
    assert rep["inputs"]["flops"]["provenance"] == "card"
    assert rep["inputs"]["mfu"]["provenance"] == "user"
    assert rep["device_hours"]["central"] == pytest.approx(3.14e23 / (125e12 * 0.2 * 3600))


def test_implied_mfu_when_hours_and_tokens_known():
    est = estimate_emissions(params=7e9, tokens=1e12, hardware="A100", device_hours=82432)
    assert est["method"] == "hardware-time"
    assert est["implied_mfu"] == pytest.approx(6 * 7e9 * 1e12 / (82432 * 312e12 * 3600))


# --- not estimable ----------------------------------------------------------------------------------------------


def test_never_invents_tokens():
    est = estimate_emissions(params=7e9, hardware="A100")
    assert not est["estimable"] and est["method"] is None
    assert "tokens" in est["missing"] and "hours" in est["missing"]
    assert "tokens" in est["reason"] and "never guessed" in est["reason"]
    assert est["emissions_g"] is None


def test_missing_inputs_listed():
    est = estimate_emissions()
    assert set(est["missing"]) >= {"hours", "hardware", "tokens", "params"}
    est = estimate_emissions(hours=10)
    assert est["missing"] == ["hardware"]
    est = estimate_emissions(hours=10, hardware="TPU v5e", power_w=200)
    assert est["estimable"]
    est = estimate_emissions(hours=10, hardware="some mystery accelerator")
    assert not est["estimable"] and "hardware" in est["missing"]
    est = estimate_emissions(hours=10, power_w=300)  # power known: hardware not needed
    assert est["estimable"]


@pytest.mark.parametrize(
    "kwargs", [{"hours": -1}, {"pue": 0.5}, {"mfu": 3}, {"hours": "abc"}, {"power_w": math.nan}]
)
def test_invalid_values_are_not_estimable_not_errors(kwargs):
    est = estimate_emissions(hardware="A100", **{"hours": 1, **kwargs})
    assert not est["estimable"] and est["reason"].startswith("not estimable")


# --- verdicts ---------------------------------------------------------------------------------------------------


def _est(central=41_100.0, low=30_000.0, high=55_000.0):
    return {
        "estimable": True,
        "emissions_g": {"low": low, "central": central, "high": high},
        "inputs": {"pue": {"value": 1.58, "provenance": "default:pue_default", "range": [1.1, 1.8]}},
    }


def test_verdict_consistent():
    out = compare(41_100.0, _est())
    assert out["verdict"] == "consistent" and out["ratio"] == pytest.approx(1.0)


def test_verdict_unit_error_kg_written_as_g():
    # the card reports 41.1 kg as "41.1" grams
    out = compare(41.1, _est())
    assert out["verdict"] == "likely unit error"
    assert out["ratio"] == pytest.approx(1e-3)
    assert "kg written as g" in out["reason"]


def test_verdict_unit_error_tonnes_and_inverse():
    assert compare(0.0411, _est())["verdict"] == "likely unit error"  # tonnes written as g
    out = compare(41_100_000.0, _est())  # g written as kg
    assert out["verdict"] == "likely unit error" and "g written as kg" in out["reason"]


def test_verdict_below_and_above_say_by_how_much():
    below = compare(10_000.0, _est())
    assert below["verdict"] == "below" and "3x below" in below["reason"]
    assert below["factor_outside"] == pytest.approx(3.0)
    assert "pue" in below["reason"]  # names the defaulted inputs
    above = compare(200_000.0, _est())
    assert above["verdict"] == "above" and above["factor_outside"] == pytest.approx(200 / 55)


def test_verdict_not_comparable():
    assert compare(24_000.0, _est(), reported={"flags": ["market_based"]})["verdict"] == "not comparable"
    assert compare(0.0, _est())["verdict"] == "not comparable"
    out = compare(50.5e6, _est(), reported={"flags": ["lifecycle"]})
    assert out["verdict"] == "not comparable" and "life-cycle" in out["reason"]
    assert compare(5.0, _est(), reported={"market_based_g": 5.0, "flags": []})["verdict"] == "not comparable"


def test_nothing_to_compare():
    assert compare(None, _est())["verdict"] is None
    out = compare(100.0, estimate_emissions())
    assert out["verdict"] is None and "missing" in out["reason"]


def test_unit_error_end_to_end():
    est = estimate_emissions(hardware="A100", hours=100, devices=1, location="France")
    central = est["emissions_g"]["central"]
    assert compare(central / 1000, est)["verdict"] == "likely unit error"
    assert compare(central, est)["verdict"] == "consistent"


# --- per model ---------------------------------------------------------------------------------------------------


def _card(**kw):
    rec = {
        "emissions_g": None,
        "source": None,
        "training_type": None,
        "location": None,
        "hardware": None,
        "hours": None,
        "cloud_provider": None,
        "compute_region": None,
        "hardware_parsed": None,
        "location_parsed": None,
        "flags": [],
        "market_based_g": None,
    }
    rec.update(kw)
    return rec


def test_estimate_for_model_from_card_and_config():
    card = _card(emissions_g=1710.0, hardware="NVIDIA A100-SXM4-40GB", hours=10.0, location="Singapore")
    out = estimate_for_model(card, {"params": {"total": 1_100_000_000, "active": 1_100_000_000}})
    assert out["method"] == "hardware-time"
    assert out["inputs"]["hardware"]["provenance"] == "card"
    assert out["inputs"]["hours"]["provenance"] == "card"
    assert out["inputs"]["params"]["provenance"] == "config"
    assert "active_params" not in out["inputs"]  # dense: active == total
    assert out["inputs"]["grid_g_per_kwh"]["provenance"] == "card"
    assert out["comparison"]["verdict"] in {"consistent", "below", "above"}
    json.dumps(out)


def test_estimate_for_model_region_and_provider():
    card = _card(
        hardware="8 x 32GB NVIDIA V100 GPUs", hours=5.0, cloud_provider="Azure", compute_region="East US 2"
    )
    out = estimate_for_model(card, None)
    assert out["inputs"]["grid_g_per_kwh"]["code"] == "eastus2"
    assert out["inputs"]["provider"]["value"] == "azure"
    assert out["device_hours"]["central"] == 40
    assert out["comparison"] is None


def test_estimate_for_model_not_estimable_and_empty():
    out = estimate_for_model(_card(emissions_g=500.0, hardware="T4"), {"params": {"total": 1e8}})
    assert not out["estimable"] and "hours" in out["missing"]
    assert out["comparison"]["verdict"] is None
    empty = estimate_for_model(None, None)
    assert not empty["estimable"] and empty["comparison"] is None


def test_estimate_for_model_market_based_not_comparable():
    card = _card(emissions_g=0.0, hardware="A100", hours=100.0, flags=["market_based"], market_based_g=0.0)
    out = estimate_for_model(card, None)
    assert out["comparison"]["verdict"] == "not comparable"
