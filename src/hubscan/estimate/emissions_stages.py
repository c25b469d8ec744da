"""The emission estimator's stages: validate -> hardware -> grid -> PUE -> power -> FLOPs -> device-hours -> method.

Each stage is a small function that reads the validated inputs, records what it used in ``Run.inputs`` (value,
provenance, range and source) and returns its factor as a :class:`Factor` (central with low/high, or a point
when the user gave the value). :func:`hubscan.estimate.emissions.estimate_emissions` chains them and
:func:`combine` multiplies the factors. ``docs/EMISSIONS.md`` documents the defaults used here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hubscan.reference import tables as ref
from hubscan.reference.resolve import (
    closest_hardware,
    resolve_hardware,
    resolve_location,
    resolve_provider,
)

EMISSIONS_ESTIMATOR_VERSION = "1"
SCOPE = "final training run, operational only"

# Documented default ranges (docs/EMISSIONS.md repeats them with their sources).
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
_COUNTED = {"params", "active_params", "devices"}


class Invalid(ValueError):
    """An input value the estimator cannot use (negative, not a number, PUE < 1, MFU > 1)."""


@dataclass(frozen=True)
class Factor:
    """One multiplicative factor: central value, optional low/high (``None`` = exact), where it came from."""

    central: float
    low: float | None = None
    high: float | None = None
    provenance: str = "user"

    def term(self, exponent: int = 1) -> tuple[float, float | None, float | None, int]:
        return (self.central, self.low, self.high, exponent)

    def triple(self) -> dict[str, float]:
        lo = self.central if self.low is None else self.low
        hi = self.central if self.high is None else self.high
        return {"low": lo, "central": self.central, "high": hi}


@dataclass
class Run:
    """The state the stages share: validated values, the recorded inputs and the notes."""

    values: dict[str, float | None]
    provenance: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def p(self, name: str) -> str:
        return self.provenance.get(name, "user")

    def put(self, name: str, value: Any, provenance: str, rng: list | None = None, **extra: Any) -> None:
        self.inputs[name] = {"value": value, "provenance": provenance, "range": rng, **extra}


@dataclass
class EmissionsResult:
    """The estimator's answer; :meth:`as_dict` is the JSON shape of ``hubscan estimate --json``."""

    method: str | None
    inputs: dict[str, dict]
    notes: list[str]
    missing: list[str] = field(default_factory=list)
    reason: str | None = None
    emissions_g: dict[str, float] | None = None
    energy_kwh: dict[str, float] | None = None
    device_hours: dict[str, float] | None = None
    wall_clock_hours: dict[str, float] | None = None
    implied_mfu: float | None = None

    @property
    def estimable(self) -> bool:
        return self.emissions_g is not None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "estimable": self.estimable,
            "missing": list(self.missing),
            "reason": self.reason,
            "emissions_g": self.emissions_g,
            "energy_kwh": self.energy_kwh,
            "device_hours": self.device_hours,
            "inputs": self.inputs,
            "scope": SCOPE,
            "estimator_version": EMISSIONS_ESTIMATOR_VERSION,
            "notes": self.notes,
        }
        if self.wall_clock_hours is not None:
            out["wall_clock_hours"] = self.wall_clock_hours
        if self.implied_mfu is not None:
            out["implied_mfu"] = self.implied_mfu
        return out


# ====================================================================== arithmetic


def combine(factors: list[tuple[float, float | None, float | None, int]]) -> dict[str, float]:
    """Product of ``value ** exponent`` with its range: log deviations of each factor added in quadrature."""
    central = 1.0
    down = up = 0.0
    for value, lo, hi, exp in factors:
        central *= value**exp
        if value == 0:  # a zero factor (e.g. a 0 g/kWh grid) has no relative spread
            continue
        lo = value if lo is None else lo
        hi = value if hi is None else hi
        dlo, dhi = math.log(lo / value) * exp, math.log(hi / value) * exp
        down += min(dlo, dhi, 0.0) ** 2
        up += max(dlo, dhi, 0.0) ** 2
    return {
        "low": central * math.exp(-math.sqrt(down)),
        "central": central,
        "high": central * math.exp(math.sqrt(up)),
    }


def divided(d: dict[str, float], by: float) -> dict[str, float]:
    return {"low": d["low"] / by, "central": d["central"] / by, "high": d["high"] / by}


def join_names(names: list[str], alt: dict[str, str] | None = None) -> str:
    alt = alt or {}
    names = [alt.get(n, n) for n in names]
    if not names:
        return "nothing more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ====================================================================== 1. validate


