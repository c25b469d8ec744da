"""Split a model card into YAML front matter and Markdown body, the way the Hub does, within limits.

The block is located with the same pattern as ``huggingface_hub.repocard.REGEX_YAML_BLOCK`` (optional
leading whitespace, ``---`` line, lazily up to the next ``---`` line), imported from huggingface_hub so
the semantics follow the library.  The pattern is only ever matched at the start of a bounded prefix, so a
20 MB card costs no more than a small one.  Parsing goes through :func:`hubscan.parse.safe_yaml.load_limited`.
"""

from __future__ import annotations

import re

import yaml

from hubscan.parse.safe_yaml import MAX_CHARS, YamlLimitError, json_safe, load_limited

__all__ = ["decode_card", "split_front_matter"]

try:
    from huggingface_hub.repocard import REGEX_YAML_BLOCK as _HUB_REGEX
except Exception:  # pragma: no cover - fall back to the documented pattern
    _HUB_REGEX = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")

_OPENING = re.compile(r"\s*---[ \t]*(?:\r\n|\r|\n)")


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
    if s:
        sample = s[:65536]
        bad = sum(1 for ch in sample if (ch < " " and ch not in "\t\r\n\f") or ch == "\ufffd")
        if "\x00" in sample or bad > max(16, len(sample) // 20):
            flags.append("binary")
    return s, flags


def split_front_matter(text: str | bytes | None) -> tuple[dict | None, str, str | None]:
    """Return ``(metadata, body, yaml_error)``.

    ``metadata`` is the parsed, JSON-safe front matter mapping, or ``None`` when there is none or it
    could not be used (then ``yaml_error`` says why).  ``body`` is the Markdown after the block (the whole
    text when no block was found).  Never raises.
    """
    try:
        s, _ = decode_card(text)
    except Exception as exc:  # pragma: no cover - defensive
        return None, "", f"could not decode card: {exc}"
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
    block = m.group(2)
    body = s[m.end() :]
    try:
        data = load_limited(block)
    except YamlLimitError as exc:
        return None, body, str(exc)
    except yaml.YAMLError as exc:
        msg = " ".join(str(exc).split())
        return None, body, f"invalid YAML: {msg[:300]}"
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        return None, body, f"invalid YAML: {type(exc).__name__}: {str(exc)[:200]}"
    if data is None:
        return {}, body, None
    if not isinstance(data, dict):
        return None, body, f"front matter is a {type(data).__name__}, not a mapping"
    try:
        return json_safe(data), body, None
    except Exception as exc:  # pragma: no cover - defensive
        return None, body, f"front matter could not be converted: {exc}"
