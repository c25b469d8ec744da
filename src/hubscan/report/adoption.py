"""How a base model's derivatives accumulate: cumulative count per month since the base's creation, fitted
with the Wang–Song–Barabási citation model as Bhandari, Chen and Gao ("Forecasting Open-Weight AI Model Growth
on Hugging Face", arXiv 2502.15987) used it.

Model (our reading, checked on their published curves and parameters, see docs/RESEARCH.md):

    c(t) = m · (exp(λ · Φ((ln t − μ) / σ)) − 1),   m = 1,   t = months since creation / 12 (years)

with Φ the standard normal CDF, λ the relative fitness, μ the immediacy and σ the longevity. The fit is
least squares (``scipy.optimize.curve_fit``, trust-region reflective) from their starting point
λ = 0.5, μ = 2, σ = 0.5 with every parameter bounded below by 0; on their 3,903 curves this reproduces
their parameters. ``fits`` follows their label "Fit the model" versus "Does not fit": the fit converged and
its parameters are not in the runaway region where the curve is still exponential over the whole window
and λ and μ are not identified (λ > 1,000 or μ > 10; on their curves this rule gives their label on
3,896 of the 3,898 fitted curves).
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.special import ndtr
from sqlite_utils import Database

from hubscan.errors import HubscanError

M = 1.0
START = (0.5, 2.0, 0.5)
RESTARTS = ((1.0, 0.0, 1.0), (3.0, 0.0, 2.0), (1.0, 1.0, 1.0))
MAX_EVALUATIONS = 2_000
RUNAWAY_LAMBDA = 1_000.0
RUNAWAY_MU = 10.0
RELATIONS = ("finetune", "adapter", "quantized", "merge", "any")
MAX_MONTHS = 120


class AdoptionError(HubscanError):
    """No base model to follow, or an adoption CSV that is not in the Bhandari et al. layout."""


def wsb(t: np.ndarray, lam: float, mu: float, sigma: float) -> np.ndarray:
    """The cumulative count c(t) at times ``t`` in years (c(0) = 0)."""
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        z = (np.log(t) - mu) / sigma
    return M * (np.exp(lam * ndtr(z)) - 1.0)


def r_squared(y: np.ndarray, predicted: np.ndarray) -> float | None:
    """1 − SSE/SST; None for a constant curve (SST = 0)."""
    y = np.asarray(y, dtype=float)
    sst = float(((y - y.mean()) ** 2).sum())
    if sst == 0 or not np.all(np.isfinite(predicted)):
        return None
    return 1.0 - float(((y - predicted) ** 2).sum()) / sst


def _least_squares(
    t: np.ndarray, y: np.ndarray, start: tuple[float, float, float]
) -> tuple[float, ...] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            params, _ = curve_fit(wsb, t, y, p0=start, bounds=(0, np.inf), maxfev=MAX_EVALUATIONS)
    except (RuntimeError, ValueError):
        return None
    return tuple(float(p) for p in params)


def _sse(t: np.ndarray, y: np.ndarray, params: tuple[float, ...]) -> float:
    residual = y - wsb(t, *params)
    return float((residual**2).sum()) if np.all(np.isfinite(residual)) else math.inf


def fit_curve(cumulative: list[float]) -> dict:
    """Fit one curve (month 0, 1, 2, … cumulative counts). Keys: ``lambda``, ``mu``, ``sigma``, ``r2``,
    ``fits``, ``sse``.

    The fit starts where Bhandari et al. start (``START``); when the optimiser fails or does not move from
    there (it can stop at the start on short curves), it is restarted from ``RESTARTS`` and the lowest
    squared error is kept. A constant curve (no derivative yet) has nothing to restart for."""
    y = np.asarray(cumulative, dtype=float)
    t = np.arange(len(y)) / 12.0
    result = {"lambda": None, "mu": None, "sigma": None, "r2": None, "fits": False, "sse": None}
    if len(y) < 2:
        return result
    params = _least_squares(t, y, START)
    if (params is None or params == START) and len(set(y.tolist())) > 1:
        tried = [p for p in (params, *(_least_squares(t, y, s) for s in RESTARTS)) if p is not None]
        params = min(tried, key=lambda p: _sse(t, y, p)) if tried else None
    if params is None:
        return result
    lam, mu, sigma = params
    result.update(lam_mu_sigma(lam, mu, sigma))
    result["r2"] = r_squared(y, wsb(t, lam, mu, sigma))
    result["sse"] = _sse(t, y, params)
    result["fits"] = fits(lam, mu)
    return result


def lam_mu_sigma(lam: float, mu: float, sigma: float) -> dict:
    return {"lambda": lam, "mu": mu, "sigma": sigma}


def fits(lam: float | None, mu: float | None) -> bool:
    """Their "Fit the model": a fitted curve outside the runaway region (see module docstring)."""
    if lam is None or mu is None or math.isnan(lam) or math.isnan(mu):
        return False
    return lam <= RUNAWAY_LAMBDA and mu <= RUNAWAY_MU


# --- curves in the Bhandari et al. CSV layout ------------------------------------------------------------


def read_curves(path: str | Path) -> list[dict]:
    """Rows of a ``finetune/<Company>.csv``: ``model``, ``cumulative`` (months 0…), their ``lambda_i``,
    ``mu_i``, ``sigma_i`` (None when empty), ``approx_cond_label``, ``created_at``."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            months = [c for c in reader.fieldnames or [] if c.endswith("-month")]
            if "model" not in (reader.fieldnames or []) or not months:
                raise AdoptionError(
                    f"{path}: not an adoption CSV (needs `model` and `0-month`, `1-month`, … columns)."
                )
            months.sort(key=lambda c: int(c.split("-")[0]))
            return [_curve_row(row, months) for row in reader]
    except OSError as exc:
        raise AdoptionError(f"Cannot read {path}: {exc}.") from exc


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _curve_row(row: dict, months: list[str]) -> dict:
    values = [_float(row.get(c)) for c in months]
    while values and values[-1] is None:
        values.pop()
    return {
        "model": row["model"],
        "created_at": row.get("created_at") or None,
        "cumulative": [v or 0.0 for v in values],
        "theirs": {k: _float(row.get(f"{k}_i")) for k in ("lambda", "mu", "sigma")},
        "their_label": row.get("approx_cond_label") or None,
    }


