"""HubSource: the only module that talks to the Hub, always through ``huggingface_hub``.

Listing uses ``HfApi.list_models(expand=...)`` so one request yields a page of models with every listing
field the catalog needs. Files are fetched with one streamed GET each (``hf_hub_url`` + the client's
``http_stream_backoff``, which retries 408/429/5xx and honours ``RateLimit``/``Retry-After``), because
``hf_hub_download`` would add a HEAD per file and write a cache copy we do not need.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx2
from huggingface_hub import HfApi, ModelInfo, hf_hub_url
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import (
    build_hf_headers,
    hf_raise_for_status,
    http_backoff,
    http_stream_backoff,
    validate_repo_id,
)

from hubscan.errors import SourceError
from hubscan.records import FetchedFile, Listing, ListingPage, ListingQuery
from hubscan.source.budget import RateBudget
from hubscan.source.client_log import CLIENT_LOG

# Every listing field the catalog stores. `siblings` tells us whether config.json / README.md exist at all,
# which saves a 404 round trip for the many repos (GGUF, diffusers, adapters) that have no config.json.
LISTING_EXPAND = [
    "author",
    "sha",
    "createdAt",
    "lastModified",
    "downloads",
    "downloadsAllTime",
    "likes",
    "trendingScore",
    "tags",
    "pipeline_tag",
    "library_name",
    "gated",
    "private",
    "disabled",
    "cardData",
    "config",
    "safetensors",
    "gguf",
    "baseModels",
    "usedStorage",
    "siblings",
]


def listing_params(query: ListingQuery) -> dict[str, Any]:
    """Query parameters of a listing's first page, as ``HfApi.list_models`` sends them."""
    params: dict[str, Any] = {"expand": LISTING_EXPAND}
    if query.filters:
        params["filter"] = list(query.filters)
    if query.author:
        params["author"] = query.author
    if query.search:
        params["search"] = query.search
    if query.sort:
        params["sort"] = query.sort
    if query.limit is not None:
        params["limit"] = min(query.limit, 1000)
    return params


RETRYABLE_EXCEPTIONS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024


class _BodyReadError(Exception):
    """The status line arrived but the body did not (truncated transfer, read timeout mid-body)."""


