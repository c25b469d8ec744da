"""Every figure renders (PNG at 100 or 300 dpi, SVG, PDF): size, not blank, axes labelled with units; many
families are drawn as the top N plus "other"."""

from __future__ import annotations

import json

import matplotlib.image as mpimg
import numpy as np
import pytest
from click.testing import CliRunner

from catalog_fixtures import build_catalog
from hubscan.cli import cli
from hubscan.derive import resolve_families
from hubscan.report import plots, query
from hubscan.store import open_db
from research_fixtures import build_research_catalog


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


# --- formats, top-N + other, the research figures ----------------------------------------------------------


def test_png_at_300_dpi_svg_and_pdf(catalog, tmp_path):
    low, high = tmp_path / "f100.png", tmp_path / "f300.png"
    for out, dpi in ((low, None), (high, "300")):
        args = ["plot", "footprint", "--out", str(out), "--db", str(catalog)] + (
            ["--dpi", dpi] if dpi else []
        )
        assert CliRunner().invoke(cli, args).exit_code == 0
    assert mpimg.imread(high).shape[1] == pytest.approx(3 * mpimg.imread(low).shape[1], rel=0.02)
    svg, pdf = tmp_path / "f.svg", tmp_path / "f.pdf"
    for out in (svg, pdf):
        assert (
            CliRunner().invoke(cli, ["plot", "emissions", "--out", str(out), "--db", str(catalog)]).exit_code
            == 0
        )
    text = svg.read_text("utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "Reported training emissions" in text
    assert pdf.read_bytes()[:5] == b"%PDF-"
    bad = CliRunner().invoke(
        cli, ["plot", "footprint", "--out", str(tmp_path / "f.jpg"), "--db", str(catalog)]
    )
    assert bad.exit_code == 1 and ".png, .svg or .pdf" in bad.output and not (tmp_path / "f.jpg").exists()


def test_many_families_become_top_n_plus_other(catalog, monkeypatch):
    saved = {}
    monkeypatch.setattr(plots.plt, "close", lambda fig: saved.setdefault("fig", fig))
    db = query.open_catalog(catalog)
    fig, info = plots.footprint_figure(db, "author", top=2)
    db.close()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 3 and labels[-1].startswith("other (")
    # 10 models with parameters: the two largest authors shown, the rest counted under "other".
    counts = [int(label.rsplit("n=", 1)[1].rstrip(")").replace(",", "")) for label in labels]
    assert sum(counts) == 10 and "top 2 of" in fig.axes[0].get_title()
    plots.plt.close(fig)


@pytest.mark.parametrize(("what", "extra", "xlabel"), [
    ("trend", ["--period", "quarter", "--by", "domain"], "Creation quarter"),
    ("correlate", ["--x", "params"], "Total parameters"),
    ("adoption", ["--top", "2"], "Months since the base model was created"),
])  # fmt: skip
def test_research_figures(research_catalog, tmp_path, monkeypatch, what, extra, xlabel):
    saved = {}
    original = plots.plt.close
    monkeypatch.setattr(plots.plt, "close", lambda fig: (saved.setdefault("fig", fig), original(fig)))
    out = tmp_path / f"{what}.png"
    result = CliRunner().invoke(cli, ["plot", what, "--out", str(out), "--db", str(research_catalog), *extra])
    assert result.exit_code == 0, result.output
    _check_png(out)
    labels = " ".join(ax.get_xlabel() + " " + ax.get_ylabel() for ax in saved["fig"].axes)
    assert xlabel in labels
    assert "(" in labels  # units or scale named on the axes


@pytest.fixture(scope="module")
def research_catalog(tmp_path_factory):
    path = build_research_catalog(tmp_path_factory.mktemp("research-plots") / "cat.db")
    db = open_db(path)
    db["models"].insert({"id": "z/base", "created_at": "2023-01-01T00:00:00Z"})
    for i in range(6):
        db["models"].insert({"id": f"z/ft{i}", "created_at": f"2023-0{i + 2}-05T00:00:00Z",
                             "base_models": json.dumps({"relation": "finetune", "models": ["z/base"]})})  # fmt: skip
    resolve_families(db)
    db.close()
    return path


def test_trend_by_a_footprint_grouping_is_refused(research_catalog, tmp_path):
    result = CliRunner().invoke(cli, ["plot", "trend", "--by", "lineage", "--out", str(tmp_path / "t.png"),
                                      "--db", str(research_catalog)])  # fmt: skip
    assert result.exit_code == 1 and "plot trend --by" in result.output
