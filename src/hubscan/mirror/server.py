"""The mirror: a loopback HTTP server speaking the subset of the Hub API documented in docs/MIRROR.md.

Stdlib only (``ThreadingHTTPServer``). Routing is done on the raw request path so ``%2F`` inside a
revision survives (R-3.1). The snapshot is loaded once at start; :meth:`MirrorServer.reload` swaps in a
fresh copy.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import json
import os
import re
import sys
import threading
import uuid
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from hubscan.mirror.datasets import dataset_route
from hubscan.mirror.policy import TRANSFORMS, Fault, FaultPlan, RateLimiter, load_faults, reset_connection
from hubscan.mirror.snapshot import (
    EXPAND_KEYS,
    FileEntry,
    ListingSnapshot,
    Repo,
    Snapshot,
    load_snapshot,
    timestamp_value,
    valid_repo_id,
)

__all__ = ["MirrorServer"]

MAX_PAGE = 1000
LIST_DEFAULT_KEYS = (
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
    "createdAt", "modelId",
)  # fmt: skip
LIST_FULL_KEYS = (
    "_id", "id", "author", "gated", "lastModified", "likes", "trendingScore", "private", "sha", "downloads",
    "tags", "pipeline_tag", "library_name", "createdAt", "modelId", "siblings",
)  # fmt: skip
INFO_KEYS = (
    "_id", "id", "private", "pipeline_tag", "library_name", "tags", "downloads", "likes", "modelId", "author",
    "sha", "lastModified", "gated", "inference", "disabled", "mask_token", "widgetData", "model-index",
    "config", "cardData", "transformersInfo", "siblings", "spaces", "createdAt", "safetensors", "gguf",
    "usedStorage",
)  # fmt: skip
SORT_KEYS = {
    "trendingScore": "trendingScore",
    "trending_score": "trendingScore",
    "downloads": "downloads",
    "likes": "likes",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
}
_TS_KEYS = ("createdAt", "lastModified")
# Where resolve sends a client: regular files to the Hub's resolve cache (relative 307), LFS files to a CDN
# (302; the real Hub's CDN is another host, the mirror serves it under /cdn/).
RESOLVE_CACHE = "/api/resolve-cache/models/"
# "recorded": the Hub's flow (307 to the resolve cache, then 200); "direct": resolve answers 200 itself.
RESOLVE_FLOWS = ("recorded", "direct")
CDN = "/cdn/models/"
CACHE_PREFIXES = (RESOLVE_CACHE, CDN)
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}


@dataclass
class Resp:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json; charset=utf-8"
    length: int | None = None  # Content-Length when it differs from len(body) (HEAD)


def _json_resp(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Resp:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Resp(status, body, headers or [])


def _error(
    status: int, message: str, code: str | None = None, headers: list[tuple[str, str]] | None = None
) -> Resp:
    hdrs = list(headers or [])
    if code:
        hdrs.append(("X-Error-Code", code))
    hdrs.append(("X-Error-Message", message))
    return _json_resp(status, {"error": message}, hdrs)


def _not_found() -> Resp:
    return _json_resp(404, {"error": "Not Found"})


def _bool(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def _parse_count(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMBT]?)\s*", text, re.IGNORECASE)
    if not m:
        raise ValueError(text)
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def _sort_key(repo: Repo, sort: str) -> tuple[int, float, str]:
    value = repo.record.get(sort)
    if value is None:
        return (1, 0.0, repo.record["_id"])
    number = timestamp_value(value) if sort in _TS_KEYS else float(value)
    return (0, -number, repo.record["_id"])


def _encode_cursor(key: tuple[int, float, str]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(text: str) -> tuple[int, float, str]:
    raw = base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4))
    flag, num, oid = json.loads(raw)
    return (int(flag), float(num), str(oid))


class _Index:
    """A loaded snapshot plus its precomputed sort orders."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._orders: dict[str, tuple[list[tuple[int, float, str]], list[Repo]]] = {}
        self._lock = threading.Lock()

    def order(self, sort: str) -> tuple[list[tuple[int, float, str]], list[Repo]]:
        with self._lock:
            cached = self._orders.get(sort)
            if cached is None:
                pairs = sorted(((_sort_key(r, sort), r) for r in self.snapshot.order), key=lambda p: p[0])
                cached = ([p[0] for p in pairs], [p[1] for p in pairs])
                self._orders[sort] = cached
            return cached


