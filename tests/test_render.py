"""Output formats: table with units, JSON, newline-delimited JSON, CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

from hubscan.report.render import format_cell, human_grams, render, render_sections, table

ROWS = [
    {"family": "llama", "models": 1234, "params_median": 8_030_261_248, "weights_bytes_total": 16_060_522_496,
     "reported_g": 1500.0, "reporting_share": 0.25, "ratio": 0.0012345},
    {"family": "bert", "models": 2, "params_median": None, "weights_bytes_total": 440_000_000,
     "reported_g": 0.5, "reporting_share": 0.0, "ratio": None},
]  # fmt: skip


def test_table_uses_units_and_aligns_numbers():
    text = table(ROWS)
    lines = text.splitlines()
    assert lines[0].split() == list(ROWS[0])
    assert "8.03B" in lines[2] and "16.1 GB" in lines[2] and "1.5 kg" in lines[2] and "25.0%" in lines[2]
    assert "1,234" in lines[2] and "0.00123" in lines[2]
    assert "440.0 MB" in lines[3] and "0.5 g" in lines[3] and " - " in lines[3] + " "
    # numbers right-aligned: the models column ends at the same offset on every row
    end = lines[0].index("models") + len("models")
    assert lines[2][:end].endswith("1,234") and lines[3][:end].endswith("2")


def test_table_columns_subset_and_empty():
    assert table(ROWS, ["family"]).splitlines()[2] == "llama"
    assert "(no rows)" in table([], ["family", "models"])


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("kv_cache_bytes_median", 2_147_483_648, "2.1 GB"),
        ("params_total", 1.5e12, "1.5T"),
        ("emissions_g_central", 2.5e6, "2.5 t"),
        ("downloads_total", 1234567, "1,234,567"),
        ("verdict_reason", "x" * 200, "x" * 69 + "…"),
        ("anything", None, "-"),
    ],
)
def test_format_cell(column, value, text):
    assert format_cell(column, value) == text


def test_human_grams():
    assert human_grams(0) == "0 g"
    assert human_grams(12.3) == "12.3 g"
    assert human_grams(float("nan")) == "-"


def test_json_nl_csv_carry_raw_numbers():
    out = io.StringIO()
    render(ROWS, "json", stream=out)
    assert json.loads(out.getvalue()) == ROWS
    out = io.StringIO()
    render(ROWS, "nl", stream=out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == ROWS
    out = io.StringIO()
    render(ROWS, "csv", stream=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["params_median"] == "8030261248" and rows[1]["params_median"] == ""
    assert list(rows[0]) == list(ROWS[0])


def test_render_unknown_format():
    with pytest.raises(ValueError, match="Unknown output format"):
        render(ROWS, "xml", stream=io.StringIO())


def test_sections():
    sections = {
        "overview": [{"measure": "a", "value": 1}],
        "by_year": [{"year": "2024", "reported_g_total": 5.0}],
    }
    out = io.StringIO()
    render_sections(sections, "table", stream=out)
    assert "overview\n========" in out.getvalue() and "by year\n=======" in out.getvalue()
    out = io.StringIO()
    render_sections(sections, "json", stream=out)
    assert json.loads(out.getvalue()) == sections
    out = io.StringIO()
    render_sections(sections, "csv", stream=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["section"] for r in rows] == ["overview", "by_year"]


def test_units_come_from_the_column_declarations():
    from hubscan.store.columns import unit_of

    # Declared with the column in hubscan.store.columns, whatever the name says.
    assert unit_of("used_storage") == "bytes" and format_cell("used_storage", 2_000_000_000) == "2.0 GB"
    assert unit_of("footprints.flops_per_token") == "FLOP"
    assert unit_of("reporting_share") == "fraction 0-1" and format_cell("reporting_share", 0.1715) == "17.2%"
    assert format_cell("emissions_g", 0.21) == "0.21 g"  # grams stay grams
    assert format_cell("kv_bytes_per_token", 131_072) == "131.1 kB/token"
    # A name that merely looks like a unit is not guessed: undeclared columns print as plain numbers.
    assert (
        unit_of("my_bytes_guess") is None and format_cell("my_bytes_guess", 2_000_000_000) == "2,000,000,000"
    )


def test_a_row_can_carry_the_unit_of_its_value():
    rows = [{"measure": "share", "value": 0.5, "unit": "fraction 0-1"},
            {"measure": "total", "value": 1.5, "unit": "kg CO2eq"}]  # fmt: skip
    text = table(rows)
    assert "50.0%" in text and "1.5 kg" in text and "unit" not in text.splitlines()[0]
