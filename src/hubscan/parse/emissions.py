"""Unit grammar for reported CO2 figures and durations.

Pure functions, no I/O.  :func:`parse_quantity` reads the first emissions quantity in a short text
("~45 kg CO2eq", "0.21 in grams of CO2", "**11,390** tons CO2eq", "18t CO2eq", "24_700_000") and says
what it could not use (a range, a figure without unit).  :func:`parse_hours` reads a duration in hours.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

__all__ = [
    "UNIT_GRAMS",
    "Quantity",
    "clean_inline",
    "is_placeholder",
    "iter_quantities",
    "parse_hours",
    "parse_number",
    "parse_quantity",
    "unit_from_label",
]

# Mass units -> grams.  "ton(s)" is read as the metric tonne (what ML cards mean by it).
UNIT_GRAMS: dict[str, float] = {"g": 1.0, "kg": 1e3, "t": 1e6, "kt": 1e9, "lb": 453.59237}

_UNIT_WORDS: list[tuple[str, str]] = [
    (r"metric\s+tons?|metric\s+tonnes?|tonnes?|tons?|t", "t"),
    (r"kilo\s?tonnes?|kt", "kt"),
    (r"kilo\s?grams?|kilos?|kgs?", "kg"),
    (r"grams?|gr|g", "g"),
    (r"pounds?|lbs?", "lb"),
]
_UNIT_ALT = "|".join(f"(?:{w})" for w, _ in sorted(_UNIT_WORDS, key=lambda p: -len(p[0])))
# a CO2 tail: "CO2", "CO2eq", "CO2 eq.", "CO₂e", "of CO2", "carbon dioxide equivalent"
_CO2 = r"(?:co2|co₂|co 2|carbon(?:\s+dioxide)?|ghg)"
_CO2_TAIL = rf"(?:\s*(?:of\s+)?{_CO2}(?:[\s-]*(?:eq(?:uivalents?)?|e)\b\.?)?)"
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:_\d+)+(?:\.\d+)?|\d+,\d{1,2}(?![\d,])|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"
_APPROX = r"(?P<approx>~|≈|∼|≃|\+/-|about|approx(?:\.|imately)?|around|roughly|circa|ca\.|almost|nearly|estimated\s+at|est\.)"
_BOUND = r"(?P<bound><=?|≤|>=?|≥|less\s+than|under|below|more\s+than|over|above|up\s+to|at\s+most|at\s+least)"

_QTY = re.compile(
    rf"(?:{_APPROX}\s*|{_BOUND}\s*)?"
    rf"(?<![\w.])(?P<num>{_NUM})"
    rf"(?:\s*(?:-|–|—|to|and)\s*(?P<num2>{_NUM}))?"
    rf"(?:\s*(?:in\s+)?(?P<unit>{_UNIT_ALT})(?=co2|co₂|[^a-z0-9]|$)(?P<tail>{_CO2_TAIL})?)?",
    re.IGNORECASE,
)
_RANGE_BETWEEN = re.compile(rf"between\s+({_NUM})\s*\S{{0,8}}\s+and\s+({_NUM})", re.IGNORECASE)
_PER = re.compile(r"^\s*(?:/|per\b)", re.IGNORECASE)

_PLACEHOLDER = re.compile(
    r"^\s*(?:\[?\s*more\s+information\s+needed[^\]]*\]?|\[?\s*more\s+info(?:rmation)?\s+needed\s*\]?|"
    r"n/?a|none|null|nil|unknown|not\s+(?:available|applicable|known|specified|reported|provided|measured)|"
    r"tbd|tba|to\s+be\s+(?:determined|added|announced|confirmed)|todo|-+|—|–|\?+|\.\.\.|…|"
    r"\{\{.*|\[.*\bneeded\b.*\]|\[optional\])\s*\.?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def is_placeholder(value: object) -> bool:
    """True for empty values and template fillers ("[More Information Needed]", "N/A", "{{ x }}", "-")."""
    if value is None:
        return True
    s = clean_inline(str(value)).strip()
    return not s or bool(_PLACEHOLDER.match(s))


_TAG = re.compile(r"<[^>]{0,200}>")
_LINK = re.compile(r"\[([^\]]{0,300})\]\([^)\s]{0,500}(?:\s+\"[^\"]*\")?\)")
_URL = re.compile(r"https?://\S+")


def clean_inline(s: str) -> str:
    """Drop Markdown emphasis, inline HTML tags, link targets and URLs; keep the words."""
    s = _LINK.sub(r"\1", s)
    s = _URL.sub(" ", s)
    s = _TAG.sub("", s)
    s = s.replace("**", "").replace("__", "").replace("`", "")
    s = s.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    return s


def parse_number(s: str) -> float | None:
    """'11,390' -> 11390, '24_700_000' -> 24700000, '1.5e3' -> 1500."""
    t = s.strip().replace("_", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:[eE][-+]?\d+)?", t):
        t = t.replace(",", "")
    elif re.fullmatch(r"\d+,\d{1,2}", t):  # decimal comma: "0,5 kg"
        t = t.replace(",", ".")
    try:
        v = float(t)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _canon_unit(word: str) -> str | None:
    w = re.sub(r"\s+", " ", word.strip().lower())
    for pattern, canon in _UNIT_WORDS:
        if re.fullmatch(pattern, w, re.IGNORECASE):
            return canon
    return None


def unit_from_label(label: str) -> tuple[str | None, str | None]:
    """Unit stated in a field label: "CO2 Emissions (in grams)" -> ("g", "in grams"),
    "Carbon Emitted (tCO2eq)" -> ("t", "tCO2eq")."""
    for m in re.finditer(r"\(([^()]{0,60})\)|\bin\s+(\w+)", label, re.IGNORECASE):
        inner = (m.group(1) or m.group(2) or "").strip()
        um = re.match(
            rf"^(?:in\s+)?({_UNIT_ALT})(?=co2|co₂|[^a-z0-9]|$){_CO2_TAIL}?\s*$", inner, re.IGNORECASE
        )
        if um:
            return _canon_unit(um.group(1)), inner
    return None, None


@dataclass
class Quantity:
    """One figure read from text.  ``grams`` is None when the figure is unusable (range, no unit)."""

    value: float | None = None  # number as written
    unit: str | None = None  # canonical unit: g, kg, t, kt, lb
    unit_raw: str | None = None  # unit as written, with its CO2 tail
    grams: float | None = None
    raw: str = ""
    flags: set[str] = field(default_factory=set)
    decimals: int = 0  # digits after the decimal point as written
    has_co2: bool = False


def _from_match(
    m: re.Match,
    s: str,
    between: re.Match | None,
    default_unit: str | None,
    unit_raw_default: str | None,
    require_unit: bool,
) -> Quantity | None:
    rest = s[m.end() : m.end() + 40]
    if m.group("unit") and _PER.match(rest):
        return None  # 430 gCO2eq/kWh is an intensity, not an amount
    if not m.group("unit"):
        if require_unit:
            return None
        if re.match(
            r"^\s*(?:%|w\b|kw|wh|kwh|mwh|gb|mb|tb|gpu|tpu|hours?|h\b|min|s\b|x\b|×|b\b|m\b|params?)",
            rest,
            re.IGNORECASE,
        ):
            return None
    num = m.group("num")
    value = parse_number(num)
    if value is None:
        return None
    q = Quantity(value=value, raw=m.group(0).strip())
    mant = re.split(r"[eE]", num)[0]
    q.decimals = len(mant.split(".", 1)[1]) if "." in mant else 0
    if m.group("approx"):
        q.flags.add("approximate")
    if m.group("bound"):
        q.flags.add("bound")
    if m.group("num2") is not None or (between is not None and between.start() <= m.start() < between.end()):
        q.flags.add("range")
    if m.group("unit"):
        q.unit = _canon_unit(m.group("unit"))
        q.unit_raw = (m.group("unit") + (m.group("tail") or "")).strip()
        q.has_co2 = bool(m.group("tail"))
    elif default_unit:
        q.unit = default_unit
        q.unit_raw = unit_raw_default
    else:
        q.flags.add("unitless")
    if q.unit and "range" not in q.flags:
        q.grams = value * UNIT_GRAMS[q.unit]
    return q


def parse_quantity(
    text: str,
    *,
    default_unit: str | None = None,
    unit_raw_default: str | None = None,
    require_unit: bool = False,
) -> Quantity | None:
    """First emissions quantity in ``text``.

    ``default_unit`` applies when the figure has no unit of its own (YAML grams, a labelled column);
    without it a bare figure comes back with ``grams=None`` and the ``unitless`` flag.  Figures followed
    by "/kWh" or "per ..." (intensities) are skipped.  ``require_unit`` skips unitless figures entirely.
    """
    found = iter_quantities(
        text, default_unit=default_unit, unit_raw_default=unit_raw_default, require_unit=require_unit, limit=1
    )
    return found[0][1] if found else None


def iter_quantities(
    text: str,
    *,
    default_unit: str | None = None,
    unit_raw_default: str | None = None,
    require_unit: bool = True,
    limit: int = 50,
) -> list[tuple[int, Quantity]]:
    """Quantities in ``text`` (after :func:`clean_inline`), with their offsets in the cleaned text."""
    s = clean_inline(text)
    between = _RANGE_BETWEEN.search(s)
    out: list[tuple[int, Quantity]] = []
    for m in _QTY.finditer(s):
        q = _from_match(m, s, between, default_unit, unit_raw_default, require_unit)
        if q is not None:
            out.append((m.start(), q))
            if len(out) >= limit:
                break
    return out


_DUR = re.compile(
    r"(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
    r"(?P<u>days?|d|hours?|hrs?|hr|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])",
    re.IGNORECASE,
)
_DUR_FACTOR = {"d": 24.0, "h": 1.0, "m": 1 / 60, "s": 1 / 3600}


def parse_hours(text: str | float | int | None) -> tuple[float | None, set[str]]:
    """Duration in hours: '~5 hours', '6h 25m 57s', '3 hours and 26 minutes', '0:31 Hours', '24',
    '61,440 hours for ...'.  Ranges ('8-12 hours') give None with the ``range`` flag."""
    flags: set[str] = set()
    if text is None or isinstance(text, bool):
        return None, flags
    if isinstance(text, (int, float)):
        return (float(text) if math.isfinite(text) and text >= 0 else None), flags
    s = clean_inline(str(text)).strip()
    if is_placeholder(s):
        return None, flags
    if re.search(r"[~≈∼]|\b(?:about|approx|around|roughly|circa)\b", s, re.IGNORECASE):
        flags.add("approximate")
    if re.search(r"\d\s*(?:-|–|to)\s*\d+(?:\.\d+)?\s*(?:hours?|hrs?|h\b|days?|min)", s, re.IGNORECASE):
        flags.add("range")
        return None, flags
    m = re.search(r"(?<![\d.])(\d{1,4}):([0-5]\d)(?::([0-5]\d))?(?![\d:])", s)
    if m:
        return int(m.group(1)) + int(m.group(2)) / 60 + int(m.group(3) or 0) / 3600, flags
    lead = re.match(
        r"^[~≈∼]?\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d.,]|\s*[a-z:%])", s, re.IGNORECASE
    )
    if lead:
        return parse_number(lead.group(1)), flags
    total = None
    last_end = None
    for dm in _DUR.finditer(s):
        if last_end is not None and not re.fullmatch(r"[\s,]*(?:and)?[\s,]*", s[last_end : dm.start()]):
            break
        v = parse_number(dm.group("n"))
        if v is None:
            break
        total = (total or 0.0) + v * _DUR_FACTOR[dm.group("u")[0].lower()]
        last_end = dm.end()
    return total, flags
