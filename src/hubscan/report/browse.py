"""``hubscan browse``: the catalog in Datasette, with generated metadata and canned queries.

The metadata comes from ``hubscan.store.columns`` (table and column descriptions with units) and the canned
queries from ``hubscan.report.query.NAMED_QUERIES`` (the same SQL the CLI and the pandas API run). Datasette opens
the file read-only; nothing here writes to the catalog.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hubscan import __version__
from hubscan.errors import CatalogError
from hubscan.report import query
from hubscan.store.columns import COLUMN_DOCS, TABLE_DOCS, unit_of

FACETS: dict[str, list[str]] = {
    "models": ["model_type", "pipeline_tag", "library_name"],
    "footprints": ["model_type", "dtype", "params_confidence"],
    "reported_emissions": ["completeness", "found_in"],
    "estimated_emissions": ["verdict", "method"],
    "lineage": ["relation", "root_status"],
    "family_stats": ["grouping"],
    "configs": ["status"],
    "crawl_errors": ["kind"],
}
SORT: dict[str, str] = {"footprints": "params_total", "family_stats": "models", "models": "downloads"}
# Bookkeeping tables: listed under "hidden tables", not first on the database page nor the default query.
HIDDEN = ("_sqlite_migrations", "family_members", "family_rollup", "family_task_rollup",
          "family_keys", "cards_fts", "cards_fts_config",
          "cards_fts_data", "cards_fts_docsize", "cards_fts_idx")  # fmt: skip
# Declared units (hubscan.store.columns) as the Pint units Datasette understands; counts have none.
PINT_UNITS = {"bytes": "byte", "g CO2eq": "g", "kWh": "kWh", "hours": "hour"}
# Canned-query parameters that take one of a few values: drop-downs in the browser ("" = the default).
PARAM_CHOICES = {
    "grouping": ["", "model_type", "lineage", "author", "pipeline_tag", "library"],
    "verdict": ["", *query.VERDICTS],
}
PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"
DATA_LICENSE = (
    "hubscan: Apache-2.0. Vendored reference data (src/hubscan/data/): codecarbon 3.3.2 data files (MIT, "
    "Mila/BCG Gamma/CometML/Haverford College/Code Carbon NGO) and mlco2/impact data (MIT); hardware_specs.csv, "
    "hardware_variants.csv and pue_defaults.json compiled for hubscan (Apache-2.0, per-row sources). "
    "See src/hubscan/data/LICENSES.md and SOURCES.md. Model metadata: the Hugging Face Hub API; each model "
    "card and config keeps its own licence (models.tags holds license:...)."
)


def metadata(db_path: str | Path) -> dict[str, Any]:
    """Datasette metadata for the catalog at ``db_path``: descriptions, units, facets, canned queries."""
    name = Path(db_path).stem
    tables: dict[str, Any] = {}
    for table, doc in TABLE_DOCS.items():
        entry: dict[str, Any] = {"description": doc, "columns": dict(COLUMN_DOCS[table])}
        if table in FACETS:
            entry["facets"] = FACETS[table]
        if table in SORT:
            entry["sort_desc"] = SORT[table]
        units = {
            column: PINT_UNITS[unit_of(f"{table}.{column}")]
            for column in COLUMN_DOCS[table]
            if unit_of(f"{table}.{column}") in PINT_UNITS
        }
        if units:
            entry["units"] = units
        if table in HIDDEN:
            entry["hidden"] = True
        tables[table] = entry
    for table in HIDDEN:
        tables.setdefault(table, {"hidden": True})
    queries = {}
    for key in query.CANNED_QUERIES:
        spec = query.NAMED_QUERIES[key]
        queries[key] = {
            "sql": spec["sql"].strip(),
            "title": spec["title"],
            "description": spec.get("description", ""),
        }
        if spec.get("params"):
            queries[key]["params"] = spec["params"]
    return {
        "title": "hubscan catalog",
        "description": (
            "Models mined from the Hugging Face Hub: parameters, memory, training emissions, families. "
            "Bytes are plain bytes (1 GB = 10^9), parameters are counts, emissions are grams CO2eq. "
            "Column docs: docs/CATALOG.md."
        ),
        "license": "Apache-2.0 (hubscan); vendored data MIT, see source",
        "source": DATA_LICENSE,
        "about": f"hubscan {__version__}",
        "plugins": {"hubscan": {"choices": PARAM_CHOICES}},
        "databases": {name: {"tables": tables, "queries": queries, "description_html": _start_page(name)}},
    }


def _start_page(name: str) -> str:
    """The database page's introduction: where to start (canned queries, then the main tables)."""
    links = " · ".join(
        f'<a href="/{name}/{key}">{query.NAMED_QUERIES[key]["title"]}</a>' for key in query.CANNED_QUERIES
    )
    tables = " · ".join(f'<a href="/{name}/{t}">{t}</a>' for t in ("models", "footprints", "family_stats"))
    return (
        f"<p>Start with a canned query: {links}.</p><p>Main tables: {tables}. One model's page: "
        f'<a href="/{name}/model_page">model_page</a> (also <code>hubscan show MODEL_ID</code>).</p>'
    )


