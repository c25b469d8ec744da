"""Training-emissions estimator: pure, network-free, every input recorded with its provenance.

Two methods (``docs/EMISSIONS.md`` documents them, their default ranges and their validation):

* **hardware-time** - ``E_kWh = device_hours x P_device / 1000 x PUE``; ``g = E_kWh x grid``. Used when the
  device-hours (or wall-clock hours; x devices) are known.
* **compute** - ``FLOPs`` (reported, else ``6 x N_active x D``) / (peak dense throughput x MFU) -> device-hours,
  then hardware-time. Used when hours are unknown but the FLOPs or the training tokens are. Training tokens are
  never invented: without them (or FLOPs) the method is not available.

Each estimate is a range (low / central / high). Every uncertain input has a range; the bounds combine as
independent multiplicative errors (log deviations added in quadrature), so the range is narrower than the
product of all worst cases. Scope: the final training run, operational electricity only (no experiments, no
embodied or idle emissions, no inference; location-based grid, never market-based).

Provenance labels: ``card`` (the model card), ``config`` (config.json / safetensors via the footprint
estimator), ``user`` (passed explicitly), ``default:<name>`` (a documented default of this module).
"""

from __future__ import annotations

import math
from typing import Any

from hubscan.estimate.emissions_stages import (
    DEFAULTS,
    EMISSIONS_ESTIMATOR_VERSION,
    SCOPE,
    EmissionsResult,
    Factor,
    Invalid,
    Run,
    combine,
    compute_device_hours,
    device_hours_stage,
    divided,
    flops_stage,
    grid_stage,
    hardware_stage,
    missing_inputs,
    not_estimable_reason,
    power_stage,
    provider_stage,
    pue_stage,
    record_plain,
    unknown_hardware_hint,
    validate,
    variant_factor,
)
from hubscan.reference.resolve import resolve_provider
from hubscan.units import human_grams

__all__ = [
    "EMISSIONS_ESTIMATOR_VERSION",
    "SCOPE",
    "DEFAULTS",
    "EmissionsResult",
    "estimate_emissions",
    "estimate_for_model",
    "compare",
]


def estimate_emissions(
    *,
    params: int | None = None,
    active_params: int | None = None,
    tokens: float | None = None,
    flops: float | None = None,
    hardware: str | None = None,
    devices: int | None = None,
    device_hours: float | None = None,
    hours: float | None = None,
    power_w: float | None = None,
    pue: float | None = None,
    location: str | None = None,
    region: str | None = None,
    grid_g_per_kwh: float | None = None,
    mfu: float | None = None,
    provider: str | None = None,
    provenance: dict[str, str] | None = None,
) -> dict:
    """Estimate the operational emissions of one final training run (see the module docstring).

    ``hours`` is wall-clock (x ``devices`` -> device-hours); ``device_hours`` overrides it. ``hardware`` is free
    text ("8 x A100 80GB"); its device count is used when ``devices`` is not given. ``location`` is free text,
    ``region`` a cloud region (id or display name); ``grid_g_per_kwh`` overrides both. ``provenance`` maps input
    names to "card" / "config" / "user" (default "user"). Returns a JSON-serialisable dict
    (:meth:`EmissionsResult.as_dict`); never raises on bad input values (they make the result not estimable,
    with the reason).
    """
    numbers = dict(
        params=params,
        active_params=active_params,
        tokens=tokens,
        flops=flops,
        devices=devices,
        device_hours=device_hours,
        hours=hours,
        power_w=power_w,
        pue=pue,
        grid_g_per_kwh=grid_g_per_kwh,
        mfu=mfu,
    )
    texts = {"hardware": hardware, "location": location, "region": region, "provider": provider}
    return run_stages(numbers, texts, provenance).as_dict()


def run_stages(
    numbers: dict[str, Any], texts: dict[str, str | None], provenance: dict | None
) -> EmissionsResult:
    """validate -> hardware -> grid -> PUE -> power -> FLOPs -> device-hours -> method choice -> result."""
    try:
        run = Run(validate(numbers), dict(provenance or {}))
    except Invalid as exc:
        return EmissionsResult(None, {}, [], ["valid inputs"], f"not estimable: {exc}")
    record_plain(run)
    hw = hardware_stage(run, texts["hardware"])
    prov_name = provider_stage(run, texts["provider"])
    grid, prov_name = grid_stage(run, texts["region"], texts["location"], prov_name, bool(texts["provider"]))
    pue_f = pue_stage(run, prov_name)
    power = power_stage(run, hw)
    flops = flops_stage(run)
    dh = device_hours_stage(run)
    method = "hardware-time" if dh is not None else None
    ht_missing, cm_missing = missing_inputs(run, hw, dh, power, flops)
    if method is None and not cm_missing:
        method = "compute"
        dh = compute_device_hours(run, flops, hw)
    if method is None or power is None:
        missing, reason = not_estimable_reason(method, ht_missing, cm_missing)
        reason += unknown_hardware_hint(texts["hardware"], hw)
        return EmissionsResult(None, run.inputs, run.notes, missing, reason)
    energy = [dh, power, pue_f]
    spread = variant_factor(hw, power, method)
    if spread is not None:
        energy.append(spread)
    return _result(run, method, hw, flops, energy, grid)


