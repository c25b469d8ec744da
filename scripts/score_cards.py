"""Score the model-card analyser against the shared labelled corpus and write docs/CARDS.md.

    python scripts/score_cards.py [--corpus DIR] [--out docs/CARDS.md]

DIR defaults to ``$HUBSCAN_SHARED/corpus/cards`` or ``../shared/corpus/cards`` next to the checkout.  The
report holds file names, categories and numbers only - no card text (the cards are third-party texts).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from hubscan.mirror.frontmatter import parse_card_data
from hubscan.parse.card import (
    ANALYZER_VERSION,
    GRAMS_PER_DEVICE_HOUR,
    MAX_BODY_CHARS,
    MAX_BODY_LINES,
    analyze_card,
)
from hubscan.parse.frontmatter import split_front_matter
from hubscan.parse.safe_yaml import MAX_ALIASES, MAX_CHARS, MAX_DEPTH, MAX_NODES

REPO = Path(__file__).resolve().parents[1]
REL_TOL = 0.005
CATEGORIES = ["yaml_dict", "yaml_number", "prose_only", "odd", "template_unfilled", "no_emissions"]

RULES = f"""\
# Model-card emissions analyser

`hubscan.parse.card.analyze_card(text, card_data=...)` (analyser version {ANALYZER_VERSION}) reads a model card's
YAML front matter and Markdown body and reports the training emissions the card itself states, with
provenance, flags and a reporting-completeness class. It is pure (no network) and never raises.

## How a figure is read

* **YAML** (`co2_eq_emissions`, a number, a string or a mapping with `emissions`): grams CO2eq, as the Hub
  specifies - even when the prose suggests the author meant kg (then `unit_suspect` / `yaml_prose_conflict`).
  A string with its own unit ("0.5 kg", "0.21 in grams of CO2") is converted; `24_700_000` is a number.
  Extra keys (`hours_used`, `cloud_provider`, `compute_region`) are read; placeholder values ("N/A",
  "[More Information Needed]") count as absent. A usable YAML value wins over prose.