class _LazyRepos:
    """Repos of a listing file in one order, parsed when a page is served."""

    def __init__(self, snapshot: ListingSnapshot, order: array) -> None:
        self.snapshot, self._order = snapshot, order

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i: int) -> Repo:
        return self.snapshot.repo(self._order[i])


class _LazyKeys:
    """Sort keys of a listing file's order, computed on access (``bisect`` needs only len and [i])."""

    def __init__(self, order: array, values: list[float | None]) -> None:
        self._order, self._values = order, values

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i: int) -> tuple[int, float, str]:
        j = self._order[i]
        value = self._values[j]
        return (1, 0.0, f"{j:012x}") if value is None else (0, -value, f"{j:012x}")


class _ListingIndex:
    """A listing-only snapshot (``--listing FILE``): the file's order by default, sorts built on first use."""

    def __init__(self, snapshot: ListingSnapshot) -> None:
        self.snapshot = snapshot
        self._orders: dict[str, tuple[_LazyKeys, _LazyRepos]] = {}
        self._lock = threading.Lock()

    def order(self, sort: str) -> tuple[_LazyKeys, _LazyRepos]:
        with self._lock:
            cached = self._orders.get(sort)
            if cached is None:
                values = self.snapshot.sort_values(sort)
                n = len(values)
                if all(v is None for v in values):
                    order = array("l", range(n))
                else:
                    order = array(
                        "l", sorted(range(n), key=lambda j: (values[j] is None, -(values[j] or 0.0), j))
                    )
                cached = (_LazyKeys(order, values), _LazyRepos(self.snapshot, order))
                self._orders[sort] = cached
            return cached


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    mirror: MirrorServer

    def handle_error(self, request, client_address) -> None:
        # A client hanging up (or a reset fault) is not a server error: no traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two sends: without TCP_NODELAY, Nagle's algorithm and the client's delayed
    # ACK stall every response with a body by ~40 ms on loopback, on top of any simulated latency.
    disable_nagle_algorithm = True
    server: _HTTPServer
    server_version = "hubscan-mirror"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    # -- plumbing -------------------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        mirror = self.server.mirror
        raw = self.path.split("#", 1)[0]
        path, _, query = raw.partition("?")
        if self.headers.get("Content-Length"):
            with contextlib.suppress(ValueError, OSError):
                self.rfile.read(int(self.headers["Content-Length"]))
        if mirror.latency_ms:
            mirror._stopping.wait(mirror.latency_ms / 1000.0)
        bucket = _bucket(path)
        self._extra: list[tuple[str, str]] = []
        status, recorded = 0, False
        try:
            fault = mirror._faults.match(method, path, also=_fault_path(path))
            if fault is not None and fault.fault in ("status", "timeout"):
                status = self._apply_fault(fault, bucket)
            elif fault is not None and fault.fault == "reset":
                reset_connection(self.connection)
                self.close_connection = True
            else:
                auth = self.headers.get("Authorization", "")
                token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
                key = f"token:{token}" if token else f"ip:{self.client_address[0]}"
                allowed, remaining, reset = True, 0, 0
                if bucket is not None:
                    allowed, remaining, reset = mirror._limiter.check(bucket, key)
                    self._extra = [
                        ("RateLimit", f'"{bucket}";r={remaining};t={reset}'),
                        ("RateLimit-Policy", mirror._limiter.policy_header(bucket)),
                    ]
                if not allowed:
                    resp = self._rate_limited(bucket, reset)
                else:
                    try:
                        resp = self._route(method, path, query, token)
                    except Exception as exc:  # noqa: BLE001 - a server bug must still answer
                        resp = _error(500, f"Internal error: {type(exc).__name__}: {exc}")
                    if fault is not None and fault.fault in BODY_TRANSFORMS and resp.status in REDIRECTS:
                        # The body comes from the redirect's target: the fault applies there, not here.
                        mirror._faults.unmatch(fault)
                        fault = None
                    if fault is not None and fault.fault in TRANSFORMS and method == "GET":
                        resp.status, resp.body, resp.headers = fault.transform(
                            resp.status, resp.body, resp.headers, path, query
                        )
                        fault = None
                status = resp.status
                # Logged before the answer goes out: a client that has its answer finds it in the log.
                mirror._record(method, path, query, status)
                recorded = True
                self._send(method, resp, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if not recorded:
                mirror._record(method, path, query, status)

    def _rate_limited(self, bucket: str, reset: int) -> Resp:
        limiter = self.server.mirror._limiter
        quota = limiter.quotas[bucket]
        minutes = max(1, int(limiter.window // 60))
        msg = (
            f"We had to rate limit you, you hit the quota of {quota} {bucket} requests per {minutes} minutes "
            "period. See https://huggingface.co/docs/hub/rate-limits"
        )
        self._extra = [
            ("RateLimit", f'"{bucket}";r=0;t={reset}'),
            ("RateLimit-Policy", limiter.policy_header(bucket)),
            ("Retry-After", str(reset)),
        ]
        return _json_resp(429, {"error": msg})

    def _apply_fault(self, fault: Fault, bucket: str) -> int:
        mirror = self.server.mirror
        if fault.fault == "timeout":
            mirror._stopping.wait(fault.seconds if fault.seconds is not None else mirror.stall_seconds)
            self.close_connection = True
            return 0
        headers: list[tuple[str, str]] = []
        limiter = mirror._limiter
        if fault.status == 429:
            t = fault.retry_after if fault.retry_after is not None else 1
            self._extra = [
                ("RateLimit", f'"{bucket}";r=0;t={t}'),
                ("RateLimit-Policy", limiter.policy_header(bucket)),
            ]
        else:
            self._extra = [
                ("RateLimit", f'"{bucket}";r={limiter.quotas[bucket]};t={int(limiter.window)}'),
                ("RateLimit-Policy", limiter.policy_header(bucket)),
            ]
        if fault.retry_after is not None or fault.status == 429:
            headers.append(("Retry-After", str(fault.retry_after if fault.retry_after is not None else 1)))
        resp = _json_resp(fault.status, {"error": f"Injected fault: HTTP {fault.status}"}, headers)
        self._send(self.command, resp, None)
        return fault.status

    def _send(self, method: str, resp: Resp, fault: Fault | None) -> None:
        body = resp.body
        length = resp.length if resp.length is not None else len(body)
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("X-Request-Id", f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}")
        for name, value in self._extra:
            self.send_header(name, value)
        for name, value in resp.headers:
            self.send_header(name, value)
        if fault is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if method == "HEAD":
            if fault is not None and fault.fault == "stall":
                self._stall(fault)
            return
        if fault is None or fault.fault in TRANSFORMS:
            self.wfile.write(body)
            return
        if fault.fault == "trickle":
            fault.trickle(self.wfile, body, self.server.mirror._stopping)
            self.close_connection = True
            return
        # truncate / stall: announce the full length, send half, then hang up (after stalling).
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        if fault.fault == "stall":
            self._stall(fault)
        self.close_connection = True

    def _stall(self, fault: Fault) -> None:
        mirror = self.server.mirror
        mirror._stopping.wait(fault.seconds if fault.seconds is not None else mirror.stall_seconds)
        self.close_connection = True

    # -- routing --------------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: str, token: str) -> Resp:
        index = self.server.mirror._index
        if path == "/api/models":
            if method not in ("GET", "HEAD"):
                return _error(405, "Method not allowed")
            return self._list_models(index, query, token)
        if path.startswith("/api/models/"):
            if method not in ("GET", "HEAD"):
                return _error(405, "Method not allowed")
            return self._model_api(index, path[len("/api/models/") :], query, token)
        if path == "/api/datasets" or path.startswith("/api/datasets/"):
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            return _json_resp(*dataset_route(self.server.mirror, method, path, query, token, host))
        if path.startswith(CACHE_PREFIXES) and method in ("GET", "HEAD"):
            return self._cached(index, method, path)
        if "/resolve/" in path and not path.startswith("/api/") and method in ("GET", "HEAD"):
            return self._resolve(index, method, path, query, token)
        return _not_found()

    def _lookup(self, index: _Index, repo_id: str, token: str) -> tuple[Repo | None, Resp | None]:
        repo = index.snapshot.find(repo_id)
        if repo is None or (repo.private and token not in repo.allowed_tokens):
            if token:
                return None, _error(404, "Repository not found", "RepoNotFound")
            return None, _error(401, "Repository not found. Invalid username or password.", "RepoNotFound")
        return repo, None

    def _gate(self, repo: Repo, token: str) -> Resp | None:
        if repo.gated is False or (token and token in repo.allowed_tokens):
            return None
        if not token:
            msg = (
                f"Access to model {repo.id} is restricted. You must have access to it and be authenticated "
                "to access it. Please log in."
            )
            return _error(401, msg, "GatedRepo")
        msg = (
            f"Access to model {repo.id} is restricted and you are not in the authorized list. "
            f"Visit https://huggingface.co/{repo.id} to ask for access."
        )
        return _error(403, msg, "GatedRepo")

    @staticmethod
    def _redirect(location: str) -> Resp:
        return Resp(
            307,
            f"Temporary Redirect. Redirecting to {location}".encode(),
            [("Location", location)],
            "text/plain; charset=utf-8",
        )

    # /api/models ------------------------------------------------------------------------------
    def _list_models(self, index: _Index, query: str, token: str) -> Resp:
        params: dict[str, list[str]] = defaultdict(list)
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key.endswith("[]"):
                key = key[:-2]
            params[key].append(value)
        expand = [e for v in params.get("expand", []) for e in v.split(",") if e]
        bad = [e for e in expand if e not in EXPAND_KEYS]
        if bad:
            return _error(400, f'"expand" must be one of {sorted(EXPAND_KEYS)}; got {bad[0]!r}')
        sort_param = (params.get("sort") or ["trendingScore"])[-1] or "trendingScore"
        sort = SORT_KEYS.get(sort_param)
        if sort is None:
            return _error(400, f"Invalid sort key {sort_param!r}")
        limit: int | None = None
        if params.get("limit"):
            try:
                limit = int(params["limit"][-1])
            except ValueError:
                return _error(400, '"limit" must be an integer')
            if limit < 1:
                return _error(400, '"limit" must be a positive integer')
        page_size = min(limit or self.server.mirror.page_size, MAX_PAGE)
        start_key = None
        if params.get("cursor"):
            try:
                start_key = _decode_cursor(params["cursor"][-1])
            except (ValueError, TypeError):
                return _error(400, "Invalid cursor")
        try:
            predicate = self._list_predicate(params, token)
        except ValueError as exc:
            return _error(400, str(exc))
        full = any(_bool(v) for v in params.get("full", []))
        with_config = any(_bool(v) for v in params.get("config", []))
        with_card = any(_bool(v) for v in params.get("cardData", []))

        keys, repos = index.order(sort)
        start = bisect.bisect_right(keys, start_key) if start_key is not None else 0
        page: list[Repo] = []
        last_key = None
        more = False
        for i in range(start, len(repos)):
            repo = repos[i]
            if not predicate(repo):
                continue
            if len(page) == page_size:
                more = True
                break
            page.append(repo)
            last_key = keys[i]
        items = [self._list_item(r, expand, full, with_config, with_card) for r in page]
        headers: list[tuple[str, str]] = []
        if more and last_key is not None:
            kept = [p for p in query.split("&") if p and unquote(p.split("=", 1)[0]) != "cursor"]
            kept.append("cursor=" + quote(_encode_cursor(last_key), safe=""))
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            headers.append(("Link", f'<http://{host}/api/models?{"&".join(kept)}>; rel="next"'))
        return _json_resp(200, items, headers)

    def _list_predicate(self, params: dict[str, list[str]], token: str):
        searches = [s.lower() for s in params.get("search", []) if s]
        authors = [a.lower() for a in params.get("author", []) if a]
        filters = [f for f in params.get("filter", []) if f]
        pipelines = [p for p in params.get("pipeline_tag", []) if p]
        gated = _bool(params["gated"][-1]) if params.get("gated") else None
        lo = hi = None
        for spec in params.get("num_parameters", []):
            for part in spec.split(","):
                name, _, value = part.partition(":")
                if name.strip() == "min":
                    lo = _parse_count(value)
                elif name.strip() == "max":
                    hi = _parse_count(value)
                else:
                    raise ValueError(f"Invalid num_parameters {spec!r}")

        def predicate(repo: Repo) -> bool:
            rec = repo.record
            if repo.private and token not in repo.allowed_tokens:
                return False
            rid = repo.id.lower()
            if any(s not in rid for s in searches):
                return False
            # The Hub filters by the id's namespace; a listing file's records carry no author field.
            owner = rec.get("author") or (repo.id.split("/")[0] if "/" in repo.id else "")
            if authors and str(owner).lower() not in authors:
                return False
            if filters:
                tags = set(rec.get("tags", ()))
                tags.update(str(rec[k]) for k in ("library_name", "pipeline_tag") if k in rec)
                if any(f not in tags and f != repo.id for f in filters):
                    return False
            if pipelines and rec.get("pipeline_tag") not in pipelines:
                return False
            if gated is not None and (rec.get("gated", False) is not False) != gated:
                return False
            if lo is not None or hi is not None:
                total = (rec.get("safetensors") or {}).get("total")
                if total is None or (lo is not None and total < lo) or (hi is not None and total > hi):
                    return False
            return True

        return predicate

    @staticmethod
    def _value(repo: Repo, key: str) -> Any:
        if key == "siblings":
            return [repo.sibling(f, False) for f in repo.files.values()]
        return repo.record.get(key)

    def _list_item(self, repo: Repo, expand: list[str], full: bool, config: bool, card: bool) -> dict:
        if expand:
            keys: list[str] = ["_id", "id", *expand]
        else:
            keys = list(LIST_FULL_KEYS if full else LIST_DEFAULT_KEYS)
            if config:
                keys.append("config")
            if card:
                keys.append("cardData")
        out: dict[str, Any] = {}
        for key in keys:
            value = self._value(repo, key)
            if value is not None:
                out[key] = value
        return out

    # /api/models/{repo}[/revision/{rev}|/tree/{rev}[/path]] -------------------------------------
    def _model_api(self, index: _Index, rest: str, query: str, token: str) -> Resp:
        tree_path: str | None = None
        rev: str | None = None
        suffix = ""
        if "/revision/" in rest:
            repo_raw, rev_raw = rest.split("/revision/", 1)
            rev = unquote(rev_raw)
            suffix = "/revision/" + rev_raw
        elif "/tree/" in rest:
            repo_raw, tail = rest.split("/tree/", 1)
            rev_raw, _, path_raw = tail.partition("/")
            rev, tree_path = unquote(rev_raw), unquote(path_raw).strip("/")
            suffix = "/tree/" + tail
        else:
            repo_raw = rest.rstrip("/")
        repo_id = unquote(repo_raw)
        if not valid_repo_id(repo_id) or (rev is not None and not rev):
            return _not_found()
        new_id = index.snapshot.aliases.get(repo_id)
        if new_id is not None:
            return self._redirect(f"/api/models/{new_id}{suffix}" + (f"?{query}" if query else ""))
        repo, err = self._lookup(index, repo_id, token)
        if err is not None:
            return err
        assert repo is not None
        if rev is not None and repo.resolve_revision(rev) is None:
            return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        params: dict[str, list[str]] = defaultdict(list)
        for key, value in parse_qsl(query, keep_blank_values=True):
            params[key[:-2] if key.endswith("[]") else key].append(value)
        if tree_path is not None:
            gate = self._gate(repo, token)
            return gate or self._tree(repo, tree_path, any(_bool(v) for v in params.get("recursive", [])))
        expand = [e for v in params.get("expand", []) for e in v.split(",") if e]
        bad = [e for e in expand if e not in EXPAND_KEYS]
        if bad:
            return _error(400, f'"expand" must be one of {sorted(EXPAND_KEYS)}; got {bad[0]!r}')
        blobs = any(_bool(v) for v in params.get("blobs", []))
        keys = ["_id", "id", *expand] if expand else list(INFO_KEYS)
        out: dict[str, Any] = {}
        for key in keys:
            if key == "siblings":
                out[key] = [repo.sibling(f, blobs) for f in repo.files.values()]
                continue
            value = repo.record.get(key)
            if value is not None:
                out[key] = value
        if not expand and any(_bool(v) for v in params.get("securityStatus", [])):
            out["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
        return _json_resp(200, out)

    def _tree(self, repo: Repo, prefix: str, recursive: bool) -> Resp:
        base = f"{prefix}/" if prefix else ""
        if prefix and not any(p.startswith(base) for p in repo.files):
            return _error(404, f"{prefix} does not exist on main", "EntryNotFound")
        dirs: dict[str, None] = {}
        entries: list[dict[str, Any]] = []
        for path, entry in repo.files.items():
            if not path.startswith(base):
                continue
            rel = path[len(base) :]
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                if not recursive and depth > 1:
                    break
                dirs.setdefault(base + "/".join(parts[:depth]))
            if not recursive and len(parts) > 1:
                continue
            item: dict[str, Any] = {"type": "file", "oid": entry.blob_id, "size": entry.size, "path": path}
            if entry.sha256:
                item["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": entry.pointer_size}
            entries.append(item)
        dir_items = [{"type": "directory", "oid": "0" * 40, "size": 0, "path": d} for d in sorted(dirs)]
        return _json_resp(200, dir_items + entries)

    # /{repo}/resolve/{rev}/{path} ---------------------------------------------------------------
    def _resolve(self, index: _Index, method: str, path: str, query: str, token: str) -> Resp:
        repo_raw, _, after = path.lstrip("/").partition("/resolve/")
        repo_id = unquote(repo_raw)
        if not valid_repo_id(repo_id):
            return _not_found()
        new_id = index.snapshot.aliases.get(repo_id)
        if new_id is not None:
            return self._redirect(f"/{new_id}/resolve/{after}" + (f"?{query}" if query else ""))
        repo, err = self._lookup(index, repo_id, token)
        if err is not None:
            return err
        assert repo is not None
        if repo.record.get("disabled"):
            return _error(403, "Access to this resource is disabled.")
        gate = self._gate(repo, token)
        if gate is not None:
            return gate
        rev_raw, _, file_raw = after.partition("/")
        rev = unquote(rev_raw)
        commit = repo.resolve_revision(rev)
        if commit is None:
            return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        entry = repo.files.get(unquote(file_raw))  # only files enumerated at load time can be served
        if entry is None:
            return _error(404, "Entry not found", "EntryNotFound", [("X-Repo-Commit", commit)])
        return self._redirect_to_file(repo, commit, entry, path)

    def _redirect_to_file(self, repo: Repo, commit: str, entry: FileEntry, path: str) -> Resp:
        """As the Hub answers resolve: a relative 307 to the resolve cache for a regular file (the
        ``RateLimit`` headers are on this 307), a 302 to the CDN with ``X-Linked-Size`` for an LFS file."""
        target = f"{quote(repo.id)}/{commit}/{quote(entry.path)}"
        headers = [
            ("X-Repo-Commit", commit),
            ("Accept-Ranges", "bytes"),
            ("X-Linked-Etag", f'"{entry.etag}"'),
        ]
        if not entry.sha256 and self.server.mirror.resolve_flow == "direct":
            # Not the Hub's flow: one round trip per file, for measuring a crawl against a one-request floor.
            direct = [("ETag", f'"{entry.etag}"'), ("X-Repo-Commit", commit), ("Accept-Ranges", "bytes")]
            return self._file_body(self.command, entry, direct)
        if entry.sha256:
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            location = f"http://{host}{CDN}{target}"
            headers += [("Location", location), ("X-Linked-Size", str(entry.size))]
            return Resp(302, b"", headers, "text/plain; charset=utf-8")
        query = urlencode({path: "", "etag": f'"{entry.etag}"'})
        location = f"{RESOLVE_CACHE}{target}?{query}"
        body = f"Temporary Redirect. Redirecting to {location}".encode()
        return Resp(307, body, [("Location", location), *headers], "text/plain; charset=utf-8")

    # /api/resolve-cache/models/{id}/{commit}/{path} and /cdn/models/… ---------------------------------
    def _cached(self, index: _Index, method: str, path: str) -> Resp:
        prefix = RESOLVE_CACHE if path.startswith(RESOLVE_CACHE) else CDN
        parts = _split_cached(unquote(path[len(prefix) :]))
        repo = index.snapshot.find(parts[0]) if parts else None
        if parts is None or repo is None or repo.sha != parts[1]:
            return _not_found()
        entry = repo.files.get(parts[2])
        if entry is None:
            return _error(404, "Entry not found", "EntryNotFound", [("X-Repo-Commit", repo.sha)])
        headers = [("ETag", f'"{entry.etag}"'), ("X-Repo-Commit", repo.sha), ("Accept-Ranges", "bytes")]
        if entry.sha256:
            headers += [("X-Linked-Etag", f'"{entry.sha256}"'), ("X-Linked-Size", str(entry.size))]
        return self._file_body(method, entry, headers)

    def _file_body(self, method: str, entry: FileEntry, headers: list[tuple[str, str]]) -> Resp:
        ctype = _content_type(entry.path)
        size = entry.size
        rng = self.headers.get("Range")
        start, end = 0, size  # [start, end)
        status = 200
        if rng:
            parsed = _parse_range(rng, size)
            if parsed == "unsatisfiable":
                headers.append(("Content-Range", f"bytes */{size}"))
                return Resp(416, b"", headers, ctype)
            if parsed is not None:
                start, end = parsed
                status = 206
                headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))
        if method == "HEAD":
            return Resp(status, b"", headers, ctype, length=end - start)
        return Resp(status, entry.read(start, end), headers, ctype)


def _bucket(path: str) -> str | None:
    """The Hub's quota bucket of a path; None for the resolve cache and CDN a 307/302 leads to."""
    if path.startswith(CACHE_PREFIXES):
        return None
    if "/resolve/" in path:
        return "resolvers"
    return "api" if path.startswith("/api/") else "pages"


REDIRECTS = (301, 302, 303, 307, 308)
BODY_TRANSFORMS = tuple(kind for kind in TRANSFORMS if kind != "redirect")  # faults of a served body


def _fault_path(path: str) -> str:
    """The path fault rules match: a resolve-cache or CDN hop is the file's ``/{id}/resolve/{commit}/{file}``,
    so a rule written for a file's resolve URL also reaches the hop that serves its body."""
    for prefix in CACHE_PREFIXES:
        if path.startswith(prefix):
            parts = _split_cached(path[len(prefix) :])
            if parts is not None:
                repo_id, commit, file = parts
                return f"/{repo_id}/resolve/{commit}/{file}"
    return path


def _split_cached(rest: str) -> tuple[str, str, str] | None:
    """``{id}/{commit}/{file}`` of a resolve-cache or CDN path (the commit is the first 40-hex segment)."""
    parts = rest.split("/")
    for i in range(1, min(3, len(parts) - 1)):
        if re.fullmatch(r"[0-9a-f]{40}", parts[i]):
            return "/".join(parts[:i]), parts[i], "/".join(parts[i + 1 :])
    return None


def _content_type(path: str) -> str:
    if path.endswith(".json"):
        return "application/json; charset=utf-8"
    if path.endswith((".md", ".txt", ".py", ".jinja", ".yaml", ".yml")):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(start, end) half-open for a single ``bytes=`` range, "unsatisfiable", or None to ignore it."""
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*(?:,.*)?", header)
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None
    first, last = m.group(1), m.group(2)
    if first == "":
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - n), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if start >= size or end <= start:
        return "unsatisfiable"
    return start, end


def _load_index(path: Path) -> _Index | _ListingIndex:
    """A snapshot directory, or a JSON-lines listing file (``.jsonl``/``.jsonl.gz``) for a listing-only Hub."""
    if path.is_file():
        return _ListingIndex(ListingSnapshot(path))
    return _Index(load_snapshot(path))


class MirrorServer:
    """A local Hub on a background thread. Use as a context manager, or call start()/stop()."""

    def __init__(
        self,
        snapshot_dir: str | os.PathLike[str],
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = 1000,
        latency_ms: float = 0,
        faults: list[dict[str, Any]] | str | os.PathLike[str] | None = None,
        rate_limits: dict[str, Any] | None = None,
        log_path: str | os.PathLike[str] | None = None,
        stall_seconds: float = 30.0,
        resolve_flow: str = "recorded",
    ) -> None:
        if resolve_flow not in RESOLVE_FLOWS:
            raise ValueError(f"resolve_flow must be one of {', '.join(RESOLVE_FLOWS)}")
        self.resolve_flow = resolve_flow
        self.snapshot_dir = Path(snapshot_dir)
        self.host = host
        self.port = port
        if not 1 <= int(page_size) <= MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE}")
        self.page_size = int(page_size)
        self.latency_ms = float(latency_ms)
        self.stall_seconds = float(stall_seconds)
        self._limiter = RateLimiter(rate_limits)
        self._faults = FaultPlan()
        if faults is not None:
            self.add_faults(load_faults(faults) if isinstance(faults, (str, os.PathLike)) else faults)
        self.log_path = Path(log_path) if log_path is not None else None
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        self._log_fh = None
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._index = _load_index(self.snapshot_dir)

    # lifecycle
    def start(self) -> MirrorServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        if self.log_path is not None:
            self._log_fh = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.mirror = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="hubscan-mirror", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._log_lock:
            if self._log_fh is not None:
                self._log_fh.close()
                self._log_fh = None

    def serve_forever(self) -> None:
        """Start and block until stop() is called from another thread (or KeyboardInterrupt)."""
        self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            self.stop()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # snapshot
    def reload(self) -> None:
        """Re-read the snapshot from disk (e.g. after write_repo changed a repo's files)."""
        self._index = _load_index(self.snapshot_dir)

    @property
    def repo_count(self) -> int:
        snapshot = self._index.snapshot
        return len(snapshot.lines) if isinstance(snapshot, ListingSnapshot) else len(snapshot.repos)

    @property
    def repo_ids(self) -> list[str]:
        return sorted(self._index.snapshot.repos)

    # faults
    def add_faults(self, rules: list[dict[str, Any]]) -> None:
        self._faults.add(rules)

    def clear_faults(self) -> None:
        self._faults.clear()

    # request log
    def _record(self, method: str, path: str, query: str, status: int) -> None:
        entry = {"method": method, "path": path, "query": query, "status": status}
        with self._log_lock:
            self._log.append(entry)
            if self._log_fh is not None:
                self._log_fh.write(json.dumps(entry) + "\n")
                self._log_fh.flush()

    @property
    def request_log(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return [dict(e) for e in self._log]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()
