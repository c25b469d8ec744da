"""Limits on untrusted JSON (config.json files from the Hub, a folder or the command line).

One set of limits, shared by the crawl (``store.save.parse_config_status``), ``hubscan inspect`` and the
``dir:`` source, so a hostile file is refused the same way everywhere:

- **size**: text over ``max_bytes`` is refused before parsing;
- **depth**: nesting deeper than ``max_depth`` is refused *before* ``json.loads`` by a scan that does not
  recurse (a 200,000-deep ``[[[[…`` cannot reach Python's recursion limit);
- **number range**: integers must fit SQLite's 64-bit range and floats must be finite (``NaN``,
  ``Infinity`` and ``1e400`` are refused), so no later arithmetic loops over 10^20 layers or overflows.

``load_json`` raises :class:`JsonLimitError` (a ``ParseError``) whose ``kind`` says which rule failed:
``too_large``, ``too_deep``, ``number_out_of_range`` or ``invalid_json``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from hubscan.errors import ParseError

__all__ = ["DEFAULT_LIMITS", "JsonLimitError", "JsonLimits", "json_depth", "load_json"]

INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # what a SQLite INTEGER holds
# A JSON string literal (unrolled loop: no backtracking blow-up), or one structural bracket.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonLimitError(ParseError):
    """Untrusted JSON broke a limit (or is not JSON); ``kind`` names the rule."""

    def __init__(self, message: str, kind: str = "invalid_json"):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class JsonLimits:
    max_bytes: int = 32 * 1024 * 1024
    max_depth: int = 100
    int_min: int = INT_MIN
    int_max: int = INT_MAX


DEFAULT_LIMITS = JsonLimits()


def json_depth(text: str, stop_above: int | None = None) -> int:
    """Deepest bracket nesting of ``text`` (strings ignored), found without recursion.

    Stops counting as soon as the depth exceeds ``stop_above``. Unbalanced text still gets a number; the
    parser reports the syntax error afterwards.
    """
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        else:
            depth -= 1
    return deepest


def _parse_int(text: str, limits: JsonLimits) -> int:
    if len(text.lstrip("-")) > 20:  # never build a 4,000-digit int just to compare it
        raise JsonLimitError(f"number {text[:24]}… is out of range", "number_out_of_range")
    value = int(text)
    if not limits.int_min <= value <= limits.int_max:
        raise JsonLimitError(f"number {text} is out of range (over 64 bits)", "number_out_of_range")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonLimitError(f"number {text[:24]} is out of range (not finite)", "number_out_of_range")
    return value


def _parse_constant(name: str) -> float:
    raise JsonLimitError(f"{name} is not a JSON number", "number_out_of_range")


def load_json(data: str | bytes, limits: JsonLimits = DEFAULT_LIMITS) -> Any:
    """``json.loads`` under ``limits``. Raises :class:`JsonLimitError` (kind = the rule broken)."""
    size = len(data)
    if size > limits.max_bytes:
        raise JsonLimitError(f"{size:,} bytes, over the {limits.max_bytes:,}-byte limit", "too_large")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonLimitError(f"invalid JSON: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    depth = json_depth(data, stop_above=limits.max_depth)
    if depth > limits.max_depth:
        raise JsonLimitError(f"nested deeper than {limits.max_depth} levels", "too_deep")
    try:
        return json.loads(
            data,
            parse_int=lambda text: _parse_int(text, limits),
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except JsonLimitError:
        raise
    except (ValueError, RecursionError) as exc:
        raise JsonLimitError(f"invalid JSON: {exc}") from exc
