"""Model-card analyser: what a README says about its model's training emissions.

``analyze_card(text)`` is pure and network-free.  It reads the YAML front matter (``co2_eq_emissions``
as the Hub specifies it: grams of CO2eq, a number or a mapping with ``emissions``, ``source``,
``training_type``, ``geographical_location``, ``hardware_used``) and the Markdown body (the model-card
template's "Environmental Impact" block, AutoTrain's "CO2 Emissions (in grams)" line, sentences, tables),
and returns one JSON-serialisable record.  See ``docs/CARDS.md`` for the rules, flags and the
reporting-completeness classes, and :mod:`hubscan.parse.prose` for the prose rules.

Precedence: a usable YAML value wins (it is grams by the spec, even when the prose suggests the author meant
kg - then ``unit_suspect``/``yaml_prose_conflict`` are raised); otherwise the best prose figure: not
market-based, not a base model's, a stated total before a single field line before a sentence before a
table row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from hubscan.parse.emissions import UNIT_GRAMS, Quantity, is_placeholder, parse_hours, parse_quantity
from hubscan.parse.frontmatter import read_front_matter, split_front_matter
from hubscan.parse.prose import Candidate, ProseResult, scan_body
from hubscan.parse.safe_yaml import json_safe
from hubscan.reference.resolve import resolve_hardware, resolve_location

__all__ = [
    "ANALYZER_VERSION",
    "COMPLETENESS_CLASSES",
    "GRAMS_PER_DEVICE_HOUR",
    "MAX_BODY_CHARS",
    "analyze_card",
    "completeness_class",
    "split_front_matter",
]

ANALYZER_VERSION = "1"
MAX_BODY_CHARS = 256 * 1024  # prose beyond this is not read (flag "truncated")
MAX_BODY_LINES = 10_000  # nor beyond this many lines (real cards have a few hundred to a few thousand)
COMPLETENESS_CLASSES = ("none", "template_only", "emissions_only", "emissions_context", "complete")
# Plausible training emissions per device-hour: a ~15 W accelerator on a near-carbon-free grid emits about
# 0.3 g/h; a 1 kW accelerator at PUE 2 on a 1.2 kg/kWh grid about 2.4 kg/h.  Outside these -> unit_suspect.
GRAMS_PER_DEVICE_HOUR = (0.1, 5000.0)

_FIELDS = ("source", "training_type", "location", "hardware", "hours", "cloud_provider", "compute_region")
_YAML_KEYS: dict[str, tuple[str, ...]] = {
    "source": ("source", "emissions_source", "method"),
    "training_type": ("training_type", "type"),
    "location": ("geographical_location", "location", "geo_location", "country"),
    "hardware": ("hardware_used", "hardware", "hardware_type", "gpu"),
    "hours": ("hours_used", "training_hours", "hours", "training_time", "duration_hours", "time"),
    "cloud_provider": ("cloud_provider", "provider", "cloud"),
    "compute_region": ("compute_region", "region", "cloud_region"),
}
_EMISSION_YAML_KEYS = ("emissions", "emission", "co2_eq_emissions", "co2", "value", "total", "emissions_g")


def _empty() -> dict[str, Any]:
    return {
        "emissions_g": None,
        "raw": None,
        "unit_raw": None,
        "found_in": None,
        "confidence": None,
        "source": None,
        "training_type": None,
        "location": None,
        "hardware": None,
        "hours": None,
        "cloud_provider": None,
        "compute_region": None,
        "provenance": {},
        "hardware_parsed": None,
        "location_parsed": None,
        "market_based_g": None,
        "flags": [],
        "completeness": "none",
        "yaml_error": None,
        "error": None,
        "card_data": None,
        "analyzer_version": ANALYZER_VERSION,
    }


def analyze_card(text: str | bytes | None = None, *, card_data: dict | None = None) -> dict:
    """Analyse one model card (README text or bytes) and/or its already-parsed ``cardData``. Never raises."""
    try:
        return _analyze(text, card_data)
    except Exception as exc:  # pragma: no cover - last-resort guard; the record says what happened
        rec = _empty()
        rec["error"] = f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
        rec["flags"] = ["error"]
        return rec


def _norm_key(k: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(k).strip().lower())


def _yaml_part(meta: dict | None) -> tuple[Quantity | None, dict[str, Any], set[str], bool]:
    """(emissions quantity, fields, flags, co2 key present) from front matter."""
    fields: dict[str, Any] = {}
    flags: set[str] = set()
    if not isinstance(meta, dict):
        return None, fields, flags, False
    co2 = None
    present = False
    for k, v in meta.items():
        if _norm_key(k) in ("co2_eq_emissions", "co2_emissions", "co2eq_emissions"):
            co2, present = v, True
            break
    if isinstance(co2, list):
        dicts = [x for x in co2 if x is not None]
        if len(dicts) > 1:
            flags.add("multiple_values")
        co2 = dicts[0] if dicts else None
    value: Any = None
    if isinstance(co2, dict):
        norm = {_norm_key(k): v for k, v in co2.items()}
        for k in _EMISSION_YAML_KEYS:
            if k in norm:
                value = norm[k]
                break
        for name, keys in _YAML_KEYS.items():
            for k in keys:
                if k in norm and not is_placeholder(norm[k]):
                    v = norm[k]
                    fields[name] = (
                        v
                        if isinstance(v, (int, float)) and not isinstance(v, bool)
                        else " ".join(str(v).split())
                    )
                    break
    else:
        value = co2
    q = _yaml_quantity(value, flags)
    return q, fields, flags, present


def _yaml_quantity(value: Any, flags: set[str]) -> Quantity | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)):
            flags.add("unparsed_yaml_emissions")
            return None
        text = repr(value) if isinstance(value, float) else str(value)
        q = Quantity(value=float(value), unit="g", unit_raw=None, grams=float(value), raw=text)
        q.decimals = len(text.split(".", 1)[1]) if "." in text and "e" not in text.lower() else 0
        return q
    if isinstance(value, dict):
        flags.add("unparsed_yaml_emissions")
        return None
    s = str(value)
    if is_placeholder(s):
        return None
    q = parse_quantity(s, default_unit="g", unit_raw_default=None)
    if q is None:
        flags.add("unparsed_yaml_emissions")
        return None
    q.raw = s.strip()[:200]
    return q


def _agree(a: float, b: Quantity) -> bool:
    """Does YAML grams ``a`` agree with prose figure ``b`` (allowing the prose's rounding)?"""
    if b.grams is None:
        return False
    g = b.grams
    tol = max(abs(a), abs(g)) * 0.005
    if b.unit:
        tol = max(tol, 0.5 * 10 ** (-b.decimals) * UNIT_GRAMS[b.unit] * 1.0001)
    return abs(a - g) <= tol


_KIND_RANK = {"table-total": 0, "field": 1, "sentence": 2, "table-row": 3}


def _pick_prose(cands: list[Candidate], flags: set[str]) -> tuple[Candidate | None, float | None]:
    """Best prose candidate with usable grams, and the market-based figure if any."""
    market = [c for c in cands if c.market and c.q.grams is not None]
    market_g = market[0].q.grams if market else None
    if market:
        flags.add("market_based")
    own = [c for c in cands if not c.market]
    if any(c.inherited for c in own):
        inherited = [c for c in own if c.inherited]
        own = [c for c in own if not c.inherited]
        if inherited and not [c for c in own if c.q.grams is not None]:
            flags.add("inherited")
    usable = [c for c in own if c.q.grams is not None]
    if not usable:
        for c in own:
            flags.update(c.q.flags & {"unitless", "range"})
        return None, market_g
    totals = [c for c in usable if c.total]
    pool = totals or usable
    pool.sort(key=lambda c: (not c.env, _KIND_RANK.get(c.kind, 9), c.line))
    best = pool[0]
    rows = [c for c in pool if c.kind == "table-row"]
    if best.kind == "table-row" and len({c.q.grams for c in rows}) > 1:
        flags.add("multiple_values")
        return None, market_g
    distinct = {round(c.q.grams, 6) for c in pool if c.kind != "table-row"}
    if len(distinct) > 1 and not totals:
        flags.add("multiple_values")
    return best, market_g


def _device_count(hardware: str | None, parsed: dict | None) -> int | None:
    if isinstance(parsed, dict):
        n = parsed.get("count")
        if isinstance(n, (int, float)) and n > 0:
            return int(n)
    if not hardware:
        return None
    m = re.search(r"\b(\d{1,5})\s*(?:x|×)\s*\w", hardware, re.IGNORECASE) or re.search(
        r"\b(\d{1,5})\s+(?:[\w-]+\s+){0,3}(?:gpus?|tpus?|cards?|devices?|accelerators?)\b",
        hardware,
        re.IGNORECASE,
    )
    if m:
        return int(m.group(1))
    if re.search(r"gpu|tpu|a100|h100|v100|p100|t4|a10|l4|rtx|tesla|nvidia|cpu", hardware, re.IGNORECASE):
        return 1
    return None


def completeness_class(rec: dict) -> str:
    """The fixed reporting-completeness rule (see docs/CARDS.md)."""
    if rec.get("emissions_g") is None:
        return "template_only" if rec.get("_env_present") else "none"
    ctx = [
        rec.get("source"),
        rec.get("training_type"),
        rec.get("location") or rec.get("compute_region"),
        rec.get("hardware"),
    ]
    have = sum(1 for v in ctx if v not in (None, ""))
    if have == 4:
        return "complete"
    return "emissions_context" if have else "emissions_only"


@dataclass
class _Work:
    """State carried between the stages of one analysis."""

    rec: dict[str, Any]
    flags: set[str] = field(default_factory=set)
    prov: dict[str, str] = field(default_factory=dict)  # field name -> "yaml" | "prose:<slug>"
    hours_flags: set[str] = field(default_factory=set)


def _analyze(text: str | bytes | None, card_data: dict | None) -> dict:
    w = _Work(rec=_empty())
    fm = read_front_matter(text, card_data)
    w.flags.update(fm.flags)
    w.rec.update(yaml_error=fm.yaml_error, error=fm.error, card_data=fm.meta)
    if "binary" in fm.flags:
        w.rec["flags"] = sorted(w.flags)
        return w.rec
    body = _bounded_body(fm.body, w.flags)

    yq, yfields, yflags, co2_present = _yaml_part(fm.meta)
    w.flags.update(yflags)
    prose = _scan_prose(body, w.flags)
    pflags: set[str] = set()
    best, w.rec["market_based_g"] = _pick_prose(prose.candidates, pflags)

    _merge_fields(w, yfields, prose)
    _read_hours(w)
    yaml_usable = yq is not None and yq.grams is not None
    if yaml_usable:
        _emissions_from_yaml(w, yq, best)
    else:
        _emissions_from_prose(w, yq, best, prose, pflags)
    w.flags.update(pflags if not yaml_usable else (pflags & {"market_based"}))
    if w.rec["emissions_g"] is not None:
        w.flags.discard("unitless")
        w.flags.discard("range")
    _resolve_context(w.rec)
    _check_plausibility(w)
    return _finish(w, prose.env_present or prose.template_unfilled or co2_present)


def _bounded_body(body: str, flags: set[str]) -> str:
    """The body cut to ``MAX_BODY_CHARS`` characters and ``MAX_BODY_LINES`` lines (flag ``truncated``)."""
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS]
        flags.add("truncated")
    cut = -1
    for _ in range(MAX_BODY_LINES):
        cut = body.find("\n", cut + 1)
        if cut < 0:
            break
    if cut >= 0 and body.find("\n", cut + 1) >= 0:
        body = body[:cut]
        flags.add("truncated")
    return body


