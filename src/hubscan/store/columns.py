"""Documentation of every catalog table and column, with units: the one source for docs/CATALOG.md
(``scripts/gen_catalog_docs.py``) and for the Datasette metadata (``hubscan browse``).

Units: bytes are plain bytes (tables print them in decimal units, 1 GB = 10^9 bytes); parameters are counts;
emissions are grams of CO2-equivalent (g CO2eq); energy is kWh; times are ISO-8601 UTC strings.
"""

from __future__ import annotations

TABLE_DOCS: dict[str, str] = {
    "crawl_runs": "One row per crawl: when, from which source/endpoint, with which options, and its counts.",
    "models": "One row per model repository as listed by the Hub API (metadata only; raw files are elsewhere).",
    "configs": "The raw config.json of each model (text, unchanged) and whether it could be fetched and parsed.",
    "cards": "Model cards: YAML front matter as JSON and (with --cards full) the README body, full-text indexed.",
    "files": "State of every file fetched per model (for resumable, incremental crawls).",
    "crawl_errors": "Failures recorded during crawls (missing files, gated repos, invalid JSON, timeouts).",
    "footprints": "Derived: parameters, memory and compute per model, estimated from its config.json.",
    "reported_emissions": "Derived: training emissions as reported in the model card, normalised to grams CO2eq.",
    "estimated_emissions": "Derived: training emissions estimated from compute, and the comparison with the reported figure.",
    "lineage": "Derived: each model's base-model parent and the root of its base-model chain.",
    "family_stats": "Derived: per-family footprint rows for each grouping (what `hubscan footprint` prints).",
    "family_members": "Derived: one compact row per model with its family in every grouping and the numbers the "
    "family aggregates use (maintained incrementally; stale rows are recomputed by the next derive).",
    "family_keys": "Derived: family names by number, per grouping (family_members carries the numbers).",
    "family_rollup": "Derived: the incrementally maintained per-family rows, published as family_stats after every "
    "derive (only the families whose members changed are recomputed).",
    "family_task_rollup": "Derived: the same rows per task (pipeline_tag) and family, maintained with family_rollup; "
    "`footprint --task T` reads them.",
    "model_history": "Listing changes across crawls: one row per model and run in which a tracked field changed "
    "(new values of the changed fields; the old ones in `previous`). First appearance: models.first_seen_run.",
    "model_performance": "Derived: evaluation results from each card's model-index, one row per task, dataset and metric.",
    "model_datasets": "Derived: the datasets each card names (datasets: front matter and the Hub's dataset:<id> tags).",
    "datasets": "Dataset repositories fetched by `hubscan crawl-datasets` (HfApi.dataset_info), with their row-count bounds.",
}

_RUN = "Crawl run id (crawl_runs.id)"
_MODEL = "Model repository id, owner/name (models.id)"
_SHA = "Git commit sha of the repository revision the row was read from"
_FETCHED = "When the file was fetched (ISO-8601 UTC)"
_RECORD = "Full JSON record from the estimator/analyser (every intermediate value and its source)"

