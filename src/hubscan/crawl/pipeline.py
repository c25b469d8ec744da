"""Crawl orchestration: a listing producer, fetch workers, one writer, derive off the critical path.

```
listing thread ──pages──►  crawl thread (the writer)  ──jobs──►  fetch workers (daemon threads)
   (bounded: ahead pages)     plans each page, batches    ◄─outcomes─┘
                              outcomes into transactions ──ids after commit──► derive thread
```

The crawl thread owns the write connection. Each listed page is planned against the stored file states
(compare the listed ``sha``), its listings and the files the listing already answers are queued on the
writer, and its requests go to the workers while the listing thread asks for the next page. Outcomes are
committed in batches (``CatalogWriter``); a page's next-page URL is committed with the batch that stores
the last outcome of that page and of every page before it, so a resumed crawl continues exactly there.

Ctrl-C (or SIGTERM mapped to it by the CLI) stops within the time it takes to commit the pending batch:
the worker and listing threads are daemons and are not waited for; the run is marked ``interrupted``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from sqlite_utils import Database

from hubscan.crawl.decide import plan_page
from hubscan.crawl.deriver import Deriver, underived_anywhere
from hubscan.crawl.listing import ListingProducer, source_pages
from hubscan.crawl.options import PAGE_SIZE, CrawlOptions, CrawlStats
from hubscan.crawl.plan import estimate, tier_from_policies
from hubscan.derive import derive_models, resolve_families, underived
from hubscan.errors import SourceError
from hubscan.records import FetchedFile, Listing, ListingPage, ListingQuery
from hubscan.store import save
from hubscan.store.writer import CatalogWriter

EventCallback = Callable[[str, CrawlStats], None]


def crawl(
    db: Database, source, options: CrawlOptions | None = None, on_event: EventCallback | None = None
) -> CrawlStats:
    """Crawl ``source`` into ``db``. Per-model failures become rows; only listing failures abort."""
    return _Crawl(db, source, options or CrawlOptions(), on_event).run()


class _Crawl:
    def __init__(self, db: Database, source, options: CrawlOptions, on_event: EventCallback | None):
        self.db, self.source, self.options = db, source, options
        self.on_event = on_event or (lambda event, stats: None)
        self.stats = CrawlStats(source=source.describe())
        self.inbox: queue.Queue = queue.Queue()
        self.jobs: queue.Queue = queue.Queue()
        self.open_pages: OrderedDict[int, dict] = OrderedDict()
        self.pages_stored = 0
        self.listing_done = False
        self.failure: SourceError | None = None

    # -- the run --------------------------------------------------------------------------------------
    def run(self) -> CrawlStats:
        started = time.monotonic()
        start_url, watermark = self._start_run()
        self.writer = CatalogWriter(self.db, self.stats.run_id)
        self.deriver = Deriver(self.db) if self.options.derive else None
        query = ListingQuery(
            author=self.options.author,
            search=self.options.search,
            filters=list(self.options.filters),
            limit=self.options.limit,
            sort=self.options.listing_sort(),
        )
        self.producer = ListingProducer(
            source_pages(self.source, query, start_url, self.options.page_size),
            self.inbox,
            limit=self.options.limit,
            watermark=watermark,
            ahead=self.options.ahead_pages,
        ).start()
        self._start_workers()
        try:
            self._loop()
            self.writer.commit()
            self.stats.status = "failed" if self.failure else "finished"
        except KeyboardInterrupt:
            self.stats.status = "interrupted"
            self._stop()
            self.writer.commit()  # pending outcomes are whole: storing them loses nothing
            raise
        finally:
            self._stop()
            self._finish(started)
        if self.failure is not None:
            raise self.failure
        if self.deriver is not None:
            self.deriver.close()
            leftover = underived_anywhere(self.db)  # stored by an earlier run that was killed before deriving
            self.stats.derived = self.deriver.derived + (derive_models(self.db, leftover) if leftover else 0)
            resolve_families(self.db)
        return self.stats

    def _start_run(self) -> tuple[str | None, str | None]:
        """Mark stale runs, find a resumable cursor and the refresh watermark, and open this run."""
        save.mark_stale_runs(self.db)
        endpoint = self.source.describe()
        scope = self.options.scope(endpoint)
        last = save.last_run_of_scope(self.db, scope)
        start_url, pages = None, 0
        if not self.options.restart and last and last["status"] != "finished" and last["next_cursor"]:
            start_url, pages = last["next_cursor"], last["pages_committed"] or 0
        watermark = self._watermark(endpoint) if self.options.changed_since_last else None
        self.stats.run_id = save.start_run(
            self.db,
            source=getattr(self.source, "kind", "hub"),
            endpoint=endpoint,
            params=self.options.as_params(),
            scope=scope,
            cursor=start_url,
            pages=pages,
            watermark=watermark,
        )
        self.stats.resumed_after_pages = pages if start_url else 0
        self.pages_stored = pages
        return start_url, watermark

    def _watermark(self, endpoint: str) -> str | None:
        """The newest lastModified of the last finished crawl that listed everything in this scope."""
        mine = json.loads(self.options.scope(endpoint))
        for run in save.finished_runs(self.db, getattr(self.source, "kind", "hub"), endpoint):
            theirs = json.loads(run["scope"] or "null")
            if not isinstance(theirs, dict) or theirs.get("limit") is not None or not run["watermark"]:
                continue
            if all(theirs.get(k) == mine.get(k) for k in ("author", "search", "filters")):
                return run["watermark"]
        return None

    def _finish(self, started: float) -> None:
        self.stats.seconds = time.monotonic() - started
        self.stats.commits = self.writer.commits
        budget = getattr(self.source, "budget", None)
        if budget is not None:
            self.stats.rate_pauses, self.stats.rate_paused_seconds = budget.pauses, budget.paused_seconds
        save.finish_run(self.db, self.stats.run_id, status=self.stats.status, counts=self.stats.counts())
        self.on_event("finished", self.stats)

    # -- threads --------------------------------------------------------------------------------------
    def _start_workers(self) -> None:
        for n in range(max(1, self.options.workers) if self.options.wanted_files() else 0):
            threading.Thread(target=self._work, name=f"hubscan-fetch-{n}", daemon=True).start()

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None or self.producer.stop.is_set():
                return
            page_no, listing, path = job
            self.inbox.put(("result", (page_no, listing, path, _fetch(self.source, listing, path))))

    def _stop(self) -> None:
        """Tell the listing and worker threads to end; wait briefly for a listing request in flight."""
        self.producer.stop.set()
        while True:  # requests not started are dropped: they are planned again by the next crawl
            try:
                self.jobs.get_nowait()
            except queue.Empty:
                break
        for _ in range(max(1, self.options.workers)):
            self.jobs.put(None)
        self.producer.thread.join(timeout=0.5)

    # -- the writer loop ------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not (self.listing_done and not self.open_pages):
            try:
                kind, payload = self.inbox.get(timeout=max(0.005, self.writer.due_in()))
            except queue.Empty:
                kind, payload = None, None
            if kind == "result":
                self._on_result(*payload)
            elif kind == "page":
                self._on_page(payload)
            elif kind == "listing_failed":
                self._on_listing_failed(payload)
            elif kind == "listing_done":
                self.listing_done = True
            self.writer.maybe_commit()

    def _on_page(self, page: ListingPage) -> None:
        stats, options, writer = self.stats, self.options, self.writer
        stats.pages += 1
        page_no = stats.pages
        for model_id, reason in page.bad_items:
            kind = reason.split(":", 1)[0] if reason.startswith("duplicate_listing") else "bad_listing_item"
            writer.add_error(model_id=model_id, kind=kind, message=reason)
            stats.bad_items += 1
            stats.count_failure(kind)
        listings = page.listings
        ids = [listing.id for listing in listings]
        previous = save.stored_shas(self.db, ids)
        known, card_shas = save.known_models(self.db, ids)
        plan = plan_page(listings, save.file_states(self.db, ids) if options.wanted_files() else {}, options)
        writer.add_listings(listings, known, card_shas)
        for listing, path in plan.absent:
            writer.add_file(model_id=listing.id, path=path, sha=listing.sha, status="absent")
        stats.listed += len(listings)
        stats.skipped += plan.skipped
        stats.planned += len(plan.jobs)
        stats.eta_seconds = self._eta()
        derive = {x.id for x in listings if options.restart or previous.get(x.id) != x.sha}
        if self.deriver is not None:
            derive |= underived(self.db, ids)
        derive |= {listing.id for listing, _ in plan.jobs}
        newest = max((listing.last_modified for listing in listings if listing.last_modified), default=None)
        self.open_pages[page_no] = {
            "remaining": len(plan.jobs),
            "next_url": page.next_url,
            "derive": [i for i in ids if i in derive],
            "watermark": newest,
        }
        for listing, path in plan.jobs:
            self.jobs.put((page_no, listing, path))
        self.on_event("page", stats)
        self._advance()

    def _eta(self) -> float | None:
        """Seconds the rest of a ``--limit`` crawl takes at the rate limits, from the plan's arithmetic."""
        stats, limit = self.stats, self.options.limit
        if not limit or not stats.listed:
            return None
        remaining = max(0, limit - stats.listed)
        files = round(remaining * stats.planned / stats.listed) + stats.planned - stats.fetched - stats.failed
        budget = getattr(self.source, "budget", None)
        tier = (tier_from_policies(budget.policies) if budget is not None else None) or "anonymous"
        return estimate(remaining, -(-remaining // PAGE_SIZE), max(0, files), tier)["total_seconds"]

    def _on_result(self, page_no: int, listing: Listing, path: str, outcome) -> None:
        if isinstance(outcome, FetchedFile):
            kind = self.writer.add_file(
                model_id=listing.id,
                path=path,
                sha=listing.sha,
                status="ok",
                content=outcome.content,
                etag=outcome.etag,
                http_status=outcome.http_status,
                attempts=outcome.attempts,
            )
            self.stats.fetched += 1
        else:
            kind = self.writer.add_file(
                model_id=listing.id,
                path=path,
                sha=listing.sha,
                status=outcome.kind,
                http_status=outcome.status,
                attempts=1,
                error=str(outcome),
            )
        if kind != "ok":
            self.stats.count_failure(kind)
        self.on_event("fetched" if kind == "ok" else "failed", self.stats)
        self.open_pages[page_no]["remaining"] -= 1
        self._advance()

    def _advance(self) -> None:
        """Store the cursor past every leading page whose outcomes are all queued; free its listing slot."""
        while self.open_pages:
            page_no, page = next(iter(self.open_pages.items()))
            if page["remaining"] > 0:
                return
            del self.open_pages[page_no]
            self.pages_stored += 1
            self.writer.set_cursor(page["next_url"], self.pages_stored, page["watermark"])
            if self.deriver is not None and page["derive"]:
                self.writer.after_commit(lambda ids=page["derive"]: self.deriver.submit(ids))
            self.producer.page_done()

    def _on_listing_failed(self, error: SourceError) -> None:
        """The listing cannot go on: everything listed so far is finished and stored, then the run fails."""
        self.failure = error
        self.writer.add_error(model_id=None, kind=error.kind, message=str(error))
        self.stats.count_failure(error.kind)


def _fetch(source, listing: Listing, path: str) -> FetchedFile | SourceError:
    if path in listing.local_files:
        return FetchedFile(content=listing.local_files[path])
    try:
        return source.fetch_file(listing.id, path, listing.sha)
    except SourceError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - one model's surprise must not stop the crawl
        return SourceError(f"{type(exc).__name__}: {exc}", kind="error")
