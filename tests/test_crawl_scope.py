"""What a crawl fetches: --files config|card|all, --cards, --listing-only."""

import pytest

from crawl_helpers import file_requests, make_snapshot, settled_log
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer
from hubscan.source.hub import HubSource
from hubscan.store import open_db


@pytest.mark.parametrize(
    ("options", "configs", "readmes"),
    [
        ({}, 4, 0),
        ({"cards": "full"}, 4, 4),
        ({"files": "card"}, 0, 4),
        ({"files": "all"}, 4, 4),
        ({"listing_only": True, "cards": "full"}, 0, 0),
    ],
)
def test_files_option_decides_the_file_requests(tmp_path, options, configs, readmes):
    make_snapshot(tmp_path / "snap", 4)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(tmp_path / "snap") as hub:
        stats = crawl(db, HubSource(endpoint=hub.url), CrawlOptions(derive=False, **options))
        log = settled_log(hub, 1 + 2 * (configs + readmes))
    assert (
        len(file_requests(log, "config.json")) == configs and len(file_requests(log, "README.md")) == readmes
    )
    assert stats.listed == 4 and db["models"].count == 4
    assert db.execute("SELECT count(*) FROM cards WHERE card_data IS NOT NULL").fetchone()[0] == 4  # cardData