def their_r2(curve: dict) -> float | None:
    """R² of their own parameters on the same curve (recomputed with the same model)."""
    p = curve["theirs"]
    if None in p.values():
        return None
    y = np.asarray(curve["cumulative"], dtype=float)
    return r_squared(y, wsb(np.arange(len(y)) / 12.0, p["lambda"], p["mu"], p["sigma"]))


def fit_curves(path: str | Path) -> list[dict]:
    """Fit every curve of an adoption CSV: rows with the ``adoption`` keys plus their parameters and R²."""
    rows = []
    for curve in read_curves(path):
        fit = fit_curve(curve["cumulative"])
        rows.append({
            "base_model": curve["model"], "created_at": curve["created_at"],
            "months": list(range(len(curve["cumulative"]))), "cumulative": curve["cumulative"],
            "fit": {k: fit[k] for k in ("lambda", "mu", "sigma", "r2", "fits")},
            "theirs": {**curve["theirs"], "r2": their_r2(curve), "label": curve["their_label"]},
        })  # fmt: skip
    return rows


# --- curves from the catalog -------------------------------------------------------------------------------


def _months_between(start: str, end: str) -> int:
    y0, m0, d0 = int(start[:4]), int(start[5:7]), int(start[8:10])
    y1, m1, d1 = int(end[:4]), int(end[5:7]), int(end[8:10])
    months = (y1 - y0) * 12 + (m1 - m0)
    return months - 1 if d1 < d0 else months