def _pos(name: str, value: Any, *, allow_zero: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise Invalid(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise Invalid(f"{name} must be a positive finite number, got {value!r}")
    return v


NUMERIC_INPUTS = (
    "params",
    "active_params",
    "tokens",
    "flops",
    "devices",
    "device_hours",
    "hours",
    "power_w",
    "pue",
    "grid_g_per_kwh",
    "mfu",
)


def validate(raw: dict[str, Any]) -> dict[str, float | None]:
    """Numeric inputs as floats (``None`` when absent); raises :class:`Invalid` on a value it cannot use."""
    values = {name: _pos(name, raw.get(name), allow_zero=name == "grid_g_per_kwh") for name in NUMERIC_INPUTS}
    if values["pue"] is not None and values["pue"] < 1.0:
        raise Invalid(f"pue must be >= 1.0 (facility / IT energy), got {raw.get('pue')!r}")
    if values["mfu"] is not None and values["mfu"] > 1.0:
        raise Invalid(f"mfu must be a fraction in (0, 1], got {raw.get('mfu')!r}")
    return values


def record_plain(run: Run) -> None:
    """Record the inputs used as given (counts as integers)."""
    for name in ("params", "active_params", "tokens", "devices", "hours", "device_hours"):
        value = run.values[name]
        if value is not None:
            run.put(name, int(value) if name in _COUNTED else value, run.p(name))


# ====================================================================== 2. hardware


def hardware_stage(run: Run, hardware: str | None) -> dict | None:
    """Resolve the hardware text; the device count it states fills ``devices`` when not given."""
    if not hardware:
        return None
    hw = resolve_hardware(hardware)
    if hw:
        _record_hardware(run, hardware, hw)
    else:
        run.put("hardware", hardware, run.p("hardware"), resolved=False)
        near = closest_hardware(hardware)
        run.notes.append(
            f"hardware {hardware!r} not found in the hardware table: no TDP or peak throughput"
            + (f" (closest: {', '.join(near)})" if near else "")
        )
    if run.values["devices"] is None and hw and hw.get("count"):
        run.values["devices"] = float(hw["count"])
        run.put("devices", int(hw["count"]), run.p("hardware"), note="from the hardware text")
    return hw


def _record_hardware(run: Run, hardware: str, hw: dict) -> None:
    extra: dict[str, Any] = {}
    if hw.get("variants"):
        extra = {"variants": [v["device"] for v in hw["variants"]], "tdp_w_range": hw.get("tdp_w_range")}
    run.put(
        "hardware",
        hw["device"],
        run.p("hardware"),
        raw=hardware,
        tdp_w=hw["tdp_w"],
        peak_tflops=hw["peak_tflops"],
        **extra,
    )
    if hw.get("assumed"):
        run.notes.append(hw["assumed"])
    if hw.get("alternatives"):
        run.notes.append(
            f"hardware text names several devices; {hw['device']} used (also: {hw['alternatives']})"
        )
    if hw.get("variants"):
        listed = ", ".join(f"{v['device']} ({v['tdp_w']:g} W)" for v in hw["variants"] if v.get("tdp_w"))
        run.notes.append(
            f"{hw['ambiguous']}: {hw['device']} ({hw['tdp_w']:g} W) is the central pick; the range covers {listed}"
        )


def variant_factor(hw: dict | None, power: Factor | None, method: str) -> Factor | None:
    """Spread of the hardware variants a name leaves open, relative to the central pick (TDP power only).

    Hardware-time: TDP of each variant / central TDP. Compute: energy per FLOP (TDP / peak) of each variant /
    the central's, so a TPU board (4 chips' power and throughput) adds no spread there."""
    if not hw or not hw.get("variants") or power is None or power.provenance != "default:power_tdp":
        return None
    tdp, peak = hw["tdp_w"], hw.get("peak_tflops")
    if method == "compute":
        ratios = [(v["tdp_w"] / v["peak_tflops"]) / (tdp / peak) for v in hw["variants"] if _has_both(v)]
    else:
        ratios = [v["tdp_w"] / tdp for v in hw["variants"] if v.get("tdp_w")]
    if not ratios or (min(ratios) >= 1.0 and max(ratios) <= 1.0):
        return None
    return Factor(1.0, min(min(ratios), 1.0), max(max(ratios), 1.0), "default:hardware_variants")


def _has_both(variant: dict) -> bool:
    return bool(variant.get("tdp_w") and variant.get("peak_tflops"))


# ====================================================================== 3. grid


def provider_stage(run: Run, provider: str | None) -> str | None:
    """Canonical provider name ("aws", "gcp", ...), or the text as given when it names none we know."""
    name = resolve_provider(provider)
    if name is None and provider and provider.strip():
        name = provider.strip().lower()
    return name


def _locate(run: Run, region: str | None, location: str | None, provider: str | None):
    for name, text in (("region", region), ("location", location)):
        if text:
            loc = resolve_location(text, provider=provider)
            if loc:
                return loc, name
            run.notes.append(f"{name} {text!r} not resolved to a grid intensity")
    return None, None


def grid_stage(
    run: Run, region: str | None, location: str | None, provider: str | None, provider_given: bool
) -> tuple[Factor, str | None]:
    """Grid intensity (g/kWh): given, else a resolved region/location (+-20%), else the world average
    (30-900). Returns the factor and the provider (possibly learnt from the region text)."""
    grid_v = run.values["grid_g_per_kwh"]
    loc, loc_name = (None, None) if grid_v is not None else _locate(run, region, location, provider)
    if provider_given:
        run.put("provider", provider, run.p("provider"))
    elif loc and loc.get("provider"):
        provider = loc["provider"]
        run.put("provider", provider, run.p(loc_name), note=f"from the {loc_name} text")
    if grid_v is not None:
        run.put("grid_g_per_kwh", grid_v, run.p("grid_g_per_kwh"))
        return Factor(grid_v, provenance=run.p("grid_g_per_kwh")), provider
    if loc:
        g, d = float(loc["grid_g_per_kwh"]), DEFAULTS["grid_known_fraction"]
        run.put(
            "grid_g_per_kwh",
            g,
            run.p(loc_name),
            [g * d["low"], g * d["high"]],
            location=loc["name"],
            kind=loc["kind"],
            code=loc["code"],
            year=loc.get("year"),
            source=loc["source"],
            raw=loc["raw"],
        )
        return Factor(g, g * d["low"], g * d["high"], run.p(loc_name)), provider
    g, d = ref.world_average_g(), DEFAULTS["grid_world"]
    run.put("grid_g_per_kwh", g, "default:grid_world", [d["low"], d["high"]], source=ref.WORLD_SOURCE)
    return Factor(g, d["low"], d["high"], "default:grid_world"), provider


# ====================================================================== 4. PUE


def pue_stage(run: Run, provider: str | None) -> Factor:
    """PUE: given, else the provider's default range (unknown provider: industry average)."""
    if run.values["pue"] is not None:
        run.put("pue", run.values["pue"], run.p("pue"))
        return Factor(run.values["pue"], provenance=run.p("pue"))
    key, row = ref.pue_for_provider(provider)
    run.put("pue", row["central"], f"default:pue_{key}", [row["low"], row["high"]], source=row["source"])
    return Factor(row["central"], row["low"], row["high"], f"default:pue_{key}")


# ====================================================================== 5. power


def power_stage(run: Run, hw: dict | None) -> Factor | None:
    """Power per device (W): given, else TDP x utilisation u, else the TPU v4/v5 system-power default."""
    if run.values["power_w"] is not None:
        run.put("power_w", run.values["power_w"], run.p("power_w"))
        return Factor(run.values["power_w"], provenance=run.p("power_w"))
    device = hw["device"] if hw else None
    if hw and hw.get("tdp_w"):
        d, tdp = DEFAULTS["power_fraction_of_tdp"], float(hw["tdp_w"])
        run.put(
            "power_w",
            tdp * d["central"],
            "default:power_tdp",
            [tdp * d["low"], tdp * d["high"]],
            source=f"TDP {tdp:g} W of {device} x u (u = {d['central']}, range {d['low']}-{d['high']})",
        )
        return Factor(tdp * d["central"], tdp * d["low"], tdp * d["high"], "default:power_tdp")
    if device and device.startswith("TPU v") and device not in {"TPU v2", "TPU v3"}:
        d = DEFAULTS["power_tpu_system"]
        run.put(
            "power_w", d["central"], "default:power_tpu_system", [d["low"], d["high"]], source=d["source"]
        )
        run.notes.append(f"{device}: no public TDP; PaLM's measured TPU v4 system power per chip assumed")
        return Factor(d["central"], d["low"], d["high"], "default:power_tpu_system")
    return None


# ====================================================================== 6. FLOPs


def n_active(run: Run) -> float | None:
    v = run.values
    return v["active_params"] if v["active_params"] is not None else v["params"]


def flops_stage(run: Run) -> float | None:
    """Training FLOPs: reported, else 6 x N_active x D (never without the training tokens)."""
    v, n = run.values, n_active(run)
    if v["flops"] is not None:
        run.put("flops", v["flops"], run.p("flops"))
        return v["flops"]
    if v["tokens"] is None or n is None:
        return None
    flops = 6.0 * n * v["tokens"]
    run.put("flops", flops, "default:flops_6ND", note="6 x N_active x D (Kaplan et al. 2020)")
    if v["active_params"] is None:
        run.notes.append(
            "active parameters unknown: total parameters used for 6·N·D (overestimates MoE models)"
        )
    return flops


# ====================================================================== 7. device-hours


def device_hours_stage(run: Run) -> Factor | None:
    """Device-hours as given, else hours x devices (one device assumed, flagged); ``None`` if no hours."""
    v = run.values
    if v["device_hours"] is not None:
        if v["hours"] is not None:
            run.notes.append("device_hours given: hours ignored")
        return Factor(v["device_hours"], provenance=run.p("device_hours"))
    if v["hours"] is None:
        return None
    if v["devices"] is None:
        v["devices"] = 1.0
        run.put("devices", 1, "default:devices_1", note=DEFAULTS["devices_1"]["source"])
        run.notes.append(
            "device count not stated: 1 device assumed (hours may be wall-clock for more devices)"
        )
    dh = v["hours"] * v["devices"]
    run.put("device_hours", dh, run.p("hours"), note=f"{v['hours']:g} h x {v['devices']:g} devices")
    return Factor(dh, provenance=run.p("hours"))


def default_mfu_key(device: str | None, n_act: float | None, n_total: float | None) -> str:
    size = n_total if n_total is not None else n_act
    if size is not None and size < 3e9:
        return "mfu_small"
    if device in _V100_ERA or (n_total and n_act and n_total > 1.5 * n_act):
        return "mfu_v100_or_moe"
    return "mfu_dense_large"


def mfu_stage(run: Run, device: str | None) -> Factor:
    """Model FLOPs utilisation: given, else a default range by model size, hardware era and MoE."""
    if run.values["mfu"] is not None:
        run.put("mfu", run.values["mfu"], run.p("mfu"))
        return Factor(run.values["mfu"], provenance=run.p("mfu"))
    key = default_mfu_key(device, n_active(run), run.values["params"])
    d = DEFAULTS[key]
    run.put("mfu", d["central"], f"default:{key}", [d["low"], d["high"]], source=d["source"])
    return Factor(d["central"], d["low"], d["high"], f"default:{key}")


def compute_device_hours(run: Run, flops: float, hw: dict) -> Factor:
    """Compute method: FLOPs / (peak dense throughput x MFU) -> device-hours, with the MFU range."""
    device, peak = hw["device"], hw["peak_tflops"]
    mfu = mfu_stage(run, device)
    run.put(
        "peak_tflops",
        peak,
        "default:peak_hardware_table",
        source=f"peak dense 16-bit TFLOPS of {device} (hardware_specs.csv)",
    )
    dh = combine([(flops, None, None, 1), (peak * 1e12 * 3600, None, None, -1), mfu.term(-1)])
    return Factor(dh["central"], dh["low"], dh["high"], "default:compute")


# ====================================================================== 8. method choice


def missing_inputs(
    run: Run, hw: dict | None, dh: Factor | None, power: Factor | None, flops: float | None
) -> tuple[list[str], list[str]]:
    """What the hardware-time and the compute method each still need."""
    ht: list[str] = []
    if dh is None:
        ht.append("hours")
    if power is None:
        ht.append("hardware" if not hw else "power_w")
    cm: list[str] = []
    if flops is None:
        if run.values["tokens"] is None:
            cm.append("tokens")
        if n_active(run) is None:
            cm.append("params")
    if not (hw or {}).get("peak_tflops"):
        cm.append("hardware" if not hw else "peak_tflops")
    if power is None and "hardware" not in cm:
        cm.append("power_w")
    return ht, cm


def not_estimable_reason(method: str | None, ht: list[str], cm: list[str]) -> tuple[list[str], str]:
    if method == "hardware-time":
        return ht, f"not estimable: the hardware-time method needs {join_names(ht)}"
    missing = list(dict.fromkeys(ht + cm))
    reason = (
        f"not estimable: the hardware-time method needs {join_names(ht, alt={'hours': 'hours or device_hours'})}; "
        f"the compute method needs {join_names(cm, alt={'tokens': 'tokens (or flops)'})}"
    )
    if "tokens" in cm:
        reason += " - training tokens are never guessed"
    return missing, reason


def unknown_hardware_hint(hardware: str | None, hw: dict | None) -> str:
    """ "; hardware 'Tesla M60' not recognised (closest: ...)" for a hardware text that did not resolve."""
    if not hardware or hw is not None:
        return ""
    near = closest_hardware(hardware)
    return f"; hardware {hardware!r} not recognised" + (f" (closest: {', '.join(near)})" if near else "")