def _scan_prose(body: str, flags: set[str]) -> ProseResult:
    prose = scan_body(body) if body else ProseResult()
    flags.update(prose.flags)
    if prose.unrendered:
        flags.add("unrendered_template")
    if prose.commented_template:
        flags.add("commented_out")
    if prose.template_unfilled:
        flags.add("template_unfilled")
    return prose


def _merge_fields(w: _Work, yfields: dict[str, Any], prose: ProseResult) -> None:
    """Context fields: the YAML's first, then the prose's."""
    for name in _FIELDS:
        if name in yfields:
            w.rec[name] = yfields[name]
            w.prov[name] = "yaml"
        elif name in prose.fields:
            w.rec[name], w.prov[name] = prose.fields[name]


_MENTIONS_HOURS = re.compile(r"\d\s*(?:hours?|hrs?|h)\b", re.IGNORECASE)
_HOURS_IN_TEXT = re.compile(
    r"(?:[~≈]\s*|about\s+|approx\.?\s+)?\d[\d.,]*\s*(?:hours?|hrs?|h)\b", re.IGNORECASE
)


def _read_hours(w: _Work) -> None:
    """``hours`` as a number; when no hours field exists, from the hardware or source text
    ("P100 for about 1.5 hours")."""
    rec = w.rec
    hours_val, w.hours_flags = parse_hours(rec["hours"]) if rec["hours"] is not None else (None, set())
    if hours_val is None and rec["hours"] is None:
        for name in ("hardware", "source"):
            v = rec.get(name)
            m = _HOURS_IN_TEXT.search(v) if isinstance(v, str) and _MENTIONS_HOURS.search(v) else None
            if m is None:
                continue
            hours_val, w.hours_flags = parse_hours(m.group(0))
            if hours_val is not None:
                w.prov["hours"] = w.prov[name]
                break
    rec["hours"] = hours_val
    if hours_val is None:
        w.prov.pop("hours", None)


