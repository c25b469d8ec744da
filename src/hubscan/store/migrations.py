"""The catalog schema: the only place DDL is written.

Migrations are applied in order by ``open_db`` and never edited once released; change the schema by adding
a new ``m0NN_`` function. Column documentation (with units) lives in ``COLUMN_DOCS`` next to the DDL so the
docs and the Datasette metadata are generated from one source.
"""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("hubscan")


def _create_crawl_runs(db: Database) -> None:
    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "source": str,
            "endpoint": str,
            "params": str,
            "models_listed": int,
            "files_fetched": int,
            "files_skipped": int,
            "failures": int,
        },
        pk="id",
    )


def _create_models(db: Database) -> None:
    db["models"].create(
        {
            "id": str,
            "author": str,
            "sha": str,
            "created_at": str,
            "last_modified": str,
            "downloads": int,
            "downloads_all_time": int,
            "likes": int,
            "trending_score": int,
            "pipeline_tag": str,
            "library_name": str,
            "gated": str,
            "private": int,
            "disabled": int,
            "tags": str,
            "model_type": str,
            "architectures": str,
            "config_subset": str,
            "base_models": str,
            "base_model_relation": str,
            "safetensors_total": int,
            "safetensors_parameters": str,
            "gguf_total": int,
            "gguf": str,
            "used_storage": int,
            "first_seen_run": int,
            "last_seen_run": int,
            "listed_at": str,
        },
        pk="id",
        foreign_keys=[("first_seen_run", "crawl_runs", "id"), ("last_seen_run", "crawl_runs", "id")],
    )


def _create_configs(db: Database) -> None:
    db["configs"].create(
        {
            "model_id": str,
            "sha": str,
            "status": str,
            "raw": str,
            "size_bytes": int,
            "error": str,
            "fetched_at": str,
        },
        pk="model_id",
        foreign_keys=[("model_id", "models", "id")],
    )


def _create_cards(db: Database) -> None:
    db["cards"].create(
        {
            "model_id": str,
            "sha": str,
            "card_data": str,
            "body": str,
            "body_status": str,
            "size_bytes": int,
            "fetched_at": str,
        },
        pk="model_id",
        foreign_keys=[("model_id", "models", "id")],
    )


def _create_files(db: Database) -> None:
    db["files"].create(
        {
            "model_id": str,
            "path": str,
            "sha": str,
            "etag": str,
            "size_bytes": int,
            "status": str,
            "http_status": int,
            "attempts": int,
            "fetched_at": str,
        },
        pk=("model_id", "path"),
        foreign_keys=[("model_id", "models", "id")],
    )


