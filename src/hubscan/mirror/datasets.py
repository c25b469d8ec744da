"""Dataset repositories on the mirror: ``/api/datasets`` (listing) and ``/api/datasets/{id}`` (dataset_info),
with the listing and error rules of the model endpoints (cursor paging with a ``Link: rel="next"`` header,
``limit``/``search``/``author``/``filter``/``sort``, 400 on bad parameters, private repos hidden and answered
401/404 ``RepoNotFound`` like missing ones).

Snapshot layout: ``SNAPSHOT/datasets/<owner>/<name>/meta.json`` with the listing fields (``createdAt``,
``lastModified``, ``downloads``, ``likes``, ``tags``, ``cardData``, ``gated``, ``private``, ``sha``,
``allowed_tokens``); anything absent stays absent in responses. The handler in ``server.py`` hands every
``/api/datasets`` request to :func:`dataset_route`, which answers ``(status, payload, headers)``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from hubscan.mirror.snapshot import timestamp_value, valid_repo_id

MAX_PAGE = 1000
DEFAULT_PAGE = 1000
SORTS = {"trendingScore": "trendingScore", "downloads": "downloads", "likes": "likes", "createdAt": "createdAt",
         "created_at": "createdAt", "lastModified": "lastModified", "last_modified": "lastModified"}  # fmt: skip
LIST_KEYS = ("_id", "id", "author", "sha", "createdAt", "lastModified", "private", "gated", "disabled",
             "downloads", "likes", "tags", "trendingScore")  # fmt: skip
INFO_KEYS = (*LIST_KEYS, "cardData", "siblings")
Answer = tuple[int, Any, list[tuple[str, str]]]


@dataclass
class DatasetRepo:
    id: str
    record: dict[str, Any]
    private: bool
    allowed_tokens: frozenset[str]


def write_dataset(snapshot_dir: str | os.PathLike[str], dataset_id: str, meta: dict[str, Any]) -> Path:
    """Write one dataset repo's meta.json into a snapshot (for tests and snapshot builders)."""
    if not valid_repo_id(dataset_id):
        raise ValueError(f"invalid dataset id {dataset_id!r}")
    path = Path(snapshot_dir) / "datasets" / dataset_id / "meta.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", "utf-8")
    return path


