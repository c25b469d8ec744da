"""Unit grammar: figures, units, ranges, approximations, durations."""

import pytest

from hubscan.parse.emissions import (
    is_placeholder,
    iter_quantities,
    parse_hours,
    parse_quantity,
    unit_from_label,
)


@pytest.mark.parametrize(
    ("text", "grams", "flags"),
    [
        ("0.5 kg", 500.0, set()),
        ("0.21 in grams of CO2", 0.21, set()),
        ("**11,390** tons CO2eq", 11_390e6, set()),
        ("18t CO2eq", 18e6, set()),
        ("0.16253kg of CO2", 162.53, set()),
        ("1.71 KgCO2 (Somewhere)", 1710.0, set()),
        ("0.0025 gCO2eq (0.045 Wh)", 0.0025, set()),
        ("Estimated at ~45 kg CO2eq", 45000.0, {"approximate"}),
        ("≈ 3 t CO₂e", 3e6, {"approximate"}),
        ("12 metric tons of CO2", 12e6, set()),
        ("about 2 kilograms", 2000.0, {"approximate"}),
        ("626,155 lbs CO2", 626155 * 453.59237, set()),
        ("1.2e3 g", 1200.0, set()),
        ("0,5 kg CO2eq", 500.0, set()),
        ("1,234 kg", 1_234_000.0, set()),
        ("less than 1 kg", 1000.0, {"bound"}),
        ("CO<sub>2</sub>: 7 kg CO<sub>2</sub>eq", 7000.0, set()),
        ("0.6 kg (per the [calculator](https://mlco2.github.io/impact#compute))", 600.0, set()),
    ],
)
def test_quantities_with_units(text, grams, flags):
    q = parse_quantity(text)
    assert q is not None
    assert q.grams == pytest.approx(grams)
    assert flags <= q.flags


@pytest.mark.parametrize("text", ["8-12 kg", "2 – 4 kg CO2eq", "between 3 and 5 kg CO2eq", "3 to 5 tonnes"])
def test_ranges_are_not_values(text):
    q = parse_quantity(text)
    assert q is not None and q.grams is None and "range" in q.flags


def test_unitless_figure_is_flagged_not_converted():
    q = parse_quantity("13")
    assert q.grams is None and "unitless" in q.flags
    q = parse_quantity("24_700_000", default_unit="g")
    assert q.grams == 24_700_000


def test_intensities_and_other_units_are_skipped():
    assert parse_quantity("430 gCO2eq/kWh", require_unit=True) is None
    assert parse_quantity("30 g per hour", require_unit=True) is None
    assert parse_quantity("10 GB of data", require_unit=True) is None
    assert parse_quantity("5 tokens", require_unit=True) is None
    q = parse_quantity("~430 gCO2eq/kWh and then 5 kg")
    assert q.grams == 5000


def test_iter_quantities_finds_all():
    found = iter_quantities("location-based 1,234 tons CO2eq; market-based 0 tons CO2eq in 2020")
    assert [q.grams for _, q in found] == [1234e6, 0.0]


def test_unit_from_label():
    assert unit_from_label("CO2 Emissions (in grams)")[0] == "g"
    assert unit_from_label("Carbon Emitted (tCO2eq)")[0] == "t"
    assert unit_from_label("Carbon Emitted (kg)")[0] == "kg"
    assert unit_from_label("Carbon Emitted (Power consumption x Time x Carbon produced)")[0] is None


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("~5 hours", 5.0),
        ("6h 25m 57s", 6 + 25 / 60 + 57 / 3600),
        ("3 hours and 26 minutes", 3 + 26 / 60),
        ("0:31 Hours", 31 / 60),
        ("24", 24.0),
        ("61,440 hours for the big model", 61440.0),
        ("960 = 5 days x 24h x 8 GPUs", 960.0),
        ("2 days", 48.0),
        ("0.0013 h (measured)", 0.0013),
        (7, 7.0),
    ],
)
def test_hours(text, hours):
    assert parse_hours(text)[0] == pytest.approx(hours)


def test_hour_ranges_and_placeholders():
    assert parse_hours("8-12 hours") == (None, {"range"})
    assert parse_hours("[More Information Needed]")[0] is None
    assert parse_hours(None)[0] is None


@pytest.mark.parametrize(
    "value",
    [
        "[More Information Needed]",
        "More information needed",
        "N/A",
        "-",
        "",
        "Not available",
        "{{ co2 | default('x') }}",
        "[More Information Needed--optional]",
        "TBD",
    ],
)
def test_placeholders(value):
    assert is_placeholder(value)


def test_real_values_are_not_placeholders():
    assert not is_placeholder("A100")
    assert not is_placeholder("0.5 kg")
