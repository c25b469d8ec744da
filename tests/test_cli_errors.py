"""One error mapping for every command: a HubscanError is one line on stderr and exit 1; HUBSCAN_DEBUG shows it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hubscan.cli import cli
from hubscan.errors import CatalogError


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["footprint"],
        ["emissions", "--summary"],
        ["sql", "select 1"],
    ],
)
def test_missing_catalog_is_one_line(tmp_path, args):
    missing = tmp_path / "nope.db"
    result = CliRunner().invoke(cli, [*args, "--db", str(missing)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:")
    assert "Traceback" not in result.output
    assert not missing.exists(), "a read command must not create a catalog"


def test_debug_switch_shows_the_exception(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCAN_DEBUG", "1")
    result = CliRunner().invoke(cli, ["stats", "--db", str(tmp_path / "nope.db")])
    assert result.exit_code == 1
    assert isinstance(result.exception, CatalogError)


def test_hubscan_db_environment_variable_sets_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCAN_DB", str(tmp_path / "elsewhere.db"))
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 1
    assert "elsewhere.db" in result.output
