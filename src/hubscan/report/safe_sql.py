"""Running a user's SQL safely: an SQLite authorizer, a time limit, and output that cannot drive the terminal.

The catalog is already opened read-only (``mode=ro`` + ``query_only``), but some statements act outside the
file: ``ATTACH`` creates a database anywhere on disk, ``VACUUM INTO`` writes a copy. The authorizer denies
them, and every PRAGMA that sets a value, before SQLite runs anything. A progress handler stops a statement
that runs longer than the time limit (a runaway recursive CTE). ``escape_control`` makes text safe to print:
a repo id holding ANSI escape sequences is shown as ``\\x1b[31m…``, never interpreted by the terminal.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hubscan.errors import QueryError

__all__ = ["DEFAULT_TIME_LIMIT", "escape_control", "guarded", "guarded_execute", "json_control"]

DEFAULT_TIME_LIMIT = 10.0  # seconds
PROGRESS_STEPS = 10_000  # virtual-machine instructions between two clock checks

# PRAGMAs that only read (when given no argument, or an argument from _ARG_PRAGMAS); every other is refused.
_READ_PRAGMAS = {
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "database_list", "compile_options", "page_count", "page_size", "freelist_count", "user_version",
    "application_id", "schema_version", "encoding", "journal_mode", "collation_list", "function_list",
    "module_list", "pragma_list", "table_list", "integrity_check", "quick_check", "data_version",
    "foreign_key_check", "max_page_count", "auto_vacuum", "busy_timeout", "cache_size", "query_only",
}  # fmt: skip
# VACUUM INTO asks for ATTACH of its target first, so denying ATTACH also stops it creating a file.
# Their argument names a table or index to read about, not a value to set.
_ARG_PRAGMAS = {
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "foreign_key_check", "integrity_check", "quick_check", "table_list",
}  # fmt: skip
_DENIED = {
    sqlite3.SQLITE_ATTACH: "ATTACH",
    sqlite3.SQLITE_DETACH: "DETACH",
}
# C0 and C1 control characters except tab and newline; DEL too.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _authorizer(denials: list[str]):
    def authorize(action: int, arg1, arg2, db_name, source) -> int:
        if action in _DENIED:
            denials.append(_DENIED[action])
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name not in _READ_PRAGMAS or (arg2 is not None and name not in _ARG_PRAGMAS):
                denials.append(f"PRAGMA {name}" + ("" if arg2 is None else f" = {arg2}"))
                return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() == "load_extension":
            denials.append("load_extension()")
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return authorize


@contextmanager
def guarded(conn: sqlite3.Connection, time_limit: float = DEFAULT_TIME_LIMIT) -> Iterator[list[str]]:
    """Install the authorizer and the time limit on ``conn`` for the duration of the block.

    Yields the list that collects what the authorizer denied (for the error message).
    """
    denials: list[str] = []
    deadline = time.monotonic() + time_limit
    conn.set_authorizer(_authorizer(denials))
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, PROGRESS_STEPS)
    try:
        yield denials
    finally:
        conn.set_authorizer(None)
        conn.set_progress_handler(None, PROGRESS_STEPS)


_VACUUM = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*vacuum\b", re.IGNORECASE | re.DOTALL)


def guarded_execute(
    conn: sqlite3.Connection, sql: str, params=(), time_limit: float = DEFAULT_TIME_LIMIT
) -> tuple[list[str], list[tuple]]:
    """Run one statement under :func:`guarded`; refusals and the time limit become :class:`QueryError`."""
    if _VACUUM.match(sql):
        # Plain VACUUM is not an authorizer action at all; refuse it with a clear sentence.
        raise QueryError("Refused: VACUUM writes files; `hubscan sql` is read-only.")
    with guarded(conn, time_limit) as denials:
        try:
            cursor = conn.execute(sql, params)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            return columns, cursor.fetchall()
        except sqlite3.DatabaseError as exc:
            if denials:
                raise QueryError(
                    f"Refused: {', '.join(dict.fromkeys(denials))} is not allowed in `hubscan sql` "
                    "(it is read-only and reads only the catalog)."
                ) from exc
            if "interrupted" in str(exc).lower():
                raise QueryError(
                    f"Stopped: the statement ran over the {time_limit:g}-second limit of `hubscan sql`."
                ) from exc
            raise


def escape_control(text: str) -> str:
    """``text`` with control characters (ESC, BEL, CR, backspace, C1…) written as visible escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


_C1_AND_DEL = re.compile(r"[\x7f-\x9f]")


def json_control(text: str) -> str:
    """JSON text with DEL and C1 controls written as ``\\u00XX`` (json.dumps already escapes C0): same data."""
    return _C1_AND_DEL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
