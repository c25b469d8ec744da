"""Coverage of transformers' registry: hubscan's default-install count vs the meta-device count, per model type.

Usage: python scripts/coverage_params.py [--budget SECONDS] [--types a,b] [--out docs/PARAMS.md]
                                        [--sample tests/data/coverage_sample.csv] [--per-type-timeout S]

Needs the ``[exact]`` extra (transformers + torch). For every model type the installed transformers can build
(causal-LM and image-text-to-text types first, then the rest of ``CONFIG_MAPPING_NAMES``) it generates configs
from the config class's defaults plus shape perturbations (few layers; GQA; tied/untied head; experts on/off),
builds each on the meta device (``sum(p.numel())``) and scores ``analyze_config(..., use_transformers=False)``:

* ``exact``: same number, confidence ``exact``;
* ``within1``: within 1% (any confidence other than ``exact``; an exact label on a different number is ``wrong``);
* ``wrong``: further off, or labelled ``exact`` without matching;
* ``unknown``: no number.

It stops starting new model types when ``--budget`` seconds are spent; a model type whose build exceeds
``--per-type-timeout`` is skipped. The matrix replaces the coverage section of docs/PARAMS.md; ``--sample`` writes
a small CSV (config JSON + meta count) that ``tests/test_params_coverage_sample.py`` scores without torch.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hubscan.estimate.footprint import analyze_config  # noqa: E402

COVERAGE_MARK = "<!-- coverage_params -->"
END_MARK = "<!-- /coverage_params -->"
LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")


class Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ARG001
    raise Timeout()


def ordered_types(only: list[str] | None) -> list[tuple[str, str | None]]:
    from transformers.models.auto import modeling_auto as ma
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    causal = ma.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
    vl = ma.MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES
    base = ma.MODEL_MAPPING_NAMES
    out = []
    for group in (causal, vl, CONFIG_MAPPING_NAMES):
        for mt in sorted(group):
            if only and mt not in only:
                continue
            arch = causal.get(mt) or vl.get(mt) or base.get(mt)
            if isinstance(arch, (tuple, list)):
                arch = arch[0]
            if all(mt != t for t, _ in out):
                out.append((mt, arch))
    return out


def variants(cfg_cls, arch: str | None) -> list[tuple[str, dict]]:
    """(name, config dict) pairs: defaults with few layers, then GQA / tie / experts perturbations."""
    default = cfg_cls()
    d0 = default.to_dict()
    small: dict = {}
    for k in LAYER_KEYS:
        if isinstance(d0.get(k), int) and d0[k] > 4:
            small[k] = 4
    plans = [("default", {}), ("small", small)]
    nh, kv = d0.get("num_attention_heads"), d0.get("num_key_value_heads")
    if isinstance(nh, int) and nh >= 4 and nh % 2 == 0:
        plans.append(("gqa", {**small, "num_key_value_heads": 2 if kv != 2 else 1}))
    if isinstance(d0.get("tie_word_embeddings"), bool):
        plans.append(("tie_flip", {**small, "tie_word_embeddings": not d0["tie_word_embeddings"]}))
    for k in EXPERT_KEYS:
        if isinstance(d0.get(k), int) and d0[k] > 0:
            plans.append(("experts4", {**small, k: 4, "num_experts_per_tok": 2}))
            break
    out = []
    for name, kw in plans:
        try:
            cfg = cfg_cls(**kw)
        except Exception:  # noqa: BLE001 - a perturbation the class refuses is simply not generated
            continue
        d = cfg.to_dict()
        if arch:
            d["architectures"] = [arch]
        out.append((name, d))
    return out


def meta_count(d: dict) -> int:
    from hubscan.estimate import meta

    model = meta.build_meta_model(copy.deepcopy(d))
    return sum(p.numel() for p in model.parameters())


def score(d: dict, expected: int) -> tuple[str, dict]:
    p = analyze_config(d, use_transformers=False)["params"]
    got = p["total"]
    if got is None:
        return "unknown", p
    if got == expected and p["confidence"] == "exact":
        return "exact", p
    if p["confidence"] != "exact" and abs(got - expected) <= 0.01 * expected:
        return "within1", p
    return "wrong", p


def run_type(mt: str, arch: str | None, timeout: int) -> list[dict]:
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    rows = []
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        try:
            generated = variants(CONFIG_MAPPING[mt], arch)
        except Exception:  # noqa: BLE001 - the config class refuses its own defaults
            generated = []
            rows.append({"model_type": mt, "variant": "defaults refused", "outcome": "skipped"})
        for name, d in generated:
            try:
                n = meta_count(d)
            except Timeout:
                raise
            except Exception:  # noqa: BLE001 - transformers cannot build this variant
                continue
            outcome, p = score(d, n)
            rows.append(
                {
                    "model_type": mt,
                    "variant": name,
                    "expected": n,
                    "got": p["total"],
                    "outcome": outcome,
                    "method": p["method"],
                    "confidence": p["confidence"],
                    "config": d,
                }
            )
    except Timeout:
        rows.append({"model_type": mt, "variant": "timeout", "outcome": "skipped"})
    finally:
        signal.alarm(0)
    return rows


def per_type(rows: list[dict]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for r in rows:
        out.setdefault(r["model_type"], Counter())[r["outcome"]] += 1
    return out


def type_verdict(c: Counter) -> str:
    for k in ("wrong", "unknown", "within1"):
        if c.get(k):
            return k
    return "exact" if c.get("exact") else "skipped"


def errors_pct(rows: list[dict], method_prefix: str) -> list[float]:
    return [
        abs(r["got"] - r["expected"]) / r["expected"] * 100
        for r in rows
        if r.get("got") is not None and r.get("expected") and r["method"].startswith(method_prefix)
    ]


def summary_lines(rows: list[dict]) -> list[str]:
    """Confident-wrong count and the verdicts of causal-LM (text decoder) model types."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES as causal

    confident_wrong = sum(1 for r in rows if r["outcome"] == "wrong" and r.get("confidence") == "exact")
    types = per_type([r for r in rows if r["model_type"] in causal])
    verdicts = Counter(type_verdict(c) for c in types.values())
    return [
        f"Variants labelled `exact` with a different number (confident wrong): **{confident_wrong}**. `wrong`",
        "below means an `approximate` answer more than 1% off; `within1` an `approximate` answer within 1%.",
        "",
        f"Causal-LM (text decoder) model types with a buildable config: {len(types)}: "
        + ", ".join(f"{k} {verdicts.get(k, 0)}" for k in ("exact", "within1", "wrong", "unknown", "skipped"))
        + ".",
        "",
    ]


