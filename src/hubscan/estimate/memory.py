"""Memory footprints: weight bytes per dtype, KV cache, inference and full fine-tuning.

All sizes are bytes; tables print them in decimal GB (10^9) via :func:`hubscan.units.human_bytes`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from hubscan.errors import ParseError
from hubscan.estimate._cfg import Tally

# Bytes per parameter for each storage dtype (IEEE/bfloat16 widths; 4-bit = half a byte, ignoring the
# per-group scales/zeros that quantizers add, typically +1-3%). Source: PyTorch dtype sizes, 2025.
DTYPE_BYTES: Mapping[str, float] = MappingProxyType(
    {
        "fp32": 4.0,
        "bf16": 2.0,
        "fp16": 2.0,
        "fp8": 1.0,
        "int8": 1.0,
        "int4": 0.5,
    }
)

_ALIASES = {
    "fp32": "fp32",
    "float32": "fp32",
    "float": "fp32",
    "torch.float32": "fp32",
    "bf16": "bf16",
    "bfloat16": "bf16",
    "torch.bfloat16": "bf16",
    "fp16": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "torch.float16": "fp16",
    "fp8": "fp8",
    "float8": "fp8",
    "float8_e4m3fn": "fp8",
    "float8_e5m2": "fp8",
    "e4m3": "fp8",
    "int8": "int8",
    "uint8": "int8",
    "8bit": "int8",
    "int4": "int4",
    "4bit": "int4",
    "nf4": "int4",
    "fp4": "int4",
}

# Full fine-tuning with Adam in mixed precision, bytes per parameter (ZeRO paper, Rajbhandari et al. 2020):
# 2 (bf16/fp16 weights) + 2 (gradients) + 4 (fp32 master weights) + 4 + 4 (Adam first and second moments).
TRAINING_BYTES_PER_PARAM = 16

DEFAULT_DTYPE = "bf16"

# The spellings offered as ``--dtype`` choices (every alias above is accepted by ``normalize_dtype``).
DTYPE_CHOICES: tuple[str, ...] = (
    "fp32", "float32", "bf16", "bfloat16", "fp16", "float16", "fp8", "int8", "int4", "nf4", "fp4",
)  # fmt: skip


def normalize_dtype(name: str) -> str:
    """Map a user/config dtype spelling to one of DTYPE_BYTES' keys; raises ParseError if unknown."""
    key = _ALIASES.get(str(name).strip().lower())
    if key is None:
        raise ParseError(f"Unknown dtype {name!r}; use one of fp32, bf16, fp16, fp8, int8, int4.")
    return key


def config_dtype(config: dict) -> tuple[str | None, str | None]:
    """(dtype, note) declared by the config: quantization first, then torch_dtype / dtype."""
    for key in ("quantization_config", "quantization"):
        q = config.get(key)
        if isinstance(q, dict):
            method = str(q.get("quant_method", "") or "").lower()
            bits = q.get("bits", q.get("w_bit", q.get("weight_bits")))
            if q.get("load_in_4bit") is True:
                return "int4", f"{key}: bitsandbytes 4-bit"
            if q.get("load_in_8bit") is True:
                return "int8", f"{key}: bitsandbytes 8-bit"
            if method in ("fp8", "fbgemm_fp8", "compressed-tensors-fp8") or "fp8" in method:
                return "fp8", f"{key}: {method}"
            if isinstance(bits, int) and not isinstance(bits, bool) and 1 <= bits <= 8:
                label = "int4" if bits <= 4 else "int8"
                note = f"{key}: {method or 'quantized'} {bits}-bit"
                if bits not in (4, 8):
                    note += f" (shown as {label}; {bits}-bit storage is {bits / 8:g} bytes/param)"
                return label, note
    for key in ("torch_dtype", "dtype"):
        v = config.get(key)
        if isinstance(v, str):
            norm = _ALIASES.get(v.strip().lower())
            if norm:
                return norm, None
    tc = config.get("text_config")
    if isinstance(tc, dict):
        for key in ("torch_dtype", "dtype"):
            v = tc.get(key)
            if isinstance(v, str) and _ALIASES.get(v.strip().lower()):
                return _ALIASES[v.strip().lower()], None
    return None, None


def weights_bytes(total: int, dtype: str) -> int:
    return int(math.ceil(total * DTYPE_BYTES[dtype]))


def kv_bytes_per_element(dtype: str) -> int:
    """KV caches are kept in the activation dtype: fp32 for fp32 models, 16-bit otherwise."""
    return 4 if dtype == "fp32" else 2


def kv_per_token(tally: Tally, dtype: str) -> int:
    if not tally.has_kv:
        return 0
    return sum(layer.elems for layer in tally.kv_layers) * kv_bytes_per_element(dtype)


def kv_cache(tally: Tally, dtype: str, context: int) -> int:
    """Cache for one sequence of ``context`` tokens: sliding-window layers stop growing at their window."""
    if not tally.has_kv:
        return 0
    elems = sum(
        layer.elems * (min(context, layer.window) if layer.window else context) for layer in tally.kv_layers
    )
    return (elems + tally.state_elems) * kv_bytes_per_element(dtype)


def state_bytes(tally: Tally, dtype: str) -> int:
    """Fixed per-sequence state of SSM / linear-attention layers (does not grow with the context)."""
    if not tally.has_kv:
        return 0
    return tally.state_elems * kv_bytes_per_element(dtype)


def training_bytes(total: int) -> int:
    return total * TRAINING_BYTES_PER_PARAM
