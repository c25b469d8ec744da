"""Writes of derived tables: footprints, reported/estimated emissions and family statistics (the lineage
table is resolved and written in SQL by :mod:`hubscan.store.lineage`).

The rows are computed by pure code in :mod:`hubscan.derive`; this module only replaces them, each call in
one transaction, so a reader never sees a half-replaced table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlite_utils import Database

from hubscan.store import history
from hubscan.store.db import _read_only
from hubscan.store.history import mark_members_stale
from hubscan.store.migrations import create_family_member_indexes, drop_family_member_indexes

BATCH = 500
DERIVED_TABLES = ("footprints", "reported_emissions", "estimated_emissions")


def replace_derived(
    db: Database,
    model_ids: Sequence[str],
    *,
    footprints: Iterable[dict],
    reported: Iterable[dict],
    estimated: Iterable[dict],
) -> None:
    """Replace the derived rows of ``model_ids`` and mark the stored family rows stale, atomically."""
    reported = list(reported)
    with db.conn:
        before, derived_before = _reported_grams(db, model_ids)
        for table in DERIVED_TABLES:
            for start in range(0, len(model_ids), BATCH):
                chunk = list(model_ids[start : start + BATCH])
                db.execute(f"DELETE FROM {table} WHERE model_id IN ({','.join('?' * len(chunk))})", chunk)
        db["footprints"].insert_all(footprints)
        db["reported_emissions"].insert_all(reported)
        db["estimated_emissions"].insert_all(estimated)
        invalidate_family_stats(db, model_ids)
        after = {row["model_id"]: row.get("emissions_g") for row in reported}
        moved = {
            m: (before.get(m), after.get(m))
            for m in model_ids
            if m in derived_before and before.get(m) != after.get(m)
        }
        if moved:
            history.record_reported_changes(db, moved)


def _reported_grams(db: Database, model_ids: Sequence[str]) -> tuple[dict[str, float | None], set[str]]:
    """Reported grams of the models that have derived rows, and which models have any derived row (a model
    derived for the first time has no history to record: ``first_seen_run`` says when it appeared)."""
    grams: dict[str, float | None] = {}
    derived: set[str] = set()
    for start in range(0, len(model_ids), BATCH):
        chunk = list(model_ids[start : start + BATCH])
        marks = ",".join("?" * len(chunk))
        grams.update(
            db.execute(
                f"SELECT model_id, emissions_g FROM reported_emissions WHERE model_id IN ({marks})", chunk
            )
        )
        for table in DERIVED_TABLES:
            derived.update(
                row[0]
                for row in db.execute(f"SELECT model_id FROM {table} WHERE model_id IN ({marks})", chunk)
            )
    return grams, derived


def invalidate_family_stats(db: Database, model_ids: Sequence[str] = ()) -> None:
    """Derived numbers or listings changed: until family rows are stored again, queries compute live.

    The members of ``model_ids`` are marked stale (their families are recomputed by the next refresh);
    the maintained rollup is kept, so the refresh only touches the families that changed.
    """
    db.execute("DELETE FROM family_stats")
    mark_members_stale(db, model_ids)


def replace_family_stats(db: Database, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Replace ``family_stats`` with ``rows``: tuples of (grouping, *columns)."""
    placeholders = ", ".join("?" * (len(columns) + 1))
    with db.conn:
        db.execute("DELETE FROM family_stats")
        db.conn.executemany(
            f"INSERT INTO family_stats (grouping, {', '.join(columns)}) VALUES ({placeholders})", rows
        )


# A refresh that rewrites at most this share of the member rows keeps copies of the rows it replaced and of
# those it wrote (temp.members_old / temp.members_new), so the rollup can be updated by difference.
DELTA_SHARE = 0.1


