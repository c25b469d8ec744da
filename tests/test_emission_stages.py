"""The emission estimator's stages, one at a time, and the result dataclass."""

from __future__ import annotations

import json

import pytest

from hubscan.estimate import emissions_stages as st
from hubscan.estimate.emissions import EmissionsResult, estimate_emissions


def _run(**values):
    full = {name: None for name in st.NUMERIC_INPUTS}
    full.update(values)
    return st.Run(full)


def test_validate_rejects_what_the_estimator_cannot_use():
    ok = st.validate({"hours": "10", "grid_g_per_kwh": 0})
    assert ok["hours"] == 10.0 and ok["grid_g_per_kwh"] == 0.0 and ok["params"] is None
    for bad in ({"hours": -1}, {"pue": 0.9}, {"mfu": 1.5}, {"devices": True}, {"flops": "x"}):
        with pytest.raises(st.Invalid):
            st.validate(bad)


def test_combine_adds_log_deviations_in_quadrature():
    # two factors each x2 up and /2 down: the band is 2 ** sqrt(2), not 4
    out = st.combine([(10.0, 5.0, 20.0, 1), (3.0, 1.5, 6.0, 1)])
    assert out["central"] == pytest.approx(30.0)
    assert out["high"] == pytest.approx(30.0 * 2 ** (2**0.5))
    assert out["low"] == pytest.approx(30.0 / 2 ** (2**0.5))
    # an inverse factor swaps its bounds
    inv = st.combine([(0.4, 0.3, 0.5, -1)])
    assert inv["low"] == pytest.approx(1 / 0.5) and inv["high"] == pytest.approx(1 / 0.3)


def test_zero_grid_gives_zero_emissions_not_an_error():
    est = estimate_emissions(hours=10, power_w=300, grid_g_per_kwh=0)
    assert est["estimable"] and est["emissions_g"] == {"low": 0.0, "central": 0.0, "high": 0.0}
    assert est["energy_kwh"]["central"] == pytest.approx(3.0 * 1.58)


def test_power_stage_provenance():
    run = _run(power_w=250.0)
    assert st.power_stage(run, None) == st.Factor(250.0, provenance="user")
    run = _run()
    f = st.power_stage(run, {"device": "V100", "tdp_w": 300.0})
    assert (f.central, f.low, f.high, f.provenance) == (300.0, 180.0, 330.0, "default:power_tdp")
    assert (
        st.power_stage(_run(), {"device": "TPU v5e", "tdp_w": None}).provenance == "default:power_tpu_system"
    )
    assert st.power_stage(_run(), {"device": "Mystery", "tdp_w": None}) is None


def test_grid_stage_order_given_then_location_then_world():
    assert st.grid_stage(_run(grid_g_per_kwh=100.0), None, "France", None, False)[0].central == 100.0
    france, _ = st.grid_stage(_run(), None, "France", None, False)
    assert france.low == pytest.approx(0.8 * france.central) and france.provenance == "user"
    world, _ = st.grid_stage(_run(), None, "nowhere at all", None, False)
    assert (world.central, world.low, world.high) == (475.0, 30.0, 900.0)
    _, provider = st.grid_stage(_run(), "us-east-1", None, None, False)
    assert provider == "aws"


def test_device_hours_stage_and_method_choice():
    run = _run(hours=10.0, devices=4.0)
    assert st.device_hours_stage(run).central == 40.0
    run = _run(hours=10.0)
    assert (
        st.device_hours_stage(run).central == 10.0
        and run.inputs["devices"]["provenance"] == "default:devices_1"
    )
    assert st.device_hours_stage(_run()) is None
    ht, cm = st.missing_inputs(_run(params=7e9), None, None, None, None)
    assert ht == ["hours", "hardware"] and cm == ["tokens", "hardware"]


def test_flops_stage_never_guesses_tokens():
    assert st.flops_stage(_run(params=7e9)) is None
    run = _run(params=7e9, tokens=1e12)
    assert st.flops_stage(run) == pytest.approx(4.2e22)
    assert run.inputs["flops"]["provenance"] == "default:flops_6ND"


def test_result_dataclass_as_dict_keys():
    res = EmissionsResult("hardware-time", {}, [], emissions_g={"low": 1.0, "central": 2.0, "high": 3.0})
    d = res.as_dict()
    assert list(d) == [
        "method",
        "estimable",
        "missing",
        "reason",
        "emissions_g",
        "energy_kwh",
        "device_hours",
        "inputs",
        "scope",
        "estimator_version",
        "notes",
    ]
    assert d["estimable"] is True
    assert EmissionsResult(None, {}, [], ["hours"], "not estimable").as_dict()["estimable"] is False
    res.implied_mfu = 0.4
    assert json.loads(json.dumps(res.as_dict()))["implied_mfu"] == 0.4
