"""`hubscan adoption`: the Wang–Song–Barabási fit as Bhandari et al. used it, checked on synthetic curves, on the
catalog's lineage (cumulative counts against an independent count) and on their published curves (`--curves`):
R² at least theirs on the curves they label "Fit the model", parameters within 5% where their fit is not
degenerate, and their label reproduced by our `fits` criterion."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hubscan.cli import cli
from hubscan.derive import resolve_families
from hubscan.report.adoption import START, fit_curve, fits, read_curves, their_r2, wsb
from hubscan.store import open_db
from research_fixtures import adoption_dir

KEYS = ["base_model", "created_at", "months", "cumulative", "fit"]
FIT_KEYS = ["lambda", "mu", "sigma", "r2", "fits"]
BASE_CREATED = "2023-01-15T12:00:00Z"
# id, created, parent, declared relation (None: inferred)
DERIVATIVES = [
    ("u/ft-a", "2023-01-20T00:00:00Z", "org/base", "finetune"),
    ("u/ft-b", "2023-02-10T00:00:00Z", "org/base", "finetune"),
    ("u/ft-c", "2023-02-20T00:00:00Z", "org/base", "finetune"),
    ("u/adapter", "2023-03-16T00:00:00Z", "org/base", "adapter"),
    ("u/ft-d", "2023-05-01T00:00:00Z", "org/base", "finetune"),
    ("u/grandchild", "2023-06-20T00:00:00Z", "u/ft-a", "finetune"),
    ("v/other-root", "2023-03-01T00:00:00Z", None, None),
]


def test_model_starts_at_zero_and_recovers_known_parameters():
    assert wsb(np.array([0.0]), 3.0, 0.5, 1.0)[0] == 0.0
    months = np.arange(31)
    y = wsb(months / 12.0, 3.0, 0.4, 0.9)
    fit = fit_curve(list(y))
    assert fit["lambda"] == pytest.approx(3.0, rel=1e-3)
    assert fit["mu"] == pytest.approx(0.4, rel=1e-3)
    assert fit["sigma"] == pytest.approx(0.9, rel=1e-3)
    assert fit["r2"] == pytest.approx(1.0) and fit["fits"] is True


def test_fits_criterion():
    assert fits(16.7, 0.0) and fits(119.7, 0.0) and fits(40.0, 8.7)
    assert not fits(16455.0, 68.7) and not fits(33.0, 29.3) and not fits(2.0e6, 0.0) and not fits(None, None)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    path = tmp_path_factory.mktemp("adoption") / "cat.db"
    db = open_db(path)
    db["models"].insert({"id": "org/base", "created_at": BASE_CREATED})
    for mid, created, parent, relation in DERIVATIVES:
        base = json.dumps({"relation": relation, "models": [parent]}) if parent else None
        db["models"].insert({"id": mid, "created_at": created, "base_models": base})
    resolve_families(db)
    db.close()
    return path


def months_after(start: str, end: str) -> int:
    a, b = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    return (b.year - a.year) * 12 + b.month - a.month - (b.day < a.day)


def independent_curve(relation: str) -> list[int]:
    below = {"org/base"}
    first_hop = {}
    for mid, _, parent, rel in DERIVATIVES:  # parents come first in the list
        if parent in below:
            below.add(mid)
            first_hop[mid] = rel if parent == "org/base" else first_hop[parent]
    dates = [c for mid, c, _, _ in DERIVATIVES if mid in first_hop and relation in ("any", first_hop[mid])]
    span = months_after(BASE_CREATED, max(c for _, c, _, _ in DERIVATIVES)) + 1  # to the newest model
    return [sum(1 for d in dates if months_after(BASE_CREATED, d) < k) for k in range(span + 1)]


@pytest.mark.parametrize("relation", ["any", "finetune", "adapter"])
def test_catalog_curve_counts_equal_an_independent_count(catalog, relation):
    result = CliRunner().invoke(
        cli, ["adoption", "org/base", "--relation", relation, "--db", str(catalog), "--json"]
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert list(row) == KEYS and list(row["fit"]) == FIT_KEYS
    assert row["created_at"] == BASE_CREATED
    expected = independent_curve(relation)
    assert row["cumulative"] == expected
    assert row["months"] == list(range(len(expected)))
    if relation == "any":
        assert expected == [0, 2, 3, 4, 5, 5, 6]


@pytest.mark.parametrize("fmt", ["--table", "--csv", "--nl"])
def test_top_bases_in_every_format(catalog, fmt):
    result = CliRunner().invoke(cli, ["adoption", "--top", "2", "--db", str(catalog), fmt])
    assert result.exit_code == 0, result.output
    if fmt == "--csv":
        rows = list(csv.DictReader(io.StringIO(result.output)))
        assert [r["base_model"] for r in rows] == ["org/base", "u/ft-a"]
        assert rows[0]["cumulative"] == "0 2 3 4 5 5 6" and rows[0]["final_count"] == "6"
    elif fmt == "--nl":
        rows = [json.loads(line) for line in result.output.splitlines()]
        assert rows[0]["cumulative"][-1] == 6 and rows[1]["base_model"] == "u/ft-a"
    else:
        assert result.output.splitlines()[0].split()[:4] == [
            "base_model",
            "created_at",
            "months",
            "final_count",
        ]
        assert "org/base" in result.output


def test_unknown_base_is_a_clean_error(catalog):
    result = CliRunner().invoke(cli, ["adoption", "nobody/nothing", "--db", str(catalog)])
    assert result.exit_code == 1 and "not in the catalog" in result.output


def test_curves_csv_in_every_format(tmp_path):
    path = tmp_path / "curves.csv"
    header = [
        "model",
        *[f"{k}-month" for k in range(6)],
        "lambda_i",
        "mu_i",
        "sigma_i",
        "approx_cond_label",
        "created_at",
    ]
    y = wsb(np.arange(6) / 12.0, 2.5, 0.2, 0.7)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerow(["o/a", *[f"{v:.6f}" for v in y], 2.5, 0.2, 0.7, "Fit the model", "2024-01-01"])
        writer.writerow(["o/b", 0, 1, 3, "", "", "", "", "", "", "Does not fit", "2024-06-01"])
    data = json.loads(CliRunner().invoke(cli, ["adoption", "--curves", str(path), "--json"]).output)
    assert [d["base_model"] for d in data] == ["o/a", "o/b"]
    assert data[0]["fit"]["lambda"] == pytest.approx(2.5, rel=1e-3) and data[0]["theirs"][
        "r2"
    ] == pytest.approx(1.0)
    assert data[1]["cumulative"] == [0.0, 1.0, 3.0] and data[1]["theirs"]["lambda"] is None
    table = CliRunner().invoke(cli, ["adoption", "--curves", str(path)]).output
    assert "their_lambda" in table.splitlines()[0]
    rows = list(
        csv.DictReader(
            io.StringIO(CliRunner().invoke(cli, ["adoption", "--curves", str(path), "--csv"]).output)
        )
    )
    assert rows[1]["cumulative"] == "0 1 3"
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", "utf-8")
    result = CliRunner().invoke(cli, ["adoption", "--curves", str(bad)])
    assert result.exit_code == 1 and "not an adoption CSV" in result.output


# --- their curves --------------------------------------------------------------------------------------------


def degenerate(theirs: dict, curve: list[float]) -> str | None:
    """Why their parameters are not a fit to compare with (None: a regular fit)."""
    if (theirs["lambda"], theirs["mu"], theirs["sigma"]) == START:
        return "their optimiser never left the start point"
    if len(set(curve)) == 1:
        return "constant curve (no derivative yet)"
    if theirs["sigma"] > 10 or theirs["lambda"] > 100:
        return "sigma >> 1 or lambda >> 1: not identified (e.g. mu ~ 0 with sigma >> 1)"
    return None


def within(mine: float, theirs: float) -> bool:
    return abs(mine - theirs) <= 0.05 * abs(theirs) + 1e-6


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(
    adoption_dir() is None, reason="the shared Bhandari et al. curves are not beside the repository"
)
def test_their_curves_fit_at_least_as_well_as_their_parameters():
    files = sorted(Path(adoption_dir()).glob("*.csv"))
    assert len(files) == 17
    curves = [c for f in files for c in read_curves(f)]
    assert len(curves) == 3903
    labelled = [c for c in curves if c["their_label"] == "Fit the model"]
    # Every STRIDE-th labelled curve (deterministic); HUBSCAN_ADOPTION_STRIDE=1 fits all 3,682 (~11 min here).
    stride = int(os.environ.get("HUBSCAN_ADOPTION_STRIDE", "5"))
    labelled = labelled[::stride]
    assert len(labelled) >= 3682 // stride
    at_least, close, regular, why = 0, 0, 0, Counter()
    for curve in labelled:
        mine = fit_curve(curve["cumulative"])
        theirs, y = curve["theirs"], np.asarray(curve["cumulative"])
        theirs_sse = float(((y - wsb(np.arange(len(y)) / 12.0, *theirs.values())) ** 2).sum())
        if mine["sse"] is not None and mine["sse"] <= theirs_sse * (1 + 1e-6) + 1e-9:
            at_least += 1
        reason = degenerate(theirs, curve["cumulative"])
        why[reason or "regular"] += 1
        if reason is None:
            regular += 1
            close += all(within(mine[k], theirs[k]) for k in ("lambda", "mu", "sigma"))
    share, close_share = at_least / len(labelled), close / regular
    print(f"\n{len(labelled)} curves labelled 'Fit the model': error <= theirs on {at_least} ({share:.1%}); "
          f"{regular} regular fits, parameters within 5% on {close} ({close_share:.1%}); {dict(why)}")  # fmt: skip
    assert share >= 0.90
    assert close_share >= 0.90
    # R² (on curves that vary) is the same comparison: 1 - SSE/SST with the same SST.
    varying = [c for c in labelled if len(set(c["cumulative"])) > 1][:50]
    for curve in varying:
        assert fit_curve(curve["cumulative"])["r2"] >= their_r2(curve) - 1e-6


@pytest.mark.skipif(
    adoption_dir() is None, reason="the shared Bhandari et al. curves are not beside the repository"
)
def test_fits_reproduces_their_label_from_their_parameters():
    curves = [c for f in sorted(Path(adoption_dir()).glob("*.csv")) for c in read_curves(f)]
    agree = sum(
        fits(c["theirs"]["lambda"], c["theirs"]["mu"]) == (c["their_label"] == "Fit the model")
        for c in curves
    )
    assert (
        agree >= 3896
    )  # of 3,903: their two all-zero-then-one curves are the exceptions besides no-fit rows
    assert agree / len(curves) > 0.998


@pytest.mark.skipif(
    adoption_dir() is None, reason="the shared Bhandari et al. curves are not beside the repository"
)
def test_cli_on_one_of_their_files():
    result = CliRunner().invoke(
        cli, ["adoption", "--curves", str(Path(adoption_dir()) / "CohereAI.csv"), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 12
    for row in rows:
        if row["theirs"]["label"] == "Fit the model" and row["theirs"]["r2"] is not None:
            assert row["fit"]["r2"] >= row["theirs"]["r2"] - 1e-6
