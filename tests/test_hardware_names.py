"""Every GPU, TPU and CPU row of the vendored hardware tables resolves under the spellings people write;
ambiguous names carry the range of their variants; unknown names get the closest table names."""

from __future__ import annotations

import csv
import re
from importlib import resources

import pytest

from hubscan.estimate.emissions import estimate_emissions
from hubscan.reference import tables as ref
from hubscan.reference.resolve import closest_hardware, resolve_hardware


def _rows(*parts: str) -> list[dict[str, str]]:
    text = resources.files("hubscan").joinpath("data", *parts).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


# mlco2 gpus.csv rows that hardware_specs.csv / hardware_variants.csv cover: the device they resolve to
COVERED = {
    "H100 SXM": {"H100-80GB SXM"},
    "H100 NVL": {"H100 NVL"},
    "A100 PCIe 40/80GB": {"A100-40GB PCIe", "A100-80GB PCIe"},
    "A100 SXM4 80 GB": {"A100-80GB SXM"},
    "A10G": {"A10G"},
    "T4": {"T4"},
    "L4": {"L4"},
    "Tesla P100": {"P100"},
    "Tesla V100-PCIE-16GB": {"V100 PCIe"},
    "Tesla V100-SXM2-16GB": {"V100"},
    "Tesla V100-SXM2-32GB": {"V100"},
    "TPUv2 Chip": {"TPU v2"},
    "TPUv3 Chip": {"TPU v3"},
    "RTX 3090": {"RTX 3090"},
    "RTX 4090": {"RTX 4090"},
}


def table_rows() -> list[tuple[str, str, str, str | None, set[str]]]:
    """(table, name, kind, memory, expected devices) for every row of the three vendored hardware tables."""
    out = []
    for row in _rows("hardware_specs.csv"):
        name = ref.canonical_device_name(row["hardware"])
        out.append(("hardware_specs.csv", row["hardware"], _kind(name), None, {name}))
    for row in _rows("hardware_variants.csv"):
        out.append(("hardware_variants.csv", row["device"], _kind(row["device"]), None, {row["device"]}))
    for row in _rows("mlco2", "gpus.csv"):
        name = row["name"].strip()
        expected = COVERED.get(name, {name})
        memory = row["memory"].strip() if row["memory"].strip().isdigit() else None
        out.append(("mlco2/gpus.csv", name, row["type"].strip(), memory, expected))
    return out


def _spelling_key(name: str) -> str:
    """A name up to case, punctuation, ®, its vendor and the word "Processor"."""
    name = re.sub(r"\b(?:intel|amd|processor)\b|®", "", name.lower())
    return " ".join(re.findall(r"[a-z]+|\d+(?:\.\d+)?", name))


def cpu_power_rows() -> list[tuple[str, set[str]]]:
    """(name, devices it may resolve to) for every matchable row of codecarbon's cpu_power.csv: the row itself
    or a row of an earlier table written the same way up to case and punctuation ("E5-2630v4" = "E5-2630 v4")."""
    same: dict[str, set[str]] = {}
    for _, _, _, _, expected in table_rows():
        for name in expected:
            same.setdefault(_spelling_key(name), set()).add(name)
    names = []
    for row in _rows("codecarbon", "hardware", "cpu_power.csv"):
        name = row["Name"].strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", row["TDP"].strip()) and re.search(
            r"^(?:Intel|AMD|Apple)\b|[A-Za-z]{3,}", name
        ):
            names.append(name)
            same.setdefault(_spelling_key(name), set()).add(name)
    return [(name, same[_spelling_key(name)]) for name in names]


def _kind(name: str) -> str:
    return "tpu" if name.startswith("TPU") else "gpu"


def _vendor(name: str, kind: str) -> str:
    if kind == "tpu":
        return "Google"
    if re.search(r"AMD|EPYC|RX|MI\d", name):
        return "AMD"
    return "Intel" if kind == "cpu" else "NVIDIA"


def spellings(name: str, kind: str, memory: str | None) -> list[str]:
    """The ways people write a table name: case, vendor prefix or not, hyphens/spaces, glued model numbers,
    memory size, "GPU(s)" / "CPU", device counts."""
    vendor = _vendor(name, kind)
    bare = re.sub(rf"^{vendor}\s+", "", name)
    forms = {name, name.lower(), name.upper(), bare, f"{vendor} {bare}"}
    if "(" not in name:
        forms |= {name.replace(" ", "-"), name.replace("-", " ")}
    forms.add(re.sub(r"([A-Za-z]) (\d)", r"\1\2", name))
    noun = {"gpu": "GPU", "tpu": "chips", "cpu": "CPU"}[kind]
    forms |= {f"{bare} {noun}", f"{vendor} {bare} {noun}s" if kind == "gpu" else f"{bare} processor"}
    forms |= {f"8 x {bare}", f"{bare} x 2", f"{bare} {noun}(s)"}
    if memory and "gb" not in name.lower():
        forms |= {f"{bare} {memory}GB", f"{vendor} {bare} ({memory} GB)"}
    if vendor == "NVIDIA" and re.search(r"GTX|RTX \d", name):
        forms.add(f"NVIDIA GeForce {bare}")
    if vendor == "Intel":
        forms.add(f"Intel(R) {bare.replace('Xeon', 'Xeon(R)')} CPU")
    return sorted(forms)


