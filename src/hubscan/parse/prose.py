"""Find reported emissions and their context in a model card's Markdown body.

General rules, no per-card cases:

* **Cleaning** - HTML comments (``<!-- -->``, also an unclosed one) and fenced code blocks are blanked
  (line numbers kept); emphasis, tags, link targets and URLs are dropped from each line.
* **Sections** - ATX (``#``) and setext headings; a heading whose title mentions environmental impact,
  carbon, emissions, CO2, energy or footprint makes an *environmental section*.  ``found_in`` is
  ``prose:<slug>`` of the nearest heading (``environmental-impact`` for any "Environmental Impact ..." title,
  ``body`` before the first heading).
* **Field lines** - ``Key: value`` lines (bullets, bold keys, two-cell table rows): "Carbon Emitted",
  "CO2 Emissions (in grams)", "Emissions", "Hardware Type", "Hours used", "Cloud Provider", "Compute Region",
  ... A unit in the key's parenthesis ("(in grams)") applies to a bare value.  Context fields (hardware,
  hours, provider, region, location, source, training type) are read only inside environmental sections or
  next to an emissions line.
* **Sentences** - outside field lines, a sentence mentioning emissions/CO2/carbon/greenhouse gas with a mass
  figure (g, kg, t/tons, lb, with or without a CO2 tail) gives a candidate.  "market-based" figures are
  kept apart, "total"/"overall"/"cumulative" marks a total.
* **Tables** - a Markdown table with an emissions column (unit from the header) gives one candidate per row;
  a row labelled "Total" wins; without one, several different rows make the figure ambiguous.
* **Inherited figures** - a figure whose sentence/label speaks of the base/original/parent model, or a
  section with several labelled "... Emissions" blocks whose last block says the card's own figure is still
  to be determined, is the base model's figure (flag ``inherited``), not this card's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from hubscan.parse.emissions import (
    Quantity,
    clean_inline,
    is_placeholder,
    iter_quantities,
    parse_quantity,
    unit_from_label,
)

__all__ = ["Candidate", "ProseResult", "scan_body", "slugify"]

_ENV_HEADING = re.compile(
    r"environmental\s+impact|carbon|emission|co2|co₂|energy|footprint|sustainab|climate\s+impact",
    re.IGNORECASE,
)
_EMISSION_WORD = re.compile(r"emission|emitted|co2|co₂|carbon|greenhouse|\bghg\b|footprint", re.IGNORECASE)
_EMISSION_KEY = re.compile(
    r"emitted|emissions?\b|\bco2|co₂|carbon\s+footprint|greenhouse|\bghg\b", re.IGNORECASE
)
_NOT_EMISSION_KEY = re.compile(
    r"intensity|factor|per\s+kwh|track|source|method|calculat|offset|energy|power|reduc|saving|optimi[sz]|"
    r"consumption|considerations?|impact\s+calculator",
    re.IGNORECASE,
)
_FIELD_KEYS: list[tuple[str, re.Pattern]] = [
    ("training_type", re.compile(r"^training\s+type$", re.IGNORECASE)),
    ("compute_region", re.compile(r"\b(?:compute|cloud)\s+region\b|^region$", re.IGNORECASE)),
    (
        "location",
        re.compile(
            r"geographical\s+location|^location$|^country$|^(?:training\s+)?location\b", re.IGNORECASE
        ),
    ),
    (
        "cloud_provider",
        re.compile(r"^(?:cloud(?:\s+provider)?|provider|cloud\s+platform|platform)$", re.IGNORECASE),
    ),
    (
        "hours",
        re.compile(
            r"^(?:hours(?:\s+used)?|training\s+(?:time|duration|hours)|(?:total\s+)?run\s?time|"
            r"compute\s+time|(?:total\s+)?gpu[\s-]hours|duration|time)$",
            re.IGNORECASE,
        ),
    ),
    (
        "hardware",
        re.compile(
            r"^(?:hardware(?:\s+(?:type|used))?|gpus?(?:\s+type)?|accelerators?|devices?)$", re.IGNORECASE
        ),
    ),
    (
        "source",
        re.compile(
            r"^(?:emissions?\s+)?(?:source|estimation\s+method|measurement(?:\s+method)?|"
            r"methodology|method|tracking\s+tool|tool)$",
            re.IGNORECASE,
        ),
    ),
]
_TEMPLATE_KEYS = re.compile(
    r"^(?:hardware\s+type|hours\s+used|cloud\s+provider|compute\s+region|carbon\s+emitted)$", re.IGNORECASE
)
_TOTAL = re.compile(r"\b(?:total|overall|cumulative|altogether|in\s+all|combined)\b", re.IGNORECASE)
_MARKET = re.compile(r"market[\s-]based", re.IGNORECASE)
_INHERITED = re.compile(
    r"\b(?:base|original|parent|upstream|foundation)\s+model|\binherit|\bfrom\s+the\s+(?:base|original)\b",
    re.IGNORECASE,
)
_TBD = re.compile(
    r"to\s+be\s+(?:determined|calculated|estimated|measured|announced|added)|\btbd\b|not\s+(?:yet\s+)?"
    r"(?:been\s+)?(?:determined|calculated|estimated|measured|known)|will\s+be\s+(?:added|reported|updated|published)",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
_KEYLINE = re.compile(r"^(?P<key>[^\W\d_][^:|]{0,150}?)\s*[:：]+\s*(?P<val>.*)$")
_BOLD_ONLY = re.compile(r"^\s*(?:\*\*[^*]+\*\*\s*)+:?\s*$|^\s*(?:__[^_]+__\s*)+:?\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
# Jinja left unrendered: "{{ co2_emitted | default(...) }}" (possibly cut off), "{% if x %}"; BibTeX's
# "{{Title}}" has no inner spaces and is not matched.
_JINJA = re.compile(r"\{\{\s+[a-z_][a-z0-9_.]*\s*(?:\|[^\n]*?)?(?:\}\}|$)|\{%\s.*?%\}", re.MULTILINE)


def slugify(title: str) -> str:
    t = clean_inline(title).lower()
    if re.search(r"environmental\s+impact", t):
        return "environmental-impact"
    t = re.sub(r"[^\w]+", "-", t, flags=re.UNICODE).strip("-_")
    return t[:60].strip("-") or "section"


@dataclass
class Candidate:
    q: Quantity
    line: int
    section: str
    kind: str  # "field" | "sentence" | "table-total" | "table-row"
    total: bool = False
    market: bool = False
    inherited: bool = False
    env: bool = False  # inside an environmental section
    key: str | None = None


@dataclass
class ProseResult:
    candidates: list[Candidate] = field(default_factory=list)
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (value, "prose:<slug>")
    env_present: bool = False  # an environmental section or the template's field lines exist
    template_unfilled: bool = False  # the emissions line of the template holds a placeholder
    unrendered: bool = False  # Jinja placeholders left in the body
    commented_template: bool = False  # the template exists only inside an HTML comment
    tbd: bool = False
    flags: set[str] = field(default_factory=set)


def _blank_comments_and_code(text: str) -> str:
    def blank(m: re.Match) -> str:
        return "\n" * m.group(0).count("\n")

    text = re.sub(r"<!--.*?(?:-->|\Z)", blank, text, flags=re.DOTALL)
    lines = text.split("\n")
    out = list(lines)
    i = 0
    n = len(lines)
    while i < n:
        stripped = lines[i].lstrip()
        m = re.match(r"(`{3,}|~{3,})", stripped)
        if not (m and len(lines[i]) - len(stripped) < 4):
            i += 1
            continue
        fence = m.group(1)
        j = i + 1
        while j < n and not lines[j].lstrip().startswith(fence):
            j += 1
        inner = range(i + 1, j)
        # A fence left open by mistake swallows the rest of the card; a Markdown heading after a blank
        # line inside the "code" means the author's fence was never closed: keep the lines as prose.
        unclosed = any(_MD_HEADING_IN_CODE.match(lines[k]) and not lines[k - 1].strip() for k in inner)
        out[i] = ""
        if unclosed:
            i += 1
            continue
        for k in inner:
            out[k] = ""
        if j < n:
            out[j] = ""
        i = j + 1
    return "\n".join(out)


MAX_TABLE_ROWS = 200  # rows read per table
MAX_CANDIDATES = 500  # figures kept per card; more is noise (and would cost time)

_MD_HEADING_IN_CODE = re.compile(r"^#{2,6}\s+[A-Z][^=(){}\[\]]*$")


# cheap pre-filter: a field line names one of these before its colon / in its first cell
_INTERESTING = re.compile(
    r"emi|co2|co₂|carbon|greenhouse|ghg|footprint|hardware|gpu|tpu|accelerator|device|hour|time|duration|"
    r"cloud|provider|platform|region|location|country|source|method|measure|tool|training\s+type",
    re.IGNORECASE,
)


def _key_value(line: str) -> tuple[str, str, str] | None:
    """(key, key without parentheses, value) for a ``Key: value`` line, bullet/bold/table aware."""
    if (":" not in line and "：" not in line and "|" not in line) or not _INTERESTING.search(line[:200]):
        return None
    s = line.strip()
    if s.startswith("|"):
        cells = [c.strip() for c in s.strip("|").split("|")]
        cells = [c for c in cells]
        if len(cells) == 2 and cells[0] and not _TABLE_SEP.match(s):
            key = clean_inline(cells[0]).strip().rstrip(":").strip()
            return key, re.sub(r"\([^)]*\)", "", key).strip(), cells[1]
        return None
    s = _BULLET.sub("", s, count=1)
    s = clean_inline(s).strip()
    m = _KEYLINE.match(s)
    if not m:
        return None
    key = m.group("key").strip()
    bare = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", key).strip()
    if not bare or len(bare) > 60 or len(bare.split()) > 8:
        return None
    return key, bare, m.group("val").strip().lstrip(":").strip()


def _is_emission_key(bare: str) -> bool:
    return bool(_EMISSION_KEY.search(bare)) and not _NOT_EMISSION_KEY.search(bare)


def _sections(lines: list[str]) -> list[tuple[int, str, bool]]:
    """Per line: (section start line, slug, is environmental)."""
    out: list[tuple[int, str, bool]] = []
    cur = (0, "body", False)
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        title = None
        if m:
            title = m.group(2)
        elif (
            i > 0
            and _SETEXT.match(line)
            and lines[i - 1].strip()
            and not lines[i - 1].lstrip().startswith(("|", "-", "*", ">"))
            and (i < 2 or not lines[i - 2].strip())
            and (line.strip().startswith("=") or len(line.strip()) >= 3)
        ):
            title = lines[i - 1].strip()
            # the title line itself belongs to the new section too
            if out:
                out[-1] = (i - 1, slugify(title), bool(_ENV_HEADING.search(title)))
        if title is not None:
            cur = (i, slugify(title), bool(_ENV_HEADING.search(clean_inline(title))))
        out.append(cur)
    return out


def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*\[(])", paragraph) if s.strip()]


def _tables(lines: list[str], used: set[int], sect: list[tuple[int, str, bool]], res: ProseResult) -> None:
    i = 0
    n = len(lines)
    while i < n - 1:
        if "|" in lines[i] and _TABLE_SEP.match(lines[i + 1]) and lines[i + 1].count("-") >= 3:
            header = [clean_inline(c).strip() for c in lines[i].strip().strip("|").split("|")]
            rows: list[tuple[int, list[str]]] = []
            j = i + 2
            while j < n and "|" in lines[j] and lines[j].strip():
                if len(rows) < MAX_TABLE_ROWS:
                    rows.append((j, [c.strip() for c in lines[j].strip().strip("|").split("|")]))
                j += 1
            cols = [
                k
                for k, h in enumerate(header)
                if k > 0 and _EMISSION_WORD.search(h) and not _NOT_EMISSION_KEY.search(h)
            ]
            if cols:
                found: list[Candidate] = []
                for k in cols:
                    unit, unit_raw = unit_from_label(header[k])
                    if unit is None:
                        um = re.search(
                            r"\b(tco2e?q?|kgco2e?q?|gco2e?q?|tonnes?|tons|kg|grams?)\b",
                            header[k],
                            re.IGNORECASE,
                        )
                        if um:
                            unit, unit_raw = unit_from_label(f"({um.group(1)})")
                    market = bool(_MARKET.search(header[k]))
                    for ln, cells in rows:
                        if k >= len(cells):
                            continue
                        q = parse_quantity(cells[k], default_unit=unit, unit_raw_default=unit_raw)
                        if q is None:
                            continue
                        label = clean_inline(cells[0]) if cells else ""
                        is_total = bool(_TOTAL.search(label))
                        start, slug, env = sect[ln]
                        found.append(
                            Candidate(
                                q=q,
                                line=ln,
                                section=slug,
                                env=env,
                                market=market,
                                total=is_total,
                                kind="table-total" if is_total else "table-row",
                                key=header[k],
                            )
                        )
                        used.add(ln)
                res.candidates.extend(found[: max(0, MAX_CANDIDATES - len(res.candidates))])
            i = j
            continue
        i += 1


@dataclass
class _Page:
    """The body split into lines: as written (comments included) and cleaned, with each line's section."""

    raw_lines: list[str]
    lines: list[str]
    sect: list[tuple[int, str, bool]]
    kv_cache: dict[int, tuple[str, str, str] | None] = field(default_factory=dict)

    def key_value(self, idx: int) -> tuple[str, str, str] | None:
        line = self.lines[idx]
        return self.kv_cache.get(idx) if line == self.raw_lines[idx] else _key_value(line)


