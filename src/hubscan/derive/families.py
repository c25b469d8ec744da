"""Families: every model belongs to exactly one family per grouping, and per-family footprint rows.

A model whose key is not known is counted in the explicit ``unknown`` family. In the ``lineage`` grouping the
family is the root of the model's base-model chain (see :mod:`hubscan.derive.lineage`); models that have no base
and that nobody derives from are counted together in the ``standalone`` family rather than as a million
families of one.

The derive stage stores the default rows (``family_stats_rows``) through the writer; ``hubscan.report.query``
reads them, or computes live with the very same code when a filter or override is asked for.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import multiprocessing
import operator
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlite_utils import Database

from hubscan.errors import ParseError, QueryError
from hubscan.estimate import memory as mem
from hubscan.store import derived as store_derived
from hubscan.store.migrations import member_index_names

GROUPINGS: dict[str, str] = {
    "model_type": "COALESCE(NULLIF(m.model_type, ''), NULLIF(f.model_type, ''), 'unknown')",
    "lineage": (
        "CASE WHEN l.model_id IS NULL THEN 'unknown' "
        "WHEN l.root_status = 'root' AND NOT EXISTS (SELECT 1 FROM lineage c WHERE c.parent_id = m.id) "
        "THEN 'standalone' ELSE l.root_id END"
    ),
    "author": (
        "COALESCE(NULLIF(m.author, ''), CASE WHEN instr(m.id, '/') > 0 "
        "THEN substr(m.id, 1, instr(m.id, '/') - 1) END, 'unknown')"
    ),
    "pipeline_tag": "COALESCE(NULLIF(m.pipeline_tag, ''), 'unknown')",
    "library": "COALESCE(NULLIF(m.library_name, ''), 'unknown')",
}
ALIASES = {
    "task": "pipeline_tag",
    "library_name": "library",
    "architecture": "model_type",
    "family": "lineage",
}

# The stored per-dtype weight columns are used where they exist; other dtypes scale the parameter count.
STORED_DTYPE_COLUMN = {
    "fp32": "weights_bytes_fp32", "float32": "weights_bytes_fp32", "bf16": "weights_bytes_bf16",
    "bfloat16": "weights_bytes_bf16", "fp16": "weights_bytes_bf16", "float16": "weights_bytes_bf16",
    "int8": "weights_bytes_int8", "int4": "weights_bytes_int4",
}  # fmt: skip

# Column order of a footprint row (also the family_stats table's columns after ``grouping``).
FOOTPRINT_COLUMNS = [
    "family", "models", "models_with_params", "params_p10", "params_median", "params_p90", "params_max",
    "params_total", "params_active_median", "params_active_total", "dtype", "weights_bytes_median",
    "weights_bytes_total", "context", "kv_cache_bytes_median", "kv_cache_bytes_max", "storage_bytes_total",
    "downloads_total", "models_with_downloads", "reporting_models", "reporting_share",
    "finetunes", "adapters", "quantized", "merges",
]  # fmt: skip


def normalise_by(by: str) -> str:
    key = ALIASES.get(by, by)
    if key not in GROUPINGS:
        raise QueryError(f"Unknown grouping {by!r}: use one of {', '.join(GROUPINGS)}.")
    return key


def bytes_per_param(dtype: str) -> float:
    """Bytes per parameter of a dtype spelling (``--dtype``); raises QueryError if unknown."""
    try:
        return mem.DTYPE_BYTES[mem.normalize_dtype(dtype)]
    except ParseError as exc:
        raise QueryError(str(exc)) from exc


# --- members: one compact row per model (table family_members, written by hubscan.store.derived) -------

KEY_COLUMNS = {by: f"k_{by}" for by in GROUPINGS}
DTYPE_COLUMNS = {"weights_bytes_fp32": "w_fp32", "weights_bytes_bf16": "w_bf16", "weights_bytes_int8": "w_int8",
                 "weights_bytes_int4": "w_int4"}  # fmt: skip
_PARAMS = "COALESCE(f.params_total, m.safetensors_total, m.gguf_total)"
_DTYPE_BYTES = {"w_fp32": 4, "w_bf16": 2, "w_int8": 1, "w_int4": 0.5}
# Without a stored per-dtype figure: whole bytes, as hubscan.estimate.memory.weights_bytes rounds them.
_CEIL_PARAMS = {
    col: f"(CAST({_PARAMS} * {b!r} AS INTEGER) + ({_PARAMS} * {b!r} > CAST({_PARAMS} * {b!r} AS INTEGER)))"
    for col, b in _DTYPE_BYTES.items()
}

_MEMBER_VALUES = f"""
SELECT m.id AS model_id, {", ".join(f"{GROUPINGS[by]} AS {key}" for by, key in KEY_COLUMNS.items())},
       m.author AS author, m.pipeline_tag AS pipeline_tag, {_PARAMS} AS params,
       f.params_active AS params_active, f.weights_bytes AS weights_bytes,
       {", ".join(f"COALESCE(f.{stored}, {_CEIL_PARAMS[col]}) AS {col}" for stored, col in DTYPE_COLUMNS.items())},
       f.kv_bytes_per_token AS kv_bytes_per_token, f.kv_cache_bytes AS kv_cache_bytes,
       m.used_storage AS storage_bytes, m.downloads AS downloads,
       (r.emissions_g IS NOT NULL) AS reporting, l.relation AS relation
FROM models m
LEFT JOIN footprints f ON f.model_id = m.id
LEFT JOIN lineage l ON l.model_id = m.id
LEFT JOIN reported_emissions r ON r.model_id = m.id
{{where}}
"""


def _ceil_of(expr: str) -> str:
    return f"(CAST({expr} AS INTEGER) + (({expr}) > CAST({expr} AS INTEGER)))"


# Per model, how its other measures follow its parameter count (see ``aggregate``): ``w_rule`` the bytes per
# parameter b with weights_bytes = ceil(params x b) (0: both unknown, -1: no such b); bit i of ``dtype_rule``
# set when the i-th per-dtype figure is ceil(params x its bytes per parameter); ``active_rule`` 1 when the
# active parameters are the total ones.
_W_RULE = (
    "CASE WHEN weights_bytes IS NULL AND params IS NULL THEN 0 "
    + " ".join(f"WHEN weights_bytes = {_ceil_of(f'params * {b!r}')} THEN {b!r}" for b in (4, 2, 1, 0.5))
    + " ELSE -1 END"
)
_DTYPE_RULE = " + ".join(
    f"(({col} IS {_ceil_of(f'params * {b!r}')}) << {i})" for i, (col, b) in enumerate(_DTYPE_BYTES.items())
)
MEMBER_SELECT = f"""
SELECT *, {_W_RULE} AS w_rule, {_DTYPE_RULE} AS dtype_rule, (params_active IS params) AS active_rule,
       {{stale}} AS stale
