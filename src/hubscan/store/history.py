"""History across crawls: what changed in each model's listing, run by run (table ``model_history``).

Only changes are stored. A model's first appearance is ``models.first_seen_run``; each later run that sees a
different value of a tracked field writes one row for the model with the new values of the changed fields,
their previous values (``previous``, JSON) and the names that changed (``changed``, JSON list), so the full
time series can be rebuilt backwards from the current ``models`` row. Reported training emissions changed by a
re-derive are recorded the same way (field ``reported_g``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlite_utils import Database

HISTORY_FIELDS = ("sha", "last_modified", "downloads", "likes", "gated", "tags", "pipeline_tag")
# Listing fields the per-family numbers depend on: a change makes the model's family row stale.
FAMILY_FIELDS = (
    "author", "pipeline_tag", "library_name", "model_type", "base_models", "used_storage", "downloads",
    "safetensors_total", "gguf_total",
)  # fmt: skip
BATCH = 500


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stored(db: Database, ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
        cursor = db.execute(
            f"SELECT id, {', '.join(fields)} FROM models WHERE id IN ({','.join('?' * len(chunk))})", chunk
        )
        for row in cursor:
            out[row[0]] = dict(zip(fields, row[1:], strict=True))
    return out


def record_listing_changes(db: Database, run_id: int, rows: Sequence[dict[str, Any]]) -> int:
    """Before a page of listing ``rows`` (``models`` rows) is upserted: record each catalogued model whose
    tracked fields differ from the stored ones, and mark its family row stale. Returns the models recorded.
    New models are not recorded here (``first_seen_run`` says when they appeared): a known model's row gets
    its stored ``first_seen_run``, since a page upsert that mixes new and known models would otherwise
    write NULL for the known ones."""
    fields = sorted(set(HISTORY_FIELDS) | set(FAMILY_FIELDS) | {"first_seen_run"})
    stored = _stored(db, [row["id"] for row in rows], fields)
    recorded, stale = 0, []
    for row in rows:
        old = stored.get(row["id"])
        if old is None:
            continue
        row.setdefault("first_seen_run", old["first_seen_run"])
        if any(old[f] != row.get(f) for f in FAMILY_FIELDS if f in row):
            stale.append(row["id"])
        changed = {f: (old[f], row.get(f)) for f in HISTORY_FIELDS if f in row and old[f] != row.get(f)}
        if changed:
            _merge_change(db, run_id, row["id"], changed)
            recorded += 1
    mark_members_stale(db, stale)
    return recorded


def record_reported_changes(db: Database, changes: Mapping[str, tuple[Any, Any]]) -> None:
    """Reported emissions (grams) that a re-derive changed, ``{model: (before, after)}``, attributed to the
    latest crawl run (the one deriving, or the last one for an offline ``hubscan derive``)."""
    run = db.execute("SELECT MAX(id) FROM crawl_runs").fetchone()[0]
    if run is None:
        return
    for model_id, (before, after) in changes.items():
        _merge_change(db, run, model_id, {"reported_g": (before, after)})


def _merge_change(db: Database, run_id: int, model_id: str, changed: dict[str, tuple[Any, Any]]) -> None:
    """Write (or extend) the history row of ``model_id`` for ``run_id`` with ``{field: (old, new)}``."""
    current = db.execute(
        "SELECT changed, previous FROM model_history WHERE model_id = ? AND run_id = ?", [model_id, run_id]
    ).fetchone()
    names, previous = ([], {}) if current is None else (json.loads(current[0]), json.loads(current[1]))
    values = {}
    if current is not None:
        cursor = db.execute(
            "SELECT * FROM model_history WHERE model_id = ? AND run_id = ?", [model_id, run_id]
        )
        values = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    for name, (old, new) in changed.items():
        if name not in names:
            names.append(name)
            previous[name] = old
        values[name] = new
    values.update(
        run_id=run_id, model_id=model_id, changed=json.dumps(names), previous=json.dumps(previous), at=_now()
    )
    columns = list(values)
    db.execute(
        f"INSERT OR REPLACE INTO model_history ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [values[c] for c in columns],
    )


def mark_members_stale(db: Database, model_ids: Sequence[str]) -> None:
    """Listing or derived numbers of ``model_ids`` changed: their ``family_members`` rows (and so their
    families) are recomputed by the next family refresh; until then queries compute from the source tables."""
    for start in range(0, len(model_ids), BATCH):
        chunk = list(model_ids[start : start + BATCH])
        db.execute(
            f"UPDATE family_members SET stale = 1 WHERE model_id IN ({','.join('?' * len(chunk))})", chunk
        )
