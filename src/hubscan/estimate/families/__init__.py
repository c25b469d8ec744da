"""Analytic parameter formulas, one function per transformers model family.

Every formula mirrors the module tree transformers builds for that family (the ground truth of which
parameters exist); each is checked against meta-device instantiation on the shared corpus.
A family function takes ``(cfg, head)`` and returns a :class:`~hubscan.estimate._cfg.Tally`.
"""

from hubscan.estimate.families import (  # noqa: F401  (each module registers its families on import)
    audio,
    audio_lm,
    audio_more,
    codecs,
    decoders,
    detection,
    dual_encoders,
    encoders,
    hierarchical,
    hybrids,
    misc_models,
    moe_decoders,
    multimodal,
    ocr_doc,
    omni,
    segmentation,
    seq2seq,
    seq2seq_more,
    speech_lm,
    ssm,
    text_decoders,
    textenc,
    tts,
    vision,
    vision_cnn,
    vision_dense,
    vision_more,
    vl_composites,
    vl_legacy,
    vl_more,
)
from hubscan.estimate.families.registry import FAMILIES, HEAD_SUFFIXES, Family, architecture_of, register

__all__ = ["FAMILIES", "HEAD_SUFFIXES", "Family", "architecture_of", "register"]
