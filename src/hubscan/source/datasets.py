"""Dataset repositories from the Hub, through ``huggingface_hub`` (``HfApi.list_datasets``/``dataset_info``).

A card names the datasets a model was trained or evaluated on (``datasets:``); the dataset repo's
``size_categories:<bucket>`` tag (e.g. ``size_categories:10K<n<100K``) gives its number of rows as bounds,
stored as ``rows_min``/``rows_max`` (``rows_max`` empty when open-ended, ``n>1T``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from huggingface_hub import HfApi
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, HFValidationError, RepositoryNotFoundError

_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_BOUND = re.compile(r"^(\d+(?:\.\d+)?)([KMBT]?)$", re.IGNORECASE)


def _count(text: str) -> int | None:
    match = _BOUND.match(text.strip())
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def size_bounds(category: str | None) -> tuple[int | None, int | None]:
    """``(rows_min, rows_max)`` of a size category: ``n<1K`` → (0, 1000), ``10K<n<100K`` → (10000, 100000),
    ``n>1T`` → (10^12, None); anything else → (None, None)."""
    if not category:
        return None, None
    text = category.strip().replace(" ", "")
    if text.lower().startswith("size_categories:"):
        text = text.split(":", 1)[1]
    parts = text.split("<")
    if len(parts) == 3 and parts[1].lower() == "n":
        return _count(parts[0]), _count(parts[2])
    if len(parts) == 2 and parts[0].lower() == "n":
        return 0, _count(parts[1])
    if text.lower().startswith("n>"):
        return _count(text[2:]), None
    return None, None


def size_category(tags: Iterable[str] | None) -> str | None:
    for tag in tags or []:
        if isinstance(tag, str) and tag.startswith("size_categories:"):
            return tag.split(":", 1)[1]
    return None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else str(value)


def dataset_row(info: Any) -> dict:
    """The ``datasets`` row of a ``DatasetInfo``."""
    tags = list(info.tags or [])
    category = size_category(tags)
    low, high = size_bounds(category)
    return {
        "id": info.id, "author": info.author, "sha": info.sha, "created_at": _iso(info.created_at),
        "last_modified": _iso(info.last_modified), "downloads": info.downloads, "likes": info.likes,
        "tags": json.dumps(tags, ensure_ascii=False), "size_category": category, "rows_min": low,
        "rows_max": high, "status": "ok", "fetched_at": _now(),
    }  # fmt: skip


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _failed(dataset_id: str, status: str) -> dict:
    return {"id": dataset_id, "status": status, "fetched_at": _now()}


def fetch_datasets(
    ids: Iterable[str], *, endpoint: str | None = None, token: str | None = None
) -> Iterator[dict]:
    """One ``datasets`` row per id via ``HfApi.dataset_info``; a dataset that is missing, gated or failing
    becomes a row with status ``not_found``, ``gated`` or ``error``."""
    api = HfApi(endpoint=endpoint, token=token)
    for dataset_id in ids:
        try:
            yield dataset_row(api.dataset_info(dataset_id))
        except GatedRepoError:
            yield _failed(dataset_id, "gated")
        except (RepositoryNotFoundError, HFValidationError):
            yield _failed(dataset_id, "not_found")
        except HfHubHTTPError:
            yield _failed(dataset_id, "error")


def list_datasets(
    *, endpoint: str | None = None, token: str | None = None, author: str | None = None,
    search: str | None = None, limit: int | None = None,
) -> Iterator[dict]:  # fmt: skip
    """``datasets`` rows for the Hub's dataset listing (``HfApi.list_datasets``, every page)."""
    api = HfApi(endpoint=endpoint, token=token)
    for info in api.list_datasets(author=author, search=search, limit=limit, full=True):
        yield dataset_row(info)
