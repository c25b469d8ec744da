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
