"""The crawl derives only what changed: unchanged models cost no parse/estimate work on a re-crawl."""

from crawl_helpers import llama_config, make_snapshot
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, write_repo
from hubscan.source.hub import HubSource
from hubscan.store import open_db


def test_recrawl_derives_only_new_changed_or_underived_models(tmp_path):
    snap = tmp_path / "snap"
    ids = make_snapshot(snap, 6)
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap) as hub:
        first = crawl(db, HubSource(endpoint=hub.url), CrawlOptions())
        again = crawl(db, HubSource(endpoint=hub.url), CrawlOptions())
    assert first.derived == 6 and again.derived == 0
    assert db["footprints"].count == 6 and db["reported_emissions"].count == 6

    total = "SELECT params_total FROM footprints WHERE model_id = ?"
    before = db.execute(total, [ids[1]]).fetchone()[0]
    write_repo(snap, ids[1], files={"config.json": llama_config(layers=7)})
    write_repo(snap, "new/model", files={"config.json": llama_config()}, meta={})
    with MirrorServer(snap) as hub:
        changed = crawl(db, HubSource(endpoint=hub.url), CrawlOptions())
    assert changed.derived == 2
    assert db.execute(total, [ids[1]]).fetchone()[0] > before  # the new, deeper config was derived

    # A crawl stored without deriving is derived by the next ordinary crawl, with no file refetched.
    other = open_db(tmp_path / "other.db")
    with MirrorServer(snap) as hub:
        crawl(other, HubSource(endpoint=hub.url), CrawlOptions(derive=False))
        assert other["footprints"].count == 0
        hub.clear_log()
        caught_up = crawl(other, HubSource(endpoint=hub.url), CrawlOptions())
        assert [r for r in hub.request_log if "/resolve/" in r["path"]] == []
    assert caught_up.derived == 7 and other["footprints"].count == 7
