"""One reading of card front matter: the README itself and the Hub's ``cardData`` of it give the same answer.

The mirror's :func:`parse_card_data` models the Hub's server-side ``cardData``; the analyser reads the README.
Over every card of the shared corpus (``../shared/corpus`` relative to the checkout, or
``$HUBSCAN_SHARED/corpus``) the emissions analysis of the README equals the analysis of its body plus the
mirror's ``cardData``.  The specific disagreements the two used to have are pinned on self-written cards.
"""

import os
from pathlib import Path

import pytest

from hubscan.mirror.frontmatter import parse_card_data
from hubscan.parse.card import analyze_card
from hubscan.parse.frontmatter import card_data_front_matter, read_front_matter, split_front_matter
from hubscan.parse.safe_yaml import MAX_DEPTH, YamlLimitError, check_data, load_limited

SHARED = Path(os.environ.get("HUBSCAN_SHARED") or Path(__file__).resolve().parents[2] / "shared")
CORPUS = SHARED / "corpus" / "cards" / "files"
CORPUS_FILES = sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else []


def _two_ways(readme: bytes) -> tuple[dict, dict]:
    """(analysis of the README, analysis of its body with the Hub's cardData instead of its front matter)."""
    from_readme = analyze_card(readme)
    _, body, _ = split_front_matter(readme)
    from_card_data = analyze_card(body, card_data=parse_card_data(readme))
    return from_readme, from_card_data


def _emissions_view(rec: dict) -> dict:
    """Everything the analysis reports except how the front matter was delivered (text or cardData)."""
    out = {k: v for k, v in rec.items() if k not in ("card_data", "yaml_error")}
    out["flags"] = [f for f in rec["flags"] if f != "yaml_error"]
    return out


@pytest.mark.skipif(not CORPUS_FILES, reason=f"shared card corpus not found at {CORPUS} (set HUBSCAN_SHARED)")
def test_corpus_readme_and_card_data_agree():
    compared, disagree = 0, []
    with_metadata = 0
    for path in CORPUS_FILES:
        readme = path.read_bytes()
        a, b = _two_ways(readme)
        compared += 1
        if _emissions_view(a) != _emissions_view(b):
            disagree.append(path.name)
        if a["card_data"] is not None or b["card_data"] is not None:
            with_metadata += 1
            if a["card_data"] != b["card_data"]:
                disagree.append(f"{path.name} (card_data)")
    assert compared == len(CORPUS_FILES) >= 100
    assert with_metadata >= 50  # the comparison exercises front matter, not just bodies
    assert disagree == []


def _card(front: str, body: str = "# Model\n") -> bytes:
    return f"---\n{front}\n---\n{body}".encode()


@pytest.mark.parametrize(
    ("front", "key", "value"),
    [
        ("co2_eq_emissions: 1e-3", "co2_eq_emissions", 0.001),
        ("co2_eq_emissions: 24_700_000", "co2_eq_emissions", "24_700_000"),
        ("license: no", "license", "no"),
        ("gated: yes", "gated", "yes"),
        ("co2_eq_emissions: 010", "co2_eq_emissions", 10),
        ("co2_eq_emissions: 0x10", "co2_eq_emissions", 16),
        ("co2_eq_emissions: .inf", "co2_eq_emissions", None),
        ("date: 2024-01-01 10:00:00", "date", "2024-01-01 10:00:00"),
        ("hours: 1:30", "hours", "1:30"),
        ("empty:", "empty", None),
        ("flag: true", "flag", True),
    ],
)
def test_same_metadata_from_readme_and_card_data(front, key, value):
    readme = _card(front)
    meta, _, err = split_front_matter(readme)
    card_data = parse_card_data(readme)
    assert err is None
    assert meta[key] == value and card_data[key] == value
    assert type(meta[key]) is type(value) and type(card_data[key]) is type(value)
    assert card_data_front_matter(card_data) == (meta, None)


@pytest.mark.parametrize(
    ("front", "grams", "hours"),
    [
        ("co2_eq_emissions: 1e-3", 0.001, None),
        ("co2_eq_emissions: 24_700_000", 24_700_000.0, None),
        ("co2_eq_emissions:\n  emissions: 1e-3\n  hardware_used: 1 x T4", 0.001, None),
        ("co2_eq_emissions:\n  emissions: 24_700_000\n  hours_used: 1:30", 24_700_000.0, 1.5),
    ],
)
def test_emissions_numbers_mean_what_they_spell(front, grams, hours):
    a, b = _two_ways(_card(front))
    assert a["emissions_g"] == pytest.approx(grams) and a["found_in"] == "yaml"
    assert a["hours"] == hours
    assert _emissions_view(a) == _emissions_view(b)


def test_license_no_stays_the_authors_string():
    rec = analyze_card(_card("license: no\nco2_eq_emissions: 3"))
    assert rec["card_data"] == {"license": "no", "co2_eq_emissions": 3}


def _deep_list(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_deep_card_data_is_refused_with_a_limit_error():
    deep = {"co2_eq_emissions": 5, "x": _deep_list(5000)}
    with pytest.raises(YamlLimitError, match=f"nests deeper than {MAX_DEPTH} levels"):
        check_data(deep)
    meta, err = card_data_front_matter(deep)
    assert meta is None and err == f"card_data nests deeper than {MAX_DEPTH} levels"
    rec = analyze_card(None, card_data=deep)
    assert rec["error"] == f"card_data unusable: card_data nests deeper than {MAX_DEPTH} levels"
    assert rec["emissions_g"] is None and rec["card_data"] is None
    fm = read_front_matter("# Model\n", deep)
    assert fm.meta is None and fm.error == rec["error"]


def test_card_data_at_the_depth_limit_is_read():
    ok = {"co2_eq_emissions": 5, "x": _deep_list(MAX_DEPTH - 1)}
    assert analyze_card(None, card_data=ok)["emissions_g"] == 5
    too_deep = {"co2_eq_emissions": 5, "x": _deep_list(MAX_DEPTH)}
    assert analyze_card(None, card_data=too_deep)["error"]


@pytest.mark.parametrize(
    "front",
    [
        "x: " + "[" * 5000 + "]" * 5000,
        "x: " + "{a: " * 5000 + "1" + "}" * 5000,
        "x:\n  " + "- " * 5000 + "a",
        # block mappings grow quadratically with depth: 1,000 levels is what fits under the size limit
        "x:\n" + "".join(" " * i + "k:\n" for i in range(1, 1000)) + " " * 1000 + "v: 1",
    ],
    ids=["flow-seq", "flow-map", "block-seq", "block-map-1000"],
)
def test_deep_yaml_is_refused_with_a_limit_error(front):
    with pytest.raises(YamlLimitError, match=f"nests deeper than {MAX_DEPTH} levels"):
        load_limited(front)
    readme = _card(front)
    meta, _, err = split_front_matter(readme)
    assert meta is None and err == f"YAML nests deeper than {MAX_DEPTH} levels"
    assert parse_card_data(readme) is None
    rec = analyze_card(readme)
    assert rec["yaml_error"] == err and rec["error"] is None


def test_yaml_at_the_depth_limit_is_read():
    front = "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    meta, _, err = split_front_matter(_card(front))
    assert err is None and meta["x"] == _deep_list(MAX_DEPTH - 1)
