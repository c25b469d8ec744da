"""analyze_card on self-written cards (tests/cards/*.md), the contract, and hostile inputs."""

import json
import os
from pathlib import Path

import pytest

from hubscan.parse.card import ANALYZER_VERSION, COMPLETENESS_CLASSES, analyze_card, split_front_matter

CARDS = Path(__file__).resolve().parent / "cards"
KEYS = {
    "emissions_g",
    "raw",
    "unit_raw",
    "found_in",
    "confidence",
    "source",
    "training_type",
    "location",
    "hardware",
    "hours",
    "cloud_provider",
    "compute_region",
    "provenance",
    "hardware_parsed",
    "location_parsed",
    "market_based_g",
    "flags",
    "completeness",
    "yaml_error",
    "error",
    "card_data",
    "analyzer_version",
}


def card(name: str) -> dict:
    rec = analyze_card((CARDS / name).read_bytes())
    check_contract(rec)
    return rec


def check_contract(rec: dict) -> None:
    assert set(rec) == KEYS
    json.dumps(rec, allow_nan=False)
    assert rec["analyzer_version"] == ANALYZER_VERSION
    assert rec["completeness"] in COMPLETENESS_CLASSES
    assert rec["flags"] == sorted(set(rec["flags"]))
    for name in (
        "source",
        "training_type",
        "location",
        "hardware",
        "hours",
        "cloud_provider",
        "compute_region",
    ):
        assert (rec[name] is not None) == (name in rec["provenance"])
    if rec["emissions_g"] is not None:
        assert rec["found_in"] == "yaml" or rec["found_in"].startswith("prose:")
        assert rec["confidence"] in ("high", "medium", "low")


# (file, emissions_g, found_in, required flags, completeness)
CASES = [
    ("autotrain_rounded.md", 7.123456789012345, "yaml", set(), "emissions_only"),
    ("yaml_bare_number.md", 42.5, "yaml", set(), "emissions_only"),
    ("yaml_full_dict.md", 2500.0, "yaml", set(), "complete"),
    ("yaml_string_unit.md", 500.0, "yaml", set(), "emissions_context"),
    ("yaml_in_grams_words.md", 0.21, "yaml", set(), "emissions_context"),
    ("yaml_underscores.md", 24_700_000.0, "yaml", set(), "emissions_context"),
    ("yaml_kg_in_grams_slot.md", 1.7, "yaml", {"unit_suspect", "yaml_prose_conflict"}, "emissions_context"),
    ("double_delimiter.md", 12.75, "yaml", set(), "emissions_only"),
    ("implausible.md", 9_000_000.0, "yaml", {"unit_suspect"}, "emissions_context"),
    ("template_filled.md", 1250.0, "prose:environmental-impact", set(), "emissions_context"),
    ("family_table.md", 12e6, "prose:hardware-and-software", set(), "emissions_only"),
    (
        "market_location.md",
        1234e6,
        "prose:training-greenhouse-gas-emissions",
        {"market_based"},
        "emissions_only",
    ),
    ("prose_approx.md", 900.0, "prose:environmental-impact", {"approximate"}, "emissions_context"),
    ("prose_tonnes_glued.md", 7e6, "prose:environmental-impact", set(), "emissions_context"),
    ("prose_sentence_only.md", 350.0, "prose:sustainability", set(), "emissions_only"),
    ("broken_yaml.md", 2500.0, "prose:environmental-impact", {"yaml_error"}, "emissions_context"),
    ("unclosed_fence.md", 800.0, "prose:environmental-impact", set(), "emissions_context"),
    # no usable figure
    ("template_unfilled.md", None, None, {"template_unfilled"}, "template_only"),
    ("commented_template.md", None, None, {"template_unfilled", "commented_out"}, "template_only"),
    ("prose_range.md", None, "prose:environmental-impact", {"range"}, "template_only"),
    ("prose_range_dash.md", None, "prose:environmental-impact", {"range"}, "template_only"),
    ("prose_unitless.md", None, "prose:environmental-impact", {"unitless"}, "template_only"),
    ("inherited_base.md", None, "prose:environmental-impact", {"inherited"}, "template_only"),
    ("inherited_sentence.md", None, "prose:environmental-impact", {"inherited"}, "template_only"),
    ("family_table_no_total.md", None, None, {"multiple_values"}, "template_only"),
    ("no_emissions.md", None, None, set(), "none"),
]