COLUMN_DOCS: dict[str, dict[str, str]] = {
    "crawl_runs": {
        "id": "Run id",
        "started_at": "Start time (ISO-8601 UTC)",
        "finished_at": "End time (ISO-8601 UTC); empty while running or if interrupted",
        "status": "Run state, e.g. running, finished, interrupted",
        "source": "hub, cache or dir:PATH",
        "endpoint": "Hub endpoint URL used (never a token)",
        "params": "Crawl options as JSON (author, search, filters, limit, cards...)",
        "models_listed": "Models listed in this run (count)",
        "files_fetched": "Files downloaded in this run (count)",
        "files_skipped": "Files skipped because the stored copy was for the same commit (count)",
        "failures": "Failures recorded in crawl_errors for this run (count)",
        "scope": "What the run lists, as JSON (endpoint, author, search, filters, sort, limit): a resume continues "
        "only a run of the same scope",
        "next_cursor": "Listing URL of the first page not yet fully stored (the Link rel=next of the last "
        "committed page); empty when the listing ended",
        "pages_committed": "Listing pages whose models and files are all stored (count)",
        "watermark": "Newest lastModified this run listed (ISO-8601 UTC): where --changed-since-last stops next time",
    },
    "models": {
        "id": "Repository id, owner/name",
        "author": "Owner: user or organisation",
        "sha": _SHA,
        "created_at": "Repository creation time (ISO-8601 UTC)",
        "last_modified": "Last commit time (ISO-8601 UTC)",
        "downloads": "Downloads over the last 30 days, as reported by the Hub (count)",
        "downloads_all_time": "Downloads since creation, where the Hub reports it (count)",
        "likes": "Likes (count)",
        "trending_score": "Hub trending score (unitless)",
        "pipeline_tag": "Task, e.g. text-generation",
        "library_name": "Library, e.g. transformers, diffusers, gguf",
        "gated": "Access gating: false, auto or manual",
        "private": "1 if the repository is private",
        "disabled": "1 if the repository is disabled",
        "tags": "Hub tags (JSON list)",
        "model_type": "Architecture family from config.json model_type, e.g. llama",
        "architectures": "config.json architectures (JSON list of class names)",
        "config_subset": "The config fields the Hub returns in listings (JSON)",
        "base_models": 'Base models (JSON: {"relation": finetune|adapter|quantized|merge|null, "models": [ids]})',
        "base_model_relation": "Relation to the base model declared in the card, if any",
        "safetensors_total": "Parameter count from the safetensors metadata (parameters)",
        "safetensors_parameters": "Parameters per dtype from the safetensors metadata (JSON, parameters)",
        "gguf_total": "Parameter count from GGUF metadata (parameters)",
        "gguf": "GGUF metadata summary (JSON)",
        "used_storage": "Storage used by the repository on the Hub (bytes)",
        "first_seen_run": "First crawl run that listed the model (crawl_runs.id)",
        "last_seen_run": "Latest crawl run that listed the model (crawl_runs.id)",
        "listed_at": "When the model was last listed (ISO-8601 UTC)",
    },
    "configs": {
        "model_id": _MODEL,
        "sha": _SHA,
        "status": "Fetch/parse state, e.g. ok, absent, invalid_json, too_large, error",
        "raw": "config.json text exactly as downloaded",
        "size_bytes": "Size of config.json (bytes)",
        "error": "Why it could not be fetched or parsed",
        "fetched_at": _FETCHED,
    },
    "cards": {
        "model_id": _MODEL,
        "sha": _SHA,
        "card_data": "Card YAML front matter (JSON)",
        "body": "README.md body (Markdown, with --cards full)",
        "body_status": "Fetch state of README.md, e.g. ok, absent, too_large, error",
        "size_bytes": "Size of README.md (bytes)",
        "fetched_at": _FETCHED,
    },
    "files": {
        "model_id": _MODEL,
        "path": "File path in the repository",
        "sha": _SHA,
        "etag": "HTTP ETag of the downloaded file",
        "size_bytes": "File size (bytes)",
        "status": "Fetch state, e.g. ok, absent, too_large, error",
        "http_status": "Last HTTP status code",
        "attempts": "Download attempts (count)",
        "fetched_at": _FETCHED,
    },
    "crawl_errors": {
        "id": "Error id",
        "run_id": _RUN,
        "model_id": _MODEL,
        "path": "File path, if the error concerns a file",
        "sha": _SHA,
        "kind": "Short machine-readable label of the failure (e.g. timeout, http_error, gated)",
        "http_status": "HTTP status code, if any",
        "message": "What happened",
        "at": "When (ISO-8601 UTC)",
    },
    "footprints": {
        "model_id": _MODEL,
        "estimator_version": "Version of the footprint estimator",
        "model_type": "model_type the estimator used",
        "params_total": "Total parameters (parameters)",
        "params_active": "Parameters active per token; less than total for mixture-of-experts (parameters)",
        "params_embedding": "Embedding parameters (parameters)",
        "params_non_embedding": "Non-embedding parameters (parameters)",
        "params_method": "How the count was obtained, e.g. analytic:llama (formula), generic, meta-device build",
        "params_confidence": "Confidence of the figure: exact, approximate (within the band docs/PARAMS.md states), listing (the stored count from the Hub listing, no config read), unknown or invalid",
        "params_reason": "Why this method/confidence",
        "breakdown": "Parameters per component (JSON, parameters)",
        "dtype": "Dtype of the stored weights estimate (from torch_dtype/quantization config)",
        "weights_bytes": "Weight memory at dtype (bytes)",
        "weights_bytes_fp32": "Weight memory at fp32 (bytes)",
        "weights_bytes_bf16": "Weight memory at bf16/fp16 (bytes)",
        "weights_bytes_int8": "Weight memory at int8 (bytes)",
        "weights_bytes_int4": "Weight memory at int4 (bytes)",
        "kv_bytes_per_token": "KV cache per token of context at dtype (bytes/token)",
        "context": "Context length used for kv_cache_bytes (tokens)",
        "kv_cache_bytes": "KV cache for one sequence at context (bytes)",
        "inference_bytes": "Weights plus KV cache plus overhead for inference (bytes)",
        "training_bytes": "Weights, gradients and Adam optimiser state for full fine-tuning (bytes)",
        "flops_per_token": "Forward-pass FLOPs per token (FLOP)",
        "safetensors_total": "Parameter count from safetensors metadata, for comparison (parameters)",
        "safetensors_delta_pct": "Estimate minus safetensors count, relative to safetensors (percent)",
        "safetensors_check": "Agreement with the safetensors count, e.g. agree, disagree, no_data",
        "safetensors_note": "Explanation of a disagreement",
        "record": _RECORD,
    },
    "reported_emissions": {
        "model_id": _MODEL,
        "analyzer_version": "Version of the card analyser",
        "emissions_g": "Reported training emissions (g CO2eq), normalised from the card's unit",
        "raw": "The reported value as written",
        "unit_raw": "The unit as written (g, kg, tons, lbs, ...)",
        "found_in": "Where it was found in the card: yaml, prose or table",
        "confidence": "Confidence of the figure, e.g. exact, approximate, unknown",
        "source": "Declared source of the figure (e.g. CodeCarbon, ML CO2 Impact)",
        "training_type": "pre-training, fine-tuning, ...",
        "location": "Training location as written",
        "hardware": "Training hardware as written",
        "hours": "Training time (hours)",
        "cloud_provider": "Cloud provider as written",
        "compute_region": "Compute region as written",
        "hardware_device": "Hardware resolved to a known device",
        "hardware_count": "Number of devices (count)",
        "location_code": "Location resolved to a grid region code",
        "market_based_g": "Market-based emissions, if reported separately (g CO2eq)",
        "flags": "Problems noticed (JSON list), e.g. unit missing, template placeholder",
        "completeness": "none, template_only, emissions_only, emissions_context or complete",
        "yaml_error": "Why the front matter could not be parsed",
        "record": _RECORD,
    },
    "estimated_emissions": {
        "model_id": _MODEL,
        "estimator_version": "Version of the emissions estimator",
        "method": "Estimation method, e.g. hardware-time (hours x device power x grid intensity)",
        "estimable": "1 if an estimate could be made",
        "missing": "Inputs that were missing (JSON list)",
        "emissions_g_low": "Estimated training emissions, low end (g CO2eq)",
        "emissions_g_central": "Estimated training emissions, central value (g CO2eq)",
        "emissions_g_high": "Estimated training emissions, high end (g CO2eq)",
        "energy_kwh_low": "Estimated training energy, low end (kWh)",
        "energy_kwh_central": "Estimated training energy, central value (kWh)",
        "energy_kwh_high": "Estimated training energy, high end (kWh)",
        "reported_g": "Reported emissions, copied for comparison (g CO2eq)",
        "ratio": "reported / central estimate (unitless)",
        "verdict": "consistent, below, above, likely unit error or not comparable",
        "verdict_reason": "Why this verdict",
        "record": _RECORD,
    },
    "lineage": {
        "model_id": _MODEL,
        "parent_id": "First declared base model (may be outside the catalog); empty for a root",
        "relation": "Relation to the parent: finetune, adapter, quantized or merge",
        "root_id": "Root of the base-model chain (the family in --by lineage)",
        "depth": "Hops from the model to its root (count; 0 for a root)",
        "root_status": "root, resolved (root in catalog), external (root not in catalog) or cycle",
        "relation_inferred": "1 when no source declared the relation and it was inferred as the Hub documents "
        "(adapter files, quantized weights/GGUF, several bases, else finetune); 0 when declared; empty for a root",
    },
    "family_stats": {
        "grouping": "model_type, lineage, author, pipeline_tag or library",
        "family": "Family name within the grouping; unknown when the key is not known",
        "models": "Models in the family (count)",
        "models_with_params": "Models with a known parameter count (count)",
        "params_p10": "10th percentile of total parameters (parameters)",
        "params_median": "Median total parameters (parameters)",
        "params_p90": "90th percentile of total parameters (parameters)",
        "params_max": "Largest model (parameters)",
        "params_total": "Sum of total parameters (parameters)",
        "params_active_median": "Median active parameters per token (parameters)",
        "params_active_total": "Sum of active parameters (parameters)",
        "dtype": "Dtype of the weight figures: 'stored' = each model's own dtype",
        "weights_bytes_median": "Median weight memory (bytes)",
        "weights_bytes_total": "Sum of weight memory (bytes)",
        "context": "Context of the KV figures: 'stored' = the context `hubscan derive` used (footprints.context, 4,096 tokens by default)",
        "kv_cache_bytes_median": "Median KV cache for one sequence (bytes)",
        "kv_cache_bytes_max": "Largest KV cache for one sequence (bytes)",
        "storage_bytes_total": "Hub storage used by the family's repositories (bytes)",
        "downloads_total": "Downloads over the last 30 days, where known (count)",
        "models_with_downloads": "Models whose downloads are known (count)",
        "reporting_models": "Models whose card reports training emissions (count)",
        "reporting_share": "reporting_models / models (fraction 0-1)",
        "finetunes": "Models that are fine-tunes of their parent (count)",
        "adapters": "Models that are adapters of their parent (count)",
        "quantized": "Models that are quantisations of their parent (count)",
        "merges": "Models that are merges (count)",
        **{
            f"weights_bytes_{kind}_{dtype}": f"{'Median' if kind == 'median' else 'Sum of'} weight memory at "
            f"{dtype} (stored per-dtype figure, else parameters x bytes per parameter) (bytes)"
            for dtype in ("fp32", "bf16", "int8", "int4")
            for kind in ("median", "total")
        },
        "kv_bytes_per_token_median": "Median KV cache per token of context (bytes/token)",
        "kv_bytes_per_token_max": "Largest KV cache per token of context (bytes/token)",
    },
    "family_keys": {
        "id": "Family number (family_members.k_*)",
        "grouping": "model_type, lineage, author, pipeline_tag or library",
        "family": "Family name within the grouping",
    },
    "family_members": {
        "model_id": _MODEL,
        **{
            f"k_{g}": f"Family of the model in the {g} grouping, as in `footprint --by {g}` (family_keys.id)"
            for g in ("model_type", "lineage", "author", "pipeline_tag", "library")
        },
        "author": "models.author, for --author",
        "pipeline_tag": "models.pipeline_tag, for --task",
        "params": "Total parameters, else the safetensors / GGUF count (parameters)",
        "params_active": "Active parameters per token (parameters)",
        "weights_bytes": "Weight memory at the stored dtype (bytes)",
        **{
            f"w_{d}": f"Weight memory at {d}: stored figure, else parameters x bytes per parameter (bytes)"
            for d in ("fp32", "bf16", "int8", "int4")
        },
        "kv_bytes_per_token": "KV cache per token of context (bytes/token)",
        "kv_cache_bytes": "KV cache at the stored context (bytes)",
        "storage_bytes": "Hub storage of the repository (bytes)",
        "downloads": "Downloads over the last 30 days (count)",
        "reporting": "1 if the card reports training emissions",
        "relation": "Relation to the base model (lineage.relation)",
        "w_rule": "b with weights_bytes = ceil(params x b): 4, 2, 1 or 0.5 bytes per parameter; 0 when both "
        "are unknown, -1 when none fits (lets medians follow the parameters' order)",
        "dtype_rule": "Bit i set when the i-th per-dtype figure (fp32, bf16, int8, int4) is ceil(params x its "
        "bytes per parameter)",
        "active_rule": "1 when the active parameters are the total parameters (dense model)",
        "stale": "1 while the row waits for the next family refresh (listing or derived numbers changed)",
    },
    "model_history": {
        "run_id": _RUN,
        "model_id": _MODEL,
        "sha": "New commit sha, if it changed",
        "last_modified": "New last commit time, if it changed (ISO-8601 UTC)",
        "downloads": "New downloads over the last 30 days, if they changed (count)",
        "likes": "New likes, if they changed (count)",
        "gated": "New gating, if it changed",
        "tags": "New tags (JSON list), if they changed",
        "pipeline_tag": "New task, if it changed",
        "reported_g": "New reported training emissions after a re-derive, if they changed (g CO2eq)",
        "changed": "Names of the fields that changed in this run (JSON list)",
        "previous": "Values of those fields before this run (JSON object)",
        "at": "When the change was recorded (ISO-8601 UTC)",
    },
    "model_performance": {
        "model_id": _MODEL,
        "task": "Task type of the result (model-index results[].task.type)",
        "dataset": "Dataset type or name of the result (results[].dataset.type)",
        "metric_type": "Metric type, e.g. accuracy, f1, rouge1, wer",
        "metric_name": "Metric display name as written in the card",
        "value": "Metric value as written (unitless; percentages stay 0-100)",
        "value_raw": "The value text as written in the card",
    },
    "model_datasets": {
        "model_id": _MODEL,
        "dataset_id": "Dataset repository id named by the card (datasets.id when fetched)",
    },
    "datasets": {
        "id": "Dataset repository id, owner/name",
        "author": "Owner of the dataset repository",
        "sha": _SHA,
        "created_at": "Creation time on the Hub (ISO-8601 UTC)",
        "last_modified": "Last commit time (ISO-8601 UTC)",
        "downloads": "Downloads over the last 30 days (count)",
        "likes": "Likes (count)",
        "tags": "Tags (JSON list)",
        "size_category": "The size_categories tag, e.g. 10K<n<100K (rows)",
        "rows_min": "Lower bound of the number of rows from size_category (rows)",
        "rows_max": "Upper bound of the number of rows from size_category; empty when open-ended (rows)",
        "status": "ok, not_found, gated or error",
        "fetched_at": "When dataset_info was fetched (ISO-8601 UTC)",
    },
}

