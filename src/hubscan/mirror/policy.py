"""Rate limits (fixed windows per bucket and client) and the fault-injection plan of the mirror."""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_RATE_LIMITS", "Fault", "FaultPlan", "RateLimiter", "load_faults"]

# Anonymous quotas of https://huggingface.co/docs/hub/rate-limits, per 5-minute window.
DEFAULT_RATE_LIMITS: dict[str, int] = {"window": 300, "api": 500, "resolvers": 3000, "pages": 100}
BUCKETS = ("api", "resolvers", "pages")
FAULT_KINDS = ("status", "timeout", "truncate", "stall")


class RateLimiter:
    """Fixed windows per (bucket, client key). ``check`` counts a request and says whether it may pass."""

    def __init__(self, limits: dict[str, Any] | None = None) -> None:
        merged = dict(DEFAULT_RATE_LIMITS)
        for key, value in (limits or {}).items():
            if key not in merged:
                raise ValueError(f"unknown rate limit key {key!r} (expected window, api, resolvers, pages)")
            if value is not None:
                merged[key] = value
        self.window = float(merged["window"])
        if self.window <= 0:
            raise ValueError("rate limit window must be > 0")
        self.quotas = {b: int(merged[b]) for b in BUCKETS}
        self._lock = threading.Lock()
        self._state: dict[tuple[str, str], list[float]] = {}  # -> [window start, count]

    def policy_header(self, bucket: str) -> str:
        return f'"fixed window";"{bucket}";q={self.quotas[bucket]};w={int(self.window)}'

    def check(self, bucket: str, key: str) -> tuple[bool, int, int]:
        """Count one request. Returns (allowed, remaining, seconds until the window resets)."""
        now = time.monotonic()
        quota = self.quotas[bucket]
        with self._lock:
            state = self._state.get((bucket, key))
            if state is None or now >= state[0] + self.window:
                state = [now, 0]
                self._state[(bucket, key)] = state
            allowed = state[1] < quota
            if allowed:
                state[1] += 1
            remaining = max(0, quota - int(state[1]))
            reset = max(1, math.ceil(state[0] + self.window - now))
        return allowed, remaining, reset


@dataclass
class Fault:
    """One rule of the fault plan. See docs/MIRROR.md."""

    path: str = ".*"
    method: str | None = None
    fault: str = "status"
    status: int = 503
    retry_after: int | None = None
    times: int | None = 1
    skip: int = 0
    seconds: float | None = None  # stall/timeout duration; default = the server's stall_seconds
    seen: int = field(default=0, repr=False)
    applied: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if self.fault not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.fault!r} (expected one of {', '.join(FAULT_KINDS)})")
        self._regex = re.compile(self.path)
        if self.method is not None:
            self.method = self.method.upper()

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> Fault:
        allowed = {"path", "method", "fault", "status", "retry_after", "times", "skip", "seconds"}
        extra = set(spec) - allowed
        if extra:
            raise ValueError(f"unknown fault rule keys: {sorted(extra)}")
        return cls(**spec)


class FaultPlan:
    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, rules: list[dict[str, Any] | Fault]) -> None:
        parsed = [r if isinstance(r, Fault) else Fault.from_dict(r) for r in rules]
        with self._lock:
            self._rules.extend(parsed)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def match(self, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, if any (updates the rules' counters)."""
        with self._lock:
            for rule in self._rules:
                if rule.method is not None and rule.method != method:
                    continue
                if not rule._regex.search(path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    continue
                if rule.times is not None and rule.applied >= rule.times:
                    continue
                rule.applied += 1
                return rule
        return None


def load_faults(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a fault plan file: a JSON list of rules, or ``{"faults": [...]}``."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, dict):
        data = data.get("faults", [])
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValueError(f"{path}: expected a JSON list of fault rules")
    for rule in data:
        Fault.from_dict(rule)  # validate early
    return data
