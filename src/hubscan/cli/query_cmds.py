"""Commands that ask the catalog: footprint, emissions, sql, plot, browse.

Each one opens the catalog read-only, calls one named query in ``hubscan.report.query`` and renders the rows with
``hubscan.report.render`` (a table with units by default; ``--json``, ``--nl`` or ``--csv`` for machines).
"""

from __future__ import annotations

import click

from hubscan.cli import cli
from hubscan.cli.options import db_option, output_options
from hubscan.report import adoption, correlate, plots, query, trends
from hubscan.report import browse as browse_mod
from hubscan.report.render import render, render_sections

GROUPING_CHOICES = list(query.GROUPINGS)


@cli.command()
@click.option(
    "--by",
    type=click.Choice(GROUPING_CHOICES),
    default="model_type",
    show_default=True,
    help="Family: architecture, base-model lineage root, author/organisation, task or library.",
)
@click.option("--author", help="Only models by this user or organisation.")
@click.option("--task", help="Only models with this pipeline_tag (e.g. text-generation).")
@click.option(
    "--min-params", type=float, metavar="N", help="Only models with at least N parameters (e.g. 1e9)."
)
@click.option("--context", type=click.IntRange(min=1), metavar="TOKENS", help="KV cache at this context length "
              "(default: the context stored by `hubscan derive`, 4,096 tokens unless --context was given there).")  # fmt: skip
@click.option("--dtype", metavar="D", help="Weight memory at this dtype: fp32, bf16, fp16, fp8, int8, int4 "
              "(default: each model's stored dtype).")  # fmt: skip
@click.option("--sort", type=click.Choice(query.FOOTPRINT_COLUMNS), metavar="COLUMN",
              help="Order families by this column, largest first (e.g. params_median, downloads_total).")  # fmt: skip
@click.option("--asc", is_flag=True, help="With --sort: smallest first.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Show only the N first families.")
@db_option("Catalog database (opened read-only).")
@output_options
def footprint(by, author, task, min_params, context, dtype, sort, asc, limit, db_path, fmt):
    """Per family: how many models, their parameters and memory, storage, downloads, emission reporting.

    Every model is counted in exactly one family per grouping; models whose key is not known are in the
    `unknown` family. In --by lineage, models with no base model and no derivatives form `standalone`.
    Parameters: median, p10/p90, max and total; memory: weights at a dtype and KV cache at a context length
    (decimal units, 1 GB = 10^9 bytes).

    \b
    Examples:
        hubscan footprint --by model_type
        hubscan footprint --by lineage --limit 20
        hubscan footprint --by author --task text-generation --min-params 1e9
        hubscan footprint --by model_type --dtype int4 --context 32768 --json
        hubscan footprint --by author --sort downloads_total --limit 10
    """
    db = query.open_catalog(db_path)
    try:
        rows = query.footprint(
            db, by, author=author, task=task, min_params=min_params, context=context, dtype=dtype,
            sort=sort, ascending=asc,
        )  # fmt: skip
    finally:
        db.close()
    if limit:
        rows = rows[:limit]
    columns = list(query.FOOTPRINT_COLUMNS)
    if fmt == "table":
        columns = [
            "family", "models", "params_median", "params_p10", "params_p90", "params_max", "params_total",
            "params_active_median", "weights_bytes_median", "kv_cache_bytes_median", "storage_bytes_total",
            "downloads_total", "reporting_share",
        ]  # fmt: skip
        if by == "lineage":
            columns += ["finetunes", "adapters", "quantized", "merges"]
        click.echo(
            f"Weights at {dtype or 'each model’s stored dtype'}; KV cache at "
            f"{f'{context:,} tokens' if context else 'the context stored by `hubscan derive` (4,096 tokens by default)'}."
        )
    render(rows, fmt, columns=columns)


@cli.command()
@click.option("--summary", is_flag=True, help="The Hub-wide analysis instead of one row per model.")
@click.option(
    "--verdict",
    type=click.Choice(query.VERDICTS),
    help="Only models whose reported figure got this verdict ('not estimated': reported, no estimate).",
)
@click.option("--family", metavar="NAME", help="Only models of this family (see --by).")
@click.option(
    "--by",
    type=click.Choice(GROUPING_CHOICES),
    default="model_type",
    show_default=True,
    help="Which grouping --family (and the family column) refers to.",
)
@db_option("Catalog database (opened read-only).")
@output_options
def emissions(summary, verdict, family, by, db_path, fmt):
    """Reported training emissions vs the estimate from parameters, tokens and hardware.

    Per model: the reported grams CO2eq, the estimated range (low/central/high), their ratio and the
    verdict (consistent, below, above, likely unit error, not comparable) with its reason. --summary:
    how many models report, completeness classes, reported totals by family/year/task, and how reported
    figures compare with the estimates.

    \b
    Examples:
        hubscan emissions --verdict "likely unit error"
        hubscan emissions --family llama --csv
        hubscan emissions --summary
        hubscan emissions --summary --json
    """
    db = query.open_catalog(db_path)
    try:
        if summary:
            render_sections(query.emissions_summary(db), fmt)
            return
        rows = query.emissions(db, verdict=verdict, family=family, by=by)
    finally:
        db.close()
    columns = None
    if fmt == "table":
        columns = [
            "model_id", "family", "reported_g", "estimated_g_low", "estimated_g_central", "estimated_g_high",
            "ratio", "verdict", "verdict_reason",
        ]  # fmt: skip
    render(rows, fmt, columns=columns)


