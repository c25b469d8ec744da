"""Commands that answer the research questions: trends, correlate, adoption, report, crawl-datasets.

Each opens the catalog read-only (``crawl-datasets`` writes the ``datasets`` table), calls one function in
``hubscan.report`` and renders with ``hubscan.report.render``. Definitions: docs/RESEARCH.md.
"""

from __future__ import annotations

import click

from hubscan.cli import cli
from hubscan.cli.options import db_option, output_options
from hubscan.crawl.datasets import crawl_datasets as crawl_datasets_into
from hubscan.report import adoption as adoption_mod
from hubscan.report import correlate as correlate_mod
from hubscan.report import html_report, query
from hubscan.report import trends as trends_mod
from hubscan.report.render import render, render_sections
from hubscan.store import open_db


@cli.command()
@click.option("--period", type=click.Choice(trends_mod.PERIODS), default="year", show_default=True)
@click.option("--by", type=click.Choice(trends_mod.BY_CHOICES), help="Also group by this key.")
@click.option("--since", metavar="DATE", help="Only models created on or after DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only models created on or before DATE (YYYY-MM-DD).")
@db_option("Catalog database (opened read-only).")
@output_options
def trends(period, by, since, until, db_path, fmt):
    """Emissions reporting over time: per creation period (and group), models, how many report training
    emissions, their share, the median/mean/total reported grams; then a trend test over the periods.

    Models whose creation date is the Hub's placeholder (2022-03-02T23:29:0x, "created on or before
    2022-03-02") are in their own period, <=2022-03-02, never in March 2022. --by source and
    --by training_type cover reporting models only. Definitions: docs/RESEARCH.md.

    \b
    Examples:
        hubscan trends --period month
        hubscan trends --by domain --json
        hubscan trends --period quarter --since 2023-01-01 --csv
    """
    db = query.open_catalog(db_path)
    try:
        sections = trends_mod.trends(db, period, by, since, until)
    finally:
        db.close()
    render_sections(sections, fmt)


@cli.command()
@click.option("--x", "x", type=click.Choice(correlate_mod.X_CHOICES), required=True)
@click.option("--y", "y", type=click.Choice(correlate_mod.Y_CHOICES), default="reported_g", show_default=True)
@click.option("--log", "log", is_flag=True, help="Only pairs with both values > 0 (the log-log view).")
@click.option("--by", type=click.Choice(correlate_mod.BY_CHOICES), help="Also one row per group.")
@db_option("Catalog database (opened read-only).")
@output_options
def correlate(x, y, log, by, db_path, fmt):
    """Correlation of training emissions (reported or estimated, g CO2eq) with size, data, popularity,
    performance or grid intensity: n, Spearman rho and p, Pearson r and p of log10 x vs log10 y.

    \b
    Examples:
        hubscan correlate --x params --y reported_g --log
        hubscan correlate --x downloads --y estimated_g --by domain --json
    """
    db = query.open_catalog(db_path)
    try:
        rows = correlate_mod.correlate(db, x, y, log=log, by=by)
    finally:
        db.close()
    render(rows, fmt)


@cli.command()
@click.argument("bases", nargs=-1, metavar="[BASE_ID]...")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True,
              help="Without BASE_ID: the N bases with the most direct derivatives.")  # fmt: skip
@click.option("--relation", type=click.Choice(adoption_mod.RELATIONS), default="any", show_default=True)
@click.option("--curves", type=click.Path(exists=True, dir_okay=False),
              help="Fit the curves of a CSV in the Bhandari et al. layout instead of the catalog.")  # fmt: skip
@db_option("Catalog database (opened read-only).")
@output_options
def adoption(bases, top, relation, curves, db_path, fmt):
    """Cumulative derivatives of a base model per month since its creation, fitted with the
    Wang-Song-Barabasi model (lambda fitness, mu immediacy, sigma longevity) as Bhandari et al. did.

    \b
    Examples:
        hubscan adoption --top 3
        hubscan adoption meta-llama/Llama-2-7b-hf --relation adapter --json
        hubscan adoption --curves finetune/Meta.csv --csv
    """
    if curves:
        rows = adoption_mod.fit_curves(curves)
    else:
        db = query.open_catalog(db_path)
        try:
            rows = adoption_mod.adoption(db, list(bases), top=top, relation=relation)
        finally:
            db.close()
    render(adoption_mod.view(rows, fmt), fmt)


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="File to write.")
@click.option("--format", "report_format", type=click.Choice(["html", "md"]), default=None,
              help="html (one self-contained file, SVG figures) or md; default from --out's extension.")  # fmt: skip
@db_option("Catalog database (opened read-only).")
def report(out, report_format, db_path):
    """A report to hand a colleague: the catalog at a glance, footprint by family, reporting over time, by
    domain/source/training type, reported vs estimated, correlations and adoption curves, each with n.

    \b
    Examples:
        hubscan report --out report.html
        hubscan report --out report.md --format md
    """
    db = query.open_catalog(db_path)
    try:
        info = html_report.write_report(db, out, report_format)
    finally:
        db.close()
    click.echo(f"Wrote {out} ({info})")


@cli.command("crawl-datasets")
@click.option(
    "--endpoint", metavar="URL", help="Hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)."
)
@click.option("--token", envvar="HF_TOKEN", show_envvar=True, help="Hub token; never stored or printed.")
@click.option("--refetch", is_flag=True, help="Also fetch datasets already in the catalog.")
@db_option("Catalog database (written: the datasets table).")
def crawl_datasets(endpoint, token, refetch, db_path):
    """Fetch the datasets the catalog's cards name (HfApi.dataset_info): their size_categories as row-count
    bounds, for `hubscan correlate --x dataset_size`.

    \b
    Examples:
        hubscan crawl-datasets
        hubscan crawl-datasets --endpoint http://127.0.0.1:8080
    """
    db = open_db(db_path)
    try:
        saved = crawl_datasets_into(db, endpoint=endpoint, token=token, refetch=refetch)
    finally:
        db.close()
    click.echo(f"{saved:,} datasets fetched into {db_path}.")