FROM ({_MEMBER_VALUES})
"""
MEMBER_COLUMNS = (
    "model_id", *KEY_COLUMNS.values(), "author", "pipeline_tag", "params", "params_active", "weights_bytes",
    *DTYPE_COLUMNS.values(), "kv_bytes_per_token", "kv_cache_bytes", "storage_bytes", "downloads", "reporting",
    "relation", "w_rule", "dtype_rule", "active_rule", "stale",
)  # fmt: skip

# Columns the maintained rollup carries besides the footprint row: per-dtype weights and per-token KV.
EXTRA_COLUMNS = [
    "weights_bytes_median_fp32", "weights_bytes_total_fp32", "weights_bytes_median_bf16", "weights_bytes_total_bf16",
    "weights_bytes_median_int8", "weights_bytes_total_int8", "weights_bytes_median_int4", "weights_bytes_total_int4",
    "kv_bytes_per_token_median", "kv_bytes_per_token_max",
]  # fmt: skip
ROLLUP_COLUMNS = [*FOOTPRINT_COLUMNS, *EXTRA_COLUMNS]


def members_current(db: Database) -> bool:
    """True when ``family_members`` holds one fresh row per model (else queries join the source tables)."""
    if not db["family_members"].exists():
        return False
    if db.execute("SELECT 1 FROM family_members WHERE stale > 0 LIMIT 1").fetchone():
        return False
    members = db.execute("SELECT COUNT(*) FROM family_members").fetchone()[0]
    return members == db.execute("SELECT COUNT(*) FROM models").fetchone()[0]


def members_sql(
    by: str,
    *,
    author: str | None = None,
    task: str | None = None,
    min_params: float | None = None,
    context: int | None = None,
    dtype: str | None = None,
    source: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """SQL (and parameters) for one row per model: its family name and the numbers the footprint aggregates
    (computed from the source tables unless ``source`` names a member source with family names)."""
    source = source or "(" + MEMBER_SELECT.format(stale=0, where="") + ") AS family_members"
    weights, kv = measure_exprs(context, dtype)
    where, params = filter_clause(author, task, min_params)
    sql = (
        f"SELECT {KEY_COLUMNS[by]} AS family, model_id, params, params_active, {weights} AS weights_bytes, "
        f"{kv} AS kv_cache_bytes, storage_bytes, downloads, reporting, relation FROM {source} {where}"
    )
    return sql, params


def measure_exprs(context: int | None, dtype: str | None) -> tuple[str, str]:
    """SQL over a member row for weight memory at ``dtype`` and KV cache at ``context`` (stored if None)."""
    weights = "weights_bytes"
    if dtype:
        bpp = bytes_per_param(dtype)
        column = STORED_DTYPE_COLUMN.get(dtype.lower())
        weights = DTYPE_COLUMNS[column] if column else f"(params * {bpp!r})"
    kv = f"(kv_bytes_per_token * {int(context)})" if context else "kv_cache_bytes"
    return weights, kv


def filter_clause(author: str | None, task: str | None, min_params: float | None) -> tuple[str, dict]:
    clauses, params = [], {}
    if author:
        clauses.append("author = :author")
        params["author"] = author
    if task:
        clauses.append("pipeline_tag = :task")
        params["task"] = task
    if min_params is not None:
        clauses.append("params >= :min_params")
        params["min_params"] = min_params
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def live_source(db: Database) -> str:
    """``family_members`` when current, else the same rows computed from the source tables."""
    if members_current(db):
        return "family_members"
    return "(" + MEMBER_SELECT.format(stale=0, where="") + ") AS family_members"


# --- aggregates in SQL: sums and counts in one GROUP BY, percentiles with one window pass per measure ------


def _sums(weights: str, kv: str, extra: bool) -> list[str]:
    """``expression AS name`` of every per-family sum, count and maximum (and the rule summaries)."""
    out = [
        "COUNT(*) AS models", "COUNT(params) AS models_with_params", "MIN(params) AS params_min",
        "MAX(params) AS params_max",
        "SUM(params) AS params_total", "SUM(params_active) AS params_active_total",
        f"SUM({weights}) AS weights_bytes_total", f"MAX({kv}) AS kv_cache_bytes_max",
        "SUM(storage_bytes) AS storage_bytes_total", "SUM(downloads) AS downloads_total",
        "COUNT(downloads) AS models_with_downloads", "SUM(reporting) AS reporting_models",
    ]  # fmt: skip
    for name, rel in (("finetunes", "finetune"), ("adapters", "adapter"), ("quantized", "quantized"),
                      ("merges", "merge")):  # fmt: skip
        out.append(f"COUNT(CASE WHEN relation = '{rel}' THEN 1 END) AS {name}")
    # The per-dtype rules only where a per-dtype median is asked for (the rollup, or that --dtype).
    out += [
        rule for rule in RULE_SUMS if extra or "dtype_rule" not in rule or rule.endswith(f" rule_{weights}")
    ]
    out += [f"MIN({kv}) AS kv_low", f"COUNT({kv}) AS kv_count"]
    if extra:
        out += [f"SUM({col}) AS weights_bytes_total_{col[2:]}" for col in DTYPE_COLUMNS.values()]
        out += ["MAX(kv_bytes_per_token) AS kv_bytes_per_token_max", "MIN(kv_bytes_per_token) AS kvt_low",
                "COUNT(kv_bytes_per_token) AS kvt_count"]  # fmt: skip
    return out


# Medians that never follow the parameters (the KV cache's) but that a family holding one or two known
# values takes from its least and greatest (most families of a grouping like ``author``): (least, greatest,
# count) columns of ``_sums`` per median. The main pass gives those; sorted passes only the larger families.
FEW = {
    "kv_cache_bytes_median": ("kv_low", "kv_cache_bytes_max", "kv_count"),
    "kv_bytes_per_token_median": ("kvt_low", "kv_bytes_per_token_max", "kvt_count"),
}
_FEW_T = "(CASE {} WHEN 2 THEN 0.5 ELSE 0.0 END)"  # the median's fraction between the two (numpy's)


def _picks(qs: dict[str, float], low: str | None = None, high: str | None = None) -> list[str]:
    """SQL columns ``{name}_lo``, ``{name}_hi``, ``{name}_t`` per quantile: the two neighbouring order
    statistics in the sorted array ``a`` of ``n`` values and the fraction between them (NULL when ``n`` is
    0), extracted in SQL: no JSON leaves SQLite. ``low`` / ``high``: columns holding the least and the
    greatest value, which are all the order statistics of a family of one or two (most families of a
    grouping like ``author``): no JSON is read for those."""
    columns = []
    for name, q in qs.items():
        pos = f"((n - 1) * {q!r})"
        lo = f"CAST({pos} AS INTEGER)"
        picks = [
            f"json_extract(a, '$[' || {lo} || ']')",
            f"json_extract(a, '$[' || MIN({lo} + 1, n - 1) || ']')",
        ]
        if low and high:
            picks = [f"CASE WHEN n <= 2 THEN {low} ELSE {picks[0]} END",
                     f"CASE n WHEN 1 THEN {low} WHEN 2 THEN {high} ELSE {picks[1]} END"]  # fmt: skip
        columns += [
            f"CASE WHEN n > 0 THEN {picks[0]} END AS {name}_lo",
            f"CASE WHEN n > 0 THEN {picks[1]} END AS {name}_hi",
            f"CASE WHEN n > 0 THEN ({pos} - {lo}) END AS {name}_t",
        ]
    return columns


def _lerp_sql(lo: str, hi: str, t: str) -> str:
    """SQL of numpy's linear interpolation between two neighbouring order statistics (the operations of
    ``_lerp``, in the same IEEE doubles); NULL when ``lo`` is. Each operand is referenced several times:
    pass column names or cheap expressions."""
    return f"(CASE WHEN {t} >= 0.5 THEN {hi} - ({hi} - {lo}) * (1 - {t}) ELSE {lo} + ({hi} - {lo}) * {t} END)"


def _interpolated(lo: str, hi: str, t: str) -> str:
    """``_lerp_sql`` with whole values as integers (``clean_value``)."""
    return _clean_sql(_lerp_sql(lo, hi, t))


def _clean_sql(v: str) -> str:
    """SQL of ``clean_value`` for a number: a whole value below 2**63 as an integer."""
    return f"CASE WHEN {v} = CAST({v} AS INTEGER) AND abs({v}) < 9223372036854775808.0 THEN CAST({v} AS INTEGER) ELSE {v} END"


def clean_sql(column: str) -> str:
    """SQL of ``clean_value`` for a stored column of any type (SQLite has no NaN), named as the column."""
    return f"CASE WHEN typeof({column}) = 'real' THEN {_clean_sql(column)} ELSE {column} END AS {column}"


def _unnested(sql: str) -> str:
    """A FROM subquery SQLite evaluates once per row instead of flattening it into the outer query (which
    would repeat its expressions, here the JSON extractions, at every reference): an OFFSET keeps it apart."""
    return f"({sql} LIMIT -1 OFFSET 0)"


# Member columns the aggregates read (the sorted pass carries only these).
_AGG_COLUMNS = (
    "params", "params_active", "weights_bytes", *DTYPE_COLUMNS.values(), "kv_bytes_per_token", "kv_cache_bytes",
    "storage_bytes", "downloads", "reporting", "relation", "w_rule", "dtype_rule", "active_rule",
)  # fmt: skip


@dataclass(frozen=True)
class _Shape:
    """What a pass's per-family rows become: the output ``columns``; the medians besides the parameters'
    to take from the parameters' ranks where the members' rules allow (``measures``, as (column, SQL
    expression)); whether ``family`` is the family's name in ``family_keys`` (``named``; else its key as it
    is); the ``fixed`` dtype/context columns."""

    columns: list[str]
    measures: list[tuple[str, str]]
    named: bool
    fixed: dict[str, Any]


def _main_pass(
    db: Database,
    key: str,
    source: str,
    where: str,
    params: dict,
    sums: list[str],
    shape: _Shape,
    scan: str | None = None,
) -> tuple[dict[Any, dict], dict[str, dict]]:
    """One pass over the members in (family, parameters) order giving, per family, every column of
    ``shape.columns`` SQL can give: the sums, the parameters' order statistics ``QS`` (the family's sorted
    values are gathered with json_group_array and only the needed ranks are extracted and interpolated in
    SQL), the medians the members' rules give from the parameters' ranks (``_rule_sql``) and the reporting
    share. After those columns: one flag per measure of ``shape.measures`` a sorted pass must give instead,
    then, for the families holding a model whose active parameters are not its total, their active
    parameters (for ``_active_median``). No other pass sorts the parameters.

    The rows come back ordered by size, which SQLite can only do once it has every row: the whole pass runs
    in the first step, with Python's lock released, and the other steps just read the sorted rows. A pass
    beside another (``_share``) therefore does not hand the lock back and forth for each of its families."""
    names = [expr.rsplit(" AS ", 1)[1] for expr in sums]
    middle = (
        f"SELECT family, {', '.join(names)}, n, CASE WHEN rule_active = 0 THEN act END AS act, "
        f"{', '.join(_picks(QS, 'params_min', 'params_max'))} FROM"
    )
    gather = (
        "COUNT(params) AS n, json_group_array(params) FILTER (WHERE params IS NOT NULL) AS a, "
        "json_group_array(params_active) FILTER (WHERE params_active IS NOT NULL) AS act"
    )
    sql = None
    if scan is not None:
        # ``scan`` walks a (family, params) index: grouping on it directly visits each family's rows in
        # order without carrying them through a sorted subquery (the plan is checked to use no temporary
        # B-tree, which would lose that order).
        sql = f"{middle} (SELECT {key} AS family, {', '.join(sums)}, {gather} FROM {scan} {where} GROUP BY 1)"
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        sql = None if "TEMP B-TREE" in plan else sql
    if sql is None:
        inner = f"SELECT {key} AS family, {', '.join(_AGG_COLUMNS)} FROM {scan or _scan(source, params)}"
        sql = f"{middle} (SELECT family, {', '.join(sums)}, {gather} FROM ({inner} {where} ORDER BY 1, 2) GROUP BY 1)"
    # Two layers over the pass: the values (computed once each), then whole values made integers (which
    # reads each value several times: a column there, not the expression).
    values = {name: name for name in ("family", *names)}
    if shape.named:
        values["family"] = "(SELECT k.family FROM family_keys k WHERE k.id = p.family)"
    values.update({f"params_{q}": _lerp_sql(f"{q}_lo", f"{q}_hi", f"{q}_t") for q in QS})
    values["reporting_share"] = "(CAST(reporting_models AS REAL) / models)"
    for column, (low, high, count) in FEW.items():  # also where a pass beside this one gives the others
        values[column] = f"CASE WHEN {count} <= 2 THEN {_lerp_sql(low, high, _FEW_T.format(count))} END"
    flags = []
    for column, expr in shape.measures:
        if column in FEW:
            flags.append(f"({FEW[column][2]} > 2)")
        else:
            values[column], flag = _rule_sql(expr)
            flags.append(flag)
    computed = set(values) - {"family", *names}
    inner = [f"{values.get(column, 'NULL')} AS {column}" for column in shape.columns]
    inner += [f"{flag} AS flag_{i}" for i, flag in enumerate(flags)] + ["act", "p.family AS family_key"]
    outer = [_clean_sql(column) if column in computed else column for column in shape.columns]
    outer += [f"flag_{i}" for i in range(len(flags))] + ["act", "family_key"]
    values_sql = _unnested(f"SELECT {', '.join(inner)} FROM {_unnested(sql)} AS p")
    return _shape(
        db.execute(f"SELECT {', '.join(outer)} FROM {values_sql} ORDER BY models DESC", params), shape
    )


def _rule_sql(expr: str) -> tuple[str, str]:
    """For one median's SQL expression ``expr``: (SQL of the median where it is f(the parameters' median)
    for a non-decreasing f that holds for every member of the family, as the members' rule columns say,
    before whole values are made integers; SQL that is 1 where it is not, so that a sorted pass must give
    it). The active parameters of a family holding a mixture of experts come from ``_active_median``
    instead (never a sorted pass)."""
    median = "median_lo", "median_hi", "median_t"

    def through(f: str) -> str:  # the median of f(values): f of the two order statistics, interpolated
        return _lerp_sql(f.format(x=median[0]), f.format(x=median[1]), median[2])

    if expr == "params_active":
        return f"CASE WHEN rule_active = 1 THEN {_lerp_sql(*median)} END", "0"
    if expr == "weights_bytes":  # one bytes-per-parameter figure for every member (NULL: none known)
        same = "rule_w_min = rule_w_max AND rule_w_min > 0"
        value = f"CASE WHEN {same} THEN {through(_ceil_of('{x} * rule_w_min'))} END"
        return value, f"(rule_w_min IS NOT NULL AND NOT ({same}))"
    if expr in _DTYPE_BYTES:
        value = through(_ceil_of(f"{{x}} * {_DTYPE_BYTES[expr]!r}"))
        return f"CASE WHEN rule_{expr} = 1 THEN {value} END", f"(rule_{expr} IS NOT 1)"
    if expr.startswith("(params * "):  # a dtype without a stored figure: exactly params x bytes
        return through(expr.replace("params", "{x}")), "0"
    return "NULL", "1"


def _shape(raw: Iterable[tuple], shape: _Shape) -> tuple[dict[Any, dict], dict[str, dict]]:
    """The output records (by family key) of a main pass's rows, and per median a sorted pass must give
    {family: models}. This runs once per family (68k for the author grouping of a 1M catalog): SQL gave
    every value it could, in column order, so a record is one dict built from the row's head."""
    columns = shape.columns
    flags = [(column, len(columns) + i) for i, (column, _) in enumerate(shape.measures)]
    moe = len(columns) + len(flags)
    records, rest = {}, {column: {} for column, _ in shape.measures}
    fixed = [(c, v) for c, v in shape.fixed.items() if c in columns]
    for record in raw:
        family = record[-1]
        out = dict(zip(columns, record, strict=False))
        for column, i in flags:
            if record[i]:
                rest[column][family] = out["models"]
        if record[moe] is not None:
            out["params_active_median"] = clean_value(_active_median(record[moe]))
        out.update(fixed)
        records[family] = out
    return records, rest


