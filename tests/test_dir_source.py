"""``--source dir:PATH`` never reads outside its folder and records what it refuses (issue 10, item 13)."""

import os

import pytest

from crawl_helpers import llama_config
from hubscan.crawl import CrawlOptions, crawl
from hubscan.source import make_source
from hubscan.source.local import MAX_LOCAL_FILE_BYTES
from hubscan.store import open_db


def _crawl(tmp_path, root):
    db = open_db(tmp_path / "c.db")
    stats = crawl(db, make_source(f"dir:{root}"), CrawlOptions(cards="full", derive=False))
    return db, stats


def test_dir_source_refuses_a_symlink_out_of_its_root(tmp_path):
    secret = tmp_path / "outside" / "secret.json"
    secret.parent.mkdir()
    secret.write_text('{"model_type": "llama", "token": "hf_SECRET_OUTSIDE"}')
    root = tmp_path / "models"
    (root / "org" / "evil").mkdir(parents=True)
    os.symlink(secret, root / "org" / "evil" / "config.json")
    (root / "org" / "good").mkdir(parents=True)
    (root / "org" / "good" / "config.json").write_text(llama_config())
    db, stats = _crawl(tmp_path, root)
    assert stats.status == "finished" and stats.failed == 1
    dumped = "\n".join(str(row) for table in ("configs", "files", "crawl_errors", "cards")
                       for row in db.execute(f"SELECT * FROM {table}"))  # fmt: skip
    assert "hf_SECRET_OUTSIDE" not in dumped
    kind, message = db.execute(
        "SELECT kind, message FROM crawl_errors WHERE model_id = 'org/evil'"
    ).fetchone()
    assert kind == "outside_root" and "outside" in message
    assert (
        db.execute(
            "SELECT status FROM files WHERE model_id = 'org/evil' AND path = 'config.json'"
        ).fetchone()[0]
        == "outside_root"
    )
    assert db.execute("SELECT status FROM configs WHERE model_id = 'org/good'").fetchone()[0] == "ok"


def test_dir_source_follows_a_symlink_inside_its_root(tmp_path):
    root = tmp_path / "models"
    (root / "org" / "a").mkdir(parents=True)
    (root / "org" / "a" / "config.json").write_text(llama_config())
    (root / "org" / "b").mkdir(parents=True)
    os.symlink(root / "org" / "a" / "config.json", root / "org" / "b" / "config.json")
    db, stats = _crawl(tmp_path, root)
    assert stats.failed == 0
    raws = dict(db.execute("SELECT model_id, raw FROM configs"))
    assert raws["org/b"] == raws["org/a"] == llama_config()


def test_dir_source_records_a_huge_file_as_too_large(tmp_path):
    root = tmp_path / "models"
    (root / "org" / "huge").mkdir(parents=True)
    with open(root / "org" / "huge" / "config.json", "wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GB, sparse: costs no disk
    db, stats = _crawl(tmp_path, root)
    assert stats.failed == 1
    assert db.execute("SELECT kind FROM crawl_errors").fetchone()[0] == "too_large"
    assert db.execute("SELECT status FROM files WHERE path = 'config.json'").fetchone()[0] == "too_large"
    assert db.execute("SELECT COUNT(*) FROM configs WHERE status = 'invalid_json'").fetchone()[0] == 0


@pytest.mark.parametrize(
    "text,kind",
    [
        ("[" * 200_000 + "]" * 200_000, "too_deep"),
        ('{"num_hidden_layers": 99999999999999999999}', "number_out_of_range"),
    ],
)
def test_dir_source_applies_the_json_limits(tmp_path, text, kind):
    root = tmp_path / "models"
    (root / "org" / "bad").mkdir(parents=True)
    (root / "org" / "bad" / "config.json").write_text(text)
    db, stats = _crawl(tmp_path, root)
    assert stats.status == "finished"
    assert db.execute("SELECT status FROM configs").fetchone()[0] == kind
    assert db.execute("SELECT kind FROM crawl_errors").fetchone()[0] == kind


def test_dir_source_limit_matches_the_crawl_default():
    assert MAX_LOCAL_FILE_BYTES == 5 * 1024 * 1024
