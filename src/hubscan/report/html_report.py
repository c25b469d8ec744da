"""``hubscan report``: one document to hand a colleague, as a self-contained HTML file (figures inline as SVG,
no external resource) or as Markdown (tables only).

Sections: the catalog at a glance, footprint by family, reporting over time, reporting by domain / source /
training type, reported vs estimated with verdicts, correlations and the adoption of the top base models. Each
states its n and its caveats.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from hubscan.errors import HubscanError
from hubscan.report import adoption as adoption_mod
from hubscan.report import correlate as correlate_mod
from hubscan.report import plots, query
from hubscan.report import trends as trends_mod
from hubscan.report.render import format_cell

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; } td.num { text-align: right; }
th { background: #f2f2f2; } .caveat { color: #555; font-size: 0.9em; } svg { max-width: 100%; height: auto; }
"""


class ReportError(HubscanError):
    """The report could not be written (unknown format, unwritable path)."""


@dataclass
class Section:
    title: str
    n_text: str
    caveat: str
    tables: list[tuple[str, list[dict], Sequence[str] | None]] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)


def _figure(build: Callable[[], Any]) -> tuple[str | None, str | None]:
    """SVG text of a figure, or the reason there is none."""
    try:
        fig, _ = build()
    except HubscanError as exc:
        return None, str(exc)
    return plots.svg_text(fig), None


def _count(db: Database, sql: str) -> int:
    return db.execute(sql).fetchone()[0]


def glance(db: Database) -> Section:
    rows = [
        {"measure": "models", "value": _count(db, "SELECT COUNT(*) FROM models")},
        {"measure": "with a creation date", "value": _count(db, "SELECT COUNT(*) FROM models WHERE created_at IS NOT NULL")},
        {"measure": "with a pipeline tag", "value": _count(db, "SELECT COUNT(*) FROM models WHERE pipeline_tag IS NOT NULL")},
        {"measure": "with a parameter count", "value": _count(db, "SELECT COUNT(*) FROM footprints WHERE params_total > 0")},
        {"measure": "reporting training emissions", "value": _count(db, "SELECT COUNT(*) FROM reported_emissions WHERE emissions_g IS NOT NULL")},
        {"measure": "with an emissions estimate", "value": _count(db, "SELECT COUNT(*) FROM estimated_emissions WHERE estimable = 1")},
        {"measure": "with a base model", "value": _count(db, "SELECT COUNT(*) FROM lineage WHERE parent_id IS NOT NULL")},
    ]  # fmt: skip
    return Section("The catalog at a glance", f"n = {rows[0]['value']:,} models", "Counts of what the catalog "
                   "holds; a model's listing fields are those of the crawl that last saw it.", [("", rows, None)])  # fmt: skip


def footprint_section(db: Database) -> Section:
    rows = query.footprint(db, "model_type")[:15]
    columns = ["family", "models", "params_median", "params_max", "weights_bytes_median", "reporting_share"]
    svg, why = _figure(lambda: plots.footprint_figure(db, "model_type", 15))
    return Section("Footprint by family", f"n = {sum(r['models'] for r in rows):,} models in the 15 largest "
                   "families", "Parameters are estimated from config.json (or safetensors/GGUF metadata); "
                   "families are config model_type." + (f" No figure: {why}" if why else ""),
                   [("", rows, columns)], [svg] if svg else [])  # fmt: skip


def reporting_section(db: Database) -> Section:
    result = trends_mod.trends(db, "year")
    svg, why = _figure(lambda: plots.trend_figure(db, "year", "domain"))
    n = sum(r["models"] for r in result["periods"])
    return Section("Reporting over time", f"n = {n:,} models", "A model reports when its card gives a "
                   "training-emissions figure (or, card not analysed, carries the Hub's co2_eq_emissions tag). "
                   "<=2022-03-02 holds models whose creation date is the Hub's placeholder (created on or "
                   "before that day); trend tests use the dated periods only." + (f" No figure: {why}" if why else ""),
                   [("Per creation year", result["periods"], None), ("Trend tests", result["trend"], None)],
                   [svg] if svg else [])  # fmt: skip


def breakdown_section(db: Database) -> Section:
    tables = []
    for by, caveat in (
        ("domain", "all models"),
        ("source", "reporting models"),
        ("training_type", "reporting models"),
    ):
        tables.append((f"By {by.replace('_', ' ')} ({caveat})", trends_mod.group_summary(db, by), None))
    reporting = _count(db, "SELECT COUNT(*) FROM reported_emissions WHERE emissions_g IS NOT NULL")
    return Section("Reporting by domain, source and training type", f"n = {reporting:,} reporting models",
                   "Domain is the modality of the pipeline tag in the Hub's task taxonomy (unknown without a "
                   "tag). Source and training type are read from the card's free text and grouped as Castaño "
                   "et al. did (AutoTrain, Code Carbon, MLCO2, article, not specified).", tables)  # fmt: skip


