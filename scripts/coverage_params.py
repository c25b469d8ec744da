"""Coverage of transformers' registry: hubscan's default-install count vs the meta-device count, per model type.

Usage: python scripts/coverage_params.py [--budget SECONDS] [--types a,b] [--out docs/PARAMS.md]
                                        [--sample tests/data/coverage_sample.csv] [--per-type-timeout S]
                                        [--json ROWS.json] [--from-json ROWS.json]
                                        [--write-verified [PATH]] [--band-limit PCT]

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

``--write-verified`` also records, per model type visited, the worst error of the raw structural estimate over
its variants; types off by more than ``--band-limit`` percent go to ``unreliable_types`` in the data file, and
the estimator withholds its answer on them (``unknown``). The data file is written first, then every variant is
scored again with it, so the matrix and the ``approximate`` band describe the estimator as shipped.
``--json`` dumps the built rows (configs and meta counts); ``--from-json`` re-scores such a dump without
building anything (no meta-device work).
"""

from __future__ import annotations

import argparse
import copy
import csv
import importlib
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
BAND_LIMIT_PCT = 10.0  # an `approximate` structural answer is stated to be within this, or withheld
DATA_FILE = ROOT / "src" / "hubscan" / "data" / "structural_verified.json"


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


def encoder_heads(mt: str) -> list[tuple[str, str]]:
    """(variant name, class) of the masked-LM and sequence-classification heads of a text-encoder model type
    (one with a masked-LM class): the heads encoders are used with, scored besides the base model."""
    from transformers.models.auto import modeling_auto as ma

    if mt not in ma.MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        return []
    out = []
    for name, mapping in (
        ("mlm", ma.MODEL_FOR_MASKED_LM_MAPPING_NAMES),
        ("seqcls", ma.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES),
    ):
        cls = mapping.get(mt)
        if isinstance(cls, (tuple, list)):
            cls = cls[0]
        if cls:
            out.append((name, cls))
    return out


def variants(cfg_cls, arch: str | None, heads: list[tuple[str, str]] | None = None) -> list[tuple[str, dict]]:
    """(name, config dict) pairs: defaults with few layers, then GQA / tie / experts perturbations, then the
    few-layer config under each extra head class in ``heads``."""
    default = cfg_cls()
    d0 = default.to_dict()
    small: dict = {}
    for k in LAYER_KEYS:
        if isinstance(d0.get(k), int) and d0[k] > 4:
            small[k] = 4
    shared = d0.get("num_kv_shared_layers")
    if small and isinstance(shared, int) and shared >= 4:  # KV-sharing layers must leave producers (Gemma 3n)
        small["num_kv_shared_layers"] = 2
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
    plans = [(name, kw, arch) for name, kw in plans]
    plans += [(name, small, cls) for name, cls in heads or ()]
    out = []
    for name, kw, cls in plans:
        try:
            cfg = cfg_cls(**kw)
        except Exception:  # noqa: BLE001 - a perturbation the class refuses is simply not generated
            continue
        d = cfg.to_dict()
        if cls:
            d["architectures"] = [cls]
        out.append((name, d))
    return out


def meta_count(d: dict) -> int:
    from hubscan.estimate import meta

    model = meta.build_meta_model(copy.deepcopy(d))
    return sum(p.numel() for p in model.parameters())


def raw_structural(d: dict) -> int | None:
    """The structural estimator's own number, even where the shipped answer withholds it."""
    from hubscan.estimate.structural import count_structural

    try:
        return int(count_structural(copy.deepcopy(d)).total)
    except Exception:  # noqa: BLE001 - a config the estimator cannot read has no structural number
        return None


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


def score_rows(rows: list[dict]) -> None:
    """Score every built row in place with the estimator as currently loaded (no torch needed)."""
    for r in rows:
        if "config" not in r or "expected" not in r:
            continue
        outcome, p = score(r["config"], r["expected"])
        r.update(outcome=outcome, got=p["total"], method=p["method"], confidence=p["confidence"])
        r["structural_got"] = raw_structural(r["config"]) if p["method"] == "structural" else None


