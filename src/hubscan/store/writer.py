"""The crawl's one writer: outcomes are queued as SQL operations and committed in batched transactions.

A crawl produces many small outcomes (a page of listings, one file's state and content, an error row).
Writing each in its own fsync'd transaction made the writer, not the network, the crawl's bottleneck. Here
every outcome becomes a few ``(sql, params)`` operations appended to a pending batch, and the batch is
committed in one ``BEGIN IMMEDIATE … COMMIT`` every ``batch_size`` outcomes or ``max_delay`` seconds.

Atomicity: all operations of one outcome (a file's ``files`` row, its ``configs``/``cards`` content and the
``models`` update) are always in the same batch, so after a SIGKILL at any instant either all of them are
stored or none. Upserts name only the columns a row carries (``ON CONFLICT … DO UPDATE SET`` those columns),
so a row never nulls a column it did not carry.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from itertools import groupby

from sqlite_utils import Database

from hubscan.records import Listing
from hubscan.store.history import record_listing_changes
from hubscan.store.rows import Op, card_rows, file_outcome_ops, insert_op, model_row, now_iso, upsert_op


def tune_for_crawl(db: Database) -> None:
    """Under WAL, NORMAL sync keeps every commit atomic and durable across a process kill (not a power cut)."""
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA cache_size = -65536")  # 64 MiB of page cache: the models B-tree stays hot at millions


class CatalogWriter:
    """Pending operations of whole outcomes, committed together. Owned by one thread (the crawl's)."""

    def __init__(self, db: Database, run_id: int, *, batch_size: int = 100, max_delay: float = 0.25):
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.run_id = run_id
        self.batch_size = batch_size
        self.max_delay = max_delay
        self._ops: list[Op] = []
        self._outcomes = 0
        self._first_at: float | None = None
        self._after_commit: list[Callable[[], None]] = []
        self.commits = 0
        tune_for_crawl(db)

    # -- queueing -------------------------------------------------------------------------------------
    def _add(self, ops: list[Op]) -> None:
        if self._first_at is None:
            self._first_at = time.monotonic()
        self._ops.extend(ops)
        self._outcomes += 1

    def add_listings(
        self, listings: list[Listing], known: set[str], card_shas: dict[str, str | None]
    ) -> None:
        """A page of listings: models rows (first_seen_run only on insert) and card front matter."""
        ops = []
        listed_at = now_iso()
        rows = [model_row(listing, self.run_id, listed_at) for listing in listings]
        if known:
            # History compares the listing with what is stored: commit what is queued first; the changes are
            # then written in the transaction the listing rows are committed in (see ``commit``).
            self.commit()
            record_listing_changes(self.db, self.run_id, [row for row in rows if row["id"] in known])
        for row in rows:
            row["first_seen_run"] = self.run_id
            ops.append(upsert_op("models", row, ("id",), insert_only=("first_seen_run",)))
        ops += [upsert_op("cards", card, ("model_id",)) for card in card_rows(listings, card_shas)]
        self._add(ops)

    def add_file(self, **outcome) -> str:
        """One file's outcome (see ``save.file_outcome_ops``); returns its kind (``ok``, ``invalid_json`` …)."""
        kind, ops = file_outcome_ops(run_id=self.run_id, **outcome)
        self._add(ops)
        return kind

    def add_error(self, *, model_id: str | None, kind: str, message: str, path: str | None = None) -> None:
        row = {
            "run_id": self.run_id,
            "model_id": model_id,
            "path": path,
            "kind": kind,
            "message": message,
            "at": now_iso(),
        }
        self._add([insert_op("crawl_errors", row)])

    def set_cursor(self, next_url: str | None, pages: int, watermark: str | None) -> None:
        """The listing position up to which every outcome is stored: committed with the batch it ends."""
        self._ops.append(
            (
                "UPDATE crawl_runs SET next_cursor = ?, pages_committed = ?, "
                "watermark = NULLIF(MAX(COALESCE(watermark, ''), COALESCE(?, '')), '') WHERE id = ?",
                (next_url, pages, watermark, self.run_id),
            )
        )

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the operations queued so far are committed (e.g. hand ids to derive)."""
        self._after_commit.append(callback)

    # -- committing -----------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return self._outcomes

    def due_in(self) -> float:
        """Seconds until the pending batch is due (0: now; max_delay when nothing is pending)."""
        if self._first_at is None:
            return self.max_delay
        if self._outcomes >= self.batch_size:
            return 0.0
        return max(0.0, self._first_at + self.max_delay - time.monotonic())

    def maybe_commit(self) -> bool:
        if self._ops and self.due_in() <= 0:
            self.commit()
            return True
        return False

    def commit(self) -> None:
        if self._ops:
            conn = self.conn
            # Writes made just before on this connection (e.g. listing history) are already in an open
            # transaction: the batch joins it, so both are committed together or not at all.
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, group in groupby(self._ops, key=lambda op: op[0]):
                    conn.executemany(sql, [params for _, params in group])
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            self.commits += 1
        self._ops, self._outcomes, self._first_at = [], 0, None
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


def connect_like(db: Database) -> Database | None:
    """A second connection to the same catalog file (for a thread of its own); None for an in-memory one."""
    rows = db.execute("PRAGMA database_list").fetchall()
    path = next((row[2] for row in rows if row[1] == "main"), "")
    if not path:
        return None
    other = Database(sqlite3.connect(path, check_same_thread=False))
    other.execute("PRAGMA busy_timeout = 30000")
    other.execute("PRAGMA foreign_keys = ON")
    tune_for_crawl(other)
    return other
