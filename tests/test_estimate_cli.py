"""``hubscan estimate``: JSON and human output, number forms, usage errors, not-estimable exit status."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hubscan.cli import cli


def run(*args):
    return CliRunner().invoke(cli, ["estimate", *args])


def test_json_hardware_time():
    r = run("--hardware", "8 x A100 80GB", "--hours", "100", "--location", "Quebec, Canada", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["method"] == "hardware-time"
    assert set(out["emissions_g"]) == {"low", "central", "high"}
    assert set(out["energy_kwh"]) == {"low", "central", "high"}
    assert out["inputs"]["devices"]["value"] == 8
    assert out["inputs"]["grid_g_per_kwh"]["kind"] == "province"


def test_human_output_has_units_and_range():
    r = run("--hardware", "A100", "--device-hours", "1082990", "--pue", "1.2", "--location", "France")
    assert r.exit_code == 0, r.output
    first = r.output.splitlines()[0]
    assert " t CO2eq (range " in first and first.endswith(" t)")
    assert "method: hardware-time" in r.output
    assert "default:power_tdp" in r.output


def test_bloom_final_run_reproduced():
    r = run(
        "--hardware",
        "A100 80GB",
        "--device-hours",
        "1,082,990",
        "--power-w",
        "400",
        "--pue",
        "1",
        "--grid-g-per-kwh",
        "57",
        "--json",
    )
    out = json.loads(r.output)
    assert out["emissions_g"]["central"] == pytest.approx(24.69e6, rel=0.01)


@pytest.mark.parametrize("params,expected", [("7e9", 7e9), ("7B", 7e9), ("1.4T", 1.4e12), ("300M", 3e8)])
def test_number_forms(params, expected):
    r = run("--params", params, "--tokens", "1.4T", "--hardware", "H100", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["method"] == "compute"
    assert out["inputs"]["params"]["value"] == int(expected)
    assert out["inputs"]["tokens"]["value"] == 1.4e12


def test_not_estimable_exit_2_lists_missing():
    r = run("--params", "7B", "--hardware", "A100")
    assert r.exit_code == 2
    assert "missing: hours, tokens" in r.output
    assert "Traceback" not in r.output
    rj = run("--params", "7B", "--json")
    assert rj.exit_code == 2
    assert json.loads(rj.stdout)["estimable"] is False


@pytest.mark.parametrize(
    "args,message",
    [
        (["--hours", "3", "--device-hours", "4"], "mutually exclusive"),
        (["--location", "France", "--region", "us-east-1"], "mutually exclusive"),
        (["--region", "us-east-1", "--grid-g-per-kwh", "300"], "mutually exclusive"),
        (["--params", "7X"], "not a number"),
        (["--hours", "-5"], "positive"),
        (["--mfu", "40"], "fraction"),
        (["--pue", "0.9"], "at least 1.0"),
    ],
)
def test_usage_errors(args, message):
    r = run(*args)
    assert r.exit_code == 2
    assert message in r.output
    assert "Traceback" not in r.output


def test_help_has_examples():
    r = run("--help")
    assert r.exit_code == 0
    assert "Examples:" in r.output and "--device-hours" in r.output
