"""Human-readable numbers shared by every table hubscan prints.

Parameter counts use the SI-style suffixes the Hub uses (K, M, B, T = 10^3 .. 10^12).
Byte sizes are **decimal** (1 GB = 10^9 bytes), which is also what the Hub's "Model size" shows;
they are not GiB.
"""

from __future__ import annotations

_PARAM_UNITS = ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K"))
_BYTE_UNITS = ((10**15, "PB"), (10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB"))


def _finite_number(n: object) -> float | None:
    if n is None or isinstance(n, bool):
        return None
    try:
        value = float(n)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def human_params(n: object) -> str:
    """``6738415616 -> "6.74B"``, ``124439808 -> "124M"``, ``7000 -> "7.0K"``; ``None -> "-"``.

    Three significant digits, so 6.74B, 46.7B, 124M; below 1000 the integer itself.
    """
    value = _finite_number(n)
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    value = abs(value)
    units = list(reversed(_PARAM_UNITS))  # K, M, B, T
    for i, (scale, suffix) in enumerate(units):
        bigger = units[i + 1][0] if i + 1 < len(units) else None
        if bigger is not None and value >= bigger:
            continue
        if value < scale:
            break
        text = _three_digits(value / scale)
        if float(text) >= 1000 and i + 1 < len(units):
            return sign + _three_digits(value / units[i + 1][0]) + units[i + 1][1]
        return sign + text + suffix
    if value >= 999.5:
        return sign + "1.00K"
    return sign + str(int(round(value)))


def human_bytes(n: object) -> str:
    """Decimal units: ``13476831232 -> "13.5 GB"`` (10^9 bytes per GB, not GiB); ``None -> "-"``."""
    value = _finite_number(n)
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for scale, suffix in _BYTE_UNITS:
        if value >= scale:
            return f"{sign}{value / scale:.1f} {suffix}"
    return f"{sign}{int(round(value))} B"


def human_flops(n: object) -> str:
    """``1.35e10 -> "13.5 GFLOP"``; decimal prefixes; ``None -> "-"``."""
    value = _finite_number(n)
    if value is None:
        return "-"
    for scale, suffix in (
        (1e24, "Y"),
        (1e21, "Z"),
        (1e18, "E"),
        (1e15, "P"),
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
    ):
        if abs(value) >= scale:
            return f"{value / scale:.1f} {suffix}FLOP"
    return f"{value:.0f} FLOP"


def human_grams(value: object) -> str:
    """Grams CO2eq: 12.3 g, 4.56 kg, 7.89 t; below a gram still in grams (0.21 g), so a figure never reads in a
    smaller unit than the catalog's (grams)."""
    grams = _finite_number(value)
    if grams is None:
        return "-" if value is None or isinstance(value, (bool, int, float)) else str(value)
    for scale, unit in ((1e6, "t"), (1e3, "kg")):
        if abs(grams) >= scale:
            return f"{grams / scale:.3g} {unit}"
    return "0 g" if grams == 0 else f"{grams:.3g} g"


def human_kwh(value: object) -> str:
    """Energy: ``152 kWh``, ``3.4 MWh``, ``1.29 GWh``; ``None -> "-"``."""
    kwh = _finite_number(value)
    if kwh is None:
        return "-"
    for scale, unit in ((1e6, "GWh"), (1e3, "MWh")):
        if abs(kwh) >= scale:
            return f"{kwh / scale:.3g} {unit}"
    return f"{kwh:.3g} kWh"


def _three_digits(x: float) -> str:
    """3 significant digits: 6.738 -> "6.74", 46.70 -> "46.7", 124.4 -> "124"; 7.0 -> "7.0" (one decimal kept)."""
    if round(x, 2) >= 100 or round(x, 1) >= 100:
        return f"{x:.0f}"
    if round(x, 2) >= 10:
        return f"{x:.1f}"
    text = f"{x:.2f}"
    if text.endswith("0"):
        text = text[:-1]
    return text
