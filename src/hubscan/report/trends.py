"""Emissions reporting over time (Castaño et al., ESEM 2023): per creation period and group, how many models,
how many report training emissions, their share and the reported grams; and a trend test over the periods.

Creation dates: the Hub reports ``2022-03-02T23:29:0x`` for every model created before it recorded creation
dates. Such a date means "on or before 2022-03-02": those models form their own period
(``PLACEHOLDER_PERIOD``), never March 2022; models without a date are in period ``unknown``.

A model *reports* when its analysed card gives a figure (``reported_emissions.emissions_g``) or, when hubscan
has not analysed its card (a listing-only crawl), when it carries the Hub's ``co2_eq_emissions`` tag (the
Hub's mark that the card's metadata declares training emissions). The reported grams are over models with a
figure only.

The trend test (per group, over the dated periods that have models, in period order with gaps kept): an
ordinary least-squares line through the share (``scipy.stats.linregress``: slope per period and the p-value
of slope = 0), and the Mann-Kendall test (Kendall's tau of the share against time); the same for log10 of
the median reported grams where at least three periods have one.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from sqlite_utils import Database

from hubscan.derive.domains import domain_of, source_of, training_type_of
from hubscan.errors import QueryError

PERIODS = ("month", "quarter", "year")
BY_CHOICES = ("domain", "source", "training_type", "library", "pipeline_tag", "author")
PLACEHOLDER_PREFIX = "2022-03-02T23:29:0"
PLACEHOLDER_PERIOD = "<=2022-03-02"
PLACEHOLDER_DATE = "2022-03-02"
UNKNOWN = "unknown"
TREND_COLUMNS = ("period", "group", "models", "reporting", "share", "reported_g_median", "reported_g_mean",
                 "reported_g_total")  # fmt: skip
TEST_COLUMNS = ("group", "metric", "periods", "slope", "p_value", "kendall_tau", "kendall_p")
CO2_TAG = '%"co2_eq_emissions"%'

_SQL = f"""
SELECT m.created_at, m.pipeline_tag, m.library_name, m.id, m.tags,
       COALESCE(NULLIF(m.author, ''), CASE WHEN instr(m.id, '/') > 0
                THEN substr(m.id, 1, instr(m.id, '/') - 1) END) AS author,
       r.emissions_g AS g, r.source, r.training_type,
       CASE WHEN r.emissions_g IS NOT NULL THEN 1
            WHEN r.model_id IS NULL AND m.tags LIKE '{CO2_TAG}' THEN 1 ELSE 0 END AS reporting
