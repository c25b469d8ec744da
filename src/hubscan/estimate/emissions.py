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

from hubscan.reference import tables as ref
from hubscan.reference.resolve import resolve_hardware, resolve_location, resolve_provider
from hubscan.units import human_grams

__all__ = [
    "EMISSIONS_ESTIMATOR_VERSION",
    "SCOPE",
    "DEFAULTS",
    "estimate_emissions",
    "estimate_for_model",
    "compare",
]

EMISSIONS_ESTIMATOR_VERSION = "1"
SCOPE = "final training run, operational only"

# Documented default ranges (REFERENCE.md sections 4-5; docs/EMISSIONS.md repeats them with sources).
DEFAULTS: dict[str, dict[str, Any]] = {
    "power_fraction_of_tdp": {
        "central": 1.0,
        "low": 0.6,
        "high": 1.1,
        "source": "u = 1.0 is Meta's/BLOOM's/GLM's TDP convention; 0.55-0.70 measured on TPU v3 (Patterson 2021), "
        "~0.85 H100 while training (Morrison 2025), ~1.1 V100 incl. host share (GPT-3)",
    },
    "power_tpu_system": {
        "central": ref.TPU_SYSTEM_POWER_W,
        "low": 0.6 * ref.TPU_SYSTEM_POWER_W,
        "high": 1.1 * ref.TPU_SYSTEM_POWER_W,
        "source": "no public TDP for TPU v4/v5: PaLM's measured 378.5 W system power per TPU v4 chip (App. B)",
    },
    "grid_world": {
        "central": None,  # filled from the vendored world average (475)
        "low": 30.0,
        "high": 900.0,
        "source": "world average 475 g/kWh (codecarbon, IEA 2019); 30-900 g/kWh spans the grids in use",
    },
    "grid_known_fraction": {
        "central": 1.0,
        "low": 0.8,
        "high": 1.2,
        "source": "+/-20% around a resolved country/state/region value (year-to-year and data-set spread)",
    },
    "mfu_dense_large": {
        "central": 0.40,
        "low": 0.30,
        "high": 0.50,
        "source": "dense >=7B pre-training on A100/H100/TPU: PaLM 46%, Llama 3.1 38-43%, LLaMA-1 43-51% implied",
    },
    "mfu_v100_or_moe": {
        "central": 0.275,
        "low": 0.20,
        "high": 0.35,
        "source": "V100-era runs and MoE: GPT-3 ~20%, Switch 28% implied, Gopher 32.5%",
    },
    "mfu_small": {
        "central": 0.20,
        "low": 0.10,
        "high": 0.30,
        "source": "small (<3B) or distillation-heavy runs: 5-28% implied for smaller Llama 3.x",
    },
    "devices_1": {
        "central": 1,
        "low": 1,
        "high": 1,
        "source": "hours given without a device count: one device assumed (flagged)",
    },
}

_V100_ERA = {"V100", "V100 PCIe", "P100", "P100 PCIe", "T4"}


class _Invalid(ValueError):
    pass