CASES = [
    (table, name, text, expected)
    for table, name, kind, mem, expected in table_rows()
    for text in spellings(name, kind, mem)
]


def test_every_table_row_is_covered():
    names = {name for _, name, _, _, _ in table_rows()}
    # every device of the hardware table is some row's expected answer
    expected = set().union(*(e for *_, e in table_rows()), *(e for _, e in cpu_power_rows()))
    assert set(ref.hardware_table()) <= expected
    assert len(names) >= 70 and len(CASES) >= 10 * len(names)


@pytest.mark.parametrize("table,name,text,expected", CASES)
def test_table_row_spelling_resolves(table, name, text, expected):
    out = resolve_hardware(text)
    assert out is not None, f"{table}: {name!r} written as {text!r}"
    assert out["device"] in expected, (text, out["device"])
    if text.startswith("8 x "):
        assert out["count"] == 8
    if text.endswith(" x 2"):
        assert out["count"] == 2


CPU_ROWS = cpu_power_rows()


def test_cpu_power_table_is_vendored_whole():
    """4,918 rows; 4 with a malformed TDP and the bare model numbers are the only ones left out."""
    rows = _rows("codecarbon", "hardware", "cpu_power.csv")
    kept, skipped = ref.cpu_power_rows()
    assert len(rows) == 4918 and len(kept) + len(skipped) == len(rows) == len(CPU_ROWS) + len(skipped)
    assert sum("not a number" in why for _, why in skipped) == 4
    assert all(not re.search(r"[A-Za-z]{3,}", name) for name, why in skipped if why.startswith("bare"))


# CPUs whose name without the vendor is a GPU's: "A100" alone is NVIDIA's, "Intel A100" the Atom-era CPU.
BARE_IS_A_GPU = {"Intel A100": "A100"}


@pytest.mark.parametrize("name,expected", CPU_ROWS, ids=[n for n, _ in CPU_ROWS])
def test_cpu_power_row_spellings_resolve(name, expected):
    for text in spellings(name, "cpu", None):
        if name in BARE_IS_A_GPU and not text.lower().startswith("intel"):
            assert resolve_hardware(text)["device"].startswith(BARE_IS_A_GPU[name]), text
            continue
        out = resolve_hardware(text)
        assert out is not None and out["device"] in expected, (text, out and out["device"])
        assert out["tdp_w"] == ref.hardware(out["device"])["tdp_w"]


@pytest.mark.parametrize(
    "text", ["trained for 3280 hours", "batch size 555", "A 6th attempt", "seed 4226", "epoch 975 of 980"]
)
def test_bare_numbers_are_not_cpus(text):
    assert resolve_hardware(text) is None


def test_cpu_families_span_their_members():
    table = ref.hardware_table()
    for text, label, pattern in [
        ("Intel Core i7 CPU", "Core i7 (family)", "Core i7-"),
        ("i9", "Core i9 (family)", "Core i9-"),
        ("AMD Ryzen", "Ryzen (family)", "Ryzen"),
        ("Xeon CPU", "Xeon (family)", "Xeon"),
    ]:
        out = resolve_hardware(text)
        tdps = sorted(r["tdp_w"] for n, r in table.items() if pattern in n and "Threadripper" not in n)
        assert out["device"] == label, text
        assert out["tdp_w_range"] == [tdps[0], tdps[-1]] and tdps[0] <= out["tdp_w"] <= tdps[-1]
        assert len(out["variants"]) == 3 and f"{len(tdps)} models" in out["ambiguous"]
    # a model number after the family name is that model, not the family
    assert resolve_hardware("Core i7-12700H")["device"] == "Intel Core i7-12700H"


def test_cpus_resolve_with_their_tdp():
    out = resolve_hardware("Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz")
    assert out["device"] == "Intel Xeon Gold 6148" and out["tdp_w"] == 150.0
    assert resolve_hardware("Xeon E5-2630 v4")["tdp_w"] == 85.0
    assert resolve_hardware("2 x AMD EPYC 7763")["count"] == 2


# --- the survey's names (issue 12) ----------------------------------------------------------------------


def _variants(out):
    return sorted(v["device"] for v in out["variants"])


def test_survey_names_that_resolve():
    assert resolve_hardware("Quadro P6000")["device"] == "Quadro P6000"
    assert resolve_hardware("NVIDIA Titan-Xp")["device"] == "Titan Xp"
    for text in ("Titan X", "GeForce Titan X", "NVIDIA TITAN X GPUs"):
        out = resolve_hardware(text)
        assert out["device"] == "Titan X (family)", text
        assert _variants(out) == ["GTX TITAN X", "TITAN X Pascal"] and out["tdp_w"] == 250.0
    gtx = resolve_hardware("GTX Titan GPUs 12GB")  # 12 GB narrows the Titans; Titan RTX (24 GB) is out
    assert gtx["device"] == "Titan (family)"
    assert _variants(gtx) == ["GTX TITAN X", "TITAN X Pascal", "Titan V", "Titan Xp"]
    assert "Titan RTX" in _variants(resolve_hardware("NVIDIA Titan"))