* **Front matter** is located like `huggingface_hub.repocard` does (its `REGEX_YAML_BLOCK`, so a `---` repeated
  at the top still yields the Hub's metadata) and parsed with a bounded loader: at most {MAX_CHARS // 1024} KiB,
  {MAX_NODES:,} nodes counted with aliases expanded, {MAX_ALIASES:,} alias references, {MAX_DEPTH} levels of nesting.
  Scalars are typed with the YAML 1.2 core schema, as the Hub types `cardData`: `license: no` stays the string
  `"no"`, `1e-3` is 0.001, `24_700_000` and `1:30` stay the text written (read as 24,700,000 g and 1.5 hours
  where a figure is expected), dates stay text. A `cardData` mapping given instead of the README's front matter
  (the crawl stores the Hub's) passes through the same node and depth limits, so both give the same record.
  Malformed YAML sets `yaml_error` and the prose is still read. Non-UTF-8 bytes are replaced (`non_utf8`);
  binary input gets `error`. Prose beyond {MAX_BODY_CHARS // 1024} KiB or {MAX_BODY_LINES:,} lines is not read (`truncated`).
* **Prose**: HTML comments and fenced code are ignored (a fence left open across a Markdown heading is treated
  as unclosed); sections come from headings (`found_in` = `prose:<heading-slug>`, any "Environmental Impact ..."
  heading is `prose:environmental-impact`). Field lines (`Carbon Emitted:`, `CO2 Emissions (in grams):`,
  `Emissions:`, `Hardware Type:`, `Hours used:`, `Cloud Provider:`, `Compute Region:` ...; bullets, bold keys and
  two-cell table rows), emission sentences (a mass figure in a sentence about emissions/CO2/carbon/GHG) and
  Markdown tables with an emissions column (unit from the header; a "Total" row wins) give candidates.
  Units: g as is, kg x 10^3, t/tonnes/tons/tCO2eq x 10^6, lb x 453.6; a unit in the field label ("(in grams)")
  applies to a bare value. Intensities ("430 gCO2eq/kWh", "per hour") are skipped.
* **Choosing**: market-based figures are kept apart (`market_based_g`, flag `market_based`); figures that belong
  to a base model are dropped (`inherited`: the sentence/label names the base/original/parent model, or several
  labelled "... Emissions" blocks whose last one - the card's own - is still "to be determined"); then a
  stated total, then a field line, then a sentence, then a table row, preferring environmental sections.
  Several different per-row table figures without a total give no value (`multiple_values`).
  Approximations ("~", "about") are taken at face value (`approximate`); ranges (`range`) and figures without
  a unit in prose (`unitless`) give no value.
* **Confidence**: `high` - a YAML number (agreeing with the prose if any) or a prose field line / stated total
  with an explicit unit; `medium` - a YAML string with a unit, a prose sentence, an approximation, or an
  implausible figure; `low` - YAML/prose conflict or several competing prose figures.

## Flags

| flag | meaning |
|---|---|
| `template_unfilled` | the model-card template's emissions line holds a placeholder ("[More Information Needed]", "N/A", unrendered `{{{{ ... }}}}`) |
| `commented_out` | the template block exists only inside an HTML comment |
| `unrendered_template` | Jinja placeholders left in the body |
| `yaml_prose_conflict` | YAML and prose figures differ beyond the prose's rounding and 0.5 % |
| `unit_suspect` | the YAML number equals a prose figure stated in kg/t (kg put where grams belong), or the figure is outside {GRAMS_PER_DEVICE_HOUR[0]}-{GRAMS_PER_DEVICE_HOUR[1]:.0f} g per device-hour for the stated hardware count and hours (a ~15 W device on a near-carbon-free grid to a 1 kW device at PUE 2 on a coal grid) |
| `inherited` | the only figure is the base model's, as the card says |
| `market_based` | a market-based figure was found and kept apart from the location-based one |
| `approximate`, `bound` | "~", "about" / "less than", "up to" in front of the figure |
| `range`, `unitless` | a figure was found but not used: a range, or no unit (prose) |
| `multiple_values` | several different candidate figures and no stated total |
| `hours_range` | hours given as a range (not used) |
| `yaml_error`, `non_utf8`, `binary`, `truncated`, `too_many_figures` | input problems (see `yaml_error` / `error`) |

## Reporting-completeness classes

A fixed rule over the record (every tier is reachable; compare Castaño et al., whose top tiers no model reaches):

| class | rule |
|---|---|
| `none` | no emissions figure, no Environmental Impact section/template, no `co2_eq_emissions` key |
| `template_only` | no usable figure, but an environmental section, the template's field lines (even unfilled), or a `co2_eq_emissions` key without a usable value |
| `emissions_only` | a figure in grams, none of the four context fields below |
| `emissions_context` | a figure and one to three of: source, training type, location (geographical location or compute region), hardware |
| `complete` | a figure and all four: source, training type, location, hardware (the Hub spec's five keys) |

Hours and cloud provider are reported but do not count toward the class.
"""


def default_corpus() -> Path:
    shared = os.environ.get("HUBSCAN_SHARED")
    base = Path(shared) if shared else REPO.parent / "shared"
    return base / "corpus" / "cards"


def matches(expected: str, got: float | None) -> bool:
    if not expected.strip():
        return got is None
    exp = float(expected)
    return got is not None and abs(got - exp) <= REL_TOL * abs(exp)


def reason(row: dict, rec: dict) -> str:
    exp = row["expected_emissions_g"].strip()
    got = rec["emissions_g"]
    flags = ",".join(rec["flags"]) or "-"
    if exp and got is None:
        return f"missed: expected {exp} g, got nothing (flags {flags}; yaml_error {bool(rec['yaml_error'])})"
    if not exp and got is not None:
        return f"invented: expected none, got {got:g} g from {rec['found_in']} (flags {flags})"
    return f"wrong value: expected {exp} g, got {got:g} g from {rec['found_in']} (flags {flags})"


def hostile_inputs() -> list[tuple[str, str | bytes, dict | None]]:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = "---\n" + "\n".join(lines) + "\n---\n# card\n"
    big = "---\nco2_eq_emissions: 3\n---\n" + ("Lorem ipsum dolor sit amet. " * 70 + "\n\n") * 10500
    deep: list = []
    for _ in range(4999):
        deep = [deep]
    return [
        ("alias bomb (billion laughs, 9 levels)", bomb, None),
        (f"{len(big) / 1e6:.0f} MB card", big.encode(), None),
        ("4 MB front matter", "---\n" + "k: v\n" * 1_000_000 + "---\n# t\n", None),
        ("2 MB random bytes", os.urandom(2_000_000), None),
        ("latin-1 bytes", "---\nco2_eq_emissions: 7\n---\n# Caf\xe9\n".encode("latin-1"), None),
        ("5000-deep flow nesting", "---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n", None),
        ("5000-deep `cardData`", "# card\n", {"co2_eq_emissions": 5, "x": deep}),
    ]


def score(corpus: Path, rows: list[dict]) -> dict:
    """Per-category counts, mismatches, completeness classes and flags over the labelled corpus."""
    stats: dict[str, Counter] = defaultdict(Counter)
    misses: list[tuple[str, str, str]] = []
    completeness: dict[str, Counter] = defaultdict(Counter)
    flag_counts: Counter = Counter()
    slowest = 0.0
    for row in rows:
        data = (corpus / "files" / row["file"]).read_bytes()
        start = time.perf_counter()
        rec = analyze_card(data)
        slowest = max(slowest, time.perf_counter() - start)
        cat = row["category"]
        s = stats[cat]
        s["cards"] += 1
        exp = row["expected_emissions_g"].strip()
        ok = matches(exp, rec["emissions_g"])
        if exp:
            s["expected"] += 1
            s["exact"] += ok
        else:
            s["null_expected"] += 1
            s["null_ok"] += ok
            s["invented"] += rec["emissions_g"] is not None
        s["agree"] += ok
        completeness[cat][rec["completeness"]] += 1
        flag_counts.update(rec["flags"])
        if not ok:
            misses.append((row["file"], cat, reason(row, rec)))
    cats = [c for c in CATEGORIES if c in stats] + sorted(c for c in stats if c not in CATEGORIES)
    total: Counter = Counter()
    for c in cats:
        total.update(stats[c])
    return {
        "stats": stats,
        "total": total,
        "cats": cats,
        "misses": misses,
        "completeness": completeness,
        "flags": flag_counts,
        "slowest": slowest,
    }


def scores_section(sc: dict, n_rows: int) -> list[str]:
    stats, total = sc["stats"], sc["total"]
    pct = 100 * total["agree"] / max(1, total["cards"])
    out = ["## Scores against the shared labelled corpus", ""]
    out.append(
        f"Generated by `scripts/score_cards.py` over `{n_rows}` cards (`corpus/cards/labels.csv`). A card agrees "
        f"when `emissions_g` is within {REL_TOL:.1%} of `expected_emissions_g`, or both are empty. "
        f"Slowest card: {sc['slowest'] * 1000:.0f} ms."
    )
    out.append("")
    out.append(
        f"**Overall agreement: {total['agree']}/{total['cards']} = {pct:.1f} %**; "
        f"emissions invented for `template_unfilled`/`no_emissions` cards: "
        f"{stats['template_unfilled']['invented'] + stats['no_emissions']['invented']}."
    )
    out.append("")
    out.append(
        "| category | cards | expected non-null | exact matches | expected null | nulls correct | invented | agreement |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for c in [*sc["cats"], "all"]:
        s = total if c == "all" else stats[c]
        name = "**all**" if c == "all" else f"`{c}`"
        out.append(
            f"| {name} | {s['cards']} | {s['expected']} | {s['exact']} | {s['null_expected']} | {s['null_ok']} | "
            f"{s['invented']} | {100 * s['agree'] / max(1, s['cards']):.1f} % |"
        )
    out += ["", "### Mismatches", ""]
    if sc["misses"]:
        out += [f"- `{f}` ({c}): {why}" for f, c, why in sc["misses"]]
    else:
        out.append(
            "None on this corpus. The corpus is small (and was looked at while writing the rules), so "
            "expect misses on unseen cards; the unit tests use self-written cards for each shape."
        )
    return out


def details_section(sc: dict) -> list[str]:
    out = ["", "### Completeness class by category", ""]
    classes = ["none", "template_only", "emissions_only", "emissions_context", "complete"]
    out.append("| category | " + " | ".join(classes) + " |")
    out.append("|---|" + "---:|" * len(classes))
    for c in sc["cats"]:
        out.append(f"| `{c}` | " + " | ".join(str(sc["completeness"][c][k]) for k in classes) + " |")
    out += ["", "### Flags raised on the corpus", ""]
    out.append(", ".join(f"`{k}` {v}" for k, v in sorted(sc["flags"].items())) or "none")
    out += ["", "### Rules that one corpus card prompted", ""]
    out.append(
        "Stated for honesty about overfitting; each is written as a general rule and has a self-written test card: "
        'a code fence left open across a Markdown heading is not code (one card); several labelled "... Emissions" '
        'blocks whose last says "to be determined" mark the earlier figure as the base model\'s (one card); '
        "Jinja detection requires spaces inside `{{ }}` so BibTeX `{{Title}}` is not a template (TRL cards)."
    )
    return out


def card_data_section(corpus: Path) -> list[str]:
    """Does the README's own front matter give the same record as the Hub's ``cardData`` of it?"""
    files = sorted((corpus / "files").glob("*.md"))
    agree = with_meta = 0
    for path in files:
        readme = path.read_bytes()
        a = analyze_card(readme)
        _, body, _ = split_front_matter(readme)
        b = analyze_card(body, card_data=parse_card_data(readme))
        with_meta += a["card_data"] is not None or b["card_data"] is not None
        same = a["card_data"] == b["card_data"] or b["card_data"] is None
        drop = ("card_data", "yaml_error", "flags")
        same = same and {k: v for k, v in a.items() if k not in drop} == {
            k: v for k, v in b.items() if k not in drop
        }
        agree += same and [f for f in a["flags"] if f != "yaml_error"] == b["flags"]
    return [
        "",
        "## README front matter and the Hub's `cardData` agree",
        "",
        f"Each of the {len(files)} corpus cards analysed twice - from the README, and from its body plus the "
        f"`cardData` the mirror computes for it as the Hub does (`hubscan.mirror.frontmatter.parse_card_data`): "
        f"**{agree}/{len(files)} give the same record** ({with_meta} of them have front matter). "
        "`tests/test_frontmatter.py` asserts this and pins the typing cases above.",
    ]


def hostile_section() -> list[str]:
    out = ["", "## Hostile inputs (this machine)", "", "| input | time | outcome |", "|---|---:|---|"]
    for name, value, card_data in hostile_inputs():
        start = time.perf_counter()
        rec = analyze_card(value, card_data=card_data)
        ms = (time.perf_counter() - start) * 1000
        outcome = rec["error"] or rec["yaml_error"] or f"emissions_g={rec['emissions_g']}"
        out.append(f"| {name} | {ms:.0f} ms | {outcome} (flags: {', '.join(rec['flags']) or '-'}) |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "CARDS.md")
    args = ap.parse_args(argv)
    labels = args.corpus / "labels.csv"
    if not labels.is_file():
        print(f"corpus not found: {labels}", file=sys.stderr)
        return 2
    with open(labels, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    sc = score(args.corpus, rows)
    out = [RULES, *scores_section(sc, len(rows)), *details_section(sc)]
    out += card_data_section(args.corpus)
    out += hostile_section()
    out.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out), encoding="utf-8")
    total = sc["total"]
    pct = 100 * total["agree"] / max(1, total["cards"])
    print(
        f"agreement {total['agree']}/{total['cards']} ({pct:.1f} %), {len(sc['misses'])} mismatches -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
