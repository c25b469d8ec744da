"""Idempotent writes of crawl results. Every function here is safe to repeat: re-running a crawl upserts."""

from __future__ import annotations

from sqlite_utils import Database

from hubscan.records import Listing
from hubscan.store.rows import (  # noqa: F401 - re-exported: the names callers know from this module
    FINAL_FILE_STATUSES,
    card_rows,
    config_outcome,
    dumps,
    file_outcome_ops,
    model_row,
    normalize_base_models,
    now_iso,
)
from hubscan.store.writer import CatalogWriter


def start_run(
    db: Database,
    *,
    source: str,
    endpoint: str | None,
    params: dict,
    scope: str | None = None,
    cursor: str | None = None,
    pages: int = 0,
    watermark: str | None = None,
) -> int:
    """A new ``running`` run; ``cursor``/``pages`` carry over a resumed run's position."""
    mark_stale_runs(db)
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
            "scope": scope,
            "next_cursor": cursor,
            "pages_committed": pages,
            "watermark": watermark,
        }
    )
    db.conn.commit()
    return table.last_pk


def mark_stale_runs(db: Database) -> int:
    """A run still marked ``running`` when a crawl starts was killed: mark it ``interrupted``."""
    with db.conn:
        cursor = db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running'")
    return cursor.rowcount


def last_run_of_scope(db: Database, scope: str) -> dict | None:
    """The newest run with this scope: its status, listing cursor, pages and watermark."""
    row = db.execute(
        "SELECT id, status, next_cursor, pages_committed, watermark FROM crawl_runs WHERE scope = ? "
        "ORDER BY id DESC LIMIT 1",
        [scope],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("id", "status", "next_cursor", "pages_committed", "watermark"), row, strict=True))


def finished_runs(db: Database, source: str, endpoint: str | None) -> list[dict]:
    """Finished runs of this source and endpoint, newest first, with their scope and watermark."""
    rows = db.execute(
        "SELECT id, scope, watermark FROM crawl_runs WHERE status = 'finished' AND source = ? "
        "AND endpoint IS ? ORDER BY id DESC",
        [source, endpoint],
    ).fetchall()
    return [dict(zip(("id", "scope", "watermark"), row, strict=True)) for row in rows]


def finish_run(db: Database, run_id: int, *, status: str, counts: dict[str, int]) -> None:
    db["crawl_runs"].update(run_id, {"finished_at": now_iso(), "status": status, **counts})
    db.conn.commit()


def known_models(db: Database, model_ids: list[str]) -> tuple[set[str], dict[str, str | None]]:
    """(ids already catalogued, {id: stored card sha}) for a page."""
    if not model_ids:
        return set(), {}
    marks = ",".join("?" * len(model_ids))
    known = {row[0] for row in db.execute(f"SELECT id FROM models WHERE id IN ({marks})", model_ids)}
    card_shas = dict(db.execute(f"SELECT model_id, sha FROM cards WHERE model_id IN ({marks})", model_ids))
    return known, card_shas


def save_listings(db: Database, listings: list[Listing], run_id: int) -> None:
    """Upsert a page of listings (models + card front matter) in one transaction."""
    if not listings:
        return
    known, card_shas = known_models(db, [listing.id for listing in listings])
    writer = CatalogWriter(db, run_id)
    writer.add_listings(listings, known, card_shas)
    writer.commit()


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
        "SELECT model_id, path, sha, status, http_status, fetched_at FROM files "
        f"WHERE model_id IN ({placeholders})",
        model_ids,
    ).fetchall()
    return {
        (m, p): {"sha": s, "status": st, "http_status": hs, "fetched_at": at} for m, p, s, st, hs, at in rows
    }


def save_file_result(db: Database, *, run_id: int | None = None, **outcome) -> str:
    """Record one file's outcome (and its content in configs/cards) in one transaction.

    Returns the outcome kind: the fetch status, or for a fetched config.json that does not parse,
    ``invalid_json`` / ``not_object`` (recorded in crawl_errors like any other failure).
    """
    writer = CatalogWriter(db, run_id)  # type: ignore[arg-type]
    kind = writer.add_file(**outcome)
    writer.commit()
    return kind


def parse_config_status(raw: str | None) -> tuple[str, str | None]:
    status, error, _ = config_outcome("ok", raw)
    return status, error


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
