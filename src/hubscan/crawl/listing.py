"""The listing producer: its own thread, pages handed over through a bounded queue.

It validates what the source returns beyond single items (those the source validates): a model id seen
twice in one run is a ``duplicate_listing`` item, a ``next`` cursor seen twice stops the listing as a
``listing_loop`` failure, ``limit`` and the ``--changed-since-last`` watermark end the listing early.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from hubscan.errors import SourceError
from hubscan.records import Listing, ListingPage, ListingQuery


def source_pages(source, query: ListingQuery, start_url: str | None, page_size: int) -> Iterator[ListingPage]:
    """Pages from a Hub source (with cursors), or a local source's models cut into pages."""
    if hasattr(source, "iter_pages"):
        yield from _hub_pages(source, query, start_url)
        return
    page: list[Listing] = []
    for listing in source.iter_models(
        author=query.author, search=query.search, filters=query.filters, limit=query.limit
    ):
        page.append(listing)
        if len(page) >= page_size:
            yield ListingPage(listings=page)
            page = []
    if page:
        yield ListingPage(listings=page)


def _hub_pages(source, query: ListingQuery, start_url: str | None) -> Iterator[ListingPage]:
    """The Hub's pages from ``start_url``; a stored cursor the Hub refuses (4xx: expired or damaged) is
    dropped and the listing starts again from the first page, so a resume can never be stuck on it."""
    pages = source.iter_pages(query, start_url)
    if start_url is None:
        yield from pages
        return
    try:
        first = next(pages)
    except StopIteration:
        return
    except SourceError as exc:
        if exc.status is None or not 400 <= exc.status < 500 or exc.status == 429:
            raise
        pages = source.iter_pages(query, None)
        first = next(pages, None)
        if first is None:
            return
    yield first
    yield from pages


class ListingProducer:
    """Lists pages on a daemon thread into ``inbox`` as ("page", page), ("listing_failed", error) and
    finally ("listing_done", None). At most ``ahead`` pages are handed over before ``page_done`` frees one."""

    def __init__(
        self, pages: Iterator[ListingPage], inbox: queue.Queue | None, *, limit=None, watermark=None, ahead=2
    ):
        self.pages = pages
        self.inbox = inbox
        self.limit = limit
        self.watermark = watermark
        self.stop = threading.Event()
        self._slots = threading.Semaphore(max(1, ahead))
        self._seen_ids: set[int] = set()
        self._seen_urls: set[str] = set()
        self._count = 0
        self.thread = threading.Thread(target=self._run, name="hubscan-listing", daemon=True)

    def start(self) -> ListingProducer:
        self.thread.start()
        return self

    def page_done(self) -> None:
        self._slots.release()

    def _run(self) -> None:
        try:
            for page in self.pages:
                if self.stop.is_set() or not self._wait_for_slot():
                    return
                ended = self.check(page)
                self.inbox.put(("page", page))
                if ended:
                    return
        except SourceError as exc:
            self.inbox.put(("listing_failed", exc))
        except Exception as exc:  # noqa: BLE001 - a listing surprise ends the listing, never the writer
            self.inbox.put(("listing_failed", SourceError(f"{type(exc).__name__}: {exc}", kind="listing")))
        finally:
            self.inbox.put(("listing_done", None))

    def _wait_for_slot(self) -> bool:
        while not self._slots.acquire(timeout=0.1):
            if self.stop.is_set():
                return False
        return True

    def check(self, page: ListingPage) -> bool:
        """Drop repeated ids, apply limit and watermark; True when the listing ends with this page."""
        kept: list[Listing] = []
        ended = False
        for listing in page.listings:
            key = hash(listing.id)  # 64-bit: ids themselves would cost ~70 MB at 760k models
            if key in self._seen_ids:
                page.bad_items.append((listing.id, "duplicate_listing: listed twice in one run"))
                continue
            if self.watermark and listing.last_modified and listing.last_modified < self.watermark:
                ended = True
                break
            self._seen_ids.add(key)
            kept.append(listing)
            self._count += 1
            if self.limit is not None and self._count >= self.limit:
                ended = True
                break
        page.listings = kept
        if page.next_url is None:
            ended = True
        elif page.next_url in self._seen_urls or page.next_url == page.url:
            if self.inbox is not None:
                self.inbox.put(("page", page))
            raise SourceError(f"The listing cursor repeats ({page.next_url}): stopped", kind="listing_loop")
        else:
            self._seen_urls.add(page.next_url)
        if ended:
            page.next_url = None
        return ended