def refresh_family_members(
    db: Database, select: str, columns: Sequence[str], keys: dict[str, str]
) -> dict[str, set[int]]:
    """Rewrite the stale and missing ``family_members`` rows and return the families (``family_keys`` ids)
    each grouping must recompute: the old and the new families of those models. ``select`` is
    ``MEMBER_SELECT`` (family names); the rows are stored with the names' ids.

    When few rows changed, ``temp.members_old`` (the replaced rows) and ``temp.members_new`` (the rows
    written) are left on this connection for the rollup's update by difference; otherwise neither exists."""
    changed: dict[str, set[int]] = {by: set() for by in keys}
    key_list = ", ".join(keys.values())

    def note(rows) -> None:
        for row in rows:
            for by, value in zip(keys, row, strict=True):
                changed[by].add(value)

    db.execute("DROP TABLE IF EXISTS temp.members_old")
    db.execute("DROP TABLE IF EXISTS temp.members_new")
    with db.conn:
        gone = "stale > 0"
        total = db.execute("SELECT COUNT(*) FROM models").fetchone()[0]
        stored = db.execute("SELECT COUNT(*) FROM family_members").fetchone()[0]
        if stored > total:
            gone += " OR NOT EXISTS (SELECT 1 FROM models m WHERE m.id = family_members.model_id)"
        note(db.execute(f"SELECT DISTINCT {key_list} FROM family_members WHERE {gone}"))
        limit = max(int(total * DELTA_SHARE), 1)
        keep = (
            stored > 0
            and db.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM family_members WHERE {gone} LIMIT ?)", [limit + 1]
            ).fetchone()[0]
            <= limit
        )
        if keep:
            db.execute(f"CREATE TEMP TABLE members_old AS SELECT * FROM family_members WHERE {gone}")
        db.execute(f"DELETE FROM family_members WHERE {gone}")
        last = db.execute("SELECT COALESCE(MAX(rowid), 0) FROM family_members").fetchone()[0]
        # Most rows to write (a first build): building the indexes afterwards beats updating them row by row.
        bulk = db.execute("SELECT COUNT(*) FROM family_members").fetchone()[0] < total // 2
        if bulk:
            drop_family_member_indexes(db)
        missing = "WHERE NOT EXISTS (SELECT 1 FROM family_members x WHERE x.model_id = m.id)"
        if keep and _only_replaced_missing(db, total):
            missing = "WHERE m.id IN (SELECT model_id FROM temp.members_old)"
        _insert_members(db, select, columns, keys, missing)
        if bulk:
            create_family_member_indexes(db)
        note(db.execute(f"SELECT DISTINCT {key_list} FROM family_members WHERE rowid > ?", [last]))
        written = db.execute("SELECT COUNT(*) FROM family_members WHERE rowid > ?", [last]).fetchone()[0]
        if keep and written <= limit:
            db.execute(
                "CREATE TEMP TABLE members_new AS SELECT * FROM family_members WHERE rowid > ?", [last]
            )
        else:
            db.execute("DROP TABLE IF EXISTS temp.members_old")
    return changed


def _only_replaced_missing(db: Database, total: int) -> bool:
    """True when the models without a member row are exactly the replaced ones still catalogued (no new
    model): then only those are looked up, instead of checking every model."""
    members = db.execute("SELECT COUNT(*) FROM family_members").fetchone()[0]
    replaced = db.execute(
        "SELECT COUNT(*) FROM temp.members_old o WHERE EXISTS (SELECT 1 FROM models m WHERE m.id = o.model_id)"
    ).fetchone()[0]
    return total - members == replaced


def _insert_members(
    db: Database, select: str, columns: Sequence[str], keys: dict[str, str], missing: str
) -> None:
    """Member rows of the models ``missing`` selects (those without one): staged with family names, stored
    with their ids."""
    db.execute("DROP TABLE IF EXISTS temp.members_staged")
    db.execute(f"CREATE TEMP TABLE members_staged AS {select.format(stale=0, where=missing)}")
    for by, column in keys.items():
        db.execute(
            "INSERT OR IGNORE INTO family_keys (grouping, family) "
            f"SELECT DISTINCT ?, {column} FROM temp.members_staged",
            [by],
        )
    # One index lookup per staged row and grouping (a join could be planned the other way round on a catalog
    # that was never ANALYZEd).
    ids = {
        column: f"(SELECT id FROM family_keys WHERE grouping = '{by}' AND family = s.{column})"
        for by, column in keys.items()
    }
    values = [ids.get(column, f"s.{column}") for column in columns]
    # In the order of the models table (no sort): every grouping's passes walk its order indexes, which hold
    # the columns they read (migration m008), so the table's own order no longer matters.
    db.execute(
        f"INSERT INTO family_members ({', '.join(columns)}) SELECT {', '.join(values)} FROM temp.members_staged s"
    )
    db.execute("DROP TABLE temp.members_staged")


def replace_family_rollup(
    db: Database,
    grouping: str,
    families: set | None,
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    table: str = "family_rollup",
    ident: Sequence[str] = ("family",),
) -> None:
    """Replace the rows of ``families`` of ``grouping`` (all of them when None) with ``rows``: in
    ``family_rollup`` families are names; in ``family_task_rollup`` (``ident`` ("task", "family")) they are
    (task, family) tuples and ``rows`` are (grouping, task, *columns)."""
    with db.conn:
        if families is None:
            db.execute(f"DELETE FROM {table} WHERE grouping = ?", [grouping])
        elif tuple(ident) == ("family",):
            db.execute(
                f"DELETE FROM {table} WHERE grouping = ? AND family IN (SELECT value FROM json_each(?))",
                [grouping, json.dumps(sorted(families))],
            )
        else:
            picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(ident)))
            db.execute(
                f"DELETE FROM {table} WHERE grouping = ? AND ({', '.join(ident)}) IN "
                f"(SELECT {picks} FROM json_each(?))",
                [grouping, json.dumps(sorted(families))],
            )
        names = ["grouping", *(c for c in ident if c != "family"), *columns]
        db.conn.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", rows
        )


