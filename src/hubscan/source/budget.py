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
        self._resume_at = 0.0
        self.pauses = 0
        self.paused_seconds = 0.0

    def before_request(self) -> None:
        with self._lock:
            delay = self._resume_at - self._clock()
        if delay > 0:
            delay = min(delay, MAX_PAUSE_SECONDS)
            with self._lock:
                self.pauses += 1
                self.paused_seconds += delay
            self._sleep(delay)

    def observe(self, headers: Mapping[str, str]) -> None:
        info = parse_ratelimit_headers(headers)
        if info is None or info.remaining > self.reserve:
            return
        with self._lock:
            self._resume_at = max(self._resume_at, self._clock() + info.reset_in_seconds)
