"""pandas API: ``hubscan.open(path)`` → a read-only ``Catalog`` whose methods return DataFrames.

The methods run the same named queries as the CLI (``hubscan.report.query``)::

    import hubscan
    cat = hubscan.open("db/hubscan.db")
    cat.footprint(by="lineage").head()
    cat.emissions(verdict="likely unit error")
    cat.models().query("params > 1e9")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from hubscan.report import export as export_mod
from hubscan.report import history as history_mod
from hubscan.report import query
from hubscan.report import show as show_mod
from hubscan.store import DEFAULT_DB_PATH


class Catalog:
    """A read-only view of one catalog database."""

    def __init__(self, path: str | Path):

        self.path = Path(path)
        self.db = query.open_catalog(self.path)

    def models(self) -> pd.DataFrame:
        """One row per model: ids, family keys, parameters, memory, lineage and reported emissions."""

        return pd.read_sql_query(query.NAMED_QUERIES["models"]["sql"], self.db.conn)

    def footprint(self, by: str = "model_type", **options: Any) -> pd.DataFrame:
        """Per-family footprint (``author``, ``task``, ``min_params``, ``context``, ``dtype`` filters;
        ``sort``/``ascending`` order)."""

        rows = query.footprint(self.db, by, **options)
        return pd.DataFrame(rows, columns=query.FOOTPRINT_COLUMNS)

    def emissions(
        self, verdict: str | None = None, family: str | None = None, by: str = "model_type"
    ) -> pd.DataFrame:
        """Per model: reported vs estimated emissions (grams CO2eq), ratio, verdict and reason."""

        rows = query.emissions(self.db, verdict=verdict, family=family, by=by)
        return pd.DataFrame(rows, columns=EMISSION_COLUMNS)

    def emissions_summary(self) -> dict[str, pd.DataFrame]:
        """The ``hubscan emissions --summary`` sections, one DataFrame each."""

        return {name: pd.DataFrame(rows) for name, rows in query.emissions_summary(self.db).items()}

    def history(self, model_id: str) -> pd.DataFrame:
        """One model's listing across crawls (``hubscan history``)."""
        return pd.DataFrame(history_mod.model_history(self.db, model_id))

    def changes(self, since: str | int | None = None) -> pd.DataFrame:
        """Models added, removed, re-committed or updated since a run id or date (``hubscan changes``)."""
        rows, _notes = history_mod.changes(self.db, None if since is None else str(since))
        return pd.DataFrame(rows, columns=history_mod.CHANGE_COLUMNS)

    def show(self, model_id: str) -> dict:
        """One model's page as a dict of sections (``hubscan show --json``)."""
        return show_mod.model_page(self.db, model_id)

    def export(self, out_dir: str | Path, fmt: str = "parquet", tables: list[str] | None = None) -> dict:
        """Write the catalog's tables to ``out_dir`` (``hubscan export``); returns the schema.json content."""
        return export_mod.export_catalog(self.db, out_dir, fmt=fmt, tables=tables)

    def sql(self, statement: str, params: Any = ()) -> pd.DataFrame:
        """Any read-only SQL statement as a DataFrame (writes are refused by SQLite)."""

        columns, rows = query.run_sql(self.path, statement, params)
        return pd.DataFrame(rows, columns=columns)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Catalog({str(self.path)!r})"


EMISSION_COLUMNS = [
    "model_id", "family", "reported_g", "completeness", "found_in", "method", "estimated_g_low",
    "estimated_g_central", "estimated_g_high", "ratio", "verdict", "verdict_reason",
]  # fmt: skip


def open(path: str | Path | None = None) -> Catalog:  # noqa: A001
    """Open a catalog read-only for analysis with pandas: ``path``, else ``$HUBSCAN_DB``, else db/hubscan.db."""
    return Catalog(path or os.environ.get("HUBSCAN_DB") or DEFAULT_DB_PATH)
