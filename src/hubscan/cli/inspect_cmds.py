"""``hubscan inspect``: look at config.json files, model cards, or repo folders without a catalog."""

from __future__ import annotations

import json

import click

from hubscan.cli import cli
from hubscan.units import human_grams, human_kwh

DTYPES = ["fp32", "float32", "bf16", "bfloat16", "fp16", "float16", "fp8", "int8", "int4"]


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--context",
    type=click.IntRange(min=1),
    default=4096,
    show_default=True,
    help="Context length (tokens) for KV cache and FLOPs.",
)
@click.option(
    "--dtype",
    type=click.Choice(DTYPES, case_sensitive=False),
    help="Weight dtype (default: the config's own torch_dtype / quantization).",
)
@click.option(
    "--exact/--no-exact",
    default=None,
    help="Allow/forbid counting with transformers on the meta device (default: only when no formula applies and it is installed).",
)
@click.option("--json", "fmt", flag_value="json", help="One JSON array.")
@click.option("--nl", "fmt", flag_value="nl", help="One JSON object per line (per input).")
def inspect(paths, context, dtype, exact, fmt):
    """Parameters, memory and FLOPs of config.json files; reported emissions of model cards.

    PATHS are config.json files, README.md model cards, or repo folders holding either (or both — then
    the training-emissions estimate and the reported-vs-estimated verdict are shown too).

    \b
    Examples:
        hubscan inspect path/to/config.json --context 8192 --dtype int4
        hubscan inspect some-repo-folder/ --json
        hubscan inspect cards/*.md --nl
    """
    from hubscan.inspect import inspect_path

    records = [inspect_path(path, context=context, dtype=dtype, exact=exact) for path in paths]
    failed = [r for r in records if r.get("error")]
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, default=str))
    elif fmt == "nl":
        for record in records:
            click.echo(json.dumps(record, default=str))
    else:
        _print_tables(records)
    for record in failed:
        click.echo(f"Error: {record['path']}: {record['error']}", err=True)
    if failed:
        raise SystemExit(1)


def _print_tables(records: list[dict]) -> None:
    from hubscan.estimate.footprint import summary_row
    from hubscan.report.render import table

    configs = [{"path": r["path"], **summary_row(r)} for r in records if "params" in r]
    cards = [
        {
            "path": r["path"],
            "emissions": human_grams(r["reported"].get("emissions_g")),
            "found_in": r["reported"].get("found_in"),
            "hardware": r["reported"].get("hardware"),
            "hours": r["reported"].get("hours"),
            "location": r["reported"].get("location"),
            "completeness": r["reported"].get("completeness"),
            "flags": ", ".join(r["reported"].get("flags") or []),
        }
        for r in records
        if "reported" in r
    ]
    estimates = []
    for r in records:
        estimate = r.get("estimate") or {}
        if not estimate.get("estimable") and not (r.get("reported") or {}).get("emissions_g"):
            continue
        grams = estimate.get("emissions_g") or {}
        comparison = estimate.get("comparison") or {}
        estimates.append(
            {
                "path": r["path"],
                "method": estimate.get("method") or "not estimable",
                "estimated": human_grams(grams.get("central")),
                "range": f"{human_grams(grams.get('low'))} – {human_grams(grams.get('high'))}"
                if grams
                else "",
                "energy": human_kwh((estimate.get("energy_kwh") or {}).get("central")),
                "verdict": comparison.get("verdict") or "",
                "why": comparison.get("reason") or ", ".join(estimate.get("missing") or []),
            }
        )
    for title, rows in (
        ("Footprint", configs),
        ("Reported emissions", cards),
        ("Estimated emissions", estimates),
    ):
        if rows:
            click.echo(f"{title}:")
            click.echo(table(rows))
