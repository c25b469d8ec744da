"""The real 2024-07-11 Hub listing (760,000 models, shared corpus) stored into a catalog through ``store``.

Loaded directly from the shared file (no crawl): each listing line becomes a ``Listing`` and then the row
``hubscan.store.save.model_row`` makes of it, exactly as a listing-only crawl stores it. Tests that need it
skip when the shared corpus is absent (it is outside the repository, GPL-3.0 data).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from hubscan.derive import resolve_families
from hubscan.records import Listing
from hubscan.store import open_db
from hubscan.store.save import model_row, start_run

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path | None:
    for candidate in (ROOT.parent / "shared", ROOT.parent.parent / "shared", Path("/work/shared")):
        if (candidate / "corpus").is_dir():
            return candidate
    return None


def listing_file() -> Path | None:
    shared = shared_dir()
    path = shared / "corpus" / "hub_listing_2024" / "hf_models_list_2024-07-11.jsonl.gz" if shared else None
    return path if path and path.is_file() else None


def adoption_dir() -> Path | None:
    shared = shared_dir()
    path = shared / "corpus" / "adoption_2025" / "finetune" if shared else None
    return path if path and path.is_dir() else None


def read_listing(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def listing_of(item: dict) -> Listing:
    return Listing(
        id=item["id"], created_at=item.get("createdAt"), downloads=item.get("downloads"),
        likes=item.get("likes"), tags=item.get("tags"), pipeline_tag=item.get("pipeline_tag"),
        library_name=item.get("library_name"), private=item.get("private"),
    )  # fmt: skip


def build_listing_catalog(path: Path, listing: Path, page: int = 50_000) -> Path:
    """Every listing line as the row ``store.save.model_row`` makes for it (what a listing-only crawl
    stores), inserted in large batches: the same rows as ``save_listings`` writes, without its per-page
    upsert bookkeeping, so 760,000 models load in a test's time."""
    db = open_db(path)
    db.execute("PRAGMA synchronous = OFF")
    run = start_run(db, source="hub", endpoint="listing-2024-07-11", params={"listing_only": True})
    columns: list[str] = []
    batch: list[tuple] = []

    def flush() -> None:
        marks = ", ".join("?" * len(columns))
        with db.conn:
            db.conn.executemany(f"INSERT INTO models ({', '.join(columns)}) VALUES ({marks})", batch)
        batch.clear()

    for item in read_listing(listing):
        row = model_row(listing_of(item), run)
        row["first_seen_run"] = run
        columns = columns or list(row)
        batch.append(tuple(row[c] for c in columns))
        if len(batch) == page:
            flush()
    flush()
    db.close()
    return path


# A small catalog with known answers for trends and correlate: (id, created_at, pipeline_tag, tags,
# reported (grams, source, training_type) or None, params).
PLACEHOLDER = "2022-03-02T23:29:04.000Z"
RESEARCH_MODELS = [
    ("a/old-1", PLACEHOLDER, "text-classification", ["autotrain"], (10.0, None, None), 1e8),
    ("a/old-2", PLACEHOLDER, "image-classification", [], None, 2e8),
    ("b/m-2022-03", "2022-03-15T10:00:00.000Z", "text-generation", [], (100.0, "code carbon", "pre-training"), 1e9),
    ("b/m-2022-05", "2022-05-01T00:00:00.000Z", "automatic-speech-recognition", [], (40.0, "MLCo2 calculator", "fine-tuning"), 3e8),
    ("c/m-2022-11", "2022-11-30T23:59:59.000Z", "text-to-image", [], None, 9e8),
    ("c/m-2023-01", "2023-01-02T00:00:00.000Z", "text-generation", ["co2_eq_emissions"], None, 7e9),
    ("c/m-2023-02", "2023-02-10T00:00:00.000Z", "text-generation", [], (5000.0, "https://arxiv.org/abs/1", "pretraining"), 7e9),
    ("d/m-2023-08", "2023-08-08T00:00:00.000Z", "image-text-to-text", [], (2500.0, "", "fine-tuning"), 2e9),
    ("d/m-2024-01", "2024-01-20T00:00:00.000Z", "tabular-regression", [], None, None),
    ("d/m-2024-06", "2024-06-30T00:00:00.000Z", "text-generation", [], (8000.0, "codecarbon", None), 1.3e10),
    ("e/no-date", None, None, [], (3.0, None, None), 5e7),
    ("e/no-tag", "2024-02-01T00:00:00.000Z", None, [], None, 1e6),
]  # fmt: skip


def build_research_catalog(path: Path) -> Path:
    db = open_db(path)
    for mid, created, task, tags, reported, params in RESEARCH_MODELS:
        db["models"].insert({"id": mid, "author": mid.split("/")[0], "created_at": created, "pipeline_tag": task,
                             "tags": json.dumps(tags), "downloads": len(mid) * 10, "likes": len(mid)})  # fmt: skip
        if params:
            db["footprints"].insert(
                {"model_id": mid, "params_total": int(params), "params_active": int(params)}
            )
        if reported:
            grams, source, kind = reported
            db["reported_emissions"].insert({"model_id": mid, "emissions_g": grams, "source": source,
                                             "training_type": kind, "flags": "[]"})  # fmt: skip
            db["estimated_emissions"].insert({"model_id": mid, "estimable": 1, "reported_g": grams,
                                              "emissions_g_central": (params or 1e6) / 1e6})  # fmt: skip
    resolve_families(db)
    db.close()
    return path
