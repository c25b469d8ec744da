"""Render query results as a table (default, human units), JSON, newline-delimited JSON or CSV.

Machine formats (json, nl, csv) carry the raw numbers (bytes, parameters, grams CO2eq, fractions); the table
turns them into human units with **one rule per unit**, and the unit of a column is the one declared with it
in :mod:`hubscan.store.columns` (``unit_of``), not guessed from its name: bytes → decimal units (GB = 10^9),
parameters → K/M/B/T, g CO2eq → g/kg/t (never below grams, so a column of grams reads in grams), fractions →
percent with one decimal, unitless ratios → 3 significant digits, counts → thousands separators. A row may
carry a ``unit`` column that says the unit of its ``value`` (summaries of mixed measures).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from hubscan.estimate.footprint import summary_row
from hubscan.report.safe_sql import escape_control, json_control
from hubscan.store.columns import unit_of
from hubscan.units import human_bytes, human_grams, human_kwh, human_params

FORMATS = ("table", "json", "nl", "csv")
MAX_CELL = 70

KIND_OF_UNIT = {
    "bytes": "bytes", "bytes/token": "bytes/token", "parameters": "params", "g CO2eq": "grams", "kg CO2eq": "kg",
    "fraction 0-1": "share", "unitless": "ratio", "count": "count", "tokens": "count", "kWh": "kwh",
    "percent": "percent",
}  # fmt: skip


def _kind(column: str, unit: str | None = None) -> str:
    unit = unit or unit_of(column)
    return KIND_OF_UNIT.get(unit or "", "number" if unit else "text")


def format_value(kind: str, value: Any) -> str:
    """One number in human units of ``kind`` (see the module docstring); text is shortened to a cell."""
    if value is None:
        return "-"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind == "bytes":
            return human_bytes(value)
        if kind == "bytes/token":
            return f"{human_bytes(value)}/token"
        if kind == "params":
            return human_params(value)
        if kind == "grams":
            return human_grams(value)
        if kind == "kg":
            return human_grams(value * 1000)
        if kind == "kwh":
            return human_kwh(value)
        if kind == "share":
            return f"{100 * value:.1f}%"
        if kind == "percent":
            return f"{value:.1f}%"
        if kind == "ratio":
            return f"{value:.3g}"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:.4g}"
        return f"{int(value):,}"
    text = escape_control(str(value))  # a repo id with ANSI escapes must not drive the terminal
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def format_cell(column: str, value: Any, unit: str | None = None) -> str:
    """One table cell of ``column`` in human units (its declared unit, or ``unit``)."""
    return format_value(_kind(column, unit), value)


def _columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    return value


def _all_numbers(rows: Sequence[Mapping[str, Any]], column: str) -> bool:
    values = [row.get(column) for row in rows if row.get(column) is not None]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _cell(row: Mapping[str, Any], column: str) -> str:
    if column == "value" and row.get("unit"):
        return format_cell(column, row.get(column), row["unit"])
    if column == "value" and row.get("column"):
        return format_cell(row["column"], row.get(column))
    return format_cell(column, row.get(column))


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A plain-text table with a header rule; numbers right-aligned."""
    cols = _columns(rows, columns)
    if "value" in cols and "unit" in cols:  # the unit is shown in the value itself
        cols.remove("unit")
    if not cols:
        return "(no rows)"
    cells = [[_cell(row, c) for c in cols] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    numeric = [_kind(c) != "text" or _all_numbers(rows, c) for c in cols]
    if "value" in cols and any(row.get("unit") or row.get("column") for row in rows):
        numeric[cols.index("value")] = False

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(cols), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    if not rows:
        out.append("(no rows)")
    return "\n".join(out)


def render(
    rows: Iterable[Mapping[str, Any]],
    fmt: str = "table",
    columns: Sequence[str] | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Write ``rows`` (dicts) to ``stream`` (stdout) as ``fmt``: table, json, nl or csv."""
    stream = stream or sys.stdout
    rows = list(rows)
    cols = _columns(rows, columns)
    if fmt == "table":
        stream.write(table(rows, cols) + "\n")
    elif fmt == "json":
        data = [{c: _jsonable(row.get(c)) for c in cols} for row in rows]
        stream.write(json_control(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n")
    elif fmt == "nl":
        for row in rows:
            stream.write(
                json_control(
                    json.dumps({c: _jsonable(row.get(c)) for c in cols}, ensure_ascii=False, default=str)
                )
            )
            stream.write("\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(cols)
        # CSV keeps the data as it is, except on a terminal, where control characters are shown escaped.
        cell = escape_control if stream.isatty() else (lambda value: value)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else cell(row.get(c)) if isinstance(row.get(c), str)
                             else row.get(c) for c in cols])  # fmt: skip
    else:
        raise ValueError(f"Unknown output format {fmt!r}: use one of {', '.join(FORMATS)}.")


def render_sections(
    sections: Mapping[str, Sequence[Mapping[str, Any]]],
    fmt: str = "table",
    stream: IO[str] | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Render named sections (e.g. ``emissions --summary``): titled tables, one JSON object, or rows that
    carry a ``section`` column (nl, csv)."""
    stream = stream or sys.stdout
    if fmt == "table":
        for i, (name, rows) in enumerate(sections.items()):
            if i:
                stream.write("\n")
            title = name.replace("_", " ")
            stream.write(f"{title}\n{'=' * len(title)}\n")
            render(rows, "table", columns=columns, stream=stream)
    elif fmt == "json":
        data = {
            name: [{k: _jsonable(v) for k, v in row.items()} for row in rows]
            for name, rows in sections.items()
        }
        stream.write(json_control(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n")
    elif fmt in ("nl", "csv"):
        flat = [{"section": name, **row} for name, rows in sections.items() for row in rows]
        render(flat, fmt, stream=stream)
    else:
        raise ValueError(f"Unknown output format {fmt!r}: use one of {', '.join(FORMATS)}.")


# --- renderers of single results (estimate, inspect) -------------------------------------------------


def _fmt_value(name: str, value) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1e6:
        return f"{value:.4g}"
    if isinstance(value, float):
        if name in {"flops", "params", "active_params", "tokens"}:
            return f"{value:.3g}"
        return f"{value:.4g}"
    return str(value)


def _split_unit(text: str) -> tuple[str, str]:
    num, _, unit = text.partition(" ")
    return num, unit


def _range_text(r: dict, fmt) -> str:
    lo, hi = fmt(r["low"]), fmt(r["high"])
    (lo_n, lo_u), (hi_n, hi_u) = _split_unit(lo), _split_unit(hi)
    return f"{lo_n}–{hi_n} {hi_u}" if lo_u == hi_u else f"{lo}–{hi}"


ESTIMATE_INPUT_UNITS = {
    "power_w": "W",
    "grid_g_per_kwh": "g/kWh",
    "hours": "h",
    "device_hours": "device-h",
    "peak_tflops": "TFLOPS",
    "flops": "FLOP",
}


def estimate_text(est: dict) -> str:
    """``hubscan estimate``'s human-readable result: the range, the method and every input with its source."""
    lines = []
    if not est["estimable"]:
        lines.append(est["reason"] or "not estimable")
        lines.append(f"missing: {', '.join(est['missing'])}")
    else:
        e, k, d = est["emissions_g"], est["energy_kwh"], est["device_hours"]
        if e["low"] == e["high"]:
            lines.append(f"{human_grams(e['central'])} CO2eq (no range: every input was given)")
            lines.append(f"energy {human_kwh(k['central'])}")
        else:
            lines.append(f"{human_grams(e['central'])} CO2eq (range {_range_text(e, human_grams)})")
            lines.append(f"energy {human_kwh(k['central'])} (range {_range_text(k, human_kwh)})")
        if d["low"] == d["high"]:
            lines.append(f"device-hours {d['central']:,.4g}")
        else:
            lines.append(f"device-hours {d['central']:,.4g} (range {d['low']:,.4g}–{d['high']:,.4g})")
        if est.get("wall_clock_hours"):
            w = est["wall_clock_hours"]
            lines.append(f"wall-clock {w['central']:,.4g} h (range {w['low']:,.4g}–{w['high']:,.4g})")
        if est.get("implied_mfu"):
            lines.append(f"implied MFU {est['implied_mfu']:.3f}")
        lines.append(f"method: {est['method']}; scope: {est['scope']}")
    if est["inputs"]:
        lines.append("inputs:")
        for name, inp in est["inputs"].items():
            unit = ESTIMATE_INPUT_UNITS.get(name, "")
            value = f"{_fmt_value(name, inp['value'])}{' ' + unit if unit else ''}"
            rng = inp.get("range")
            rng_text = f" [{_fmt_value(name, rng[0])}–{_fmt_value(name, rng[1])}]" if rng else ""
            extra = inp.get("location") or inp.get("note") or ""
            extra = f"  ({extra})" if extra else ""
            lines.append(f"  {name:<15} {value}{rng_text}  <- {inp['provenance']}{extra}")
    for note in est.get("notes") or []:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def inspect_text(records: list[dict]) -> str:
    """``hubscan inspect``'s tables: footprints of configs, reported emissions of cards, estimates."""

    configs = [{"path": r["path"], **summary_row(r)} for r in records if "params" in r]
    cards = [
        {
            "path": r["path"],
            "emissions": human_grams(r["reported"].get("emissions_g")),
            "found_in": r["reported"].get("found_in"),
            "hardware": r["reported"].get("hardware"),
            "hours": r["reported"].get("hours"),
            "location": r["reported"].get("location"),
            "completeness": r["reported"].get("completeness"),
            "flags": ", ".join(r["reported"].get("flags") or []),
        }
        for r in records
        if "reported" in r
    ]
    measured = [
        {
            "path": r["path"],
            "measured": human_grams(r["measured"]["emissions_g"]),
            "energy": human_kwh(r["measured"].get("energy_kwh")),
            "hours": r["measured"].get("duration_hours"),
            "hardware": r["measured"].get("gpu_model") or r["measured"].get("cpu_model"),
            "location": ", ".join(
                p for p in (r["measured"].get("region"), r["measured"].get("country")) if p
            ),
            "cloud": r["measured"].get("cloud_provider"),
            "runs": r["measured"].get("runs"),
        }
        for r in records
        if "measured" in r
    ]
    estimates = []
    for r in records:
        estimate = r.get("estimate") or {}
        if (
            not estimate.get("estimable")
            and not (r.get("reported") or {}).get("emissions_g")
            and "measured" not in r
        ):
            continue
        grams = estimate.get("emissions_g") or {}
        comparison = estimate.get("comparison") or {}
        estimates.append(
            {
                "path": r["path"],
                "method": estimate.get("method") or "not estimable",
                "estimated": human_grams(grams.get("central")),
                "range": f"{human_grams(grams.get('low'))} – {human_grams(grams.get('high'))}"
                if grams
                else "",
                "energy": human_kwh((estimate.get("energy_kwh") or {}).get("central")),
                "verdict": comparison.get("verdict") or "",
                "why": comparison.get("reason") or ", ".join(estimate.get("missing") or []),
            }
        )
    out = []
    for title, rows in (
        ("Footprint", configs),
        ("Reported emissions", cards),
        ("Measured emissions (codecarbon)", measured),
        ("Estimated emissions", estimates),
    ):
        if rows:
            out += [f"{title}:", table(rows)]
    return "\n".join(out)


def inspect_rows(records: list[dict]) -> list[dict]:
    """One flat row per inspected path (raw numbers, for CSV): footprint, reported and estimated emissions."""
    rows = []
    for r in records:
        params = r.get("params") or {}
        memory = r.get("memory") or {}
        reported = r.get("reported") or {}
        grams = (r.get("estimate") or {}).get("emissions_g") or {}
        rows.append(
            {
                "path": r.get("path"),
                "error": r.get("error"),
                "model_type": r.get("model_type"),
                "params_total": params.get("total"),
                "params_active": params.get("active"),
                "params_method": params.get("method"),
                "params_confidence": params.get("confidence"),
                "dtype": memory.get("dtype"),
                "weights_bytes": memory.get("weights_bytes"),
                "context": memory.get("context"),
                "kv_cache_bytes": memory.get("kv_cache_bytes"),
                "flops_per_token": r.get("flops_per_token"),
                "reported_g": reported.get("emissions_g"),
                "estimated_g_low": grams.get("low"),
                "estimated_g_central": grams.get("central"),
                "estimated_g_high": grams.get("high"),
                "verdict": ((r.get("estimate") or {}).get("comparison") or {}).get("verdict"),
                "measured_g": (r.get("measured") or {}).get("emissions_g"),
                "measured_kwh": (r.get("measured") or {}).get("energy_kwh"),
            }
        )
    return rows
