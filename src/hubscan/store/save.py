"""Idempotent writes of crawl results. Every function here is safe to repeat: re-running a crawl upserts."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlite_utils import Database

from hubscan.records import Listing
from hubscan.store.history import record_listing_changes

# A file in one of these states is not requested again until the repo's commit changes.
FINAL_FILE_STATUSES = {
    "ok",
    "absent",
    "missing",
    "gated",
    "too_large",
    "repo_not_found",
    "revision_not_found",
}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def start_run(db: Database, *, source: str, endpoint: str | None, params: dict) -> int:
    # A run still marked running was killed: say so instead of leaving it ambiguous.
    db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running'")
    # Listings are about to change (downloads, new models): stored per-family rows are no longer current.
    db.execute("DELETE FROM family_stats")
    table = db["crawl_runs"]
    table.insert(
        {
            "started_at": now_iso(),
            "status": "running",
            "source": source,
            "endpoint": endpoint,
            "params": dumps(params),
            "models_listed": 0,
            "files_fetched": 0,
            "files_skipped": 0,
            "failures": 0,
        }
    )
    db.conn.commit()
    return table.last_pk


def finish_run(db: Database, run_id: int, *, status: str, counts: dict[str, int]) -> None:
    db["crawl_runs"].update(run_id, {"finished_at": now_iso(), "status": status, **counts})
    db.conn.commit()


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


def model_row(listing: Listing, run_id: int) -> dict:
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
        "listed_at": now_iso(),
    }


def save_listings(db: Database, listings: list[Listing], run_id: int) -> None:
    """Upsert a page of listings (models + card front matter) in one transaction."""
    if not listings:
        return
    ids = [listing.id for listing in listings]
    placeholders = ",".join("?" * len(ids))
    known = {row[0] for row in db.execute(f"SELECT id FROM models WHERE id IN ({placeholders})", ids)}
    card_shas = dict(db.execute(f"SELECT model_id, sha FROM cards WHERE model_id IN ({placeholders})", ids))
    with db.conn:
        rows = []
        for listing in listings:
            row = model_row(listing, run_id)
            if listing.id not in known:
                row["first_seen_run"] = run_id
            rows.append(row)
        record_listing_changes(db, run_id, rows)
        db["models"].upsert_all(rows, pk="id")
        cards = []
        for listing in listings:
            if listing.card_data is None and listing.id not in card_shas:
                continue
            card = {"model_id": listing.id, "sha": listing.sha, "card_data": dumps(listing.card_data)}
            if listing.id in card_shas and card_shas[listing.id] != listing.sha:
                card["body_status"] = "stale"
            cards.append(card)
        if cards:
            db["cards"].upsert_all(cards, pk="model_id")


def stored_shas(db: Database, model_ids: list[str]) -> dict[str, str | None]:
    """The commit each model had in the catalog before this page (absent: not catalogued yet)."""
    if not model_ids:
        return {}
    placeholders = ",".join("?" * len(model_ids))
    return dict(db.execute(f"SELECT id, sha FROM models WHERE id IN ({placeholders})", model_ids).fetchall())


def file_states(db: Database, model_ids: list[str]) -> dict[tuple[str, str], dict]:
    if not model_ids:
        return {}
    placeholders = ",".join("?" * len(model_ids))
    rows = db.execute(
        f"SELECT model_id, path, sha, status FROM files WHERE model_id IN ({placeholders})", model_ids
    ).fetchall()
    return {(m, p): {"sha": s, "status": st} for m, p, s, st in rows}


def save_file_result(
    db: Database,
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
) -> str:
    """Record one file's outcome (and its content in configs/cards) in one transaction.

    Returns the outcome kind: the fetch status, or for a fetched config.json that does not parse,
    ``invalid_json`` / ``not_object`` (recorded in crawl_errors like any other failure).
    """
    fetched_at = now_iso()
    outcome = status
    with db.conn:
        db["files"].upsert(
            {
                "model_id": model_id,
                "path": path,
                "sha": sha,
                "etag": etag,
                "size_bytes": None if content is None else len(content),
                "status": status,
                "http_status": http_status,
                "attempts": attempts,
                "fetched_at": fetched_at,
            },
            pk=("model_id", "path"),
        )
        if path == "config.json":
            outcome, parse_error = _save_config(db, model_id, sha, status, content, error, fetched_at)
            error = error or parse_error
        elif path == "README.md":
            _save_card_body(db, model_id, sha, status, content, fetched_at)
        if outcome not in ("ok", "absent") and run_id is not None:
            db["crawl_errors"].insert(
                {
                    "run_id": run_id,
                    "model_id": model_id,
                    "path": path,
                    "sha": sha,
                    "kind": outcome,
                    "http_status": http_status,
                    "message": error,
                    "at": fetched_at,
                }
            )
    return outcome


def _save_config(db, model_id, sha, status, content, error, fetched_at) -> tuple[str, str | None]:
    raw = None if content is None else content.decode("utf-8", errors="replace")
    config_status = status
    if status == "ok":
        config_status, error = parse_config_status(raw)
    db["configs"].upsert(
        {
            "model_id": model_id,
            "sha": sha,
            "status": config_status,
            "raw": raw,
            "size_bytes": None if content is None else len(content),
            "error": error,
            "fetched_at": fetched_at,
        },
        pk="model_id",
    )
    if config_status == "ok":
        model_type = json.loads(raw).get("model_type")
        if isinstance(model_type, str):
            db.execute(
                "UPDATE models SET model_type = ? WHERE id = ? AND model_type IS NULL", [model_type, model_id]
            )
    return config_status, error


def parse_config_status(raw: str | None) -> tuple[str, str | None]:
    try:
        parsed = json.loads(raw or "")
    except ValueError as exc:
        return "invalid_json", f"invalid JSON: {exc}"
    if not isinstance(parsed, dict):
        return "not_object", f"config.json is a JSON {type(parsed).__name__}, not an object"
    return "ok", None


def _save_card_body(db, model_id, sha, status, content, fetched_at) -> None:
    body = None if content is None else content.decode("utf-8", errors="replace")
    db["cards"].upsert(
        {
            "model_id": model_id,
            "sha": sha,
            "body": body,
            "body_status": status,
            "size_bytes": None if content is None else len(content),
            "fetched_at": fetched_at,
        },
        pk="model_id",
    )


def record_error(
    db: Database, run_id: int, *, model_id: str | None, kind: str, message: str, path=None
) -> None:
    with db.conn:
        db["crawl_errors"].insert(
            {
                "run_id": run_id,
                "model_id": model_id,
                "path": path,
                "kind": kind,
                "message": message,
                "at": now_iso(),
            }
        )
