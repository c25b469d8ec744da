"""Figures (matplotlib, Agg backend; PNG, SVG or PDF by the file extension): parameters per family, reported vs estimated emissions."""

from __future__ import annotations

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
from hubscan.report import query  # noqa: E402
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


class PlotError(HubscanError):
    """Nothing to plot (empty catalog, no emissions to compare), or an output path that cannot be written."""


FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def output_format(out: str | Path) -> str:
    """The figure format named by ``out``'s extension; a clear error for another one or a missing folder."""
    out = Path(out)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise PlotError(f"Cannot tell the format of {out}: end the file name with .png, .svg or .pdf.")
    if not out.parent.is_dir():
        raise PlotError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    return fmt


def plot_footprint(db: Database, out: str | Path, by: str = "model_type", top: int = 20) -> str:
    """Box plot of total parameters per family (largest ``top`` families by model count), every model as a
    dot, log scale. Returns a one-line description."""
    fmt = output_format(out)
    by = query.normalise_by(by)
    sql, params = members_sql(by)
    frame = pd.read_sql_query(f"SELECT family, params FROM ({sql}) WHERE params > 0", db.conn, params=params)
    if frame.empty:
        raise PlotError("No model in the catalog has a known parameter count: nothing to plot.")
    counts = frame["family"].value_counts()
    families = list(counts.index[:top])
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
    ax.set_title(
        f"Parameters per family — {len(frame):,} models with a known count, top {len(families)} families"
    )
    ax.grid(True, axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, format=fmt)
    plt.close(fig)
    return f"{len(families)} families, {len(frame):,} models"


def plot_emissions(db: Database, out: str | Path) -> str:
    """Log-log scatter of reported vs estimated (central, with low-high range) training emissions, with the
    consistency band and the x1000 / /1000 unit-error diagonals. Returns a one-line description."""
    fmt = output_format(out)
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
    fig.savefig(out, format=fmt)
    plt.close(fig)
    return f"{len(frame):,} models compared"
