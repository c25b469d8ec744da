from __future__ import annotations

import pytest

from hubscan.units import human_bytes, human_flops, human_params


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (6_738_415_616, "6.74B"),
        (124_439_808, "124M"),
        (7_000, "7.0K"),
        (46_702_792_704, "46.7B"),
        (405_853_388_800, "406B"),
        (1_500_000_000_000, "1.5T"),
        (999, "999"),
        (0, "0"),
        (None, "-"),
        (999_999, "1.0M"),
        (99_960, "100K"),
    ],
)
def test_human_params(n, text):
    assert human_params(n) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (13_476_831_232, "13.5 GB"),
        (524_288, "524.3 kB"),
        (999, "999 B"),
        (2_000_000_000_000, "2.0 TB"),
        (None, "-"),
    ],
)
def test_human_bytes_is_decimal(n, text):
    assert human_bytes(n) == text


def test_human_flops():
    assert human_flops(1.35e10) == "13.5 GFLOP"
    assert human_flops(None) == "-"
