"""Card facts for the research questions: evaluation results (``model-index``) and the datasets a card names.

* ``model_performance``: one row per model, task, dataset and metric from the card's ``model-index`` results
  (the Hub's evaluation-results metadata); ``value`` is the number as written, ``value_raw`` the text.
* ``model_datasets``: the datasets a card names in ``datasets:`` (and the Hub's ``dataset:<id>`` tags).

``performance_score`` turns a model's results into one number for ``hubscan correlate --x performance``: the
first higher-is-better metric (accuracy, F1, ROUGE, BLEU, …) of its first result, as a fraction 0–1
(values written as percentages, 1 < v ≤ 100, are divided by 100).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlite_utils import Database

from hubscan.store.derived import replace_card_facts

# Higher-is-better metrics whose natural range is 0-1 (or 0-100 written as a percentage).
SCORE_METRICS = (
    "accuracy", "acc", "f1", "rouge", "bleu", "precision", "recall", "exact_match", "em", "matthews",
    "map", "ndcg", "mrr", "spearman", "pearson", "auc", "roc_auc", "sacrebleu", "chrf", "meteor",
    "bertscore", "iou", "miou", "top1", "top-1", "pass@1",
)  # fmt: skip
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _NUMBER.search(value)
        return float(match.group()) if match else None
    return None


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("type") or value.get("name")
    return str(value).strip() if value not in (None, "") else None


def performance_rows(model_id: str, card: dict | None) -> list[tuple]:
    """``(model_id, task, dataset, metric_type, metric_name, value, value_raw)`` for every metric in the card's
    ``model-index``."""
    rows: list[tuple] = []
    index = (card or {}).get("model-index") if isinstance(card, dict) else None
    for entry in index if isinstance(index, list) else []:
        results = entry.get("results") if isinstance(entry, dict) else None
        for result in results if isinstance(results, list) else []:
            if not isinstance(result, dict):
                continue
            task, dataset = _name(result.get("task")), _name(result.get("dataset"))
            for metric in result.get("metrics") or []:
                if not isinstance(metric, dict):
                    continue
                raw = metric.get("value")
                rows.append((model_id, task, dataset, _name(metric.get("type")), metric.get("name"),
                             _number(raw), None if raw is None else str(raw)))  # fmt: skip
    return rows


def dataset_ids(card: dict | None, tags: list | None) -> list[str]:
    """Datasets a card names (``datasets:``) and the Hub's ``dataset:<id>`` tags, in order, once each."""
    found: list[str] = []
    named = (card or {}).get("datasets") if isinstance(card, dict) else None
    if isinstance(named, str):
        named = [named]
    for item in named if isinstance(named, list) else []:
        if isinstance(item, str) and item.strip() and item.strip() not in found:
            found.append(item.strip())
    for tag in tags or []:
        if isinstance(tag, str) and tag.startswith("dataset:"):
            name = tag[len("dataset:") :].strip()
            if name and name not in found:
                found.append(name)
    return found


def is_score_metric(metric_type: str | None) -> bool:
    name = (metric_type or "").lower()
    return any(name == m or name.startswith(m) for m in SCORE_METRICS)


def performance_score(rows: list[tuple[str | None, float | None]]) -> float | None:
    """One score 0-1 from a model's ``(metric_type, value)`` rows in card order (see module docstring)."""
    for metric_type, value in rows:
        if value is None or not is_score_metric(metric_type):
            continue
        if 1 < value <= 100:
            value /= 100
        if 0 <= value <= 1:
            return value
    return None


def _load(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def card_fact_chunks(db: Database, counts: dict[str, int], chunk: int = 1000):
    """``(performance rows, dataset links)`` of the models with card data or dataset tags, ``chunk`` models at
    a time; ``counts`` accumulates how many of each were produced."""
    cursor = db.execute(
        "SELECT m.id, m.tags, k.card_data FROM models m LEFT JOIN cards k ON k.model_id = m.id "
        "WHERE k.card_data IS NOT NULL OR m.tags LIKE '%dataset:%'"
    )
    while rows := cursor.fetchmany(chunk):
        performance: list[tuple] = []
        links: list[tuple] = []
        for model_id, tags_text, card_text in rows:
            card, tags = _load(card_text), _load(tags_text)
            card = card if isinstance(card, dict) else None
            performance += performance_rows(model_id, card)
            links += [(model_id, d) for d in dataset_ids(card, tags if isinstance(tags, list) else None)]
        counts["performance_rows"] += len(performance)
        counts["model_datasets"] += len(links)
        yield performance, links


def derive_card_facts(db: Database) -> dict[str, int]:
    """Recompute ``model_performance`` and ``model_datasets`` from stored cards and tags (streamed: memory
    flat in the catalog size)."""
    counts = {"performance_rows": 0, "model_datasets": 0}
    replace_card_facts(db, card_fact_chunks(db, counts))
    return counts
