"""`hubscan correlate`: Spearman and log-log Pearson checked against scipy.stats on a fixture with known answers,
against a hand-computed case, and through the CLI in every format against pairs read with independent SQL."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from hubscan.cli import cli
from hubscan.derive import resolve_families
from hubscan.derive.performance import dataset_ids, performance_rows, performance_score
from hubscan.report import query
from hubscan.report.correlate import correlate, statistics
from hubscan.store import open_db
from research_fixtures import build_research_catalog

KEYS = ["x", "y", "n", "spearman_rho", "spearman_p", "pearson_log_r", "pearson_log_p"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return build_research_catalog(tmp_path_factory.mktemp("correlate") / "cat.db")


def test_hand_computed_case():
    # ranks x 1..5, y 2 1 4 3 5: d = -1 1 -1 1 0, rho = 1 - 6*4/(5*24) = 0.8;
    # log10 values are those ranks: r = 8 / sqrt(10 * 10) = 0.8.
    x = np.array([1.0, 10, 100, 1000, 10000])
    y = np.array([10.0, 1, 1000, 100, 10000])
    out = statistics(x, y)
    assert out["n"] == 5
    assert out["spearman_rho"] == pytest.approx(0.8)
    assert out["pearson_log_r"] == pytest.approx(0.8)


def test_known_answers_against_scipy():
    rng = np.random.default_rng(7)
    x = 10 ** rng.uniform(6, 11, 200)
    y = x**0.7 * 10 ** rng.normal(0, 0.4, 200)
    x[:5] = np.nan
    y[5:8] = 0.0  # kept by Spearman, left out of the log-log Pearson
    out = statistics(x, y)
    keep = ~np.isnan(x)
    rho = stats.spearmanr(x[keep], y[keep])
    pos = keep & (y > 0)
    r = stats.pearsonr(np.log10(x[pos]), np.log10(y[pos]))
    assert out["n"] == 195
    assert out["spearman_rho"] == pytest.approx(rho.statistic) and out["spearman_p"] == pytest.approx(
        rho.pvalue
    )
    assert out["pearson_log_r"] == pytest.approx(r.statistic) and out["pearson_log_p"] == pytest.approx(
        r.pvalue
    )
    assert 0.8 < out["pearson_log_r"] < 0.95  # the planted relation is found
    logged = statistics(x, y, log=True)
    assert logged["n"] == 192
    assert logged["spearman_rho"] == pytest.approx(stats.spearmanr(x[pos], y[pos]).statistic)


def test_too_few_pairs_give_no_statistic():
    out = statistics(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert out == {
        "n": 2,
        "spearman_rho": None,
        "spearman_p": None,
        "pearson_log_r": None,
        "pearson_log_p": None,
    }


def sql_pairs(path, x_sql, y_sql):
    con = sqlite3.connect(path)
    rows = con.execute(
        f"""SELECT {x_sql}, {y_sql} FROM models m LEFT JOIN footprints f ON f.model_id = m.id
            LEFT JOIN reported_emissions r ON r.model_id = m.id LEFT JOIN estimated_emissions e ON e.model_id = m.id
            WHERE {x_sql} IS NOT NULL AND {y_sql} IS NOT NULL"""
    ).fetchall()
    con.close()
    return np.array(rows, dtype=float).T


@pytest.mark.parametrize("fmt", ["--json", "--nl", "--csv", "--table"])
@pytest.mark.parametrize(("x", "y", "x_sql", "y_sql"), [
    ("params", "reported_g", "f.params_total", "r.emissions_g"),
    ("downloads", "estimated_g", "m.downloads", "e.emissions_g_central"),
])  # fmt: skip
def test_cli_formats_match_independent_sql(catalog, fmt, x, y, x_sql, y_sql):
    result = CliRunner().invoke(cli, ["correlate", "--x", x, "--y", y, "--db", str(catalog), fmt])
    assert result.exit_code == 0, result.output
    xs, ys = sql_pairs(catalog, x_sql, y_sql)
    rho = stats.spearmanr(xs, ys).statistic
    r = stats.pearsonr(np.log10(xs), np.log10(ys)).statistic
    if fmt == "--json":
        row = json.loads(result.output)[0]
        assert list(row) == KEYS
    elif fmt == "--nl":
        row = json.loads(result.output.splitlines()[0])
    elif fmt == "--csv":
        row = next(csv.DictReader(io.StringIO(result.output)))
        row = {k: (v if k in ("x", "y") else float(v)) for k, v in row.items()}
    else:
        header, _, line = result.output.splitlines()[:3]
        assert header.split() == KEYS
        cells = line.split()
        assert cells[:3] == [x, y, str(len(xs))]
        assert float(cells[3]) == pytest.approx(rho, abs=1e-4)
        return
    assert (row["x"], row["y"], int(row["n"])) == (x, y, len(xs))
    assert row["spearman_rho"] == pytest.approx(rho) and row["pearson_log_r"] == pytest.approx(r)


def test_params_vs_reported_is_monotone_in_the_fixture(catalog):
    # Seven reporting models with parameters; sizes and grams rise together: rho = 1 by hand.
    result = CliRunner().invoke(cli, ["correlate", "--x", "params", "--log", "--db", str(catalog), "--json"])
    row = json.loads(result.output)[0]
    assert row["n"] == 7 and row["spearman_rho"] == pytest.approx(1.0)


def test_by_domain_rows(catalog):
    result = CliRunner().invoke(
        cli, ["correlate", "--x", "params", "--by", "domain", "--db", str(catalog), "--json"]
    )
    rows = json.loads(result.output)
    assert rows[0]["group"] == "all" and rows[0]["n"] == 7
    by = {r["group"]: r["n"] for r in rows[1:]}
    assert by == {"NLP": 4, "audio": 1, "multimodal": 1, "unknown": 1}
    assert sum(by.values()) == rows[0]["n"]


def test_performance_from_model_index():
    card = {"datasets": ["glue", "imdb"], "model-index": [{"name": "m", "results": [
        {"task": {"type": "text-classification"}, "dataset": {"type": "glue", "name": "GLUE"},
         "metrics": [{"type": "loss", "value": 0.3}, {"type": "accuracy", "value": "91.5", "name": "Accuracy"}]},
        {"task": {"type": "text-classification"}, "dataset": {"type": "imdb"}, "metrics": [{"type": "f1", "value": 0.88}]},
    ]}]}  # fmt: skip
    rows = performance_rows("o/m", card)
    assert rows == [
        ("o/m", "text-classification", "glue", "loss", None, 0.3, "0.3"),
        ("o/m", "text-classification", "glue", "accuracy", "Accuracy", 91.5, "91.5"),
        ("o/m", "text-classification", "imdb", "f1", None, 0.88, "0.88"),
    ]
    assert performance_score([(r[3], r[5]) for r in rows]) == pytest.approx(0.915)
    assert performance_score([("wer", 0.2), ("perplexity", 12.0)]) is None
    assert dataset_ids(card, ["dataset:imdb", "dataset:squad", "license:mit"]) == ["glue", "imdb", "squad"]
    assert performance_rows("o/m", {"model-index": "junk"}) == []


def test_performance_correlation_through_derive(tmp_path):
    db = open_db(tmp_path / "perf.db")
    scores = [0.61, 0.7, 0.72, 0.8, 0.9]
    grams = [10.0, 50.0, 40.0, 300.0, 1000.0]
    for i, (score, g) in enumerate(zip(scores, grams, strict=True)):
        mid = f"o/m{i}"
        db["models"].insert({"id": mid})
        card = {"model-index": [{"results": [{"task": {"type": "t"}, "metrics": [{"type": "accuracy", "value": score * 100}]}]}]}  # fmt: skip
        db["cards"].insert({"model_id": mid, "card_data": json.dumps(card)})
        db["reported_emissions"].insert({"model_id": mid, "emissions_g": g})
    resolve_families(db)
    assert db.execute("SELECT COUNT(*) FROM model_performance").fetchone()[0] == 5
    db.close()
    ro = query.open_catalog(tmp_path / "perf.db")
    row = correlate(ro, "performance", "reported_g")[0]
    ro.close()
    assert row["n"] == 5
    assert row["spearman_rho"] == pytest.approx(stats.spearmanr(scores, grams).statistic)
    assert row["pearson_log_r"] == pytest.approx(stats.pearsonr(np.log10(scores), np.log10(grams)).statistic)
