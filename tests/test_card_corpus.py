"""Score analyze_card against the shared corpus of real cards with human-checked labels.

The corpus lives outside the repository (third-party texts): ``../shared/corpus`` relative to the
checkout, or ``$HUBSCAN_SHARED/corpus``.  Skipped with a message when absent.
"""

import csv
import os
from pathlib import Path

import pytest

from hubscan.parse.card import analyze_card

SHARED = Path(os.environ.get("HUBSCAN_SHARED") or Path(__file__).resolve().parents[2] / "shared")
CORPUS = SHARED / "corpus" / "cards"
REL_TOL = 0.005

pytestmark = pytest.mark.skipif(
    not (CORPUS / "labels.csv").is_file(),
    reason=f"shared card corpus not found at {CORPUS} (set HUBSCAN_SHARED to the directory holding corpus/)",
)


def _rows() -> list[dict]:
    with open(CORPUS / "labels.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _matches(expected: str, got: float | None) -> bool:
    if not expected.strip():
        return got is None
    exp = float(expected)
    return got is not None and abs(got - exp) <= REL_TOL * abs(exp)


def _results():
    for row in _rows():
        rec = analyze_card((CORPUS / "files" / row["file"]).read_bytes())
        yield row, rec


def test_agreement_at_least_97_percent():
    results = list(_results())
    assert results, "labels.csv has no rows"
    misses = [
        (row["file"], row["expected_emissions_g"], rec["emissions_g"])
        for row, rec in results
        if not _matches(row["expected_emissions_g"], rec["emissions_g"])
    ]
    agreement = 1 - len(misses) / len(results)
    assert agreement >= 0.97, f"agreement {agreement:.1%}; mismatches: {misses}"


def test_nothing_invented_for_unfilled_or_absent():
    invented = [
        (row["file"], rec["emissions_g"])
        for row, rec in _results()
        if row["category"] in ("template_unfilled", "no_emissions") and rec["emissions_g"] is not None
    ]
    assert invented == []


def test_no_errors_and_template_flag():
    for row, rec in _results():
        assert rec["error"] is None, (row["file"], rec["error"])
        if row["category"] == "template_unfilled":
            assert "template_unfilled" in rec["flags"], row["file"]