COLUMN_DOCS["family_rollup"] = dict(COLUMN_DOCS["family_stats"])
COLUMN_DOCS["family_task_rollup"] = {
    "grouping": COLUMN_DOCS["family_stats"]["grouping"],
    "task": "The task (models.pipeline_tag) the row's models have; `footprint --task` matches it exactly",
    **COLUMN_DOCS["family_stats"],
}

# The unit of each column, declared once, as the "(unit)" at the end of its doc above: the table renderer
# (``hubscan.report.render``), Datasette's metadata and docs/CATALOG.md all read it from here.
UNIT_NAMES = (
    "bytes/token", "bytes", "g CO2eq", "kWh", "parameters", "tokens", "hours", "FLOP", "count",
    "fraction 0-1", "percent", "unitless",
)  # fmt: skip
UNITS: dict[str, str] = {}
for _table, _columns in COLUMN_DOCS.items():
    for _column, _doc in _columns.items():
        for _unit in UNIT_NAMES:
            if f"({_unit})" in _doc or f"({_unit};" in _doc:
                UNITS[f"{_table}.{_column}"] = _unit
                break

# Output columns of the named queries and reports that are not catalog columns of the same name.
OUTPUT_UNITS: dict[str, str] = {
    "params": "parameters", "storage_bytes": "bytes", "reported_g": "g CO2eq", "estimated_g_low": "g CO2eq",
    "estimated_g_central": "g CO2eq", "estimated_g_high": "g CO2eq", "reported_g_total": "g CO2eq",
    "reported_g_min": "g CO2eq", "reported_g_max": "g CO2eq", "estimated_g_total": "g CO2eq",
    "reported_g_before": "g CO2eq", "reported_g_after": "g CO2eq", "median_ratio": "unitless",
    "with_value": "count", "downloads_before": "count", "downloads_after": "count",
    "measured_g": "g CO2eq", "measured_kwh": "kWh", "emissions_kg": "kg CO2eq", "energy_kwh": "kWh", "duration_hours": "hours", "context": "tokens",
    "share": "fraction 0-1", "reported_g_median": "g CO2eq", "reported_g_mean": "g CO2eq",
}  # fmt: skip


