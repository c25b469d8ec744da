"""``hubscan inspect``: look at config.json files, model cards, or repo folders without a catalog."""

from __future__ import annotations

import json

import click

from hubscan.cli import cli
from hubscan.cli.options import context_option, output_options
from hubscan.estimate.memory import DTYPE_CHOICES
from hubscan.inspect import inspect_path
from hubscan.report.render import inspect_rows, inspect_text, render


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@context_option("Context length (tokens) for KV cache and FLOPs.")
@click.option(
    "--dtype",
    type=click.Choice(DTYPE_CHOICES, case_sensitive=False),
    help="Weight dtype (default: the config's own torch_dtype / quantization).",
)
@click.option(
    "--exact/--no-exact",
    default=None,
    help="Allow/forbid counting with transformers on the meta device (default: only when no formula applies and it is installed).",
)
@output_options
def inspect(paths, context, dtype, exact, fmt):
    """Parameters, memory and FLOPs of config.json files; reported emissions of model cards.

    PATHS are config.json files, README.md model cards, or repo folders holding either (or both — then
    the training-emissions estimate and the reported-vs-estimated verdict are shown too).

    \b
    Examples:
        hubscan inspect path/to/config.json --context 8192 --dtype int4
        hubscan inspect some-repo-folder/ --json
        hubscan inspect cards/*.md --nl
        hubscan inspect configs/*.json --csv > footprints.csv
    """
    records = [inspect_path(path, context=context, dtype=dtype, exact=exact) for path in paths]
    failed = [r for r in records if r.get("error")]
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, default=str))
    elif fmt == "nl":
        for record in records:
            click.echo(json.dumps(record, default=str))
    elif fmt == "csv":
        render(inspect_rows(records), "csv")
    else:
        click.echo(inspect_text(records))
    for record in failed:
        click.echo(f"Error: {record['path']}: {record['error']}", err=True)
    if failed:
        click.get_current_context().exit(1)
