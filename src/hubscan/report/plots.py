"""Figures (matplotlib, Agg backend): parameters per family, reported vs estimated emissions, reporting over
time, correlations and adoption curves.

The format follows the output file's extension: ``.png`` (at ``dpi``, 100 by default, 300 for print),
``.svg`` or ``.pdf`` (vector). Families beyond the largest ``top`` are drawn together as "other".
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
from sqlite_utils import Database  # noqa: E402

from hubscan.derive.families import members_sql  # noqa: E402
from hubscan.errors import HubscanError  # noqa: E402
from hubscan.report import adoption as adoption_mod  # noqa: E402
from hubscan.report import correlate as correlate_mod  # noqa: E402
from hubscan.report import query  # noqa: E402
from hubscan.report import trends as trends_mod  # noqa: E402
from hubscan.units import human_params  # noqa: E402

# The estimator (hubscan.estimate.emissions.compare) calls a report consistent when it falls inside the
# estimate's low-high range, and a likely unit error when the ratio is within 10^+-0.75 of 10^+-3.
UNIT_ERROR_FACTOR = 1000.0
UNIT_ERROR_TOLERANCE_DEX = 0.75
MAX_POINTS = 20_000  # dots per family drawn in the strip plot (boxes use every model)


# Matplotlib 3.10 replaced boxplot(vert=False) with orientation="horizontal".
_HORIZONTAL = (
    {"orientation": "horizontal"}
    if tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) >= (3, 10)
    else {"vert": False}
)


FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
OTHER_COLOUR = "#7f7f7f"


class PlotError(HubscanError):
    """Nothing to plot (empty catalog, no emissions to compare), or an output format we cannot write."""


def figure_format(out: str | Path) -> str:
    """png, svg or pdf from the file's extension (a clear error otherwise)."""
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise PlotError(f"Cannot write {out}: use a .png, .svg or .pdf file name.")
    if not Path(out).parent.is_dir():
        raise PlotError(f"Cannot write {out}: the folder {Path(out).parent} does not exist.")
    return FORMATS[suffix]


def save_figure(fig, out, dpi: int | None = None) -> None:
    """Write ``fig`` to ``out`` (a path, format from its extension) and close it."""
    try:
        fmt = figure_format(out)
        metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
        fig.savefig(out, format=fmt, dpi=dpi or 100, metadata=metadata)
    finally:
        plt.close(fig)


def top_with_other(counts: pd.Series, top: int) -> tuple[list[str], dict[str, str]]:
    """The ``top`` largest keys, and a map key -> shown label where the rest become "other (k groups)"."""
    keep = list(counts.index[:top])
    rest = list(counts.index[top:])
    mapping = {key: key for key in keep}
    if rest:
        label = f"other ({len(rest)} groups)"
        mapping.update({key: label for key in rest})
        keep.append(label)
    return keep, mapping


def plot_footprint(
    db: Database, out: str | Path, by: str = "model_type", top: int = 20, dpi: int | None = None
) -> str:
    """Box plot of total parameters per family (largest ``top`` families by model count, the rest as
    "other"), every model as a dot, log scale. Returns a one-line description."""
    figure_format(out)
    fig, info = footprint_figure(db, by, top)
    save_figure(fig, out, dpi)
    return info


