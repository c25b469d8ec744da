"""Base-model lineage: resolve every model's chain of ``base_model`` parents to a root.

``models.base_models`` holds ``{"relation": ..., "models": [parent ids]}`` (from the Hub's ``baseModels``
expand or the card's ``base_model``/``base_model_relation``). Real ``model_info`` bodies often omit
``baseModels``; then the model's tags name the bases: ``base_model:<id>`` (the only form in the 2024 listing)
and ``base_model:<relation>:<id>`` (today's Hub, e.g. ``base_model:quantized:google/gemma-3-12b-it``).
``resolve_lineage`` reads each model's primary base here (pure parsing, streamed in chunks) and resolves the
chains inside SQLite (:mod:`hubscan.store.lineage`: set-based, breadth first from the ends of chains, memory
flat in the catalog size); the few models whose chain runs into a loop are walked by ``compute_lineage``
(iterative, no recursion). It fills the ``lineage`` table:

* ``parent_id``   the first listed base (a merge lists several; its first is the primary parent);
* ``relation``    finetune / adapter / quantized / merge as declared (the Hub's ``baseModels`` expand, a
  ``base_model:<relation>:<id>`` tag, the card's ``base_model_relation``); when nothing declares it, inferred
  as the Hub documents: adapter files → ``adapter``, quantized weights or GGUF → ``quantized``, several bases
  → ``merge``, else ``finetune``; ``relation_inferred`` is 1 for an inferred relation;
* ``root_id``     the end of the chain; ``depth`` the number of hops to it (0 for a root);
* ``root_status`` ``root`` (the model has no base), ``resolved`` (the chain ends at a model in the catalog),
  ``external`` (the chain leaves the catalog: the root is the first base that is not catalogued),
  ``cycle`` (the chain loops: the root is the smallest id on the loop, so every member agrees).

A model naming itself as its own base (common in hand-written cards) is treated as having no base.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from hubscan.store import lineage as store_lineage

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


# Tags and file names that mark quantized weights (the Hub's own library/format tags).
QUANTIZED_TAGS = frozenset(
    {"gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "bitsandbytes", "quantized", "hqq"}
)
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")


def tag_bases(tags: list[str] | None) -> tuple[str | None, list[str]]:
    """``(declared relation or None, base ids)`` from ``base_model:<id>`` / ``base_model:<relation>:<id>`` tags."""
    relation: str | None = None
    parents: list[str] = []
    for tag in tags or []:
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        head, sep, tail = rest.partition(":")
        if sep and head in RELATIONS:
            relation = relation or head
            rest = tail
        rest = rest.strip()
        if rest and ":" not in rest and rest not in parents:
            parents.append(rest)
    return relation, parents


def infer_relation(parents: list[str], *, adapter: bool, quantized: bool) -> str:
    """The Hub's documented inference when no relation is declared."""
    if adapter:
        return "adapter"
    if quantized:
        return "quantized"
    return "merge" if len(parents) > 1 else "finetune"


def _declared_json_relation(raw: str | None) -> str | None:
    """The relation in ``models.base_models`` counts as declared only when the crawl cannot have defaulted it
    (``store.save`` fills finetune/merge when nothing was declared)."""
    relation, _ = parse_base_models(raw)
    return relation if relation in ("adapter", "quantized") else None


def edge_for(model: dict, *, adapter: bool, quantized: bool) -> tuple[str | None, str | None, int]:
    """``(parent, relation, inferred)`` of one model from its stored base models, tags and card data."""
    _, parents = parse_base_models(model.get("base_models"))
    tag_relation, tag_parents = tag_bases(model.get("tags"))
    card = model.get("card_data") or {}
    card_relation = card.get("base_model_relation") if isinstance(card, dict) else None
    if not parents:
        parents = tag_parents
    if not parents and isinstance(card, dict):
        _, parents = parse_base_models(json.dumps(card.get("base_model")) if card.get("base_model") else None)
    parents = [p for p in parents if p != model["id"]]
    if not parents:
        return None, None, 0
    declared = tag_relation or (card_relation if card_relation in RELATIONS else None)
    declared = declared or _declared_json_relation(model.get("base_models"))
    if declared:
        return parents[0], declared, 0
    return parents[0], infer_relation(parents, adapter=adapter, quantized=quantized), 1


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


_EVIDENCE_MARKS = ",".join("?" * len(ADAPTER_FILES))
# Models that may have a base (stored base models, a base_model tag, a base_model key in the card data; all
# stored as JSON text written by hubscan, where these ASCII names appear verbatim), with the file evidence the
# relation inference needs: adapter files; quantized weights (GGUF files or metadata, a quantization config).
# Every other model has no base and is staged by SQL alone.
_CANDIDATES = f"""
SELECT m.id, m.base_models, m.tags, k.card_data,
       EXISTS (SELECT 1 FROM files f WHERE f.model_id = m.id AND f.path IN ({_EVIDENCE_MARKS})) AS adapter,
       (m.gguf_total IS NOT NULL
        OR EXISTS (SELECT 1 FROM files f WHERE f.model_id = m.id AND f.path LIKE '%.gguf')
        OR EXISTS (SELECT 1 FROM configs c WHERE c.model_id = m.id AND c.status = 'ok'
                   AND c.raw LIKE '%"quantization_config"%')) AS quantized
FROM models m LEFT JOIN cards k ON k.model_id = m.id
WHERE m.base_models IS NOT NULL OR instr(m.tags, 'base_model:') > 0 OR instr(k.card_data, 'base_model') > 0
"""
CHUNK = 2000


def edge_chunks(db: Database, chunk: int = CHUNK) -> Iterator[list[tuple[str, str, str | None, int]]]:
    """``(model, parent, relation, inferred)`` of every model that has a base, ``chunk`` rows at a time."""
    cursor = db.execute(_CANDIDATES, ADAPTER_FILES)
    while rows := cursor.fetchmany(chunk):
        edges = []
        for model_id, raw, tags_text, card_text, adapter, quantized in rows:
            tags = _json(tags_text)
            tags = tags if isinstance(tags, list) else []
            model = {"id": model_id, "base_models": raw, "tags": tags, "card_data": _json(card_text)}
            is_quant = bool(quantized) or bool(QUANTIZED_TAGS & {t for t in tags if isinstance(t, str)})
            parent, relation, flag = edge_for(model, adapter=bool(adapter), quantized=is_quant)
            if parent is not None:
                edges.append((model_id, parent, relation, flag))
        yield edges


def resolve_lineage(db: Database) -> dict[str, int]:
    """Fill the ``lineage`` table from stored base models, tags and card data; return counts for the crawl
    summary.

    The edges are streamed into SQLite and resolved there (:mod:`hubscan.store.lineage`); only the models
    whose chain runs into a loop are walked here, by ``compute_lineage``.
    """
    try:
        store_lineage.stage_edges(db, edge_chunks(db))
        if store_lineage.resolve_chains(db):
            loops = compute_lineage(store_lineage.unresolved_edges(db))
            store_lineage.add_resolved(db, ((m, *resolved) for m, resolved in loops.items()))
        return store_lineage.publish(db)
    finally:
        store_lineage.drop_temp_tables(db)
