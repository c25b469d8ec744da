"""Crawl orchestration: listing pages → which files changed → concurrent fetch → batched writes → derive.

Resumability comes from the catalog itself: every file outcome is committed keyed by (model, path, commit
sha), and each run stores the listing cursor up to which everything is stored. A restarted crawl continues
from that cursor and fetches only files whose stored state is missing, transient, or for an older commit.
"""

from hubscan.crawl.options import PAGE_SIZE, CrawlOptions, CrawlStats
from hubscan.crawl.pipeline import EventCallback, crawl
from hubscan.crawl.plan import TIERS, plan_crawl

__all__ = ["PAGE_SIZE", "TIERS", "CrawlOptions", "CrawlStats", "EventCallback", "crawl", "plan_crawl"]
