"""Exact counts for architectures without an analytic formula: build the model on torch's meta device.

Needs the optional ``hubscan[exact]`` extra (transformers + torch==2.13.0). Nothing is downloaded and no
remote code runs: the config class comes from ``AutoConfig.for_model`` (native model types only) and the
model from the class named in ``architectures`` (or ``AutoModel``), instantiated under
``torch.device("meta")`` so no weight memory is allocated.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from functools import lru_cache
from typing import Any

from hubscan.estimate._cfg import Tally

_COMPONENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("experts", re.compile(r"experts\.")),
    (
        "heads",
        re.compile(r"(^|\.)(lm_head|score|classifier|qa_outputs|cls|pooler|head|embed_out|proj_out)\b"),
    ),
    (
        "embeddings",
        re.compile(r"(embed|wte|wpe|word_embeddings|position_embeddings|token_type|shared\.weight)"),
    ),
    ("norms", re.compile(r"(norm|ln_|ln\d|\.ln\b|layernorm)", re.I)),
    ("attention", re.compile(r"(attn|attention|q_proj|k_proj|v_proj|o_proj|query|key|value)")),
    ("mlp", re.compile(r"(mlp|ffn|feed_forward|fc\d|intermediate|dense_h_to_4h|dense_4h_to_h|wi|wo)")),
)


@lru_cache(maxsize=1)
def available() -> bool:
    """True when transformers and torch can be imported (without importing them here)."""
    return (
        importlib.util.find_spec("transformers") is not None and importlib.util.find_spec("torch") is not None
    )


class MetaUnavailable(Exception):
    """The meta-device path cannot count this config; str() says why."""


def _classify(name: str) -> str:
    for part, rx in _COMPONENT_RULES:
        if rx.search(name):
            return part
    return "other"


@lru_cache(maxsize=1)
def _modules() -> tuple[Any, Any]:
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    return torch, transformers


def native_model_types() -> frozenset[str]:
    _, transformers = _modules()
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    return frozenset(CONFIG_MAPPING_NAMES)


def build_meta_model(config: dict) -> Any:
    """Instantiate the model for ``config`` on the meta device; raises MetaUnavailable with the reason."""
    if not available():
        raise MetaUnavailable("transformers/torch are not installed (pip install 'hubscan[exact]')")
    torch, transformers = _modules()
    data = copy.deepcopy(config)
    model_type = data.pop("model_type", None)
    if not isinstance(model_type, str) or not model_type:
        raise MetaUnavailable("config has no model_type")
    if model_type not in native_model_types():
        raise MetaUnavailable(
            f"model_type {model_type!r} is not built into transformers {transformers.__version__}; "
            "it needs the repository's own code (trust_remote_code), which hubscan never runs"
        )
    data.pop("auto_map", None)
    try:
        cfg = transformers.AutoConfig.for_model(model_type, **data)
    except Exception as exc:  # transformers validates configs strictly
        raise MetaUnavailable(f"transformers refused the config: {type(exc).__name__}: {exc}") from exc
    arch = None
    archs = config.get("architectures")
    if isinstance(archs, list) and archs and isinstance(archs[0], str):
        arch = archs[0]
    cls = getattr(transformers, arch, None) if arch else None
    try:
        with torch.device("meta"):
            if cls is not None and isinstance(cls, type) and hasattr(cls, "_from_config"):
                model = cls._from_config(cfg)
            else:
                model = transformers.AutoModel.from_config(cfg)
    except Exception as exc:
        raise MetaUnavailable(f"transformers could not build the model: {type(exc).__name__}: {exc}") from exc
    return model


def count_meta(config: dict) -> Tally:
    """Distinct parameters (tied tensors once) of the model transformers builds for ``config``."""
    model = build_meta_model(config)
    t = Tally()
    expert_params = 0
    for name, p in model.named_parameters():  # named_parameters() de-duplicates shared tensors
        part = _classify(name)
        t.add(part, p.numel())
        if part == "experts":
            expert_params += p.numel()
    try:
        emb = model.get_input_embeddings()
        weight = getattr(emb, "weight", None)
        if weight is not None:
            t.embedding = int(weight.numel())
    except Exception:  # noqa: BLE001 - not every model has input embeddings
        pass
    if expert_params:
        t.experts_total = expert_params
        t.experts_active = expert_params  # unknown routing; callers report active as None
        t.notes.append("mixture-of-experts routing is not known on this path; active parameters not computed")
    return t
