"""Bounded YAML loading for untrusted model-card front matter.

``yaml.safe_load`` refuses arbitrary Python objects but has no resource limits: an "alias bomb"
(billion laughs) builds a tiny graph that explodes when anything walks it (JSON encoding, copying,
comparisons), and a multi-megabyte document takes seconds to parse in pure Python.  This module

* caps the document size in characters before parsing (``max_chars``),
* composes the node graph first (libyaml when available, pure Python otherwise), then walks it
  counting every node *as if aliases were expanded*; the walk stops as soon as ``max_nodes`` or
  ``max_aliases`` is exceeded, so the cost is bounded by the limits, not by the expansion,
* only then constructs Python objects with PyYAML's SafeConstructor,
* converts the result into JSON-safe data (dates -> ISO strings, non-string keys -> strings,
  non-finite floats -> strings, binary -> dropped to a marker string, sets -> sorted lists).

Every failure is a :class:`YamlLimitError` or :class:`yaml.YAMLError`; callers turn them into a
``yaml_error`` string.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
from typing import Any

import yaml

__all__ = [
    "MAX_ALIASES",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_NODES",
    "YamlLimitError",
    "json_safe",
    "load_limited",
]

MAX_CHARS = 512 * 1024  # real front matter (with model-index results) stays well below this
MAX_NODES = 200_000  # nodes counted with aliases expanded
MAX_ALIASES = 1_000  # alias references (``*name``) in the document
MAX_DEPTH = 100

try:  # pragma: no cover - depends on the PyYAML build
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class YamlLimitError(ValueError):
    """The document exceeds a size, alias, node-count or nesting limit."""


def _check_graph(root: yaml.Node, max_nodes: int, max_aliases: int, max_depth: int) -> None:
    """Count nodes with aliases expanded (shared node objects are visited again), iteratively."""
    seen_ids: set[int] = set()
    aliases = 0
    count = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > max_nodes:
            raise YamlLimitError(f"YAML has more than {max_nodes} nodes once aliases are expanded")
        if depth > max_depth:
            raise YamlLimitError(f"YAML nests deeper than {max_depth} levels")
        if id(node) in seen_ids:
            aliases += 1  # a node reached a second time is an alias reference
            if aliases > max_aliases:
                raise YamlLimitError(f"YAML uses more than {max_aliases} alias references")
        else:
            seen_ids.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                stack.append((item, depth + 1))


def load_limited(
    text: str,
    *,
    max_chars: int = MAX_CHARS,
    max_nodes: int = MAX_NODES,
    max_aliases: int = MAX_ALIASES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse one YAML document safely and within limits; returns plain Python data (not JSON-safe yet).

    An empty document returns ``None``.  When the text holds several documents (a stray ``---``),
    only the first non-empty one is used, like the Hub does for ``---\\n---\\n`` headers.
    """
    if len(text) > max_chars:
        raise YamlLimitError(f"front matter is {len(text)} characters, over the {max_chars} limit")
    loader = _Loader(text)
    try:
        node = None
        # The Hub passes the block to yaml.safe_load, which errors on several documents; a leading
        # empty document ("---\n---\n...") is common and benign, so skip empty ones.
        while loader.check_node():
            node = loader.get_node()
            if node is not None and not (isinstance(node, yaml.ScalarNode) and node.value == ""):
                break
        if node is None:
            return None
        _check_graph(node, max_nodes, max_aliases, max_depth)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def json_safe(value: Any, _depth: int = 0) -> Any:
    """Copy ``value`` into JSON-serialisable data (assumes an already bounded graph)."""
    if _depth > MAX_DEPTH:
        return None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return "base64:" + base64.b64encode(value[:1024]).decode("ascii")
    if isinstance(value, dict):
        return {_key(k): json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((json_safe(v, _depth + 1) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [json_safe(v, _depth + 1) for v in value]
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (_dt.date, _dt.datetime)):
        return key.isoformat()
    return str(key)
