"""Free-text resolvers: hardware ("8 x A100 80GB", "TPU v3-512"), location ("Quebec, Canada", "us-east-1",
"East US") and cloud provider, mapped onto the vendored reference tables (:mod:`hubscan.reference.tables`).

All three are pure and never raise on arbitrary input: they return ``None`` when nothing can be resolved.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from hubscan.reference import hardware_names as names
from hubscan.reference import tables as ref

__all__ = ["resolve_hardware", "resolve_location", "resolve_provider", "closest_hardware"]


def _fold(text: str) -> str:
    """Lower-case, accents stripped, typographic dashes/multiplication signs normalised, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("×", "x").replace("‐", "-").replace("–", "-").replace("—", "-").replace("‑", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


# ====================================================================== provider

_PROVIDERS: list[tuple[str, re.Pattern]] = [
    ("aws", re.compile(r"\baws\b|amazon|\bec2\b|sagemaker")),
    ("azure", re.compile(r"azure|microsoft")),
    ("gcp", re.compile(r"\bgcp\b|google|\bg\s?cloud\b|colab|kaggle")),
    ("meta", re.compile(r"\bmeta\b|facebook|\bfair\b")),
    ("mosaicml", re.compile(r"mosaic\s?ml|databricks")),
    ("coreweave", re.compile(r"coreweave")),
    ("ovh", re.compile(r"\bovh")),
    ("scaleway", re.compile(r"scaleway")),
    ("lambda", re.compile(r"lambda\s?(?:labs?|cloud)")),
    ("oracle", re.compile(r"oracle|\boci\b")),
    ("alibaba", re.compile(r"alibaba|aliyun")),
    ("ibm", re.compile(r"\bibm\b")),
    (
        "hpc",
        re.compile(
            r"\bhpc\b|high[- ]performance computing|supercomput|cluster|jean[- ]zay|idris|genci|\blumi\b|leonardo|"
            r"juwels|jureca|marenostrum|\bcsd3\b|wilkes|perlmutter|frontier|summit|isambard|\bnersc\b"
        ),
    ),
    (
        "private",
        re.compile(
            r"private|on[- ]?prem|\blocal\b|workstation|personal|own (?:machine|server|hardware)|\bhome\b"
        ),
    ),
]


def resolve_provider(text: str | None) -> str | None:
    """Cloud/compute provider in free text -> "aws" | "gcp" | "azure" | "meta" | "mosaicml" | "coreweave" | "ovh" |
    "scaleway" | "lambda" | "oracle" | "alibaba" | "ibm" | "hpc" | "private"; ``None`` if none is named.

    Colab and Kaggle run on Google Cloud, so they map to "gcp".
    """
    if not isinstance(text, str) or not text.strip():
        return None
    s = _fold(text)
    for name, pattern in _PROVIDERS:
        if pattern.search(s):
            return name
    return None


# ====================================================================== hardware

# (regex on folded text, resolver(match, window) -> canonical device name)
_A100_MEM = re.compile(r"(40|80)\s*g")


def _a100(window: str) -> str:
    mem = _A100_MEM.search(window)
    size = mem.group(1) if mem else "80"
    form = "PCIe" if "pcie" in window else "SXM"
    return f"A100-{size}GB {form}"


def _h100(window: str) -> str:
    if "pcie" in window:
        return "H100 PCIe"
    if "nvl" in window:
        return "H100 NVL"
    return "H100-80GB SXM"


_TPU = re.compile(r"\btpu\s*-?\s*v?\s*([2-6])\s*([ep]|lite)?(?:pod)?(?:\s*-\s*(\d+))?")
_TPU_BARE = re.compile(
    r"\bv([2-6])\s*([ep]|lite)?(?:pod)?\s*-\s*(\d+)\b"
)  # "v3-512" once "tpu" is in the text

_DEVICE_PATTERNS: list[tuple[re.Pattern, object]] = [
    (re.compile(r"\bgb200\b"), "B200 (GB200)"),
    (re.compile(r"\b(?:hgx\s*)?b200\b"), lambda w: "B200 (GB200)" if "gb200" in w else "B200 (HGX)"),
    (re.compile(r"\bh200s?\b"), lambda w: "H200 NVL" if "nvl" in w else "H200 SXM"),
    (re.compile(r"\bh100s?\b"), _h100),
    (re.compile(r"(?<!intel[ -])(?<!intel\(r\)[ -])\ba100s?\b"), _a100),  # "Intel A100" is an Atom-era CPU
    (re.compile(r"\bv100s?\b"), lambda w: "V100 PCIe" if "pcie" in w else "V100"),
    (re.compile(r"\bp100s?\b"), lambda w: "P100 PCIe" if "pcie" in w else "P100"),
    (re.compile(r"\ba10gs?\b"), "A10G"),
    # not AMD's A10 APUs ("AMD A10", "A10-7850K", "A10 PRO-7350B")
    (re.compile(r"(?<!amd )\ba10\b(?![\s-]*(?:pro|micro)\b|[\s-]\d{4})"), "A10"),
    (re.compile(r"\bl40ss?\b"), "L40S"),
    (re.compile(r"\bl4s?\b"), "L4"),
    (re.compile(r"\bt4s?\b"), "T4"),
    (re.compile(r"\bmi\s?250x\b"), "MI250X"),
    (re.compile(r"\bmi\s?300x\b"), "MI300X"),
    (re.compile(r"\brtx\s*-?\s*(\d{4})\s*-?\s*(ti)?\b"), "rtx"),
    (re.compile(r"\b(?:rtx\s*)?a(\d{4})\b"), "rtx-a"),
    (re.compile(r"\b(?:tesla\s*)?k80\b"), "Tesla K80"),
    (re.compile(r"\b(?:tesla\s*)?k40c?\b"), "Tesla K40c"),
    (re.compile(r"\b(?:tesla\s*)?p40\b"), "Tesla P40"),
    (re.compile(r"\b(?:tesla\s*)?m40\b"), "Tesla M40 24GB"),
    (re.compile(r"\btitan\s*rtx\b"), "Titan RTX"),
    (re.compile(r"\btitan\s*v\b"), "Titan V"),
    (re.compile(r"\btitan\s*xp\b"), "Titan Xp"),
    (re.compile(r"\bgtx\s*1080\s*ti\b"), "GTX 1080 Ti"),
    (re.compile(r"\bgtx\s*1080\b"), "GTX 1080"),
]


def _rtx(match: re.Match, workstation: bool) -> str | None:
    """Consumer/workstation RTX cards: only those with a table row (hardware_specs.csv or mlco2 gpus.csv)."""
    if workstation:
        name = f"RTX A{match.group(1)}"
    else:
        name = f"RTX {match.group(1)}" + (" Ti" if match.group(2) else "")
    table = ref.hardware_table()
    for candidate in (name, name.replace(" Ti", " TI")):
        if candidate in table:
            return candidate
    return None


_WORD_NUMBERS = {
    "single": 1,
    "one": 1,
    "a single": 1,
    "dual": 2,
    "two": 2,
    "four": 4,
    "eight": 8,
    "sixteen": 16,
}
_UNIT_AFTER = re.compile(r"\s*(?:gb|g\b|gib|tb|w\b|watts?|mhz|ghz|%|h\b|hours?|days?)")


def _count(s: str, start: int, end: int) -> int | None:
    """Number of devices around a device mention at s[start:end]; None if not stated exactly."""
    before, after = s[:start], s[end:]
    # "8 x A100", "1xA4500", "8x v100", "(1x)"
    for m in re.finditer(r"(?<![\w.])(\d{1,6})\s*[x*](?=\s|$|[)\]a-z(])", s):
        if start <= m.start(1) < end:  # the device's own model number ("RTX 3090 x 2")
            continue
        if not _UNIT_AFTER.match(s, m.end(1)):
            return int(m.group(1))
    # "T4 x 2", "A100 x8"
    m = re.search(r"(?<![a-z0-9])x\s*(\d{1,6})\b", after)
    if m and not _UNIT_AFTER.match(after, m.end(1)):
        return int(m.group(1))
    # "8 v100 GPUs", "with 1 NVIDIA A100"
    m = re.search(r"(?<![\w.-])(\d{1,6})\s+(?:(?:nvidia|tesla|amd|google|cloud|geforce|gpu)\s+)*$", before)
    if m:
        return int(m.group(1))
    # "A100 80GB, 64 GPUs"
    m = re.search(r"(?<![\w.-])(\d{1,6})\s*(?:gpus?|tpus?|chips|devices|cards|accelerators)\b", after)
    if m:
        return int(m.group(1))
    m = re.search(
        r"\b(a single|single|one|dual|two|four|eight|sixteen)\b(?!\s*-|\s+or\b)", before + " " + after[:20]
    )
    if m:
        return _WORD_NUMBERS[m.group(1)]
    return None


def _resolve_tpu(s: str, pos: int = 0) -> tuple[str, int | None, int, int] | None:
    m = _TPU.search(s, pos)
    if m and m.group(3) is None:
        bare = _TPU_BARE.search(s, m.start())
        if bare and bare.group(1) == m.group(1):
            m = bare
    if not m:
        m = _TPU_BARE.search(s, pos)
    if not m:
        return None
    gen, suffix, slice_size = m.group(1), (m.group(2) or ""), m.group(3)
    if gen == "5":
        name = "TPU v5p" if suffix == "p" else "TPU v5e"
    elif gen == "6":
        return None
    else:
        name = f"TPU v{gen}"
    count = None
    if slice_size:
        n = int(slice_size)
        # Slice suffixes count TensorCores (2 per chip) for v2/v3/v4/v5p, chips for v5e ("v5litepod-16").
        count = n if name == "TPU v5e" else max(1, n // 2)
    return name, count, m.start(), m.end()


def resolve_hardware(text: str | None) -> dict | None:
    """Free-text hardware -> ``{"raw", "device", "count", "tdp_w", "peak_tflops", "typical_w"}`` or ``None``.

    ``device`` is the canonical name in :func:`hubscan.reference.tables.hardware_table` (e.g. "V100",
    "A100-80GB SXM", "TPU v3", "Quadro P6000", "Intel Xeon Gold 6148") or a family label ("Titan X (family)",
    "RTX (family)", "Xeon (family)"; see :mod:`hubscan.reference.hardware_names`). ``count`` is the number of
    devices when the text states it exactly ("8 x ...", "8 v100 GPUs", "GPU T4 x 2", "Single ..."), else
    ``None``. A TPU slice ("TPU v3-512") counts chips (512 TensorCores = 256 chips). When the text names several
    devices the first one wins (``"alternatives"`` lists the others).

    A name that leaves the variant open adds ``"variants"`` (device, tdp_w, peak_tflops of each),
    ``"tdp_w_range"`` [low, high] and ``"ambiguous"`` (what was left open); ``tdp_w`` stays the central pick:
    an unspecified A100 is the 80 GB SXM part (``"assumed"`` says so) with the PCIe parts in the range, an
    unsliced "TPU v3" one chip with a 4-chip board in the range, a family its median member.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return _resolve_hardware(text)
    except Exception:  # never raise on arbitrary input
        return None


def closest_hardware(text: str | None, n: int = 3) -> list[str]:
    """Hardware table names nearest to a name that does not resolve (for error messages)."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        return names.closest(_fold(text), n)
    except Exception:  # never raise on arbitrary input
        return []


def _pattern_hits(s: str) -> tuple[list[tuple[int, int, str]], tuple | None]:
    """(start, end, device) of every device the patterns find, TPUs first; the first TPU hit."""
    found: list[tuple[int, int, str]] = []
    tpu = _resolve_tpu(s) if "tpu" in s else None
    more = tpu
    while more:
        found.append((more[2], more[3], more[0]))
        more = _resolve_tpu(s, more[3])
    for pattern, resolver in _DEVICE_PATTERNS:
        for m in pattern.finditer(s):
            if any(a <= m.start() < b for a, b, _ in found):
                continue
            if resolver in ("rtx", "rtx-a"):
                name = _rtx(m, resolver == "rtx-a")
            elif callable(resolver):
                prefix = s[max(0, m.start() - 12) : m.start()]
                prefix = re.split(r"&|\bor\b|\band\b|,|;|\+|/", prefix)[-1]
                window = prefix + s[m.start() : _next_boundary(s, m.end())]
                name = resolver(window)
            else:
                name = resolver
            if name:
                found.append((m.start(), m.end(), name))
    found.sort()
    return found, tpu


def _resolve_hardware(text: str) -> dict | None:
    s = _fold(text)
    found, tpu = _pattern_hits(s)
    if not found:
        return _from_catalogue(text, s)
    start, end, device = found[0]
    spec = ref.hardware(device) or {}
    from_slice = bool(tpu and device == tpu[0] and tpu[1] is not None)
    count = tpu[1] if from_slice else _count(s, start, end)
    out = _hardware_result(text, device, count, spec)
    others = []
    for _, _, name in found[1:]:
        if name != device and name not in others:
            others.append(name)
    if others:
        out["alternatives"] = others
    if device.startswith("A100") and not re.search(r"(40|80)\s*g", s):
        out["assumed"] = "A100 memory size not stated: 80 GB assumed (40 GB SXM has the same peak and TDP)"
    window = s[max(0, start - 12) : _next_boundary(s, end)]
    variants = names.variants_of(device, window, from_slice)
    if variants:
        _add_variants(out, variants, f"{text.strip()!r} does not say which {device.split('-')[0]} variant")
    return out


def _hardware_result(text: str, device: str, count: int | None, spec: dict) -> dict:
    return {
        "raw": text,
        "device": device,
        "count": count,
        "tdp_w": spec.get("tdp_w"),
        "peak_tflops": spec.get("peak_tflops"),
        "typical_w": spec.get("typical_w"),
    }


def _add_variants(out: dict, variants: list[dict], why: str) -> None:
    tdps = [v["tdp_w"] for v in variants if v.get("tdp_w")]
    out["variants"] = variants
    out["tdp_w_range"] = [min(tdps), max(tdps)] if tdps else None
    out["ambiguous"] = why


def _from_catalogue(text: str, s: str) -> dict | None:
    """Any table device or family by its tokens ("NVIDIA Titan-Xp", "Quadro P6000", "Xeon CPU")."""
    hit = names.match_catalogue(s)
    if hit is None:
        return None
    if hit.family is None:
        return _hardware_result(
            text, hit.device, _count(s, hit.start, hit.end), ref.hardware(hit.device) or {}
        )
    spec = names.family_spec(hit)
    out = _hardware_result(text, hit.device, _count(s, hit.start, hit.end), spec)
    _add_variants(out, spec["variants"], spec["ambiguous"])
    return out


def _next_boundary(s: str, pos: int) -> int:
    m = re.compile(r"&|\bor\b|\band\b|,|;|\+\s*[a-z]|/").search(s, pos)
    return m.start() if m else len(s)


# ====================================================================== location

_COUNTRY_ALIASES = {
    "usa": "USA",
    "u.s.a.": "USA",
    "u.s.a": "USA",
    "u.s.": "USA",
    "united states of america": "USA",
    "united states": "USA",
    "america": "USA",
    "uk": "GBR",
    "u.k.": "GBR",
    "england": "GBR",
    "scotland": "GBR",
    "wales": "GBR",
    "great britain": "GBR",
    "britain": "GBR",
    "korea": "KOR",
    "republic of korea": "KOR",
    "russian federation": "RUS",
    "czech republic": "CZE",
    "holland": "NLD",
    "the netherlands": "NLD",
    "deutschland": "DEU",
    "espana": "ESP",
    "schweiz": "CHE",
    "suisse": "CHE",
    "turkiye": "TUR",
    "viet nam": "VNM",
    "uae": "ARE",
    "prc": "CHN",
    "mainland china": "CHN",
    "hongkong": "HKG",
    "the bahamas": "BHS",
}

_CITIES = {
    # city or region -> ("country", ISO3) | ("us_state", state key) | ("province", province key)
    "paris": ("country", "FRA"),
    "lyon": ("country", "FRA"),
    "jean zay": ("country", "FRA"),
    "idris": ("country", "FRA"),
    "berlin": ("country", "DEU"),
    "frankfurt": ("country", "DEU"),
    "munich": ("country", "DEU"),
    "munchen": ("country", "DEU"),
    "julich": ("country", "DEU"),
    "juelich": ("country", "DEU"),
    "london": ("country", "GBR"),
    "cambridge, uk": ("country", "GBR"),
    "edinburgh": ("country", "GBR"),
    "amsterdam": ("country", "NLD"),
    "dublin": ("country", "IRL"),
    "stockholm": ("country", "SWE"),
    "helsinki": ("country", "FIN"),
    "kajaani": ("country", "FIN"),
    "zurich": ("country", "CHE"),
    "lugano": ("country", "CHE"),
    "barcelona": ("country", "ESP"),
    "catalonia": ("country", "ESP"),
    "catalunya": ("country", "ESP"),
    "madrid": ("country", "ESP"),
    "bologna": ("country", "ITA"),
    "milan": ("country", "ITA"),
    "tokyo": ("country", "JPN"),
    "osaka": ("country", "JPN"),
    "seoul": ("country", "KOR"),
    "beijing": ("country", "CHN"),
    "shanghai": ("country", "CHN"),
    "shenzhen": ("country", "CHN"),
    "hangzhou": ("country", "CHN"),
    "taipei": ("country", "TWN"),
    "mumbai": ("country", "IND"),
    "bangalore": ("country", "IND"),
    "bengaluru": ("country", "IND"),
    "sydney": ("country", "AUS"),
    "melbourne": ("country", "AUS"),
    "sao paulo": ("country", "BRA"),
    "tel aviv": ("country", "ISR"),
    "montreal": ("province", "quebec"),
    "toronto": ("province", "ontario"),
    "vancouver": ("province", "british columbia"),
    "san francisco": ("us_state", "california"),
    "los angeles": ("us_state", "california"),
    "bay area": ("us_state", "california"),
    "silicon valley": ("us_state", "california"),
    "seattle": ("us_state", "washington"),
    "boston": ("us_state", "massachusetts"),
    "austin": ("us_state", "texas"),
    "dallas": ("us_state", "texas"),
    "houston": ("us_state", "texas"),
    "chicago": ("us_state", "illinois"),
    "ashburn": ("us_state", "virginia"),
    "pittsburgh": ("us_state", "pennsylvania"),
    "council bluffs": ("us_state", "iowa"),
}

_WORLD = re.compile(r"^(?:world|worldwide|global|globe|earth|world average|global average)$")
_NOT_A_PLACE = {"na", "n/a", "none", "unknown", "not disclosed", "-", "?", "tbd", "more information needed"}


def _clean_loc(text: str) -> str:
    s = _fold(text)
    s = s.replace("`", " ").replace('"', " ").replace("'", " ")
    s = re.sub(r"\[more information needed\]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _word_re(phrase: str) -> re.Pattern:
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])")


@lru_cache(maxsize=1)
def _country_names() -> list[tuple[str, str]]:
    names = {_fold(row["name"]): code for code, row in ref.countries().items()}
    names.update(_COUNTRY_ALIASES)
    return sorted(names.items(), key=lambda kv: -len(kv[0]))


@lru_cache(maxsize=1)
def _region_index() -> dict[str, list[dict]]:
    idx: dict[str, list[dict]] = {}
    for r in ref.cloud_regions():
        idx.setdefault(r["region"].lower(), []).append(r)
    return idx


def _by_provider(candidates: list[dict], provider: str | None) -> dict:
    if provider:
        for c in candidates:
            if c["provider"] == provider:
                return c
    order = {"aws": 0, "gcp": 1, "azure": 2}
    return sorted(candidates, key=lambda c: order.get(c["provider"], 9))[0]


def _region_result(raw: str, region: dict) -> dict:
    return {
        "raw": raw,
        "kind": "cloud_region",
        "code": region["region"],
        "name": region["name"]
        or ", ".join(x for x in (region["city"], region["state"], region["country"]) if x),
        "grid_g_per_kwh": float(region["g"]),
        "year": region["year"],
        "source": region["source"],
        "provider": region["provider"],
        "country": region["country"],
        "pue": region["pue"],
    }


# kind -> (table loader, source note, country of the place, how its display name reads)
_PLACES = {
    "country": (lambda: ref.countries(), lambda: ref.COUNTRY_SOURCE, None, "{name}"),
    "us_state": (lambda: ref.us_states(), lambda: ref.US_STATE_SOURCE, "USA", "{name}, United States"),
    "province": (lambda: ref.canada_provinces(), lambda: ref.CANADA_SOURCE, "CAN", "{name}, Canada"),
}


def _place_result(raw: str, kind: str, key: str, provider: str | None) -> dict | None:
    """A country (ISO alpha-3 key), US state or Canadian province record from its grid table."""
    table, source, country, display = _PLACES[kind]
    row = table().get(key)
    if row is None:
        return None
    result = {
        "raw": raw,
        "kind": kind,
        "code": key if kind == "country" else row["name"],
        "name": display.format(name=row["name"]),
        "grid_g_per_kwh": row["g"],
        "year": row["year"],
        "source": source(),
        "provider": provider,
    }
    if country:
        result["country"] = country
    return result


def resolve_location(text: str | None, *, provider: str | None = None) -> dict | None:
    """Free-text location or cloud region -> grid intensity record, or ``None``.

    Returns ``{"raw", "kind", "code", "name", "grid_g_per_kwh", "year", "source", "provider"}`` where ``kind`` is
    "cloud_region" (``code`` = region id, e.g. "us-east-1"), "us_state" (``code`` = state name), "province"
    (Canadian province), "country" (``code`` = ISO alpha-3) or "world". Cloud regions are looked up by id
    ("us-east-1", "europe-west2", "eastus2") or display name ("East US 2", "US East (N. Virginia)"), preferring
    ``provider`` when several providers share an id; a partial id that several regions of one country share
    ("us-west", "northamerica_northeast") resolves to that country.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return _resolve_location(text, provider)
    except Exception:  # never raise on arbitrary input
        return None


def _resolve_location(text: str, provider: str | None) -> dict | None:
    s = _clean_loc(text)
    if not s or s in _NOT_A_PLACE:
        return None
    provider = provider or resolve_provider(text)
    if provider and provider not in {p for p, _ in _PROVIDERS}:
        provider = resolve_provider(provider) or provider
    if _WORLD.match(s):
        return {
            "raw": text,
            "kind": "world",
            "code": "WORLD",
            "name": "World average",
            "grid_g_per_kwh": ref.world_average_g(),
            "year": 2019,
            "source": ref.WORLD_SOURCE,
            "provider": provider,
        }
    for step in (_by_region_id, _by_region_name, _by_us_state, _by_province_or_city, _by_country):
        out = step(text, s, provider)
        if out:
            return out
    return None


def _by_region_id(text: str, s: str, provider: str | None) -> dict | None:
    """Cloud region ids ("us-east-1", "eastus2"); a partial id several regions of one country share."""
    index = _region_index()
    tokens = re.findall(r"[a-z]+(?:[-_][a-z0-9]+)+|[a-z]+\d+|[a-z]{6,}", s)
    for token in tokens:
        key = token.replace("_", "-")
        if key in index:
            return _region_result(text, _by_provider(index[key], provider))
    compact = re.sub(r"[\s_-]", "", s)
    if compact in index and len(compact) >= 6:
        return _region_result(text, _by_provider(index[compact], provider))
    for token in tokens:
        key = token.replace("_", "-")
        if "-" not in key:
            continue
        prefix = [r for k, rs in index.items() if re.fullmatch(re.escape(key) + r"-?\d+", k) for r in rs]
        if provider:
            prefix = [r for r in prefix if r["provider"] == provider] or prefix
        if len(prefix) == 1:
            return _region_result(text, prefix[0])
        countries = {r["country"] for r in prefix}
        if len(countries) == 1 and None not in countries:
            out = _place_result(text, "country", countries.pop(), provider)
            if out:
                out["note"] = f"partial cloud region {token!r}: several regions match, country used"
                return out
    return None


def _by_region_name(text: str, s: str, provider: str | None) -> dict | None:
    """Cloud region display names ("East US 2", "US East (N. Virginia)")."""
    named = [
        r for r in ref.cloud_regions() if r["name"] and r["provider"] in {"aws", "azure", "gcp", "coreweave"}
    ]
    named.sort(key=lambda r: -len(r["name"]))
    for r in named:
        if (not provider or provider == r["provider"]) and _word_re(_fold(r["name"])).search(s):
            return _region_result(text, r)
    return None


def _by_us_state(text: str, s: str, provider: str | None) -> dict | None:
    """US states by name (a state that is also a country, e.g. Georgia, needs US context) or ", TX"."""
    us_context = bool(re.search(r"(?<![a-z])(?:usa|u\.s\.a?\.?|united states|america)(?![a-z])", s)) or bool(
        re.search(r"(?<![A-Za-z])US(?![A-Za-z])", text)
    )
    states = ref.us_states()
    for key in sorted(states, key=len, reverse=True):
        if _word_re(key).search(s):
            if key == "georgia" and not us_context:
                continue
            if key == "washington" and re.search(r"washington,? d\.?c\.?", s):
                return _place_result(text, "us_state", "district of columbia", provider)
            return _place_result(text, "us_state", key, provider)
    m = re.search(r",\s*([A-Z]{2})\b", text)
    if m:
        for key, row in states.items():
            if row["code"] == m.group(1):
                return _place_result(text, "us_state", key, provider)
    return None


def _by_province_or_city(text: str, s: str, provider: str | None) -> dict | None:
    """Canadian provinces, then cities and sub-national regions."""
    for key in sorted(ref.canada_provinces(), key=len, reverse=True):
        if _word_re(key).search(s):
            return _place_result(text, "province", key, provider)
    for city in sorted(_CITIES, key=len, reverse=True):
        if _word_re(city).search(s):
            kind, key = _CITIES[city]
            return _place_result(text, kind, key, provider)
    return None


def _by_country(text: str, s: str, provider: str | None) -> dict | None:
    """Country names and aliases, then an upper-case ISO alpha-3 code ("France (FRA)"), "US" / "UK"."""
    for name, code in _country_names():
        if _word_re(name).search(s):
            return _place_result(text, "country", code, provider)
    for m in re.finditer(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", text):
        if m.group(1) in ref.countries():
            return _place_result(text, "country", m.group(1), provider)
    if re.search(r"(?<![A-Za-z])US(?![A-Za-z])", text):
        return _place_result(text, "country", "USA", provider)
    if re.search(r"(?<![A-Za-z])UK(?![A-Za-z])", text):
        return _place_result(text, "country", "GBR", provider)
    return None
