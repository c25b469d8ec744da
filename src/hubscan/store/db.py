"""Opening the catalog: recognise the file first, then WAL, foreign keys and migrations.

A file is recognised **before anything writes to it**, over a read-only connection:

- a hubscan catalog carries ``PRAGMA application_id = 0x48425343`` ("HBSC"), stamped at creation;
- a catalog made before the stamp existed is recognised by hubscan's migration set in ``_sqlite_migrations``,
  then upgraded in place and stamped;
- an empty file (or an empty SQLite database) becomes a new catalog;
- anything else — another tool's SQLite file, a text file, a truncated or damaged database — is refused with
  one line (:class:`~hubscan.errors.CatalogError`) and left byte-for-byte as it was.

Read commands never create a catalog. Writing commands end with :func:`checkpoint`, so the ``.db`` file alone
holds everything (the WAL is folded back and truncated): copying the file is enough to share a catalog.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from hubscan.errors import CatalogError
from hubscan.store.migrations import migrations

DEFAULT_DB_PATH = Path("db") / "hubscan.db"
APPLICATION_ID = 0x48425343  # "HBSC"
SQLITE_MAGIC = b"SQLite format 3\x00"
MIGRATION_SET = migrations.name
# Read commands verify every page (PRAGMA quick_check) of catalogs up to this size before answering; larger
# ones are verified by every writing command, and SQLite reports damage in the pages a query reads.
READ_CHECK_MAX_BYTES = 256 * 1024 * 1024


def _header_problem(path: Path) -> str | None:
    """Why the file cannot be a SQLite database, from its 100-byte header and size alone (cheap)."""
    size = path.stat().st_size
    if size == 0:
        return None
    with path.open("rb") as fh:
        header = fh.read(100)
    if not header.startswith(SQLITE_MAGIC):
        return "it is not an SQLite database"
    if len(header) < 100:
        return "it is truncated (shorter than an SQLite header)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "its SQLite header is damaged"
    pages = int.from_bytes(header[28:32], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    changes = int.from_bytes(header[24:28], "big")
    if valid_for == changes and pages and size < pages * page_size:
        return f"it is truncated ({size:,} of {pages * page_size:,} bytes)"
    if size % page_size:
        return "it is truncated (not a whole number of pages)"
    return None


def _read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA cell_size_check = ON")
    return conn


def _is_hubscan(conn: sqlite3.Connection) -> str:
    """ "hubscan" (stamped), "legacy" (hubscan migrations, no stamp), "empty" or "foreign"."""
    if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
        return "hubscan"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return "empty"
    if "_sqlite_migrations" in tables:
        found = conn.execute(
            "SELECT COUNT(*) FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
        ).fetchone()[0]
        if found:
            return "legacy"
    return "foreign"


def recognise(path: str | Path, *, deep: bool = False) -> str:
    """Classify an existing file without changing it: "hubscan", "legacy" or "empty"; else CatalogError.

    ``deep`` also runs ``PRAGMA quick_check`` (reads every page): writing commands use it so nothing is ever
    built on a damaged file.
    """
    path = Path(path)
    problem = _header_problem(path)
    if problem is None and path.stat().st_size == 0:
        return "empty"
    try:
        if problem is None:
            conn = _read_only(path)
            try:
                kind = _is_hubscan(conn)
                if deep and kind != "foreign":
                    verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                    problem = None if verdict == "ok" else f"it is damaged ({' '.join(verdict.split())})"
            finally:
                conn.close()
    except sqlite3.DatabaseError as exc:
        problem = f"it is damaged or not a database ({exc})"
    if problem is not None:
        raise CatalogError(f"{path} is not a usable hubscan catalog: {problem}. It was left unchanged.")
    if kind == "foreign":
        raise CatalogError(
            f"{path} is an SQLite database of another tool, not a hubscan catalog; it was left unchanged. "
            "Choose another file with --db."
        )
    return kind


def open_db(path: str | Path = DEFAULT_DB_PATH, *, create: bool = True) -> Database:
    """Open a catalog for writing and bring its schema up to date.

    ``create=False`` (``hubscan derive``) refuses a missing file instead of creating an empty catalog.
    """
    path = Path(path)
    if path.exists():
        if path.is_dir():
            raise CatalogError(f"{path} is a directory, not a catalog file.")
        recognise(path, deep=True)
    elif not create:
        raise CatalogError(f"No catalog at {path}. Run `hubscan crawl` or `hubscan demo` first.")
    elif path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = Database(path)
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        # A concurrent reader (datasette, hubscan sql) must not make a crawl fail on a locked database.
        db.execute("PRAGMA busy_timeout = 10000")
        migrations.apply(db)
        if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except sqlite3.DatabaseError as exc:
        raise CatalogError(f"Cannot open catalog {path}: {exc}") from exc
    return db


def checkpoint(db: Database) -> None:
    """Fold the write-ahead log into the ``.db`` file and truncate it: the file alone is then complete."""
    db.conn.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def close_db(db: Database) -> None:
    """End of a writing command: checkpoint, then close."""
    try:
        checkpoint(db)
    finally:
        db.close()


def open_db_read_only(path: str | Path = DEFAULT_DB_PATH) -> Database:
    """Open an existing catalog read-only: SQLite itself refuses every write (no string checks)."""
    path = Path(path)
    if not path.exists():
        raise CatalogError(f"No catalog at {path}. Run `hubscan crawl` or `hubscan demo` first.")
    if path.is_dir():
        raise CatalogError(f"{path} is a directory, not a catalog file.")
    if recognise(path, deep=path.stat().st_size <= READ_CHECK_MAX_BYTES) == "empty":
        raise CatalogError(f"{path} is an empty file, not a catalog. Run `hubscan crawl` or `hubscan demo`.")
    return Database(_read_only(path))