def scan_body(body: str) -> ProseResult:
    res = ProseResult()
    if not body:
        return res
    if _JINJA.search(body):
        res.unrendered = True
    page = _page(body)
    res.env_present = any(env for _, _, env in page.sect)
    _detect_template(page, res)
    used, emission_lines, field_lines = _field_lines(page, res)
    _context_fields(page, res, emission_lines, field_lines)
    _tables(page.lines, used, page.sect, res)
    _sentence_candidates(page, used, res)
    _mark_other_model_blocks(page.lines, page.sect, res)
    return res


def _page(body: str) -> _Page:
    raw_lines = body.split("\n")
    lines = _blank_comments_and_code(body).split("\n")
    if len(lines) != len(raw_lines):  # pragma: no cover - blanking keeps line count
        raw_lines = lines
    return _Page(raw_lines=raw_lines, lines=lines, sect=_sections(lines))


def _detect_template(page: _Page, res: ProseResult) -> None:
    """The model-card template's field lines, read on the raw text (comments included)."""
    keys_clean: set[str] = set()
    keys_raw: set[str] = set()
    for idx, line in enumerate(page.raw_lines):
        kv = page.kv_cache[idx] = _key_value(line)
        if not kv:
            continue
        _, bare, val = kv
        if _TEMPLATE_KEYS.match(bare):
            keys_raw.add(bare.lower())
            if page.lines[idx].strip():
                keys_clean.add(bare.lower())
        if (
            _is_emission_key(bare)
            and _unfilled(val)
            and (_TEMPLATE_KEYS.match(bare) or page.sect[idx][2] or page.lines[idx].strip() == "")
        ):
            res.template_unfilled = True
    if len(keys_clean) >= 2:
        res.env_present = True
    if len(keys_raw) >= 2 and len(keys_clean) < 2 and not res.env_present:
        res.commented_template = True


