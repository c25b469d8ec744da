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

from hubscan.units import human_bytes, human_grams, human_params

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
    text = str(value)
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
        stream.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    elif fmt == "nl":
        for row in rows:
            stream.write(
                json.dumps({c: _jsonable(row.get(c)) for c in cols}, ensure_ascii=False, default=str)
            )
            stream.write("\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in cols])
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
        stream.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    elif fmt in ("nl", "csv"):
        flat = [{"section": name, **row} for name, rows in sections.items() for row in rows]
        render(flat, fmt, stream=stream)
    else:
        raise ValueError(f"Unknown output format {fmt!r}: use one of {', '.join(FORMATS)}.")