def _record(dataset_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    rec = {"_id": meta.get("_id") or hashlib.sha1(f"dataset:{dataset_id}".encode()).hexdigest()[:24],
           "id": dataset_id, "author": meta.get("author") or dataset_id.split("/")[0],
           "sha": meta.get("sha") or hashlib.sha1(json.dumps(meta, sort_keys=True).encode()).hexdigest(),
           "private": bool(meta.get("private", False)), "gated": meta.get("gated", False),
           "disabled": bool(meta.get("disabled", False)), "tags": list(meta.get("tags", [])), "siblings": []}  # fmt: skip
    for key in ("createdAt", "lastModified", "downloads", "likes", "trendingScore", "cardData"):
        if key in meta:
            rec[key] = meta[key]
    return rec


def load_datasets(snapshot_dir: str | os.PathLike[str]) -> list[DatasetRepo]:
    """Every dataset repo of a snapshot, in ``_id`` order (none when it has no ``datasets/`` folder)."""
    root = Path(snapshot_dir) / "datasets"
    repos = []
    for meta_path in sorted(root.glob("*/*/meta.json")) if root.is_dir() else []:
        dataset_id = f"{meta_path.parent.parent.name}/{meta_path.parent.name}"
        if not valid_repo_id(dataset_id):
            continue
        meta = json.loads(meta_path.read_text("utf-8"))
        repos.append(DatasetRepo(dataset_id, _record(dataset_id, meta), bool(meta.get("private", False)),
                                 frozenset(meta.get("allowed_tokens", []))))  # fmt: skip
    return sorted(repos, key=lambda r: r.record["_id"])


def _error(status: int, message: str, code: str | None = None) -> Answer:
    headers = ([("X-Error-Code", code)] if code else []) + [("X-Error-Message", message)]
    return status, {"error": message}, headers


def _visible(repo: DatasetRepo, token: str) -> bool:
    return not repo.private or token in repo.allowed_tokens


def _sort_key(repo: DatasetRepo, sort: str) -> tuple[int, float, str]:
    value = repo.record.get(sort)
    if value is None:
        return (1, 0.0, repo.record["_id"])
    number = timestamp_value(value) if sort in ("createdAt", "lastModified") else float(value)
    return (0, -number, repo.record["_id"])


def _cursor(key: tuple[int, float, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode()


def _uncursor(text: str) -> tuple[int, float, str]:
    flag, number, oid = json.loads(base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4)))
    return (int(flag), float(number), str(oid))


def _params(query: str) -> dict[str, list[str]]:
    params: dict[str, list[str]] = defaultdict(list)
    for key, value in parse_qsl(query, keep_blank_values=True):
        params[key[:-2] if key.endswith("[]") else key].append(value)
    return params


def _matches(repo: DatasetRepo, params: dict[str, list[str]], token: str) -> bool:
    if not _visible(repo, token):
        return False
    if any(s.lower() not in repo.id.lower() for s in params.get("search", []) if s):
        return False
    authors = [a.lower() for a in params.get("author", []) if a]
    if authors and repo.record["author"].lower() not in authors:
        return False
    tags = set(repo.record["tags"])
    return all(f in tags or f == repo.id for f in params.get("filter", []) if f)


def _page_size(params: dict[str, list[str]], default: int) -> int | Answer:
    if not params.get("limit"):
        return default
    try:
        limit = int(params["limit"][-1])
    except ValueError:
        return _error(400, '"limit" must be an integer')
    return _error(400, '"limit" must be a positive integer') if limit < 1 else min(limit, MAX_PAGE)


def list_datasets(
    repos: list[DatasetRepo], query: str, token: str, host: str, page_size: int = DEFAULT_PAGE
) -> Answer:
    params = _params(query)
    sort = SORTS.get((params.get("sort") or ["trendingScore"])[-1] or "trendingScore")
    if sort is None:
        return _error(400, f"Invalid sort key {params['sort'][-1]!r}")
    size = _page_size(params, page_size)
    if isinstance(size, tuple):
        return size
    try:
        start = _uncursor(params["cursor"][-1]) if params.get("cursor") else None
    except (ValueError, TypeError):
        return _error(400, "Invalid cursor")
    ordered = sorted(
        ((_sort_key(r, sort), r) for r in repos if _matches(r, params, token)), key=lambda p: p[0]
    )
    if start is not None:
        ordered = [(k, r) for k, r in ordered if k > start]
    page, more = ordered[:size], len(ordered) > size
    keys = INFO_KEYS if any(v.lower() in ("true", "1") for v in params.get("full", [])) else LIST_KEYS
    items = [{k: r.record[k] for k in keys if r.record.get(k) is not None} for _, r in page]
    headers = []
    if more:
        kept = [p for p in query.split("&") if p and unquote(p.split("=", 1)[0]) != "cursor"]
        kept.append("cursor=" + quote(_cursor(page[-1][0]), safe=""))
        headers.append(("Link", f'<http://{host}/api/datasets?{"&".join(kept)}>; rel="next"'))
    return 200, items, headers


def dataset_info(repos: list[DatasetRepo], rest: str, token: str) -> Answer:
    dataset_id = unquote(rest.split("/revision/", 1)[0].rstrip("/"))
    if not valid_repo_id(dataset_id):
        return 404, {"error": "Not Found"}, []
    repo = next((r for r in repos if r.id == dataset_id), None)
    if repo is None or not _visible(repo, token):
        if token:
            return _error(404, "Repository not found", "RepoNotFound")
        return _error(401, "Repository not found. Invalid username or password.", "RepoNotFound")
    return 200, {k: repo.record[k] for k in INFO_KEYS if repo.record.get(k) is not None}, []


def dataset_route(mirror: Any, method: str, path: str, query: str, token: str, host: str) -> Answer:
    """Answer one ``/api/datasets[/...]`` request for ``mirror`` (a ``MirrorServer``)."""
    if method not in ("GET", "HEAD"):
        return _error(405, "Method not allowed")
    repos = mirror.__dict__.get("_dataset_repos")
    if repos is None or mirror.__dict__.get("_dataset_index") is not mirror._index:
        repos = load_datasets(mirror.snapshot_dir)  # loaded with (and reloaded after) the snapshot
        mirror._dataset_repos, mirror._dataset_index = repos, mirror._index
    if path == "/api/datasets":
        return list_datasets(repos, query, token, host, mirror.page_size)
    return dataset_info(repos, path[len("/api/datasets/") :], token)