class HubSource:
    """Lists models and fetches small files from a Hub endpoint (the real one or a local mirror)."""

    kind = "hub"

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        base_wait: float = 1.0,
        max_wait: float = 8.0,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        rate_reserve: int = 8,
        file_deadline: float = 120.0,
    ):
        self.api = HfApi(endpoint=endpoint, token=token)
        CLIENT_LOG.install()  # the client's warnings: counted, shown only with -v (source/client_log.py)
        # Pause every worker before the resolver quota runs out (reserve = requests possibly in flight).
        self.budget = RateBudget(reserve=rate_reserve)
        self.endpoint = self.api.endpoint
        # Kept only in memory, inside the headers dict; never logged, stored or echoed.
        self._headers = build_hf_headers(token=token)
        self.timeout = timeout
        self.max_retries = max_retries
        self.base_wait = base_wait
        self.max_wait = max_wait
        self.max_file_bytes = max_file_bytes
        self.file_deadline = file_deadline

    def describe(self) -> str:
        return self.endpoint

    def iter_models(
        self,
        *,
        author: str | None = None,
        search: str | None = None,
        filters: list[str] | None = None,
        limit: int | None = None,
        sort: str | None = None,
    ) -> Iterator[Listing]:
        query = ListingQuery(author=author, search=search, filters=filters or [], limit=limit, sort=sort)
        for page in self.iter_pages(query):
            yield from page.listings

    def iter_pages(self, query: ListingQuery, start_url: str | None = None) -> Iterator[ListingPage]:
        """The listing page by page, from the first page or from a stored ``start_url``.

        Pagination is the client's own: its session (``http_backoff``), ``hf_raise_for_status`` and the
        ``Link: rel="next"`` header, as ``HfApi.list_models`` does, under this source's retry policy. Each
        item is validated on its own: a bad one becomes a ``bad_items`` entry, the rest of the page is kept.
        A page that cannot be read after the retries raises ``SourceError(kind="listing")``.
        """
        url = start_url or f"{self.endpoint}/api/models"
        params = None if start_url else listing_params(query)
        while url is not None:
            items, next_url = self._listing_page(url, params)
            listings, bad = [], []
            for item in items:
                try:
                    listings.append(listing_from_item(item))
                except Exception as exc:  # noqa: BLE001 - one malformed item must not cost the page
                    item_id = _item_id(item)
                    bad.append((item_id if isinstance(item_id, str) else None, _describe(exc)))
            yield ListingPage(listings=listings, bad_items=bad, url=url, next_url=next_url)
            url, params = next_url, None

    def _listing_page(self, url: str, params: dict | None) -> tuple[list, str | None]:
        attempts = 0
        delay = self.base_wait
        while True:
            attempts += 1
            try:
                return self._listing_get(url, params)
            except HfHubHTTPError as exc:
                status = _status(exc)
                raise SourceError(
                    f"Listing models from {self.endpoint} failed: {_first_line(exc)}",
                    kind="listing",
                    status=status,
                ) from exc
            except RETRYABLE_EXCEPTIONS as exc:  # http_backoff already spent the retries on these
                raise SourceError(
                    f"Listing models from {self.endpoint} failed after {self.max_retries} retries: "
                    f"{type(exc).__name__}: {exc}",
                    kind="listing",
                ) from exc
            except _BodyReadError as exc:
                if attempts > self.max_retries:
                    raise SourceError(
                        f"Listing models from {self.endpoint} failed: page {url} could not be read after "
                        f"{attempts} attempt(s): {exc}",
                        kind="listing",
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, self.max_wait)

    def _listing_get(self, url: str, params: dict | None) -> tuple[list, str | None]:
        self.budget.before_request("api")
        response = http_backoff(
            "GET",
            url,
            params=params,
            **self._retry_policy(),
        )
        self.budget.observe_response(response)
        hf_raise_for_status(response)
        try:
            items = json.loads(response.content)
        except RecursionError:
            # One item nested deeper than the parser goes (e.g. a 5,000-deep cardData) must not cost the page.
            items = split_items(response.content.decode("utf-8", errors="replace"))
        except ValueError as exc:
            raise _BodyReadError(f"unreadable listing body: {type(exc).__name__}: {exc}") from exc
        if not isinstance(items, list):
            raise _BodyReadError(f"listing body is a JSON {type(items).__name__}, not a list")
        return items, response.links.get("next", {}).get("url")

    def fetch_file(self, repo_id: str, path: str, revision: str | None) -> FetchedFile:
        """GET one file at a commit. Raises SourceError with a ``kind`` the catalog records."""
        try:
            validate_repo_id(repo_id)
        except HFValidationError as exc:
            raise SourceError(f"invalid repo id {repo_id!r}: {exc}", kind="invalid_repo_id") from exc
        url = hf_hub_url(repo_id, path, revision=revision or "main", endpoint=self.endpoint)
        attempts = 0
        delay = self.base_wait
        deadline = time.monotonic() + self.file_deadline
        while True:
            attempts += 1
            try:
                return self._get(url, attempts, deadline)
            except RETRYABLE_EXCEPTIONS as exc:
                # Before the status line: http_stream_backoff has already spent --retries on it.
                raise SourceError(
                    f"{type(exc).__name__} after {self.max_retries} retries: {exc}", kind="network"
                ) from exc
            except _BodyReadError as exc:
                # A body cut off half-way (truncated transfer, read timeout mid-body) gets the same bounded
                # backoff here, within the file's overall deadline.
                if attempts > self.max_retries or time.monotonic() + delay > deadline:
                    raise SourceError(
                        f"{type(exc).__name__} after {attempts} attempt(s): {exc}", kind="network"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, self.max_wait)
            except GatedRepoError as exc:
                raise SourceError(_first_line(exc), kind="gated", status=_status(exc)) from exc
            except RevisionNotFoundError as exc:
                raise SourceError(_first_line(exc), kind="revision_not_found", status=_status(exc)) from exc
            except EntryNotFoundError as exc:
                raise SourceError(_first_line(exc), kind="missing", status=_status(exc)) from exc
            except RepositoryNotFoundError as exc:
                raise SourceError(_first_line(exc), kind="repo_not_found", status=_status(exc)) from exc
            except HfHubHTTPError as exc:
                status = _status(exc)
                kind = "rate_limited" if status == 429 else "http_error"
                raise SourceError(_first_line(exc), kind=kind, status=status, retryable=True) from exc

    def _retry_policy(self) -> dict:
        """The one retry policy (``--retries``, ``--timeout``, back-off) for listing pages and files alike."""
        return {
            "headers": self._headers,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "base_wait_time": self.base_wait,
            "max_wait_time": self.max_wait,
            "retry_on_exceptions": RETRYABLE_EXCEPTIONS,
        }

    def _get(self, url: str, attempts: int, deadline: float) -> FetchedFile:
        self.budget.before_request("resolvers")
        with http_stream_backoff(
            "GET",
            url,
            **self._retry_policy(),
        ) as response:
            self.budget.observe_response(response)
            if response.status_code >= 400:
                response.read()
                hf_raise_for_status(response)
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_file_bytes:
                raise SourceError(
                    f"file is {int(declared):,} bytes, over the {self.max_file_bytes:,}-byte limit",
                    kind="too_large",
                    status=response.status_code,
                )
            chunks = []
            received = 0
            try:
                for chunk in response.iter_bytes():
                    if time.monotonic() > deadline:
                        raise SourceError(
                            f"file not received within the {self.file_deadline:g}s per-file deadline "
                            f"({received:,} bytes so far)",
                            kind="deadline",
                        )
                    received += len(chunk)
                    if received > self.max_file_bytes:
                        raise SourceError(
                            f"file exceeds the {self.max_file_bytes:,}-byte limit", kind="too_large"
                        )
                    chunks.append(chunk)
            except RETRYABLE_EXCEPTIONS as exc:
                # Raised inside the client's backoff context, a retryable exception would be swallowed by its
                # retry loop mid-yield; re-raise it as our own so the retry happens out here instead.
                raise _BodyReadError(f"{type(exc).__name__}: {exc}") from exc
            content = b"".join(chunks)
            if declared is not None and declared.isdigit() and int(declared) != len(content):
                raise _BodyReadError(f"body has {len(content)} of {declared} bytes")
            return FetchedFile(
                content=content,
                etag=(response.headers.get("x-linked-etag") or response.headers.get("etag") or "")
                .removeprefix("W/")
                .strip('"')
                or None,
                commit=response.headers.get("x-repo-commit"),
                http_status=response.status_code,
                attempts=attempts,
            )


