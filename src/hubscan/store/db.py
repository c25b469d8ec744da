"""Opening the catalog: WAL, foreign keys, migrations applied before any command runs."""

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from hubscan.errors import CatalogError
from hubscan.store.migrations import migrations

DEFAULT_DB_PATH = Path("db") / "hubscan.db"


def open_db(path: str | Path = DEFAULT_DB_PATH) -> Database:
    """Open (creating if needed) a catalog for writing and bring its schema up to date."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = Database(path)
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        # A concurrent reader (datasette, hubscan sql) must not make a crawl fail on a locked database.
        db.execute("PRAGMA busy_timeout = 10000")
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise CatalogError(f"Cannot open catalog {path}: {exc}") from exc
    return db


def open_db_read_only(path: str | Path = DEFAULT_DB_PATH) -> Database:
    """Open an existing catalog read-only: SQLite itself refuses every write (no string checks)."""
    path = Path(path)
    if not path.exists():
        raise CatalogError(f"No catalog at {path}. Run `hubscan crawl` or `hubscan demo` first.")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    return Database(conn)
