"""A --listing-only crawl reads no config.json: the footprint comes from the listing's safetensors field,
marked as derived from the listing."""

from __future__ import annotations

import os
import sqlite3

from click.testing import CliRunner

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from hubscan.cli import cli  # noqa: E402
from hubscan.estimate.footprint import footprint_from_listing  # noqa: E402
from hubscan.mirror import MirrorServer, write_repo  # noqa: E402


def test_listing_only_crawl_stores_footprints_from_the_listing(tmp_path):
    root = tmp_path / "hub"
    bf16 = {"parameters": {"BF16": 7_000, "F32": 100}, "total": 7_100}
    packed = {"parameters": {"BF16": 300, "U8": 4_000}, "total": 4_300}
    write_repo(root, "a/dense", files={"config.json": b'{"model_type": "llama"}'}, meta={"safetensors": bf16})
    write_repo(
        root, "a/packed", files={"config.json": b'{"model_type": "llama"}'}, meta={"safetensors": packed}
    )
    write_repo(root, "a/none", files={"config.json": b"{}"}, meta={})
    path = tmp_path / "c.db"
    with MirrorServer(root) as hub:
        result = CliRunner().invoke(
            cli, ["crawl", "--endpoint", hub.url, "--db", str(path), "--listing-only", "-q"]
        )
        file_requests = [e for e in hub.request_log if "/resolve/" in e["path"]]
    assert result.exit_code == 0, result.output
    assert file_requests == []
    con = sqlite3.connect(path)
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT model_id, params_total, params_method, params_confidence, weights_bytes, dtype FROM footprints"
        )
    }
    con.close()
    assert set(rows) == {"a/dense", "a/packed"}  # a/none: the listing has no count, nothing to derive from
    assert rows["a/dense"] == (7_100, "listing:safetensors", "listing", 7_000 * 2 + 100 * 4, "bf16")
    assert rows["a/packed"][:3] == (4_300, "listing:safetensors", "approximate")
    assert rows["a/packed"][3] == 300 * 2 + 4_000 * 1


def test_listing_footprint_refuses_a_non_count():
    import pytest

    from hubscan.errors import ParseError

    with pytest.raises(ParseError):
        footprint_from_listing(-1, None)
    assert footprint_from_listing(10, None)["memory"]["weights_bytes"] is None
