"""The bundled sample Hub carries real listing facts: for every repo found in the Hub's 2024-07-11 listing,
meta.json holds exactly that listing's createdAt, downloads, likes, pipeline_tag, library_name and tags; the
repos not found have an empty meta.json (nothing invented); the README states the snapshot date."""

from __future__ import annotations

import json

import pytest
from huggingface_hub import HfApi

from hubscan.mirror import MirrorServer, load_snapshot, sample_hub_path
from research_fixtures import listing_file, read_listing

FIELDS = ("createdAt", "downloads", "likes", "pipeline_tag", "library_name", "tags")


def metas() -> dict[str, dict]:
    root = sample_hub_path() / "repos"
    return {
        str(p.parent.relative_to(root)): json.loads(p.read_text("utf-8")) for p in root.rglob("meta.json")
    }


def test_readme_states_the_snapshot_date():
    text = (sample_hub_path() / "README.txt").read_text("utf-8")
    assert "2024-07-11" in text and "nothing invented" in text


def test_most_repos_have_listing_facts_and_the_rest_none():
    found = {rid: meta for rid, meta in metas().items() if meta}
    assert len(found) >= 150
    for meta in metas().values():
        assert set(meta) <= set(FIELDS) | {"safetensors"}


@pytest.mark.skipif(listing_file() is None, reason="the shared 2024 listing is not beside the repository")
def test_facts_equal_the_real_listing():
    all_meta = metas()
    listed = {}
    for item in read_listing(listing_file()):
        if item["id"] in all_meta:
            listed[item["id"]] = {k: item[k] for k in FIELDS if item.get(k) is not None}
    for rid, meta in all_meta.items():
        assert {k: v for k, v in meta.items() if k != "safetensors"} == listed.get(rid, {}), rid
    assert len(listed) == sum(1 for m in all_meta.values() if m)


@pytest.mark.skipif(listing_file() is None, reason="the shared 2024 listing is not beside the repository")
def test_safetensors_blocks_equal_the_real_model_records():
    details = listing_file().parent / "hf_model_details_subset_0-9_q_2024-07.jsonl.gz"
    all_meta = metas()
    recorded = {
        item["id"]: item["safetensors"]
        for item in read_listing(details)
        if item["id"] in all_meta and isinstance(item.get("safetensors"), dict)
    }
    assert recorded
    assert {rid: m["safetensors"] for rid, m in all_meta.items() if "safetensors" in m} == recorded


def test_the_mirror_serves_the_facts_through_the_real_client():
    snapshot = load_snapshot(sample_hub_path())
    rid, meta = next((rid, m) for rid, m in sorted(metas().items()) if m.get("createdAt") and m.get("likes"))
    with MirrorServer(sample_hub_path()) as hub:
        info = HfApi(endpoint=hub.url).model_info(rid, expand=["createdAt", "likes", "downloads", "tags"])
    assert info.created_at.isoformat().startswith(meta["createdAt"][:19])
    assert info.likes == meta["likes"] and info.downloads == meta.get("downloads")
    assert info.tags == meta["tags"]
    assert snapshot.find(rid) is not None
