"""Hostile config.json files never hang or traceback the crawl or `hubscan inspect` (items 4, 5).

The JSON limits (size, depth, number range) live in ``hubscan.parse.limits`` and are shared by the crawl,
``inspect`` and ``dir:``. Absurd-but-in-range values (1e6 layers, 1e308) are the estimator's to refuse.
"""

# ruff: noqa: F401, F811
import json
import sys

import pytest
from click.testing import CliRunner

from crawl_helpers import llama_config
from hubscan.cli import cli
from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, write_repo
from hubscan.parse.limits import JsonLimitError, JsonLimits, json_depth, load_json
from hubscan.source.hub import HubSource
from hubscan.store import close_db, open_db
from hubscan.store.save import parse_config_status
from mirror_fixtures import hf_env

HUGE_LAYERS = '{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 99999999999999999999, ' \
    '"num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100}'  # fmt: skip
DEEP_LIST = "[" * 200_000 + "]" * 200_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
HOSTILE = {
    "huge-layers": (HUGE_LAYERS, "number_out_of_range"),
    "deep-list": (DEEP_LIST, "too_deep"),
    "deep-object": (DEEP_OBJECT, "too_deep"),
    "nan": ('{"model_type": "llama", "hidden_size": NaN}', "number_out_of_range"),
    "infinity": ('{"model_type": "llama", "hidden_size": 1e400}', "number_out_of_range"),
    "negative-huge": ('{"vocab_size": -99999999999999999999}', "number_out_of_range"),
    "thousand-digits": ('{"vocab_size": ' + "9" * 5000 + "}", "number_out_of_range"),
}


def test_json_limits_refuse_each_rule():
    for text, kind in HOSTILE.values():
        with pytest.raises(JsonLimitError) as info:
            load_json(text)
        assert info.value.kind == kind, text[:40]
    with pytest.raises(JsonLimitError) as info:
        load_json("x" * 101, JsonLimits(max_bytes=100))
    assert info.value.kind == "too_large"
    with pytest.raises(JsonLimitError) as info:
        load_json("{not json")
    assert info.value.kind == "invalid_json"


def test_json_limits_accept_ordinary_configs_unchanged():
    text = llama_config()
    assert load_json(text) == json.loads(text)
    assert load_json(b"\xef\xbb\xbf" + text.encode()) == json.loads(text)
    assert load_json('{"rope_theta": 1e30, "eps": 1e-300, "max": 9223372036854775807}')["max"] == 2**63 - 1
    # Brackets inside strings do not count as nesting.
    assert json_depth('{"chat_template": "[[[[{{{{"}') == 1


def test_depth_check_does_not_recurse():
    limit = sys.getrecursionlimit()
    assert json_depth("[" * (limit * 50)) > limit
    assert json_depth("[" * 10**6, stop_above=100) == 101


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["huge-layers", "deep-list", "deep-object", "nan"])
def test_inspect_refuses_hostile_json_in_one_line(tmp_path, name):
    path = tmp_path / "config.json"
    path.write_text(HOSTILE[name][0])
    result = CliRunner().invoke(cli, ["inspect", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    assert "refused" in result.output


@pytest.mark.timeout(60)
def test_inspect_overflowing_value_is_one_line_not_a_traceback(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(
        HUGE_LAYERS.replace("99999999999999999999", "2").replace('"hidden_size": 64', '"hidden_size": 1e308')
    )
    result = CliRunner().invoke(cli, ["inspect", str(path)])
    assert result.exit_code in (0, 1)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_store_records_the_rule_a_config_broke():
    for text, kind in HOSTILE.values():
        status, message = parse_config_status(text)
        assert status == kind and message
    assert parse_config_status(llama_config()) == ("ok", None)


@pytest.mark.timeout(120)
def test_crawl_stores_hostile_configs_as_errors_and_the_rest_of_the_page(tmp_path, hf_env):
    snap = tmp_path / "snap"
    healthy = [f"org/good-{i}" for i in range(4)]
    for repo_id in healthy:
        write_repo(snap, repo_id, files={"config.json": llama_config()}, meta={})
    for name, (text, _kind) in HOSTILE.items():
        write_repo(snap, f"evil/{name}", files={"config.json": text}, meta={})
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap, page_size=3) as hub:
        stats = crawl(db, HubSource(endpoint=hub.url, max_retries=0), CrawlOptions(workers=2))
    assert stats.status == "finished"
    statuses = dict(db.execute("SELECT model_id, status FROM configs"))
    for name, (_text, kind) in HOSTILE.items():
        assert statuses[f"evil/{name}"] == kind
    assert all(statuses[r] == "ok" for r in healthy)
    assert db.execute("SELECT COUNT(*) FROM footprints WHERE model_id LIKE 'org/%'").fetchone()[0] == 4
    errors = dict(db.execute("SELECT model_id, kind FROM crawl_errors"))
    assert {f"evil/{n}" for n in HOSTILE} <= set(errors)
    assert db.execute("SELECT COUNT(*) FROM crawl_runs WHERE status = 'running'").fetchone()[0] == 0
    close_db(db)


ABSURD = {
    "hidden-1e308": HUGE_LAYERS.replace("99999999999999999999", "2").replace(
        '"hidden_size": 64', '"hidden_size": 1e308'
    ),
    "layers-1e6": HUGE_LAYERS.replace("99999999999999999999", "1000000"),
    "negative-layers": HUGE_LAYERS.replace("99999999999999999999", "-4"),
}


@pytest.mark.timeout(120)
def test_crawl_with_absurd_in_range_values_finishes_and_never_claims_exact(tmp_path, hf_env):
    snap = tmp_path / "snap"
    write_repo(snap, "org/good", files={"config.json": llama_config()}, meta={})
    for name, text in ABSURD.items():
        write_repo(snap, f"evil/{name}", files={"config.json": text}, meta={})
    db = open_db(tmp_path / "c.db")
    with MirrorServer(snap) as hub:
        stats = crawl(db, HubSource(endpoint=hub.url, max_retries=0), CrawlOptions(workers=2))
    assert stats.status == "finished"
    confidence = dict(db.execute("SELECT model_id, params_confidence FROM footprints"))
    assert confidence["org/good"] == "exact"
    assert all(confidence.get(f"evil/{n}") != "exact" for n in ABSURD)
    close_db(db)