class UnparsedItem(str):
    """A listing item's JSON text that could not be parsed on its own (it becomes a bad item)."""


def split_items(text: str) -> list[Any]:
    """The items of a top-level JSON array, each parsed on its own; an item that cannot be is kept as an
    ``UnparsedItem``. Raises ``_BodyReadError`` when the text is not an array."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise _BodyReadError("unreadable listing body: not a JSON array")
    items, depth, start, in_string, escape = [], 0, 1, False, False
    for i, char in enumerate(text):
        if in_string:
            escape, in_string = (False, True) if escape else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                items.append(text[start:i])
        elif char == "," and depth == 1:
            items.append(text[start:i])
            start = i + 1
    parsed: list[Any] = []
    for raw in (chunk.strip() for chunk in items):
        if not raw:
            continue
        try:
            parsed.append(json.loads(raw))
        except (ValueError, RecursionError):
            parsed.append(UnparsedItem(raw))
    return parsed


def listing_from_item(item: Any) -> Listing:
    """Validate one raw listing item and flatten it (raises on anything the catalog cannot store)."""
    if isinstance(item, UnparsedItem):
        raise ValueError("listing item is nested too deeply (or otherwise not JSON) to be read on its own")
    if not isinstance(item, dict):
        raise ValueError(f"listing item is a JSON {type(item).__name__}, not an object")
    model_id = item.get("id")
    if not isinstance(model_id, str) or not model_id:
        raise ValueError("listing item has no model id")
    validate_repo_id(model_id)
    item.setdefault("siblings", None)
    listing = listing_from_model_info(ModelInfo(**item))
    if listing.sha is not None and not isinstance(listing.sha, str):
        raise ValueError(f"sha is a {type(listing.sha).__name__}, not a string")
    return listing


def listing_from_model_info(info: Any) -> Listing:
    """Flatten a ``ModelInfo`` into the plain record the catalog stores."""
    card_data = info.card_data.to_dict() if info.card_data is not None else None
    safetensors = info.safetensors
    siblings = None if info.siblings is None else [s.rfilename for s in info.siblings]
    return Listing(
        id=info.id,
        author=info.author,
        sha=info.sha,
        created_at=_iso(info.created_at),
        last_modified=_iso(info.last_modified),
        downloads=info.downloads,
        downloads_all_time=info.downloads_all_time,
        likes=info.likes,
        trending_score=info.trending_score,
        tags=info.tags,
        pipeline_tag=info.pipeline_tag,
        library_name=info.library_name,
        gated=info.gated,
        private=info.private,
        disabled=info.disabled,
        card_data=card_data,
        config=info.config,
        safetensors_total=safetensors.total if safetensors else None,
        safetensors_parameters=dict(safetensors.parameters) if safetensors else None,
        gguf=info.gguf,
        base_models=info.base_models,
        used_storage=info.used_storage,
        siblings=siblings,
    )


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def _item_id(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("id")
    else:
        match = re.search(r'"id"\s*:\s*"([^"\\]{1,200})"', str(item)[:5000])
        value = match.group(1) if match else None
    return value if isinstance(value, str) else None


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _first_line(exc: Exception) -> str:
    # The Hub's own X-Error-Message ("Access to model … is restricted …") says more than the status line.
    server_message = getattr(exc, "server_message", None)
    if server_message:
        return " ".join(str(server_message).split())
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
