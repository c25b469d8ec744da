"""Derived tables on a catalog crawled from the bundled sample Hub, and their offline recomputation."""

import json
import shutil

from hubscan.derive import derive_all
from hubscan.estimate.footprint import ESTIMATOR_VERSION, analyze_config
from hubscan.parse.card import analyze_card
from hubscan.store import open_db

DERIVED = ("footprints", "reported_emissions", "estimated_emissions", "lineage")


def snapshot(db) -> dict:
    return {table: sorted(map(tuple, db.execute(f"SELECT * FROM {table}").fetchall())) for table in DERIVED}


def test_every_stored_config_and_card_has_a_derived_row(sample_catalog):
    db = open_db(sample_catalog)
    configs = db.execute("SELECT count(*) FROM configs WHERE status = 'ok'").fetchone()[0]
    assert configs > 200
    assert db["footprints"].count == configs
    assert db["lineage"].count == db["models"].count
    cards = db.execute(
        "SELECT count(*) FROM cards WHERE card_data IS NOT NULL OR body IS NOT NULL"
    ).fetchone()[0]
    assert cards > 50
    assert db["reported_emissions"].count == cards
    versions = {v for (v,) in db.execute("SELECT DISTINCT estimator_version FROM footprints")}
    assert versions == {ESTIMATOR_VERSION}


def test_stored_rows_match_the_pure_functions(sample_catalog):
    db = open_db(sample_catalog)
    model_id, raw = db.execute(
        "SELECT model_id, raw FROM configs WHERE status = 'ok' ORDER BY model_id LIMIT 1 OFFSET 7"
    ).fetchone()
    expected = analyze_config(json.loads(raw), use_transformers=False)
    row = db.execute(
        "SELECT params_total, params_method, kv_bytes_per_token FROM footprints WHERE model_id = ?",
        [model_id],
    ).fetchone()
    assert row == (
        expected["params"]["total"],
        expected["params"]["method"],
        expected["memory"]["kv_bytes_per_token"],
    )

    model_id, card_data, body = db.execute(
        "SELECT model_id, card_data, body FROM cards WHERE body IS NOT NULL ORDER BY model_id LIMIT 1"
    ).fetchone()
    reported = analyze_card(body, card_data=json.loads(card_data) if card_data else None)
    stored = db.execute(
        "SELECT emissions_g, completeness FROM reported_emissions WHERE model_id = ?", [model_id]
    )
    assert stored.fetchone() == (reported["emissions_g"], reported["completeness"])


def test_derive_recomputes_the_same_tables_offline(sample_catalog, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copy(sample_catalog, copy)
    db = open_db(copy)
    before = snapshot(db)
    for table in DERIVED:
        db.execute(f"DELETE FROM {table}")
    db.conn.commit()
    result = derive_all(db)
    assert result["models"] == db["models"].count
    assert snapshot(db) == before


def test_family_rows_never_go_stale(sample_catalog, tmp_path):
    from hubscan.derive import derive_models, resolve_families
    from hubscan.report.query import footprint

    copy = tmp_path / "copy.db"
    shutil.copy(sample_catalog, copy)
    db = open_db(copy)
    model_id, raw = db.execute(
        "SELECT c.model_id, c.raw FROM configs c JOIN models m ON m.id = c.model_id "
        "WHERE m.model_type = 'llama' AND c.status = 'ok' ORDER BY c.model_id LIMIT 1"
    ).fetchone()
    before = next(r for r in footprint(db, "model_type") if r["family"] == "llama")["params_total"]
    config = json.loads(raw)
    config["num_hidden_layers"] += 1
    db["configs"].update(model_id, {"raw": json.dumps(config)})
    old = db.execute("SELECT params_total FROM footprints WHERE model_id = ?", [model_id]).fetchone()[0]
    derive_models(db, [model_id])
    new = db.execute("SELECT params_total FROM footprints WHERE model_id = ?", [model_id]).fetchone()[0]
    assert new > old
    # Straight after a partial derive the stored family rows are gone, so the answer is computed live ...
    assert db["family_stats"].count == 0
    live = next(r for r in footprint(db, "model_type") if r["family"] == "llama")["params_total"]
    assert live == before + (new - old)
    # ... and after the family refresh the stored rows agree.
    resolve_families(db)
    assert db["family_stats"].count > 0
    assert next(r for r in footprint(db, "model_type") if r["family"] == "llama")["params_total"] == live
