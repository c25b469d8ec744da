"""`hubscan report`: one self-contained HTML file (SVG figures inline, nothing fetched) that headless Chromium
renders without console messages, and the same sections as Markdown, each with its n (checked against SQL);
`hubscan demo` prints the reporting-over-time table."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess

import matplotlib.image as mpimg
import pytest
from click.testing import CliRunner

from hubscan.cli import cli
from hubscan.demo import run_demo
from hubscan.report import query
from hubscan.report.trends import trends

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"]  # fmt: skip
TITLES = ["The catalog at a glance", "Footprint by family", "Reporting over time",
          "Reporting by domain, source and training type", "Reported vs estimated", "What drives reported emissions",
          "Adoption of the top base models"]  # fmt: skip


@pytest.fixture(scope="module")
def html_report(sample_catalog, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(cli, ["report", "--out", str(out), "--db", str(sample_catalog)])
    assert result.exit_code == 0, result.output
    return out


def chromium(profile, *args):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed")
    result = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                            timeout=180, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_html_is_self_contained_with_every_section(html_report, sample_catalog):
    text = html_report.read_text("utf-8")
    for title in TITLES:
        assert f"<h2>{title}</h2>" in text, title
    assert text.count("<svg") >= 3
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # nothing fetched from anywhere
    assert "<script" not in text
    con = sqlite3.connect(sample_catalog)
    models = con.execute("SELECT COUNT(*) FROM models").fetchone()[0]
    reporting = con.execute(
        "SELECT COUNT(*) FROM reported_emissions WHERE emissions_g IS NOT NULL"
    ).fetchone()[0]
    con.close()
    assert f"n = {models:,} models" in text
    assert f"n = {reporting:,} reporting models" in text


def test_opens_in_headless_chromium_without_console_messages(html_report, tmp_path):
    result = chromium(tmp_path / "profile", "--dump-dom", html_report.as_uri())
    assert "Reporting over time" in result.stdout and "<svg" in result.stdout
    assert console_lines(result.stderr) == []
    shot = tmp_path / "report.png"
    chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000", html_report.as_uri())
    image = mpimg.imread(shot)
    assert image.shape[:2] == (2000, 1280)
    gray = image[..., :3].mean(axis=2)
    assert gray.std() > 0.05 and (gray < 0.5).mean() > 0.005


def test_the_console_check_sees_an_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<html><body><script>console.error("boom-123")</script></body></html>', "utf-8")
    result = chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert any("boom-123" in line for line in console_lines(result.stderr))


def test_markdown_report(sample_catalog, tmp_path):
    out = tmp_path / "report.md"
    result = CliRunner().invoke(
        cli, ["report", "--out", str(out), "--format", "md", "--db", str(sample_catalog)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    for title in TITLES:
        assert f"## {title}" in text
    db = query.open_catalog(sample_catalog)
    years = trends(db, "year")["periods"]
    db.close()
    for row in years:
        assert re.search(
            rf"\| {re.escape(row['period'])} \| all \| {row['models']} \| {row['reporting']} \|", text
        ), row


def test_unwritable_report_is_a_clean_error(sample_catalog, tmp_path):
    result = CliRunner().invoke(
        cli, ["report", "--out", str(tmp_path / "no" / "dir" / "r.html"), "--db", str(sample_catalog)]
    )
    assert result.exit_code == 1 and "Cannot write" in result.output


def test_demo_prints_reporting_over_time(tmp_path):
    lines = []
    run_demo(tmp_path / "demo.db", workers=4, echo=lambda text="", err=False: lines.append(str(text)))
    text = "\n".join(lines)
    assert "Emissions reporting over time, by creation year" in text
    db = query.open_catalog(tmp_path / "demo.db")
    years = trends(db, "year")["periods"]
    db.close()
    assert {r["period"] for r in years} >= {"<=2022-03-02", "2022", "2023", "2024"}
    for row in years:
        assert re.search(
            rf"^{re.escape(row['period'])}\s+{row['models']}\s+{row['reporting']}\s", text, re.M
        ), row