def update_family_rollup(
    db: Database, table: str, grouping: str, ident: Sequence[str], updates: Sequence[tuple[tuple, dict]]
) -> None:
    """Set columns of single rollup rows: ``updates`` are (identity values in ``ident`` order, {column: value}),
    the same columns in every update."""
    if not updates:
        return
    columns = list(updates[0][1])
    sets = ", ".join(f"{column} = ?" for column in columns)
    where = " AND ".join(f"{column} = ?" for column in ident)
    with db.conn:
        db.conn.executemany(
            f"UPDATE {table} SET {sets} WHERE grouping = ? AND {where}",
            [[*(values[c] for c in columns), grouping, *key] for key, values in updates],
        )


def drop_member_copies(db: Database) -> None:
    """Drop the copies of replaced and written member rows a refresh left (see ``refresh_family_members``)."""
    db.execute("DROP TABLE IF EXISTS temp.members_old")
    db.execute("DROP TABLE IF EXISTS temp.members_new")


def catalog_file(db: Database) -> str | None:
    """The path of the catalog file ``db`` has open (None for an in-memory database)."""
    return next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), None) or None


def read_only_connection(path: str) -> Database:
    """Another read-only connection to a catalog file already open (and so recognised: no check is
    repeated), for a pass beside the main one."""
    return Database(_read_only(Path(path)))


def second_connection(db: Database) -> Database | None:
    """Another read-only connection to the catalog file ``db`` has open (None for an in-memory database)."""
    path = catalog_file(db)
    return read_only_connection(path) if path else None


def publish_family_stats(db: Database, columns: Sequence[str]) -> int:
    """Copy the maintained rollup into ``family_stats`` (what queries read); returns the row count."""
    names = ", ".join(["grouping", *columns])
    with db.conn:
        db.execute("DELETE FROM family_stats")
        db.execute(f"INSERT INTO family_stats ({names}) SELECT {names} FROM family_rollup")
    return db.execute("SELECT COUNT(*) FROM family_stats").fetchone()[0]


PERFORMANCE_COLUMNS = ("model_id", "task", "dataset", "metric_type", "metric_name", "value", "value_raw")


def replace_card_facts(db: Database, chunks: Iterable[tuple[Sequence[tuple], Sequence[tuple]]]) -> None:
    """Replace ``model_performance`` and ``model_datasets``, both read from stored cards, in one transaction.

    ``chunks`` yields bounded ``(performance rows, dataset links)`` pairs (e.g. as the cards are read): rows
    in ``PERFORMANCE_COLUMNS`` order and ``(model_id, dataset_id)`` tuples.
    """
    insert_performance = (
        f"INSERT INTO model_performance ({', '.join(PERFORMANCE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(PERFORMANCE_COLUMNS))})"
    )
    with db.conn:
        db.execute("DELETE FROM model_performance")
        db.execute("DELETE FROM model_datasets")
        for performance, model_datasets in chunks:
            db.conn.executemany(insert_performance, performance)
            db.conn.executemany(
                "INSERT OR IGNORE INTO model_datasets (model_id, dataset_id) VALUES (?, ?)", model_datasets
            )


DATASET_COLUMNS = (
    "id", "author", "sha", "created_at", "last_modified", "downloads", "likes", "tags", "size_category",
    "rows_min", "rows_max", "status", "fetched_at",
)  # fmt: skip


def save_datasets(db: Database, rows: Iterable[dict]) -> int:
    """Upsert dataset rows (dicts with ``DATASET_COLUMNS`` keys, ``tags`` as JSON text); returns how many."""
    prepared = [{c: row.get(c) for c in DATASET_COLUMNS} for row in rows]
    with db.conn:
        db["datasets"].upsert_all(prepared, pk="id")
    return len(prepared)


def missing_dataset_ids(db: Database, refetch: bool = False) -> list[str]:
    """Datasets named by the catalog's cards (``model_datasets``) not yet fetched (all with ``refetch``)."""
    sql = "SELECT DISTINCT dataset_id FROM model_datasets"
    if not refetch:
        sql += " WHERE dataset_id NOT IN (SELECT id FROM datasets WHERE status = 'ok')"
    return [row[0] for row in db.execute(sql + " ORDER BY 1")]
