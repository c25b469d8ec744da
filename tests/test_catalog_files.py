"""Foreign, corrupt and mistyped catalog files (issue 10, items 3, 10, 11, 15).

A file hubscan did not make is recognised before anything writes to it: one clear line, exit 1, and the file
is byte-for-byte unchanged. Read commands never create a catalog. A writing command leaves the ``.db`` file
complete on its own (WAL checkpointed).
"""

import hashlib
import shutil
import sqlite3

import pytest
from click.testing import CliRunner
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from hubscan.cli import cli
from hubscan.errors import CatalogError
from hubscan.store import close_db, open_db, open_db_read_only
from hubscan.store.db import APPLICATION_ID
from hubscan.store.migrations import migrations

READ_COMMANDS = [
    ["stats"],
    ["sql", "SELECT COUNT(*) FROM models"],
    ["footprint"],
    ["emissions"],
    ["plot", "footprint", "--out", "{tmp}/f.png"],
]
WRITE_COMMANDS = [["derive"], ["crawl", "--endpoint", "http://127.0.0.1:9", "--retries", "0"]]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(args, db, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def assert_one_line_refusal(result):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output


def foreign_db(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.executemany("INSERT INTO notes (text) VALUES (?)", [(f"note {i}" * 20,) for i in range(500)])
    conn.commit()
    conn.close()
    return path


def real_catalog(path):
    db = open_db(path)
    db["models"].insert_all([{"id": f"org/m{i}", "author": "org", "tags": "x" * 300} for i in range(400)])
    close_db(db)
    return path


def corrupt_variants(tmp_path):
    good = real_catalog(tmp_path / "good.db")
    data = good.read_bytes()
    assert len(data) > 8 * 4096
    mid = len(data) // 2
    variants = {
        "truncated": data[: len(data) // 3],
        "garbage_header": b"\x00garbage" * 8 + data[64:],
        "garbage_mid_file": data[:mid] + b"\xde\xad\xbe\xef" * 2048 + data[mid + 8192 :],
        "text_file": b"id,author\norg/m0,org\n",
        "half_a_header": data[:50],
    }
    paths = {}
    for name, content in variants.items():
        paths[name] = tmp_path / f"{name}.db"
        paths[name].write_bytes(content)
    return paths


@pytest.mark.parametrize("command", READ_COMMANDS + WRITE_COMMANDS, ids=lambda c: c[0])
def test_foreign_sqlite_file_is_refused_and_never_modified(tmp_path, command):
    path = foreign_db(tmp_path / "other.db")
    before = digest(path)
    result = run(command, path, tmp_path)
    assert_one_line_refusal(result)
    assert "another tool" in result.output
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


@pytest.mark.parametrize("command", READ_COMMANDS + [["derive"]], ids=lambda c: c[0])
def test_read_commands_and_derive_never_create_a_catalog(tmp_path, command):
    path = tmp_path / "typo.db"
    result = run(command, path, tmp_path)
    assert_one_line_refusal(result)
    assert "No catalog" in result.output
    assert not path.exists()


@pytest.mark.parametrize(
    "variant", ["truncated", "garbage_header", "garbage_mid_file", "text_file", "half_a_header"]
)
@pytest.mark.parametrize("command", READ_COMMANDS + WRITE_COMMANDS, ids=lambda c: c[0])
def test_corrupt_catalog_gets_one_line_and_is_never_modified(tmp_path, variant, command):
    path = corrupt_variants(tmp_path)[variant]
    before = digest(path)
    result = run(command, path, tmp_path)
    assert_one_line_refusal(result)
    assert digest(path) == before
    assert not (tmp_path / "f.png").exists()


def test_new_catalog_is_stamped_with_hubscans_application_id(tmp_path):
    close_db(open_db(tmp_path / "new.db"))
    conn = sqlite3.connect(tmp_path / "new.db")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_existing_catalog_without_the_stamp_is_upgraded_in_place_and_stamped(tmp_path):
    path = tmp_path / "old.db"
    # A catalog made before the stamp existed, and before the last migration: no application_id.
    older = Migrations(migrations.name)
    older._migrations = list(migrations._migrations[:-1])
    legacy = Database(path)
    older.apply(legacy)
    legacy["models"].insert({"id": "org/kept", "author": "org"})
    legacy.close()
    assert sqlite3.connect(path).execute("PRAGMA application_id").fetchone()[0] == 0
    db = open_db(path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("SELECT id FROM models").fetchall() == [("org/kept",)]
    applied = {row[0] for row in db.execute("SELECT name FROM _sqlite_migrations")}
    assert {m.name for m in migrations._migrations} <= applied
    close_db(db)
    open_db_read_only(path).close()


def test_empty_file_is_not_a_catalog_for_readers(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(CatalogError, match="empty"):
        open_db_read_only(path)
    assert path.read_bytes() == b""


def test_crawl_db_file_alone_is_complete(tmp_path):
    """A writing command ends with a checkpoint: copying only the .db file keeps every table."""
    path = real_catalog(tmp_path / "c.db")
    db = open_db(path)
    db["footprints"].insert({"model_id": "org/m1", "params_total": 7})
    close_db(db)
    wal = tmp_path / "c.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    alone = tmp_path / "copy" / "c.db"
    alone.parent.mkdir()
    shutil.copyfile(path, alone)
    conn = sqlite3.connect(alone)
    assert conn.execute("SELECT COUNT(*) FROM footprints").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM models").fetchone()[0] == 400


@pytest.mark.timeout(300)
def test_demo_db_file_alone_is_complete(tmp_path):
    """Right after `hubscan demo`, the .db file by itself (no -wal) holds the derived tables too."""
    path = tmp_path / "db" / "hubscan.db"
    result = CliRunner().invoke(cli, ["demo", "--db", str(path), "--workers", "4", "-q"])
    assert result.exit_code == 0, result.output
    alone = tmp_path / "shared" / "hubscan.db"
    alone.parent.mkdir()
    shutil.copyfile(path, alone)  # what a user does to share a catalog: the .db file only
    conn = sqlite3.connect(alone)
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("models", "footprints", "reported_emissions", "family_stats")}  # fmt: skip
    assert counts["models"] > 200 and counts["footprints"] > 100
    assert counts["reported_emissions"] > 0 and counts["family_stats"] > 0