def footprint_figure(db: Database, by: str = "model_type", top: int = 20):
    """The footprint figure and its description."""
    by = query.normalise_by(by)
    sql, params = members_sql(by)
    frame = pd.read_sql_query(f"SELECT family, params FROM ({sql}) WHERE params > 0", db.conn, params=params)
    if frame.empty:
        raise PlotError("No model in the catalog has a known parameter count: nothing to plot.")
    families, mapping = top_with_other(frame["family"].value_counts(), top)
    frame["family"] = frame["family"].map(mapping)
    counts = frame["family"].value_counts()
    data = [frame.loc[frame["family"] == f, "params"].to_numpy(dtype=float) for f in families]
    fig, ax = plt.subplots(figsize=(11, max(4.0, 0.42 * len(families) + 1.8)), dpi=100)
    ax.boxplot(
        data, **_HORIZONTAL, widths=0.6, showfliers=False, medianprops={"color": "#d62728", "linewidth": 2}
    )
    rng = np.random.default_rng(0)
    for i, values in enumerate(data, start=1):
        if len(values) > MAX_POINTS:
            values = rng.choice(values, MAX_POINTS, replace=False)
        jitter = rng.uniform(-0.18, 0.18, len(values))
        ax.scatter(values, i + jitter, s=9, alpha=0.45, color="#1f77b4", linewidths=0)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: human_params(x)))
    ax.set_yticks(range(1, len(families) + 1))
    ax.set_yticklabels([f"{f} (n={counts[f]:,})" for f in families])
    ax.invert_yaxis()
    ax.set_xlabel("Total parameters (log scale; K/M/B = 10^3/10^6/10^9)")
    ax.set_ylabel(f"Family ({by})")
    shown = len(mapping) if len(mapping) <= top else top
    ax.set_title(
        f"Parameters per family ({by}) — {len(frame):,} models with a known count, "
        + (
            f"all {shown} families"
            if len(mapping) <= top
            else f"top {top} of {len(mapping)} families + other"
        )
    )
    ax.grid(True, axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    return fig, f"{len(mapping)} families, {len(frame):,} models"


def plot_emissions(db: Database, out: str | Path, dpi: int | None = None) -> str:
    """Log-log scatter of reported vs estimated (central, with low-high range) training emissions, with the
    consistency band and the x1000 / /1000 unit-error diagonals. Returns a one-line description."""
    figure_format(out)
    fig, info = emissions_figure(db)
    save_figure(fig, out, dpi)
    return info


def emissions_figure(db: Database):
    """The reported-vs-estimated figure and its description."""
    frame = pd.read_sql_query(
        """SELECT e.model_id, e.reported_g, e.emissions_g_low AS low, e.emissions_g_central AS central,
                  e.emissions_g_high AS high, e.verdict
           FROM estimated_emissions e
           WHERE e.reported_g > 0 AND e.emissions_g_central > 0""",
        db.conn,
    )
    fig, ax = plt.subplots(figsize=(8.5, 7.5), dpi=100)
    if frame.empty:
        lo, hi = 1.0, 1e6
        ax.text(0.5, 0.5, "No model has both a reported and an estimated figure", ha="center",
                transform=ax.transAxes)  # fmt: skip
    else:
        values = np.concatenate(
            [frame["reported_g"], frame["central"], frame["low"].dropna(), frame["high"].dropna()]
        )
        values = values[values > 0]
        lo, hi = values.min() / 10, values.max() * 10
    line = np.array([lo, hi])
    # Consistency band: the estimate's typical relative range (median high/central and low/central).
    up, down = 3.0, 1 / 3.0
    if not frame.empty and frame["high"].notna().any() and frame["low"].notna().any():
        up = float(np.nanmedian(frame["high"] / frame["central"]))
        down = float(np.nanmedian(frame["low"] / frame["central"]))
    ax.fill_between(line, line * down, line * up, color="#2ca02c", alpha=0.18,
                    label=f"consistent: typical estimate range (x{down:.2g}-x{up:.2g})")  # fmt: skip
    ax.plot(line, line, color="#2ca02c", linewidth=1, label="reported = estimated")
    tol = 10**UNIT_ERROR_TOLERANCE_DEX
    for factor, color, label in (
        (UNIT_ERROR_FACTOR, "#d62728", "unit error: reported x1000 (g written as kg)"),
        (1 / UNIT_ERROR_FACTOR, "#9467bd", "unit error: reported /1000 (kg written as g)"),
    ):
        ax.plot(line, line * factor, color=color, linestyle="--", linewidth=1, label=label)
        ax.fill_between(line, line * factor / tol, line * factor * tol, color=color, alpha=0.06)
    colors = {"consistent": "#2ca02c", "below": "#1f77b4", "above": "#ff7f0e", "likely unit error": "#d62728"}
    for verdict, group in frame.groupby(frame["verdict"].fillna("not comparable")):
        xerr = None
        if group["low"].notna().all() and group["high"].notna().all():
            xerr = np.vstack([group["central"] - group["low"], group["high"] - group["central"]]).clip(min=0)
        ax.errorbar(group["central"], group["reported_g"], xerr=xerr, fmt="o", markersize=5, alpha=0.75,
                    elinewidth=0.8, color=colors.get(verdict, "#7f7f7f"), label=f"{verdict} (n={len(group)})")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("Estimated training emissions (g CO2eq; central, bar = low-high range)")
    ax.set_ylabel("Reported training emissions (g CO2eq)")
    ax.set_title(f"Reported vs estimated training emissions — {len(frame):,} models")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig, f"{len(frame):,} models compared"


def trend_figure(db: Database, period: str = "year", by: str | None = None, top: int = 8):
    """Share of models reporting training emissions per creation period (top ``top`` groups + other), with the
    number of models per period as bars; the placeholder period is drawn apart, first."""
    sections = trends_mod.trends(db, period, None)
    overall = [r for r in sections["periods"] if r["period"] != trends_mod.UNKNOWN]
    if not overall:
        raise PlotError("No model in the catalog has a creation date: no trend to plot.")
    labels = [r["period"] for r in overall]
    x = np.arange(len(labels))
    fig, (ax_share, ax_models) = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True, height_ratios=[2, 1])
    ax_share.plot(x, [100 * r["share"] for r in overall], marker="o", color="black", label="all models")
    if by is not None:
        rows = trends_mod.trends(db, period, by)["periods"]
        totals = pd.Series(
            {g: sum(r["models"] for r in rows if r["group"] == g) for g in {r["group"] for r in rows}}
        )
        groups, mapping = top_with_other(totals.sort_values(ascending=False), top)
        for group in groups:
            series = {}
            for r in rows:
                if mapping.get(r["group"]) == group and r["period"] in labels:
                    models, reporting = series.get(r["period"], (0, 0))
                    series[r["period"]] = (models + r["models"], reporting + r["reporting"])
            xs = [labels.index(p) for p in labels if p in series]
            ys = [100 * series[p][1] / series[p][0] for p in labels if p in series]
            ax_share.plot(xs, ys, marker=".", alpha=0.8, label=group,
                          color=OTHER_COLOUR if group.startswith("other (") else None)  # fmt: skip
    ax_share.set_ylabel("Models reporting training emissions (% of models created)")
    ax_share.legend(fontsize=8, ncol=2)
    ax_share.grid(True, alpha=0.3)
    ax_models.bar(x, [r["models"] for r in overall], color="#1f77b4")
    ax_models.set_yscale("log")
    ax_models.set_ylim(bottom=0.8)
    ax_models.set_ylabel("Models created (count, log)")
    ax_models.set_xticks(x)
    ax_models.set_xticklabels(labels, rotation=60 if len(labels) > 12 else 0, fontsize=8)
    ax_models.set_xlabel(
        f"Creation {period} (<=2022-03-02: the Hub's placeholder date, created on or before)"
    )
    total = sum(r["models"] for r in overall)
    ax_share.set_title(
        f"Emissions reporting over time — {total:,} dated models" + (f", by {by}" if by else "")
    )
    fig.tight_layout()
    return fig, f"{len(labels)} periods, {total:,} models"


