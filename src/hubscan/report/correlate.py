"""What drives emissions: rank and log-log correlation of reported or estimated training emissions with model
size, dataset size, popularity, performance or grid carbon intensity (Castaño et al. ESEM 2023; Luccioni and
Hernández-García, "Counting Carbon").

Per pair set: ``n`` pairs with both values, Spearman's ρ and its p-value (``scipy.stats.spearmanr``), and
Pearson's r of log10 x against log10 y with its p-value (``scipy.stats.pearsonr``) over the pairs where both
are > 0. With ``log=True`` every statistic uses only the pairs with both values > 0 (the log-log view of
Castaño et al.), so ``n`` counts those.

x variables:
  params / active_params  total / active parameters (footprint, else safetensors or GGUF count)
  dataset_size            rows of the datasets the card names: sum over those with a known size of the
                          geometric mean of their ``size_categories`` bounds (the lower bound when open-ended)
  downloads / likes       the listing's 30-day downloads and likes
  performance             the card's first higher-is-better ``model-index`` metric, as a fraction 0-1
  grid_intensity          the grid carbon intensity (g CO2eq/kWh) the estimate resolved from the card's
                          location or region (models where it fell back to the world average are left out)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from sqlite_utils import Database

from hubscan.derive.performance import performance_score
from hubscan.errors import QueryError
from hubscan.report.trends import group_of

X_CHOICES = ("params", "active_params", "dataset_size", "downloads", "likes", "performance", "grid_intensity")
Y_CHOICES = ("reported_g", "estimated_g")
BY_CHOICES = ("domain", "source", "training_type", "library", "pipeline_tag", "author")
COLUMNS = ("x", "y", "n", "spearman_rho", "spearman_p", "pearson_log_r", "pearson_log_p")
MIN_PAIRS = 3

_X_SQL = {
    "params": "COALESCE(f.params_total, m.safetensors_total, m.gguf_total)",
    "active_params": "f.params_active",
    "downloads": "m.downloads",
    "likes": "m.likes",
    "grid_intensity": (
        "CASE WHEN json_extract(e.record, '$.inputs.grid_g_per_kwh.provenance') NOT LIKE 'default:%' "
        "THEN json_extract(e.record, '$.inputs.grid_g_per_kwh.value') END"
    ),
    "dataset_size": "NULL",
    "performance": "NULL",
}
_Y_SQL = {"reported_g": "r.emissions_g", "estimated_g": "e.emissions_g_central"}


def _frame(db: Database, x: str, y: str) -> pd.DataFrame:
    sql = f"""
        SELECT m.id, m.pipeline_tag, m.library_name, m.author, m.tags, r.source, r.training_type,
               {_X_SQL[x]} AS x, {_Y_SQL[y]} AS y
        FROM models m
        LEFT JOIN footprints f ON f.model_id = m.id
        LEFT JOIN reported_emissions r ON r.model_id = m.id
        LEFT JOIN estimated_emissions e ON e.model_id = m.id
        WHERE {_Y_SQL[y]} IS NOT NULL
    """
    frame = pd.read_sql_query(sql, db.conn)
    if x == "dataset_size":
        frame["x"] = frame["id"].map(dataset_sizes(db))
    elif x == "performance":
        frame["x"] = frame["id"].map(performance_scores(db))
    frame["x"] = pd.to_numeric(frame["x"], errors="coerce")
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce")
    return frame


def dataset_sizes(db: Database) -> dict[str, float]:
    """Rows of the datasets each model's card names (see module docstring)."""
    sizes: dict[str, float] = {}
    for model_id, low, high in db.execute(
        """SELECT md.model_id, d.rows_min, d.rows_max FROM model_datasets md
           JOIN datasets d ON d.id = md.dataset_id WHERE d.rows_min IS NOT NULL OR d.rows_max IS NOT NULL"""
    ):
        low = max(low or 0, 1)
        value = math.sqrt(low * high) if high else float(low)
        sizes[model_id] = sizes.get(model_id, 0.0) + value
    return sizes


def performance_scores(db: Database) -> dict[str, float]:
    rows: dict[str, list[tuple]] = {}
    for model_id, metric, value in db.execute(
        "SELECT model_id, metric_type, value FROM model_performance ORDER BY rowid"
    ):
        rows.setdefault(model_id, []).append((metric, value))
    scores = {m: performance_score(r) for m, r in rows.items()}
    return {m: s for m, s in scores.items() if s is not None}


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def statistics(xs: np.ndarray, ys: np.ndarray, log: bool = False) -> dict:
    """``n``, Spearman ρ/p and log-log Pearson r/p of paired values (NaN pairs dropped)."""
    keep = ~(np.isnan(xs) | np.isnan(ys))
    if log:
        keep &= (xs > 0) & (ys > 0)
    xs, ys = xs[keep], ys[keep]
    out = {"n": int(len(xs)), "spearman_rho": None, "spearman_p": None, "pearson_log_r": None,
           "pearson_log_p": None}  # fmt: skip
    if len(xs) >= MIN_PAIRS and len(set(xs)) > 1 and len(set(ys)) > 1:
        rho = stats.spearmanr(xs, ys)
        out["spearman_rho"], out["spearman_p"] = _finite(rho.statistic), _finite(rho.pvalue)
    positive = (xs > 0) & (ys > 0)
    lx, ly = np.log10(xs[positive]), np.log10(ys[positive])
    if len(lx) >= MIN_PAIRS and len(set(lx)) > 1 and len(set(ly)) > 1:
        r = stats.pearsonr(lx, ly)
        out["pearson_log_r"], out["pearson_log_p"] = _finite(r.statistic), _finite(r.pvalue)
    return out


def correlate(db: Database, x: str, y: str, log: bool = False, by: str | None = None) -> list[dict]:
    """One row for all models (group ``all``), then one per group with ``--by``."""
    if x not in X_CHOICES or y not in Y_CHOICES:
        raise QueryError(f"Use --x one of {', '.join(X_CHOICES)} and --y one of {', '.join(Y_CHOICES)}.")
    if by is not None and by not in BY_CHOICES:
        raise QueryError(f"Unknown grouping {by!r}: use one of {', '.join(BY_CHOICES)}.")
    frame = _frame(db, x, y)
    xs, ys = frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float)
    rows = [{"x": x, "y": y, **statistics(xs, ys, log)}]
    if by is None:
        return rows
    rows[0]["group"] = "all"
    groups = group_of(frame, by)
    for name in groups.value_counts().index:
        mask = (groups == name).to_numpy()
        rows.append({"x": x, "y": y, "group": name, **statistics(xs[mask], ys[mask], log)})
    return rows


def pairs(db: Database, x: str, y: str) -> pd.DataFrame:
    """The (x, y) pairs behind ``correlate`` (for the figure)."""
    frame = _frame(db, x, y)
    return frame.dropna(subset=["x", "y"])[["id", "x", "y"]]