def derivative_dates(db: Database, base: str, relation: str) -> list[str]:
    """Creation dates of every model whose chain passes through ``base`` (direct and deeper derivatives), of
    the given relation at the first hop below ``base`` (``any``: all)."""
    rows = db.execute(
        """WITH RECURSIVE below(id, rel) AS (
               SELECT model_id, relation FROM lineage WHERE parent_id = :base AND model_id != :base
               UNION SELECT l.model_id, b.rel FROM lineage l JOIN below b ON l.parent_id = b.id
           )
           SELECT m.created_at FROM below b JOIN models m ON m.id = b.id
           WHERE (:relation = 'any' OR b.rel = :relation) AND m.created_at IS NOT NULL""",
        {"base": base, "relation": relation},
    ).fetchall()
    return [r[0] for r in rows]


def catalog_curve(db: Database, base: str, relation: str = "any", now: str | None = None) -> dict:
    """The cumulative derivatives of ``base`` per month since its creation, and the fit."""
    found = db.execute("SELECT created_at FROM models WHERE id = ?", [base]).fetchone()
    if found is None:
        raise AdoptionError(f"{base} is not in the catalog.")
    created = found[0]
    if not created:
        raise AdoptionError(f"{base} has no creation date in the catalog: its adoption curve has no origin.")
    dates = derivative_dates(db, base, relation)
    # The curve runs to the catalog's newest creation date (its snapshot), not to the last derivative.
    end = now or max(
        [created, *dates, db.execute("SELECT MAX(created_at) FROM models").fetchone()[0] or created]
    )
    span = min(max(_months_between(created, end), 0) + 1, MAX_MONTHS)
    counts = [0] * (span + 1)
    for date in dates:  # month k counts the derivatives created in the k months after the base (c(0) = 0)
        for k in range(max(_months_between(created, date), 0) + 1, span + 1):
            counts[k] += 1
    fit = fit_curve(counts)
    return {"base_model": base, "created_at": created, "months": list(range(span + 1)),
            "cumulative": counts, "fit": {k: fit[k] for k in ("lambda", "mu", "sigma", "r2", "fits")}}  # fmt: skip


def top_bases(db: Database, top: int, relation: str = "any") -> list[str]:
    """The ``top`` models (in the catalog, with a creation date) with the most direct derivatives."""
    rows = db.execute(
        """SELECT l.parent_id, COUNT(*) AS n FROM lineage l JOIN models b ON b.id = l.parent_id
           WHERE l.parent_id IS NOT NULL AND l.parent_id != l.model_id AND b.created_at IS NOT NULL
             AND (:relation = 'any' OR l.relation = :relation)
           GROUP BY 1 ORDER BY n DESC, 1 LIMIT :top""",
        {"relation": relation, "top": top},
    ).fetchall()
    return [r[0] for r in rows]


def adoption(db: Database, bases: list[str] | None = None, top: int = 5, relation: str = "any") -> list[dict]:
    """Adoption rows for ``bases`` (default: the ``top`` bases by direct derivatives)."""
    if relation not in RELATIONS:
        raise AdoptionError(f"Unknown relation {relation!r}: use one of {', '.join(RELATIONS)}.")
    bases = list(bases or top_bases(db, top, relation))
    if not bases:
        raise AdoptionError(
            "No model in the catalog has a dated base model with derivatives: no adoption curve."
        )
    return [catalog_curve(db, base, relation) for base in bases]


def view(rows: list[dict], fmt: str) -> list[dict]:
    """Rows to render: as they are for JSON (nested ``fit``), flattened for a table or CSV (curve as text)."""
    if fmt in ("json", "nl"):
        return rows
    flat = []
    for row in rows:
        item = {"base_model": row["base_model"], "created_at": row["created_at"], "months": len(row["months"]),
                "final_count": row["cumulative"][-1] if row["cumulative"] else None,
                **{k: row["fit"][k] for k in ("lambda", "mu", "sigma", "r2", "fits")}}  # fmt: skip
        if "theirs" in row:
            item.update({f"their_{k}": row["theirs"][k] for k in ("lambda", "mu", "sigma", "r2", "label")})
        if fmt == "csv":
            item["cumulative"] = " ".join(f"{v:g}" for v in row["cumulative"])
        flat.append(item)
    return flat
