"""Vendored reference data for the training-emissions estimator: loaders only, no network.

Every table is read lazily from ``hubscan/data/`` (see ``data/SOURCES.md`` and ``data/LICENSES.md`` for where
each file comes from, its licence and its pinned year) and cached for the life of the process.

Units: grid intensity in gCO2eq/kWh, power in W, throughput in dense 16-bit TFLOPS.
"""

from __future__ import annotations

import csv
import io
import json
import re
from functools import lru_cache
from importlib import resources

LBS_PER_MWH_TO_G_PER_KWH = 0.45359237  # 1 lb = 453.59237 g; 1 MWh = 1000 kWh
CODECARBON_VERSION = "3.3.2"
MLCO2_COMMIT = "d0d3ee5a71ea222ac344a94900642ed2ce649af4"
US_EGRID_YEAR = 2023
CANADA_MIX_YEAR = 2023
PUE_YEAR = 2025

# Measured system power per TPU v4 chip incl. host (PaLM, Chowdhery et al. 2022, App. B). Google publishes no TPU
# TDP for v4 or v5; the estimator uses this, labelled, when the user gives no power (docs/EMISSIONS.md).
TPU_SYSTEM_POWER_W = 378.5


def _data(*parts: str):
    return resources.files("hubscan").joinpath("data", *parts)


def _read_text(*parts: str) -> str:
    return _data(*parts).read_text(encoding="utf-8-sig")


def _read_json(*parts: str):
    return json.loads(_read_text(*parts))


def _read_csv(*parts: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_read_text(*parts))))


def _num(text: str | None) -> float | None:
    if text is None:
        return None
    text = str(text).strip()
    if not text or text.lower() in {"nan", "unk", "n/a"}:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _leading_power(text: str | None) -> float | None:
    """First power figure of a free-text "measured or typical" cell: "330 (...)", "245-310 ...", ">600 W"."""
    if not text:
        return None
    m = re.match(r"\s*[~>]?\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?", text)
    if not m:
        return None
    lo = float(m.group(1))
    return (lo + float(m.group(2))) / 2 if m.group(2) else lo


def canonical_device_name(name: str) -> str:
    """``TPUv3`` -> ``TPU v3``; everything else unchanged."""
    return re.sub(r"^TPUv", "TPU v", name.strip())


# ---------------------------------------------------------------- hardware


# mlco2 gpus.csv rows for devices hardware_specs.csv already covers (with better numbers) are skipped.
_COVERED_BY_SPECS = re.compile(r"h100|h200|a100|a10g|\bt4\b|\bl4\b|v100|p100|tpu|rtx 3090|rtx 4090")


def _memory_gb(text: str | None) -> int | None:
    m = re.search(r"(\d+)\s*GB", text or "")
    return int(m.group(1)) if m else None


def _kind(name: str) -> str:
    return "tpu" if name.startswith("TPU") else "gpu"


@lru_cache(maxsize=1)
def hardware_table() -> dict[str, dict]:
    """Canonical device name -> {device, kind, peak_tflops, tdp_w, typical_w, memory_gb, source, verified, table}.

    Order of precedence: ``hardware_specs.csv`` (peak dense 16-bit TFLOPS and TDP), then
    ``hardware_variants.csv`` (PCIe / NVL variants derived from the same sources), then the mlco2/impact
    ``gpus.csv`` for TDP only (its TFLOPS16 column mixes conventions and is not used; its TPU rows are measured
    averages, not TDP, and are skipped; its CPU rows are kept with ``kind`` "cpu"), then codecarbon's
    ``cpu_power.csv`` (TDP of ~4,900 CPUs; a name already in the table under another spelling is skipped).
    """
    table: dict[str, dict] = {}
    for row in _read_csv("hardware_specs.csv"):
        name = canonical_device_name(row["hardware"])
        table[name] = {
            "device": name,
            "kind": _kind(name),
            "peak_tflops": _num(row["peak_dense_16bit_tflops"]),
            "tdp_w": _num(row["tdp_w"]),
            "typical_w": _leading_power(row.get("measured_or_typical_w")),
            "memory_gb": _memory_gb(name),
            "source": row["source"],
            "verified": row["verified"],
            "table": "hardware_specs.csv",
        }
    for row in _read_csv("hardware_variants.csv"):
        name = row["device"]
        base = table.get(canonical_device_name(row["base"]), {})
        table[name] = {
            "device": name,
            "kind": _kind(name),
            "peak_tflops": _num(row["peak_dense_16bit_tflops"]),
            "tdp_w": _num(row["tdp_w"]),
            "typical_w": None,
            "memory_gb": _memory_gb(name),
            "source": row["source"],
            "verified": row["verified"],
            "table": "hardware_variants.csv",
            "base": base.get("device"),
        }
    for row in _read_csv("mlco2", "gpus.csv"):
        _add_mlco2_row(table, row)
    spelled = {_spelling_key(name) for name in table}
    for name, tdp in cpu_power_rows()[0]:
        if _spelling_key(name) not in spelled:
            spelled.add(_spelling_key(name))
            table[name] = _cpu_power_row(name, tdp)
    return table


