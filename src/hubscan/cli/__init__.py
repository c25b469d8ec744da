"""The ``hubscan`` command line. Commands are thin: parse options, call one library function, render.

Errors: every :class:`~hubscan.errors.HubscanError` becomes one line on stderr and exit status 1, mapped once
in :class:`HubscanGroup`; ``HUBSCAN_DEBUG=1`` shows the traceback instead.
Each command group lives in its own module and registers itself on ``cli`` when imported below.
"""

import importlib
import os
import sqlite3

import click

from hubscan import __version__
from hubscan.errors import HubscanError

# Each command's module, in the order `hubscan --help` lists them. Modules are imported when their command is
# used, so `hubscan --help` or `hubscan stats` does not load pandas, matplotlib or pyarrow.
COMMAND_MODULES = {
    "demo": "crawl_cmds", "crawl": "crawl_cmds", "derive": "crawl_cmds", "stats": "crawl_cmds",
    "footprint": "query_cmds", "emissions": "query_cmds", "sql": "query_cmds", "plot": "query_cmds",
    "browse": "query_cmds", "show": "catalog_cmds", "history": "catalog_cmds", "changes": "catalog_cmds",
    "export": "catalog_cmds", "trends": "research_cmds", "correlate": "research_cmds",
    "adoption": "research_cmds", "report": "research_cmds", "crawl-datasets": "research_cmds",
    "inspect": "inspect_cmds", "estimate": "estimate_cmds", "mirror": "mirror_cmds",
}  # fmt: skip


class HubscanGroup(click.Group):
    """A click group that loads commands on first use and turns hubscan errors into one-line messages."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMAND_MODULES) + sorted(set(self.commands) - set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMAND_MODULES:
            importlib.import_module(f"hubscan.cli.{COMMAND_MODULES[name]}")
        return self.commands.get(name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HubscanError as exc:
            if os.environ.get("HUBSCAN_DEBUG"):
                raise
            raise click.ClickException(str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            # A catalog damaged where no check looked (e.g. garbage in a page a query reads): one line.
            # Only the plain DatabaseError means damage; IntegrityError and the like are bugs to report.
            if os.environ.get("HUBSCAN_DEBUG") or type(exc) is not sqlite3.DatabaseError:
                raise
            raise click.ClickException(
                f"The catalog file is damaged or is not a hubscan catalog (SQLite: {exc})."
            ) from exc


@click.group(cls=HubscanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hubscan")
def cli():
    """Mine the Hugging Face Hub into a local SQLite catalog and ask it what models are and cost.

    \b
    Start here:
        hubscan demo                      crawl the bundled sample Hub into db/hubscan.db
        hubscan crawl --author google     crawl the real Hub (or --endpoint URL)
        hubscan inspect config.json       parameters, memory and FLOPs of one config
        hubscan footprint --by model_type what the catalog holds, per family

    Set HUBSCAN_DB to use another catalog by default; HUBSCAN_DEBUG=1 shows tracebacks.
    """