def _create_crawl_errors(db: Database) -> None:
    db["crawl_errors"].create(
        {
            "id": int,
            "run_id": int,
            "model_id": str,
            "path": str,
            "sha": str,
            "kind": str,
            "http_status": int,
            "message": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )


def _create_footprints(db: Database) -> None:
    db["footprints"].create(
        {
            "model_id": str,
            "estimator_version": str,
            "model_type": str,
            "params_total": int,
            "params_active": int,
            "params_embedding": int,
            "params_non_embedding": int,
            "params_method": str,
            "params_confidence": str,
            "params_reason": str,
            "breakdown": str,
            "dtype": str,
            "weights_bytes": int,
            "weights_bytes_fp32": int,
            "weights_bytes_bf16": int,
            "weights_bytes_int8": int,
            "weights_bytes_int4": int,
            "kv_bytes_per_token": int,
            "context": int,
            "kv_cache_bytes": int,
            "inference_bytes": int,
            "training_bytes": int,
            "flops_per_token": float,
            "safetensors_total": int,
            "safetensors_delta_pct": float,
            "safetensors_check": str,
            "safetensors_note": str,
            "record": str,
        },
        pk="model_id",
        foreign_keys=[("model_id", "models", "id")],
    )


def _create_reported_emissions(db: Database) -> None:
    db["reported_emissions"].create(
        {
            "model_id": str,
            "analyzer_version": str,
            "emissions_g": float,
            "raw": str,
            "unit_raw": str,
            "found_in": str,
            "confidence": str,
            "source": str,
            "training_type": str,
            "location": str,
            "hardware": str,
            "hours": float,
            "cloud_provider": str,
            "compute_region": str,
            "hardware_device": str,
            "hardware_count": int,
            "location_code": str,
            "market_based_g": float,
            "flags": str,
            "completeness": str,
            "yaml_error": str,
            "record": str,
        },
        pk="model_id",
        foreign_keys=[("model_id", "models", "id")],
    )


def _create_estimated_emissions(db: Database) -> None:
    db["estimated_emissions"].create(
        {
            "model_id": str,
            "estimator_version": str,
            "method": str,
            "estimable": int,
            "missing": str,
            "emissions_g_low": float,
            "emissions_g_central": float,
            "emissions_g_high": float,
            "energy_kwh_low": float,
            "energy_kwh_central": float,
            "energy_kwh_high": float,
            "reported_g": float,
            "ratio": float,
            "verdict": str,
            "verdict_reason": str,
            "record": str,
        },
        pk="model_id",
        foreign_keys=[("model_id", "models", "id")],
    )


def _create_lineage(db: Database) -> None:
    db["lineage"].create(
        {
            "model_id": str,
            "parent_id": str,
            "relation": str,
            "root_id": str,
            "depth": int,
            "root_status": str,
        },
        pk="model_id",
        foreign_keys=[("model_id", "models", "id")],
    )


@migrations()
def m001_core(db: Database) -> None:
    _create_crawl_runs(db)
    _create_models(db)
    _create_configs(db)
    _create_cards(db)
    _create_files(db)
    _create_crawl_errors(db)
    db["models"].create_index(["author"])
    db["models"].create_index(["model_type"])
    db["models"].create_index(["pipeline_tag"])
    db["models"].create_index(["library_name"])
    db["crawl_errors"].create_index(["model_id"])
    db["crawl_errors"].create_index(["run_id"])
    db["cards"].enable_fts(["body"], create_triggers=True)


@migrations()
def m002_derived(db: Database) -> None:
    """Tables recomputed from stored raw data by ``hubscan derive`` (and by the crawl as it goes)."""
    _create_footprints(db)
    _create_reported_emissions(db)
    _create_estimated_emissions(db)
    _create_lineage(db)
    db["footprints"].create_index(["params_total"])
    db["reported_emissions"].create_index(["completeness"])
    db["estimated_emissions"].create_index(["verdict"])
    db["lineage"].create_index(["root_id"])
    db["lineage"].create_index(["parent_id"])


@migrations()
def m003_family_stats(db: Database) -> None:
    """Per-family footprint rows, refreshed after every lineage resolution (``hubscan.report.query``)."""
    db["family_stats"].create(
        {
            "grouping": str,
            "family": str,
            "models": int,
            "models_with_params": int,
            "params_p10": float,
            "params_median": float,
            "params_p90": float,
            "params_max": int,
            "params_total": int,
            "params_active_median": float,
            "params_active_total": int,
            "dtype": str,
            "weights_bytes_median": float,
            "weights_bytes_total": int,
            "context": str,
            "kv_cache_bytes_median": float,
            "kv_cache_bytes_max": int,
            "storage_bytes_total": int,
            "downloads_total": int,
            "models_with_downloads": int,
            "reporting_models": int,
            "reporting_share": float,
            "finetunes": int,
            "adapters": int,
            "quantized": int,
            "merges": int,
        },
        pk=("grouping", "family"),
    )
    db["reported_emissions"].create_index(["emissions_g"])
    db["estimated_emissions"].create_index(["reported_g"])


@migrations()
def m004_crawl_cursor(db: Database) -> None:
    """Exact resume and refreshes: each run keeps the listing position up to which everything is stored,
    the scope it crawls (endpoint, filters, sort, limit) and the newest ``lastModified`` it listed."""
    for column, kind in (("scope", str), ("next_cursor", str), ("pages_committed", int), ("watermark", str)):
        db["crawl_runs"].add_column(column, kind)
    db["crawl_runs"].create_index(["scope", "status"])


def _create_model_performance(db: Database) -> None:
    db["model_performance"].create(
        {
            "model_id": str,
            "task": str,
            "dataset": str,
            "metric_type": str,
            "metric_name": str,
            "value": float,
            "value_raw": str,
        },
        foreign_keys=[("model_id", "models", "id")],
    )


def _create_datasets(db: Database) -> None:
    db["datasets"].create(
        {
            "id": str,
            "author": str,
            "sha": str,
            "created_at": str,
            "last_modified": str,
            "downloads": int,
            "likes": int,
            "tags": str,
            "size_category": str,
            "rows_min": int,
            "rows_max": int,
            "status": str,
            "fetched_at": str,
        },
        pk="id",
    )
    db["model_datasets"].create({"model_id": str, "dataset_id": str}, pk=("model_id", "dataset_id"))


@migrations()
def m005_research(db: Database) -> None:
    """Research tables: whether a lineage relation was inferred, card performance results, datasets."""
    db["lineage"].add_column("relation_inferred", int)
    _create_model_performance(db)
    _create_datasets(db)
    db["model_performance"].create_index(["model_id"])
    db["model_performance"].create_index(["metric_type"])
    db["model_datasets"].create_index(["dataset_id"])


# --- m006: the catalog at Hub scale (issue 14) ---------------------------------------------------------

# Per-model family keys and the numbers the footprint aggregates: one compact row per model, so family
# aggregates scan one narrow table instead of joining four (hubscan.derive.families.MEMBER_SELECT).
FAMILY_MEMBER_COLUMNS: dict[str, type] = {
    "model_id": str, "k_model_type": int, "k_lineage": int, "k_author": int, "k_pipeline_tag": int,
    "k_library": int, "author": str, "pipeline_tag": str, "params": int, "params_active": int,
    "weights_bytes": int, "w_fp32": int, "w_bf16": int, "w_int8": int, "w_int4": int,
    "kv_bytes_per_token": int, "kv_cache_bytes": int, "storage_bytes": int, "downloads": int,
    "reporting": int, "relation": str, "w_rule": float, "dtype_rule": int, "active_rule": int, "stale": int,
}  # fmt: skip

# Pre-aggregated per-dtype weights and per-token KV figures, so --dtype/--context need no per-model scan.
FAMILY_EXTRA_COLUMNS: dict[str, type] = {
    "weights_bytes_median_fp32": float, "weights_bytes_total_fp32": int,
    "weights_bytes_median_bf16": float, "weights_bytes_total_bf16": int,
    "weights_bytes_median_int8": float, "weights_bytes_total_int8": int,
    "weights_bytes_median_int4": float, "weights_bytes_total_int4": int,
    "kv_bytes_per_token_median": float, "kv_bytes_per_token_max": int,
}  # fmt: skip


# The indexes m006 and m007 created (kept as they were: migrations are never edited); m008 replaces them.
_M006_INDEXES = {
    **{f"idx_family_members_{key}_params": f"family_members ({key}, params)"
       for key in ("k_model_type", "k_lineage", "k_author", "k_pipeline_tag", "k_library")},
    "family_members_stale": "family_members (stale) WHERE stale > 0",
}  # fmt: skip
_M007_INDEXES = {
    "idx_family_members_k_lineage_kv": "family_members (k_lineage, kv_cache_bytes, params)",
    "idx_family_members_k_lineage_weights": "family_members (k_lineage, weights_bytes, params)",
}

# Since m008, one mechanism for every grouping: per family key, the members in (family, params) order with
# every column an aggregate reads (a GROUP BY on it walks each family's rows in parameter order, reading no
# table row and sorting nothing, also under `--min-params` and `--task`, whose filters are in it), and in
# (family, KV cache) order with the columns those filters read (the KV medians, index-only too).
FAMILY_KEY_COLUMNS = ("k_model_type", "k_lineage", "k_author", "k_pipeline_tag", "k_library")
MEMBER_ROW_COLUMNS = (
    "params", "k_pipeline_tag", "params_active", "weights_bytes", "w_fp32", "w_bf16", "w_int8", "w_int4",
    "kv_cache_bytes", "kv_bytes_per_token", "storage_bytes", "downloads", "reporting", "relation",
    "active_rule", "w_rule", "dtype_rule",
)  # fmt: skip


def member_index_names(key: str) -> dict[str, str]:
    """The names of one family key's order indexes (since m008): "rows" (family, params, ...) and "kv"."""
    return {"rows": f"idx_family_members_{key}_rows", "kv": f"idx_family_members_{key}_kv"}


FAMILY_MEMBER_INDEXES = {
    "family_members_stale": "family_members (stale) WHERE stale > 0",
    **{
        name: f"family_members ({key}, {', '.join(c for c in columns if c != key)})"
        for key in FAMILY_KEY_COLUMNS
        for name, columns in zip(
            member_index_names(key).values(),
            (MEMBER_ROW_COLUMNS, ("kv_cache_bytes", "params", "k_pipeline_tag")),
            strict=True,
        )
    },
}


def _create_indexes(db: Database, indexes: dict[str, str]) -> None:
    for name, target in indexes.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def create_family_member_indexes(db: Database) -> None:
    """The family order indexes and the stale-row index (also rebuilt after a bulk family refresh)."""
    _create_indexes(db, FAMILY_MEMBER_INDEXES)


def drop_family_member_indexes(db: Database) -> None:
    """Before inserting most of the catalog's member rows: building the indexes afterwards is faster."""
    for name in (*_M006_INDEXES, *_M007_INDEXES, *FAMILY_MEMBER_INDEXES):
        db.execute(f"DROP INDEX IF EXISTS {name}")


def _create_family_tables(db: Database) -> None:
    # Family names by number: members carry small integer keys, so scans and sorts move fewer bytes.
    db["family_keys"].create({"id": int, "grouping": str, "family": str}, pk="id")
    db["family_keys"].create_index(["grouping", "family"], unique=True)
    db["family_members"].create(FAMILY_MEMBER_COLUMNS, pk="model_id")
    _create_indexes(db, _M006_INDEXES)
    # The maintained copy of family_stats (plus per-dtype columns): updated family by family, published
    # into family_stats at the end of every derive.
    columns = dict(db["family_stats"].columns_dict)
    columns.update(FAMILY_EXTRA_COLUMNS)
    db["family_rollup"].create(columns, pk=("grouping", "family"))
    for name, kind in FAMILY_EXTRA_COLUMNS.items():
        db["family_stats"].add_column(name, kind)


def _create_model_history(db: Database) -> None:
    db["model_history"].create(
        {
            "run_id": int,
            "model_id": str,
            "sha": str,
            "last_modified": str,
            "downloads": int,
            "likes": int,
            "gated": str,
            "tags": str,
            "pipeline_tag": str,
            "reported_g": float,
            "changed": str,
            "previous": str,
            "at": str,
        },
        pk=("model_id", "run_id"),
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["model_history"].create_index(["run_id"])
    db["models"].create_index(["first_seen_run"])
    db["models"].create_index(["last_seen_run"])


@migrations()
def m006_catalog_scale(db: Database) -> None:
    """Family members and rollup (incremental family statistics), model history, indexes for the reports."""
    _create_family_tables(db)
    _create_model_history(db)
    db["estimated_emissions"].create_index(["verdict", "ratio"])
    db["reported_emissions"].create_index(["emissions_g", "model_id"])


@migrations()
def m007_family_task_rollup(db: Database) -> None:
    """Per-(grouping, task, family) rows, maintained with family_rollup: `footprint --task T` reads them
    (empty after this migration; the next family refresh, at every derive, fills it); the member rows in
    (lineage family, params) order, with (family, KV cache) and (family, weights) indexes."""
    columns = {"grouping": str, "task": str}
    columns.update(db["family_rollup"].columns_dict)
    db["family_task_rollup"].create(columns, pk=("grouping", "task", "family"))
    # Existing member rows rewritten in (lineage family, params) order, as a bulk build now stores them.
    names = ", ".join(FAMILY_MEMBER_COLUMNS)
    db["family_members_ordered"].create(FAMILY_MEMBER_COLUMNS, pk="model_id")
    db.execute(
        f"INSERT INTO family_members_ordered ({names}) SELECT {names} FROM family_members ORDER BY k_lineage, params"
    )
    db.execute("DROP TABLE family_members")
    db.execute("ALTER TABLE family_members_ordered RENAME TO family_members")
    _create_indexes(db, {**_M006_INDEXES, **_M007_INDEXES})


@migrations()
def m008_family_order_indexes(db: Database) -> None:
    """Every grouping gets the order indexes the lineage grouping had alone (``FAMILY_MEMBER_INDEXES``):
    (family, params, every aggregated column) replaces (family, params), (family, KV cache, params, task)
    replaces the lineage KV and weights indexes (weights medians follow from the parameters' ranks by the
    members' rule columns, else get a sorted pass)."""
    drop_family_member_indexes(db)  # (the lineage KV index keeps its name with one more column)
    create_family_member_indexes(db)
