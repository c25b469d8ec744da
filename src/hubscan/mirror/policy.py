"""Rate limits (fixed windows per bucket and client) and the fault-injection plan of the mirror."""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

__all__ = [
    "DEFAULT_RATE_LIMITS", "FAULT_KINDS", "Fault", "FaultPlan", "RateLimiter", "load_faults", "reset_connection",
]  # fmt: skip

# Anonymous quotas of https://huggingface.co/docs/hub/rate-limits, per 5-minute window.
DEFAULT_RATE_LIMITS: dict[str, int] = {"window": 300, "api": 500, "resolvers": 3000, "pages": 100}
BUCKETS = ("api", "resolvers", "pages")
# Faults that replace the answer (status, timeout, reset), rewrite it (TRANSFORMS) or spoil its delivery
# (truncate, stall, trickle). See docs/MIRROR.md.
TRANSFORMS = ("bad_item", "truncated_page", "loop_cursor", "garbage_cursor", "gzip_bomb", "redirect")
FAULT_KINDS = ("status", "timeout", "truncate", "stall", "reset", "trickle", *TRANSFORMS)
GARBAGE_CURSOR = "%%not-a-cursor%%"
_DEEP = "\u0000hubscan-deep\u0000"  # placeholder replaced by N nested lists after encoding


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
    seconds: float | None = None  # stall/timeout duration (default: stall_seconds); trickle: per byte
    patch: dict[str, Any] | None = None  # bad_item: keys replaced in one listing item ({"$deep": N} nests)
    index: int = 0  # bad_item: which item of the page
    target: str | None = None  # bad_item: patch the item with this id instead (on whichever page it is)
    size: int = 256 * 1024 * 1024  # gzip_bomb: bytes after decompression
    location: str | None = None  # redirect: Location (default: the request itself, i.e. a loop)
    seen: int = field(default=0, repr=False)
    applied: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if self.fault not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.fault!r} (expected one of {', '.join(FAULT_KINDS)})")
        self._regex = re.compile(self.path)
        if self.method is not None:
            self.method = self.method.upper()

    def transform(
        self, status: int, body: bytes, headers: list[tuple[str, str]], path: str, query: str
    ) -> tuple[int, bytes, list[tuple[str, str]]]:
        """Rewrite a successful answer (the TRANSFORMS kinds). Anything not 2xx passes unchanged."""
        if self.fault == "redirect":
            target = self.location or (path + (f"?{query}" if query else ""))
            return self.status if 300 <= self.status < 400 else 307, b"", [("Location", target)]
        if not 200 <= status < 300:
            return status, body, headers
        if self.fault == "truncated_page":  # a complete HTTP answer whose JSON stops half-way
            return status, body[: len(body) // 2], headers
        if self.fault == "gzip_bomb":
            kept = [(k, v) for k, v in headers if k.lower() not in ("etag", "x-linked-etag", "x-linked-size")]
            return status, _zeros_gzip(self.size), [*kept, ("Content-Encoding", "gzip")]
        if self.fault == "bad_item":
            patch = self.patch or {"createdAt": "not-a-date"}
            return status, _patch_item(body, self.index, patch, self.target), headers
        return status, body, _rewrite_next(headers, self.fault, query)

    def trickle(self, wfile, body: bytes, stopping: threading.Event) -> None:
        """Send ``body`` one byte at a time, ``seconds`` (default 0.1) apart, until done or stopping."""
        for i in range(len(body)):
            wfile.write(body[i : i + 1])
            wfile.flush()
            if stopping.wait(self.seconds if self.seconds is not None else 0.1):
                return

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> Fault:
        allowed = {
            "path", "method", "fault", "status", "retry_after", "times", "skip", "seconds", "patch", "index",
            "size", "location", "target",
        }  # fmt: skip
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

    def unmatch(self, rule: Fault) -> None:
        """Give back an application of ``rule`` that did not take effect (e.g. a body fault on a redirect)."""
        with self._lock:
            rule.applied -= 1

    def match(self, method: str, path: str, also: str | None = None) -> Fault | None:
        """The fault to apply to this request, if any (updates the rules' counters). A rule matches ``path``
        or ``also`` (another name of the same resource, e.g. a resolve-cache hop's resolve URL)."""
        with self._lock:
            for rule in self._rules:
                if rule.method is not None and rule.method != method:
                    continue
                if not (rule._regex.search(path) or (also is not None and rule._regex.search(also))):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    continue
                if rule.times is not None and rule.applied >= rule.times:
                    continue
                rule.applied += 1
                return rule
        return None


def reset_connection(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN (SO_LINGER 0): the client sees "connection reset by peer"."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@lru_cache(maxsize=4)
def _zeros_gzip(size: int) -> bytes:
    """``size`` zero bytes, gzipped (~1,000x smaller): a small answer that inflates past any file limit."""
    block = bytes(1024 * 1024)
    out = bytearray()
    compressor = gzip.GzipFile(fileobj=_Sink(out), mode="wb", compresslevel=9, mtime=0)
    for start in range(0, size, len(block)):
        compressor.write(block[: min(len(block), size - start)])
    compressor.close()
    return bytes(out)


class _Sink:
    def __init__(self, out: bytearray) -> None:
        self.out = out

    def write(self, data: bytes) -> int:
        self.out += data
        return len(data)

    def flush(self) -> None:
        pass


def _deep(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$deep"}:
        return _DEEP + str(int(value["$deep"]))
    return value


def _patch_item(body: bytes, index: int, patch: dict[str, Any], target: str | None) -> bytes:
    items = json.loads(body)
    if not isinstance(items, list) or not items:
        return body
    if target is not None:
        chosen = [item for item in items if isinstance(item, dict) and item.get("id") == target]
    else:
        chosen = [items[min(index, len(items) - 1)]]
    if not chosen:
        return body
    chosen[0].update({k: _deep(v) for k, v in patch.items()})
    text = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    for match in set(re.findall(r'"\\u0000hubscan-deep\\u0000(\d+)"', text)):
        n = int(match)
        text = text.replace(f'"\\u0000hubscan-deep\\u0000{match}"', "[" * n + "]" * n)
    return text.encode("utf-8")


def _rewrite_next(headers: list[tuple[str, str]], kind: str, query: str) -> list[tuple[str, str]]:
    """loop_cursor: the next link repeats this page's own cursor; garbage_cursor: an undecodable one."""
    own = next(
        (unquote(v) for k, v in (p.partition("=")[::2] for p in query.split("&")) if k == "cursor"), None
    )
    out = []
    for name, value in headers:
        if name.lower() == "link":
            cursor = GARBAGE_CURSOR if kind == "garbage_cursor" else own
            url = re.sub(r"([?&])cursor=[^&>]*&?", r"\1", value.split(">", 1)[0].lstrip("<")).rstrip("?&")
            if cursor is not None:
                url += ("&" if "?" in url else "?") + "cursor=" + quote(cursor, safe="")
            value = f'<{url}>; rel="next"'
        out.append((name, value))
    return out


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