def _units_by_name() -> dict[str, str]:
    """Bare column name -> unit, where every table that has the column agrees on its unit."""
    seen: dict[str, set[str]] = {}
    for key, unit in UNITS.items():
        seen.setdefault(key.split(".", 1)[1], set()).add(unit)
    by_name = {name: units.pop() for name, units in seen.items() if len(units) == 1}
    by_name.update(OUTPUT_UNITS)
    return by_name


UNITS_BY_NAME = _units_by_name()


def unit_of(column: str) -> str | None:
    """The declared unit of ``table.column`` or of a bare output column name (None: text or unknown)."""
    if column in UNITS:
        return UNITS[column]
    return UNITS_BY_NAME.get(column.rsplit(".", 1)[-1])


def catalog_markdown() -> str:
    """docs/CATALOG.md: every table and column with its meaning and unit."""
    lines = [
        "# The hubscan catalog",
        "",
        "Generated from `src/hubscan/store/columns.py` by `scripts/gen_catalog_docs.py`; do not edit by hand.",
        "",
        "Units: bytes are plain bytes (tables print decimal units, 1 GB = 10^9 bytes); parameters are counts;",
        "emissions are grams of CO2-equivalent; energy is kWh; times are ISO-8601 UTC.",
        "The full-text index over card bodies (`cards_fts*`) is maintained by SQLite triggers.",
        "",
    ]
    for table, doc in TABLE_DOCS.items():
        lines += [f"## `{table}`", "", doc, "", "| column | meaning (unit) |", "| --- | --- |"]
        for column, text in COLUMN_DOCS[table].items():
            escaped = text.replace("|", "\\|")
            lines.append(f"| `{column}` | {escaped} |")
        lines.append("")
    return "\n".join(lines)