def datasette_command(
    db_path: str | Path, metadata_path: str | Path, port: int = 8001, host: str = "127.0.0.1"
) -> list[str]:
    """The ``datasette serve`` command line (current interpreter, so the venv's datasette is used)."""
    return [
        sys.executable, "-m", "datasette", "serve", str(db_path), "--metadata", str(metadata_path),
        "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "5000",
        "--setting", "facet_time_limit_ms", "500", "--plugins-dir", str(PLUGINS_DIR),
    ]  # fmt: skip


def write_metadata(db_path: str | Path, out: str | Path) -> Path:
    out = Path(out)
    out.write_text(json.dumps(metadata(db_path), indent=2), encoding="utf-8")
    return out


def serve(
    db_path: str | Path, port: int = 8001, host: str = "127.0.0.1", metadata_out: str | Path | None = None
) -> int:
    """Run Datasette on the catalog until interrupted (Ctrl-C or SIGTERM); returns its exit status.

    A busy port is a clear error before anything starts; ``port=0`` picks a free one and the real port is
    printed; Datasette is taken down with this process (SIGTERM included).
    """
    db_path = Path(db_path)
    query.open_catalog(db_path).close()  # clear error for a missing or foreign file
    port = _claim_port(host, port)
    with tempfile.TemporaryDirectory(prefix="hubscan-browse-") as tmp:
        meta = write_metadata(db_path, metadata_out or Path(tmp) / "metadata.json")
        try:
            child = subprocess.Popen(datasette_command(db_path, meta, port=port, host=host))
        except OSError as exc:
            raise CatalogError(f"Could not start Datasette: {exc}") from exc
        return _supervise(child, db_path, host, port)


def _claim_port(host: str, port: int) -> int:
    """The port to serve on: ``port`` if it is free, a free one for 0; a busy port is an error."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Datasette does: only listeners count
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CatalogError(
                f"Cannot serve on {host}:{port}: {exc.strerror or exc}. Choose another port with --port "
                "(0 picks a free one)."
            ) from exc
        return probe.getsockname()[1]


def _supervise(child: subprocess.Popen, db_path: Path, host: str, port: int) -> int:
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if on_main_thread else None
    try:
        if not _wait_until_listening(child, host, port):
            raise CatalogError(f"Datasette could not serve on {host}:{port} (exit status {child.wait()}).")
        print(f"Serving {db_path} at http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
        status = child.wait()
        if status != 0:
            raise CatalogError(f"Datasette stopped with exit status {status}.")
        return status
    except KeyboardInterrupt:
        return 0
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _wait_until_listening(child: subprocess.Popen, host: str, port: int, timeout: float = 60.0) -> bool:
    """True once the port accepts connections; False if the child exits first (e.g. the port was taken)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return child.poll() is None
