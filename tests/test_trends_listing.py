"""`hubscan trends` on the real 2024-07-11 listing (760,000 models) stored as a listing-only crawl stores it:
models per creation month and the co2_eq_emissions-tagged models per year equal counts taken independently
from the shared file, with the Hub's placeholder date in its own bucket."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from hubscan.cli import cli
from hubscan.report import query
from hubscan.report.trends import PLACEHOLDER_PERIOD, trends
from research_fixtures import build_listing_catalog, listing_file, read_listing

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),  # 760,000 models: minutes on a shared machine
    pytest.mark.skipif(listing_file() is None, reason="the shared 2024 listing is not beside the repository"),
]


@pytest.fixture(scope="module")
def counted():
    """Independent counts straight from the file: per month and per year, models and tagged models."""
    months, years, tagged = Counter(), Counter(), Counter()
    for item in read_listing(listing_file()):
        created = item.get("createdAt") or ""
        placeholder = created.startswith("2022-03-02T23:29:0")
        month = PLACEHOLDER_PERIOD if placeholder else created[:7]
        year = PLACEHOLDER_PERIOD if placeholder else created[:4]
        months[month] += 1
        years[year] += 1
        if "co2_eq_emissions" in (item.get("tags") or []):
            tagged[year] += 1
    return months, years, tagged


@pytest.fixture(scope="module")
def listing_catalog(tmp_path_factory):
    return build_listing_catalog(tmp_path_factory.mktemp("listing") / "listing.db", listing_file())


def test_the_file_holds_what_its_readme_says(counted):
    months, years, tagged = counted
    assert sum(years.values()) == 760_000
    assert years[PLACEHOLDER_PERIOD] == 29_990
    assert dict(tagged) == {PLACEHOLDER_PERIOD: 150, "2022": 736, "2023": 1_117, "2024": 107}


def test_models_per_month_equal_independent_counts(listing_catalog, counted):
    months, _, _ = counted
    db = query.open_catalog(listing_catalog)
    try:
        rows = trends(db, "month")["periods"]
    finally:
        db.close()
    assert {r["period"]: r["models"] for r in rows} == dict(months)
    assert "2022-03" in months and months["2022-03"] == next(
        r["models"] for r in rows if r["period"] == "2022-03"
    )
    assert rows[0]["period"] == PLACEHOLDER_PERIOD


def test_tagged_models_per_year_through_the_cli(listing_catalog, counted):
    _, years, tagged = counted
    result = CliRunner().invoke(cli, ["trends", "--period", "year", "--db", str(listing_catalog), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["periods"]
    assert {r["period"]: r["reporting"] for r in rows} == {
        PLACEHOLDER_PERIOD: 150,
        "2022": 736,
        "2023": 1_117,
        "2024": 107,
    }
    assert {r["period"]: r["reporting"] for r in rows} == dict(tagged)
    assert {r["period"]: r["models"] for r in rows} == dict(years)
    assert sum(r["reporting"] for r in rows) == 2_110