def _spelling_key(name: str) -> tuple[str, ...]:
    """A name up to case and punctuation: "E5-2630v4" = "E5-2630 v4", but "X2 170" != "X2170", "2.20" != "220"."""
    return tuple(re.findall(r"[a-z]+|\d+(?:\.\d+)?", name.lower()))


# A CPU named by a bare model number ("3280", "1075T", "A10-6700") is not matched in free text: a number in a
# card is not a CPU. A name is matchable when it starts with its vendor or carries a word of 3+ letters.
_VENDOR_OR_WORD = re.compile(r"^(?:Intel|AMD|Apple)\b|[A-Za-z]{3,}")


@lru_cache(maxsize=1)
def cpu_power_rows() -> tuple[list[tuple[str, float]], list[tuple[str, str]]]:
    """codecarbon's ``cpu_power.csv``: ([(name, TDP W)] kept, [(name, why skipped)])."""
    kept, skipped = [], []
    for row in _read_csv("codecarbon", "hardware", "cpu_power.csv"):
        name, tdp = row["Name"].strip(), row["TDP"].strip()
        if not re.fullmatch(r"\d+(?:\.\d+)?", tdp):
            skipped.append((name, f"TDP {tdp!r} is not a number"))
        elif not _VENDOR_OR_WORD.search(name):
            skipped.append((name, "bare model number: not matched in free text"))
        else:
            kept.append((name, float(tdp)))
    return kept, skipped


def _cpu_power_row(name: str, tdp: float) -> dict:
    return {
        "device": name,
        "kind": "cpu",
        "peak_tflops": None,
        "tdp_w": tdp,
        "typical_w": None,
        "memory_gb": None,
        "source": f"codecarbon {CODECARBON_VERSION} cpu_power.csv",
        "verified": "secondary (codecarbon; TDP only)",
        "table": "codecarbon/cpu_power.csv",
    }


def _add_mlco2_row(table: dict[str, dict], row: dict[str, str]) -> None:
    kind = row.get("type", "").strip()
    name = (row.get("name") or row.get("Name") or "").strip()
    if kind not in {"gpu", "cpu"} or not name or name in table:
        return
    if kind == "gpu" and _COVERED_BY_SPECS.search(name.lower()):
        return
    memory = _num(row.get("memory"))
    table[name] = {
        "device": name,
        "kind": kind,
        "peak_tflops": None,
        "tdp_w": _num(row.get("tdp_watts")),
        "typical_w": None,
        "memory_gb": int(memory) if memory else None,
        "source": f"mlco2/impact gpus.csv ({(row.get('source') or '').strip()})",
        "verified": "secondary (mlco2/impact; TDP only)",
        "table": "mlco2/gpus.csv",
    }


def hardware(name: str) -> dict | None:
    return hardware_table().get(name)


# ---------------------------------------------------------------- grid intensity


@lru_cache(maxsize=1)
def carbon_intensity_per_source() -> dict:
    return _read_json("codecarbon", "private_infra", "carbon_intensity_per_source.json")


def world_average_g() -> float:
    """World average grid intensity (codecarbon's constant, citing IEA Global Energy & CO2 Status Report 2019)."""
    return float(carbon_intensity_per_source()["world_average"])


WORLD_SOURCE = (
    f"codecarbon {CODECARBON_VERSION} carbon_intensity_per_source.json world_average "
    "(IEA Global Energy & CO2 Status Report 2019)"
)


@lru_cache(maxsize=1)
def countries() -> dict[str, dict]:
    """ISO alpha-3 -> {code, name, g, year} from codecarbon's global_energy_mix.json."""
    out = {}
    for code, row in _read_json("codecarbon", "private_infra", "global_energy_mix.json").items():
        g = row.get("carbon_intensity")
        if g is None:
            continue
        out[code] = {
            "code": code,
            "name": row.get("country_name") or code,
            "g": float(g),
            "year": row.get("year"),
        }
    return out


COUNTRY_SOURCE = (
    f"codecarbon {CODECARBON_VERSION} global_energy_mix.json (Our World in Data / Ember style fields)"
)


@lru_cache(maxsize=1)
def us_states() -> dict[str, dict]:
    """Lower-case state name -> {name, code, g, year} from EPA eGRID2023 (field STC2ERTA, lbs/MWh -> g/kWh)."""
    out = {}
    for key, row in _read_json("codecarbon", "private_infra", "2023", "usa_emissions.json").items():
        if key.startswith("_") or key == "usa" or not isinstance(row, dict):
            continue
        out[key] = {
            "name": key.title().replace(" Of ", " of "),
            "code": row.get("regionCode"),
            "g": float(row["emissions"]) * LBS_PER_MWH_TO_G_PER_KWH,
            "year": US_EGRID_YEAR,
        }
    return out


