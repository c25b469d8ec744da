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
    assert set(database["tables"]) == set(TABLE_DOCS) | set(browse.HIDDEN)
    assert database["tables"]["footprints"]["columns"]["weights_bytes"].endswith("(bytes)")
    assert database["tables"]["models"]["facets"] == ["model_type", "pipeline_tag", "library_name"]
    assert set(database["queries"]) == set(query.CANNED_QUERIES)
    for key, spec in database["queries"].items():
        assert spec["sql"] == query.NAMED_QUERIES[key]["sql"].strip()
        assert spec["title"]
    json.dumps(meta)  # serialisable for --metadata


def test_internal_tables_hidden_units_and_choices(tmp_path):
    database = browse.metadata(tmp_path / "hubscan.db")["databases"]["hubscan"]
    tables = database["tables"]
    for internal in ("_sqlite_migrations", "cards_fts", "family_members", "family_rollup"):
        assert tables[internal]["hidden"] is True
    assert not any(tables[t].get("hidden") for t in ("models", "footprints", "family_stats"))
    # Units come from the unit declared with each column (hubscan.store.columns), as Pint names.
    assert tables["footprints"]["units"]["weights_bytes"] == "byte"
    assert tables["reported_emissions"]["units"]["emissions_g"] == "g"
    assert tables["estimated_emissions"]["units"]["energy_kwh_central"] == "kWh"
    assert "params_total" not in tables["footprints"]["units"]  # a count has no unit
    choices = browse.metadata(tmp_path / "hubscan.db")["plugins"]["hubscan"]["choices"]
    assert "lineage" in choices["grouping"] and "not estimated" in choices["verdict"]
    assert database["queries"]["footprint_by_family"]["params"] == ["grouping"]
    assert "footprint_by_family" in database["description_html"]


def test_display_plugin_rounds_floats_and_offers_choices():
    from hubscan.report.datasette_plugins import hubscan_display as plugin

    assert plugin.display_number(154.58643840933908) == "154.6"
    assert plugin.display_number(0.0012345678) == "0.001235"
    assert plugin.display_number(1234567.89) == "1,234,568"
    assert plugin.render_cell(value="text") is None and plugin.render_cell(value=3) is None

    class FakeDatasette:
        def plugin_config(self, name):
            return {"choices": browse.PARAM_CHOICES} if name == "hubscan" else None

    script = plugin.extra_body_script(datasette=FakeDatasette())
    assert '"lineage"' in script
    assert 'document.createElement("select")' in script


def test_datasette_command_uses_metadata(tmp_path):
    command = browse.datasette_command(tmp_path / "c.db", tmp_path / "m.json", port=9000)
    assert command[:4] == [sys.executable, "-m", "datasette", "serve"]
    assert "--metadata" in command and "9000" in command


def test_browse_missing_catalog_is_a_clear_error(tmp_path):
    from click.testing import CliRunner

    from hubscan.cli import cli

    result = CliRunner().invoke(cli, ["browse", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "No catalog at" in result.output
