"""``hubscan estimate``: training-emissions estimate from hardware/time or compute, no catalog needed."""

from __future__ import annotations

import json
import math
import re

import click

from hubscan.cli import cli
from hubscan.estimate.emissions import estimate_emissions
from hubscan.report.render import estimate_text

_SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}


class Amount(click.ParamType):
    """A positive number: ``7e9``, ``7B``, ``1.4T``, ``300M``, ``2k``, ``1,000``."""

    name = "number"

    def __init__(self, integer: bool = False):
        self.integer = integer

    def convert(self, value, param, ctx):
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        else:
            text = str(value).strip().replace(",", "").replace("_", "")
            m = re.fullmatch(r"([+-]?[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBgGtTpP]?)", text)
            if not m:
                self.fail(f"{value!r} is not a number (forms: 7e9, 7B, 1.4T, 300M, 2k)", param, ctx)
            number = float(m.group(1)) * _SUFFIXES[m.group(2).lower()]
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{value!r} must be a positive number", param, ctx)
        if self.integer:
            if number != int(number):
                self.fail(f"{value!r} must be a whole number", param, ctx)
            return int(number)
        return number


NUMBER = Amount()
INTEGER = Amount(integer=True)


EXAMPLES = """
\b
Examples:
    hubscan estimate --hardware "8 x A100 80GB" --hours 100 --location "Quebec, Canada"
    hubscan estimate --hardware V100 --device-hours 3.55M --pue 1.1 --grid-g-per-kwh 429
    hubscan estimate --params 7B --tokens 1T --hardware A100 --provider meta --location USA
    hubscan estimate --flops 3.14e23 --hardware v100 --devices 10000 --region eastus --json
"""


@cli.command(epilog=EXAMPLES)
@click.option("--params", type=INTEGER, help="Total parameters (7e9, 7B).")
@click.option("--active-params", type=INTEGER, help="Active parameters per token (MoE); default: --params.")
@click.option("--tokens", type=NUMBER, help="Training tokens D (1.4T). Never guessed.")
@click.option("--flops", type=NUMBER, help="Training FLOPs, if reported (overrides 6·N·D).")
@click.option("--hardware", help='Hardware, free text: "8 x A100 80GB", "v100", "TPU v3-512".')
@click.option(
    "--devices", type=INTEGER, help="Number of devices (default: from --hardware, else 1 with --hours)."
)
@click.option("--device-hours", type=NUMBER, help="Device-hours (GPU/TPU-hours).")
@click.option("--hours", type=NUMBER, help="Wall-clock training hours (x devices = device-hours).")
@click.option(
    "--power-w", type=NUMBER, help="Measured average power per device in W (default: TDP, range 0.6-1.1x)."
)
@click.option("--pue", type=NUMBER, help="Data-centre PUE (default: by provider, else 1.58).")
@click.option("--location", help='Where it ran, free text: "Quebec, Canada", "Singapore", "Oregon, USA".')
@click.option("--region", help='Cloud region id or name: "us-east-1", "europe-west4", "East US".')
@click.option("--grid-g-per-kwh", type=NUMBER, help="Grid carbon intensity in gCO2eq/kWh.")
@click.option("--mfu", type=NUMBER, help="Model-FLOPs utilisation for the compute method (0-1).")
@click.option("--provider", help="Cloud/compute provider: aws, gcp, azure, meta, hpc, ...")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON result.")
def estimate(
    params,
    active_params,
    tokens,
    flops,
    hardware,
    devices,
    device_hours,
    hours,
    power_w,
    pue,
    location,
    region,
    grid_g_per_kwh,
    mfu,
    provider,
    as_json,
):
    """Estimate the operational emissions of a final training run.

    Two methods: hardware-time (device-hours x power x PUE x grid) when hours are known; compute (FLOPs, or
    6 x params x tokens, / (peak throughput x MFU)) otherwise. The result is a low/central/high range and lists
    every input with its provenance (user or default:<name>). Scope: final training run, operational only.
    Exits with status 2 (and says which inputs are missing) when nothing can be estimated.
    """
    if device_hours is not None and hours is not None:
        raise click.UsageError(
            "--device-hours and --hours are mutually exclusive (device-hours = hours x devices)."
        )
    given = [
        n
        for n, v in (("--location", location), ("--region", region), ("--grid-g-per-kwh", grid_g_per_kwh))
        if v
    ]
    if len(given) > 1:
        raise click.UsageError(
            f"{' and '.join(given)} are mutually exclusive: give one way to set the grid intensity."
        )
    if mfu is not None and mfu > 1:
        raise click.UsageError("--mfu is a fraction between 0 and 1 (e.g. 0.4).")
    if pue is not None and pue < 1:
        raise click.UsageError("--pue is at least 1.0 (facility energy / IT energy).")

    est = estimate_emissions(
        params=params,
        active_params=active_params,
        tokens=tokens,
        flops=flops,
        hardware=hardware,
        devices=devices,
        device_hours=device_hours,
        hours=hours,
        power_w=power_w,
        pue=pue,
        location=location,
        region=region,
        grid_g_per_kwh=grid_g_per_kwh,
        mfu=mfu,
        provider=provider,
    )
    if as_json:
        click.echo(json.dumps(est, indent=2))
    else:
        click.echo(estimate_text(est))
    if not est["estimable"]:
        if as_json:
            click.echo(f"Error: {est['reason']}", err=True)
        raise SystemExit(2)
