"""Why a checkpoint's safetensors total differs from the architecture count: causes recognised from the config.

Each recogniser gets the config, the count (a ``ParamResult``), the per-dtype safetensors breakdown and the
difference ``safetensors total - count`` and returns a sentence when the difference is that cause, computed
from the config (exact arithmetic, except the multi-token-prediction estimate, which is within 10%):

* ``mask_buffers``: causal-mask buffers saved with old GPT-2-style checkpoints: ``attn.bias`` is
  ``n_positions × n_positions`` per layer (``n_layer × n_positions²``), plus one ``attn.masked_bias`` scalar
  per layer when saved; or the difference is exactly the checkpoint's BOOL tensors (masks are never parameters);
* ``router_bias``: DeepSeek-V3-style ``e_score_correction_bias``, one value per expert per MoE layer;
* ``tied_head_twice``: a tied output head stored as its own tensor, ``vocab × hidden``;
* ``mtp_layers``: multi-token-prediction layers (``num_nextn_predict_layers``) stored but not built.
"""

from __future__ import annotations

from typing import Any

LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
POSITION_KEYS = ("n_positions", "n_ctx", "max_position_embeddings")
HIDDEN_KEYS = ("hidden_size", "n_embd", "d_model")
EXPERT_KEYS = ("n_routed_experts", "num_local_experts", "num_experts", "moe_num_experts", "n_experts")
MTP_KEYS = ("num_nextn_predict_layers", "mtp_num_hidden_layers", "num_mtp_modules")
NON_PARAMETER_DTYPES = ("BOOL",)
MTP_TOLERANCE = 0.10


def _int(config: dict, *keys: str) -> tuple[str, int] | None:
    """The first of ``keys`` holding a positive int, with its name."""
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return key, value
    return None


def mask_buffers(config: dict, res: Any, st_params: dict | None, diff: int) -> str | None:
    layers = _int(config, *LAYER_KEYS)
    positions: dict[int, str] = {}
    for key in POSITION_KEYS:
        found = _int(config, key)
        if found and found[1] not in positions:
            positions[found[1]] = key
    if layers and diff > 0:
        lk, n_layer = layers
        for p, pk in sorted(positions.items()):
            for extra, what in (
                (0, ""),
                (n_layer, f" + {n_layer:,} attn.masked_bias scalars (one per layer)"),
            ):
                if diff == n_layer * p * p + extra:
                    return (
                        f"stored causal-mask buffers, not parameters: attn.bias = {lk} × {pk}² = "
                        f"{n_layer} × {p}² = {n_layer * p * p:,}{what}"
                    )
    if isinstance(st_params, dict):
        masks = sum(v for k, v in st_params.items() if k in NON_PARAMETER_DTYPES and isinstance(v, int))
        if masks and diff == masks:
            shape = next((f" = {pk}² = {p}²" for p, pk in sorted(positions.items()) if masks == p * p), "")
            return f"the checkpoint's BOOL tensors ({masks:,}{shape}) are stored attention-mask buffers, not parameters"
    return None


def router_bias(config: dict, res: Any, st_params: dict | None, diff: int) -> str | None:
    layers, experts = _int(config, *LAYER_KEYS), _int(config, *EXPERT_KEYS)
    if not layers or not experts or diff <= 0:
        return None
    dense = config.get("first_k_dense_replace")
    dense = dense if isinstance(dense, int) and not isinstance(dense, bool) and dense >= 0 else 0
    mtp = (_int(config, *MTP_KEYS) or ("", 0))[1]
    for moe_layers, what in (
        (layers[1] - dense, "MoE layers"),
        (layers[1] - dense + mtp, "MoE + MTP layers"),
    ):
        if moe_layers > 0 and diff == moe_layers * experts[1]:
            return (
                f"router score-correction biases (e_score_correction_bias) stored: {moe_layers} {what} × "
                f"{experts[1]} experts = {diff:,}"
            )
    return None


def tied_head_twice(config: dict, res: Any, st_params: dict | None, diff: int) -> str | None:
    vocab, hidden = _int(config, "vocab_size"), _int(config, *HIDDEN_KEYS)
    if vocab and hidden and diff == vocab[1] * hidden[1]:
        return (
            f"a tied output head stored twice: vocab_size × {hidden[0]} = {vocab[1]} × {hidden[1]} = {diff:,}"
        )
    if diff > 0 and res.embedding and abs(diff - res.embedding) <= 0.01 * res.total:
        return "safetensors is larger by about one embedding matrix: the checkpoint stores a tied head twice"
    return None


def mtp_layers(config: dict, res: Any, st_params: dict | None, diff: int) -> str | None:
    found, layers = _int(config, *MTP_KEYS), _int(config, *LAYER_KEYS)
    hidden = _int(config, *HIDDEN_KEYS)
    if not found or not layers or not hidden or diff <= 0:
        return None
    tally_mtp = getattr(getattr(res, "tally", None), "mtp", 0) or 0
    if tally_mtp:
        estimate, how = tally_mtp, "the structural estimate of those layers"
    else:
        body = res.total - (res.embedding or 0)
        h = hidden[1]
        estimate = found[1] * (body // layers[1] + 2 * h * h + 4 * h)
        how = "an average decoder layer + eh_proj (2h×h) + norms each"
    if abs(diff - estimate) <= MTP_TOLERANCE * estimate:
        return (
            f"multi-token-prediction layers stored but not built: {found[0]} = {found[1]}, about {estimate:,} "
            f"parameters ({how}; difference {diff:,})"
        )
    return None


RECOGNISERS = (
    ("mask_buffers", mask_buffers),
    ("router_bias", router_bias),
    ("tied_head_twice", tied_head_twice),
    ("mtp_layers", mtp_layers),
)


def explain(res: Any, config: dict, st_total: int, st_params: dict | None) -> tuple[str, str] | None:
    """``(cause, sentence)`` for the first recognised cause of ``st_total - res.total``, else None."""
    diff = st_total - res.total
    for cause, recognise in RECOGNISERS:
        try:
            sentence = recognise(config, res, st_params, diff)
        except (TypeError, ValueError, ArithmeticError):  # hostile configs: no explanation, never a crash
            sentence = None
        if sentence:
            return cause, sentence
    return None
