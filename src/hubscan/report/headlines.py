"""The few tables `hubscan demo` prints after a crawl: what the catalog now knows."""

from __future__ import annotations

from hubscan.report.query import emissions, emissions_summary, footprint
from hubscan.report.render import table
from hubscan.report.stats import catalog_stats
from hubscan.report.trends import trends
from hubscan.store import open_db_read_only

TOP_FAMILIES = 12
FOOTPRINT_COLUMNS = [
    "family",
    "models",
    "params_median",
    "params_max",
    "params_total",
    "weights_bytes_median",
    "kv_cache_bytes_median",
    "reporting_share",
]
COMPARISON_COLUMNS = ["model_id", "reported_g", "estimated_g_low", "estimated_g_high", "ratio", "verdict"]


def headlines(db_path) -> list[str]:

    db = open_db_read_only(db_path)
    stats = catalog_stats(db)
    configs = ", ".join(f"{n} {status}" for status, n in stats["configs"].items())
    lines = [f"\nCatalog {db_path}: {stats['models']} models (config.json: {configs})."]

    families = footprint(db, "model_type")
    lines.append(
        f"\nFootprint by architecture (top {TOP_FAMILIES} of {len(families)} families; `hubscan footprint --help`):"
    )
    lines.append(table(families[:TOP_FAMILIES], FOOTPRINT_COLUMNS))

    summary = emissions_summary(db)
    lines.append("\nReported training emissions (`hubscan emissions --summary`):")
    lines.append(table(summary["completeness"]))
    lines.append(table(summary["reported_vs_estimated"]))

    compared = [row for row in emissions(db) if row.get("verdict")]
    if compared:
        lines.append("\nReported vs estimated, per model (`hubscan emissions`):")
        available = [c for c in COMPARISON_COLUMNS if c in compared[0]]
        lines.append(table(compared, available or None))
    lines += reporting_over_time(db)
    lines.append(
        '\nExplore: hubscan browse   ·   hubscan sql "select ..."   ·   hubscan plot footprint --out f.png'
    )
    return lines


REPORTING_COLUMNS = ["period", "models", "reporting", "share", "reported_g_median", "reported_g_total"]


def reporting_over_time(db) -> list[str]:
    """The short reporting-over-time table (`hubscan trends`): per creation year, models and how many report."""
    rows = trends(db, "year")["periods"]
    return [
        "\nEmissions reporting over time, by creation year (`hubscan trends --help`; `hubscan report`):",
        table(rows, REPORTING_COLUMNS),
    ]
