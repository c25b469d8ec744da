"""Derive off the crawl's critical path: a thread with its own connection, fed ids after they are committed.

Ids arrive in the order their pages were stored and are derived in bounded chunks, so memory stays flat
however large the crawl. A catalog without a file (in memory) is derived inline instead.
"""

from __future__ import annotations

import queue
import threading

from sqlite_utils import Database

from hubscan.derive import BATCH, derive_models
from hubscan.store.writer import connect_like


class Deriver:
    def __init__(self, db: Database):
        self.db = db
        self.derived = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._own = connect_like(db)
        self._thread = None
        if self._own is not None:
            self._thread = threading.Thread(target=self._run, name="hubscan-derive", daemon=True)
            self._thread.start()

    def submit(self, model_ids: list[str]) -> None:
        if not model_ids:
            return
        if self._thread is None:
            self.derived += derive_models(self.db, model_ids)
        else:
            self._queue.put(list(model_ids))

    def close(self) -> None:
        """Wait for every submitted id to be derived; re-raise a failure of the derive thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._own.close()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        pending: list[str] = []
        try:
            while True:
                item = self._queue.get()
                if item is not None:
                    pending += item
                # Full chunks at once; the rest when the queue is idle or closing.
                while len(pending) >= BATCH or (pending and (item is None or self._queue.empty())):
                    chunk, pending = pending[:BATCH], pending[BATCH:]
                    self.derived += derive_models(self._own, chunk)
                if item is None:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the crawl thread in close()
            self.error = exc


def underived_anywhere(db: Database) -> list[str]:
    """Every model with stored raw data but no derived row: e.g. its page was stored, then the process was
    killed before the derive thread got to it (a resumed crawl does not list that page again)."""
    rows = db.execute(
        """SELECT c.model_id FROM configs c WHERE c.status = 'ok'
           AND NOT EXISTS (SELECT 1 FROM footprints f WHERE f.model_id = c.model_id)
           UNION
           SELECT k.model_id FROM cards k WHERE (k.card_data IS NOT NULL OR k.body IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM reported_emissions r WHERE r.model_id = k.model_id)"""
    )
    return [row[0] for row in rows]
