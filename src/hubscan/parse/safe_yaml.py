"""Bounded YAML loading for untrusted model-card front matter, typed the way the Hub types it.

``yaml.safe_load`` refuses arbitrary Python objects but has no resource limits: an "alias bomb"
(billion laughs) builds a tiny graph that explodes when anything walks it (JSON encoding, copying,
comparisons), a multi-megabyte document takes seconds to parse in pure Python, and a deeply nested one
overflows the pure-Python composer's recursion.  This module

* caps the document size in characters before parsing (``max_chars``),
* streams the parser's events once and refuses nesting deeper than ``max_depth`` before anything
  recursive runs,
* composes the node graph (libyaml when available, pure Python otherwise), then walks it counting every
  node *as if aliases were expanded*; the walk stops as soon as ``max_nodes`` or ``max_aliases`` is
  exceeded, so the cost is bounded by the limits, not by the expansion,
* only then constructs Python objects with :class:`CardYamlLoader`.

Typing: front matter is typed with the YAML 1.2 core schema, as the Hub's server-side parser does, not
PyYAML's YAML 1.1 default: ``yes``/``no``/``on``/``off`` stay strings, ``1e-3`` is a float, ``24_700_000``
and ``1:30`` stay strings, ``010`` is ten, dates stay the text written, ``.inf``/``.nan`` become ``None``
(the Hub's JSON carries null).  So a README read here and the Hub's ``cardData`` of it hold the same values.

:func:`check_data` bounds already-parsed data (a ``cardData`` mapping) with the same node and depth limits, and
:func:`json_safe` converts results into JSON-safe data.  Every failure is a :class:`YamlLimitError` or
:class:`yaml.YAMLError`; callers turn them into a ``yaml_error`` string.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
import re
from typing import Any

import yaml

__all__ = [
    "MAX_ALIASES",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_NODES",
    "CardYamlLoader",
    "YamlLimitError",
    "check_data",
    "json_safe",
    "load_limited",
]

MAX_CHARS = 512 * 1024  # real front matter (with model-index results) stays well below this
MAX_NODES = 200_000  # nodes counted with aliases expanded
MAX_ALIASES = 1_000  # alias references (``*name``) in the document
MAX_DEPTH = 100  # nesting levels of mappings/sequences

try:  # pragma: no cover - depends on the PyYAML build
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader


class YamlLimitError(ValueError):
    """The document exceeds a size, alias, node-count or nesting limit."""


class CardYamlLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader with YAML 1.2 core-schema implicit typing (no 1.1 booleans, sexagesimals, timestamps)."""


# Start from a clean resolver table: a plain scalar is a string unless a core-schema rule below matches.
CardYamlLoader.yaml_implicit_resolvers = {}
_CORE_RULES: list[tuple[str, str, str]] = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]
for _tag, _pattern, _first in _CORE_RULES:
    CardYamlLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
# The empty plain scalar (``key:`` with nothing after it) is null; it has no first character.
CardYamlLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> float | None:
    text = loader.construct_scalar(node).lower()
    if text.endswith(("inf", "nan")):
        return None  # ".inf", "-.inf", ".nan": not representable in JSON, where the Hub carries null
    return float(text)


def _construct_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)


CardYamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
CardYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
# An explicit ``!!timestamp`` tag keeps the text written.
CardYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)

_OPEN_EVENTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE_EVENTS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_nesting(text: str, max_depth: int) -> None:
    """Stream the parser's events (no recursion) and refuse nesting deeper than ``max_depth``."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=CardYamlLoader):
            if isinstance(event, _OPEN_EVENTS):
                depth += 1
                if depth > max_depth:
                    raise YamlLimitError(f"YAML nests deeper than {max_depth} levels")
            elif isinstance(event, _CLOSE_EVENTS):
                depth -= 1
    except yaml.YAMLError as exc:
        # libyaml's scanner looks ahead and stops at its own nesting cap before the events get here
        if "maximum nesting depth" in str(exc):
            raise YamlLimitError(f"YAML nests deeper than {max_depth} levels") from None
        raise


def _check_graph(root: yaml.Node, max_nodes: int, max_aliases: int) -> None:
    """Count nodes with aliases expanded (shared node objects are visited again), iteratively."""
    seen_ids: set[int] = set()
    aliases = 0
    count = 0
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > max_nodes:
            raise YamlLimitError(f"YAML has more than {max_nodes} nodes once aliases are expanded")
        if id(node) in seen_ids:
            aliases += 1  # a node reached a second time is an alias reference
            if aliases > max_aliases:
                raise YamlLimitError(f"YAML uses more than {max_aliases} alias references")
        else:
            seen_ids.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _first_document(loader: yaml.SafeLoader) -> yaml.Node | None:
    """The first non-empty document's node: a leading empty document ("---\\n---\\n...") is benign."""
    node = None
    while loader.check_node():
        node = loader.get_node()
        if node is not None and not (isinstance(node, yaml.ScalarNode) and node.value == ""):
            break
    return node


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
    only the first non-empty one is used.
    """
    if len(text) > max_chars:
        raise YamlLimitError(f"front matter is {len(text)} characters, over the {max_chars} limit")
    _check_nesting(text, max_depth)
    loader = CardYamlLoader(text)
    try:
        node = _first_document(loader)
        if node is None:
            return None
        _check_graph(node, max_nodes, max_aliases)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def check_data(
    value: Any, what: str = "card data", max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH
) -> None:
    """Refuse already-parsed data (a ``cardData`` mapping) nested deeper than ``max_depth`` or holding more
    than ``max_nodes`` values once shared references are expanded.  Iterative: any depth is safe."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > max_nodes:
            raise YamlLimitError(
                f"{what} has more than {max_nodes} values once shared references are expanded"
            )
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = item
        else:
            continue
        if depth >= max_depth:
            raise YamlLimitError(f"{what} nests deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


def json_safe(value: Any, _depth: int = 0) -> Any:
    """Copy ``value`` into JSON-serialisable data (assumes an already bounded graph).

    Non-finite floats become ``None``, as in the Hub's JSON; dates become ISO strings, bytes a marker.
    """
    if _depth > MAX_DEPTH:
        return None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
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