US_STATE_SOURCE = f"EPA eGRID{US_EGRID_YEAR} STC2ERTA via codecarbon {CODECARBON_VERSION} usa_emissions.json"

# Province generation-mix keys -> per-source factor keys in carbon_intensity_per_source.json.
_CANADA_MIX_FACTORS = {
    "naturalGas": "natural_gas",
    "petroleum": "petroleum",
    "coal": "coal",
    "nuclear": "nuclear",
    "hydro": "hydroelectricity",
    "tidal": "hydroelectricity",  # no tidal factor: use the hydro life-cycle factor (both are water turbines)
    "wind": "wind",
    "solar": "solar",
    "biomass": "biomass",
    "other": "world_average",  # unknown sources: world average (conservative)
}


@lru_cache(maxsize=1)
def canada_provinces() -> dict[str, dict]:
    """Lower-case province -> {name, g, year}: generation mix (%) x codecarbon's per-source factors."""
    factors = carbon_intensity_per_source()
    out = {}
    for key, mix in _read_json("codecarbon", "private_infra", "2023", "canada_energy_mix.json").items():
        share_total = sum(float(mix.get(k, 0.0)) for k in _CANADA_MIX_FACTORS)
        if share_total <= 0:
            continue
        g = (
            sum(float(mix.get(k, 0.0)) * float(factors[f]) for k, f in _CANADA_MIX_FACTORS.items())
            / share_total
        )
        out[key] = {"name": key.title().replace(" And ", " and "), "g": g, "year": CANADA_MIX_YEAR}
    return out


CANADA_SOURCE = (
    f"codecarbon {CODECARBON_VERSION} canada_energy_mix.json (2023 generation mix) x "
    "carbon_intensity_per_source.json factors"
)


def _country_code_for_name(name: str) -> str | None:
    name = (name or "").strip().lower()
    if not name:
        return None
    aliases = {"usa": "USA", "united states": "USA", "korea": "KOR", "south korea": "KOR", "hong kong": "HKG"}
    if name in aliases:
        return aliases[name]
    for code, row in countries().items():
        if row["name"].lower() == name:
            return code
    return None


@lru_cache(maxsize=1)
def cloud_regions() -> list[dict]:
    """Cloud regions: GCP from codecarbon's cloud/impact.csv (newer, Google's region-carbon page), the rest
    (AWS, Azure, GCP regions codecarbon lacks, CoreWeave, OVH, ...) from the mlco2/impact snapshot."""
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for row in _read_csv("codecarbon", "cloud", "impact.csv"):
        g = _num(row.get("impact"))
        region = (row.get("region") or "").strip()
        if g is None or not region:
            continue
        key = (row["provider"].strip(), region)
        seen.add(key)
        out.append(
            {
                "provider": key[0],
                "region": region,
                "name": (row.get("regionName") or "").strip() or None,
                "country": (row.get("countryIsoCode") or "").strip()
                or _country_code_for_name(row.get("country_name")),
                "state": (row.get("state") or "").strip() or None,
                "city": (row.get("city") or "").strip() or None,
                "g": g,
                "pue": None,
                "year": None,
                "source": f"codecarbon {CODECARBON_VERSION} cloud/impact.csv ({(row.get('source') or '').strip()})",
            }
        )
    for row in _read_csv("mlco2", "impact.csv"):
        g = _num(row.get("impact"))
        region = (row.get("region") or "").strip()
        if g is None or not region:
            continue
        key = (row["provider"].strip(), region)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            {
                "provider": key[0],
                "region": region,
                "name": (row.get("regionName") or "").strip() or None,
                "country": _country_code_for_name(row.get("country")),
                "state": (row.get("state") or "").strip() or None,
                "city": (row.get("city") or "").strip() or None,
                "g": g,
                "pue": _num(row.get("PUE")),
                "year": None,
                "source": f"mlco2/impact@{MLCO2_COMMIT[:7]} impact.csv ({(row.get('source') or '').strip()})",
            }
        )
    return out


# ---------------------------------------------------------------- PUE


@lru_cache(maxsize=1)
def pue_defaults() -> dict[str, dict]:
    """Provider -> {central, low, high, source}; key ``default`` for unknown providers."""
    return {k: v for k, v in _read_json("pue_defaults.json").items() if not k.startswith("_")}


def pue_for_provider(provider: str | None) -> tuple[str, dict]:
    table = pue_defaults()
    if provider and provider in table:
        return provider, table[provider]
    return "default", table["default"]
