"""Validate the training-emissions estimator against published figures and write ``docs/EMISSIONS.md``.

Usage:
    python scripts/validate_emissions.py                 # reads ../shared (or $HUBSCAN_SHARED), writes docs/EMISSIONS.md
    python scripts/validate_emissions.py --shared PATH --out FILE
    python scripts/validate_emissions.py --print         # also print the summary

Three checks on ``reference/published_training_emissions.csv``:
* HT-src: the hardware-time method with the source's own power, PUE and grid (a formula check: within 2%);
* HT-def: the tool's defaults from hardware + device-hours + location only;
* CM: the compute method (reported FLOPs, else 6*N_active*D) at the default MFU, with the source's PUE and grid
  when printed (else the defaults) and TDP power.
Plus resolver coverage on the strings of ``corpus/cards/labels.csv``.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import statistics
import sys
from pathlib import Path

from hubscan.estimate.emissions import (
    DEFAULTS,
    EMISSIONS_ESTIMATOR_VERSION,
    SCOPE,
    compare,
    estimate_emissions,
)
from hubscan.reference import hardware_names
from hubscan.reference import tables as ref
from hubscan.reference.resolve import (
    closest_hardware,
    resolve_hardware,
    resolve_location,
    resolve_provider,
)

ROOT = Path(__file__).resolve().parents[1]


def shared_dir(arg: str | None) -> Path:
    return Path(arg or os.environ.get("HUBSCAN_SHARED") or ROOT.parent / "shared")


def _f(value: str | None) -> float | None:
    try:
        v = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return v if v is None or math.isfinite(v) else None


def is_lifecycle(row: dict) -> bool:
    text = f"{row['model']} {row['notes']}".lower()
    return "not comparable" in text or "not training-only" in text or "incl. idle" in text


def validate_row(row: dict) -> dict:
    reported_g = _f(row["tco2e_reported"]) * 1e6
    out: dict = {"model": row["model"], "reported_t": reported_g / 1e6, "lifecycle": is_lifecycle(row)}
    dh, power, pue, grid = (_f(row[k]) for k in ("device_hours", "avg_power_w", "pue", "grid_gco2_per_kwh"))
    devices = _f(row["n_devices"])
    hardware, location = row["hardware"] or None, row["location"] or None
    flags = ["lifecycle"] if out["lifecycle"] else []

    # HT-src: the source's own inputs
    if None not in (dh, power, pue, grid):
        est = estimate_emissions(device_hours=dh, power_w=power, pue=pue, grid_g_per_kwh=grid)
        out["ht_src_t"] = est["emissions_g"]["central"] / 1e6
        out["ht_src_ratio"] = out["ht_src_t"] / out["reported_t"]

    # HT-def: hardware + device-hours + location only
    if hardware and dh:
        est = estimate_emissions(hardware=hardware, devices=devices, device_hours=dh, location=location)
        if est["estimable"]:
            out["ht_def"] = est
            out["ht_def_t"] = est["emissions_g"]["central"] / 1e6
            out["ht_def_ratio"] = out["ht_def_t"] / out["reported_t"]
            out["ht_def_cmp"] = compare(reported_g, est, reported={"flags": flags})

    # CM: compute method
    flops = _f(row["training_flops"])
    n = _f(row["active_params"]) or _f(row["params"])
    tokens = _f(row["training_tokens"])
    if hardware and (flops or (n and tokens)):
        kwargs = dict(
            hardware=hardware,
            devices=devices,
            location=location,
            pue=pue,
            grid_g_per_kwh=grid,
            params=_f(row["params"]),
            active_params=_f(row["active_params"]),
        )
        if flops:
            kwargs["flops"] = flops
        else:
            kwargs["tokens"] = tokens
        est = estimate_emissions(**kwargs)
        if est["estimable"]:
            out["cm"] = est
            out["cm_t"] = est["emissions_g"]["central"] / 1e6
            out["cm_ratio"] = out["cm_t"] / out["reported_t"]
            out["cm_mfu"] = est["inputs"]["mfu"]["value"]
            out["cm_cmp"] = compare(reported_g, est, reported={"flags": flags})
            at40 = estimate_emissions(**kwargs, mfu=0.40)
            out["cm40_ratio"] = at40["emissions_g"]["central"] / reported_g
            if dh:
                out["cm_hours_ratio"] = est["device_hours"]["central"] / dh
                peak = resolve_hardware(hardware)["peak_tflops"]
                f = flops or 6 * n * tokens
                out["implied_mfu"] = f / (dh * peak * 1e12 * 3600)
    return out


def geo_stats(ratios: list[float]) -> dict:
    logs = [math.log(r) for r in ratios]
    return {
        "n": len(ratios),
        "geomean": math.exp(statistics.fmean(logs)),
        "gsd": math.exp(statistics.stdev(logs)) if len(logs) > 1 else 1.0,
        "min": min(ratios),
        "max": max(ratios),
    }


def validate(shared: Path) -> dict:
    path = shared / "reference" / "published_training_emissions.csv"
    rows = [validate_row(r) for r in csv.DictReader(path.open(encoding="utf-8"))]
    src = [r for r in rows if "ht_src_ratio" in r]
    ht_def = [r["ht_def_ratio"] for r in rows if "ht_def_ratio" in r and not r["lifecycle"]]
    cm = [r for r in rows if "cm_ratio" in r and not r["lifecycle"]]
    return {
        "rows": rows,
        "ht_src": {
            "n": len(src),
            "max_abs_error": max(abs(r["ht_src_ratio"] - 1) for r in src),
            "all_within_2pct": all(abs(r["ht_src_ratio"] - 1) <= 0.02 for r in src),
        },
        "ht_def": geo_stats(ht_def),
        "ht_def_consistent": sum(
            1 for r in rows if not r["lifecycle"] and r.get("ht_def_cmp", {}).get("verdict") == "consistent"
        ),
        "cm": geo_stats([r["cm_ratio"] for r in cm]) if cm else None,
        "cm40": geo_stats([r["cm40_ratio"] for r in cm]) if cm else None,
        "cm_tokens": geo_stats([r["cm_ratio"] for r in cm if r["model"] and not _is_patterson(r)])
        if cm
        else None,
        "cm_consistent": sum(1 for r in cm if r["cm_cmp"]["verdict"] == "consistent"),
        "cm_n": len(cm),
    }


def _is_patterson(r: dict) -> bool:
    return r["model"] in {
        "Evolved Transformer NAS",
        "T5-11B",
        "Meena",
        "GShard-600B",
        "Switch Transformer (1.5T)",
    }


def coverage(shared: Path) -> dict | None:
    path = shared / "corpus" / "cards" / "labels.csv"
    if not path.exists():
        return None
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    out = {}
    hw = [r["hardware_used"] for r in rows if r["hardware_used"]]
    out["hardware_used"] = (hw, [(t, resolve_hardware(t)) for t in hw])
    for col in ("geographical_location", "compute_region"):
        vals = [(r[col], resolve_provider(r["cloud_provider"])) for r in rows if r[col]]
        out[col] = ([v for v, _ in vals], [(v, resolve_location(v, provider=p)) for v, p in vals])
    cp = [r["cloud_provider"] for r in rows if r["cloud_provider"]]
    out["cloud_provider"] = (cp, [(t, resolve_provider(t)) for t in cp])
    return out


# ----------------------------------------------------------------------------------------------- report


def _t(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.3g}" if x < 1000 else f"{x:,.0f}"


def _r(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _intro(a, result: dict, cov: dict | None) -> None:
    """Title and scope."""
    a("# Training emissions: estimator, reference data and validation")
    a("")
    a(
        "<!-- Generated by scripts/validate_emissions.py; edit the script, not this file "
        f"(estimator version {EMISSIONS_ESTIMATOR_VERSION}). -->"
    )
    a("")
    a(
        "`hubscan.estimate.emissions` estimates the emissions of a model's **final training run, operational "
        "electricity only** (no experiments or development runs, no embodied or idle-infrastructure emissions, "
        "no inference; location-based grid intensity, never market-based). It is pure and network-free; the "
        "reference data ships in `src/hubscan/data/` (see `SOURCES.md` and `LICENSES.md` there)."
    )
    a("")
    a("```")
    a("hubscan estimate --hardware '8 x A100 80GB' --hours 100 --location 'Quebec, Canada'")
    a("hubscan estimate --params 7B --tokens 1T --hardware A100 --provider meta --location USA --json")
    a("```")
    a("")


def _methods(a, result: dict, cov: dict | None) -> None:
    """The two methods and how ranges combine."""
    a("## Methods")
    a("")
    a("**hardware-time** (when device-hours are known: `device_hours`, or wall-clock `hours` × devices):")
    a("")
    a("    E_kWh = device_hours × P_device_W / 1000 × PUE")
    a("    CO2e_g = E_kWh × grid_g_per_kWh")
    a("")
    a("**compute** (when hours are unknown but FLOPs, or parameters and training tokens, are):")
    a("")
    a(
        "    FLOPs        = reported, else 6 × N_active × D_tokens        (Kaplan et al. 2020; MoE: active parameters)"
    )
    a("    device_hours = FLOPs / (peak_dense_TFLOPS × 1e12 × MFU × 3600)")
    a("    then hardware-time (wall-clock = device_hours / devices when the device count is known)")
    a("")
    a(
        "Training tokens are never guessed: without tokens (or FLOPs) and without hours the result is "
        "`not estimable`, with the missing inputs listed (`missing`) and a reason in words. Every input is "
        "recorded with its value, its provenance (`card`, `config`, `user`, `default:<name>`) and its range."
    )
    a("")
    a(
        "**Ranges.** Each uncertain input has a low/high range. The estimate's low and high combine the inputs' "
        "log deviations in quadrature (independent multiplicative errors), so the band is narrower than the "
        "product of all worst cases. Inputs given by the user or the card are points (no range)."
    )
    a("")


def _defaults(a, result: dict, cov: dict | None) -> None:
    """The default inputs with their ranges and sources."""
    a("### Default inputs and their ranges")
    a("")
    a("| input | default (central) | range | when | source |")
    a("|---|---|---|---|---|")
    d = DEFAULTS
    a(
        f"| power per device | TDP × {d['power_fraction_of_tdp']['central']} | × {d['power_fraction_of_tdp']['low']}–"
        f"{d['power_fraction_of_tdp']['high']} | `power_w` not given | {d['power_fraction_of_tdp']['source']} |"
    )
    a(
        f"| power, TPU v4/v5 | {d['power_tpu_system']['central']} W | × 0.6–1.1 | no public TDP | "
        f"{d['power_tpu_system']['source']} |"
    )
    for key, row in ref.pue_defaults().items():
        a(
            f"| PUE, provider `{key}` | {row['central']} | {row['low']}–{row['high']} | `pue` not given | {row['source']} |"
        )
    a(
        f"| grid, resolved location | table value | × {d['grid_known_fraction']['low']}–"
        f"{d['grid_known_fraction']['high']} | location / region resolved | {d['grid_known_fraction']['source']} |"
    )
    a(
        f"| grid, unknown location | {ref.world_average_g():g} g/kWh | {d['grid_world']['low']:g}–"
        f"{d['grid_world']['high']:g} | nothing resolved | {d['grid_world']['source']} |"
    )
    for key in ("mfu_dense_large", "mfu_v100_or_moe", "mfu_small"):
        a(
            f"| MFU (`{key}`) | {d[key]['central']} | {d[key]['low']}–{d[key]['high']} | compute method | {d[key]['source']} |"
        )
    a(f"| devices | 1 | – | hours without a device count (flagged) | {d['devices_1']['source']} |")
    a("")
    a(
        "MFU default choice: < 3 B parameters (total when known, else active) → `mfu_small`; V100/P100/T4 or MoE (total > 1.5 × active) → "
        "`mfu_v100_or_moe`; otherwise `mfu_dense_large`."
    )
    a("")


def _lookup_and_api(a, result: dict, cov: dict | None) -> None:
    """Grid lookup order and the Python API."""
    a("### Grid intensity lookup (location-based, pinned years)")
    a("")
    a(
        "Order: explicit `grid_g_per_kwh` → cloud region (`--region`, id or display name; GCP from codecarbon "
        "3.3.2's Google region-carbon values, AWS/Azure/others from mlco2/impact `d0d3ee5`) → US state (EPA "
        "eGRID2023) → Canadian province (2023 generation mix × per-fuel factors) → city → country (codecarbon "
        "3.3.2 `global_energy_mix.json`, years 2021–2023 per country) → world average 475 g/kWh (IEA 2019)."
    )
    a("")
    a("## API")
    a("")
    a("```python")
    a("from hubscan.estimate.emissions import estimate_emissions, estimate_for_model, compare")
    a("from hubscan.reference.resolve import resolve_hardware, resolve_location, resolve_provider")
    a("")
    a('est = estimate_emissions(hardware="8 x A100 80GB", hours=100, location="Quebec, Canada")')
    a(
        'est["method"], est["emissions_g"], est["energy_kwh"], est["device_hours"], est["inputs"], est["missing"]'
    )
    a("compare(reported_g, est)            # {'ratio', 'verdict', 'reason'}")
    a(
        "estimate_for_model(card_record, footprint_record)   # estimate + 'comparison' for one catalogued model"
    )
    a("```")
    a("")
    a(
        "`estimate_emissions` keywords: `params`, `active_params`, `tokens`, `flops`, `hardware` (free text), "
        "`devices`, `device_hours` or `hours` (wall-clock), `power_w`, `pue`, `location` (free text), `region` "
        "(cloud region), `grid_g_per_kwh`, `mfu`, `provider`, `provenance` ({input: 'card'|'config'|'user'}). "
        "Extra result keys: `scope`, `estimator_version`, `notes`, and `implied_mfu` (hardware-time with FLOPs "
        "or tokens known) or `wall_clock_hours` (compute method with a device count)."
    )
    a("")


def _comparison(a, result: dict, cov: dict | None) -> None:
    """What the comparison verdicts mean."""
    a("## Comparison with a reported figure")
    a("")
    a(
        "`compare(reported_g, estimate)` gives `ratio` = reported / central estimate and a verdict: `consistent` "
        "(reported inside the estimate's range); `below` / `above` (outside; the reason gives the factor to the "
        "nearest bound and which inputs were defaults); `likely unit error` (outside, and the ratio is within "
        "×5.6 of 10^±3 or 10^±6 — e.g. a card writing 41.1 kg as 41.1 g); `not comparable` (different scope: "
        "market-based or offset figures, life-cycle totals, a base model's figure, a reported zero)."
    )
    a("")


def _validation_summary(a, result: dict, cov: dict | None) -> None:
    """Summary numbers of the validation."""
    # ---------------------------------------------------------------- validation
    s = result["ht_src"]
    h = result["ht_def"]
    a("## Validation against published training emissions")
    a("")
    a(
        "Source: `reference/published_training_emissions.csv` (Patterson et al. 2021, Strubell et al. 2019, "
        "LLaMA Table 15, Llama 2, BLOOM, OPT, Mistral). Ratios are estimate / reported."
    )
    a("")
    a(
        f"- **Formula check (HT-src, the source's own power, PUE and grid):** {s['n']} fully specified rows, "
        f"max error {s['max_abs_error'] * 100:.2f}% — "
        + ("all within 2%." if s["all_within_2pct"] else "**NOT all within 2%**.")
    )
    a(
        f"- **Tool defaults (HT-def: hardware + device-hours + location only):** n = {h['n']} operational rows, "
        f"geometric-mean ratio **{h['geomean']:.3f}**, geometric SD ×{h['gsd']:.2f}, range {h['min']:.3f}–"
        f"{h['max']:.3f}; reported figure inside the estimate's range for {result['ht_def_consistent']} of {h['n']}."
    )
    if result["cm"]:
        c, c40 = result["cm"], result["cm40"]
        a(
            f"- **Compute method (CM, default MFU):** n = {c['n']} rows with FLOPs or tokens, geometric-mean ratio "
            f"**{c['geomean']:.3f}**, geometric SD ×{c['gsd']:.2f}, range {c['min']:.3f}–{c['max']:.3f}; "
            f"consistent for {result['cm_consistent']} of {result['cm_n']}. At a flat MFU 0.40 (the shared reference's "
            f"choice): geometric mean {c40['geomean']:.3f}, range {c40['min']:.3f}–{c40['max']:.3f}."
        )
        ct = result["cm_tokens"]
        a(
            f"- **Compute method on rows with known training tokens** (LLaMA, Llama 2, BLOOM: 6·N·D; GPT-3: its reported FLOPs): "
            f"n = {ct['n']}, geometric mean {ct['geomean']:.3f}, range {ct['min']:.3f}–{ct['max']:.3f}."
        )
    a("")


def _validation_table(a, result: dict, cov: dict | None) -> None:
    """The per-row validation table and how to read it."""
    a(
        "| model | reported t | HT-src t (ratio) | HT-def t (ratio) | HT-def verdict | CM t (ratio) [range] | MFU used | "
        "CM verdict | CM @0.40 ratio | implied MFU |"
    )
    a("|---|---|---|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        src = f"{_t(r['ht_src_t'])} ({_r(r['ht_src_ratio'])})" if "ht_src_t" in r else "–"
        hd = f"{_t(r['ht_def_t'])} ({_r(r['ht_def_ratio'])})" if "ht_def_t" in r else "–"
        hv = r["ht_def_cmp"]["verdict"] if "ht_def_cmp" in r else "–"
        if "cm_t" in r:
            e = r["cm"]["emissions_g"]
            cm = f"{_t(r['cm_t'])} ({_r(r['cm_ratio'])}) [{_t(e['low'] / 1e6)}–{_t(e['high'] / 1e6)}]"
            mfu, cv, c40 = f"{r['cm_mfu']:.3g}", r["cm_cmp"]["verdict"], _r(r["cm40_ratio"])
        else:
            cm, mfu, cv, c40 = "–", "–", "–", "–"
        imp = f"{r['implied_mfu']:.3f}" if "implied_mfu" in r else "–"
        name = r["model"] + (" *(life-cycle / not operational)*" if r["lifecycle"] else "")
        a(f"| {name} | {_t(r['reported_t'])} | {src} | {hd} | {hv} | {cm} | {mfu} | {cv} | {c40} | {imp} |")
    a("")
    a("Reading the table:")
    a("")
    a(
        "- Verdicts read as *the reported figure is* consistent with / below / above the estimate's range "
        "(ratios in the table are estimate / reported; `compare()` returns reported / estimate)."
    )
    a(
        "- HT-src reproduces every source that prints all its inputs: most published LLM figures are TDP × "
        "GPU-hours × PUE × grid by construction (Meta, BLOOM, OPT), so this validates the arithmetic, not real "
        "power draw."
    )
    a(
        "- HT-def overestimates Google's TPU runs (measured system power is 55–69% of TPU v3 TDP, and the sites "
        "were low-carbon) and the Strubell rows (PUE 1.58 kept, today's US grid cleaner than EPA 2018). Meta's rows "
        "land at ~0.96 (codecarbon's 2023 US 369.5 g/kWh vs Meta's 385)."
    )
    a(
        "- CM is close for large dense runs with exact token counts (LLaMA, Llama 2, BLOOM). It undershoots GPT-3 "
        "less at the V100 default MFU (0.275) than at 0.40; the Patterson TPU rows have no token counts (their "
        "reported FLOPs are used), and Meena (2.6 B, small-model default 0.20) and the MoE rows (GShard, Switch: "
        "MoE default 0.275) get lower MFU defaults than they achieved (implied 0.28–0.39), so CM overestimates "
        "them; at a flat 0.40 they would be closer."
    )
    a(
        "- Life-cycle rows (BLOOM total incl. idle + embodied; Mistral Large 2 LCA) are `not comparable` and "
        "excluded from the summary statistics."
    )
    a("")


def _coverage(a, result: dict, cov: dict | None) -> None:
    """Resolver coverage on the shared card labels."""
    # ---------------------------------------------------------------- coverage
    a("## Resolver coverage on the shared card labels")
    a("")
    if cov is None:
        a("(shared corpus not available when this file was generated)")
    else:
        a("Strings as the cards state them (`corpus/cards/labels.csv`); each occurrence counted.")
        a("")
        a("| column | resolved | unresolved strings |")
        a("|---|---|---|")
        for col, (vals, res) in cov.items():
            ok = sum(1 for _, x in res if x)
            bad = sorted({t for t, x in res if not x})
            a(f"| `{col}` | {ok} / {len(vals)} | {'; '.join(f'`{b}`' for b in bad) or '–'} |")
        a("")
        a(
            'Unresolved hardware strings name no specific device ("NVIDIA GPUs") or one without a table '
            'row (RTX A4500); unresolved locations are not places ("NA") or continents ("EMEA", "Europe"), '
            "for which no vendored average exists."
        )
    a("")


def _limits(a, result: dict, cov: dict | None) -> None:
    """Known limits."""
    a("## Limits")
    a("")
    a(
        f'- Scope is always "{SCOPE}": experiments, hyper-parameter searches and failed runs (BLOOM\'s whole '
        "project: 66.3 t vs 24.7 t for the final run), embodied and idle emissions and inference are excluded."
    )
    a("- 6·N·D omits the attention-context term; it matters for long contexts and small models.")
    a(
        "- TPU v4/v5 power is an assumption (PaLM's measured system power per v4 chip); TFLOPS for H100 PCIe, "
        "A10/A10G, RTX 4090, MI250X and MI300X are unverified in the hardware table."
    )
    a("- Cloud region values for AWS/Azure (mlco2/impact) are older (2016–2021) than the country table.")
    a("")


# Hardware names from a published survey of training runs (issue 12), written as the survey writes them.
SURVEY_HARDWARE = [
    "GeForce GTX 580",
    "GeForce RTX 2070",
    "Quadro GP100",
    "Tesla M60",
    "Quadro P6000",
    "Titan X",
    "GeForce Titan X",
    "NVIDIA Titan-Xp",
    "GTX Titan GPUs 12GB",
    "GPU RTX",
    "Xeon CPU",
    "A100 GPU",
    "Cloud TPU v3",
]


def _w(x: float | None) -> str:
    return "–" if x is None else f"{x:g}"


def _hardware_names(a, result: dict, cov: dict | None) -> None:
    """What hardware names resolve, and how (families, variants, closest matches)."""
    a("## Hardware names")
    a("")
    a(
        "`resolve_hardware` (`src/hubscan/reference/resolve.py`) first tries its patterns for the common "
        "accelerators (A100, H100, V100, TPU slices, ...), then matches the text against **every row** of the "
        "hardware table (`src/hubscan/reference/hardware_names.py`): text and table names are reduced to the same "
        "tokens - lower case, letters and digits split (`RTX3080` = `RTX 3080`, `E5-2630v4` = `E5-2630 v4`), "
        "hyphens and spaces alike, vendor and series words dropped (NVIDIA, GeForce, GTX before a number, Tesla, "
        "Quadro, Intel, AMD, Google, Cloud, `(R)`), `GPU(s)`/`CPU`/`chips` dropped, memory sizes (`12GB`, "
        "`(16 GB)`) taken out and kept as a filter, a spaced `x 2` read as a count, not an `X` model - and the "
        "longest table name found wins. "
        "`tests/test_hardware_names.py` writes every row of `hardware_specs.csv`, `hardware_variants.csv`, "
        "mlco2's `gpus.csv` and codecarbon's `cpu_power.csv` in about ten spellings each (case, vendor prefix "
        "or not, hyphens/spaces, glued model numbers, memory size, `GPU(s)`, device counts) and checks that all "
        "resolve to the row's device (or a row written the same way up to case, punctuation and vendor)."
    )
    a("")
    kept, skipped = ref.cpu_power_rows()
    bare = sum(why.startswith("bare") for _, why in skipped)
    cpus = sum(row["table"] == "codecarbon/cpu_power.csv" for row in ref.hardware_table().values())
    a(
        f"CPUs: codecarbon {ref.CODECARBON_VERSION}'s `cpu_power.csv` is vendored unchanged "
        f"({len(kept) + len(skipped):,} rows, TDP only): {cpus:,} CPUs are added to the table ({len(kept) - cpus} "
        "more are rows already there under another spelling, e.g. mlco2's `Intel Xeon E5-2630v4`); "
        f"{len(skipped) - bare} rows with a malformed TDP (e.g. `27.29.5`) and {bare} rows named by a bare model "
        "number (`3280`, `1075T`, `A10-6700`) are left out - a number in a card is not a CPU. Names that stop "
        "at a line (`Xeon`, `EPYC`, `Core i7`, `Ryzen`, `Threadripper`) resolve to the family below; "
        "`Intel A100` is a CPU only with its vendor (a bare `A100` is NVIDIA's GPU), `AMD A10` / `A10-7850K` "
        "are APUs, not NVIDIA's A10."
    )
    a("")
    _hardware_table(a)
    _hardware_ambiguity(a)
    _hardware_survey(a)


def _hardware_table(a) -> None:
    a(
        "Every device except codecarbon's CPUs (listed in `src/hubscan/data/codecarbon/hardware/cpu_power.csv`):"
    )
    a("")
    a("| device | kind | TDP W | peak dense 16-bit TFLOPS | table |")
    a("|---|---|---|---|---|")
    for name, row in ref.hardware_table().items():
        if row["table"] != "codecarbon/cpu_power.csv":
            a(
                f"| {name} | {row['kind']} | {_w(row['tdp_w'])} | {_w(row['peak_tflops'])} | `{row['table']}` |"
            )
    a("")


def _hardware_ambiguity(a) -> None:
    a("### Ambiguous names: a central value with a range over the variants")
    a("")
    a(
        "A name that does not say which variant keeps a central pick (its `tdp_w`, unchanged from earlier "
        "versions) and lists the variants it covers (`variants`, `tdp_w_range`, a note). With TDP-based power "
        "the estimate multiplies in one more factor, central 1 and low/high = each variant's TDP / the "
        "central's (hardware-time) or its TDP per peak TFLOPS / the central's (compute: a TPU board has 4x "
        "the power and 4x the throughput of a chip, so it adds no spread there); it combines in quadrature "
        "with the other ranges. A user-given `power_w` is a point and takes no hardware spread."
    )
    a("")
    a("| written as | central pick | TDP W (central) | TDP range W | variants covered |")
    a("|---|---|---|---|---|")
    for text in (
        "A100",
        "A100 40GB",
        "A100 80GB",
        "A100 PCIe",
        "H100",
        "V100",
        "P100",
        "H200",
        "B200",
        "TPU v2",
        "TPU v3",
        "Titan X",
        "GTX Titan 12GB",
        "Titan",
        "GPU RTX",
        "Xeon CPU",
        "EPYC",
        "Intel Core i7",
        "Ryzen 9",
        "AMD Ryzen",
    ):
        out = resolve_hardware(text)
        listed = ", ".join(f"{v['device']} ({_w(v['tdp_w'])})" for v in out["variants"])
        lo, hi = out["tdp_w_range"]
        a(f"| `{text}` | {out['device']} | {_w(out['tdp_w'])} | {_w(lo)}–{_w(hi)} | {listed} |")
    a("")
    for label, (keys, _, meaning) in hardware_names.FAMILIES.items():
        words = " / ".join(f"`{' '.join(k)}`" for k in keys)
        a(f"- **{label}** ({words}): {meaning}; central = the members' median TDP, range = their extremes.")
    a(
        "- A family word followed by a model number (`RTX 2070`, `Xeon Platinum 8999`) is a specific card, "
        "not the family: if the tables lack it, it does not resolve. A family of more than "
        f"{hardware_names.LISTED_MEMBERS} members lists its lowest-TDP, central and highest-TDP members "
        "(the range they span is the family's)."
    )
    a(
        '- **"GPU RTX"** is resolved as the RTX family rather than refused: the word names NVIDIA\'s RTX line '
        "(Turing, Ampere, Ada; consumer and workstation), whose table rows span 215-450 W, a spread (x2.1) "
        "comparable with the utilisation range already applied, and the note lists every member, so the "
        "reader sees the pick. Any narrower reading would be a guess; refusing would drop a run whose "
        "power is known to within that factor."
    )
    a("")


def _hardware_survey(a) -> None:
    a("### The survey's names")
    a("")
    a("| written as | resolves to | TDP W | range W | or closest matches |")
    a("|---|---|---|---|---|")
    for text in SURVEY_HARDWARE:
        out = resolve_hardware(text)
        if out is None:
            a(f"| `{text}` | – | – | – | {', '.join(closest_hardware(text))} |")
            continue
        rng = "–" if not out.get("tdp_w_range") else "–".join(_w(x) for x in out["tdp_w_range"])
        a(f"| `{text}` | {out['device']} | {_w(out['tdp_w'])} | {rng} | – |")
    a("")
    a(
        "GTX 580, RTX 2070, Quadro GP100 and Tesla M60 have no row in the vendored tables; their TDPs are not "
        "added from memory. `hubscan estimate` says so and names the closest table devices in the reason."
    )
    a("")


def render(result: dict, cov: dict | None) -> str:
    L: list[str] = []
    for section in (
        _intro,
        _methods,
        _defaults,
        _lookup_and_api,
        _hardware_names,
        _comparison,
        _validation_summary,
        _validation_table,
        _coverage,
        _limits,
    ):
        section(L.append, result, cov)
    return "\n".join(L)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", help="path of the shared corpus/reference directory (default ../shared)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "EMISSIONS.md"))
    ap.add_argument("--print", action="store_true", help="print the summary numbers")
    args = ap.parse_args(argv)
    shared = shared_dir(args.shared)
    if not (shared / "reference" / "published_training_emissions.csv").exists():
        print(
            f"error: {shared}/reference/published_training_emissions.csv not found (--shared / HUBSCAN_SHARED)"
        )
        return 2
    result = validate(shared)
    text = render(result, coverage(shared))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    if args.print:
        print("HT-src:", result["ht_src"])
        print("HT-def:", result["ht_def"], "consistent", result["ht_def_consistent"])
        print("CM:", result["cm"], "consistent", result["cm_consistent"], "/", result["cm_n"])
        print("CM@0.40:", result["cm40"])
        print("CM tokens rows:", result["cm_tokens"])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