def correlate_figure(db: Database, x: str = "params", y: str = "reported_g"):
    """Log-log scatter of emissions against ``x``, with Spearman's rho and the log-log Pearson r."""
    frame = correlate_mod.pairs(db, x, y)
    frame = frame[(frame["x"] > 0) & (frame["y"] > 0)]
    if frame.empty:
        raise PlotError(f"No model has both {x} and {y} above zero: nothing to plot.")
    result = correlate_mod.statistics(frame["x"].to_numpy(float), frame["y"].to_numpy(float), log=True)
    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    ax.scatter(frame["x"], frame["y"], s=18, alpha=0.6, color="#1f77b4", linewidths=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{X_LABELS.get(x, x)} (log scale)")
    ax.set_ylabel(
        f"{'Reported' if y == 'reported_g' else 'Estimated (central)'} training emissions (g CO2eq, log)"
    )
    rho = result["spearman_rho"]
    r = result["pearson_log_r"]
    ax.set_title(f"{y} vs {x}: n={result['n']:,}, Spearman rho=" + (f"{rho:.2f}" if rho is not None else "-")
                 + ", Pearson r(log)=" + (f"{r:.2f}" if r is not None else "-"))  # fmt: skip
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig, f"{result['n']:,} models"


X_LABELS = {
    "params": "Total parameters (count)",
    "active_params": "Active parameters per token (count)",
    "dataset_size": "Training data named in the card (rows)",
    "downloads": "Downloads, last 30 days (count)",
    "likes": "Likes (count)",
    "performance": "Performance: first accuracy/F1/ROUGE-like metric (fraction 0-1)",
    "grid_intensity": "Grid carbon intensity (g CO2eq/kWh)",
}


def adoption_figure(db: Database, bases: list[str] | None = None, top: int = 5, relation: str = "any"):
    """Cumulative derivatives per month since each base's creation, with the fitted WSB curve."""
    rows = adoption_mod.adoption(db, bases, top=top, relation=relation)
    fig, ax = plt.subplots(figsize=(9.5, 6.5))
    for row in rows:
        line = ax.plot(row["months"], row["cumulative"], marker="o", markersize=3, label=row["base_model"])[0]
        fit = row["fit"]
        if fit["lambda"] is not None:
            t = np.linspace(0, max(row["months"]), 200)
            ax.plot(t, adoption_mod.wsb(t / 12.0, fit["lambda"], fit["mu"], fit["sigma"]), linestyle="--",
                    color=line.get_color(), alpha=0.8)  # fmt: skip
    ax.set_xlabel("Months since the base model was created")
    ax.set_ylabel(f"Cumulative derivatives ({relation}, count)")
    ax.set_title(f"Adoption of {len(rows)} base models (dashed: Wang-Song-Barabasi fit)")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig, f"{len(rows)} base models"


def plot_trend(db: Database, out, period: str = "year", by: str | None = None, top: int = 8, dpi=None) -> str:
    figure_format(out)
    fig, info = trend_figure(db, period, by, top)
    save_figure(fig, out, dpi)
    return info


def plot_correlate(db: Database, out, x: str = "params", y: str = "reported_g", dpi=None) -> str:
    figure_format(out)
    fig, info = correlate_figure(db, x, y)
    save_figure(fig, out, dpi)
    return info


def plot_adoption(db: Database, out, bases=None, top: int = 5, relation: str = "any", dpi=None) -> str:
    figure_format(out)
    fig, info = adoption_figure(db, bases, top, relation)
    save_figure(fig, out, dpi)
    return info


def svg_text(fig) -> str:
    """The figure as inline SVG markup (for the HTML report), closing it."""
    buffer = io.StringIO()
    try:
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def plot_kind(db: Database, what: str, out, *, dpi=None, by=None, top=None, period="year", x="params",
              y="reported_g", bases=None, relation="any") -> str:  # fmt: skip
    """``hubscan plot WHAT``: draw one kind of figure to ``out``; returns a one-line description."""
    figure_format(out)
    if what == "footprint":
        fig, info = footprint_figure(db, by or "model_type", top or 20)
    elif what == "emissions":
        fig, info = emissions_figure(db)
    elif what == "trend":
        if by is not None and by not in trends_mod.BY_CHOICES:
            raise PlotError(f"plot trend --by takes one of {', '.join(trends_mod.BY_CHOICES)}, not {by!r}.")
        fig, info = trend_figure(db, period, by, top or 8)
    elif what == "correlate":
        fig, info = correlate_figure(db, x, y)
    elif what == "adoption":
        fig, info = adoption_figure(db, bases or None, top or 5, relation)
    else:
        raise PlotError(f"Unknown figure {what!r}.")
    save_figure(fig, out, dpi)
    return info
