"""Compute: forward FLOPs per token and training FLOPs (≈ 6·N_active·D, Kaplan et al. 2020)."""

from __future__ import annotations

from hubscan.estimate._cfg import Tally


def training_flops(n_active: int, tokens: float) -> float:
    """Training FLOPs for ``tokens`` tokens: 6 x active parameters x tokens (forward 2N + backward 4N)."""
    return 6.0 * float(n_active) * float(tokens)


def attention_context_flops(tally: Tally, context: int) -> float:
    """QK^T and attention·V for one new token attending ``context`` positions: 4 x ctx x (heads·head_dim) per layer."""
    total = 0.0
    for layer in tally.kv_layers:
        ctx = min(context, layer.window) if layer.window else context
        total += 4.0 * ctx * layer.attn_dim
    return total


def forward_flops_per_token(n_active: int, tally: Tally | None, context: int) -> float:
    """2·N_active (one multiply-add per weight) plus the attention-context term."""
    extra = attention_context_flops(tally, context) if tally is not None else 0.0
    return 2.0 * float(n_active) + extra
