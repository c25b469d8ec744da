"""Lineage resolution where the data is: the ``lineage`` table computed and written inside SQLite.

``hubscan.derive.lineage`` reads each model's primary base (pure parsing of stored base models, tags and card
data) and hands the edges here in bounded chunks; nothing below holds a row per model in Python, so memory
stays flat in the catalog size. The steps, each one set-based SQL over temp tables (the temp database lives
in a file with its own small page cache):

1. ``stage_edges``: ``temp.lineage_edges`` (model, parent, relation, inferred flag), one row per catalogued
   model (models without a base get a NULL parent), indexed by parent.
2. ``resolve_chains``: breadth first from the ends of chains. Level 0 is the models without a base (their own
   root); level 1 adds their children and the models whose base is not catalogued (``external``: the missing
   base is the root); each next level adds the children of the previous one, inheriting its root (depth + 1).
   Every level is one ``INSERT … SELECT`` over a rowid range of ``temp.lineage_resolved``, so the number of
   statements is the longest chain, not the number of models.
3. The models left over are those whose chain runs into a loop (each of them has a catalogued parent that is
   left over too). ``unresolved_edges`` returns them, ``add_resolved`` takes their resolution (the caller
   walks them with :func:`hubscan.derive.lineage.compute_lineage`, so loops are handled exactly as before);
   only loop members and the models hanging off loops are ever held in Python.
4. ``publish``: the ``lineage`` table is made to hold exactly the resolved rows in one transaction; only rows
   that differ are rewritten (the whole table when more than a fifth moved), and the family rows of the
   models whose row changed, with their old and new parents (whose ``standalone`` status depends on having a
   child), are marked stale so the family refresh that follows recomputes the lineage families that moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlite_utils import Database

TEMP_TABLES = ("lineage_edges", "lineage_resolved", "lineage_changed")
LINEAGE_ROW_COLUMNS = (
    "model_id", "parent_id", "relation", "root_id", "depth", "root_status", "relation_inferred",
)  # fmt: skip
STATUSES = ("root", "resolved", "external", "cycle")

# The resolved lineage rows, in LINEAGE_ROW_COLUMNS order (the flag is only meaningful with a parent), in
# the order of the models table: the lineage table is then laid out as the models it is joined with are.
_ROW_VALUES = """
SELECT e.model_id, e.parent_id, e.relation, r.root_id, r.depth, r.root_status,
       CASE WHEN e.parent_id IS NOT NULL THEN e.inferred END AS relation_inferred
"""
NEW_ROWS = (
    _ROW_VALUES + "FROM models m NOT INDEXED CROSS JOIN temp.lineage_edges e ON e.model_id = m.id "
    "CROSS JOIN temp.lineage_resolved r ON r.model_id = m.id"
)
CHANGED_ROWS = (
    _ROW_VALUES + "FROM temp.lineage_changed c JOIN temp.lineage_edges e ON e.model_id = c.model_id "
    "JOIN temp.lineage_resolved r ON r.model_id = c.model_id"
)

_CHILDREN = """
INSERT INTO temp.lineage_resolved (model_id, root_id, depth, root_status)
SELECT c.model_id, r.root_id, r.depth + 1,
       CASE r.root_status WHEN 'root' THEN 'resolved' ELSE r.root_status END
