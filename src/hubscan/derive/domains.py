"""The Hub's task taxonomy: each ``pipeline_tag`` belongs to one modality (domain).

Modalities as the Hub's task list groups them (huggingface.js ``PIPELINE_DATA``): NLP, computer vision,
audio, multimodal, tabular, reinforcement learning, other. A model without a pipeline tag has domain
``unknown``; a tag the table does not know is ``other``. Reported-emission sources and training types are
normalised here too, to the categories Castaño et al. (ESEM 2023) used.
"""

from __future__ import annotations

DOMAINS = ("NLP", "computer vision", "audio", "multimodal", "tabular", "reinforcement learning", "other")

_TASKS: dict[str, tuple[str, ...]] = {
    "NLP": (
        "text-classification", "token-classification", "table-question-answering", "question-answering",
        "zero-shot-classification", "translation", "summarization", "feature-extraction", "text-generation",
        "text2text-generation", "fill-mask", "sentence-similarity", "conversational", "text-ranking",
        "table-to-text", "multiple-choice", "text-retrieval",
    ),
    "computer vision": (
        "depth-estimation", "image-classification", "object-detection", "image-segmentation", "text-to-image",
        "image-to-image", "unconditional-image-generation", "video-classification", "zero-shot-image-classification",
        "mask-generation", "zero-shot-object-detection", "text-to-3d", "image-to-3d", "image-feature-extraction",
        "keypoint-detection", "text-to-video", "image-to-video", "video-to-video",
    ),
    "audio": (
        "text-to-speech", "text-to-audio", "automatic-speech-recognition", "audio-to-audio",
        "audio-classification", "voice-activity-detection",
    ),
    "multimodal": (
        "image-to-text", "image-text-to-text", "visual-question-answering", "document-question-answering",
        "video-text-to-text", "any-to-any", "audio-text-to-text", "visual-document-retrieval",
    ),
    "tabular": ("tabular-classification", "tabular-regression", "time-series-forecasting"),
    "reinforcement learning": ("reinforcement-learning", "robotics"),
    "other": ("graph-ml", "other"),
}  # fmt: skip
TASK_DOMAIN: dict[str, str] = {task: domain for domain, tasks in _TASKS.items() for task in tasks}


def _text(value: object) -> str | None:
    """A non-empty string, else None (missing values arrive as None or NaN)."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def domain_of(pipeline_tag: str | None) -> str:
    """The modality of a pipeline tag; ``unknown`` without one, ``other`` for a tag not in the taxonomy."""
    pipeline_tag = _text(pipeline_tag)
    if not pipeline_tag:
        return "unknown"
    return TASK_DOMAIN.get(pipeline_tag.strip().lower(), "other")


# Castaño et al.'s measurement sources, recognised in the card's free-text ``source``.
_SOURCES = (
    ("AutoTrain", ("autotrain",)),
    ("Code Carbon", ("codecarbon", "code carbon", "code-carbon")),
    ("MLCO2", ("mlco2", "ml co2", "ml-co2", "machine learning impact", "lacoste")),
    ("article", ("arxiv", "paper", "article", "doi.org", "publication", "http")),
)


def source_of(text: str | None, tags: str | None = None) -> str:
    """AutoTrain, Code Carbon, MLCO2, article, other or not specified, from the card's ``source`` text; a card
    that names no source is AutoTrain's when the Hub tags the model ``autotrain`` (``tags``: the JSON list)."""
    text = _text(text)
    if not text:
        return "AutoTrain" if isinstance(tags, str) and '"autotrain' in tags else "not specified"
    low = str(text).lower()
    for name, needles in _SOURCES:
        if any(n in low for n in needles):
            return name
    return "other"


def training_type_of(text: str | None) -> str:
    """pretraining, fine-tuning, other or not specified (from the card's ``training_type``)."""
    text = _text(text)
    if not text:
        return "not specified"
    low = str(text).lower().replace("_", "-").replace(" ", "-")
    if "fine" in low:
        return "fine-tuning"
    if "pre" in low and "train" in low:
        return "pretraining"
    return "other"
