"""Indexing what is already on disk: the HF cache and a folder of repos."""

import json

import pytest

from crawl_helpers import llama_config, make_snapshot
from hubscan.crawl import CrawlOptions, crawl
from hubscan.errors import SourceError
from hubscan.mirror import MirrorServer
from hubscan.source import make_source
from hubscan.source.local import CacheSource
from hubscan.store import open_db


def test_dir_source_indexes_a_folder_and_is_incremental(tmp_path):
    root = tmp_path / "models"
    (root / "org" / "tiny").mkdir(parents=True)
    (root / "org" / "tiny" / "config.json").write_text(llama_config())
    (root / "solo").mkdir()
    (root / "solo" / "README.md").write_text("---\nco2_eq_emissions: 42\nlicense: mit\n---\n")
    (root / "org" / "empty").mkdir()
    db = open_db(tmp_path / "c.db")
    stats = crawl(db, make_source(f"dir:{root}"), CrawlOptions(cards="full", derive=False))
    assert stats.listed == 2 and stats.failed == 0
    assert {row[0] for row in db.execute("SELECT id FROM models")} == {"org/tiny", "solo"}
    assert (
        json.loads(db.execute("SELECT raw FROM configs WHERE status = 'ok'").fetchone()[0])["model_type"]
        == "llama"
    )
    assert "co2_eq_emissions: 42" in db.execute("SELECT body FROM cards WHERE model_id='solo'").fetchone()[0]

    again = crawl(db, make_source(f"dir:{root}"), CrawlOptions(cards="full", derive=False))
    assert again.fetched == 0 and again.skipped == 4  # two models × two files, absent ones included


def test_cache_source_reads_what_the_real_client_downloaded(tmp_path):
    from huggingface_hub import hf_hub_download

    make_snapshot(tmp_path / "snap", 3)
    cache = tmp_path / "hf-cache"
    with MirrorServer(tmp_path / "snap") as hub:
        for repo_id in ("author0/model-000", "author1/model-001"):
            for name in ("config.json", "README.md"):
                hf_hub_download(repo_id, name, cache_dir=cache, endpoint=hub.url)
    db = open_db(tmp_path / "c.db")
    stats = crawl(db, CacheSource(cache), CrawlOptions(cards="full", derive=False))
    assert stats.listed == 2 and stats.fetched == 4
    shas = dict(db.execute("SELECT id, sha FROM models"))
    assert set(shas) == {"author0/model-000", "author1/model-001"}
    assert all(len(sha) == 40 for sha in shas.values())


def test_unknown_source_and_missing_folder_are_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="Unknown source"):
        make_source("ftp://x")
    with pytest.raises(SourceError, match="not a directory"):
        make_source(f"dir:{tmp_path / 'nope'}")