def _active_median(active: str) -> float | None:
    """The median of a family's active parameters (JSON, in the order of its members' total parameters):
    the family holds a mixture-of-experts model, whose active count is not its total, so that order is
    not theirs and they are sorted here (nearly sorted already: a few ordered runs)."""
    values = sorted(json.loads(active))
    if not values:
        return None
    pos = (len(values) - 1) * 0.5
    low = int(pos)
    return _lerp(values[low], values[min(low + 1, len(values) - 1)], pos - low)


MEDIAN = {"median": 0.5}


# Filters whose columns the family order indexes hold (``--min-params``, ``--task`` by its family key, the
# families an incremental refresh recomputes): a pass over those indexes reads no table row.
INDEXED_FILTERS = {"min_params", "task_key", "families"}


def order_indexes(db: Database, key: str) -> dict[str, str]:
    """The (family, params, ...) "rows" and (family, KV cache, ...) "kv" indexes of family key ``key`` the
    catalog has (a catalog opened read-only before migration m008 has none)."""
    found = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return {kind: name for kind, name in member_index_names(key).items() if name in found}


def _scan(source: str, params: dict) -> str:
    """Read the members table in storage order (an index walk would fetch every row out of order), unless
    only a few families or one author are asked for: then an index finds them."""
    if source != "family_members" or {"families", "ranked_families", "author_key"} & set(params):
        return source
    return f"{source} NOT INDEXED"


