"""Datasette metadata: every table and column documented with units, licences referenced, canned queries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hubscan.report import browse, query
from hubscan.store import open_db
from hubscan.store.columns import COLUMN_DOCS, TABLE_DOCS, catalog_markdown

ROOT = Path(__file__).resolve().parent.parent


def _schema(tmp_path):
    db = open_db(tmp_path / "fresh.db")
    tables = {
        t.name: [c.name for c in t.columns]
        for t in db.tables
        if not t.name.startswith("_") and not t.name.startswith("cards_fts")
    }
    db.close()
    return tables


def test_every_table_and_column_is_documented(tmp_path):
    tables = _schema(tmp_path)
    assert set(tables) == set(TABLE_DOCS) == set(COLUMN_DOCS)
    for table, columns in tables.items():
        assert list(COLUMN_DOCS[table]) == columns, table
        assert all(doc.strip() for doc in COLUMN_DOCS[table].values())


def test_byte_and_emission_columns_state_their_unit():
    for table, columns in COLUMN_DOCS.items():
        for column, doc in columns.items():
            if column.endswith("_bytes") or "_bytes_" in column:
                assert "bytes" in doc, (table, column)
            if column.startswith("emissions_g") or column in ("reported_g", "market_based_g"):
                assert "g CO2eq" in doc, (table, column)
            if column.startswith("params_") and "method" not in column and "reason" not in column:
                assert "parameters" in doc or "confidence" in doc.lower(), (table, column)


def test_catalog_doc_is_generated_and_current():
    assert (ROOT / "docs" / "CATALOG.md").read_text(encoding="utf-8") == catalog_markdown()
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_catalog_docs.py"), "--check"], check=False
    )
    assert check.returncode == 0


def test_metadata_structure(tmp_path):
    meta = browse.metadata(tmp_path / "hubscan.db")
    assert "LICENSES.md" in meta["source"] and "MIT" in meta["source"]
    for name in ("LICENSES.md", "SOURCES.md"):
        assert (ROOT / "src" / "hubscan" / "data" / name).exists()
    database = meta["databases"]["hubscan"]
    assert set(database["tables"]) == set(TABLE_DOCS)
    assert database["tables"]["footprints"]["columns"]["weights_bytes"].endswith("(bytes)")
    assert database["tables"]["models"]["facets"] == ["model_type", "pipeline_tag", "library_name"]
    assert set(database["queries"]) == set(query.CANNED_QUERIES)
    for key, spec in database["queries"].items():
        assert spec["sql"] == query.NAMED_QUERIES[key]["sql"].strip()
        assert spec["title"]
    json.dumps(meta)  # serialisable for --metadata


def test_datasette_command_uses_metadata(tmp_path):
    command = browse.datasette_command(tmp_path / "c.db", tmp_path / "m.json", port=9000)
    assert command[:4] == [sys.executable, "-m", "datasette", "serve"]
    assert "--metadata" in command and "9000" in command


def test_browse_missing_catalog_is_a_clear_error(tmp_path):
    from click.testing import CliRunner

    from hubscan.cli import cli

    result = CliRunner().invoke(cli, ["browse", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "No catalog at" in result.output
