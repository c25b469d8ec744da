"""README front matter: find the ``---`` block and parse it the way the Hub does (YAML 1.2 core schema).

PyYAML implements YAML 1.1, whose implicit typing differs from the Hub's server-side parser:
``yes``/``no``/``on``/``off`` are booleans, ``1e-3`` stays a string, ``2024-01-01`` becomes a ``date``
and ``0777`` is octal. :class:`Yaml12Loader` replaces PyYAML's implicit resolvers by the YAML 1.2
core-schema ones, so values come out as the Hub's JSON would show them, and every scalar is JSON-safe.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["Yaml12Loader", "front_matter_block", "parse_card_data"]

# Same semantics as the client's card regex: `---` at the very start (only whitespace, or a BOM, before it),
# line breaks, the YAML (lazy, so the first closing `---` line wins, but never an empty body: a file that
# starts `---\n---\n` gets the block that ends at the NEXT `---` line, as on the Hub), line breaks, `---`.
_BLOCK_RE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*---[\r\n]+(.*?)[\r\n]+---(?:\r\n|\n|\Z)", re.DOTALL)


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema implicit typing (no 1.1 booleans, sexagesimals or timestamps)."""


# Start from a clean resolver table: only str is implicit unless a 1.2 rule below matches.
Yaml12Loader.yaml_implicit_resolvers = {}

_CORE_RULES: list[tuple[str, str, str]] = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]
for _tag, _pattern, _first in _CORE_RULES:
    Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first) if _first else None)
# The null rule must also match the empty scalar, which has no first character.
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> float | None:
    text = loader.construct_scalar(node).lower()
    if text.endswith("inf") or text.endswith("nan"):
        return None  # not representable in JSON; the Hub's JSON would carry null
    return float(text)


def _construct_timestamp_as_str(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
# An explicit !!timestamp tag stays the literal text (JSON-safe).
Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_str)


def front_matter_block(data: bytes) -> bytes | None:
    """The leading ``---`` … ``---`` block of a README, byte for byte (BOM, CRLF kept), or None."""
    m = _BLOCK_RE.match(data)
    return m.group(0) if m else None


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def parse_card_data(readme: bytes) -> dict[str, Any] | None:
    """``cardData`` of a README: its front matter as a JSON-safe dict; None when absent or unparseable."""
    block = front_matter_block(readme)
    if block is None:
        return None
    m = _BLOCK_RE.match(block)
    body = m.group(1) if m else b""
    try:
        loaded = yaml.load(body.decode("utf-8-sig", "replace"), Loader=Yaml12Loader)  # noqa: S506
    except (yaml.YAMLError, RecursionError):  # 5,000-deep flow collections: unparseable, no cardData
        return None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict) or _expanded_size(loaded) > MAX_CARD_NODES:
        return None  # aliases expanding past the budget ("billion laughs"): no cardData
    return _json_safe(loaded)


MAX_CARD_NODES = 100_000


def _expanded_size(value: Any, budget: int = MAX_CARD_NODES) -> int:
    """Nodes of ``value`` with aliases expanded, counted without recursion; stops just past ``budget``."""
    count, stack = 0, [value]
    while stack and count <= budget:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return count