def test_family_names_give_median_and_extremes():
    rtx = resolve_hardware("GPU RTX")
    tdps = sorted(ref.hardware_table()[d]["tdp_w"] for d in _variants(rtx))
    assert rtx["device"] == "RTX (family)" and len(tdps) >= 8
    assert rtx["tdp_w_range"] == [tdps[0], tdps[-1]] and rtx["tdp_w"] == tdps[(len(tdps) - 1) // 2]
    xeon = resolve_hardware("Xeon CPU")
    tdps = sorted(row["tdp_w"] for name, row in ref.hardware_table().items() if "Xeon" in name)
    assert xeon["device"] == "Xeon (family)" and xeon["tdp_w_range"] == [tdps[0], tdps[-1]]
    assert xeon["tdp_w"] == tdps[(len(tdps) - 1) // 2]
    # a specific model the tables lack is not silently the family
    assert resolve_hardware("GeForce RTX 2070") is None
    assert resolve_hardware("Intel Xeon Platinum 8999") is None
    assert resolve_hardware("Intel Xeon Platinum 8380")["tdp_w"] == 270.0  # codecarbon's cpu_power.csv


def test_a100_without_form_factor_covers_pcie_and_sxm():
    out = resolve_hardware("A100 GPU")
    assert out["device"] == "A100-80GB SXM" and out["tdp_w"] == 400.0  # central: the training-cluster part
    assert out["tdp_w_range"] == [250.0, 400.0]
    assert _variants(out) == ["A100-40GB PCIe", "A100-40GB SXM", "A100-80GB PCIe", "A100-80GB SXM"]
    assert resolve_hardware("A100 40GB")["tdp_w_range"] == [250.0, 400.0]
    assert resolve_hardware("A100 PCIe")["tdp_w_range"] == [250.0, 300.0]
    assert "variants" not in resolve_hardware("NVIDIA A100-SXM4-80GB")
    assert "variants" not in resolve_hardware("A100 PCIe 40GB")


def test_tpu_v3_per_chip_or_per_board():
    out = resolve_hardware("Cloud TPU v3")
    assert out["device"] == "TPU v3" and out["tdp_w"] == 450.0
    assert out["tdp_w_range"] == [450.0, 1800.0]
    assert _variants(out) == ["TPU v3", "TPU v3 board (4 chips)"]
    assert "variants" not in resolve_hardware("TPU v3-512")  # a slice counts chips


def test_ambiguous_range_reaches_the_estimate():
    common = dict(hours=100, devices=1, pue=1.1, grid_g_per_kwh=400)
    sxm = estimate_emissions(hardware="A100-80GB SXM", **common)
    any_a100 = estimate_emissions(hardware="A100 GPU", **common)
    assert any_a100["emissions_g"]["central"] == pytest.approx(sxm["emissions_g"]["central"])
    assert any_a100["emissions_g"]["low"] < sxm["emissions_g"]["low"]
    assert any_a100["inputs"]["hardware"]["tdp_w_range"] == [250.0, 400.0]
    assert any("A100-40GB PCIe (250 W)" in n for n in any_a100["notes"])
    # 250 W PCIe at the low utilisation is inside the range
    assert any_a100["emissions_g"]["low"] <= 100 * 250 * 1.1 * 400 / 1e3 * 0.9
    tpu = estimate_emissions(hardware="Cloud TPU v3", **common)
    assert tpu["emissions_g"]["high"] > 3 * tpu["emissions_g"]["central"]  # a board is 4 chips
    # compute method: a board has 4x the power and 4x the throughput, so no extra spread
    cm = dict(params=7e9, tokens=1e11, pue=1.1, grid_g_per_kwh=400)
    assert estimate_emissions(hardware="Cloud TPU v3", **cm)["emissions_g"] == pytest.approx(
        estimate_emissions(hardware="TPU v3-8", **cm)["emissions_g"]
    )
    # a user-given power is a point: no hardware spread
    given = estimate_emissions(hardware="A100 GPU", power_w=300, **common)
    assert given["emissions_g"]["low"] == given["emissions_g"]["high"]


def test_unknown_names_get_closest_matches():
    assert closest_hardware("Tesla M60")[0] == "Tesla M40 24GB"
    assert "RTX 2080" in closest_hardware("GeForce RTX 2070")
    est = estimate_emissions(hardware="Tesla M60", hours=10)
    assert not est["estimable"] and "closest: Tesla M40 24GB" in est["reason"]
    assert closest_hardware("") == [] and closest_hardware("NVIDIA GPUs") == []
