"""What a crawl is asked to do (``CrawlOptions``) and what it did (``CrawlStats``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

PAGE_SIZE = 1000  # the Hub's page size for list_models; also the page size for local sources
FILES = {"config": ("config.json",), "card": ("README.md",), "all": ("config.json", "README.md")}


@dataclass
class CrawlOptions:
    author: str | None = None
    search: str | None = None
    filters: list[str] = field(default_factory=list)
    limit: int | None = None
    workers: int = 8
    cards: str = "yaml"  # "yaml": front matter from the listing only; "full": also fetch README.md bodies
    files: str | None = None  # "config" | "card" | "all"; None: from ``cards`` (config, or all with full)
    listing_only: bool = False  # no file requests at all: everything from the listing
    sort: str | None = None  # a Hub sort key (descending), None: the Hub's default order
    changed_since_last: bool = False  # sort by lastModified and stop at the last finished crawl's watermark
    restart: bool = False  # refetch everything and ignore a stored listing cursor
    retry_errors: bool = True  # refetch files whose last attempt failed transiently
    retry_failed: bool = False  # also refetch final failures (missing, gated, repo_not_found, too_large…)
    retry_after_days: float = 7.0  # repo_not_found is retried this long after it was recorded
    has_token: bool = False  # a token is given now: gated files recorded without one are retried
    derive: bool = True
    page_size: int = PAGE_SIZE
    ahead_pages: int = 2  # listed pages that may wait for their files (bounds memory)

    def wanted_files(self) -> tuple[str, ...]:
        if self.listing_only:
            return ()
        if self.files is not None:
            return FILES[self.files]
        return FILES["all"] if self.cards == "full" else FILES["config"]

    def listing_sort(self) -> str | None:
        return "lastModified" if self.changed_since_last else self.sort

    def as_params(self) -> dict:
        # Recorded in crawl_runs.params: never add credentials here.
        return {
            "author": self.author,
            "search": self.search,
            "filters": self.filters,
            "limit": self.limit,
            "workers": self.workers,
            "cards": self.cards,
            "files": list(self.wanted_files()),
            "sort": self.listing_sort(),
            "listing_only": self.listing_only,
            "changed_since_last": self.changed_since_last,
            "restart": self.restart,
            "retry_failed": self.retry_failed,
        }

    def scope(self, endpoint: str | None) -> str:
        """What the listing covers: a stored cursor is only continued by a run of the same scope."""
        return json.dumps(
            {
                "endpoint": endpoint,
                "author": self.author,
                "search": self.search,
                "filters": sorted(self.filters),
                "sort": self.listing_sort(),
                "limit": self.limit,
                "files": list(self.wanted_files()),
            },
            sort_keys=True,
        )


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
    resumed_after_pages: int = 0
    bad_items: int = 0
    commits: int = 0
    planned: int = 0  # file requests planned so far
    eta_seconds: float | None = None  # with --limit: the rest at the rate limits (as --plan computes it)
    datasets: int = 0  # with --datasets: dataset rows fetched after the models
    failures_by_kind: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "models_listed": self.listed,
            "files_fetched": self.fetched,
            "files_skipped": self.skipped,
            "failures": self.failed,
        }

    def count_failure(self, kind: str) -> None:
        self.failed += 1
        self.failures_by_kind[kind] = self.failures_by_kind.get(kind, 0) + 1

    def summary(self) -> str:
        failures = ", ".join(f"{n} {kind}" for kind, n in sorted(self.failures_by_kind.items()))
        text = (
            f"Crawl run {self.run_id} {self.status} in {self.seconds:.1f}s from {self.source}: "
            f"{self.listed} models listed over {self.pages} page(s), {self.fetched} files fetched, "
            f"{self.skipped} unchanged files skipped, {self.failed} failures"
        )
        text += f" ({failures})." if failures else "."
        if self.resumed_after_pages:
            text += f" Resumed after {self.resumed_after_pages} stored listing page(s)."
        if self.rate_pauses:
            text += (
                f" Paused {self.rate_pauses} time(s), {self.rate_paused_seconds:.0f}s in all, to stay within the"
                " Hub's rate limit."
            )
        if self.derived:
            text += f" Derived footprints and emissions for {self.derived} models."
        if self.datasets:
            text += f" Fetched {self.datasets} dataset(s) the cards name."
        return text