def render(rows: list[dict], seconds: float, total_types: int, attempted: int) -> str:
    import torch
    import transformers

    types = per_type(rows)
    verdicts = Counter(type_verdict(c) for c in types.values())
    variants_c = Counter(r["outcome"] for r in rows)
    lines = [
        COVERAGE_MARK,
        "## Coverage of the transformers registry (default install, no torch)",
        "",
        "Generated by `python scripts/coverage_params.py` (transformers "
        f"{transformers.__version__}, torch {torch.__version__}); {attempted} of {total_types} model types attempted "
        f"in {seconds:.0f} s (time budget; causal-LM and image-text-to-text types first); {len(types)} had at "
        "least one generated config transformers could build.",
        "Configs: each config class's defaults, a 4-layer variant, GQA, tied/untied head and 4-expert variants;",
        "truth: the class built on the meta device. A model type's verdict is its worst variant.",
        "",
        *summary_lines(rows),
        "| verdict per model type | types |",
        "|---|---:|",
    ]
    for k in ("exact", "within1", "wrong", "unknown", "skipped"):
        lines.append(f"| {k} | {verdicts.get(k, 0)} |")
    lines += [
        "",
        "Variants: " + ", ".join(f"{k} {v}" for k, v in sorted(variants_c.items())) + ".",
        "",
    ]
    for prefix in ("structural", "analytic"):
        errs = sorted(errors_pct([r for r in rows if r["outcome"] != "skipped"], prefix))
        if errs:
            q = errs[int(0.9 * (len(errs) - 1))]
            lines.append(
                f"Error of `{prefix}` answers: {len(errs)} variants, median {errs[len(errs) // 2]:.2f}%, "
                f"90th percentile {q:.2f}%, max {errs[-1]:.1f}%."
            )
    lines += [
        "",
        "| model_type | verdict | exact | within 1% | wrong | unknown |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for mt in sorted(types):
        c = types[mt]
        lines.append(
            f"| {mt} | {type_verdict(c)} | {c['exact']} | {c['within1']} | {c['wrong']} | {c['unknown']} |"
        )
    return "\n".join(lines) + "\n" + END_MARK + "\n"


def write_doc(section: str, out: Path) -> None:
    text = out.read_text() if out.exists() else "# Parameter counts\n\n"
    if COVERAGE_MARK in text and END_MARK in text:
        head, rest = text.split(COVERAGE_MARK, 1)
        text = head + section + rest.split(END_MARK, 1)[1].lstrip("\n")
    else:
        bench = "<!-- bench_params -->"
        if bench in text:
            i = text.index(bench)
            text = text[:i] + section + "\n" + text[i:]
        else:
            text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text)