def _result(
    run: Run, method: str, hw: dict | None, flops: float | None, energy: list[Factor], grid: Factor
) -> EmissionsResult:
    """Energy = device-hours x power x PUE (x the hardware-variant spread); emissions = energy x grid."""
    dh = energy[0]
    terms = [f.term() for f in energy]
    out = EmissionsResult(
        method,
        run.inputs,
        run.notes,
        emissions_g=divided(combine(terms + [grid.term()]), 1000.0),
        energy_kwh=divided(combine(terms), 1000.0),
        device_hours=dh.triple(),
    )
    devices = run.values["devices"]
    if method == "compute" and devices:
        out.wall_clock_hours = divided(dh.triple(), devices)
    peak = (hw or {}).get("peak_tflops")
    if method == "hardware-time" and flops and peak:
        out.implied_mfu = flops / (dh.central * peak * 1e12 * 3600)
    return out


# ====================================================================== per-model


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def estimate_for_model(reported: dict | None, footprint: dict | None) -> dict:
    """Estimate for one catalogued model from its card record (``hubscan.parse.card.analyze_card``) and its
    config footprint (``hubscan.estimate.footprint.analyze_config``), plus a ``comparison`` with the card's
    reported figure (``None`` when the card reports none)."""
    reported = reported if isinstance(reported, dict) else {}
    footprint = footprint if isinstance(footprint, dict) else {}
    kwargs: dict[str, Any] = {}
    prov: dict[str, str] = {}

    params = footprint.get("params") if isinstance(footprint.get("params"), dict) else {}
    total, active = _num(params.get("total")), _num(params.get("active"))
    if total:
        kwargs["params"], prov["params"] = int(total), "config"
    if active and (not total or active < total):
        kwargs["active_params"], prov["active_params"] = int(active), "config"

    hw = reported.get("hardware")
    if not isinstance(hw, str) or not hw.strip():
        parsed = reported.get("hardware_parsed")
        hw = parsed.get("device") if isinstance(parsed, dict) else None
    if isinstance(hw, str) and hw.strip():
        kwargs["hardware"], prov["hardware"] = hw, "card"
    hours = _num(reported.get("hours"))
    if hours:
        kwargs["hours"], prov["hours"] = hours, "card"
    for key in ("tokens", "training_tokens"):
        if _num(reported.get(key)):
            kwargs["tokens"], prov["tokens"] = _num(reported.get(key)), "card"
            break
    if isinstance(reported.get("cloud_provider"), str) and resolve_provider(reported["cloud_provider"]):
        kwargs["provider"], prov["provider"] = reported["cloud_provider"], "card"
    if isinstance(reported.get("compute_region"), str) and reported["compute_region"].strip():
        kwargs["region"], prov["region"] = reported["compute_region"], "card"
    if isinstance(reported.get("location"), str) and reported["location"].strip():
        kwargs["location"], prov["location"] = reported["location"], "card"

    est = estimate_emissions(**kwargs, provenance=prov)
    reported_g = reported.get("emissions_g")
    est["comparison"] = (
        compare(float(reported_g), est, reported=reported)
        if isinstance(reported_g, int | float) and not isinstance(reported_g, bool)
        else None
    )
    return est


# ====================================================================== comparison

_SCOPE_FLAGS = {
    "market_based": "the reported figure is market-based (offsets / renewable certificates), the estimate location-based",
    "inherited": "the reported figure is the base model's, not this model's training",
    "lifecycle": "the reported figure is a life-cycle total (embodied, inference), the estimate operational training only",
    "includes_inference": "the reported figure includes inference",
    "embodied": "the reported figure includes embodied emissions",
    "cumulative": "the reported figure covers several runs or models",
}

# A ratio within 10^+-0.75 (x5.6) of 10^+-3 or 10^+-6, outside the range, is called a likely unit error.
UNIT_ERROR_TOLERANCE_DECADES = 0.75

_UNIT_NAMES = {
    -3: "kg written as g (the figure is ~1000x too small)",
    -6: "tonnes written as g (the figure is ~10^6x too small)",
    3: "g written as kg (the figure is ~1000x too large)",
    6: "g written as tonnes (the figure is ~10^6x too large)",
}


