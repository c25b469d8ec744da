"""Commands that fill the catalog: crawl, derive, stats, demo."""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import urlsplit

import click
from tqdm import tqdm

from hubscan.cli import cli
from hubscan.cli.options import db_option, quiet_option
from hubscan.crawl import CrawlOptions
from hubscan.crawl import crawl as run_crawl
from hubscan.demo import run_demo
from hubscan.derive import derive_all
from hubscan.errors import SourceError
from hubscan.report.stats import catalog_stats
from hubscan.source import make_source
from hubscan.source.client_log import CLIENT_LOG, enable_verbose
from hubscan.store import close_db, open_db, open_db_read_only


def _use_endpoint(endpoint: str | None, source: str) -> None:
    if source == "hub" and os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        raise SourceError(
            "HF_HUB_OFFLINE is set, so the Hub cannot be crawled: unset it, or index what you have offline "
            "with --source cache or --source dir:PATH.",
            kind="usage",
        )
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceError(
                f"--endpoint {endpoint!r} is not an http(s) URL (e.g. http://127.0.0.1:8000).", kind="usage"
            )
    # huggingface_hub reads HF_ENDPOINT once, at import: set it before the first import so that every
    # call (not only HfApi methods) goes to the chosen endpoint.
    if endpoint:
        os.environ["HF_ENDPOINT"] = endpoint.rstrip("/")


@cli.command()
@click.option(
    "--endpoint", metavar="URL", help="Hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)."
)
@db_option("Catalog database (created if missing).")
@click.option("--author", help="Only models owned by this user or organisation.")
@click.option("--search", help="Only models whose id contains this text.")
@click.option(
    "--filter", "filters", multiple=True, metavar="TAG", help="Only models with this tag (repeatable, ANDed)."
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many models.")
@click.option(
    "--token",
    envvar="HF_TOKEN",
    show_envvar=True,
    help="Hub token for gated/private repos. Sent to the Hub only; never stored or printed.",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=8, show_default=True, help="Concurrent file downloads."
)
@click.option(
    "--cards",
    type=click.Choice(["yaml", "full"]),
    default="yaml",
    show_default=True,
    help="yaml: card front matter from the listing (no extra requests); full: also fetch README.md bodies.",
)
@click.option(
    "--resume/--restart",
    default=True,
    show_default=True,
    help="--resume skips files already stored for the same commit; --restart refetches everything.",
)
@click.option(
    "--source",
    default="hub",
    show_default=True,
    metavar="hub|cache|dir:PATH",
    help="hub: the Hub API; cache: your local HF cache; dir:PATH: a folder of model repos.",
)
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Seconds per request before retrying."
)
@click.option(
    "--retries", type=click.IntRange(0, 20), default=5, show_default=True, help="Retries per request."
)
@click.option(
    "--max-file-size",
    type=int,
    default=5 * 1024 * 1024,
    show_default=True,
    help="Bytes; larger files are recorded as too_large.",
)
@click.option("--no-derive", is_flag=True, help="Store raw data only; run `hubscan derive` later.")
@click.option("-v", "--verbose", is_flag=True, help="Show the Hub client's warnings (counted otherwise).")
@quiet_option
def crawl(
    endpoint,
    db_path,
    author,
    search,
    filters,
    limit,
    token,
    workers,
    cards,
    resume,
    source,
    timeout,
    retries,
    max_file_size,
    no_derive,
    verbose,
    quiet,
):
    """Crawl model listings, config.json files and cards into the catalog.

    Lists models with one API request per page of 1000, then fetches config.json (and README.md with
    --cards full) only for models whose commit differs from what the catalog holds. Safe to interrupt:
    run it again and it continues where it stopped. Failures (missing files, gated repos, invalid JSON,
    timeouts) are recorded in crawl_errors and the crawl goes on.

    \b
    Examples:
        hubscan crawl --author google --limit 200
        hubscan crawl --endpoint http://127.0.0.1:8000 --cards full
        hubscan crawl --source cache
        hubscan crawl --source dir:./my-models
    """
    _use_endpoint(endpoint, source)
    if verbose:
        enable_verbose()

    options = CrawlOptions(
        author=author,
        search=search,
        filters=list(filters),
        limit=limit,
        workers=workers,
        cards=cards,
        restart=not resume,
        derive=not no_derive,
    )
    src = make_source(
        source,
        endpoint=endpoint,
        token=token,
        **(
            {
                "timeout": timeout,
                "max_retries": retries,
                "max_file_bytes": max_file_size,
                "rate_reserve": workers,
            }
            if source == "hub"
            else {}
        ),
    )
    db = open_db(db_path)
    try:
        with _progress(quiet) as on_event:
            stats = run_crawl(db, src, options, on_event=on_event)
    finally:
        close_db(db)
    click.echo(stats.summary() + CLIENT_LOG.summary(), err=True)


class _progress:
    """tqdm counters on stderr when it is a terminal; silent otherwise."""

    def __init__(self, quiet: bool):
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda event, stats: None
        self.bar = tqdm(desc="models", unit=" models", file=sys.stderr, dynamic_ncols=True)

        def on_event(event, stats):
            if event == "listed":
                self.bar.update(1)
            self.bar.set_postfix(
                fetched=stats.fetched, skipped=stats.skipped, failed=stats.failed, refresh=False
            )

        return on_event

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False


@cli.command()
@db_option()
@click.option(
    "--context",
    type=click.IntRange(min=1),
    default=4096,
    show_default=True,
    help="Context length for KV cache.",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Use transformers on the meta device where no formula applies (needs hubscan[exact]).",
)
def derive(db_path, context, exact):
    """Recompute footprints, reported/estimated emissions and lineage from stored raw data (offline)."""

    db = open_db(db_path, create=False)
    try:
        result = derive_all(db, context=context, use_transformers=exact)
    finally:
        close_db(db)
    click.echo(f"Derived {result['models']} models; lineage: {json.dumps(result['lineage'])}", err=True)


@cli.command()
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def stats(db_path, as_json):
    """Counts by status and model_type, failures by kind, and the last crawl run."""

    result = catalog_stats(open_db_read_only(db_path))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"Catalog {db_path}: {result['models']} models")
    for section in ("configs", "files", "errors", "model_types"):
        items = result[section]
        if items:
            click.echo(f"  {section}: " + ", ".join(f"{k}={v}" for k, v in items.items()))
    last = result["last_run"]
    if last:
        click.echo(
            f"  last run {last['id']}: {last['status']} {last['started_at']} → {last['finished_at'] or '…'}"
            f" ({last['models_listed']} listed, {last['files_fetched']} fetched, {last['failures']} failures)"
        )


@cli.command()
@db_option()
@click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--cards", type=click.Choice(["yaml", "full"]), default="full", show_default=True)
@quiet_option
def demo(db_path, workers, cards, quiet):
    """Serve the bundled sample Hub on a free loopback port and crawl it through the real client.

    The sample Hub holds real config.json files and card metadata from the Hub. The catalog lands in
    db/hubscan.db (or --db); afterwards the headline results are printed.
    """

    run_demo(db_path, workers=workers, cards=cards, quiet=quiet, echo=click.echo, progress=_progress)