def run_type(mt: str, arch: str | None, timeout: int) -> list[dict]:
    """Build each generated variant of one model type on the meta device: rows with config and count."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    rows = []
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        try:
            generated = variants(CONFIG_MAPPING[mt], arch, encoder_heads(mt))
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
            rows.append({"model_type": mt, "variant": name, "expected": n, "config": d})
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
        if r.get("got") is not None and r.get("expected") and r.get("method", "").startswith(method_prefix)
    ]


def summary_lines(rows: list[dict]) -> list[str]:
    """Confident-wrong count and the verdicts of causal-LM (text decoder) and text-encoder model types."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES as causal
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES as masked

    confident_wrong = sum(1 for r in rows if r["outcome"] == "wrong" and r.get("confidence") == "exact")
    return [
        f"Variants labelled `exact` with a different number (confident wrong): **{confident_wrong}**. `wrong`",
        "below means an `approximate` answer more than 1% off; `within1` an `approximate` answer within 1%.",
        "",
        _verdict_line("Causal-LM (text decoder)", [r for r in rows if r["model_type"] in causal]),
        "",
        _verdict_line(
            "Text-encoder (with a masked-LM class)", [r for r in rows if r["model_type"] in masked]
        ),
        "",
    ]


def _verdict_line(label: str, rows: list[dict]) -> str:
    types = per_type(rows)
    verdicts = Counter(type_verdict(c) for c in types.values())
    counts = ", ".join(
        f"{k} {verdicts.get(k, 0)}" for k in ("exact", "within1", "wrong", "unknown", "skipped")
    )
    return f"{label} model types with a buildable config: {len(types)}: {counts}."


def band_line(rows: list[dict]) -> str:
    """The check the band promises: how many `approximate` answers fall outside the stated limit."""
    from hubscan.estimate import structural

    limit = structural.band_limit_pct()
    approx = [r for r in rows if r.get("confidence") == "approximate" and r.get("got") and r.get("expected")]
    beyond = sum(abs(r["got"] - r["expected"]) > (limit or 0) / 100 * r["expected"] for r in approx)
    return f"`approximate` answers more than {limit:g}% off: **{beyond}** of {len(approx)}."


def band_lines(rows: list[dict]) -> list[str]:
    """The stated band, the model types withheld as `unknown`, and the check that nothing escapes the band."""
    from hubscan.estimate import structural

    limit = structural.band_limit_pct()
    if limit is None:
        return []
    visited = {r["model_type"] for r in rows}
    withheld = {t: e for t, e in structural.unreliable_types().items() if t in visited}
    worst = sorted(withheld.items(), key=lambda kv: -kv[1])[:8]
    found = (
        f"{len(withheld)} of the visited model types (worst: "
        + ", ".join(f"{t} {e:,.1f}%" for t, e in worst)
        + ")."
        if withheld
        else "none of the visited model types (every type it was further off on now has a formula)."
    )
    return [
        f"Band of `approximate` structural answers: within ±{limit:g}%. A model type on which the raw structural",
        "estimate of any generated variant is further off is withheld (`unknown`, no total, the measured worst",
        f"error in the reason): {found}",
        band_line(rows),
        "",
    ]


