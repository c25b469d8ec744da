"""Options shared by every command: the catalog path and the output format."""

from __future__ import annotations

import click

from hubscan.store import DEFAULT_DB_PATH


def db_option(help: str = "Catalog database.") -> click.Option:
    """``--db PATH`` (default ``$HUBSCAN_DB`` or ``db/hubscan.db``), passed to the command as ``db_path``."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        default=str(DEFAULT_DB_PATH),
        envvar="HUBSCAN_DB",
        show_envvar=True,
        show_default=True,
        help=help,
    )


def output_options(func):
    """``--table`` (default, human units) / ``--json`` / ``--nl`` / ``--csv``, all setting ``fmt``."""
    func = click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row, raw numbers.")(func)
    func = click.option("--nl", "fmt", flag_value="nl", help="Newline-delimited JSON, one object per row.")(
        func
    )
    func = click.option("--json", "fmt", flag_value="json", help="One JSON array (raw numbers, no units).")(
        func
    )
    return click.option(
        "--table", "fmt", flag_value="table", default=True, help="Human-readable table with units (default)."
    )(func)


quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="No progress bar (also off when stderr is not a terminal)."
)


def context_option(help: str) -> click.Option:
    """``--context TOKENS`` (default 4,096): the context length KV caches (and FLOPs) are computed at."""
    return click.option("--context", type=click.IntRange(min=1), default=4096, show_default=True, help=help)
