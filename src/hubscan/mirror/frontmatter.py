"""The Hub's server-side ``cardData``: what the Hub's API shows for a README's front matter.

This models a different thing from :mod:`hubscan.parse.frontmatter` (the analyser's reading of a card): the
mirror serves ``cardData`` the way the Hub computes it, so it finds the block with the Hub's own pattern
(bytes, BOM and CRLF kept) and renders the result as the Hub's JSON would carry it (string keys, bytes as
text).  The YAML itself is typed with the YAML 1.2 core schema the Hub uses and loaded within the safety
limits (size, nesting, node and alias counts) of :mod:`hubscan.parse.safe_yaml`, which the analyser shares,
so both read the same values from the same README.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from hubscan.parse.safe_yaml import YamlLimitError, load_limited

__all__ = ["front_matter_block", "parse_card_data"]

# Same semantics as the client's card regex: `---` at the very start (only whitespace, or a BOM, before it),
# line breaks, the YAML (lazy, so the first closing `---` line wins, but never an empty body: a file that
# starts `---\n---\n` gets the block that ends at the NEXT `---` line, as on the Hub), line breaks, `---`.
_BLOCK_RE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*---[\r\n]+(.*?)[\r\n]+---(?:\r\n|\n|\Z)", re.DOTALL)


def front_matter_block(data: bytes) -> bytes | None:
    """The leading ``---`` … ``---`` block of a README, byte for byte (BOM, CRLF kept), or None."""
    m = _BLOCK_RE.match(data)
    return m.group(0) if m else None


def _as_json(value: Any) -> Any:
    """The loaded YAML as the Hub's JSON carries it (the loaded graph is already bounded)."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def parse_card_data(readme: bytes) -> dict[str, Any] | None:
    """``cardData`` of a README: its front matter as a JSON-safe dict; None when absent or unparseable."""
    m = _BLOCK_RE.match(readme)
    if m is None:
        return None
    try:
        loaded = load_limited(m.group(1).decode("utf-8-sig", "replace"))
    except (yaml.YAMLError, YamlLimitError):
        return None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        return None
    return _as_json(loaded)