def quantile_sql(key: str, expr: str, source: str, where: str, qs: dict[str, float]) -> str:
    """Linear-interpolated quantiles per group (numpy's default method), NULLs ignored, one window pass; for
    small inputs (the emissions summary). Families use ``_ranked`` (one sort, no window)."""
    cond = f"{expr} IS NOT NULL"
    where = f"{where} AND {cond}" if where else f"WHERE {cond}"
    picks, columns = [], []
    for name, q in qs.items():
        pos, lo = f"(n1 * {q!r})", f"CAST(n1 * {q!r} AS INTEGER)"
        picks += [f"i = {lo}", f"i = {lo} + 1"]
        low = f"MAX(CASE WHEN i = {lo} THEN v END)"
        high = f"COALESCE(MAX(CASE WHEN i = {lo} + 1 THEN v END), {low})"
        t = f"({pos} - {lo})"
        columns.append(
            f"CASE WHEN {t} >= 0.5 THEN {high} - ({high} - {low}) * (1 - {t}) "
            f"ELSE {low} + ({high} - {low}) * {t} END AS {name}"
        )
    return f"""
SELECT family, {", ".join(columns)} FROM (
  SELECT {key} AS family, {expr} AS v, ROW_NUMBER() OVER w - 1 AS i, COUNT(*) OVER (PARTITION BY {key}) - 1 AS n1
  FROM {source} {where} WINDOW w AS (PARTITION BY {key} ORDER BY {expr})
) WHERE {" OR ".join(picks)} GROUP BY family"""


QS = {"p10": 0.1, "median": 0.5, "p90": 0.9}
_MEDIAN_AT = list(QS).index("median")


def _ranked(
    db: Database,
    key: str,
    expr: str,
    source: str,
    where: str,
    params: dict,
    families: set[str] | None,
    *,
    index: str | None = None,
    covering: str | None = None,
    few: bool = False,
) -> dict[str, Any]:
    """Per family, the median of ``expr`` (numpy's linear interpolation), from one sorted pass in SQLite:
    the family's sorted values are gathered with json_group_array and only the needed ranks are extracted
    and interpolated, so no row leaves SQLite. ``index``: an index
    whose order is (family, ``expr``) and that holds every column the pass reads: then nothing is sorted.
    ``covering``: an index in another order holding those columns, read (and sorted) instead of the table.
    ``few``: leave out the families with one or two values (the main pass gives those: ``FEW``)."""
    cond = [f"{expr} IS NOT NULL"]
    if where:
        cond.append(where.removeprefix("WHERE "))
    args = dict(params)
    if families is not None:
        cond.append(f"{key} IN (SELECT value FROM json_each(:ranked_families))")
        args["ranked_families"] = json.dumps(sorted(families))
    scan = f"{source} INDEXED BY {index or covering}" if index or covering else _scan(source, args)
    having = " HAVING COUNT(*) > 2" if few else ""
    sql = None
    if index:
        # Grouping on the index walk itself visits each family's values in order (checked: no temporary
        # B-tree in the plan, else the sorted form below).
        sql = f"""
SELECT family, n, {", ".join(_picks(MEDIAN))} FROM (
  SELECT {key} AS family, json_group_array({expr}) AS a, COUNT(*) AS n FROM {scan}
  WHERE {" AND ".join(cond)} GROUP BY 1{having}
)"""
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", args))
        sql = None if "TEMP B-TREE" in plan else sql
    sql = (
        sql
        or f"""
SELECT family, n, {", ".join(_picks(MEDIAN))} FROM (
  SELECT family, json_group_array(v) AS a, COUNT(*) AS n FROM (
    SELECT {key} AS family, {expr} AS v FROM {scan} WHERE {" AND ".join(cond)} ORDER BY 1, 2
  ) GROUP BY family{having}
)"""
    )
    median = _interpolated("median_lo", "median_hi", "median_t")
    return dict(db.execute(f"SELECT family, {median} FROM {_unnested(sql)} ORDER BY n DESC", args).fetchall())


