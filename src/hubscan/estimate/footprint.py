"""``analyze_config``: parameters, memory and compute footprints from one config.json dict.

Pure and network-free. Order of methods for the parameter count:

1. an analytic family formula (``analytic:<family>``, exact, verified against transformers on the corpus);
2. the structural estimator (``structural``, :mod:`hubscan.estimate.structural`) on the model types it is
   verified to reproduce transformers on (exact);
3. transformers on the meta device (``transformers-meta``, exact) when allowed and importable;
4. the Hub's ``safetensors.total`` when given and not a packed quantized checkpoint (``safetensors``);
5. the structural estimator on any other decoder-style config (confidence ``approximate``, with the measured
   error band in the reason), except on model types the coverage run measured outside that band: there the
   estimate is withheld (``unknown``, total None, the measured worst error in the reason);
6. otherwise ``unknown`` with the reason. Hostile values (NaN, negative or absurd sizes, > 1e5 layers,
   > 1e15 parameters) give confidence ``invalid`` and an ``invalid_config:`` reason, immediately.

A confident number is only ever returned by 1-4.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from hubscan.errors import ParseError
from hubscan.estimate import memory as mem
from hubscan.estimate import quant
from hubscan.estimate._cfg import ConfigProblem, InvalidConfig, NotExact, Tally, validate_sizes
from hubscan.estimate.compute import forward_flops_per_token, training_flops
from hubscan.estimate.params import (
    FAMILIES,
    ParamResult,
    architecture_of,
    count_analytic,
    count_structural_result,
    fill_from_tally,
    infer_model_type,
)
from hubscan.estimate.st_explain import explain as explain_difference
from hubscan.units import human_bytes, human_flops, human_params

ESTIMATOR_VERSION = "2"

__all__ = ["ESTIMATOR_VERSION", "analyze_config", "summary_row", "training_flops"]

_PACKED_DTYPES = re.compile(r"^(I32|U32|I8|U8|I16|U16|int32|uint8|int8)$", re.I)


def _meta_allowed(use_transformers: bool | None) -> bool:
    if use_transformers is False:
        return False
    from hubscan.estimate import meta

    return meta.available()


def _invalid(res: ParamResult, exc: Exception) -> ParamResult:
    res.confidence = "invalid"
    res.method = "invalid_config"
    res.reason = f"invalid_config: {exc}"
    return res


def _first_count(config: dict, model_type: str | None, res: ParamResult) -> tuple[ParamResult | None, str]:
    """Analytic family formula, then the structural estimator on verified types: (result or None, why not)."""
    from hubscan.estimate.structural import EXACT_TYPES

    problem = ""
    validate_sizes(config)
    if model_type in FAMILIES:
        try:
            out = count_analytic(config, model_type)
            if not isinstance(config.get("model_type"), str) or not config.get("model_type"):
                out.notes.append(f"model_type missing; inferred {model_type!r} from architectures")
            return out, ""
        except InvalidConfig:
            raise
        except (ConfigProblem, NotExact) as exc:
            problem = str(exc)
        except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError) as exc:  # malformed values
            problem = f"malformed config for the {model_type} formula ({type(exc).__name__}: {exc})"
    elif model_type is None:
        problem = "config has no model_type and no recognisable architectures"
    else:
        problem = f"no analytic formula for model_type {model_type!r}"
    if model_type in EXACT_TYPES:
        try:
            out = count_structural_result(config, model_type)
            if out.confidence == "exact":
                return out, ""
        except InvalidConfig:
            raise
        except (ConfigProblem, NotExact, TypeError, ValueError, ArithmeticError) as exc:
            problem = f"{problem}; structural estimator: {exc}"
    return None, problem


def _count_params(config: dict, use_transformers: bool | None) -> ParamResult:
    model_type = infer_model_type(config)
    arch = architecture_of(config)
    res = ParamResult(model_type, arch)
    if not config:
        res.reason = "config is empty"
        return res
    try:
        out, problem = _first_count(config, model_type, res)
    except InvalidConfig as exc:
        return _invalid(res, exc)
    if out is not None:
        return out

    if _meta_allowed(use_transformers) and model_type is not None:
        from hubscan.estimate import meta

        try:
            data = config if config.get("model_type") == model_type else {**config, "model_type": model_type}
            tally = meta.count_meta(data)
        except meta.MetaUnavailable as exc:
            problem = f"{problem}; {exc}"
        except Exception as exc:  # noqa: BLE001 - any failure inside transformers means "no exact count"
            problem = f"{problem}; transformers failed: {type(exc).__name__}: {exc}"
        else:
            fill_from_tally(res, tally)
            if tally.experts_total:
                res.active = None
            res.method = "transformers-meta"
            res.confidence = "exact"
            res.notes.append(problem)
            return res
    elif use_transformers is None and model_type is not None and model_type not in FAMILIES:
        problem += " (install hubscan[exact] to count it on the meta device)"

    res.reason = problem
    return res


def _structural(config: dict, res: ParamResult) -> None:
    """The structural estimator as the approximate fallback (replaces the old generic 12·L·h² estimate)."""
    reason = res.reason
    try:
        out = count_structural_result(config, res.model_type)
    except InvalidConfig as exc:
        _invalid(res, exc)
        return
    except (ConfigProblem, NotExact, TypeError, ValueError, ArithmeticError) as exc:
        res.reason = f"{reason}; structural estimator cannot read it: {exc}"
        return
    if out.total is None and out.reason:  # measured outside the band on this model type: withheld
        res.method = out.method
        res.reason = f"{reason}; {out.reason}" if reason else out.reason
        return
    if out.total is None or out.total <= 0:
        return
    fill_from_tally(res, out.tally)
    res.method = out.method
    res.confidence = out.confidence
    res.reason = f"{reason}; {out.reason}" if out.reason else reason


def _quantized(config: dict, safetensors_parameters: dict | None) -> bool:
    if any(isinstance(config.get(k), dict) for k in ("quantization_config", "quantization", "quip_params")):
        return True
    if isinstance(safetensors_parameters, dict):
        return any(isinstance(k, str) and _PACKED_DTYPES.match(k) for k in safetensors_parameters)
    return False


def _safetensors_check(res: ParamResult, config: dict, st_total: Any, st_params: dict | None) -> dict:
    """The listing's safetensors total next to the count: ``check``, ``delta_pct``, and ``cause``/``note``
    from ``st_explain`` when the two differ (``unexplained`` when no known cause fits the difference)."""
    out: dict[str, Any] = {"total": None, "delta_pct": None, "check": "no_data", "note": None, "cause": None}
    if isinstance(st_total, bool) or not isinstance(st_total, int) or st_total <= 0:
        return out
    out["total"] = int(st_total)
    if res.total is None or res.total <= 0:
        out["note"] = "no parameter count to compare with"
        return out
    delta = (st_total - res.total) / res.total * 100.0
    out["delta_pct"] = round(delta, 4)
    found = explain_difference(res, config, int(st_total), st_params) if st_total != res.total else None
    if abs(delta) <= 1.0:
        out["check"] = "agree"
        if found:  # within the band, but the exact difference still has a known cause
            out["cause"], out["note"] = found
        return out
    if _quantized(config, st_params) and st_total < res.total:
        out["check"] = out["cause"] = "quantized_packed"
        out["note"] = (
            "quantized checkpoint: safetensors counts packed storage words (4-bit GPTQ/AWQ pack 8 parameters per "
            "I32, plus scales/zeros), not parameters; the architecture count is the unquantized model"
        )
        return out
    out["check"] = "disagree"
    if found:
        out["cause"], out["note"] = found
    else:
        out["cause"] = "unexplained"
        out["note"] = f"unexplained: safetensors total differs from the {res.method} count by {delta:+.2f}%"
    return out


def analyze_config(
    config: dict,
    *,
    context: int = 4096,
    dtype: str | None = None,
    safetensors_total: int | None = None,
    safetensors_parameters: dict | None = None,
    use_transformers: bool | None = None,
) -> dict:
    """Parameters, memory and compute of the model described by ``config`` (see module docstring).

    Raises ParseError for a non-dict ``config`` or an unknown ``dtype``; never raises for any dict.
    """
    if not isinstance(config, dict):
        raise ParseError(f"config.json must be a JSON object, got {type(config).__name__}.")
    chosen = mem.normalize_dtype(dtype) if dtype is not None else None
    if isinstance(context, bool) or not isinstance(context, int) or context < 0:
        raise ParseError(f"context must be a non-negative integer, got {context!r}.")

    res = _params(config, use_transformers, safetensors_total, safetensors_parameters)
    memory, kv_tok = _memory(config, res, chosen, context)
    active = res.active
    flops = (
        forward_flops_per_token(active, res.tally if kv_tok is not None else None, context)
        if active is not None
        else None
    )
    train_flops = training_flops(active, 1) if active is not None else None

    params = res.as_dict()
    if res.confidence in ("unknown", "invalid"):
        params.update(total=None, active=None, embedding=None, non_embedding=None)
    return {
        "model_type": res.model_type,
        "architecture": res.architecture,
        "params": params,
        "memory": memory,
        "flops_per_token": flops,
        "training_flops_per_token": train_flops,
        "safetensors": _safetensors_check(res, config, safetensors_total, safetensors_parameters),
        "estimator_version": ESTIMATOR_VERSION,
    }


def _params(
    config: dict, use_transformers: bool | None, st_total: Any, st_params: dict | None
) -> ParamResult:
    """Methods 1-5 of the module docstring, in order."""
    try:
        res = _count_params(config, use_transformers)
    except Exception as exc:  # noqa: BLE001 - the contract: never raise on a dict
        res = ParamResult(None, None, reason=f"could not read config: {type(exc).__name__}: {exc}")
    if (
        res.total is None
        and res.confidence != "invalid"
        and isinstance(st_total, int)
        and not isinstance(st_total, bool)
        and st_total > 0
        and not _quantized(config, st_params)
    ):
        res.total = res.active = int(st_total)
        res.method = "safetensors"
        res.confidence = "exact"
        res.notes.append(f"{res.reason}; count taken from the checkpoint's safetensors header total")
        res.reason = None
        res.breakdown = {}
    if res.total is None and res.confidence != "invalid":
        with contextlib.suppress(Exception):
            _structural(config, res)
    return res


def _weights(config: dict, res: ParamResult, chosen: str, user_dtype: bool, notes: list[str]) -> dict:
    total = res.total
    out: dict[str, Any] = {"weights_bytes": None, "weights_bytes_by_dtype": {}, "quantization": None}
    if total is None:
        return out
    out["weights_bytes"] = mem.weights_bytes(total, chosen)
    out["weights_bytes_by_dtype"] = {k: mem.weights_bytes(total, k) for k in mem.DTYPE_BYTES}
    scheme = quant.scheme_of(config)
    if scheme is None or user_dtype or not res.breakdown or sum(res.breakdown.values()) != total:
        return out
    base_dtype, _ = mem.config_dtype({k: v for k, v in config.items() if k != "quantization_config"})
    base = 4.0 if base_dtype == "fp32" else 2.0
    wb = quant.quantized_weights_bytes(res.breakdown, scheme, base)
    kept = sorted(
        p for p, n in res.breakdown.items() if n and (p not in quant.QUANTIZABLE or p in scheme.keep)
    )
    out["weights_bytes"] = wb
    out["quantization"] = {
        "scheme": scheme.name,
        "bytes_per_quantized_param": round(scheme.bytes_per_param, 6),
        "effective_bytes_per_param": round(wb / total, 6),
        "unquantized_parts": kept,
        "note": scheme.note,
    }
    notes.append(
        f"weights from quantization_config: {scheme.name} ({scheme.note}); {', '.join(kept)} kept at "
        f"{base:g} bytes/param (estimate: layer-specific exclusions are not modelled)"
    )
    return out


def _memory(config: dict, res: ParamResult, chosen: str | None, context: int) -> tuple[dict, int | None]:
    notes: list[str] = list(dict.fromkeys(n for n in res.notes if n))
    user_dtype = chosen is not None
    cfg_dtype, cfg_note = mem.config_dtype(config)
    if chosen is None:
        chosen = cfg_dtype or mem.DEFAULT_DTYPE
        if cfg_note:
            notes.append(f"dtype from {cfg_note}")
        elif cfg_dtype is None:
            notes.append(f"config declares no dtype; assuming {mem.DEFAULT_DTYPE}")
    w = _weights(config, res, chosen, user_dtype, notes)
    tally: Tally | None = res.tally
    total, weights = res.total, w["weights_bytes"]
    kv_tok = kv_ctx = attn_kv = state = None
    if (
        tally is not None
        and (tally.kv_layers or tally.state_elems or not tally.has_kv)
        and res.method != "transformers-meta"
    ):
        kv_tok = mem.kv_per_token(tally, chosen)
        kv_ctx = mem.kv_cache(tally, chosen, context)
        state = mem.state_bytes(tally, chosen)
        attn_kv = kv_ctx - state
        if not tally.has_kv:
            notes.append("no KV cache: encoder-only model")
        elif chosen in ("fp8", "int8", "int4"):
            notes.append("KV cache assumed in 16-bit activations")
        if state:
            notes.append(
                "only attention layers hold a KV cache; SSM / linear-attention layers hold a fixed state "
                "(state_bytes, included in kv_cache_bytes)"
            )
    inference = weights + kv_ctx if weights is not None and kv_ctx is not None else weights
    if weights is not None and kv_ctx is None:
        notes.append("KV cache unknown for this method; inference = weights only")
    training = mem.training_bytes(total) if total is not None else None
    if training is not None:
        notes.append(
            "training = 16 bytes/param (bf16 weights+grads, fp32 master, Adam m+v); activations excluded"
        )
    memory = {
        "dtype": chosen,
        "bytes_per_param": mem.DTYPE_BYTES[chosen],
        **w,
        "kv_bytes_per_token": kv_tok,
        "context": context,
        "kv_cache_bytes": kv_ctx,
        "attention_kv_bytes": attn_kv,
        "state_bytes": state,
        "inference_bytes": inference,
        "training_bytes": training,
        "notes": notes,
    }
    return memory, kv_tok


def summary_row(record: dict) -> dict:
    """Flat human-readable columns of one ``analyze_config`` record, for table output."""
    p = record.get("params") or {}
    m = record.get("memory") or {}
    ctx = m.get("context")
    conf = p.get("confidence") or "unknown"
    mark = "~" if conf == "approximate" else ""
    return {
        "params": mark + human_params(p.get("total")) if p.get("total") is not None else "-",
        "active": mark + human_params(p.get("active")) if p.get("active") is not None else "-",
        "embedding": human_params(p.get("embedding")),
        "weights": human_bytes(m.get("weights_bytes"))
        + (f" ({m.get('dtype')})" if m.get("weights_bytes") is not None else ""),
        "kv/token": human_bytes(m.get("kv_bytes_per_token")),
        "kv@ctx": human_bytes(m.get("kv_cache_bytes"))
        + (f" @{ctx}" if m.get("kv_cache_bytes") is not None else ""),
        "inference": human_bytes(m.get("inference_bytes")),
        "training": human_bytes(m.get("training_bytes")),
        "flops/token": human_flops(record.get("flops_per_token")),
        "method": p.get("method") or "unknown",
        "confidence": conf,
    }


# Bytes per element of the safetensors dtypes the Hub's listing counts parameters in.
SAFETENSORS_DTYPE_BYTES = {
    "F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "BF16": 2, "F16": 2, "I16": 2, "U16": 2,
    "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I8": 1, "U8": 1, "BOOL": 1,
}  # fmt: skip
_SAFETENSORS_DTYPE_NAME = {
    "F32": "fp32",
    "BF16": "bf16",
    "F16": "fp16",
    "F8_E4M3": "fp8",
    "F8_E5M2": "fp8",
    "I8": "int8",
}


def footprint_from_listing(safetensors_total: int, safetensors_parameters: dict | None) -> dict:
    """A footprint from the Hub listing's ``safetensors`` field alone (no config.json: a ``--listing-only``
    crawl): the checkpoint's stored parameter count and weight bytes per stored dtype. No KV cache or FLOPs
    per token can be known without the config. Packed 4-bit checkpoints store several weights per element,
    so their stored count is below the model's parameter count (said in the reason)."""
    if isinstance(safetensors_total, bool) or not isinstance(safetensors_total, int) or safetensors_total < 0:
        raise ParseError(f"safetensors total must be a non-negative integer, got {safetensors_total!r}.")
    by_dtype = {
        str(k).upper(): v
        for k, v in (safetensors_parameters or {}).items()
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0
    }
    stored = sum(n * SAFETENSORS_DTYPE_BYTES.get(k, 2) for k, n in by_dtype.items()) if by_dtype else None
    main = max(by_dtype, key=by_dtype.get) if by_dtype else None
    dtype = _SAFETENSORS_DTYPE_NAME.get(main or "")
    packed = any(k in ("U8", "I32", "U32") for k in by_dtype) and "I8" not in by_dtype
    reason = "stored parameter count from the Hub listing (safetensors.total); no config.json was read"
    if packed:
        reason += (
            "; integer tensors suggest a packed quantized checkpoint, whose stored count is below the model's"
        )
    params = {
        "total": safetensors_total, "active": None, "embedding": None, "non_embedding": None, "breakdown": {},
        "method": "listing:safetensors", "confidence": "approximate" if packed else "listing", "reason": reason,
    }  # fmt: skip
    by = {d: mem.weights_bytes(safetensors_total, d) for d in ("fp32", "bf16", "int8", "int4")}
    memory = {
        "dtype": dtype, "weights_bytes": stored, "weights_bytes_by_dtype": by, "kv_bytes_per_token": None,
        "context": None, "kv_cache_bytes": None, "inference_bytes": stored,
        "training_bytes": mem.training_bytes(safetensors_total),
        "notes": ["weights as stored, per safetensors dtype; KV cache unknown without config.json"],
    }  # fmt: skip
    return {
        "model_type": None, "architecture": None, "params": params, "memory": memory,
        "flops_per_token": None, "training_flops_per_token": None,
        "safetensors": {"total": safetensors_total, "delta_pct": None, "check": "source", "note": None},
        "estimator_version": ESTIMATOR_VERSION, "derived_from": "listing",
    }  # fmt: skip
