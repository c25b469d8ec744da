"""``hubscan crawl --plan``: what a crawl would request, and its duration at the user's rate-limit tier."""

import json

from click.testing import CliRunner

from crawl_helpers import file_requests, make_snapshot, settled_log
from hubscan.cli import cli
from hubscan.crawl import TIERS, CrawlOptions, crawl, plan_crawl
from hubscan.crawl.plan import PLAN_KEYS, estimate, tier_from_policies
from hubscan.mirror import MirrorServer, write_repo
from hubscan.source.hub import HubSource
from hubscan.store import open_db


def test_plan_counts_the_files_a_crawl_would_fetch_and_makes_no_file_request(tmp_path):
    snap = tmp_path / "snap"
    make_snapshot(snap, 10, with_readme=False)
    write_repo(snap, "org/gguf-only", files={"model.gguf": "x"}, meta={})
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap, page_size=4) as hub:
        plan = plan_crawl(db, HubSource(endpoint=hub.url), CrawlOptions())
        log = settled_log(hub, 3)
        assert file_requests(log) == [] and len(log) == 3
        assert (plan["models"], plan["listing_requests"], plan["file_requests"]) == (11, 3, 10)
        crawl(db, HubSource(endpoint=hub.url), CrawlOptions(derive=False))
        assert plan_crawl(db, HubSource(endpoint=hub.url), CrawlOptions())["file_requests"] == 0
        assert plan_crawl(db, HubSource(endpoint=hub.url), CrawlOptions(cards="full"))["file_requests"] == 0
        assert (
            plan_crawl(db, HubSource(endpoint=hub.url), CrawlOptions(listing_only=True))["file_requests"] == 0
        )


def test_plan_time_follows_the_tier_quotas():
    plan = estimate(3_000_000, 3_000, 3_000_000, "anonymous")
    assert plan["api_seconds"] == 3_000 / 500 * 300 and plan["resolver_seconds"] == 3_000_000 / 3_000 * 300
    assert plan["total_seconds"] == plan["resolver_seconds"]  # ~83 h anonymous, as the issue computes
    assert estimate(3_000_000, 3_000, 3_000_000, "pro")["total_seconds"] == 3_000_000 / 12_000 * 300
    assert (
        tier_from_policies({"api": (2500, 300)}) == "pro"
        and tier_from_policies({"api": (1000, 300)}) == "free"
    )
    assert tier_from_policies({"api": (500, 300)}) == "anonymous" and tier_from_policies({}) is None
    assert set(TIERS) == {"anonymous", "free", "pro"}


def test_plan_json_has_exactly_the_documented_keys_and_reads_the_tier_from_the_endpoint(tmp_path):
    make_snapshot(tmp_path / "snap", 3)
    limits = {"api": 1000, "resolvers": 5000, "window": 300}
    with MirrorServer(tmp_path / "snap", rate_limits=limits) as hub:
        result = CliRunner().invoke(
            cli, ["crawl", "--plan", "--json", "--endpoint", hub.url, "--db", str(tmp_path / "none.db")]
        )
        assert result.exit_code == 0, result.output
        plan = json.loads(result.output)
        assert tuple(plan) == PLAN_KEYS == (
            "models", "listing_requests", "file_requests", "api_seconds", "resolver_seconds", "total_seconds",
            "tier",
        )  # fmt: skip
        assert plan["tier"] == "free" and plan["models"] == 3 and plan["file_requests"] == 3
        assert not (tmp_path / "none.db").exists()  # a plan writes nothing
        table = CliRunner().invoke(
            cli, ["crawl", "--plan", "--tier", "pro", "--endpoint", hub.url, "--db", str(tmp_path / "x.db")]
        )
        assert table.exit_code == 0 and "pro tier" in table.output and "file requests" in table.output


def test_a_limited_crawl_reports_its_eta_at_the_rate_limits(tmp_path):
    make_snapshot(tmp_path / "snap", 12, with_readme=False)
    seen = []
    with MirrorServer(tmp_path / "snap") as hub:  # the mirror's default quotas: the anonymous tier's
        stats = crawl(
            open_db(tmp_path / "c.db"),
            HubSource(endpoint=hub.url),
            CrawlOptions(limit=12, derive=False),
            on_event=lambda event, s: seen.append(s.eta_seconds) if event == "page" else None,
        )
    # After the only page: its 12 files are still to fetch, at 3,000 resolves per 300 s.
    assert seen == [estimate(0, 0, 12, "anonymous")["total_seconds"]] == [1.2]
    assert stats.eta_seconds == 1.2
