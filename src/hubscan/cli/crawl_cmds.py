"""Commands that fill the catalog: crawl, derive, stats, demo."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from urllib.parse import urlsplit

import click
from tqdm import tqdm

from hubscan.cli import cli
from hubscan.cli.options import context_option, db_option, quiet_option
from hubscan.crawl import TIERS, CrawlOptions, plan_crawl
from hubscan.crawl import crawl as run_crawl
from hubscan.crawl.datasets import crawl_datasets
from hubscan.demo import run_demo
from hubscan.derive import derive_all
from hubscan.errors import SourceError
from hubscan.report.stats import catalog_stats
from hubscan.source import SORT_KEYS, make_source
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


def _crawl_options(func):
    """The options that say what to crawl, in which order, and what to fetch (beside the listing)."""
    options = [
        click.option("--author", help="Only models owned by this user or organisation."),
        click.option("--search", help="Only models whose id contains this text."),
        click.option(
            "--filter",
            "filters",
            multiple=True,
            metavar="TAG",
            help="Only models with this tag (repeatable, ANDed).",
        ),
        click.option("--limit", type=click.IntRange(min=1), help="Stop after this many models."),
        click.option(
            "--sort",
            type=click.Choice(list(SORT_KEYS)),
            help="List in this order, descending as the Hub sorts (most-downloaded first with downloads). "
            "Default: the Hub's own order.",
        ),
        click.option(
            "--changed-since-last",
            is_flag=True,
            help="Sort by lastModified and stop at the newest change the last finished full crawl saw: a refresh "
            "of an unchanged Hub costs one listing page. It cannot see deletions, nor changes that do not touch "
            "lastModified (downloads, likes): run a full crawl for those.",
        ),
        click.option(
            "--listing-only",
            is_flag=True,
            help="No file requests at all: parameters from the listing's safetensors counts, card metadata from "
            "its cardData.",
        ),
        click.option(
            "--files",
            type=click.Choice(["config", "card", "all"]),
            help="Files to fetch per model: config.json, README.md or both (default: from --cards).",
        ),
        click.option(
            "--cards",
            type=click.Choice(["yaml", "full"]),
            default="yaml",
            show_default=True,
            help="yaml: card front matter from the listing (no extra requests); full: also fetch README.md bodies.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _request_options(func):
    """One retry and deadline policy for every request, listing included."""
    options = [
        click.option(
            "--timeout",
            type=float,
            default=30.0,
            show_default=True,
            help="Seconds per request before retrying.",
        ),
        click.option(
            "--retries", type=click.IntRange(0, 20), default=5, show_default=True, help="Retries per request."
        ),
        click.option(
            "--file-deadline",
            type=click.FloatRange(min=1),
            default=None,
            help="Seconds one file may take in all, retries and a trickling body included "
            "[default: 2 x --timeout x (--retries + 1), at most 120].",
        ),
        click.option(
            "--max-file-size",
            type=int,
            default=5 * 1024 * 1024,
            show_default=True,
            help="Bytes; larger files are recorded as too_large.",
        ),
        click.option(
            "--retry-failed",
            is_flag=True,
            help="Also refetch files whose last outcome was final for that commit (missing, gated, too_large, "
            "repo_not_found…). Without it, gated files are retried when a token is given and repo_not_found "
            "after --retry-after days.",
        ),
        click.option(
            "--retry-after",
            type=click.FloatRange(min=0),
            default=7.0,
            show_default=True,
            metavar="DAYS",
            help="Retry repo_not_found files this many days after they were recorded.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command()
@click.option(
    "--endpoint", metavar="URL", help="Hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)."
)
@db_option("Catalog database (created if missing).")
@_crawl_options
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
    "--resume/--restart",
    default=True,
    show_default=True,
    help="--resume continues an interrupted crawl from its last stored listing page and skips files already "
    "stored for the same commit; --restart lists from page 1 and refetches everything.",
)
@click.option(
    "--source",
    default="hub",
    show_default=True,
    metavar="hub|cache|dir:PATH",
    help="hub: the Hub API; cache: your local HF cache; dir:PATH: a folder of model repos.",
)
@_request_options
@click.option("--no-derive", is_flag=True, help="Store raw data only; run `hubscan derive` later.")
@click.option(
    "--datasets",
    "with_datasets",
    is_flag=True,
    help="Also fetch the datasets the cards name (HfApi.dataset_info: size categories, for "
    "`hubscan correlate --x dataset_size`).",
)
@click.option(
    "--plan",
    is_flag=True,
    help="Read the listing only and print what the crawl would request and how long the rate limits make it "
    "take; nothing is fetched or written.",
)
@click.option(
    "--tier",
    type=click.Choice(list(TIERS)),
    help="Rate-limit tier for --plan (default: what the endpoint's RateLimit-Policy says, else anonymous).",
)
@click.option("--json", "as_json", is_flag=True, help="With --plan: print the plan as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show the Hub client's warnings (counted otherwise).")
@quiet_option
def crawl(
    endpoint,
    db_path,
    token,
    workers,
    resume,
    source,
    no_derive,
    plan,
    tier,
    as_json,
    with_datasets,
    verbose,
    quiet,
    **kw,
):
    """Crawl model listings, config.json files and cards into the catalog.

    Lists models with one API request per page of 1000, then fetches config.json (and README.md with
    --cards full) only for models whose commit differs from what the catalog holds. Safe to interrupt
    (Ctrl-C or SIGTERM stop within seconds, exit 130): run it again and it continues from the last stored
    listing page. Failures (missing files, gated repos, invalid JSON, timeouts, bad listing items) are
    recorded in crawl_errors and the crawl goes on.

    \b
    Examples:
        hubscan crawl --sort downloads --limit 1000
        hubscan crawl --author google --limit 200
        hubscan crawl --listing-only --plan
        hubscan crawl --changed-since-last
        hubscan crawl --endpoint http://127.0.0.1:8000 --cards full
        hubscan crawl --source dir:./my-models
    """
    _use_endpoint(endpoint, source)
    if verbose:
        enable_verbose()
    options = CrawlOptions(
        author=kw["author"],
        search=kw["search"],
        filters=list(kw["filters"]),
        limit=kw["limit"],
        workers=workers,
        cards=kw["cards"],
        files=kw["files"],
        listing_only=kw["listing_only"],
        sort=kw["sort"],
        changed_since_last=kw["changed_since_last"],
        restart=not resume,
        retry_failed=kw["retry_failed"],
        retry_after_days=kw["retry_after"],
        has_token=bool(token),
        derive=not no_derive,
    )
    hub_options = {
        "timeout": kw["timeout"],
        "max_retries": kw["retries"],
        "max_file_bytes": kw["max_file_size"],
        "rate_reserve": workers,
        "file_deadline": kw["file_deadline"] or min(120.0, 2 * kw["timeout"] * (kw["retries"] + 1)),
    }
    src = make_source(source, endpoint=endpoint, token=token, **(hub_options if source == "hub" else {}))
    if plan:
        _print_plan(plan_crawl(_plan_db(db_path), src, options, tier=tier), as_json)
        return
    db = open_db(db_path)
    try:
        with _progress(quiet) as on_event, _sigterm_as_interrupt():
            try:
                stats = run_crawl(db, src, options, on_event=on_event)
            except KeyboardInterrupt:
                click.echo(
                    "Interrupted: everything stored so far is kept; run the same command to resume.", err=True
                )
                sys.exit(130)
        if with_datasets:
            stats.datasets = crawl_datasets(db, endpoint=endpoint, token=token)
    finally:
        close_db(db)
    click.echo(stats.summary() + CLIENT_LOG.summary(), err=True)


def _plan_db(db_path):
    """The catalog to compare with, read-only; none yet means every file would be fetched."""
    return open_db_read_only(db_path) if os.path.exists(db_path) else None


def _print_plan(plan: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(plan, indent=2))
        return
    click.echo(f"Crawl plan at the {plan['tier']} tier's rate limits:")
    rows = [
        ("models listed", f"{plan['models']:,}"),
        ("listing requests", f"{plan['listing_requests']:,}  ({plan['api_seconds']:,.0f} s of api quota)"),
        (
            "file requests",
            f"{plan['file_requests']:,}  ({plan['resolver_seconds']:,.0f} s of resolver quota)",
        ),
        ("crawl time", _duration(plan["total_seconds"])),
    ]
    for name, value in rows:
        click.echo(f"  {name:<17} {value}")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class _sigterm_as_interrupt:
    """SIGTERM stops a crawl the way Ctrl-C does (run marked interrupted, exit 130)."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        return False


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


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
            if stats.listed > self.bar.n:
                self.bar.update(stats.listed - self.bar.n)
            extra = {} if stats.eta_seconds is None else {"quota_eta": _duration(stats.eta_seconds)}
            self.bar.set_postfix(
                fetched=stats.fetched, skipped=stats.skipped, failed=stats.failed, **extra, refresh=False
            )

        return on_event

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False


@cli.command()
@db_option()
@context_option("Context length for KV cache.")
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