def render(rows: list[dict], run: dict) -> str:
    import torch
    import transformers

    types = per_type(rows)
    verdicts = Counter(type_verdict(c) for c in types.values())
    variants_c = Counter(r["outcome"] for r in rows)
    worst = worst_structural(rows)
    lines = [
        COVERAGE_MARK,
        "## Coverage of the transformers registry (default install, no torch)",
        "",
        "Generated by `python scripts/coverage_params.py` (transformers "
        f"{transformers.__version__}, torch {torch.__version__}); {run.get('attempted')} of "
        f"{run.get('total_types')} model types attempted in {run.get('seconds', 0):.0f} s (time budget; causal-LM "
        f"and image-text-to-text types first); {len(types)} had at least one generated config transformers could "
        "build.",
        "Configs: each config class's defaults, a 4-layer variant, GQA, tied/untied head and 4-expert variants,",
        "and for text encoders (model types with a masked-LM class) the 4-layer config under the masked-LM and",
        "sequence-classification classes; truth: the class built on the meta device. A model type's verdict is its",
        "worst variant.",
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
        *band_lines(rows),
        "| model_type | verdict | exact | within 1% | wrong | unknown | worst raw structural error |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for mt in sorted(types):
        c = types[mt]
        w = f"{worst[mt]:,.2f}%" if mt in worst else "-"
        lines.append(
            f"| {mt} | {type_verdict(c)} | {c['exact']} | {c['within1']} | {c['wrong']} | {c['unknown']} | {w} |"
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
    """A small committed sample: up to N variants of each outcome, one model type at most twice per outcome.
    Structural answers withheld on a model type measured outside the band are sampled as their own outcome."""
    kept: list[dict] = []
    seen: Counter = Counter()
    per_type: Counter = Counter()
    for r in rows:
        withheld = r["outcome"] == "unknown" and r.get("method") == "structural"
        bucket = "withheld" if withheld else r["outcome"]
        key = (r["model_type"], bucket)
        if bucket == "skipped" or seen[bucket] >= per_verdict or per_type[key] >= 2:
            continue
        seen[bucket] += 1
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


def structural_error_pct(r: dict) -> float | None:
    """Error of the raw structural estimate on one row, in percent, or None when it gave no number."""
    got, expected = r.get("structural_got"), r.get("expected")
    if got is None or not expected:
        return None
    return abs(got - expected) / expected * 100


def verified_types(rows: list[dict]) -> list[str]:
    """Model types whose every variant (at least 3) the structural estimator counted to the exact number."""
    by_type: dict[str, list[dict]] = {}
    for r in rows:
        by_type.setdefault(r["model_type"], []).append(r)
    out = []
    for mt, rs in sorted(by_type.items()):
        if len(rs) >= 3 and all(
            r.get("method") == "structural" and r.get("structural_got") == r.get("expected") for r in rs
        ):
            out.append(mt)
    return out


def worst_structural(rows: list[dict]) -> dict[str, float]:
    """Per model type visited: the worst error of the raw structural estimate over its variants (percent)."""
    out: dict[str, float] = {}
    for r in rows:
        e = structural_error_pct(r)
        if e is not None:
            out[r["model_type"]] = max(e, out.get(r["model_type"], 0.0))
    return out


def approximate_errors(rows: list[dict]) -> list[float]:
    """Errors (percent, sorted) of the `approximate` structural answers as scored."""
    return sorted(
        abs(r["got"] - r["expected"]) / r["expected"] * 100
        for r in rows
        if r.get("method") == "structural" and r.get("confidence") == "approximate" and r.get("got")
    )


def band_of(errs: list[float], limit: float) -> dict:
    if not errs:
        return {}
    n = len(errs)
    return {
        "variants": n,
        "median_pct": round(errs[n // 2], 3),
        "p75_pct": round(errs[int(0.75 * (n - 1))], 3),
        "p90_pct": round(errs[int(0.9 * (n - 1))], 3),
        "max_pct": round(errs[-1], 3),
        "within_1pct": round(sum(e <= 1 for e in errs) / n, 3),
        "within_10pct": round(sum(e <= 10 for e in errs) / n, 3),
        "beyond_limit": sum(e > limit for e in errs),
    }


def verified_data(rows: list[dict], path: Path, limit: float) -> dict:
    """The data file's content from this run's rows; model types not visited keep their old entries."""
    import transformers

    old: dict = json.loads(path.read_text()) if path.exists() else {}
    visited = {r["model_type"] for r in rows}
    verified = verified_types(rows)
    keep = sorted(set(verified) | {t for t in old.get("model_types", []) if t not in visited})
    worst = worst_structural(rows)
    unreliable = {t: v for t, v in (old.get("unreliable_types") or {}).items() if t not in visited}
    unreliable.update({t: round(e, 3) for t, e in worst.items() if e > limit and t not in verified})
    measured = {t for t in old.get("measured_types", []) if t not in visited} | set(worst)
    return {
        "generated_by": "scripts/coverage_params.py --write-verified",
        "band_limit_pct": limit,
        "approximate_band": old.get("approximate_band", {}),
        "transformers_version": transformers.__version__,
        "rule": "every generated variant (>= 3) counted by the structural estimator equals the meta-device count",
        "model_types": keep,
        "unreliable_rule": "the raw structural estimate of the model type's worst generated variant is more than "
        "band_limit_pct off the meta-device count: the estimator answers unknown (no total) on it",
        "unreliable_types": dict(sorted(unreliable.items())),
        "measured_types": sorted(measured),
    }


def write_verified(rows: list[dict], path: Path, limit: float) -> dict:
    """Write the data file, reload the estimator with it, re-score, then record the band it now states."""
    from hubscan.estimate import structural

    data = verified_data(rows, path, limit)
    path.write_text(json.dumps(data, indent=1) + "\n")
    importlib.reload(structural)
    score_rows(rows)
    band = band_of(approximate_errors(rows), limit)
    if band:  # a run that met no approximate answer keeps the band measured before
        data["approximate_band"] = band
    path.write_text(json.dumps(data, indent=1) + "\n")
    importlib.reload(structural)
    return data


def load_rows(path: Path) -> tuple[list[dict], dict]:
    """Rows (with configs and meta counts) and run facts from a --json dump."""
    dump = json.loads(path.read_text())
    if isinstance(dump, list):  # an older dump without configs: nothing to re-score
        raise SystemExit(f"{path}: an old dump without configs; run without --from-json once")
    return dump["rows"], dump.get("run", {})


def build_rows(args) -> tuple[list[dict], dict]:
    todo = ordered_types([t for t in args.types.split(",") if t] or None)
    rows: list[dict] = []
    t0 = time.perf_counter()
    attempted = 0
    for mt, arch in todo:
        if time.perf_counter() - t0 > args.budget:
            break
        attempted += 1
        rows.extend(run_type(mt, arch, args.per_type_timeout))
    run = {"seconds": time.perf_counter() - t0, "total_types": len(todo), "attempted": attempted}
    return rows, run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=900.0, help="seconds before no new model type is started")
    ap.add_argument("--per-type-timeout", type=int, default=30)
    ap.add_argument("--types", default="", help="comma-separated model types (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "PARAMS.md")
    ap.add_argument("--sample", type=Path, default=ROOT / "tests" / "data" / "coverage_sample.csv")
    ap.add_argument("--sample-per-outcome", type=int, default=80)
    ap.add_argument("--json", type=Path, default=None, help="also dump all built rows (configs, counts) here")
    ap.add_argument("--from-json", type=Path, default=None, help="re-score a --json dump instead of building")
    ap.add_argument(
        "--write-verified",
        type=Path,
        nargs="?",
        const=DATA_FILE,
        default=None,
        help="record the model types the structural estimator counted exactly on every variant, and those "
        "it missed by more than --band-limit",
    )
    ap.add_argument("--band-limit", type=float, default=BAND_LIMIT_PCT, help="percent (default %(default)s)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from hubscan.estimate import meta

    if not meta.available():
        print("transformers/torch not installed: pip install 'hubscan[exact]'", file=sys.stderr)
        return 2
    import transformers

    transformers.logging.set_verbosity_error()
    rows, run = load_rows(args.from_json) if args.from_json else build_rows(args)
    if args.json and not args.from_json:
        args.json.write_text(json.dumps({"run": run, "rows": rows}))
    score_rows(rows)
    if args.write_verified:
        write_verified(rows, args.write_verified, args.band_limit)
    write_doc(render(rows, run), args.out)
    write_sample(rows, args.sample, args.sample_per_outcome)
    verdicts = Counter(type_verdict(c) for c in per_type(rows).values())
    print(
        f"{len(per_type(rows))} model types in {run.get('seconds', 0):.0f}s: "
        + ", ".join(f"{k}={v}" for k, v in verdicts.items())
    )
    print(band_line(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
