"""The listing's safetensors totals next to the config count: agree, disagree, quantized packing."""

import json

from crawl_helpers import llama_config
from hubscan.crawl import CrawlOptions, crawl
from hubscan.estimate.footprint import analyze_config
from hubscan.mirror import MirrorServer, write_repo
from hubscan.source.hub import HubSource
from hubscan.store import open_db


def test_crawl_keeps_both_counts_and_flags_only_real_disagreements(tmp_path):
    config = llama_config(layers=2, hidden=64)
    exact = analyze_config(json.loads(config))["params"]["total"]
    quantized = json.loads(config) | {"quantization_config": {"quant_method": "gptq", "bits": 4}}
    snap = tmp_path / "snap"
    write_repo(
        snap,
        "o/same",
        files={"config.json": config},
        meta={"safetensors": {"parameters": {"BF16": exact}, "total": exact}},
    )
    write_repo(
        snap,
        "o/off",
        files={"config.json": config},
        meta={"safetensors": {"parameters": {"F32": exact * 2}, "total": exact * 2}},
    )
    packed = exact // 6
    write_repo(
        snap,
        "o/gptq",
        files={"config.json": json.dumps(quantized)},
        meta={"safetensors": {"parameters": {"I32": packed, "F16": 1000}, "total": packed + 1000}},
    )
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap) as hub:
        crawl(db, HubSource(endpoint=hub.url), CrawlOptions())
    rows = {
        r[0]: r[1:]
        for r in db.execute(
            "SELECT f.model_id, m.safetensors_total, f.params_total, f.safetensors_check, f.safetensors_note "
            "FROM footprints f JOIN models m ON m.id = f.model_id"
        )
    }
    assert rows["o/same"][:3] == (exact, exact, "agree")
    assert rows["o/off"][:3] == (exact * 2, exact, "disagree")
    assert rows["o/gptq"][:3] == (packed + 1000, exact, "quantized_packed")
    assert "packed" in rows["o/gptq"][3]
    by_dtype = json.loads(
        db.execute("SELECT safetensors_parameters FROM models WHERE id = 'o/gptq'").fetchone()[0]
    )
    assert by_dtype == {"I32": packed, "F16": 1000}
