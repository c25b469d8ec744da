"""Writes of derived tables: footprints, reported/estimated emissions, lineage and family statistics.

The rows are computed by pure code in :mod:`hubscan.derive`; this module only replaces them, each call in
one transaction, so a reader never sees a half-replaced table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlite_utils import Database

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
    with db.conn:
        for table in DERIVED_TABLES:
            for start in range(0, len(model_ids), BATCH):
                chunk = list(model_ids[start : start + BATCH])
                db.execute(f"DELETE FROM {table} WHERE model_id IN ({','.join('?' * len(chunk))})", chunk)
        db["footprints"].insert_all(footprints)
        db["reported_emissions"].insert_all(reported)
        db["estimated_emissions"].insert_all(estimated)
        invalidate_family_stats(db)


def invalidate_family_stats(db: Database) -> None:
    """Derived numbers or listings changed: until family rows are stored again, queries compute live."""
    db.execute("DELETE FROM family_stats")


LINEAGE_COLUMNS = ("model_id", "parent_id", "relation", "root_id", "depth", "root_status")


def replace_lineage(db: Database, rows: Iterable[tuple]) -> None:
    """Replace the whole ``lineage`` table with ``rows`` (tuples in ``LINEAGE_COLUMNS`` order)."""
    with db.conn:
        db.execute("DELETE FROM lineage")
        db.conn.executemany(
            f"INSERT INTO lineage ({', '.join(LINEAGE_COLUMNS)}) VALUES ({', '.join('?' * len(LINEAGE_COLUMNS))})",
            rows,
        )


def replace_family_stats(db: Database, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Replace ``family_stats`` with ``rows``: tuples of (grouping, *columns)."""
    placeholders = ", ".join("?" * (len(columns) + 1))
    with db.conn:
        db.execute("DELETE FROM family_stats")
        db.conn.executemany(
            f"INSERT INTO family_stats (grouping, {', '.join(columns)}) VALUES ({placeholders})", rows
        )


LINEAGE_RESEARCH_COLUMNS = (*LINEAGE_COLUMNS, "relation_inferred")


def replace_lineage_inferred(db: Database, rows: Iterable[tuple]) -> None:
    """Replace the whole ``lineage`` table with ``rows`` in ``LINEAGE_RESEARCH_COLUMNS`` order (with the flag
    saying whether the relation was inferred rather than declared)."""
    columns = LINEAGE_RESEARCH_COLUMNS
    with db.conn:
        db.execute("DELETE FROM lineage")
        db.conn.executemany(
            f"INSERT INTO lineage ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
        )


PERFORMANCE_COLUMNS = ("model_id", "task", "dataset", "metric_type", "metric_name", "value", "value_raw")


def replace_card_facts(db: Database, performance: Iterable[tuple], model_datasets: Iterable[tuple]) -> None:
    """Replace ``model_performance`` (tuples in ``PERFORMANCE_COLUMNS`` order) and ``model_datasets``
    ((model_id, dataset_id) tuples), both read from stored cards, in one transaction."""
    with db.conn:
        db.execute("DELETE FROM model_performance")
        db.execute("DELETE FROM model_datasets")
        db.conn.executemany(
            f"INSERT INTO model_performance ({', '.join(PERFORMANCE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(PERFORMANCE_COLUMNS))})",
            performance,
        )
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
