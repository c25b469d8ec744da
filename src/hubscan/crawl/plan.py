"""``hubscan crawl --plan``: what a crawl would request and how long the Hub's rate limits make it take.

It reads the listing (those requests are real: the plan needs each model's ``sha``), compares every listed
commit with the catalog exactly as the crawl does, and makes no file request. Each request is counted
against the quota bucket the Hub's ``RateLimit`` headers name for it: listing pages against ``api``, file
resolves against ``resolvers``. The two buckets are spent in parallel by the crawl's pipeline, so the
crawl takes as long as the slower of the two.
"""

from __future__ import annotations

from sqlite_utils import Database

from hubscan.crawl.decide import plan_page
from hubscan.crawl.listing import ListingProducer, source_pages
from hubscan.crawl.options import CrawlOptions
from hubscan.records import ListingQuery
from hubscan.store import save

WINDOW_SECONDS = 300
# Requests per 5-minute window (huggingface.co/docs/hub/rate-limits).
TIERS: dict[str, dict[str, int]] = {
    "anonymous": {"api": 500, "resolvers": 3000},
    "free": {"api": 1000, "resolvers": 5000},
    "pro": {"api": 2500, "resolvers": 12000},
}
PLAN_KEYS = (
    "models", "listing_requests", "file_requests", "api_seconds", "resolver_seconds", "total_seconds", "tier",
)  # fmt: skip


def quota_seconds(requests: int, quota: int, window: int = WINDOW_SECONDS) -> float:
    """Seconds the quota makes ``requests`` take: whole windows used up, the last one's share."""
    return requests / quota * window if quota > 0 else 0.0


def estimate(models: int, listing_requests: int, file_requests: int, tier: str) -> dict:
    quotas = TIERS[tier]
    api = quota_seconds(listing_requests, quotas["api"])
    resolver = quota_seconds(file_requests, quotas["resolvers"])
    return {
        "models": models,
        "listing_requests": listing_requests,
        "file_requests": file_requests,
        "api_seconds": round(api, 1),
        "resolver_seconds": round(resolver, 1),
        "total_seconds": round(max(api, resolver), 1),
        "tier": tier,
    }


def tier_from_policies(policies: dict[str, tuple[int, int]]) -> str | None:
    """The tier whose api quota the endpoint's ``RateLimit-Policy`` states (per 5 minutes), if any."""
    quota = policies.get("api")
    if quota is None:
        return None
    per_window = quota[0] * WINDOW_SECONDS / max(1, quota[1])
    for name in ("pro", "free", "anonymous"):
        if per_window >= TIERS[name]["api"]:
            return name
    return "anonymous"


def plan_crawl(db: Database | None, source, options: CrawlOptions, tier: str | None = None) -> dict:
    """Count what ``crawl(db, source, options)`` would request; ``db`` None: an empty catalog."""
    query = ListingQuery(
        author=options.author,
        search=options.search,
        filters=list(options.filters),
        limit=options.limit,
        sort=options.listing_sort(),
    )
    pages = source_pages(source, query, None, options.page_size)
    checker = ListingProducer(pages, None, limit=options.limit)  # used for its checks only, not its thread
    models = listing_requests = file_requests = 0
    for page in pages:
        listing_requests += 1
        ended = checker.check(page)
        ids = [listing.id for listing in page.listings]
        states = save.file_states(db, ids) if db is not None and options.wanted_files() else {}
        file_requests += len(plan_page(page.listings, states, options).jobs)
        models += len(page.listings)
        if ended:
            break
    budget = getattr(source, "budget", None)
    detected = tier_from_policies(budget.policies) if budget is not None else None
    return estimate(models, listing_requests, file_requests, tier or detected or "anonymous")
