"""The one reading of a model card's YAML front matter, from the README itself or from the Hub's ``cardData``.

The block is located with the same pattern as ``huggingface_hub.repocard.REGEX_YAML_BLOCK`` (optional
leading whitespace, ``---`` line, lazily up to the next ``---`` line), imported from huggingface_hub so
the semantics follow the library.  The pattern is only ever matched at the start of a bounded prefix, so a
20 MB card costs no more than a small one.  Parsing goes through :func:`hubscan.parse.safe_yaml.load_limited`,
which types scalars with the YAML 1.2 core schema the Hub uses for ``cardData``.  A ``cardData`` mapping
given instead (crawl stores the Hub's) goes through the same depth limit and JSON-safe conversion, so both
starting points give the same metadata: ``license: no`` stays ``"no"``, ``1e-3`` is ``0.001``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from huggingface_hub.repocard import REGEX_YAML_BLOCK as _HUB_REGEX

from hubscan.parse.safe_yaml import MAX_CHARS, YamlLimitError, check_data, json_safe, load_limited

__all__ = ["FrontMatter", "card_data_front_matter", "decode_card", "read_front_matter", "split_front_matter"]

_OPENING = re.compile(r"\s*---[ \t]*(?:\r\n|\r|\n)")


@dataclass
class FrontMatter:
    """A card's metadata (JSON-safe mapping or None), its Markdown body, and what went wrong, if anything."""

    meta: dict | None = None
    body: str = ""
    yaml_error: str | None = None  # the README's front matter could not be used
    error: str | None = None  # the input as a whole could not be used
    flags: set[str] = field(default_factory=set)


def _looks_binary(s: str) -> bool:
    sample = s[:65536]
    bad = sum(1 for ch in sample if (ch < " " and ch not in "\t\r\n\f") or ch == "\ufffd")
    return "\x00" in sample or bad > max(16, len(sample) // 20)


def decode_card(text: str | bytes | bytearray | None) -> tuple[str, list[str]]:
    """Return (text, flags).  Bytes are UTF-8 (a BOM is dropped); undecodable bytes are replaced and
    flagged ``non_utf8``; NUL-heavy input is flagged ``binary``."""
    flags: list[str] = []
    if text is None:
        return "", flags
    if isinstance(text, (bytes, bytearray)):
        raw = bytes(text)
        try:
            s = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            s = raw.decode("utf-8", errors="replace")
            flags.append("non_utf8")
    else:
        s = str(text)
        if s.startswith("\ufeff"):
            s = s[1:]
    if s and _looks_binary(s):
        flags.append("binary")
    return s, flags


def _load_block(block: str) -> tuple[dict | None, str | None]:
    """(metadata, error) for the YAML between the ``---`` lines."""
    try:
        data = load_limited(block)
    except YamlLimitError as exc:
        return None, str(exc)
    except yaml.YAMLError as exc:
        msg = " ".join(str(exc).split())
        return None, f"invalid YAML: {msg[:300]}"
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        return None, f"invalid YAML: {type(exc).__name__}: {str(exc)[:200]}"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return None, f"front matter is a {type(data).__name__}, not a mapping"
    return json_safe(data), None


def split_front_matter(text: str | bytes | None) -> tuple[dict | None, str, str | None]:
    """Return ``(metadata, body, yaml_error)``.

    ``metadata`` is the parsed, JSON-safe front matter mapping, or ``None`` when there is none or it
    could not be used (then ``yaml_error`` says why).  ``body`` is the Markdown after the block (the whole
    text when no block was found).  Never raises.
    """
    s, _ = decode_card(text)
    if not _OPENING.match(s[:4096]):
        return None, s, None
    prefix = s[: MAX_CHARS + 4096]
    m = _HUB_REGEX.match(prefix)
    if m is None:
        if len(s) > len(prefix):
            return (
                None,
                s,
                f"front matter not closed within {MAX_CHARS} characters (too large or unterminated)",
            )
        return None, s, "front matter opened with '---' but never closed"
    meta, error = _load_block(m.group(2))
    return meta, s[m.end() :], error


def card_data_front_matter(card_data: object) -> tuple[dict | None, str | None]:
    """(metadata, error) from an already-parsed ``cardData`` mapping, within the same limits as the README."""
    if not isinstance(card_data, dict):
        return None, None
    try:
        check_data(card_data, what="card_data")
    except YamlLimitError as exc:
        return None, str(exc)
    return json_safe(card_data), None


def read_front_matter(text: str | bytes | None, card_data: object = None) -> FrontMatter:
    """The card's metadata and body: the README's own front matter, else the given ``cardData``."""
    out = FrontMatter()
    if text is not None:
        s, decode_flags = decode_card(text)
        out.flags.update(decode_flags)
        if "binary" in out.flags:
            out.error = "input looks like binary data, not a model card"
            return out
        out.meta, out.body, out.yaml_error = split_front_matter(s)
        if out.yaml_error:
            out.flags.add("yaml_error")
    if out.meta is None and card_data is not None:
        out.meta, problem = card_data_front_matter(card_data)
        if problem:
            out.error = f"card_data unusable: {problem}"
    return out
