"""Exact parameter counts from a config.json dict: family dispatch, output-head resolution, fallbacks.

Conventions (those of the ground-truth counts the tests score against: transformers on the meta device):

* the total counts *distinct* parameters: a tied output head is counted once;
* buffers (GPT-2 attention masks, sinusoidal position tables, BART's ``final_logits_bias``) are not parameters;
* a config without ``architectures`` (or whose class is not a transformers class) is counted as the
  base model ``AutoModel`` would build, i.e. without an output head;
* ``embedding`` is the input token-embedding matrix; ``non_embedding`` is total minus that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hubscan.estimate._cfg import MAX_TOTAL_PARAMS, Cfg, ConfigProblem, InvalidConfig, NotExact, Tally
from hubscan.estimate.families import FAMILIES, HEAD_SUFFIXES, Family, architecture_of


@dataclass
class ParamResult:
    model_type: str | None
    architecture: str | None
    total: int | None = None
    active: int | None = None
    embedding: int | None = None
    breakdown: dict[str, int] = field(default_factory=dict)
    method: str = "unknown"
    confidence: str = "unknown"
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    tally: Tally | None = None
    family: str | None = None

    def as_dict(self) -> dict[str, Any]:
        non_emb = None if self.total is None or self.embedding is None else self.total - self.embedding
        out: dict[str, Any] = {
            "total": self.total,
            "active": self.active,
            "embedding": self.embedding,
            "non_embedding": non_emb,
            "breakdown": dict(self.breakdown),
            "method": self.method,
            "confidence": self.confidence,
            "reason": self.reason,
        }
        if self.tally is not None and self.tally.mtp:
            out["mtp"] = int(self.tally.mtp)
        return out


def infer_model_type(config: dict) -> str | None:
    """``model_type`` as declared, or guessed from a transformers class name in ``architectures``."""
    mt = config.get("model_type")
    if isinstance(mt, str) and mt:
        return mt
    arch = architecture_of(config)
    if not arch:
        return None
    # Longest matching prefix wins; on a tie, the family whose own (first) prefix it is.
    best: tuple[int, bool, str] | None = None
    for mt_name, fam in FAMILIES.items():
        if any(arch == cls for cls, _ in fam.classes):
            return mt_name
        for p in fam.prefixes:
            if arch.startswith(p) and arch[len(p) :] in HEAD_SUFFIXES:
                key = (len(p), p == fam.prefixes[0], mt_name)
                if best is None or key[:2] > best[:2]:
                    best = key
    return best[2] if best else None


def _names_a_head(rest: str) -> bool:
    """Whether what follows a family prefix in a class name names an output head (``ForX``, ``…LMHead…``)."""
    return rest.startswith("For") or "Head" in rest


def resolve_head(fam: Family, arch: str | None, config: dict) -> tuple[str, str | None]:
    """(head kind, note). Unknown classes fall back to the base model, as ``AutoModel`` would."""
    if arch is None:
        return "model", "no architectures in config; counted as the base model (no output head)"
    for cls, kind in fam.classes:
        if arch == cls:
            return kind, None
    for p in sorted(fam.prefixes, key=len, reverse=True):
        if arch.startswith(p) and arch[len(p) :] in HEAD_SUFFIXES:
            return HEAD_SUFFIXES[arch[len(p) :]], None
    if any(arch.startswith(p) for p in fam.prefixes) and any(arch.endswith(s) for s in HEAD_SUFFIXES):
        # e.g. Wav2Vec2ConformerForCTC or Swinv2Model under a wav2vec2/swin model_type: a related transformers
        # class that this family's formula does not describe.
        raise NotExact(
            f"architectures[0]={arch!r} is a related class this family's formula does not describe"
        )
    if any(arch.startswith(p) and _names_a_head(arch[len(p) :]) for p in fam.prefixes):
        # e.g. BertForNextSentencePrediction, or a repo's own BertForMultiLabelClassification: a head on this
        # family's backbone that the formula does not list. Counting the bare backbone would be a confident
        # wrong number for a checkpoint that stores the head.
        raise NotExact(f"architectures[0]={arch!r} names a head this family's formula does not describe")
    if isinstance(config.get("auto_map"), dict):
        raise NotExact(
            f"architectures[0]={arch!r} is not a transformers class and auto_map points at the repo's own code; "
            "the native formula may not describe it"
        )
    return "model", f"architectures[0]={arch!r} is not a transformers class; counted as the base model"


def count_analytic(config: dict, model_type: str | None) -> ParamResult:
    """Exact count from an analytic family formula; raises ConfigProblem / NotExact / KeyError(no family)."""
    arch = architecture_of(config)
    fam = FAMILIES.get(model_type or "")
    if fam is None:
        raise LookupError(f"no analytic formula for model_type {model_type!r}")
    head, note = resolve_head(fam, arch, config)
    tally = fam.formula(Cfg(config), head)
    res = ParamResult(model_type, arch, family=fam.name)
    fill_from_tally(res, tally)
    res.method = f"analytic:{fam.name}"
    res.confidence = "exact"
    if note:
        res.notes.append(note)
    return res


def fill_from_tally(res: ParamResult, tally: Tally) -> None:
    if tally.total > MAX_TOTAL_PARAMS:
        raise InvalidConfig(f"{tally.total:.3g} parameters exceeds {MAX_TOTAL_PARAMS:.0e}: not a real model")
    res.tally = tally
    res.total = int(tally.total)
    res.active = int(tally.active)
    res.embedding = int(tally.embedding)
    res.breakdown = {
        k: int(tally.parts.get(k, 0))
        for k in ("embeddings", "attention", "mlp", "experts", "norms", "heads", "other")
    }
    for k, v in tally.parts.items():
        res.breakdown.setdefault(k, int(v))
    res.notes.extend(tally.notes)


# ----------------------------------------------------------------------------- structural estimator


def _pct(x: float) -> str:
    return f"{x:,.0f}%" if x >= 100 else f"{x:.1f}%"


def _band_text(model_type: str | None) -> str:
    from hubscan.estimate.structural import approximate_band, band_limit_pct, measured_types

    b = approximate_band()
    if not b:
        return "structural estimate; its error on unverified model types has not been measured"
    limit = band_limit_pct()
    bound = ""
    if limit is not None:
        bound = f"every answer within ±{limit:g}% (types measured further off are withheld as unknown), "
        if model_type not in measured_types():
            bound = f"model_type {model_type!r} was not in that run, so its band is extrapolated; " + bound
    return (
        "structural estimate; measured on unverified model types of the transformers registry "
        f"(scripts/coverage_params.py, {b.get('variants')} configs): {bound}median error {b.get('median_pct')}%, "
        f"{round(100 * b.get('within_1pct', 0))}% within ±1%, 90% within ±{b.get('p90_pct')}% (docs/PARAMS.md)"
    )


def unreliable_reason(model_type: str | None) -> str | None:
    """Why a structural answer is withheld for this model type, or None when it is not."""
    from hubscan.estimate.structural import EXACT_TYPES, unreliable_types

    worst = unreliable_types().get(model_type or "")
    if worst is None or model_type in EXACT_TYPES:
        return None
    return (
        f"the structural estimate was off by up to {_pct(worst)} for model_type {model_type!r} in the coverage "
        "run (scripts/coverage_params.py); no reliable count without transformers (pip install 'hubscan[exact]')"
    )


def count_structural_result(config: dict, model_type: str | None) -> ParamResult:
    """Structural estimate; confidence ``exact`` only on verified native model types (see EXACT_TYPES),
    ``unknown`` with no total on model types the coverage run measured outside the band."""
    from hubscan.estimate.structural import EXACT_TYPES, count_structural

    tally = count_structural(config)
    res = ParamResult(model_type, architecture_of(config))
    res.method = "structural"
    withheld = unreliable_reason(model_type)
    if withheld is not None:
        if tally.total > MAX_TOTAL_PARAMS:
            raise InvalidConfig(
                f"{tally.total:.3g} parameters exceeds {MAX_TOTAL_PARAMS:.0e}: not a real model"
            )
        res.reason = withheld
        return res
    fill_from_tally(res, tally)
    unverified = model_type not in EXACT_TYPES
    remote = isinstance(config.get("auto_map"), dict) and unverified
    if tally.approx or unverified:
        why = list(tally.approx)
        if unverified:
            why.append(f"model_type {model_type!r} is not verified against transformers")
        if remote:
            why.append("auto_map points at the repository's own code")
        res.confidence = "approximate"
        res.reason = "; ".join(why) + "; " + _band_text(model_type)
    else:
        res.confidence = "exact"
    return res


# ----------------------------------------------------------------------------- generic fallback

_GENERIC_H = ("hidden_size", "n_embd", "d_model", "dim", "n_embed", "embed_dim", "hidden_dim")
_GENERIC_L = ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "encoder_layers")


def count_generic(config: dict) -> Tally | None:
    """A rough transformer estimate (12·L·h² + V·h, or 4·h·ffn + 4·h² per layer) for unknown architectures."""
    c = Cfg(config)
    sub = config.get("text_config")
    if not any(config.get(k) for k in _GENERIC_H) and isinstance(sub, dict):
        c = Cfg(sub, "config.text_config")
    try:
        h = c.int(*_GENERIC_H, default=None)
        L = c.int(*_GENERIC_L, default=None)
        V = c.int("vocab_size", "padded_vocab_size", "n_vocab", default=0)
        ffn = c.int(
            "intermediate_size",
            "ffn_hidden_size",
            "ffn_dim",
            "n_inner",
            "inner_hidden_size",
            "d_ff",
            default=None,
        )
    except ConfigProblem:
        return None
    if not h or not L:
        return None
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * 4 * h * h)
    gated = any(k in config for k in ("rms_norm_eps", "num_key_value_heads")) or str(
        config.get("hidden_act", "")
    ) in ("silu", "swiglu")
    if ffn:
        t.add("mlp", L * (3 if gated else 2) * h * ffn)
    else:
        t.add("mlp", L * 8 * h * h)
    t.add("norms", L * 2 * h)
    if not config.get("tie_word_embeddings", True) and V:
        t.add("heads", V * h)
    nh = c.int("num_attention_heads", "n_head", "n_heads", default=0) or 0
    kv = c.int("num_key_value_heads", "multi_query_group_num", "n_head_kv", default=nh) or nh
    if nh and h % nh == 0:
        from hubscan.estimate._cfg import KVLayer

        for _ in range(L):
            t.kv_layers.append(KVLayer(2 * kv * (h // nh), None, h))
    return t


def finite_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0 and math.isfinite(x)
