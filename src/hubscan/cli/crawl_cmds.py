"""Commands: crawl_cmds (filled in by its owner)."""

from hubscan.cli import cli  # noqa: F401
