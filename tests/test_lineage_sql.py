"""Lineage resolved inside SQLite (``hubscan.store.lineage``) against a plain walk written here: chains, loops
with tails, self-parents, missing bases, several bases; first build, re-resolution after changes (only the
changed rows rewritten), and the family rows that a lineage change must refresh."""

from __future__ import annotations

import json
import random

import pytest

from hubscan.derive import resolve_families
from hubscan.derive.lineage import compute_lineage, resolve_lineage
from hubscan.store import open_db


def reference(parents: dict[str, str | None]) -> dict[str, tuple[str, int, str]]:
    """Follow each model's parents one hop at a time: the root is where the chain ends (a model without a
    base, a base outside the catalog, or the smallest id of the loop it runs into); the depth is the number of
    hops until the root is first reached."""
    out = {}
    for model in parents:
        path = [model]
        while True:
            parent = parents[path[-1]]
            if parent is None:
                out[model] = (path[-1], len(path) - 1, "root" if len(path) == 1 else "resolved")
                break
            if parent not in parents:
                out[model] = (parent, len(path), "external")
                break
            if parent in path:
                root = min(path[path.index(parent) :])
                out[model] = (root, path.index(root), "cycle")
                break
            path.append(parent)
    return out


# model -> listed bases (first: the primary parent; the model itself is skipped), as stored base_models
TRICKY = {
    "c/root": [],
    "b/mid": ["c/root"],
    "a/leaf": ["b/mid"],
    "a/leaf2": ["a/leaf", "c/root"],  # merge: the first base is the parent
    "self/only": ["self/only"],  # names itself: no base
    "self/then-base": ["self/then-base", "b/mid"],  # itself first, then a real base
    "ext/one": ["gone/base"],  # base not catalogued
    "ext/two": ["ext/one"],
    "ext/three": ["gone/base", "c/root"],  # merge whose first base is missing
    "loop/z": ["loop/y"],  # two-model loop, named so its smallest id is not the first seen
    "loop/y": ["loop/z"],
    "loop/tail": ["loop/z"],
    "loop/tail2": ["loop/tail"],
    "tri/c": ["tri/a"],  # three-model loop with a tail into its middle
    "tri/a": ["tri/b"],
    "tri/b": ["tri/c"],
    "tri/tail": ["tri/b"],
    "many/base-a": [],
    "many/base-b": [],
    "many/merge": ["many/base-b", "many/base-a", "c/root"],
    **{f"deep/{i:03d}": ([f"deep/{i - 1:03d}"] if i else []) for i in range(60)},
}


def _catalog(path, bases: dict[str, list[str]]):
    db = open_db(path)
    db["models"].insert_all(
        [
            {"id": m, "base_models": json.dumps({"relation": "finetune", "models": b}) if b else None}
            for m, b in bases.items()
        ]  # fmt: skip
    )
    return db


def _primary(bases: dict[str, list[str]]) -> dict[str, str | None]:
    return {m: next((b for b in listed if b != m), None) for m, listed in bases.items()}


def _stored(db) -> dict[str, tuple]:
    return {
        r[0]: tuple(r[1:])
        for r in db.execute("SELECT model_id, parent_id, root_id, depth, root_status FROM lineage")
    }


def _expected(bases: dict[str, list[str]]) -> dict[str, tuple]:
    parents = _primary(bases)
    return {m: (parents[m], *resolved) for m, resolved in reference(parents).items()}


def _random_bases(rng: random.Random, n: int) -> dict[str, list[str]]:
    ids = [f"r{rng.randrange(10**6):06d}/m{i}" for i in range(n)]
    bases = {}
    for i, model in enumerate(ids):
        roll = rng.random()
        if roll < 0.3:
            bases[model] = []
        elif roll < 0.75:  # an earlier model: chains
            bases[model] = [ids[rng.randrange(max(i, 1))]]
        elif roll < 0.9:  # any model: loops form
            bases[model] = [rng.choice(ids)] + ([rng.choice(ids)] if rng.random() < 0.3 else [])
        elif roll < 0.97:
            bases[model] = [f"missing/{rng.randrange(20)}"]
        else:
            bases[model] = [model]
    return bases


def test_reference_agrees_with_compute_lineage():
    for seed in range(5):
        parents = _primary(_random_bases(random.Random(seed), 300))
        edges = {m: (p, "finetune" if p else None) for m, p in parents.items()}
        assert compute_lineage(edges) == reference(parents)


def test_tricky_graph_matches_the_reference(tmp_path):
    db = _catalog(tmp_path / "c.db", TRICKY)
    stats = resolve_lineage(db)
    stored = _stored(db)
    assert stored == _expected(TRICKY)
    assert stored["loop/tail2"] == ("loop/tail", "loop/y", 3, "cycle")
    assert stored["tri/tail"] == ("tri/b", "tri/a", 3, "cycle")
    assert stored["ext/two"] == ("ext/one", "gone/base", 2, "external")
    assert stored["self/then-base"] == ("b/mid", "c/root", 2, "resolved")
    assert stored["deep/059"][1:] == ("deep/000", 59, "resolved")
    assert stats["models"] == len(TRICKY)
    assert stats["cycle"] == 8 and stats["max_depth"] == 59
    assert stats["families"] == len({row[1] for row in stored.values()})
    assert not db.execute("SELECT name FROM sqlite_temp_master WHERE name LIKE 'lineage%'").fetchall()


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_match_the_reference_and_survive_changes(tmp_path, seed):
    rng = random.Random(seed)
    bases = _random_bases(rng, 400)
    db = _catalog(tmp_path / "c.db", bases)
    resolve_lineage(db)
    assert _stored(db) == _expected(bases)
    # A later crawl: a few bases change (an incremental rewrite), one model disappears.
    for model in rng.sample(sorted(bases), 12):
        bases[model] = [rng.choice(sorted(bases))]
        db["models"].update(
            model, {"base_models": json.dumps({"relation": "finetune", "models": bases[model]})}
        )
    gone = rng.choice(sorted(bases))
    del bases[gone]
    db.execute("DELETE FROM lineage WHERE model_id = ?", [gone])  # its row would block the model's removal
    db.execute("DELETE FROM models WHERE id = ?", [gone])
    db.conn.commit()
    resolve_lineage(db)
    assert _stored(db) == _expected(bases)


def test_a_moved_chain_refreshes_the_lineage_families(tmp_path):
    """A base that changes moves the whole chain below it to another root: the stored family rows must then
    be what a fresh catalog with the new bases gives."""
    bases = {"x/root": [], "y/root": [], "x/ft": ["x/root"], "x/ft2": ["x/ft"], "x/ft3": ["x/ft2"]}
    db = _catalog(tmp_path / "a.db", bases)
    resolve_families(db)
    bases["x/ft"] = ["y/root"]
    db["models"].update("x/ft", {"base_models": json.dumps({"relation": "finetune", "models": ["y/root"]})})
    db.conn.commit()
    resolve_families(db)
    fresh = _catalog(tmp_path / "b.db", bases)
    resolve_families(fresh)
    query = "SELECT * FROM family_stats WHERE grouping = 'lineage' ORDER BY family"
    assert db.execute(query).fetchall() == fresh.execute(query).fetchall()
    assert {
        r[0]: r[1] for r in db.execute("SELECT family, models FROM family_stats WHERE grouping = 'lineage'")
    } == {
        "standalone": 1,
        "y/root": 4,
    }