def compare(reported_g: float | None, estimate: dict, *, reported: dict | None = None) -> dict:
    """Reported vs estimated: ``{"ratio": reported / central, "verdict", "reason"}``.

    Verdicts: ``consistent`` (reported inside the estimate's range), ``below`` / ``above`` (outside it; the
    reason says by how much and which inputs are defaults), ``likely unit error`` (outside and off by ~10^3 or
    ~10^6, e.g. kg written as g), ``not comparable`` (scopes differ: market-based, life-cycle, a base model's
    figure, zero). ``verdict`` is ``None`` when there is nothing to compare (no reported figure, no estimate).
    """
    reported = reported if isinstance(reported, dict) else {}
    out: dict[str, Any] = {"ratio": None, "verdict": None, "reason": None}
    if reported_g is None or not isinstance(reported_g, int | float) or not math.isfinite(reported_g):
        out["reason"] = "no reported figure"
        return out
    scope_reasons = _scope_reasons(reported_g, reported)
    est_g = (estimate or {}).get("emissions_g") if isinstance(estimate, dict) else None
    if scope_reasons:
        if est_g:
            out["ratio"] = reported_g / est_g["central"]
        out["verdict"] = "not comparable"
        out["reason"] = "; ".join(scope_reasons)
        return out
    if not est_g:
        missing = (estimate or {}).get("missing") or []
        out["reason"] = "no estimate" + (f" (missing: {', '.join(missing)})" if missing else "")
        return out
    lo, c, hi = est_g["low"], est_g["central"], est_g["high"]
    out["ratio"] = reported_g / c
    span = f"estimate {human_grams(c)} (range {human_grams(lo)}-{human_grams(hi)})"
    if lo <= reported_g <= hi:
        out["verdict"] = "consistent"
        out["reason"] = f"reported {human_grams(reported_g)} is within the {span}; ratio {out['ratio']:.3g}"
        return out
    return _unit_error(out, reported_g, est_g, span) or _outside(out, reported_g, estimate, span)


def _scope_reasons(reported_g: float, reported: dict) -> list[str]:
    """Why the reported figure measures something else than the estimate (empty when comparable)."""
    flags = {str(f) for f in (reported.get("flags") or [])}
    reasons = [text for flag, text in _SCOPE_FLAGS.items() if flag in flags]
    market = reported.get("market_based_g")
    if (
        isinstance(market, int | float)
        and market == reported_g
        and _SCOPE_FLAGS["market_based"] not in reasons
    ):
        reasons.append(_SCOPE_FLAGS["market_based"])
    if reported_g <= 0:
        reasons.append("a reported zero is a market-based or offset figure, not operational emissions")
    return reasons


def _unit_error(out: dict, reported_g: float, est_g: dict, span: str) -> dict | None:
    """``likely unit error`` when the ratio is within the tolerance of 10^+-3 or 10^+-6, else ``None``."""
    lg = math.log10(out["ratio"])
    k = int(max(-6, min(6, 3 * round(lg / 3))))
    if not k or abs(lg - k) > UNIT_ERROR_TOLERANCE_DECADES:
        return None
    rescaled = reported_g / 10.0**k
    where = "inside" if est_g["low"] <= rescaled <= est_g["high"] else "near"
    out["verdict"] = "likely unit error"
    out["unit_factor"] = 10.0**k
    out["reason"] = (
        f"reported {human_grams(reported_g)} is ~10^{abs(k)} times {'below' if k < 0 else 'above'} the {span}; "
        f"rescaled by 10^{-k} it is {human_grams(rescaled)}, {where} the range: likely {_UNIT_NAMES[k]}"
    )
    return out


def _outside(out: dict, reported_g: float, estimate: dict, span: str) -> dict:
    """``below`` / ``above`` the range, by how much, naming the inputs that are defaults."""
    lo, hi = estimate["emissions_g"]["low"], estimate["emissions_g"]["high"]
    defaults = sorted(
        name
        for name, inp in (estimate.get("inputs") or {}).items()
        if str(inp.get("provenance", "")).startswith("default:")
    )
    tail = f"; the estimate uses defaults for {', '.join(defaults)}" if defaults else ""
    if reported_g < lo:
        out["verdict"] = "below"
        out["reason"] = (
            f"reported {human_grams(reported_g)} is {lo / reported_g:.2g}x below the low end of the {span}{tail}"
        )
    else:
        out["verdict"] = "above"
        out["reason"] = (
            f"reported {human_grams(reported_g)} is {reported_g / hi:.2g}x above the high end of the {span}{tail}"
        )
    out["factor_outside"] = (lo / reported_g) if reported_g < lo else (reported_g / hi)
    return out
