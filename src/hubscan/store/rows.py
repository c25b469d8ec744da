"""Row and SQL-operation builders for crawl outcomes (pure: no database access).

``hubscan.store.writer`` commits the operations built here; ``hubscan.store.save`` keeps the one-call forms.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from hubscan.parse.limits import JsonLimitError, load_json
from hubscan.records import Listing

Op = tuple[str, tuple]

FINAL_FILE_STATUSES = {
    "ok",
    "absent",
    "missing",
    "gated",
    "too_large",
    "repo_not_found",
    "revision_not_found",
    # The file was served, but its content cannot be used (the same bytes would fail again at this commit).
    "invalid_json",
    "not_object",
    "too_deep",
    "number_out_of_range",
}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@functools.lru_cache(maxsize=256)
def upsert_sql(table: str, columns: Sequence[str], pk: Sequence[str], insert_only: Iterable[str] = ()) -> str:
    """``INSERT … ON CONFLICT(pk) DO UPDATE SET`` exactly the non-key ``columns`` (minus ``insert_only``)."""
    skip = set(pk) | set(insert_only)
    updates = [f"{c} = excluded.{c}" for c in columns if c not in skip]
    action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT({', '.join(pk)}) {action}"
    )


def upsert_op(table: str, row: dict, pk: tuple[str, ...], insert_only: tuple[str, ...] = ()) -> Op:
    columns = tuple(row)
    return upsert_sql(table, columns, pk, insert_only), tuple(row.values())


def insert_op(table: str, row: dict) -> Op:
    return f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())


def normalize_base_models(base_models: Any, card_data: dict | None) -> dict | None:
    """``{"relation", "models": [ids]}`` from the Hub's baseModels expand, else the card's base_model."""
    relation = None
    models: list[str] = []
    if isinstance(base_models, dict):
        relation = base_models.get("relation")
        for item in base_models.get("models") or []:
            model_id = item.get("id") if isinstance(item, dict) else item
            if isinstance(model_id, str) and model_id:
                models.append(model_id)
    if not models and isinstance(card_data, dict):
        declared = card_data.get("base_model")
        if isinstance(declared, str):
            declared = [declared]
        if isinstance(declared, list):
            models = [m.strip() for m in declared if isinstance(m, str) and m.strip()]
        if relation is None and isinstance(card_data.get("base_model_relation"), str):
            relation = card_data["base_model_relation"]
    if not models:
        return None
    if relation is None:
        relation = "merge" if len(models) > 1 else "finetune"
    return {"relation": relation, "models": models}


def model_row(listing: Listing, run_id: int, listed_at: str | None = None) -> dict:
    config = listing.config if isinstance(listing.config, dict) else {}
    base = normalize_base_models(listing.base_models, listing.card_data)
    gated = listing.gated
    return {
        "id": listing.id,
        "author": listing.author or (listing.id.split("/")[0] if "/" in listing.id else None),
        "sha": listing.sha,
        "created_at": listing.created_at,
        "last_modified": listing.last_modified,
        "downloads": listing.downloads,
        "downloads_all_time": listing.downloads_all_time,
        "likes": listing.likes,
        "trending_score": listing.trending_score,
        "pipeline_tag": listing.pipeline_tag,
        "library_name": listing.library_name,
        "gated": None if gated is None else str(gated).lower(),
        "private": None if listing.private is None else int(bool(listing.private)),
        "disabled": None if listing.disabled is None else int(bool(listing.disabled)),
        "tags": dumps(listing.tags),
        "model_type": config.get("model_type") if isinstance(config.get("model_type"), str) else None,
        "architectures": dumps(config.get("architectures")),
        "config_subset": dumps(config or None),
        "base_models": dumps(base),
        "base_model_relation": base["relation"] if base else None,
        "safetensors_total": listing.safetensors_total,
        "safetensors_parameters": dumps(listing.safetensors_parameters),
        "gguf_total": (listing.gguf or {}).get("total") if isinstance(listing.gguf, dict) else None,
        "gguf": dumps(listing.gguf),
        "used_storage": listing.used_storage,
        "last_seen_run": run_id,
        "listed_at": listed_at or now_iso(),
    }


def card_rows(listings: list[Listing], card_shas: dict[str, str | None]) -> list[dict]:
    """Card front matter rows of a page; only the columns a listing knows (never the body or its status,
    except ``body_status = 'stale'`` when the stored card is of another commit)."""
    cards = []
    for listing in listings:
        if listing.card_data is None and listing.id not in card_shas:
            continue
        card = {"model_id": listing.id, "sha": listing.sha, "card_data": dumps(listing.card_data)}
        if listing.id in card_shas and card_shas[listing.id] != listing.sha:
            card["body_status"] = "stale"
        cards.append(card)
    return cards


def file_outcome_ops(
    *,
    model_id: str,
    path: str,
    sha: str | None,
    status: str,
    content: bytes | None = None,
    etag: str | None = None,
    http_status: int | None = None,
    attempts: int = 0,
    error: str | None = None,
    run_id: int | None = None,
) -> tuple[str, list[tuple[str, tuple]]]:
    """The operations that store one file outcome: its ``files`` row, its content row (``configs`` or
    ``cards``), the ``models.model_type`` fill-in and a ``crawl_errors`` row for a failure. They are only
    ever committed together."""
    fetched_at = now_iso()
    size = None if content is None else len(content)
    file_row = {
        "model_id": model_id, "path": path, "sha": sha, "etag": etag, "size_bytes": size, "status": status,
        "http_status": http_status, "attempts": attempts, "fetched_at": fetched_at,
    }  # fmt: skip
    outcome = status
    text = None if content is None else content.decode("utf-8", errors="replace")
    ops = []
    if path == "config.json":
        outcome, parse_error, model_type = config_outcome(status, text)
        error = error or parse_error
        file_row["status"] = outcome  # served but unusable content is final for this commit, not "ok"
        config = {
            "model_id": model_id, "sha": sha, "status": outcome, "raw": text, "size_bytes": size,
            "error": error, "fetched_at": fetched_at,
        }  # fmt: skip
        ops.append(upsert_op("configs", config, ("model_id",)))
        if model_type is not None:
            ops.append(
                (
                    "UPDATE models SET model_type = ? WHERE id = ? AND model_type IS NULL",
                    (model_type, model_id),
                )
            )
    elif path == "README.md":
        card = {
            "model_id": model_id, "sha": sha, "body": text, "body_status": status, "size_bytes": size,
            "fetched_at": fetched_at,
        }  # fmt: skip
        ops.append(upsert_op("cards", card, ("model_id",)))
    ops.insert(0, upsert_op("files", file_row, ("model_id", "path")))
    if outcome not in ("ok", "absent") and run_id is not None:
        err = {
            "run_id": run_id, "model_id": model_id, "path": path, "sha": sha, "kind": outcome,
            "http_status": http_status, "message": error, "at": fetched_at,
        }  # fmt: skip
        ops.append(insert_op("crawl_errors", err))
    return outcome, ops


def config_outcome(status: str, raw: str | None) -> tuple[str, str | None, str | None]:
    """(configs.status, parse error, model_type) of a fetched config.json."""
    if status != "ok":
        return status, None, None
    try:
        parsed = load_json(raw or "")
    except JsonLimitError as exc:
        return exc.kind, str(exc), None
    if not isinstance(parsed, dict):
        return "not_object", f"config.json is a JSON {type(parsed).__name__}, not an object", None
    model_type = parsed.get("model_type")
    return "ok", None, model_type if isinstance(model_type, str) else None
