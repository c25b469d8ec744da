"""``hubscan sql`` cannot act outside the catalog, cannot run forever, cannot drive the terminal (items 12, 14)."""

import pytest
from click.testing import CliRunner

from hubscan.cli import cli
from hubscan.errors import QueryError
from hubscan.report import query
from hubscan.report.render import table
from hubscan.report.safe_sql import escape_control, guarded_execute
from hubscan.store import close_db, open_db

ANSI_ID = "evil/\x1b[31mred\x1b[0m\x07\x1b]0;title\x07"


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "c.db"
    db = open_db(path)
    db["models"].insert({"id": ANSI_ID, "author": "evil"})
    db["models"].insert({"id": "ok/model", "author": "ok"})
    close_db(db)
    return path


def _sql(catalog, statement, *extra):
    return CliRunner().invoke(cli, ["sql", statement, "--db", str(catalog), *extra])


def test_sql_attach_is_refused_and_creates_no_file(catalog, tmp_path):
    target = tmp_path / "elsewhere" / "x.db"
    target.parent.mkdir()
    result = _sql(catalog, f"ATTACH DATABASE '{target}' AS x")
    assert result.exit_code == 1 and "ATTACH" in result.output and "Traceback" not in result.output
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_sql_vacuum_into_is_refused_and_creates_no_file(catalog, tmp_path):
    target = tmp_path / "copy.db"
    for statement in (f"VACUUM INTO '{target}'", f"/* c */ vacuum into '{target}'", "VACUUM"):
        result = _sql(catalog, statement)
        assert result.exit_code == 1, statement
        assert "Refused" in result.output
    assert not target.exists()


@pytest.mark.parametrize(
    "statement", ["PRAGMA journal_mode = DELETE", "PRAGMA user_version = 7", "PRAGMA writable_schema = 1"]
)
def test_sql_pragma_writes_are_refused(catalog, statement):
    result = _sql(catalog, statement)
    assert result.exit_code == 1 and "Refused" in result.output and "PRAGMA" in result.output


def test_sql_reading_pragmas_and_selects_still_work(catalog):
    columns, rows = query.run_sql(catalog, "PRAGMA table_info(models)")
    assert "name" in columns and any(r[1] == "id" for r in rows)
    assert query.run_sql(catalog, "SELECT COUNT(*) FROM models")[1] == [(2,)]


@pytest.mark.timeout(60)
def test_sql_runaway_recursive_cte_is_stopped_by_the_time_limit(catalog):
    db = open_db(catalog)
    try:
        with pytest.raises(QueryError, match="limit"):
            guarded_execute(
                db.conn,
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n",
                time_limit=0.5,
            )
        # The connection is usable afterwards, with the handlers removed.
        assert db.execute("SELECT COUNT(*) FROM models").fetchone()[0] == 2
    finally:
        db.close()


def test_sql_output_escapes_control_characters_in_repo_ids(catalog):
    result = _sql(catalog, "SELECT id FROM models ORDER BY id")
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "evil/\\x1b[31mred" in result.output
    assert "ok/model" in result.output


def test_tables_escape_control_characters():
    out = table([{"model_id": ANSI_ID, "params": 7}])
    assert "\x1b" not in out and "\\x1b" in out
    assert (
        escape_control("tab\tand\nnewline stay; \r and \x9b go") == "tab\tand\nnewline stay; \\r and \\x9b go"
    )


def test_sql_json_output_escapes_control_characters_and_keeps_the_data(catalog):
    import json

    result = _sql(catalog, "SELECT id FROM models ORDER BY id", "--json")
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert json.loads(result.output)[0]["id"] == ANSI_ID
