"""Commands about the catalog as a whole and one model in it: export, history, changes, show.

Each opens the catalog read-only, calls one function of ``hubscan.report`` and renders the result.
"""

from __future__ import annotations

import json

import click

from hubscan.cli import cli
from hubscan.cli.options import db_option, output_options
from hubscan.report import export as export_mod
from hubscan.report import history as history_mod
from hubscan.report import query
from hubscan.report import show as show_mod
from hubscan.report.render import render, render_sections


@cli.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(export_mod.FORMATS), default="parquet", show_default=True,
              help="Parquet (zstd) or CSV.")  # fmt: skip
@click.option("--tables", metavar="T1,T2", help="Only these tables (comma-separated; default: all).")
@db_option("Catalog database (opened read-only).")
def export(out_dir, fmt, tables, db_path):
    """Write every catalog table (raw and derived) to DIR as Parquet or CSV, with schema.json and README.md
    (columns, types and units), for DuckDB, pandas, R or Spark. Streamed: memory stays flat.

    \b
    Examples:
        hubscan export out/
        hubscan export out/ --format csv --tables models,footprints
        duckdb -c "SELECT model_type, COUNT(*) FROM 'out/models.parquet' GROUP BY 1"
    """
    chosen = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    db = query.open_catalog(db_path)
    try:
        schema = export_mod.export_catalog(db, out_dir, fmt=fmt, tables=chosen)
    finally:
        db.close()
    for entry in schema["tables"].values():
        click.echo(f"{entry['file']:32s} {entry['rows']:>12,} rows")
    click.echo(f"Wrote {len(schema['tables'])} tables, schema.json and README.md to {out_dir}")


@cli.command()
@click.argument("model_id")
@db_option("Catalog database (opened read-only).")
@output_options
def history(model_id, db_path, fmt):
    """One model's listing across crawls: the state after each run in which it appeared or changed (commit,
    last modified, downloads, likes, gating, tags, task, reported emissions).

    \b
    Examples:
        hubscan history meta-llama/Llama-3.1-8B
        hubscan history google/gemma-2-9b --json
    """
    db = query.open_catalog(db_path)
    try:
        rows = history_mod.model_history(db, model_id)
    finally:
        db.close()
    render(rows, fmt)


@cli.command()
@click.option(
    "--since", metavar="RUN|DATE", help="A crawl run id or a date (default: the run before the latest)."
)
@db_option("Catalog database (opened read-only).")
@output_options
def changes(since, db_path, fmt):
    """What changed on the Hub since a crawl run or date: models added, removed (only between two finished
    crawls with the same endpoint, filters and limit), re-committed or updated, with reported emissions
    before and after.

    \b
    Examples:
        hubscan changes
        hubscan changes --since 2026-11-30 --csv
        hubscan changes --since 3 --json
    """
    db = query.open_catalog(db_path)
    try:
        rows, notes = history_mod.changes(db, since)
    finally:
        db.close()
    render(rows, fmt, columns=history_mod.CHANGE_COLUMNS)
    for note in notes:
        click.echo(f"note: {note}", err=True)


@cli.command()
@click.argument("model_id")
@db_option("Catalog database (opened read-only).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (raw numbers).")
def show(model_id, db_path, as_json):
    """One model's page: listing, parameters (total/active/embedding, method, confidence, safetensors
    cross-check), footprint at the stored dtype and context, reported emissions with provenance, the
    estimate and verdict, base models and descendants.

    \b
    Examples:
        hubscan show meta-llama/Llama-3.1-8B
        hubscan show google/bert-base-uncased --json
    """
    db = query.open_catalog(db_path)
    try:
        page = show_mod.model_page(db, model_id)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(page, indent=2, ensure_ascii=False, default=str))
        return
    click.echo(model_id)
    render_sections(show_mod.show_sections(page), "table", columns=["field", "value"])
