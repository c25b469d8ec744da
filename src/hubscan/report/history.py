"""History across crawls, read side: one model's time series (``hubscan history``) and what changed on the
Hub since a run or a date (``hubscan changes``). Rows come from ``model_history`` (changes only, with the
previous values), ``models.first_seen_run`` / ``last_seen_run`` and ``crawl_runs``; this module only reads.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlite_utils import Database

from hubscan.errors import QueryError
from hubscan.store.history import HISTORY_FIELDS

STATE_FIELDS = (*HISTORY_FIELDS, "reported_g")
CHANGE_COLUMNS = [
    "change", "model_id", "run_id", "fields", "sha_before", "sha_after", "downloads_before", "downloads_after",
    "reported_g_before", "reported_g_after",
]  # fmt: skip


def _one(db: Database, sql: str, params: Any = ()) -> dict | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))


def _runs(db: Database) -> dict[int, dict]:
    cursor = db.execute("SELECT id, started_at, status, endpoint, params FROM crawl_runs ORDER BY id")
    return {
        row[0]: dict(zip(("id", "started_at", "status", "endpoint", "params"), row, strict=True))
        for row in cursor
    }


def model_history(db: Database, model_id: str) -> list[dict]:
    """One row per run in which the model appeared or changed: the full listing state after that run."""
    current = _one(
        db,
        f"SELECT {', '.join('m.' + f for f in HISTORY_FIELDS)}, r.emissions_g AS reported_g, m.first_seen_run, "
        "m.last_seen_run FROM models m LEFT JOIN reported_emissions r ON r.model_id = m.id WHERE m.id = ?",
        [model_id],
    )
    if current is None:
        raise QueryError(f"{model_id} is not in the catalog. Check the id (owner/name) or crawl it first.")
    runs = _runs(db)
    state = {f: current[f] for f in STATE_FIELDS}
    entries = []
    for run_id, changed, previous in db.execute(
        "SELECT run_id, changed, previous FROM model_history WHERE model_id = ? ORDER BY run_id DESC",
        [model_id],
    ).fetchall():
        names = json.loads(changed)
        entries.append({"run_id": run_id, "change": "changed", "fields": ", ".join(names), **state})
        state.update(json.loads(previous))
    if current["first_seen_run"] is not None:
        entries.append({"run_id": current["first_seen_run"], "change": "first seen", "fields": "", **state})
    entries.reverse()
    removed = removal_run(db, runs)
    if removed is not None and current["last_seen_run"] is not None and current["last_seen_run"] < removed:
        entries.append(
            {"run_id": removed, "change": "not listed", "fields": "", **{f: None for f in STATE_FIELDS}}
        )
    for entry in entries:
        entry["run_started_at"] = (runs.get(entry["run_id"]) or {}).get("started_at")
    columns = ["run_id", "run_started_at", "change", "fields", *STATE_FIELDS]
    return [{c: entry.get(c) for c in columns} for entry in entries]


def _comparable(a: dict, b: dict) -> bool:
    return a["status"] == b["status"] == "finished" and (a["endpoint"], a["params"]) == (
        b["endpoint"],
        b["params"],
    )


def removal_run(db: Database, runs: dict[int, dict] | None = None) -> int | None:
    """The latest run, if it finished: only a finished crawl can say a model is gone."""
    runs = runs if runs is not None else _runs(db)
    if not runs:
        return None
    latest = runs[max(runs)]
    return latest["id"] if latest["status"] == "finished" else None


def baseline_run(db: Database, since: str | None) -> int:
    """``--since``: a run id, or an ISO date/time (the last run started before it); default the run before
    the latest one. Changes are those of later runs."""
    runs = _runs(db)
    if since is None:
        ids = sorted(runs)
        return ids[-2] if len(ids) >= 2 else 0
    text = str(since).strip()
    if text.isdigit():
        if int(text) not in runs:
            raise QueryError(
                f"No crawl run {text}: runs are {', '.join(map(str, sorted(runs))) or 'none yet'}."
            )
        return int(text)
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        raise QueryError(f"--since takes a run id or a date (YYYY-MM-DD[THH:MM:SS]), not {since!r}.")
    before = [r["id"] for r in runs.values() if (r["started_at"] or "") < text]
    return max(before, default=0)


def changes(db: Database, since: str | None = None) -> tuple[list[dict], list[str]]:
    """Models added, removed, re-committed or updated in the runs after ``since``; and notes (e.g. why no
    removals are reported). Reported emissions before/after show new and removed reported figures."""
    base = baseline_run(db, since)
    runs = _runs(db)
    rows = _added(db, base) + _changed(db, base)
    notes = []
    removed, why = _removed(db, base, runs)
    if why:
        notes.append(why)
    rows += removed
    order = {"added": 0, "removed": 1, "re-committed": 2, "updated": 3}
    rows.sort(key=lambda r: (order[r["change"]], r["model_id"]))
    return [{c: r.get(c) for c in CHANGE_COLUMNS} for r in rows], notes


def _added(db: Database, base: int) -> list[dict]:
    cursor = db.execute(
        "SELECT m.id, m.first_seen_run, m.sha, m.downloads, r.emissions_g FROM models m "
        "LEFT JOIN reported_emissions r ON r.model_id = m.id WHERE m.first_seen_run > ?",
        [base],
    )
    return [
        {"change": "added", "model_id": m, "run_id": run, "sha_after": sha, "downloads_after": downloads,
         "reported_g_after": grams}
        for m, run, sha, downloads, grams in cursor
    ]  # fmt: skip


def _changed(db: Database, base: int) -> list[dict]:
    per_model: dict[str, dict] = {}
    cursor = db.execute(
        "SELECT h.model_id, h.run_id, h.changed, h.previous, m.sha, m.downloads, r.emissions_g "
        "FROM model_history h JOIN models m ON m.id = h.model_id "
        "LEFT JOIN reported_emissions r ON r.model_id = h.model_id "
        "WHERE h.run_id > ? AND COALESCE(m.first_seen_run, 0) <= ? ORDER BY h.model_id, h.run_id",
        [base, base],
    )
    for model_id, run_id, _changed_names, previous, sha, downloads, grams in cursor:
        row = per_model.setdefault(
            model_id,
            {"model_id": model_id, "names": [], "before": {}, "sha_after": sha, "downloads_after": downloads,
             "reported_g_after": grams},
        )  # fmt: skip
        row["run_id"] = run_id
        for name, old in json.loads(previous).items():
            if name not in row["names"]:
                row["names"].append(name)
                row["before"][name] = old
    out = []
    for row in per_model.values():
        before, names = row.pop("before"), row.pop("names")
        row["change"] = "re-committed" if "sha" in names else "updated"
        row["fields"] = ", ".join(names)
        row["sha_before"] = before.get("sha", row["sha_after"])
        row["downloads_before"] = before.get("downloads", row["downloads_after"])
        row["reported_g_before"] = before.get("reported_g", row["reported_g_after"])
        out.append(row)
    return out


def _removed(db: Database, base: int, runs: dict[int, dict]) -> tuple[list[dict], str | None]:
    latest = removal_run(db, runs)
    if latest is None:
        return [], "The latest crawl did not finish: removals are only reported between two finished crawls."
    earlier = [r for r in runs.values() if r["id"] <= base and _comparable(r, runs[latest])]
    if not earlier:
        return [], (
            "No finished crawl with the same endpoint, filters and limit as the latest one before the "
            "baseline: removals are not reported."
        )
    previous = max(r["id"] for r in earlier)
    cursor = db.execute(
        "SELECT m.id, m.last_seen_run, m.sha, m.downloads, r.emissions_g FROM models m "
        "LEFT JOIN reported_emissions r ON r.model_id = m.id "
        "WHERE m.last_seen_run >= ? AND m.last_seen_run < ? AND COALESCE(m.first_seen_run, 0) <= ?",
        [previous, latest, previous],
    )
    return [
        {"change": "removed", "model_id": m, "run_id": latest, "sha_before": sha, "downloads_before": downloads,
         "reported_g_before": grams}
        for m, _, sha, downloads, grams in cursor
    ], None  # fmt: skip
