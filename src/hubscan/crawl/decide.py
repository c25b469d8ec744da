"""Which files of a listed page need a request: pure decisions shared by the crawl and ``--plan``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from hubscan.crawl.options import CrawlOptions
from hubscan.records import Listing
from hubscan.store.save import FINAL_FILE_STATUSES


@dataclass
class PagePlan:
    jobs: list[tuple[Listing, str]] = field(default_factory=list)  # (listing, path) to request
    absent: list[tuple[Listing, str]] = field(default_factory=list)  # the listing says: no such file
    skipped: int = 0  # stored for this commit already


def plan_page(
    listings: list[Listing],
    states: dict[tuple[str, str], dict],
    options: CrawlOptions,
    now: datetime | None = None,
) -> PagePlan:
    plan = PagePlan()
    now = now or datetime.now(timezone.utc)
    for listing in listings:
        for path in options.wanted_files():
            state = None if options.restart else states.get((listing.id, path))
            if state is not None and not needs_fetch(state, listing, options, now):
                plan.skipped += 1
            elif listing.siblings is not None and path not in listing.siblings:
                plan.absent.append((listing, path))
            else:
                plan.jobs.append((listing, path))
    return plan


def needs_fetch(state: dict, listing: Listing, options: CrawlOptions, now: datetime) -> bool:
    """Whether a stored file outcome must be requested again.

    A different (or unknown) commit always refetches; a transient failure is retried (``retry_errors``);
    a final outcome other than ok/absent is retried with ``retry_failed``, a ``gated`` one recorded without
    a token (401) when a token is given now, and a ``repo_not_found`` one after ``retry_after_days``.
    """
    if listing.sha is None or state["sha"] != listing.sha:
        return True
    status = state["status"]
    if status in ("ok", "absent"):
        return False
    if status not in FINAL_FILE_STATUSES:
        return options.retry_errors
    if options.retry_failed:
        return True
    if status == "gated":
        return options.has_token and state.get("http_status") != 403
    if status == "repo_not_found":
        return _age_days(state.get("fetched_at"), now) >= options.retry_after_days
    return False


def _age_days(stamp: str | None, now: datetime) -> float:
    if not stamp:
        return float("inf")
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return (now - then).total_seconds() / 86400
