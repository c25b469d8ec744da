"""Staying inside the Hub's rate limits instead of running into them.

Every Hub response carries ``RateLimit: "<bucket>";r=<remaining>;t=<seconds to reset>``. When the remaining
budget drops to the number of requests that may already be in flight, all workers pause until the window
resets, so a crawl spends its quota evenly and does not collect 429s (which the client would also honour,
but only after the fact and one worker at a time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from huggingface_hub.utils import parse_ratelimit_headers

MAX_PAUSE_SECONDS = 330.0  # the Hub's windows are 5 minutes; never trust a larger reset


class RateBudget:
    """Per-bucket pause times from the ``RateLimit`` headers of every response (redirects included)."""

    def __init__(
        self,
        reserve: int = 8,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.reserve = reserve
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._resume_at: dict[str | None, float] = {}
        self.pauses = 0
        self.paused_seconds = 0.0
        # bucket -> (quota, window seconds) as the endpoint's RateLimit-Policy states it
        self.policies: dict[str, tuple[int, int]] = {}

    def before_request(self, bucket: str | None = None) -> None:
        """Wait while ``bucket`` (or, with None, any bucket) is paused until its window resets."""
        with self._lock:
            if bucket is None:
                resume_at = max(self._resume_at.values(), default=0.0)
            else:
                resume_at = self._resume_at.get(bucket, 0.0)
            delay = resume_at - self._clock()
        if delay > 0:
            delay = min(delay, MAX_PAUSE_SECONDS)
            with self._lock:
                self.pauses += 1
                self.paused_seconds += delay
            self._sleep(delay)

    def observe(self, headers: Mapping[str, str]) -> None:
        info = parse_ratelimit_headers(headers)
        if info is None:
            return
        with self._lock:
            if info.limit is not None and info.window_seconds:
                self.policies[info.resource_type] = (info.limit, info.window_seconds)
            if info.remaining <= self.reserve:
                resume_at = self._clock() + info.reset_in_seconds
                self._resume_at[info.resource_type] = max(
                    self._resume_at.get(info.resource_type, 0.0), resume_at
                )

    def observe_response(self, response) -> None:
        """Every response of a redirect chain: the Hub puts the resolver quota on the 307, not the 200."""
        for hop in (*getattr(response, "history", ()), response):
            self.observe(hop.headers)
