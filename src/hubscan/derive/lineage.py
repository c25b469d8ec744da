"""Base-model lineage: resolve every model's chain of ``base_model`` parents to a root.

``models.base_models`` holds ``{"relation": ..., "models": [parent ids]}`` (from the Hub's ``baseModels``
expand or the card's ``base_model``/``base_model_relation``). ``resolve_lineage`` walks those parent pointers
iteratively (no recursion, so million-model catalogs and long chains are fine) and fills the ``lineage`` table:

* ``parent_id``   the first listed base (a merge lists several; its first is the primary parent);
* ``relation``    finetune / adapter / quantized / merge as declared; when nothing is declared a model with
  several bases is a ``merge`` and one with a single base a ``finetune`` (the Hub's own default);
* ``root_id``     the end of the chain; ``depth`` the number of hops to it (0 for a root);
* ``root_status`` ``root`` (the model has no base), ``resolved`` (the chain ends at a model in the catalog),
  ``external`` (the chain leaves the catalog: the root is the first base that is not catalogued),
  ``cycle`` (the chain loops: the root is the smallest id on the loop, so every member agrees).

A model naming itself as its own base (common in hand-written cards) is treated as having no base.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from hubscan.store.derived import replace_lineage

RELATIONS = ("finetune", "adapter", "quantized", "merge")


def parse_base_models(raw: str | None, relation_column: str | None = None) -> tuple[str | None, list[str]]:
    """Return ``(relation, parent ids)`` from the ``models.base_models`` JSON text (tolerant of junk)."""
    relation: str | None = None
    parents: list[str] = []
    if raw:
        try:
            value: Any = json.loads(raw)
        except (TypeError, ValueError):
            value = raw
        if isinstance(value, dict):
            relation = value.get("relation")
            value = value.get("models") or []
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    item = item.get("id")
                if isinstance(item, str) and item.strip():
                    parents.append(item.strip())
    relation = relation or relation_column
    if isinstance(relation, str):
        relation = relation.strip().lower() or None
    if parents and relation is None:
        relation = "merge" if len(parents) > 1 else "finetune"
    if not parents:
        relation = None
    return relation, parents


def compute_lineage(edges: dict[str, tuple[str | None, str | None]]) -> dict[str, tuple[str, int, str]]:
    """Resolve ``{model: (parent or None, relation)}`` to ``{model: (root_id, depth, root_status)}``.

    Pure function (no database) so the walk can be tested on its own.
    """
    result: dict[str, tuple[str, int, str]] = {}
    for start in edges:
        if start in result:
            continue
        path: list[str] = []
        on_path: dict[str, int] = {}
        node = start
        while True:
            if node in result:
                root, depth, status = result[node]
                if status == "root":
                    status = "resolved"
                for back, member in enumerate(reversed(path), start=1):
                    result[member] = (root, depth + back, status)
                break
            if node not in edges:  # left the catalog: the missing base is the root
                for back, member in enumerate(reversed(path), start=1):
                    result[member] = (node, back, "external")
                break
            if node in on_path:  # loop: members are path[on_path[node]:]
                loop = path[on_path[node] :]
                root = min(loop)
                k = loop.index(root)
                n = len(loop)
                for i, member in enumerate(loop):
                    # hops from member following parents until root: parents go forward along the loop
                    result[member] = (root, (k - i) % n, "cycle")
                lead = path[: on_path[node]]
                base_depth = result[loop[0]][1]
                for back, member in enumerate(reversed(lead), start=1):
                    result[member] = (root, base_depth + back, "cycle")
                break
            parent = edges[node][0]
            if parent is None:
                result[node] = (node, 0, "root")
                for back, member in enumerate(reversed(path), start=1):
                    result[member] = (node, back, "resolved")
                break
            on_path[node] = len(path)
            path.append(node)
            node = parent
    return result


def resolve_lineage(db: Database) -> dict[str, int]:
    """Fill the ``lineage`` table from ``models.base_models``; return counts for the crawl summary."""
    edges: dict[str, tuple[str | None, str | None]] = {}
    for model_id, raw, relation_column in db.execute(
        "SELECT id, base_models, base_model_relation FROM models"
    ):
        relation, parents = parse_base_models(raw, relation_column)
        parents = [p for p in parents if p != model_id]
        if not parents:
            relation = None
        edges[model_id] = (parents[0] if parents else None, relation)
    resolved = compute_lineage(edges)
    rows = [
        (model_id, parent, relation, *resolved[model_id]) for model_id, (parent, relation) in edges.items()
    ]
    replace_lineage(db, rows)
    stats = {"models": len(rows), "with_base": sum(1 for r in rows if r[1] is not None)}
    for status in ("root", "resolved", "external", "cycle"):
        stats[status] = sum(1 for r in rows if r[5] == status)
    stats["families"] = len({r[3] for r in rows})
    stats["max_depth"] = max((r[4] for r in rows), default=0)
    return stats