def _pos(name: str, value: Any, *, allow_zero: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Invalid(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise _Invalid(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise _Invalid(f"{name} must be a positive finite number, got {value!r}")
    return v


def _triple(central: float, lo: float, hi: float) -> dict[str, float]:
    return {"low": lo, "central": central, "high": hi}


def _combine(factors: list[tuple[float, float | None, float | None, int]]) -> dict[str, float]:
    """Product of ``value ** exponent`` with its range: log deviations of each factor added in quadrature."""
    central = 1.0
    down = up = 0.0
    for value, lo, hi, exp in factors:
        central *= value**exp
        lo = value if lo is None else lo
        hi = value if hi is None else hi
        dlo, dhi = math.log(lo / value) * exp, math.log(hi / value) * exp
        down += min(dlo, dhi, 0.0) ** 2
        up += max(dlo, dhi, 0.0) ** 2
    return _triple(central, central * math.exp(-math.sqrt(down)), central * math.exp(math.sqrt(up)))


def _default_mfu(device: str | None, n_active: float | None, n_total: float | None) -> str:
    size = n_total if n_total is not None else n_active
    if size is not None and size < 3e9:
        return "mfu_small"
    if device in _V100_ERA or (n_total and n_active and n_total > 1.5 * n_active):
        return "mfu_v100_or_moe"
    return "mfu_dense_large"


def _empty(missing: list[str], reason: str | None, inputs: dict, notes: list[str]) -> dict:
    return {
        "method": None,
        "estimable": False,
        "missing": missing,
        "reason": reason,
        "emissions_g": None,
        "energy_kwh": None,
        "device_hours": None,
        "inputs": inputs,
        "scope": SCOPE,
        "estimator_version": EMISSIONS_ESTIMATOR_VERSION,
        "notes": notes,
    }


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
    names to "card" / "config" / "user" (default "user"). Returns a JSON-serialisable dict; never raises on bad
    input values (they make the result not estimable, with the reason).
    """
    prov = dict(provenance or {})

    def p(name: str) -> str:
        return prov.get(name, "user")

    inputs: dict[str, dict] = {}
    notes: list[str] = []

    def put(name: str, value: Any, provenance_: str, rng: list | None = None, **extra: Any) -> None:
        inputs[name] = {"value": value, "provenance": provenance_, "range": rng, **extra}

    try:
        params_v = _pos("params", params)
        active_v = _pos("active_params", active_params)
        tokens_v = _pos("tokens", tokens)
        flops_v = _pos("flops", flops)
        devices_v = _pos("devices", devices)
        dh_v = _pos("device_hours", device_hours)
        hours_v = _pos("hours", hours)
        power_v = _pos("power_w", power_w)
        pue_v = _pos("pue", pue)
        grid_v = _pos("grid_g_per_kwh", grid_g_per_kwh, allow_zero=True)
        mfu_v = _pos("mfu", mfu)
        if pue_v is not None and pue_v < 1.0:
            raise _Invalid(f"pue must be >= 1.0 (facility / IT energy), got {pue!r}")
        if mfu_v is not None and mfu_v > 1.0:
            raise _Invalid(f"mfu must be a fraction in (0, 1], got {mfu!r}")
    except _Invalid as exc:
        return _empty(["valid inputs"], f"not estimable: {exc}", inputs, notes)

    # ---- recorded plain inputs
    for name, value in (
        ("params", params_v),
        ("active_params", active_v),
        ("tokens", tokens_v),
        ("devices", devices_v),
        ("hours", hours_v),
        ("device_hours", dh_v),
    ):
        if value is not None:
            put(name, int(value) if name in {"params", "active_params", "devices"} else value, p(name))

    # ---- hardware
    hw = resolve_hardware(hardware) if hardware else None
    if hardware:
        if hw:
            put(
                "hardware",
                hw["device"],
                p("hardware"),
                raw=hardware,
                tdp_w=hw["tdp_w"],
                peak_tflops=hw["peak_tflops"],
            )
            if hw.get("assumed"):
                notes.append(hw["assumed"])
            if hw.get("alternatives"):
                notes.append(
                    f"hardware text names several devices; {hw['device']} used (also: {hw['alternatives']})"
                )
        else:
            put("hardware", hardware, p("hardware"), resolved=False)
            notes.append(f"hardware {hardware!r} not found in the hardware table: no TDP or peak throughput")
    device = hw["device"] if hw else None
    if devices_v is None and hw and hw.get("count"):
        devices_v = float(hw["count"])
        put("devices", int(devices_v), p("hardware"), note="from the hardware text")

    # ---- provider, location, grid
    prov_name = resolve_provider(provider) or (
        provider.strip().lower() if provider and provider.strip() else None
    )
    loc = None
    loc_name = None
    if grid_v is None:
        for name, text in (("region", region), ("location", location)):
            if text:
                loc = resolve_location(text, provider=prov_name)
                if loc:
                    loc_name = name
                    break
                notes.append(f"{name} {text!r} not resolved to a grid intensity")
    if provider:
        put("provider", prov_name, p("provider"))
    elif loc and loc.get("provider"):
        prov_name = loc["provider"]
        put("provider", prov_name, p(loc_name), note=f"from the {loc_name} text")
    if grid_v is not None:
        put("grid_g_per_kwh", grid_v, p("grid_g_per_kwh"))
        grid = (grid_v, None, None)
    elif loc:
        g = float(loc["grid_g_per_kwh"])
        d = DEFAULTS["grid_known_fraction"]
        put(
            "grid_g_per_kwh",
            g,
            p(loc_name),
            [g * d["low"], g * d["high"]],
            location=loc["name"],
            kind=loc["kind"],
            code=loc["code"],
            year=loc.get("year"),
            source=loc["source"],
            raw=loc["raw"],
        )
        grid = (g, g * d["low"], g * d["high"])
    else:
        g = ref.world_average_g()
        d = DEFAULTS["grid_world"]
        put("grid_g_per_kwh", g, "default:grid_world", [d["low"], d["high"]], source=ref.WORLD_SOURCE)
        grid = (g, d["low"], d["high"])

    # ---- PUE
    if pue_v is not None:
        put("pue", pue_v, p("pue"))
        pue_t = (pue_v, None, None)
    else:
        key, row = ref.pue_for_provider(prov_name)
        put("pue", row["central"], f"default:pue_{key}", [row["low"], row["high"]], source=row["source"])
        pue_t = (row["central"], row["low"], row["high"])

    # ---- power per device
    power_t = None
    if power_v is not None:
        put("power_w", power_v, p("power_w"))
        power_t = (power_v, None, None)
    elif hw and hw.get("tdp_w"):
        d = DEFAULTS["power_fraction_of_tdp"]
        tdp = float(hw["tdp_w"])
        put(
            "power_w",
            tdp * d["central"],
            "default:power_tdp",
            [tdp * d["low"], tdp * d["high"]],
            source=f"TDP {tdp:g} W of {device} x u (u = {d['central']}, range {d['low']}-{d['high']})",
        )
        power_t = (tdp * d["central"], tdp * d["low"], tdp * d["high"])
    elif device and device.startswith("TPU v") and device not in {"TPU v2", "TPU v3"}:
        d = DEFAULTS["power_tpu_system"]
        put("power_w", d["central"], "default:power_tpu_system", [d["low"], d["high"]], source=d["source"])
        power_t = (d["central"], d["low"], d["high"])
        notes.append(f"{device}: no public TDP; PaLM's measured TPU v4 system power per chip assumed")

    # ---- FLOPs (reported, else 6 N D) and peak throughput
    n_active = active_v if active_v is not None else params_v
    flops_t = None
    if flops_v is not None:
        put("flops", flops_v, p("flops"))
        flops_t = flops_v
    elif tokens_v is not None and n_active is not None:
        flops_t = 6.0 * n_active * tokens_v
        put("flops", flops_t, "default:flops_6ND", note="6 x N_active x D (Kaplan et al. 2020)")
        if active_v is None:
            notes.append(
                "active parameters unknown: total parameters used for 6·N·D (overestimates MoE models)"
            )
    peak = hw.get("peak_tflops") if hw else None

    # ---- device-hours: direct, hours x devices, else compute method
    dh_t = None
    method = None
    if dh_v is not None:
        dh_t = (dh_v, None, None)
        method = "hardware-time"
        if hours_v is not None:
            notes.append("device_hours given: hours ignored")
    elif hours_v is not None:
        if devices_v is None:
            devices_v = 1.0
            put("devices", 1, "default:devices_1", note=DEFAULTS["devices_1"]["source"])
            notes.append(
                "device count not stated: 1 device assumed (hours may be wall-clock for more devices)"
            )
        dh = hours_v * devices_v
        put("device_hours", dh, p("hours"), note=f"{hours_v:g} h x {devices_v:g} devices")
        dh_t = (dh, None, None)
        method = "hardware-time"

    ht_missing: list[str] = []
    if dh_t is None:
        ht_missing.append("hours")
    if power_t is None:
        ht_missing.append("hardware" if not hw else "power_w")
    cm_missing: list[str] = []
    if flops_t is None:
        if tokens_v is None:
            cm_missing.append("tokens")
        if n_active is None:
            cm_missing.append("params")
    if not peak:
        cm_missing.append("hardware" if not hw else "peak_tflops")
    if power_t is None and "hardware" not in cm_missing:
        cm_missing.append("power_w")

    mfu_t = None
    if method is None and not cm_missing:
        method = "compute"
        if mfu_v is not None:
            put("mfu", mfu_v, p("mfu"))
            mfu_t = (mfu_v, None, None)
        else:
            key = _default_mfu(device, n_active, params_v)
            d = DEFAULTS[key]
            put("mfu", d["central"], f"default:{key}", [d["low"], d["high"]], source=d["source"])
            mfu_t = (d["central"], d["low"], d["high"])
        put(
            "peak_tflops",
            peak,
            "default:peak_hardware_table",
            source=f"peak dense 16-bit TFLOPS of {device} (hardware_specs.csv)",
        )
        dh_range = _combine([(flops_t, None, None, 1), (peak * 1e12 * 3600, None, None, -1), (*mfu_t, -1)])
        dh_t = (dh_range["central"], dh_range["low"], dh_range["high"])

    if method is None or (method == "hardware-time" and power_t is None):
        if method == "hardware-time":
            missing = ht_missing
            reason = f"not estimable: the hardware-time method needs {_join(ht_missing)}"
        else:
            missing = list(dict.fromkeys(ht_missing + cm_missing))
            reason = (
                f"not estimable: the hardware-time method needs {_join(ht_missing, alt={'hours': 'hours or device_hours'})}; "
                f"the compute method needs {_join(cm_missing, alt={'tokens': 'tokens (or flops)'})}"
            )
            if "tokens" in cm_missing:
                reason += " - training tokens are never guessed"
        return _empty(missing, reason, inputs, notes)

    energy_factors = [dh_t + (1,), power_t + (1,), pue_t + (1,)]
    dh_out = _triple(dh_t[0], *(dh_t[1:] if dh_t[1] is not None else (dh_t[0], dh_t[0])))
    energy_wh = _combine(energy_factors)
    energy = {k: v / 1000.0 for k, v in energy_wh.items()}
    emissions = _combine(energy_factors + [grid + (1,)])
    emissions = {k: v / 1000.0 for k, v in emissions.items()}

    out = {
        "method": method,
        "estimable": True,
        "missing": [],
        "reason": None,
        "emissions_g": _order(emissions),
        "energy_kwh": _order(energy),
        "device_hours": _order(dh_out),
        "inputs": inputs,
        "scope": SCOPE,
        "estimator_version": EMISSIONS_ESTIMATOR_VERSION,
        "notes": notes,
    }
    if method == "compute" and devices_v:
        out["wall_clock_hours"] = _order({k: v / devices_v for k, v in dh_out.items()})
    if method == "hardware-time" and flops_t and peak:
        out["implied_mfu"] = flops_t / (dh_t[0] * peak * 1e12 * 3600)
    return out


def _order(d: dict[str, float]) -> dict[str, float]:
    return {"low": d["low"], "central": d["central"], "high": d["high"]}


def _join(names: list[str], alt: dict[str, str] | None = None) -> str:
    alt = alt or {}
    names = [alt.get(n, n) for n in names]
    if not names:
        return "nothing more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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

    flags = {str(f) for f in (reported.get("flags") or [])}
    scope_reasons = [text for flag, text in _SCOPE_FLAGS.items() if flag in flags]
    market = reported.get("market_based_g")
    if (
        isinstance(market, int | float)
        and market == reported_g
        and _SCOPE_FLAGS["market_based"] not in scope_reasons
    ):
        scope_reasons.append(_SCOPE_FLAGS["market_based"])
    if reported_g <= 0:
        scope_reasons.append("a reported zero is a market-based or offset figure, not operational emissions")
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
    ratio = reported_g / c
    out["ratio"] = ratio
    span = f"estimate {human_grams(c)} (range {human_grams(lo)}-{human_grams(hi)})"
    if lo <= reported_g <= hi:
        out["verdict"] = "consistent"
        out["reason"] = f"reported {human_grams(reported_g)} is within the {span}; ratio {ratio:.3g}"
        return out

    lg = math.log10(ratio)
    k = int(max(-6, min(6, 3 * round(lg / 3))))
    if k and abs(lg - k) <= UNIT_ERROR_TOLERANCE_DECADES:
        rescaled = reported_g / 10.0**k
        where = "inside" if lo <= rescaled <= hi else "near"
        out["verdict"] = "likely unit error"
        out["unit_factor"] = 10.0**k
        out["reason"] = (
            f"reported {human_grams(reported_g)} is ~10^{abs(k)} times {'below' if k < 0 else 'above'} the {span}; "
            f"rescaled by 10^{-k} it is {human_grams(rescaled)}, {where} the range: likely {_UNIT_NAMES[k]}"
        )
        return out

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
