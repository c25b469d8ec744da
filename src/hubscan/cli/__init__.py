"""The ``hubscan`` command line. Commands are thin: parse options, call one library function, render.

Each command group lives in its own module and registers itself on ``cli`` when imported below.
"""

import click

from hubscan import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hubscan")
def cli():
    """Mine the Hugging Face Hub into a local SQLite catalog and ask it what models are and cost.

    \b
    Start here:
        hubscan demo                      crawl the bundled sample Hub into db/hubscan.db
        hubscan crawl --author google     crawl the real Hub (or --endpoint URL)
        hubscan inspect config.json       parameters, memory and FLOPs of one config
        hubscan footprint --by model_type what the catalog holds, per family
    """


# Registration order is the order `hubscan --help` lists them.
from hubscan.cli import crawl_cmds, estimate_cmds, inspect_cmds, mirror_cmds, query_cmds  # noqa: E402,F401