def _unfilled(val: str) -> bool:
    return bool(is_placeholder(val) or _JINJA.search(val))


def _field_lines(page: _Page, res: ProseResult) -> tuple[set[int], list[int], list[tuple[int, str, str]]]:
    """Emission field lines become candidates; returns (lines used, emission lines, context field lines)."""
    used: set[int] = set()
    emission_lines: list[int] = []
    field_lines: list[tuple[int, str, str]] = []  # (line, field name, value)
    for idx, line in enumerate(page.lines):
        kv = page.key_value(idx) if line.strip() else None
        if not kv:
            continue
        key, bare, val = kv
        if _is_emission_key(bare):
            used.add(idx)
            emission_lines.append(idx)
            _emission_field(page, res, idx, key, val)
            continue
        name = next((name for name, pat in _FIELD_KEYS if pat.search(bare)), None)
        if name is not None:
            field_lines.append((idx, name, val))
            used.add(idx)
    return used, emission_lines, field_lines


def _emission_field(page: _Page, res: ProseResult, idx: int, key: str, val: str) -> None:
    """A ``Carbon Emitted: 1.2 kg``-style line: a candidate, or a note that its figure is still to come."""
    if _unfilled(val):
        return
    unit, unit_raw = unit_from_label(key)
    q = parse_quantity(val, default_unit=unit, unit_raw_default=unit_raw)
    start, slug, env = page.sect[idx]
    if q is None:
        if _TBD.search(val):
            res.tbd = True
        return
    if len(res.candidates) >= MAX_CANDIDATES:
        res.flags.add("too_many_figures")
        return
    context = " ".join(page.lines[max(start, idx - 2) : idx + 1])
    res.candidates.append(
        Candidate(
            q=q,
            line=idx,
            section=slug,
            kind="field",
            env=env,
            key=key,
            total=bool(_TOTAL.search(key)),
            market=bool(_MARKET.search(key + " " + val[:80])),
            inherited=bool(_INHERITED.search(key + " " + val))
            or bool(_INHERITED.search(context) and not env),
        )
    )


