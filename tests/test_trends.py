"""`hubscan trends`: periods (placeholder date in its own bucket), groups, every output format, numbers checked
against independent SQL; and the sample Hub after the crawl has dated, domain-grouped models."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import statistics

import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from hubscan.cli import cli
from hubscan.report import query
from hubscan.report.trends import PLACEHOLDER_PERIOD, period_of, trend_tests, trends
from research_fixtures import build_research_catalog

KEYS = ["period", "group", "models", "reporting", "share", "reported_g_median", "reported_g_mean", "reported_g_total"]  # fmt: skip


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return build_research_catalog(tmp_path_factory.mktemp("trends") / "cat.db")


def run(*args):
    result = CliRunner().invoke(cli, ["trends", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_periods_keep_the_placeholder_apart():
    created = pd.Series(["2022-03-02T23:29:04.000Z", "2022-03-02T10:00:00Z", "2022-03-31T00:00:00Z", None,
                         "2023-11-05T00:00:00Z"])  # fmt: skip
    assert list(period_of(created, "month")) == [
        PLACEHOLDER_PERIOD,
        "2022-03",
        "2022-03",
        "unknown",
        "2023-11",
    ]
    assert list(period_of(created, "quarter")) == [
        PLACEHOLDER_PERIOD,
        "2022-Q1",
        "2022-Q1",
        "unknown",
        "2023-Q4",
    ]
    assert list(period_of(created, "year")) == [PLACEHOLDER_PERIOD, "2022", "2022", "unknown", "2023"]


def independent_year_counts(path):
    """Per year (placeholder apart): models and reporting models, in plain SQL."""
    con = sqlite3.connect(path)
    sql = """
        SELECT CASE WHEN m.created_at LIKE '2022-03-02T23:29:0%' THEN 'placeholder'
                    WHEN m.created_at IS NULL THEN 'unknown' ELSE substr(m.created_at, 1, 4) END AS period,
               COUNT(*),
               SUM(r.emissions_g IS NOT NULL OR (r.model_id IS NULL AND m.tags LIKE '%"co2_eq_emissions"%')),
               SUM(r.emissions_g)
        FROM models m LEFT JOIN reported_emissions r ON r.model_id = m.id GROUP BY 1"""
    out = {row[0]: row[1:] for row in con.execute(sql)}
    con.close()
    out[PLACEHOLDER_PERIOD] = out.pop("placeholder")
    return out


@pytest.mark.parametrize("fmt", ["--json", "--nl", "--csv", "--table"])
def test_every_format_matches_independent_sql(catalog, fmt):
    output = run("--period", "year", "--db", str(catalog), fmt)
    expected = independent_year_counts(catalog)
    if fmt == "--json":
        data = json.loads(output)
        rows = data["periods"]
        assert list(rows[0]) == KEYS
        assert {"slope", "p_value"} <= set(data["trend"][0])
    elif fmt == "--nl":
        rows = [json.loads(line) for line in output.splitlines() if json.loads(line)["section"] == "periods"]
    elif fmt == "--csv":
        rows = [r for r in csv.DictReader(io.StringIO(output)) if r["section"] == "periods"]
        for r in rows:
            r["models"], r["reporting"] = int(r["models"]), int(r["reporting"])
            r["reported_g_total"] = float(r["reported_g_total"]) if r["reported_g_total"] else None
    else:
        lines = output.splitlines()
        assert lines[0] == "periods" and "trend" in lines
        got = {
            line.split()[0]: line.split()[2:4] for line in lines[3:] if line and line.split()[0][0] in "<2u"
        }
        assert got == {p: [str(v[0]), str(v[1])] for p, v in expected.items()}
        return
    assert {r["period"]: (r["models"], r["reporting"], r["reported_g_total"]) for r in rows} == expected
    assert [r["period"] for r in rows] == [PLACEHOLDER_PERIOD, "2022", "2023", "2024", "unknown"]


def test_month_march_2022_excludes_the_placeholder(catalog):
    rows = json.loads(run("--period", "month", "--db", str(catalog), "--json"))["periods"]
    march = [r for r in rows if r["period"] == "2022-03"]
    assert [(r["models"], r["reporting"]) for r in march] == [(1, 1)]
    assert [r["models"] for r in rows if r["period"] == PLACEHOLDER_PERIOD] == [2]


def test_by_domain_and_medians(catalog):
    rows = json.loads(run("--by", "domain", "--db", str(catalog), "--json"))["periods"]
    by = {(r["period"], r["group"]): r for r in rows}
    assert by[("2023", "NLP")]["models"] == 2 and by[("2023", "NLP")]["reporting"] == 2
    assert by[("2023", "NLP")]["reported_g_median"] == 5000.0  # the tagged model has no figure
    assert by[("2023", "multimodal")]["reported_g_total"] == 2500.0
    assert by[("2024", "tabular")]["share"] == 0
    assert by[("2024", "unknown")]["models"] == 1


def test_by_source_and_training_type_cover_reporting_models(catalog):
    rows = json.loads(run("--by", "source", "--db", str(catalog), "--json"))["periods"]
    groups = {(r["period"], r["group"]): r["models"] for r in rows}
    assert groups == {(PLACEHOLDER_PERIOD, "AutoTrain"): 1, ("2022", "Code Carbon"): 1, ("2022", "MLCO2"): 1,
                      ("2023", "article"): 1, ("2023", "not specified"): 2, ("2024", "Code Carbon"): 1,
                      ("unknown", "not specified"): 1}  # fmt: skip
    rows = json.loads(run("--by", "training_type", "--db", str(catalog), "--json"))["periods"]
    kinds = {}
    for r in rows:
        kinds[r["group"]] = kinds.get(r["group"], 0) + r["models"]
    assert kinds == {"pretraining": 2, "fine-tuning": 2, "not specified": 4}


def test_since_until_window(catalog):
    rows = json.loads(run("--since", "2022-04-01", "--until", "2023-12-31", "--db", str(catalog), "--json"))
    assert {r["period"]: r["models"] for r in rows["periods"]} == {"2022": 2, "2023": 3}
    rows = json.loads(run("--until", "2022-03-31", "--period", "month", "--db", str(catalog), "--json"))
    assert {r["period"]: r["models"] for r in rows["periods"]} == {PLACEHOLDER_PERIOD: 2, "2022-03": 1}


def test_trend_test_is_scipy_linregress_and_kendall(catalog):
    db = query.open_catalog(catalog)
    result = trends(db, "year")
    db.close()
    dated = [r for r in result["periods"] if r["period"][:1] == "2"]
    x = [int(r["period"]) for r in dated]
    y = [r["share"] for r in dated]
    share = next(t for t in result["trend"] if t["metric"] == "share")
    fit = stats.linregress(x, y)
    assert share["slope"] == pytest.approx(fit.slope) and share["p_value"] == pytest.approx(fit.pvalue)
    assert share["kendall_tau"] == pytest.approx(stats.kendalltau(x, y).statistic)
    assert share["periods"] == 3
    medians = [statistics.median(v) for v in ([100.0, 40.0], [5000.0, 2500.0], [8000.0])]
    assert [r["reported_g_median"] for r in dated] == medians
    assert (
        trend_tests([{"period": "2020", "group": "g", "share": 0.1, "reported_g_median": None}])[0]["slope"]
        is None
    )


def test_unknown_grouping_is_a_clean_error(catalog):
    result = CliRunner().invoke(cli, ["trends", "--by", "nope", "--db", str(catalog)])
    assert result.exit_code == 2 and "nope" in result.output


def test_sample_hub_trends_are_dated_and_by_domain(sample_catalog):
    years = json.loads(run("--db", str(sample_catalog), "--json"))["periods"]
    periods = {r["period"] for r in years}
    assert {"2022", "2023", "2024", PLACEHOLDER_PERIOD} <= periods
    assert sum(r["models"] for r in years if r["period"] != "unknown") > 150
    assert sum(r["reporting"] for r in years if r["period"] != "unknown") >= 30
    domains = json.loads(run("--by", "domain", "--db", str(sample_catalog), "--json"))["periods"]
    groups = {r["group"] for r in domains}
    assert {"NLP", "computer vision"} <= groups and groups != {"unknown"}
    reporting_groups = {r["group"] for r in domains if r["reporting"]}
    assert "NLP" in reporting_groups