FROM models m LEFT JOIN reported_emissions r ON r.model_id = m.id
"""


def load_models(db: Database) -> pd.DataFrame:
    """One row per model: creation date, grouping keys, whether it reports and its reported grams."""
    return pd.read_sql_query(_SQL, db.conn)


def period_of(created: pd.Series, period: str) -> pd.Series:
    """Period label of each creation date: ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``; the placeholder and missing
    dates get ``PLACEHOLDER_PERIOD`` and ``unknown``."""
    if period not in PERIODS:
        raise QueryError(f"Unknown period {period!r}: use one of {', '.join(PERIODS)}.")
    text = created.fillna("").astype(str)
    year, month = text.str[:4], text.str[5:7]
    if period == "year":
        label = year
    elif period == "month":
        label = year + "-" + month
    else:
        quarter = (pd.to_numeric(month, errors="coerce").fillna(1).astype(int) - 1) // 3 + 1
        label = year + "-Q" + quarter.astype(str)
    label = label.where(text.str.len() >= 7, UNKNOWN)
    return label.where(~text.str.startswith(PLACEHOLDER_PREFIX), PLACEHOLDER_PERIOD)


def group_of(frame: pd.DataFrame, by: str | None) -> pd.Series:
    if by is None:
        return pd.Series("all", index=frame.index)
    if by == "domain":
        return frame["pipeline_tag"].map(domain_of)
    if by == "source":
        return pd.Series(map(source_of, frame["source"], frame["tags"]), index=frame.index)
    if by == "training_type":
        return frame["training_type"].map(training_type_of)
    column = {"library": "library_name", "pipeline_tag": "pipeline_tag", "author": "author"}.get(by)
    if column is None:
        raise QueryError(f"Unknown grouping {by!r}: use one of {', '.join(BY_CHOICES)}.")
    return frame[column].replace("", None).fillna(UNKNOWN)


def _window(frame: pd.DataFrame, since: str | None, until: str | None) -> pd.DataFrame:
    """Keep models created in [since, until] (dates as YYYY-MM-DD prefixes). The placeholder period is kept
    when the window includes 2022-03-02 (it cannot be split); undated models only without a window."""
    if not since and not until:
        return frame
    text = frame["created_at"].fillna("").astype(str)
    placeholder = text.str.startswith(PLACEHOLDER_PREFIX)
    day = text.str[:10]
    keep = (day != "") & ~placeholder
    if since:
        keep &= day >= since[:10]
    if until:
        keep &= day <= until[:10]
    if (not since or since[:10] <= PLACEHOLDER_DATE) and (not until or until[:10] >= PLACEHOLDER_DATE):
        keep |= placeholder
    return frame[keep]


def _sort_key(period: str) -> tuple[int, str]:
    if period == PLACEHOLDER_PERIOD:
        return (0, period)
    if period == UNKNOWN:
        return (2, period)
    return (1, period)


def _clean(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def trend_rows(frame: pd.DataFrame, period: str, by: str | None) -> list[dict]:
    """Per (period, group): ``TREND_COLUMNS``."""
    work = pd.DataFrame(
        {"period": period_of(frame["created_at"], period), "group": group_of(frame, by),
         "reporting": frame["reporting"].astype(int), "g": frame["g"]}
    )  # fmt: skip
    if by in ("source", "training_type"):  # reporting models only: these keys exist for them alone
        work = work[work["reporting"] == 1]
    grouped = work.groupby(["period", "group"], sort=False)
    out = grouped.agg(models=("reporting", "size"), reporting=("reporting", "sum"),
                      reported_g_median=("g", "median"), reported_g_mean=("g", "mean"),
                      reported_g_total=("g", "sum"), with_g=("g", "count")).reset_index()  # fmt: skip
    rows = []
    for rec in out.to_dict("records"):
        with_g = int(rec.pop("with_g"))
        rows.append({
            "period": rec["period"], "group": rec["group"], "models": int(rec["models"]),
            "reporting": int(rec["reporting"]), "share": rec["reporting"] / rec["models"],
            "reported_g_median": _clean(rec["reported_g_median"]), "reported_g_mean": _clean(rec["reported_g_mean"]),
            "reported_g_total": float(rec["reported_g_total"]) if with_g else None,
        })  # fmt: skip
    rows.sort(key=lambda r: (_sort_key(r["period"]), -r["models"], str(r["group"])))
    return rows


def period_ordinal(label: str) -> float | None:
    """Months, quarters or years since year 0 (None for the placeholder and unknown periods)."""
    if label in (PLACEHOLDER_PERIOD, UNKNOWN) or not label[:4].isdigit():
        return None
    year = int(label[:4])
    if len(label) == 4:
        return float(year)
    if "-Q" in label:
        return year * 4 + int(label[-1]) - 1.0
    return year * 12 + int(label[5:7]) - 1.0


def _test(group: str, metric: str, x: list[float], y: list[float]) -> dict:
    row = {"group": group, "metric": metric, "periods": len(x), "slope": None, "p_value": None,
           "kendall_tau": None, "kendall_p": None}  # fmt: skip
    if len(x) >= 3 and len(set(y)) > 1:
        fit = stats.linregress(x, y)
        tau = stats.kendalltau(x, y)
        row.update(slope=float(fit.slope), p_value=float(fit.pvalue), kendall_tau=_clean(float(tau.statistic)),
                   kendall_p=_clean(float(tau.pvalue)))  # fmt: skip
    return row


def trend_tests(rows: list[dict]) -> list[dict]:
    """Per group: the trend of the share, and of log10 median reported grams, over the dated periods."""
    tests = []
    for group in dict.fromkeys(r["group"] for r in rows):
        dated = sorted(
            ((period_ordinal(r["period"]), r) for r in rows if r["group"] == group),
            key=lambda item: item[0] if item[0] is not None else -1,
        )
        dated = [(x, r) for x, r in dated if x is not None]
        tests.append(_test(group, "share", [x for x, _ in dated], [r["share"] for _, r in dated]))
        medians = [(x, r["reported_g_median"]) for x, r in dated if (r["reported_g_median"] or 0) > 0]
        tests.append(_test(group, "log10_reported_g_median", [x for x, _ in medians],
                           [float(np.log10(v)) for _, v in medians]))  # fmt: skip
    return tests


def trends(
    db: Database,
    period: str = "year",
    by: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, list[dict]]:
    """``{"periods": rows with TREND_COLUMNS, "trend": tests with TEST_COLUMNS}``."""
    if by is not None and by not in BY_CHOICES:
        raise QueryError(f"Unknown grouping {by!r}: use one of {', '.join(BY_CHOICES)}.")
    frame = _window(load_models(db), since, until)
    rows = trend_rows(frame, period, by)
    return {"periods": rows, "trend": trend_tests(rows)}


def group_summary(db: Database, by: str) -> list[dict]:
    """Per group over all periods: models, reporting, share and reported grams (``TREND_COLUMNS`` less
    ``period``), largest group first."""
    frame = load_models(db)
    frame = frame.assign(created_at="all")
    rows = trend_rows(frame, "year", by)
    for row in rows:
        row.pop("period")
    return sorted(rows, key=lambda r: (-r["models"], str(r["group"])))