def _context_fields(
    page: _Page, res: ProseResult, emission_lines: list[int], field_lines: list[tuple[int, str, str]]
) -> None:
    """Context fields count inside environmental sections or within 8 lines of an emissions line."""
    sect = page.sect
    near: set[int] = set()
    for e in emission_lines:
        start = sect[e][0]
        for k in range(max(start, e - 8), min(len(page.lines), e + 9)):
            if sect[k][0] == start:
                near.add(k)
    for idx, name, val in field_lines:
        if not (sect[idx][2] or idx in near) or _unfilled(val):
            continue
        if name not in res.fields:
            res.fields[name] = (clean_inline(val).strip(), f"prose:{sect[idx][1]}")


def _paragraphs(page: _Page, used: set[int]) -> Iterator[list[int]]:
    """Runs of consecutive prose lines (not used by fields or tables, not headings, not table rows)."""
    para: list[int] = []
    for idx, line in enumerate(page.lines):
        if idx in used or not line.strip() or _HEADING.match(line) or line.lstrip().startswith("|"):
            if para:
                yield para
            para = []
            continue
        para.append(idx)
    if para:
        yield para


def _sentence_candidates(page: _Page, used: set[int], res: ProseResult) -> None:
    for para in _paragraphs(page, used):
        text = " ".join(page.lines[k].strip() for k in para)
        first = para[0]
        _, slug, env = page.sect[first]
        for sent in _sentences(clean_inline(text)):
            if not _EMISSION_WORD.search(sent):
                if _TBD.search(sent) and env:
                    res.tbd = True
                continue
            if _TBD.search(sent):
                res.tbd = True
            if len(res.candidates) >= MAX_CANDIDATES:
                res.flags.add("too_many_figures")
                break
            _sentence_figures(res, sent, first, slug, env)