def _emissions_from_yaml(w: _Work, yq: Quantity, best: Candidate | None) -> None:
    """A usable YAML figure wins; the prose only confirms it or lowers the confidence."""
    w.rec.update(emissions_g=yq.grams, raw=yq.raw, unit_raw=yq.unit_raw, found_in="yaml")
    w.flags.update(yq.flags & {"approximate", "bound"})
    confidence = "high" if yq.unit_raw is None else "medium"
    if best is not None:
        if _agree(yq.grams, best.q):
            confidence = "high"
        else:
            w.flags.add("yaml_prose_conflict")
            confidence = "low"
            # the YAML number equals the prose figure's number in a bigger unit: grams vs kg mix-up
            if (
                best.q.unit != "g"
                and best.q.value is not None
                and yq.unit_raw is None
                and abs(yq.value - best.q.value) <= 0.005 * max(abs(best.q.value), 1e-12)
            ):
                w.flags.add("unit_suspect")
    w.rec["confidence"] = confidence


def _emissions_from_prose(
    w: _Work, yq: Quantity | None, best: Candidate | None, prose: ProseResult, pflags: set[str]
) -> None:
    """No usable YAML figure: the best prose figure, else the unusable figure that was seen."""
    rec = w.rec
    if yq is not None:  # YAML figure present but unusable (range)
        w.flags.update(yq.flags & {"range", "unitless"})
        rec["raw"] = yq.raw
        rec["found_in"] = "yaml"
    if best is not None:
        q = best.q
        rec.update(emissions_g=q.grams, raw=q.raw, unit_raw=q.unit_raw, found_in=f"prose:{best.section}")
        w.flags.update(q.flags & {"approximate", "bound"})
        rec["confidence"] = _prose_confidence(best, pflags)
    elif rec["raw"] is None:
        _note_unusable_figure(w, prose, pflags)


