"""Plain records that cross from a source into the crawler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Listing:
    """One model as a listing page (or a local folder) describes it."""

    id: str
    sha: str | None = None
    author: str | None = None
    created_at: str | None = None
    last_modified: str | None = None
    downloads: int | None = None
    downloads_all_time: int | None = None
    likes: int | None = None
    trending_score: int | None = None
    tags: list[str] | None = None
    pipeline_tag: str | None = None
    library_name: str | None = None
    gated: Any = None
    private: bool | None = None
    disabled: bool | None = None
    card_data: dict | None = None
    config: dict | None = None
    safetensors_total: int | None = None
    safetensors_parameters: dict | None = None
    gguf: dict | None = None
    base_models: Any = None
    used_storage: int | None = None
    # File names in the repo at `sha`, when the source knows them (None = unknown, try anyway).
    siblings: list[str] | None = None
    # Local sources carry file bytes directly (no request needed).
    local_files: dict[str, bytes] = field(default_factory=dict, repr=False)


@dataclass
class FetchedFile:
    content: bytes
    etag: str | None = None
    commit: str | None = None
    http_status: int | None = None
    attempts: int = 1


@dataclass
class ListingPage:
    """One page of a listing: the models that validated, the items that did not, and where the next page is.

    ``next_url`` is the page after this one (the Hub's ``Link: rel="next"``), None on the last page; a crawl
    stores it once every model of this page is stored, so a resumed crawl starts exactly there.
    """

    listings: list[Listing]
    bad_items: list[tuple[str | None, str]] = field(default_factory=list)  # (model id if known, reason)
    url: str | None = None
    next_url: str | None = None


@dataclass
class ListingQuery:
    """Which models a listing asks for, and in which order (sort: a Hub sort key, descending; None: the
    Hub's default order)."""

    author: str | None = None
    search: str | None = None
    filters: list[str] = field(default_factory=list)
    limit: int | None = None
    sort: str | None = None
