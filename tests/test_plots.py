"""Both figures render to PNG: size, not blank, axes labelled with units."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pytest
from click.testing import CliRunner

from catalog_fixtures import build_catalog
from hubscan.cli import cli
from hubscan.report import plots, query


def _check_png(path, min_width=600, min_height=400):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert width >= min_width and height >= min_height
    gray = image[..., :3].mean(axis=2)
    assert gray.std() > 0.05  # not a blank canvas
    assert (gray < 0.5).mean() > 0.005  # some dark ink: text, lines, markers
    colours = np.unique((image[..., :3] * 255).astype(int).reshape(-1, 3), axis=0)
    assert len(colours) > 20


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return build_catalog(tmp_path_factory.mktemp("plots") / "cat.db")


def test_footprint_plot(catalog, tmp_path, monkeypatch):
    saved = {}
    original = plots.plt.close

    def keep(fig):
        saved["fig"] = fig
        original(fig)

    monkeypatch.setattr(plots.plt, "close", keep)
    db = query.open_catalog(catalog)
    out = tmp_path / "footprint.png"
    info = plots.plot_footprint(db, out, by="model_type")
    db.close()
    _check_png(out)
    ax = saved["fig"].axes[0]
    assert "parameters" in ax.get_xlabel().lower() and "log" in ax.get_xlabel().lower()
    assert ax.get_ylabel() == "Family (model_type)"
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.startswith("llama (n=5)") for label in labels)
    assert "families" in info


def test_emissions_plot(catalog, tmp_path, monkeypatch):
    saved = {}
    original = plots.plt.close
    monkeypatch.setattr(plots.plt, "close", lambda fig: (saved.setdefault("fig", fig), original(fig)))
    db = query.open_catalog(catalog)
    out = tmp_path / "emissions.png"
    plots.plot_emissions(db, out)
    db.close()
    _check_png(out)
    ax = saved["fig"].axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "g CO2eq" in ax.get_xlabel() and "g CO2eq" in ax.get_ylabel()
    assert "Estimated" in ax.get_xlabel() and "Reported" in ax.get_ylabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("consistent" in t for t in legend)
    assert any("x1000" in t for t in legend) and any("/1000" in t for t in legend)


@pytest.mark.parametrize("what", ["footprint", "emissions"])
def test_plot_command_on_sample_catalog(sample_catalog, tmp_path, what):
    out = tmp_path / f"{what}.png"
    result = CliRunner().invoke(cli, ["plot", what, "--out", str(out), "--db", str(sample_catalog)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    _check_png(out)


def test_plot_lineage_families(sample_catalog, tmp_path):
    out = tmp_path / "lineage.png"
    result = CliRunner().invoke(
        cli,
        [
            "plot",
            "footprint",
            "--by",
            "lineage",
            "--top",
            "5",
            "--out",
            str(out),
            "--db",
            str(sample_catalog),
        ],
    )
    assert result.exit_code == 0, result.output
    _check_png(out)