FROM temp.lineage_resolved r CROSS JOIN temp.lineage_edges c ON c.parent_id = r.model_id
WHERE r.rowid BETWEEN ? AND ?
"""


def drop_temp_tables(db: Database) -> None:
    for table in TEMP_TABLES:
        db.execute(f"DROP TABLE IF EXISTS temp.{table}")


def stage_edges(db: Database, chunks: Iterable[Sequence[tuple]]) -> int:
    """Stage ``(model_id, parent_id, relation, inferred)`` rows of the models that have a base (``chunks``:
    bounded lists, e.g. read from the catalog as they are inserted); every other catalogued model is staged
    without a parent. Returns the staged model count."""
    drop_temp_tables(db)
    with db.conn:
        db.execute(
            "CREATE TEMP TABLE lineage_edges (model_id TEXT PRIMARY KEY, parent_id TEXT, relation TEXT, "
            "inferred INTEGER) WITHOUT ROWID"
        )
        for chunk in chunks:
            db.conn.executemany(
                "INSERT INTO temp.lineage_edges (model_id, parent_id, relation, inferred) VALUES (?, ?, ?, ?)",
                chunk,
            )
        db.execute("INSERT OR IGNORE INTO temp.lineage_edges (model_id) SELECT id FROM models")
        db.execute("CREATE INDEX temp.lineage_edges_parent ON lineage_edges (parent_id)")
    return db.execute("SELECT COUNT(*) FROM temp.lineage_edges").fetchone()[0]


def _last_rowid(db: Database) -> int:
    return db.execute("SELECT COALESCE(MAX(rowid), 0) FROM temp.lineage_resolved").fetchone()[0]


def resolve_chains(db: Database) -> int:
    """Resolve every chain that ends at a model without a base or leaves the catalog (breadth first, one
    statement per level). Returns how many staged models are left: those whose chain runs into a loop."""
    with db.conn:
        db.execute(
            "CREATE TEMP TABLE lineage_resolved (model_id TEXT, root_id TEXT, depth INTEGER, root_status TEXT)"
        )
        db.execute(
            "INSERT INTO temp.lineage_resolved (model_id, root_id, depth, root_status) "
            "SELECT model_id, model_id, 0, 'root' FROM temp.lineage_edges WHERE parent_id IS NULL"
        )
        low, high = 1, _last_rowid(db)
        db.execute(_CHILDREN, [low, high])
        db.execute(
            "INSERT INTO temp.lineage_resolved (model_id, root_id, depth, root_status) "
            "SELECT e.model_id, e.parent_id, 1, 'external' FROM temp.lineage_edges e "
            "WHERE e.parent_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM temp.lineage_edges p WHERE p.model_id = e.parent_id)"
        )
        low, high = high + 1, _last_rowid(db)
        while high >= low:  # the rows of one depth are one rowid range: their children are the next
            db.execute(_CHILDREN, [low, high])
            low, high = high + 1, _last_rowid(db)
        db.execute("CREATE UNIQUE INDEX temp.lineage_resolved_model ON lineage_resolved (model_id)")
    staged = db.execute("SELECT COUNT(*) FROM temp.lineage_edges").fetchone()[0]
    return staged - high


def unresolved_edges(db: Database) -> dict[str, tuple[str | None, str | None]]:
    """``{model: (parent, relation)}`` of the staged models that ``resolve_chains`` left (chains into loops)."""
    cursor = db.execute(
        "SELECT e.model_id, e.parent_id, e.relation FROM temp.lineage_edges e "
        "WHERE NOT EXISTS (SELECT 1 FROM temp.lineage_resolved r WHERE r.model_id = e.model_id)"
    )
    return {model_id: (parent, relation) for model_id, parent, relation in cursor}


def add_resolved(db: Database, resolved: Iterable[tuple[str, str, int, str]]) -> None:
    """Store ``(model_id, root_id, depth, root_status)`` of models resolved outside SQL (the loops)."""
    with db.conn:
        db.conn.executemany(
            "INSERT INTO temp.lineage_resolved (model_id, root_id, depth, root_status) VALUES (?, ?, ?, ?)",
            resolved,
        )


def _note_changes(db: Database) -> int:
    """Fill ``temp.lineage_changed`` with the models whose lineage row is new, differs or is gone."""
    same = " AND ".join(f"l.{c} IS n.{c}" for c in LINEAGE_ROW_COLUMNS[1:])
    db.execute("CREATE TEMP TABLE lineage_changed (model_id TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute(
        f"INSERT INTO temp.lineage_changed SELECT n.model_id FROM ({NEW_ROWS}) n "
        f"WHERE NOT EXISTS (SELECT 1 FROM lineage l WHERE l.model_id = n.model_id AND {same})"
    )
    db.execute(
        "INSERT INTO temp.lineage_changed SELECT l.model_id FROM lineage l "
        "WHERE NOT EXISTS (SELECT 1 FROM temp.lineage_edges e WHERE e.model_id = l.model_id)"
    )
    return db.execute("SELECT COUNT(*) FROM temp.lineage_changed").fetchone()[0]


def _mark_families_stale(db: Database) -> None:
    """The changed models, their new parents and their old parents: their family rows are recomputed."""
    if not db.execute("SELECT 1 FROM family_members LIMIT 1").fetchone():
        return
    db.execute(
        "UPDATE family_members SET stale = 1 WHERE model_id IN ("
        "SELECT model_id FROM temp.lineage_changed "
        "UNION SELECT e.parent_id FROM temp.lineage_changed c JOIN temp.lineage_edges e ON e.model_id = c.model_id "
        "UNION SELECT l.parent_id FROM temp.lineage_changed c JOIN lineage l ON l.model_id = c.model_id)"
    )


def publish(db: Database) -> dict[str, int]:
    """Make ``lineage`` hold exactly the resolved rows (see the module docstring), drop the temp tables and
    return the counts for the crawl summary."""
    with db.conn:
        if not db.conn.in_transaction:
            db.execute("BEGIN")
        staged = db.execute("SELECT COUNT(*) FROM temp.lineage_edges").fetchone()[0]
        if not db.execute("SELECT 1 FROM lineage LIMIT 1").fetchone():
            # A first build: every row is new, and any family row was computed without lineage.
            db.execute("UPDATE family_members SET stale = 1")
            _bulk_insert(db)
        else:
            changed = _note_changes(db)
            _mark_families_stale(db)
            if changed > staged // 5:
                db.execute("DELETE FROM lineage")
                _bulk_insert(db)
            elif changed:
                db.execute(
                    "DELETE FROM lineage WHERE model_id IN (SELECT model_id FROM temp.lineage_changed)"
                )
                db.execute(f"INSERT INTO lineage ({', '.join(LINEAGE_ROW_COLUMNS)}) {CHANGED_ROWS}")
    drop_temp_tables(db)
    return lineage_stats(db)


def _bulk_insert(db: Database) -> None:
    """Insert every resolved row into the (empty) ``lineage`` table, inside the caller's transaction: its
    secondary indexes are dropped first and built again afterwards (sorting beats row-by-row updates)."""
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lineage' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    db.execute(f"INSERT INTO lineage ({', '.join(LINEAGE_ROW_COLUMNS)}) {NEW_ROWS}")
    for _, sql in indexes:
        db.execute(sql)


def lineage_stats(db: Database) -> dict[str, int]:
    """Counts of the stored ``lineage`` table: models, with a base, per root status, families (distinct
    roots), the longest chain and the inferred relations."""
    by_status = ", ".join(f"COALESCE(SUM(root_status = '{s}'), 0)" for s in STATUSES)
    row = db.execute(
        f"SELECT COUNT(*), COUNT(parent_id), {by_status}, COUNT(DISTINCT root_id), COALESCE(MAX(depth), 0), "
        "COALESCE(SUM(relation_inferred > 0), 0) FROM lineage"
    ).fetchone()
    keys = ("models", "with_base", *STATUSES, "families", "max_depth", "relation_inferred")
    return dict(zip(keys, row, strict=True))
