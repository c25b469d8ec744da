"""Staying inside the Hub's rate limit: pause before the quota runs out instead of collecting 429s."""

from crawl_helpers import file_requests, make_snapshot
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer
from hubscan.source.budget import MAX_PAUSE_SECONDS, RateBudget
from hubscan.source.hub import HubSource
from hubscan.store import open_db


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def headers(remaining: int, reset: int) -> dict:
    return {
        "RateLimit": f'"resolvers";r={remaining};t={reset}',
        "RateLimit-Policy": '"fixed window";"resolvers";q=10;w=60',
    }


def test_budget_pauses_only_when_the_reserve_is_reached():
    clock = FakeClock()
    budget = RateBudget(reserve=3, clock=clock, sleep=clock.sleep)
    budget.observe(headers(remaining=9, reset=40))
    budget.before_request()
    assert clock.sleeps == []
    budget.observe(headers(remaining=3, reset=40))
    budget.before_request()
    assert clock.sleeps == [40]
    budget.before_request()  # the window has reset
    assert clock.sleeps == [40] and budget.pauses == 1 and budget.paused_seconds == 40


def test_budget_ignores_missing_headers_and_caps_absurd_resets():
    clock = FakeClock()
    budget = RateBudget(reserve=1, clock=clock, sleep=clock.sleep)
    budget.observe({})
    budget.observe({"RateLimit": "garbage"})
    budget.before_request()
    assert clock.sleeps == []
    budget.observe(headers(remaining=0, reset=86400))
    budget.before_request()
    assert clock.sleeps == [MAX_PAUSE_SECONDS]


def test_budget_reads_the_quota_on_a_redirect_hop():
    class Hop:
        def __init__(self, headers, history=()):
            self.headers, self.history = headers, list(history)

    clock = FakeClock()
    budget = RateBudget(reserve=2, clock=clock, sleep=clock.sleep)
    final = Hop(
        {"ETag": '"x"'}, history=[Hop(headers(remaining=1, reset=30))]
    )  # as the Hub: RateLimit on the 307
    budget.observe(final.headers)
    budget.before_request("resolvers")
    assert clock.sleeps == []  # the final 200 alone says nothing
    budget.observe_response(final)
    budget.before_request("api")
    assert clock.sleeps == []  # another bucket is not paused
    budget.before_request("resolvers")
    assert clock.sleeps == [30] and budget.policies == {"resolvers": (10, 60)}


def test_crawl_spreads_requests_over_windows_without_a_single_429(tmp_path):
    ids = make_snapshot(tmp_path / "snap", 10)
    db = open_db(tmp_path / "c.db")
    limits = {"window": 1, "resolvers": 6}
    with MirrorServer(tmp_path / "snap", rate_limits=limits) as hub:
        source = HubSource(endpoint=hub.url, rate_reserve=2)
        stats = crawl(db, source, CrawlOptions(workers=2, derive=False))
        log = hub.request_log
    # Every file went through the Hub's real flow: a metered 307, then the resolve cache's 200.
    resolves = [r["status"] for r in log if "/resolve/" in r["path"]]
    assert set(resolves) == {307} and len(resolves) >= len(ids)
    assert source.budget.policies["resolvers"] == (6, 1)
    assert [r for r in log if r["status"] == 429] == []
    assert len(file_requests(log)) == len(ids) and stats.fetched == len(ids) and stats.failed == 0
    assert stats.rate_pauses >= 1 and "to stay within the Hub's rate limit" in stats.summary()
