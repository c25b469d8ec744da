"""`hubscan show MODEL_ID`: one model's page in the terminal and as JSON, on the hand-made catalog whose
numbers are known, and a clear error for an id that is not in the catalog."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from catalog_fixtures import ESTIMATED, FOOTPRINTS, REPORTED, build_catalog
from hubscan.cli import cli
from hubscan.report import query, show


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return build_catalog(tmp_path_factory.mktemp("show") / "cat.db")


def test_page_of_a_model_with_every_kind_of_data(catalog):
    db = query.open_catalog(catalog)
    page = show.model_page(db, "meta/llama-8b")
    child = show.model_page(db, "alice/llama-8b-chat")
    db.close()
    params, active, dtype, weights, kv_token, context = FOOTPRINTS["meta/llama-8b"]
    assert page["listing"]["downloads"] == 1000 and page["listing"]["author"] == "meta"
    assert page["parameters"]["params_total"] == params and page["parameters"]["params_active"] == active
    assert page["footprint"]["dtype"] == dtype and page["footprint"]["weights_bytes"] == weights
    assert page["footprint"]["kv_cache_bytes"] == kv_token * context
    assert page["reported_emissions"]["emissions_g"] == REPORTED["meta/llama-8b"][0]
    low, central, high, ratio, verdict = ESTIMATED["meta/llama-8b"]
    estimate = page["estimated_emissions"]
    assert (estimate["emissions_g_low"], estimate["emissions_g_central"], estimate["emissions_g_high"]) == (
        low, central, high,
    )  # fmt: skip
    assert estimate["verdict"] == verdict and estimate["ratio"] == pytest.approx(ratio)
    # meta/llama-8b is a root; alice's chat model and carol's adapter name it as base; chains below them.
    assert page["lineage"]["root_status"] == "root" and page["lineage"]["base_models"] == []
    assert page["lineage"]["children"] == 2 and page["lineage"]["descendants"] == 5
    assert child["lineage"]["base_models"] == ["meta/llama-8b"] and child["lineage"]["relation"] == "finetune"
    assert child["lineage"]["descendants"] == 3 and child["estimated_emissions"] is None


def test_show_table_and_json(catalog):
    runner = CliRunner()
    result = runner.invoke(cli, ["show", "meta/llama-8b", "--db", str(catalog)])
    assert result.exit_code == 0, result.output
    text = result.output
    for title in (
        "listing",
        "parameters",
        "footprint",
        "reported emissions",
        "estimated emissions",
        "lineage",
    ):
        assert title in text
    # Values in the unit declared with each column: parameters, bytes, grams CO2eq.
    assert "8.0B" in text and "16.0 GB" in text and "1 t" in text and "consistent" in text
    result = runner.invoke(cli, ["show", "meta/llama-8b", "--db", str(catalog), "--json"])
    data = json.loads(result.output)
    assert data["model_id"] == "meta/llama-8b"
    assert data["parameters"]["params_total"] == 8_000_000_000
    assert data["reported_emissions"]["emissions_g"] == 1_000_000.0
    assert data["lineage"]["descendants"] == 5


def test_unknown_model_is_a_clear_error(catalog):
    result = CliRunner().invoke(cli, ["show", "nobody/nothing", "--db", str(catalog)])
    assert result.exit_code == 1
    assert "nobody/nothing is not in the catalog" in result.output
    assert "Traceback" not in result.output


def test_a_model_without_derived_data(catalog):
    result = CliRunner().invoke(cli, ["show", "nobody/no-config", "--db", str(catalog)])
    assert result.exit_code == 0
    assert "no data in the catalog" in result.output
