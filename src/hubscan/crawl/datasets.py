"""The datasets the catalog's cards name, fetched through ``HfApi.dataset_info`` into the ``datasets`` table."""

from __future__ import annotations

from sqlite_utils import Database

from hubscan.source.datasets import fetch_datasets
from hubscan.store.derived import missing_dataset_ids, save_datasets


def crawl_datasets(db: Database, *, endpoint: str | None, token: str | None, refetch: bool = False) -> int:
    """Fetch the datasets named by cards (all of them with ``refetch``, else those not stored yet); returns
    how many rows were saved. Each dataset that is missing, gated or failing is a row with its status."""
    ids = missing_dataset_ids(db, refetch=refetch)
    return save_datasets(db, fetch_datasets(ids, endpoint=endpoint, token=token))