def _lerp(lo: Any, hi: Any, t: float) -> Any:
    """numpy's linear interpolation between two neighbouring order statistics."""
    if lo is None:
        return None
    return hi - (hi - lo) * (1 - t) if t >= 0.5 else lo + (hi - lo) * t


# Sums that say, per family, whether a measure follows the parameters (from the members' rule columns).
RULE_SUMS = [
    "MIN(active_rule) AS rule_active", "MIN(NULLIF(w_rule, 0)) AS rule_w_min",
    "MAX(NULLIF(w_rule, 0)) AS rule_w_max",
    *(f"MIN(((dtype_rule >> {i}) & 1)) AS rule_{col}" for i, col in enumerate(_DTYPE_BYTES)),
]  # fmt: skip


def _measures(weights: str, kv: str, extra: bool) -> list[tuple[str, str]]:
    """(output column, SQL expression) of every median besides the parameters'."""
    out = [("params_active_median", "params_active"), ("weights_bytes_median", weights),
           ("kv_cache_bytes_median", kv)]  # fmt: skip
    if extra:
        out += [(f"weights_bytes_median_{col[2:]}", col) for col in DTYPE_COLUMNS.values()]
        out.append(("kv_bytes_per_token_median", "kv_bytes_per_token"))
    return out


def aggregate(
    db: Database,
    by: str,
    *,
    source: str,
    where: str = "",
    params: dict | None = None,
    context: int | None = None,
    dtype: str | None = None,
    extra: bool = False,
    key: str | None = None,
) -> list[dict]:
    """Per-family footprint rows (``ROLLUP_COLUMNS`` with ``extra``), biggest families first.

    Sums, counts, maxima and the parameters' quantiles come from one pass (over an order index: no sort).
    Another measure gets its own pass only for the families where it is not a non-decreasing function of the
    parameters (e.g. active = total for dense models, weights = ceil(params x bytes per parameter)), which
    each member row records (its rule columns) and the GROUP BY summarises per family. ``key``: an SQL expression over the members to group by
    instead of the grouping's family id (its values are returned as ``family``, unnamed).
    """
    named = key is None
    key, params = key or KEY_COLUMNS[by], params or {}
    weights, kv = measure_exprs(context, dtype)
    # Filters the family order indexes hold: the sums, maxima, rules and the parameters' order statistics
    # come from one GROUP BY walking the (family, params, ...) index (nothing sorted, no table row read),
    # the KV medians from the (family, KV cache, ...) index.
    indexes = {}
    if named and source == "family_members" and set(params) <= INDEXED_FILTERS:
        indexes = order_indexes(db, key)
    ranked_index = {"kv_cache_bytes": indexes.get("kv")}
    measures = _measures(weights, kv, extra)
    # The KV medians never follow the parameters: their passes run beside the main ones, in the worker
    # processes or on a second connection (``_helper``), as DuckDB uses both cores too.
    side = [(c, e) for c, e in measures if "kv_" in e]
    # (Not for a few families' rows: one author's, or the families a refresh recomputes.)
    few_families = bool({"families", "author_key"} & set(params))
    other = _helper(db) if side and source == "family_members" and not few_families else None
    sums = _sums(weights, kv, extra)
    scan = f"{source} INDEXED BY {indexes['rows']}" if "rows" in indexes else None
    # Walking the indexes, the passes split into key ranges of about equal work, and the two workers (the
    # processes, or this thread and the other) each take the next pass not started. Each pass runs inside
    # SQLite in one step (see ``_main_pass``) and a main pass's rows are shaped into records by the worker
    # that ran it, while the other worker's pass proceeds.
    parts = (
        _key_ranges(db, key, indexes.get("kv", indexes["rows"]), where)
        if scan and other is not None
        else [where]
    )
    in_pass = [m for m in measures if other is None or m not in side]
    shape = _Shape(
        columns=ROLLUP_COLUMNS if extra else FOOTPRINT_COLUMNS,
        measures=in_pass,
        named=named and source == "family_members",
        fixed={"dtype": dtype or "stored", "context": context or "stored"},
    )
    tasks = _pass_tasks(
        parts, measures, key=key, source=source, where=where, params=params, sums=sums, shape=shape,
        scan=scan, ranked_index=ranked_index, covering=indexes.get("rows"),
    )  # fmt: skip
    done = _share(db, other, tasks)
    if other is not None:
        other.close()
    records, rest = {}, {column: {} for column, _ in in_pass}
    for i in range(len(parts)):
        found, left = done["main", i]
        records.update(found)
        for column, families in left.items():
            rest[column].update(families)
    for column, expr in measures:
        if (column, 0) in done:
            for i in range(len(parts)):
                _set_medians(records, column, done.get((column, i), {}))
        elif rest[column]:
            subset = _subset(records, rest[column])
            found = _ranked(db, key, expr, source, where, params, subset, index=ranked_index.get(expr),
                            covering=indexes.get("rows"), few=column in FEW)  # fmt: skip
            _set_medians(records, column, {f: got for f, got in found.items() if f in rest[column]})
    rows = sorted(records.values(), key=operator.itemgetter("family"))
    rows.sort(key=operator.itemgetter("models"), reverse=True)  # (stable: by family within a size)
    return rows


def _pass_tasks(
    parts: list[str],
    measures: list[tuple[str, str]],
    *,
    key: str,
    source: str,
    where: str,
    params: dict,
    sums: list[str],
    shape: _Shape,
    scan: str | None,
    ranked_index: dict[str, str | None],
    covering: str | None,
) -> dict[tuple, Callable]:
    """Per key range ``parts[i]``: the main pass ("main", i) and the sorted pass of each median the main
    pass does not give (column, i): per range where an index holds that measure's order, else once."""
    tasks = {}
    for i, part in enumerate(parts):
        tasks["main", i] = partial(_main_pass, key=key, source=source, where=part, params=params, sums=sums,
                                   shape=shape, scan=scan)  # fmt: skip
        for column, expr in measures:
            index = ranked_index.get(expr)
            if (column, expr) not in shape.measures and (index or i == 0):
                tasks[column, i] = partial(
                    _ranked, key=key, expr=expr, source=source, where=part if index else where, params=params,
                    families=None, index=index, covering=covering, few=column in FEW,
                )  # fmt: skip
    return tasks


