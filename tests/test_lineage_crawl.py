"""Lineage roots on a catalog crawled from the bundled sample Hub plus a fine-tune of a fine-tune."""

import shutil

from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, sample_hub_path, write_repo
from hubscan.report.query import footprint
from hubscan.source.hub import HubSource
from hubscan.store import open_db

BASE = "2point5p/krx-gemma2-9b-harvest"  # a real model of the sample Hub


def test_fine_tune_of_a_fine_tune_resolves_to_the_root(tmp_path):
    snapshot = tmp_path / "hub"
    shutil.copytree(sample_hub_path(), snapshot)
    # Self-written derivative cards: the Hub derives baseModels from `base_model` front matter.
    write_repo(snapshot, "lab/child", files={"README.md": f"---\nbase_model: {BASE}\n---\n"}, meta={})
    write_repo(
        snapshot,
        "lab/grandchild",
        files={"README.md": "---\nbase_model: lab/child\nbase_model_relation: adapter\n---\n"},
        meta={},
    )
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snapshot) as hub:
        assert BASE in hub.repo_ids
        crawl(db, HubSource(endpoint=hub.url), CrawlOptions())
    rows = {
        row[0]: row[1:]
        for row in db.execute("SELECT model_id, parent_id, relation, root_id, depth FROM lineage")
    }
    base_root = rows[BASE][2]
    assert rows["lab/child"] == (BASE, "finetune", base_root, rows[BASE][3] + 1)
    assert rows["lab/grandchild"] == ("lab/child", "adapter", base_root, rows[BASE][3] + 2)
    family = next(r for r in footprint(db, "lineage") if r["family"] == base_root)
    assert family["models"] >= 3 and family["adapters"] >= 1 and family["finetunes"] >= 1
