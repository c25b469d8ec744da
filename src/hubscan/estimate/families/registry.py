"""The family registry: which analytic formula counts which ``model_type``.

Family modules call :func:`register` at import time; ``hubscan.estimate.families`` imports every family
module, so importing that package is all it takes to see every family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hubscan.estimate._cfg import Cfg, Tally

Formula = Callable[[Cfg, str], Tally]


@dataclass(frozen=True)
class Family:
    name: str
    formula: Formula
    prefixes: tuple[str, ...]  # transformers class-name prefixes, e.g. ("Llama",)
    classes: tuple[tuple[str, str], ...] = ()  # (class name, head kind) of classes outside the suffix scheme


HEAD_SUFFIXES: dict[str, str] = {
    "ForCausalLM": "causal_lm",
    "LMHeadModel": "causal_lm",
    "Model": "model",
    "ForSequenceClassification": "seq_cls",
    "ForTokenClassification": "token_cls",
    "ForQuestionAnswering": "qa",
    "ForMaskedLM": "masked_lm",
    "ForPreTraining": "pretraining",
    "ForConditionalGeneration": "cond_gen",
    "MTModel": "cond_gen",
    "EncoderModel": "encoder",
    "ForImageClassification": "img_cls",
    "ForImageClassificationWithTeacher": "img_cls_teacher",
    "ForCTC": "ctc",
    "DoubleHeadsModel": "double_heads",
    "ForMultipleChoice": "multiple_choice",
    "Backbone": "backbone",
    "ForMaskedImageModeling": "masked_im",
    "ForAudioFrameClassification": "audio_frame_cls",
    "ForXVector": "xvector",
}

FAMILIES: dict[str, Family] = {}


def register(
    model_types: str | tuple[str, ...],
    formula: Formula,
    *prefixes: str,
    name: str | None = None,
    classes: dict[str, str] | None = None,
) -> None:
    """``classes`` names head classes whose names do not end in a HEAD_SUFFIXES suffix (class -> head kind)."""
    if isinstance(model_types, str):
        model_types = (model_types,)
    for mt in model_types:
        FAMILIES[mt] = Family(
            name or model_types[0], formula, tuple(prefixes), tuple((classes or {}).items())
        )


def architecture_of(config: dict) -> str | None:
    archs = config.get("architectures")
    if isinstance(archs, list) and archs and isinstance(archs[0], str):
        return archs[0]
    if isinstance(archs, str):
        return archs
    return None
