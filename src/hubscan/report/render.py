"""Render query results as a table (default, human units), JSON, newline-delimited JSON or CSV.

Machine formats (json, nl, csv) carry the raw numbers (bytes, parameters, grams CO2eq); the table turns them
into human units chosen by column name: ``*bytes*`` → decimal bytes (GB = 10^9), ``params*`` → K/M/B/T,
``*_g`` / ``*_g_*`` → grams CO2eq scaled to g/kg/t, ``*share*`` → percent.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from hubscan.estimate.footprint import summary_row
from hubscan.report.safe_sql import escape_control, json_control
from hubscan.units import human_bytes, human_grams, human_kwh, human_params

FORMATS = ("table", "json", "nl", "csv")
MAX_CELL = 70


def _kind(column: str) -> str:
    name = column.lower()
    if "bytes" in name or name in ("used_storage", "size_bytes"):
        return "bytes"
    if name.startswith("models_with") or name in ("models", "reporting_models"):
        return "count"
    if name.startswith("params") or name.endswith("_params") or name == "safetensors_total":
        return "params"
    if name.endswith("_g") or "_g_" in name or name.startswith("emissions_g") or name == "reported_g":
        return "grams"
    if "share" in name:
        return "share"
    if name == "ratio" or name.endswith("_ratio"):
        return "ratio"
    if name in ("downloads", "downloads_total", "likes", "models", "context") or name.endswith("_count"):
        return "count"
    return "text"


def format_cell(column: str, value: Any) -> str:
    """One table cell in human units (see module docstring)."""
    if value is None:
        return "-"
    kind = _kind(column)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind == "bytes":
            return human_bytes(value)
        if kind == "params":
            return human_params(value)
        if kind == "grams":
            return human_grams(value)
        if kind == "share":
            return f"{100 * value:.1f}%"
        if kind == "ratio":
            return f"{value:.3g}"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:.4g}"
        return f"{int(value):,}"
    text = escape_control(str(value))  # a repo id with ANSI escapes must not drive the terminal
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


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


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A plain-text table with a header rule; numbers right-aligned."""
    cols = _columns(rows, columns)
    if not cols:
        return "(no rows)"
    cells = [[format_cell(c, row.get(c)) for c in cols] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    numeric = [_kind(c) != "text" or _all_numbers(rows, c) for c in cols]

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
    sections: Mapping[str, Sequence[Mapping[str, Any]]], fmt: str = "table", stream: IO[str] | None = None
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
            render(rows, "table", stream=stream)
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
    estimates = []
    for r in records:
        estimate = r.get("estimate") or {}
        if not estimate.get("estimable") and not (r.get("reported") or {}).get("emissions_g"):
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
            }
        )
    return rows