@cli.command()
@click.argument("statement")
@db_option("Catalog database (opened read-only).")
@output_options
def sql(statement, db_path, fmt):
    """Run one read-only SQL statement on the catalog.

    The database is opened read-only (SQLite mode=ro and query_only), so INSERT, UPDATE, DELETE, DROP
    and the like are refused by SQLite itself. Tables: models, configs, cards, files, footprints,
    reported_emissions, estimated_emissions, lineage, family_stats (see docs/CATALOG.md).

    \b
    Examples:
        hubscan sql "SELECT model_type, COUNT(*) FROM models GROUP BY 1 ORDER BY 2 DESC"
        hubscan sql "SELECT model_id, params_total FROM footprints ORDER BY 2 DESC LIMIT 10" --csv
    """
    columns, rows = query.run_sql(db_path, statement)
    render([dict(zip(columns, row, strict=True)) for row in rows], fmt, columns=columns)


PLOT_KINDS = ["footprint", "emissions", "trend", "correlate", "adoption"]
PLOT_BY = list(dict.fromkeys([*GROUPING_CHOICES, *trends.BY_CHOICES]))


@cli.command()
@click.argument("what", type=click.Choice(PLOT_KINDS))
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True,
              help="File to write: .png, .svg or .pdf (the format follows the extension).")  # fmt: skip
@click.option(
    "--dpi", type=click.IntRange(50, 1200), default=None, help="PNG resolution (default 100; 300 for print)."
)
@click.option("--by", type=click.Choice(PLOT_BY), default=None,
              help="footprint: families (default model_type); trend: also one line per group (domain, source, ...).")  # fmt: skip
@click.option("--top", type=click.IntRange(min=1), default=None,
              help="Largest N families/groups/bases; the rest are drawn as 'other' (footprint 20, trend 8, adoption 5).")  # fmt: skip
@click.option(
    "--period", type=click.Choice(trends.PERIODS), default="year", show_default=True, help="trend: period."
)
@click.option(
    "--x",
    "x",
    type=click.Choice(correlate.X_CHOICES),
    default="params",
    show_default=True,
    help="correlate: x.",
)
@click.option(
    "--y",
    "y",
    type=click.Choice(correlate.Y_CHOICES),
    default="reported_g",
    show_default=True,
    help="correlate: y.",
)
@click.option("--base", "bases", multiple=True, metavar="BASE_ID", help="adoption: base model (repeatable).")
@click.option(
    "--relation", type=click.Choice(adoption.RELATIONS), default="any", show_default=True, help="adoption."
)
@db_option("Catalog database (opened read-only).")
def plot(what, out, dpi, by, top, period, x, y, bases, relation, db_path):
    """Draw a figure to PNG, SVG or PDF (by the extension of --out; --dpi 300 for print).

    \b
    footprint: parameters per family (box plot, every model a dot, log scale; top N + other).
    emissions: reported vs estimated training emissions (log-log) with the consistency band and the
               unit-error diagonals (x1000: kg written as g, and /1000).
    trend:     share of models reporting emissions per creation period (--period), models per period.
    correlate: reported/estimated emissions against --x (log-log) with Spearman rho and Pearson r.
    adoption:  cumulative derivatives of base models per month with the Wang-Song-Barabasi fit.

    \b
    Examples:
        hubscan plot footprint --out footprint.png --by lineage --dpi 300
        hubscan plot emissions --out emissions.pdf
        hubscan plot trend --period month --by domain --out trend.svg
        hubscan plot correlate --x params --out params.png
        hubscan plot adoption --top 3 --out adoption.svg
    """
    db = query.open_catalog(db_path)
    try:
        info = plots.plot_kind(db, what, out, dpi=dpi, by=by, top=top, period=period, x=x, y=y,
                               bases=list(bases), relation=relation)  # fmt: skip
    finally:
        db.close()
    click.echo(f"Wrote {out} ({info})")


@cli.command()
@db_option("Catalog database (opened read-only).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="0 picks a free port."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--metadata-out", type=click.Path(dir_okay=False), help="Also write the generated metadata JSON here."
)
def browse(db_path, port, host, metadata_out):
    """Explore the catalog in Datasette (read-only), with column docs, units, facets and canned queries.

    Canned queries: footprint by family, emissions comparison, largest models, models that fit in N GB.

    \b
    Examples:
        hubscan browse
        hubscan browse --db db/hubscan.db --port 8080
    """
    browse_mod.serve(db_path, port=port, host=host, metadata_out=metadata_out)