def _subset(records: dict[Any, dict], rest: dict[Any, int]) -> set | None:
    """The families a sorted pass must cover, or None (every family) when they hold much of the rows: one
    pass over every row (in storage order) then beats fetching theirs out of order through an index."""
    if len(rest) == len(records):
        return None
    covered = sum(rest.values())
    return None if covered > FULL_REFRESH_SHARE * sum(r["models"] for r in records.values()) else set(rest)


def _set_medians(records: dict[Any, dict], column: str, found: dict[Any, Any]) -> None:
    """Set ``column`` of the records of ``found``'s families."""
    for family, median in found.items():
        records[family][column] = median


# Where the passes of one aggregate run beside each other. The SQLite Python links on Debian (3.40.1, built
# without lookaside buffers and with memory statistics) counts every allocation under one process-wide lock,
# so two threads running passes in one process mostly wait for each other: forked worker processes, each
# with its own connection, share the work instead where forking is safe (Linux, and no other Python thread
# in this process whose locks the child would inherit); elsewhere a thread with a second connection does.
FORK_WORKERS = True
# Below this many member rows one connection does as well with half the CPU: starting the workers (or a second
# connection) costs about what it shares (`scripts/bench_parallel.py`, `--by author --min-params 1e9`: at
# 100,000 models 0.22 s every way, the workers using 0.40 s of CPU to one connection's 0.22 s; at 300,000
# models one connection 0.66 s, the workers 0.57 s, a thread 0.49 s).
PARALLEL_MIN_MEMBERS = 150_000