@pytest.mark.parametrize(
    ("name", "grams", "found_in", "flags", "completeness"), CASES, ids=[c[0] for c in CASES]
)
def test_self_written_cards(name, grams, found_in, flags, completeness):
    rec = card(name)
    if grams is None:
        assert rec["emissions_g"] is None
    else:
        assert rec["emissions_g"] == pytest.approx(grams, rel=1e-9)
    assert rec["found_in"] == found_in
    assert flags <= set(rec["flags"]), rec["flags"]
    assert rec["completeness"] == completeness


def test_every_test_card_is_covered():
    assert {p.name for p in CARDS.glob("*.md")} == {c[0] for c in CASES}


def test_full_dict_fields_and_extra_keys():
    rec = card("yaml_full_dict.md")
    assert rec["source"] == "CodeCarbon"
    assert rec["training_type"] == "fine-tuning"
    assert rec["location"] == "Quebec, Canada"
    assert rec["hardware"] == "8 v100 GPUs"
    assert rec["hours"] == 3.0
    assert rec["cloud_provider"] == "OVH"
    assert rec["provenance"] == {
        k: "yaml" for k in ("source", "training_type", "location", "hardware", "hours", "cloud_provider")
    }
    assert rec["confidence"] == "high"


def test_autotrain_yaml_precision_wins_over_rounded_body():
    rec = card("autotrain_rounded.md")
    assert rec["raw"] == "7.123456789012345"
    assert "yaml_prose_conflict" not in rec["flags"]


def test_template_fields_from_prose_with_provenance():
    rec = card("template_filled.md")
    assert rec["hardware"] == "8 v100 GPUs"
    assert rec["hours"] == pytest.approx(2.5)
    assert rec["cloud_provider"] == "AWS"
    assert rec["compute_region"] == "us-east-1"
    assert rec["provenance"]["hours"] == "prose:environmental-impact"
    assert rec["unit_raw"] == "kg CO2 eq."


def test_market_based_kept_apart():
    rec = card("market_location.md")
    assert rec["market_based_g"] == 0.0
    assert rec["emissions_g"] == 1234e6


def test_hours_from_hardware_text_and_placeholder_location():
    rec = card("yaml_in_grams_words.md")
    assert rec["hours"] == 2.0
    assert rec["location"] is None  # "N/A"


def test_resolver_fields():
    rec = card("yaml_full_dict.md")
    assert rec["hardware_parsed"] and rec["hardware_parsed"].get("device") == "V100"
    assert rec["hardware_parsed"].get("count") == 8
    assert rec["location_parsed"] is not None


def test_yaml_only_mode_and_precedence():
    rec = analyze_card(card_data={"co2_eq_emissions": {"emissions": 12, "hardware_used": "A100"}})
    check_contract(rec)
    assert rec["emissions_g"] == 12 and rec["found_in"] == "yaml" and rec["hardware"] == "A100"
    # text's own front matter wins; body still gives prose
    text = (CARDS / "yaml_bare_number.md").read_text()
    rec = analyze_card(text, card_data={"co2_eq_emissions": 999})
    assert rec["emissions_g"] == 42.5
    # text without front matter: card_data supplies YAML
    rec = analyze_card("# Title\n\nNothing here.\n", card_data={"co2_eq_emissions": 5})
    assert rec["emissions_g"] == 5
    rec = analyze_card(None, card_data={"co2_eq_emissions": {"emissions": "[More Information Needed]"}})
    assert rec["emissions_g"] is None and rec["completeness"] == "template_only"


def test_card_data_dates_are_json_safe():
    import datetime

    rec = analyze_card(card_data={"created": datetime.date(2024, 1, 2), 1: float("nan")})
    check_contract(rec)
    assert rec["card_data"]["created"] == "2024-01-02"


def test_empty_inputs():
    for value in (None, "", b""):
        rec = analyze_card(value)
        check_contract(rec)
        assert rec["emissions_g"] is None and rec["completeness"] == "none"


def test_crlf_and_bom():
    text = (CARDS / "template_filled.md").read_text().replace("\n", "\r\n")
    rec = analyze_card(b"\xef\xbb\xbf" + text.encode())
    assert rec["emissions_g"] == 1250.0 and rec["hours"] == pytest.approx(2.5)


