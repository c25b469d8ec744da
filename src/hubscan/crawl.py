"""Crawl orchestration: listing pages → which files changed → bounded concurrent fetch → store → derive.

Resumability comes from the catalog itself: listings are committed page by page and every file outcome
is committed as it arrives, keyed by (model, path, commit sha). A restarted crawl re-reads the listing
(cheap: one request per page) and fetches only files whose stored state is missing, transient, or for an
older commit. So a crawl killed at any point loses at most the in-flight requests and never duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from sqlite_utils import Database

from hubscan.derive import derive_models, resolve_families, underived
from hubscan.errors import SourceError
from hubscan.records import FetchedFile, Listing
from hubscan.store import save

PAGE_SIZE = 1000  # the Hub's page size for list_models; also our commit unit


@dataclass
class CrawlOptions:
    author: str | None = None
    search: str | None = None
    filters: list[str] = field(default_factory=list)
    limit: int | None = None
    workers: int = 8
    cards: str = "yaml"  # "yaml": front matter from the listing only; "full": also fetch README.md bodies
    restart: bool = False  # refetch everything, ignoring stored state
    retry_errors: bool = True  # refetch files whose last attempt failed transiently
    derive: bool = True
    page_size: int = PAGE_SIZE

    def wanted_files(self) -> tuple[str, ...]:
        return ("config.json", "README.md") if self.cards == "full" else ("config.json",)

    def as_params(self) -> dict:
        # Recorded in crawl_runs.params: never add credentials here.
        return {
            "author": self.author,
            "search": self.search,
            "filters": self.filters,
            "limit": self.limit,
            "workers": self.workers,
            "cards": self.cards,
            "restart": self.restart,
        }


@dataclass
class CrawlStats:
    run_id: int = 0
    source: str = ""
    listed: int = 0
    fetched: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    derived: int = 0
    status: str = "running"
    seconds: float = 0.0
    rate_pauses: int = 0
    rate_paused_seconds: float = 0.0
    failures_by_kind: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "models_listed": self.listed,
            "files_fetched": self.fetched,
            "files_skipped": self.skipped,
            "failures": self.failed,
        }

    def summary(self) -> str:
        failures = ", ".join(f"{n} {kind}" for kind, n in sorted(self.failures_by_kind.items()))
        text = (
            f"Crawl run {self.run_id} {self.status} in {self.seconds:.1f}s from {self.source}: "
            f"{self.listed} models listed over {self.pages} page(s), {self.fetched} files fetched, "
            f"{self.skipped} unchanged files skipped, {self.failed} failures"
        )
        text += f" ({failures})." if failures else "."
        if self.rate_pauses:
            text += (
                f" Paused {self.rate_pauses} time(s), {self.rate_paused_seconds:.0f}s in all, to stay within the"
                " Hub's rate limit."
            )
        if self.derived:
            text += f" Derived footprints and emissions for {self.derived} models."
        return text


EventCallback = Callable[[str, CrawlStats], None]


def crawl(
    db: Database, source, options: CrawlOptions | None = None, on_event: EventCallback | None = None
) -> CrawlStats:
    """Crawl ``source`` into ``db``. Per-model failures become rows; only listing failures abort."""
    options = options or CrawlOptions()
    on_event = on_event or (lambda event, stats: None)
    stats = CrawlStats(source=source.describe())
    started = time.monotonic()
    stats.run_id = save.start_run(
        db, source=getattr(source, "kind", "hub"), endpoint=source.describe(), params=options.as_params()
    )
    page: list[Listing] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
            for listing in source.iter_models(
                author=options.author, search=options.search, filters=options.filters, limit=options.limit
            ):
                page.append(listing)
                stats.listed += 1
                on_event("listed", stats)
                if len(page) >= options.page_size:
                    _process_page(db, source, page, options, stats, pool, on_event)
                    page = []
            _process_page(db, source, page, options, stats, pool, on_event)
        stats.status = "finished"
    except SourceError as exc:
        stats.status = "failed"
        save.record_error(db, stats.run_id, model_id=None, kind=exc.kind, message=str(exc))
        raise
    except KeyboardInterrupt:
        stats.status = "interrupted"
        raise
    finally:
        stats.seconds = time.monotonic() - started
        budget = getattr(source, "budget", None)
        if budget is not None:
            stats.rate_pauses, stats.rate_paused_seconds = budget.pauses, budget.paused_seconds
        save.finish_run(db, stats.run_id, status=stats.status, counts=stats.counts())
        on_event("finished", stats)
    if options.derive:
        resolve_families(db)
    return stats


def _process_page(db, source, page, options, stats, pool, on_event) -> None:
    if not page:
        return
    stats.pages += 1
    ids = [listing.id for listing in page]
    previous_shas = save.stored_shas(db, ids)
    save.save_listings(db, page, stats.run_id)
    jobs = _plan_fetches(db, page, options, stats)
    on_event("page", stats)
    futures = {pool.submit(_fetch, source, job): job for job in jobs}
    for future in as_completed(futures):
        listing, path = futures[future]
        outcome = future.result()
        if isinstance(outcome, FetchedFile):
            kind = save.save_file_result(
                db,
                model_id=listing.id,
                path=path,
                sha=listing.sha,
                status="ok",
                content=outcome.content,
                etag=outcome.etag,
                http_status=outcome.http_status,
                attempts=outcome.attempts,
                run_id=stats.run_id,
            )
            stats.fetched += 1
        else:
            kind = save.save_file_result(
                db,
                model_id=listing.id,
                path=path,
                sha=listing.sha,
                status=outcome.kind,
                http_status=outcome.status,
                attempts=1,
                error=str(outcome),
                run_id=stats.run_id,
            )
        if kind != "ok":
            stats.failed += 1
            stats.failures_by_kind[kind] = stats.failures_by_kind.get(kind, 0) + 1
        on_event("fetched" if kind == "ok" else "failed", stats)
    if options.derive:
        # Derived rows depend only on what a commit holds: re-derive new or changed models, the ones whose
        # files were just (re)fetched, and any left underived (e.g. by an earlier --no-derive crawl).
        changed = {listing.id for listing in page if previous_shas.get(listing.id) != listing.sha}
        changed |= {listing.id for listing, _ in jobs}
        if options.restart:
            changed = set(ids)
        changed |= underived(db, ids)
        if changed:
            stats.derived += derive_models(db, [i for i in ids if i in changed])


def _plan_fetches(
    db, page: list[Listing], options: CrawlOptions, stats: CrawlStats
) -> list[tuple[Listing, str]]:
    states = {} if options.restart else save.file_states(db, [listing.id for listing in page])
    jobs = []
    for listing in page:
        for path in options.wanted_files():
            state = states.get((listing.id, path))
            unchanged = state is not None and listing.sha is not None and state["sha"] == listing.sha
            if unchanged and (state["status"] in save.FINAL_FILE_STATUSES or not options.retry_errors):
                stats.skipped += 1
                continue
            if listing.siblings is not None and path not in listing.siblings:
                # The listing says the file does not exist at this commit: no request needed.
                save.save_file_result(db, model_id=listing.id, path=path, sha=listing.sha, status="absent")
                continue
            jobs.append((listing, path))
    return jobs


def _fetch(source, job: tuple[Listing, str]) -> FetchedFile | SourceError:
    listing, path = job
    if path in listing.local_files:
        return FetchedFile(content=listing.local_files[path])
    try:
        return source.fetch_file(listing.id, path, listing.sha)
    except SourceError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - one model's surprise must not stop the crawl
        return SourceError(f"{type(exc).__name__}: {exc}", kind="error")