def comparison_section(db: Database) -> Section:
    rows = query.emissions_summary(db)["reported_vs_estimated"]
    svg, why = _figure(lambda: plots.emissions_figure(db))
    n = sum(r["models"] for r in rows)
    return Section("Reported vs estimated", f"n = {n:,} reporting models", "The estimate is a range from "
                   "parameters, tokens, hardware and grid intensity; consistent means the report falls in it. "
                   "Many reports lack the inputs for an estimate (not comparable)." + (f" No figure: {why}" if why else ""),
                   [("", rows, None)], [svg] if svg else [])  # fmt: skip


def correlation_section(db: Database) -> Section:
    rows = [correlate_mod.correlate(db, x, "reported_g", log=True)[0] for x in correlate_mod.X_CHOICES]
    svg, why = _figure(lambda: plots.correlate_figure(db, "params", "reported_g"))
    return Section("What drives reported emissions", "n per row (pairs with both values > 0): "
                   + ", ".join(f"{r['x']} {r['n']}" for r in rows), "Spearman's rho and the Pearson r of "
                   "log10 values; small n makes p-values unreliable; correlation is not causation."
                   + (f" No figure: {why}" if why else ""), [("", rows, None)], [svg] if svg else [])  # fmt: skip


def adoption_section(db: Database) -> Section:
    try:
        rows = adoption_mod.adoption(db, None, top=5)
    except HubscanError as exc:
        return Section("Adoption of the top base models", "n = 0 base models", str(exc))
    svg, why = _figure(lambda: plots.adoption_figure(db, None, 5))
    return Section("Adoption of the top base models", f"n = {len(rows)} base models, "
                   f"{sum(r['cumulative'][-1] for r in rows):,} derivatives", "Derivatives are catalogued models "
                   "whose base-model chain passes through the base; the catalog holds only what was crawled. "
                   "Fit: Wang-Song-Barabasi as Bhandari et al. (m = 1, t in years)." + (f" No figure: {why}" if why else ""),
                   [("", adoption_mod.view(rows, "table"), None)], [svg] if svg else [])  # fmt: skip


SECTIONS = (glance, footprint_section, reporting_section, breakdown_section, comparison_section,
            correlation_section, adoption_section)  # fmt: skip


def _html_table(rows: list[dict], columns: Sequence[str] | None) -> str:
    cols = list(columns or (rows[0].keys() if rows else []))
    if not cols:
        return "<p>(no rows)</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for row in rows:
        cells = []
        for c in cols:
            value = row.get(c)
            klass = ' class="num"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            cells.append(f"<td{klass}>{html.escape(format_cell(c, value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def to_html(sections: list[Section]) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>hubscan report</title>", f"<style>{STYLE}</style></head><body>", "<h1>hubscan report</h1>"]  # fmt: skip
    for s in sections:
        parts.append(
            f"<section><h2>{html.escape(s.title)}</h2><p><strong>{html.escape(s.n_text)}</strong></p>"
        )
        parts.append(f'<p class="caveat">{html.escape(s.caveat)}</p>')
        for title, rows, columns in s.tables:
            parts.append((f"<h3>{html.escape(title)}</h3>" if title else "") + _html_table(rows, columns))
        parts += [f"<figure>{svg}</figure>" for svg in s.figures]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _md_table(rows: list[dict], columns: Sequence[str] | None) -> str:
    cols = list(columns or (rows[0].keys() if rows else []))
    if not cols:
        return "(no rows)\n"
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(format_cell(c, row.get(c)).replace("|", "\\|") for c in cols) + " |")
    return "\n".join(lines) + "\n"


def to_markdown(sections: list[Section]) -> str:
    parts = ["# hubscan report", "", "Figures: `hubscan report --out report.html` or `hubscan plot`.", ""]
    for s in sections:
        parts += [f"## {s.title}", "", f"**{s.n_text}**", "", f"_{s.caveat}_", ""]
        for title, rows, columns in s.tables:
            parts += ([f"### {title}", ""] if title else []) + [_md_table(rows, columns)]
    return "\n".join(parts)


def write_report(db: Database, out: str | Path, report_format: str | None = None) -> str:
    """Write the report to ``out`` as html or md (default from the extension); returns a description."""
    report_format = report_format or ("md" if str(out).lower().endswith(".md") else "html")
    if report_format not in ("html", "md"):
        raise ReportError(f"Unknown report format {report_format!r}: use html or md.")
    sections = [build(db) for build in SECTIONS]
    text = to_html(sections) if report_format == "html" else to_markdown(sections)
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"Cannot write {out}: {exc}.") from exc
    return f"{report_format}, {len(sections)} sections, {len(text):,} characters"