def _helper(db: Database) -> _Workers | _Thread | None:
    """What runs the passes beside this connection: worker processes, a thread, or None (one connection:
    an in-memory database, or too few members to gain from a second)."""
    path = store_derived.catalog_file(db)
    if path is None:
        return None
    # (The largest rowid bounds the member count from above and is read from the end of the table.)
    members = db.execute("SELECT MAX(rowid) FROM family_members").fetchone()[0] or 0
    if members < PARALLEL_MIN_MEMBERS:
        return None
    if (
        FORK_WORKERS
        and sys.platform == "linux"
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        return _Workers(path)
    other = _side_connection(db)
    return _Thread(other) if other is not None else None


class _Thread:
    """A worker thread with a second read-only connection: this thread and it each take the next task not
    started, so the two cores stay busy whichever pass is the longest."""

    def __init__(self, other: Database) -> None:
        self.other = other

    def run(self, db: Database, tasks: dict[Any, Callable]) -> dict[Any, Any]:
        """Run ``tasks`` (each called with a connection); returns {task name: its result}."""
        queue, results, lock = list(tasks), {}, threading.Lock()

        def work(conn: Database) -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    name = queue.pop(0)
                results[name] = tasks[name](conn)

        with ThreadPoolExecutor(max_workers=1) as pool:
            worker = pool.submit(work, self.other)
            work(db)
            worker.result()
        return results

    def close(self) -> None:
        self.other.close()


class _Workers:
    """Two forked worker processes, each opening the catalog file read-only once; each takes the next task
    not started. Tasks and their results travel pickled (the results are the per-family records)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def run(self, db: Database, tasks: dict[Any, Callable]) -> dict[Any, Any]:
        """Run ``tasks`` in the workers; if a worker cannot start or dies (no memory to fork, killed), the
        tasks run here, on ``db``, instead: the answer is the same, only slower."""
        context = multiprocessing.get_context("fork")
        try:
            with ProcessPoolExecutor(
                max_workers=2, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),)
            ) as pool:
                futures = {name: pool.submit(_in_worker, self.path, task) for name, task in tasks.items()}
                try:
                    return {name: future.result() for name, future in futures.items()}
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
        except (BrokenProcessPool, OSError):
            return {name: task(db) for name, task in tasks.items()}

    def close(self) -> None:
        pass


def _share(db: Database, helper: _Workers | _Thread | None, tasks: dict[Any, Callable]) -> dict[Any, Any]:
    """Run ``tasks`` (each called with a connection) with ``helper``, or one after another on ``db``."""
    if helper is None:
        return {name: task(db) for name, task in tasks.items()}
    return helper.run(db, tasks)


_WORKER_CONNECTIONS: dict[str, Database] = {}


def _worker_start(parent: int) -> None:
    """In a worker process: Ctrl-C is the parent's to handle (it stops the workers), and the worker ends with
    its parent, however the parent ends. A worker waits for tasks on a pipe its sibling also holds open, so
    it would not see a parent killed by SIGKILL end: Linux's parent-death signal ends it then."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # no prctl: a parent's normal exit still stops them
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the signal was armed
        os._exit(0)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _in_worker(path: str, task: Callable) -> Any:
    """Run one task in a worker process on its own read-only connection to ``path``."""
    conn = _WORKER_CONNECTIONS.get(path)
    if conn is None:
        conn = _WORKER_CONNECTIONS[path] = store_derived.read_only_connection(path)
    return task(conn)


def _key_ranges(
    db: Database, key: str, index: str, where: str, parts: int = 8, row_parts: int = 4
) -> list[str]:
    """``where`` restricted to key ranges such that none holds more than 1/``row_parts`` of the member rows
    (cut in the order of ``index``, a (``key``, ...) index: each cut walks the index up to it, so they are
    fewer) nor 1/``parts`` of the key values (about the families: a pass costs per row and per family, and
    the many small families sit together at the end of the keys), or just ``where`` when the members are too
    few. Several smaller tasks let two workers share the work evenly."""
    total = db.execute("SELECT COUNT(*) FROM family_members").fetchone()[0]
    if total < 2 * parts:
        return [where]
    bounds = set()
    for i in range(1, row_parts):
        found = db.execute(
            f"SELECT {key} FROM family_members INDEXED BY {index} ORDER BY {key} LIMIT 1 OFFSET ?",
            [total * i // row_parts],
        ).fetchone()
        if found is not None and found[0] is not None:
            bounds.add(int(found[0]))
    low, high = db.execute(  # (one MIN or MAX a query: each reads one end of the index)
        f"SELECT (SELECT MIN({key}) FROM family_members), (SELECT MAX({key}) FROM family_members)"
    ).fetchone()
    if low is not None:
        bounds.update(int(low) + (int(high) - int(low)) * i // parts for i in range(1, parts))
    if not bounds:
        return [where]
    clause = f"{where} AND" if where else "WHERE"
    edges = [None, *sorted(bounds), None]
    ranges = []
    for low, high in zip(edges, edges[1:], strict=False):
        conds = ([f"{key} >= {low}"] if low is not None else []) + (
            [f"{key} < {high}"] if high is not None else []
        )
        ranges.append(f"{clause} {' AND '.join(conds)}")
    return ranges


def _side_connection(db: Database) -> Database | None:
    """A second read-only connection to the catalog file (None for an in-memory database)."""
    return store_derived.second_connection(db)


def _dict_rows(db: Database, sql: str, params: dict) -> list[dict]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def clean_value(value: Any) -> Any:
    """Whole floats → int; NaN → None."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**63:
            return int(value)
    return value


def footprint_live(db: Database, by: str, **options: Any) -> list[dict]:
    """Footprint rows computed from the per-model members (filters and overrides applied in SQL)."""
    source = live_source(db)
    author, task, min_params = options.get("author"), options.get("task"), options.get("min_params")
    if source == "family_members":
        where, params = keyed_filter_clause(db, author, task, min_params)
    else:
        where, params = filter_clause(author, task, min_params)
    return aggregate(
        db, by, source=source, where=where, params=params,
        context=options.get("context"), dtype=options.get("dtype"),
    )  # fmt: skip


# A key that no family has: a filter on a task or author the catalog does not hold matches no member.
NO_KEY = -1


def keyed_filter_clause(
    db: Database, author: str | None, task: str | None, min_params: float | None
) -> tuple[str, dict]:
    """``filter_clause`` over ``family_members`` with the task matched by its family key (the indexes hold
    it): a member's ``k_pipeline_tag`` is the key of its task exactly when the task is neither empty nor
    "unknown" (the family of the models without one), so the two filters select the same rows. The author
    filter also names the author's family key, which every member with that author has (so an index finds
    them), and keeps the exact comparison (a member without an author is in its id owner's family)."""
    plain = {"task": task if task in ("", "unknown") else None, "author": author if author == "" else None}
    where, params = filter_clause(plain["author"], plain["task"], min_params)
    clauses = [where.removeprefix("WHERE ")] if where else []
    for grouping, value, name in (("pipeline_tag", task, "task"), ("author", author, "author")):
        if not value or plain[name] is not None:
            continue
        found = db.execute(
            "SELECT id FROM family_keys WHERE grouping = ? AND family = ?", [grouping, value]
        ).fetchone()
        params[f"{name}_key"] = found[0] if found else NO_KEY
        clauses.append(f"{KEY_COLUMNS[grouping]} = :{name}_key")
        if name == "author":
            clauses.append("author = :author")
            params["author"] = value
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def from_rollup(row: dict, *, context: int | None, dtype: str | None) -> dict:
    """A stored family row (with ``EXTRA_COLUMNS``) at another dtype/context, without scanning models."""
    out = {c: row[c] for c in FOOTPRINT_COLUMNS}
    if dtype:
        column = STORED_DTYPE_COLUMN.get(dtype.lower())
        if column:
            suffix = column.rsplit("_", 1)[1]
            out["weights_bytes_median"] = row[f"weights_bytes_median_{suffix}"]
            out["weights_bytes_total"] = row[f"weights_bytes_total_{suffix}"]
        else:
            bpp = bytes_per_param(dtype)
            out["weights_bytes_median"] = _scaled(row["params_median"], bpp)
            out["weights_bytes_total"] = _scaled(row["params_total"], bpp)
        out["dtype"] = dtype
    if context:
        out["kv_cache_bytes_median"] = _scaled(row["kv_bytes_per_token_median"], int(context))
        out["kv_cache_bytes_max"] = _scaled(row["kv_bytes_per_token_max"], int(context))
        out["context"] = int(context)
    return out


def _scaled(value: Any, factor: float) -> Any:
    return None if value is None else clean_value(value * factor)


# --- maintenance: which families changed, and their rows (written by hubscan.store.derived) ------------

# When the changed families of a grouping hold more than this share of the models, the grouping is recomputed
# in one pass over the members instead of family by family through the (family, params) index.
FULL_REFRESH_SHARE = 0.1


def family_names(db: Database, by: str) -> dict[int, str]:
    """``family_keys`` ids -> family names of one grouping."""
    return dict(db.execute("SELECT id, family FROM family_keys WHERE grouping = ?", [by]))


def rollup_rows(db: Database, by: str, families: set[int] | None) -> list[tuple]:
    """Rollup rows (grouping, *ROLLUP_COLUMNS) of ``families`` (ids; every family when None), from the members."""
    where, params = "", {}
    if families is not None:
        where = f"WHERE {KEY_COLUMNS[by]} IN (SELECT value FROM json_each(:families))"
        params["families"] = json.dumps(sorted(families))
    rows = aggregate(db, by, source="family_members", where=where, params=params, extra=True)
    return [(by, *(row[c] for c in ROLLUP_COLUMNS)) for row in rows]


# Task slices: the members with one exact pipeline_tag (what ``--task`` matches), per family of a grouping.
# A slice is numbered (task's family_keys id << 32) | family id.
MASK = 0xFFFFFFFF
TASK_ROWS = "pipeline_tag <> ''"


def _slice_key(by: str, kind: str) -> str:
    return f"((k_pipeline_tag << 32) | {KEY_COLUMNS[by]})" if kind == "task" else KEY_COLUMNS[by]


def task_rollup_rows(db: Database, by: str, slices: set[int] | None) -> list[tuple]:
    """Rows (grouping, task, *ROLLUP_COLUMNS) of the task slices ``slices`` of ``by`` (all when None)."""
    key, clauses, params = _slice_key(by, "task"), [TASK_ROWS], {}
    if slices is not None:
        clauses.append(f"{KEY_COLUMNS[by]} IN (SELECT value FROM json_each(:families))")
        clauses.append(f"{key} IN (SELECT value FROM json_each(:slices))")
        params = {
            "families": json.dumps(sorted({s & MASK for s in slices})),
            "slices": json.dumps(sorted(slices)),
        }
    where = "WHERE " + " AND ".join(clauses)
    rows = aggregate(db, by, source="family_members", where=where, params=params, extra=True, key=key)
    tasks, names = family_names(db, "pipeline_tag"), family_names(db, by)
    return [
        (by, tasks[row["family"] >> 32], names[row["family"] & MASK], *(row[c] for c in ROLLUP_COLUMNS[1:]))
        for row in rows
    ]


# Member columns whose multiset per family decides every order statistic, maximum and rule of the family.
_RANKED = (
    "params", "params_active", "weights_bytes", *DTYPE_COLUMNS.values(), "kv_bytes_per_token", "kv_cache_bytes",
    "w_rule", "dtype_rule", "active_rule",
)  # fmt: skip
_RELATIONS = {"finetune": "finetunes", "adapter": "adapters", "quantized": "quantized", "merge": "merges"}
_TABLES = {"family": ("family_rollup", ("family",)), "task": ("family_task_rollup", ("task", "family"))}


def _changes(db: Database, by: str, kind: str) -> dict[int, dict] | None:
    """Per slice the refresh touched: the change of its ranked-values multiset and of its additive figures
    (from the copies ``refresh_family_members`` left), or None when it left none (a large change)."""
    temp = {row[0] for row in db.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table'")}
    if not {"members_old", "members_new"} <= temp:
        return None
    where = f"WHERE {TASK_ROWS}" if kind == "task" else ""
    out: dict[int, dict] = {}
    for table, sign in (("temp.members_old", -1), ("temp.members_new", 1)):
        sql = (
            f"SELECT {_slice_key(by, kind)}, storage_bytes, downloads, reporting, relation, "
            f"{', '.join(_RANKED)} FROM {table} {where}"
        )
        for key, storage, downloads, reporting, relation, *ranked in db.execute(sql):
            got = out.setdefault(key, {"ranked": Counter(), "sum": Counter(), "count": Counter()})
            got["ranked"][tuple(ranked)] += sign
            for column, value in (("storage_bytes_total", storage), ("downloads_total", downloads)):
                if value is not None:
                    got["sum"][column] += sign * value
                    got["count"][column] += sign
            got["sum"]["reporting_models"] += sign * reporting
            if relation in _RELATIONS:
                got["sum"][_RELATIONS[relation]] += sign
    return out


_DELTA_COLUMNS = ["models", "storage_bytes_total", "downloads_total", "models_with_downloads", "reporting_models",
                  *_RELATIONS.values()]  # fmt: skip


def _stored(db: Database, by: str, kind: str, slices: set[int]) -> dict[int, dict]:
    """The stored rollup rows (``_DELTA_COLUMNS``) of ``slices``."""
    table, ident = _TABLES[kind]
    names = family_names(db, by)
    tasks = family_names(db, "pipeline_tag") if kind == "task" else {}
    idents = {
        (tasks[s >> 32], names[s & MASK]) if kind == "task" else (names[s],): s
        for s in slices
        if s & MASK in names and (kind != "task" or s >> 32 in tasks)
    }
    picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(ident)))
    sql = (
        f"SELECT {', '.join(ident)}, {', '.join(_DELTA_COLUMNS)} FROM {table} WHERE grouping = ? "
        f"AND ({', '.join(ident)}) IN (SELECT {picks} FROM json_each(?))"
    )
    out = {}
    for row in db.execute(sql, [by, json.dumps([list(i) for i in idents])]):
        out[idents[tuple(row[: len(ident)])]] = dict(zip(_DELTA_COLUMNS, row[len(ident) :], strict=True))
    return out


def _deltas(changes: dict[int, dict], stored: dict[int, dict]) -> tuple[list[tuple[int, dict]], set[int]]:
    """(slice, new values) for the slices whose ranked values did not change (only sums and counts moved:
    their order statistics and maxima stand), and the slices to recompute."""
    updates, recompute = [], set()
    for key, got in changes.items():
        row = stored.get(key)
        moved = any(got["ranked"].values())
        storage_lost = got["count"]["storage_bytes_total"] < 0  # its sum might become NULL: unknown here
        if row is None or moved or storage_lost:
            recompute.add(key)
            continue
        if not any(got["sum"].values()) and not any(got["count"].values()):
            continue
        new = {c: (row[c] or 0) + got["sum"][c] for c in ("reporting_models", *_RELATIONS.values())}
        with_downloads = row["models_with_downloads"] + got["count"]["downloads_total"]
        new["models_with_downloads"] = with_downloads
        new["downloads_total"] = (
            (row["downloads_total"] or 0) + got["sum"]["downloads_total"] if with_downloads else None
        )
        storage = row["storage_bytes_total"]
        known = storage is not None or got["count"]["storage_bytes_total"] > 0
        new["storage_bytes_total"] = (storage or 0) + got["sum"]["storage_bytes_total"] if known else None
        new["reporting_share"] = new["reporting_models"] / row["models"]
        updates.append((key, new))
    return updates, recompute


def _maintain(db: Database, by: str, kind: str, touched: set[int], members: int) -> None:
    """Bring the rollup rows of one grouping (``kind`` "family": family_rollup, "task": family_task_rollup)
    up to date: by difference where only sums moved, else recomputing the touched slices (the whole
    grouping when it is new, or the slices hold more than ``FULL_REFRESH_SHARE`` of the models)."""
    table, ident = _TABLES[kind]
    stored_rows = db.execute(f"SELECT COUNT(*) FROM {table} WHERE grouping = ?", [by]).fetchone()[0]
    changes = _changes(db, by, kind) if stored_rows else None
    recompute: set[int] | None
    if not stored_rows:
        recompute = None
    elif changes is None:  # a large change: the touched families (all task slices of the grouping)
        recompute = set(touched) if kind == "family" else (None if touched else set())
    else:
        updates, recompute = _deltas(changes, _stored(db, by, kind, set(changes)))
        store_derived.update_family_rollup(
            db, table, by, ident, [(_ident(db, by, kind, s), v) for s, v in updates]
        )
    if recompute is not None:
        if not recompute:
            return
        covered = sum(row["models"] or 0 for row in _stored(db, by, kind, recompute).values())
        if covered > members * FULL_REFRESH_SHARE:
            recompute = None
    rows = (rollup_rows if kind == "family" else task_rollup_rows)(db, by, recompute)
    chosen = None if recompute is None else {_ident(db, by, kind, s) for s in recompute}
    if chosen is not None and kind == "family":
        chosen = {name for (name,) in chosen}
    store_derived.replace_family_rollup(db, by, chosen, ROLLUP_COLUMNS, rows, table=table, ident=ident)


def _ident(db: Database, by: str, kind: str, key: int) -> tuple:
    """A slice's identity in its rollup table: (family,) or (task, family)."""
    family = db.execute("SELECT family FROM family_keys WHERE id = ?", [key & MASK]).fetchone()[0]
    if kind == "family":
        return (family,)
    return (db.execute("SELECT family FROM family_keys WHERE id = ?", [key >> 32]).fetchone()[0], family)


def maintain_family_stats(db: Database) -> int:
    """Bring ``family_members`` up to date, update the rollup rows of the families (and task slices) that
    changed — by difference when only sums and counts moved, else recomputing them — and publish them as
    ``family_stats``. Returns the published row count."""
    changed = store_derived.refresh_family_members(db, MEMBER_SELECT, MEMBER_COLUMNS, KEY_COLUMNS)
    members = db.execute("SELECT COUNT(*) FROM family_members").fetchone()[0]
    for by, families in changed.items():
        _maintain(db, by, "family", families, members)
        _maintain(db, by, "task", families, members)
    store_derived.drop_member_copies(db)
    return store_derived.publish_family_stats(db, ROLLUP_COLUMNS)
