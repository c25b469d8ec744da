"""Weight memory of quantized checkpoints from their ``quantization_config``.

Storage cost per quantized parameter (weights plus the block scales stored next to them):

* FP8 (``quant_method: fp8``, DeepSeek/Qwen/MiniMax style): 1 byte, plus one fp32 scale per
  ``weight_block_size`` block (128x128: 4/16384 byte per parameter);
* MXFP4 (OCP microscaling, gpt-oss): 4-bit values + one 8-bit E8M0 scale per 32 values = 0.5 + 1/32;
* NVFP4 (ModelOpt / compressed-tensors, 4-bit float, group 16): 0.5 + one FP8 E4M3 scale per 16 = 0.5 + 1/16;
* INT4/INT8 GPTQ / AWQ / compressed-tensors int: bits/8, plus an fp16 scale and a packed zero-point per group
  (default group 128): bits/8 + 2/g + bits/8/g;
* bitsandbytes 4-bit: 0.5 + an fp32 absmax per 64 (0.5 + 1/64 + 4/16384 with double quantization);
  8-bit: 1 byte (+ one fp32 scale per output row, ignored).

Which parameters stay in 16 bits: embeddings, the output head, norms, routers and anything matched by the
config's ``modules_to_not_convert`` / ``ignore`` / ``exclude_modules`` patterns (attention, vision tower,
shared experts). Layer-specific exclusions (``model.layers.0.*``) are not modelled: the figure is an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Breakdown parts that hold the quantized linear layers; everything else stays in 16 bits.
QUANTIZABLE = ("attention", "mlp", "experts")


@dataclass
class QuantScheme:
    name: str
    bytes_per_param: float
    keep: set[str] = field(default_factory=set)  # extra breakdown parts kept at 16 bits
    note: str = ""


def _groups_scheme(q: dict) -> QuantScheme | None:
    """compressed-tensors / ModelOpt ``config_groups``: the first group's weight format."""
    groups = q.get("config_groups")
    if not isinstance(groups, dict) or not groups:
        return None
    first = next(iter(groups.values()))
    w = first.get("weights") if isinstance(first, dict) else None
    if not isinstance(w, dict):
        return None
    bits, kind, g = w.get("num_bits"), w.get("type"), w.get("group_size")
    if bits == 4 and kind == "float":
        return QuantScheme("nvfp4", 0.5 + 1 / 16, note="NVFP4: 4-bit float + FP8 scale per 16 values")
    if bits == 8 and kind == "float":
        return QuantScheme("fp8", 1.0, note="FP8 weights (per-tensor/channel scales)")
    if isinstance(bits, int) and kind == "int" and 2 <= bits <= 8:
        g = g if isinstance(g, int) and g > 0 else 128
        return QuantScheme(f"int{bits}", bits / 8 + 2 / g + bits / 8 / g, note=f"int{bits}, group {g}")
    return None


def _method_scheme(q: dict) -> QuantScheme | None:
    method = str(q.get("quant_method", "") or "").lower()
    if q.get("load_in_4bit") is True or method == "bitsandbytes" and q.get("_load_in_4bit") is True:
        double = q.get("bnb_4bit_use_double_quant") is True
        bpp = 0.5 + (1 / 64 + 4 / 16384 if double else 4 / 64)
        return QuantScheme("bnb-4bit", bpp, note="bitsandbytes 4-bit, absmax per 64")
    if q.get("load_in_8bit") is True:
        return QuantScheme("bnb-8bit", 1.0, note="bitsandbytes LLM.int8")
    if method == "mxfp4":
        return QuantScheme("mxfp4", 0.5 + 1 / 32, note="MXFP4: 4-bit + E8M0 scale per 32 values")
    if "fp8" in method:
        block = q.get("weight_block_size")
        extra = 0.0
        if isinstance(block, list) and len(block) == 2 and all(isinstance(b, int) and b > 0 for b in block):
            extra = 4 / (block[0] * block[1])
        return QuantScheme("fp8", 1.0 + extra, note=f"FP8 weights, block scales {block}")
    if method in ("gptq", "awq", "autoround", "auto-round", "hqq", "quanto"):
        bits = q.get("bits", q.get("w_bit", q.get("weight_bits")))
        g = q.get("group_size", q.get("q_group_size", 128))
        if isinstance(bits, int) and not isinstance(bits, bool) and 2 <= bits <= 8:
            g = g if isinstance(g, int) and g > 0 else 4096  # -1: per output channel
            return QuantScheme(f"{method}-int{bits}", bits / 8 + 2 / g + bits / 8 / g, note=f"group {g}")
    return None


def _kept_parts(q: dict) -> set[str]:
    patterns = []
    for key in ("modules_to_not_convert", "ignore", "exclude_modules", "ignored_layers", "skip_modules"):
        v = q.get(key)
        if isinstance(v, list):
            patterns += [p for p in v if isinstance(p, str)]
    keep = set()
    for p in patterns:
        generic = "layers.0" not in p and not any(ch.isdigit() for ch in p.split("layers.", 1)[-1][:3])
        if generic and ("self_attn" in p or p.endswith("attn") or ".attn" in p or "linear_attn" in p):
            keep.add("attention")
        if "visual" in p or "vision" in p:
            keep.update({"vision", "audio"})
    return keep


def scheme_of(config: dict) -> QuantScheme | None:
    for key in ("quantization_config", "quantization", "compression_config"):
        q = config.get(key)
        if isinstance(q, dict):
            s = _groups_scheme(q) or _method_scheme(q)
            if s is not None:
                s.keep |= _kept_parts(q)
                return s
    return None


def quantized_weights_bytes(breakdown: dict[str, int], scheme: QuantScheme, base_bytes: float) -> int:
    """Bytes of a checkpoint whose quantizable parts use ``scheme`` and the rest ``base_bytes`` per param."""
    total = 0.0
    for part, n in breakdown.items():
        if part in QUANTIZABLE and part not in scheme.keep:
            total += n * scheme.bytes_per_param
        else:
            total += n * base_bytes
    return int(round(total))