def _sentence_figures(res: ProseResult, sent: str, line: int, slug: str, env: bool) -> None:
    """Every mass figure in an emissions sentence; its own clause says market-based, the words before total."""
    for off, q in iter_quantities(sent, require_unit=True):
        before = sent[max(0, off - 120) : off]
        clause = re.split(r"[;,]\s+|\band\b", before)[-1] if before else ""
        res.candidates.append(
            Candidate(
                q=q,
                line=line,
                section=slug,
                kind="sentence",
                env=env,
                total=bool(_TOTAL.search(before[-80:])),
                market=bool(_MARKET.search(clause) or _MARKET.search(before[-60:])),
                inherited=bool(_INHERITED.search(sent)),
            )
        )


def _mark_other_model_blocks(lines: list[str], sect: list[tuple[int, str, bool]], res: ProseResult) -> None:
    """Several bold-labelled "... Emissions" blocks in one section, the last of which has no figure but says
    its figure is still to be determined: figures in the earlier blocks belong to other (base) models."""
    by_section: dict[int, list[int]] = {}
    for idx, line in enumerate(lines):
        if _BOLD_ONLY.match(line) and _EMISSION_WORD.search(line):
            by_section.setdefault(sect[idx][0], []).append(idx)
    for start, labels in by_section.items():
        if len(labels) < 2:
            continue
        last = labels[-1]
        end = next((k for k in range(last + 1, len(lines)) if sect[k][0] != start), len(lines))
        own = [c for c in res.candidates if last <= c.line < end]
        tail_text = " ".join(lines[last:end])
        if own or not _TBD.search(tail_text):
            continue
        for c in res.candidates:
            if labels[0] <= c.line < last:
                c.inherited = True
        res.tbd = True