def write_sample(rows: list[dict], path: Path, per_verdict: int) -> None:
    """A small committed sample: up to N variants of each outcome, one model type at most twice per outcome."""
    kept: list[dict] = []
    seen: Counter = Counter()
    per_type: Counter = Counter()
    for r in rows:
        key = (r["model_type"], r["outcome"])
        if r["outcome"] == "skipped" or seen[r["outcome"]] >= per_verdict or per_type[key] >= 2:
            continue
        seen[r["outcome"]] += 1
        per_type[key] += 1
        kept.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model_type", "variant", "expected_params", "config_json"])
        for r in kept:
            w.writerow(
                [r["model_type"], r["variant"], r["expected"], json.dumps(r["config"], sort_keys=True)]
            )


def verified_types(rows: list[dict]) -> list[str]:
    """Model types whose every variant (at least 3) the structural estimator counted to the exact number."""
    by_type: dict[str, list[dict]] = {}
    for r in rows:
        by_type.setdefault(r["model_type"], []).append(r)
    out = []
    for mt, rs in sorted(by_type.items()):
        if len(rs) >= 3 and all(
            r.get("method") == "structural" and r.get("got") == r.get("expected") for r in rs
        ):
            out.append(mt)
    return out


def write_verified(rows: list[dict], path: Path) -> None:
    import transformers

    types = verified_types(rows)
    old: list[str] = []
    if path.exists():
        old = json.loads(path.read_text()).get("model_types", [])
    visited = {r["model_type"] for r in rows}
    keep = sorted(set(types) | {t for t in old if t not in visited})  # types not visited this run stay
    errs = sorted(
        abs(r["got"] - r["expected"]) / r["expected"] * 100
        for r in rows
        if r.get("method") == "structural" and r.get("confidence") == "approximate" and r.get("got")
    )
    band = {}
    if errs:
        n = len(errs)
        band = {
            "variants": n,
            "median_pct": round(errs[n // 2], 3),
            "p75_pct": round(errs[int(0.75 * (n - 1))], 3),
            "p90_pct": round(errs[int(0.9 * (n - 1))], 3),
            "within_1pct": round(sum(e <= 1 for e in errs) / n, 3),
            "within_10pct": round(sum(e <= 10 for e in errs) / n, 3),
        }
    data = {
        "generated_by": "scripts/coverage_params.py --write-verified",
        "approximate_band": band,
        "transformers_version": transformers.__version__,
        "rule": "every generated variant (>= 3) counted by the structural estimator equals the meta-device count",
        "model_types": keep,
    }
    path.write_text(json.dumps(data, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=900.0, help="seconds before no new model type is started")
    ap.add_argument("--per-type-timeout", type=int, default=30)
    ap.add_argument("--types", default="", help="comma-separated model types (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "PARAMS.md")
    ap.add_argument("--sample", type=Path, default=ROOT / "tests" / "data" / "coverage_sample.csv")
    ap.add_argument("--sample-per-outcome", type=int, default=40)
    ap.add_argument("--json", type=Path, default=None, help="also dump all scored rows here")
    ap.add_argument(
        "--write-verified",
        type=Path,
        nargs="?",
        const=ROOT / "src" / "hubscan" / "data" / "structural_verified.json",
        default=None,
        help="record the model types the structural estimator counted exactly on every variant",
    )
    args = ap.parse_args(argv)
    from hubscan.estimate import meta

    if not meta.available():
        print("transformers/torch not installed: pip install 'hubscan[exact]'", file=sys.stderr)
        return 2
    import transformers

    transformers.logging.set_verbosity_error()
    todo = ordered_types([t for t in args.types.split(",") if t] or None)
    rows: list[dict] = []
    t0 = time.perf_counter()
    attempted = 0
    for mt, arch in todo:
        if time.perf_counter() - t0 > args.budget:
            break
        attempted += 1
        rows.extend(run_type(mt, arch, args.per_type_timeout))
    seconds = time.perf_counter() - t0
    write_doc(render(rows, seconds, len(todo), attempted), args.out)
    write_sample(rows, args.sample, args.sample_per_outcome)
    if args.write_verified:
        write_verified(rows, args.write_verified)
    if args.json:
        args.json.write_text(
            json.dumps([{k: v for k, v in r.items() if k != "config"} for r in rows], indent=1)
        )
    verdicts = Counter(type_verdict(c) for c in per_type(rows).values())
    print(
        f"{len(per_type(rows))} model types in {seconds:.0f}s: "
        + ", ".join(f"{k}={v}" for k, v in verdicts.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