def _prose_confidence(best: Candidate, pflags: set[str]) -> str:
    q = best.q
    conf = "high" if best.kind in ("field", "table-total") and (q.unit_raw or "") else "medium"
    if best.kind == "sentence" and best.total and q.has_co2:
        conf = "high"
    if q.flags & {"approximate", "bound"} and conf == "high":
        conf = "medium"
    if "multiple_values" in pflags:
        conf = "low"
    return conf


def _note_unusable_figure(w: _Work, prose: ProseResult, pflags: set[str]) -> None:
    """No figure to report: keep the raw text of a unitless/range figure, or of the base model's."""
    rec = w.rec
    unusable = [c for c in prose.candidates if c.q.grams is None and not c.market]
    if unusable:
        rec["raw"] = unusable[0].q.raw
        rec["found_in"] = f"prose:{unusable[0].section}"
        w.flags.update(unusable[0].q.flags & {"unitless", "range"})
    elif "inherited" in pflags:
        inh = [c for c in prose.candidates if c.inherited]
        rec["raw"] = inh[0].q.raw
        rec["unit_raw"] = inh[0].q.unit_raw
        rec["found_in"] = f"prose:{inh[0].section}"


def _resolve_context(rec: dict[str, Any]) -> None:
    """``hardware_parsed`` and ``location_parsed`` from the reference tables."""
    if isinstance(rec["hardware"], str):
        try:
            rec["hardware_parsed"] = json_safe(resolve_hardware(rec["hardware"]))
        except Exception:  # the resolver is best-effort on free text
            rec["hardware_parsed"] = None
    for name in ("location", "compute_region"):
        v = rec.get(name)
        if not (isinstance(v, str) and v):
            continue
        try:
            parsed = resolve_location(v)
        except Exception:  # the resolver is best-effort on free text
            parsed = None
        if parsed:
            rec["location_parsed"] = json_safe(parsed)
            break


def _check_plausibility(w: _Work) -> None:
    """Grams per device-hour outside ``GRAMS_PER_DEVICE_HOUR`` -> ``unit_suspect``."""
    rec = w.rec
    if rec["emissions_g"] is None or not rec["hours"]:
        return
    n = _device_count(rec["hardware"] if isinstance(rec["hardware"], str) else None, rec["hardware_parsed"])
    if not n:
        return
    per = rec["emissions_g"] / (rec["hours"] * n)
    lo, hi = GRAMS_PER_DEVICE_HOUR
    if per < lo or per > hi:
        w.flags.add("unit_suspect")
        if rec["confidence"] == "high":
            rec["confidence"] = "medium"


def _finish(w: _Work, env_present: bool) -> dict:
    rec = w.rec
    if rec["hours"] is None and "range" in w.hours_flags:
        w.flags.add("hours_range")
    for name in _FIELDS:
        if rec[name] is not None:
            rec["provenance"][name] = w.prov.get(name, "yaml")
    rec["flags"] = sorted(w.flags)
    rec["_env_present"] = env_present
    rec["completeness"] = completeness_class(rec)
    del rec["_env_present"]
    return rec