def test_split_front_matter():
    meta, body, err = split_front_matter("---\na: 1\n---\nbody\n")
    assert meta == {"a": 1} and body == "body\n" and err is None
    meta, body, err = split_front_matter("no front matter")
    assert meta is None and body == "no front matter" and err is None
    meta, body, err = split_front_matter("---\n{{ card_data }}\n---\nbody")
    assert meta is None and body == "body" and "invalid YAML" in err
    meta, body, err = split_front_matter("---\n- a\n- b\n---\nx")
    assert meta is None and "not a mapping" in err
    meta, body, err = split_front_matter("---\na: 1\nno closing")
    assert meta is None and "never closed" in err


# ---------------------------------------------------------------------------------------------
# hostile inputs: never raise, answer quickly, say what happened


def _bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + "\nco2_eq_emissions: 5\n---\n# Bomb\n"


def _checked(value, **kw):
    rec = analyze_card(value, **kw)
    check_contract(rec)
    return rec


# Hostile inputs must be refused or cut short by a limit, which the assertions check; the timeouts only
# turn a hang (a limit that stopped working) into a failure instead of a stuck run.


@pytest.mark.timeout(30)
def test_alias_bomb_is_rejected_quickly():
    rec = _checked(_bomb())
    assert rec["yaml_error"] and ("alias" in rec["yaml_error"] or "nodes" in rec["yaml_error"])
    assert "yaml_error" in rec["flags"] and rec["emissions_g"] is None


@pytest.mark.timeout(30)
def test_alias_bomb_in_card_data_is_bounded():
    rec = _checked(None, card_data={"x": ["a"] * 10})
    assert rec["card_data"] == {"x": ["a"] * 10} and rec["error"] is None
    # the same list referenced nine times per level, nine levels: 9**9 values once expanded
    level: list = ["lol"] * 9
    for _ in range(9):
        level = [level] * 9
    rec = _checked(None, card_data={"co2_eq_emissions": 5, "x": level})
    assert (
        rec["error"]
        == "card_data unusable: card_data has more than 200000 values once shared references are expanded"
    )
    assert rec["card_data"] is None and rec["emissions_g"] is None


@pytest.mark.timeout(30)
def test_deep_nesting():
    rec = _checked("---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\nbody")
    assert rec["yaml_error"] == "YAML nests deeper than 100 levels"


@pytest.mark.timeout(30)
def test_huge_card_is_truncated_quickly():
    body = ("Lorem ipsum dolor sit amet, emissions unknown. " * 40 + "\n\n") * 11000
    text = "---\nco2_eq_emissions: 3\n---\n" + body
    assert len(text) > 20_000_000
    rec = _checked(text.encode())
    assert rec["emissions_g"] == 3 and "truncated" in rec["flags"]


@pytest.mark.timeout(30)
def test_huge_front_matter_is_refused_quickly():
    text = "---\n" + "k: v\n" * 4_000_000 + "---\n# t\n"
    rec = _checked(text)
    assert rec["yaml_error"] and "not closed within" in rec["yaml_error"] and rec["emissions_g"] is None


@pytest.mark.timeout(30)
def test_binary_garbage():
    garbage = os.urandom(2_000_000)
    rec = _checked(garbage)
    assert rec["error"] and "binary" in rec["flags"]


def test_non_utf8_bytes_are_replaced_and_flagged():
    text = "---\nco2_eq_emissions: 7\n---\n# Caf\xe9\n".encode("latin-1")
    rec = _checked(text)
    assert rec["emissions_g"] == 7 and "non_utf8" in rec["flags"]


@pytest.mark.parametrize(
    "value",
    [
        "---\n",
        "---\n---\n",
        "---\n!!python/object/apply:os.system ['echo hi']\n---\n",
        "---\nco2_eq_emissions: !!binary aGVsbG8=\n---\n",
        "---\nco2_eq_emissions: .inf\n---\n",
        "---\nco2_eq_emissions: {emissions: {a: 1}}\n---\n",
        "---\nco2_eq_emissions: [1, 2]\n---\n",
        "---\n? [a, b]\n: 1\n---\n",
        "|" * 100_000,
        "- **Carbon Emitted:** " + "9" * 5000 + " kg",
        "Carbon emissions " + "1 kg, " * 20000,
        "```\n" * 5000,
        "<!--" * 10000,
        "# " * 50000,
        "- **Carbon Emitted:** 1.5 kg CO2eq\n" * 30000,
        "|a|Carbon (kg)|\n|---|---|\n" + "|x|1|\n" * 100000,
        "## Carbon\n" + "**a** **Emissions**\n- Carbon emitted: 1 kg\n" * 15000,
    ],
)
@pytest.mark.timeout(30)
def test_odd_inputs_never_raise(value):
    rec = _checked(value)
    assert rec["error"] is None
