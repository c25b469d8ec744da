"""The query commands end to end on the catalog crawled from the bundled sample Hub (conftest.sample_catalog)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner

from hubscan.cli import cli
from hubscan.report import query
from hubscan.store import open_db_read_only

FORMATS = {"table": [], "json": ["--json"], "nl": ["--nl"], "csv": ["--csv"]}


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


def parse(output: str, fmt: str):
    if fmt == "json":
        return json.loads(output)
    if fmt == "nl":
        return [json.loads(line) for line in output.splitlines() if line.strip()]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(output)))
    return output


def model_count(path) -> int:
    db = open_db_read_only(path)
    n = db.execute("SELECT COUNT(*) FROM models").fetchone()[0]
    db.close()
    return n


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("by", ["model_type", "lineage", "author", "pipeline_tag", "library"])
def test_footprint_every_grouping_every_format(sample_catalog, by, fmt):
    result = run("footprint", "--by", by, "--db", sample_catalog, *FORMATS[fmt])
    assert result.exit_code == 0, result.output
    data = parse(result.output, fmt)
    if fmt == "table":
        assert "family" in data.splitlines()[1] and "models" in data.splitlines()[1]
        assert "Weights at" in data
        return
    assert sum(int(r["models"]) for r in data) == model_count(sample_catalog)
    assert all("family" in r and "models" in r for r in data)


def test_footprint_table_has_units(sample_catalog):
    result = run(
        "footprint", "--by", "model_type", "--db", sample_catalog, "--dtype", "bf16", "--context", "8192"
    )
    assert result.exit_code == 0, result.output
    assert "GB" in result.output and "B " in result.output
    llama = next(line for line in result.output.splitlines() if line.startswith("llama "))
    assert "8.03B" in llama  # median of the llama family in the sample Hub
    assert "8,192 tokens" in result.output


def _llama_params(cfg: dict) -> int:
    """Independent count for a LlamaForCausalLM config (embeddings, attention, SwiGLU MLP, RMSNorms, lm_head)."""
    h, layers, vocab = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads") or heads
    head_dim = cfg.get("head_dim") or h // heads
    attn = 2 * h * heads * head_dim + 2 * h * kv_heads * head_dim
    if cfg.get("attention_bias"):
        attn += heads * head_dim + 2 * kv_heads * head_dim + h
    mlp = 3 * h * cfg["intermediate_size"]
    lm_head = 0 if cfg.get("tie_word_embeddings") else vocab * h
    return vocab * h + layers * (attn + mlp + 2 * h) + h + lm_head


def _llama_kv_per_token(cfg: dict, bytes_per_value: int) -> int:
    heads = cfg["num_attention_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    return (
        2 * cfg["num_hidden_layers"] * (cfg.get("num_key_value_heads") or heads) * head_dim * bytes_per_value
    )


def test_footprint_numbers_match_an_independent_count_from_stored_configs(sample_catalog):
    """Parameters, weights at bf16 and KV cache at 1000 tokens, counted here from the stored config.json of plain
    LlamaForCausalLM models, against `hubscan footprint --by author --author A` for every author whose models
    are all such configs."""
    db = open_db_read_only(sample_catalog)
    configs = {}
    for mid, author, raw in db.execute(
        "SELECT m.id, m.author, c.raw FROM models m JOIN configs c ON c.model_id = m.id WHERE c.status = 'ok'"
    ):
        configs[mid] = (author, json.loads(raw))
    authors = {}
    for mid, author in db.execute("SELECT id, author FROM models"):
        authors.setdefault(author, []).append(mid)
    db.close()

    def plain_llama(mid):
        cfg = configs.get(mid, (None, {}))[1]
        return cfg.get("architectures") == ["LlamaForCausalLM"] and "quantization_config" not in cfg

    checked = 0
    for author, mids in sorted(authors.items()):
        if not all(plain_llama(m) for m in mids):
            continue
        cfgs = [configs[m][1] for m in mids]
        params = np.array([_llama_params(c) for c in cfgs], dtype=float)
        kv_bytes = {"float32": 4, "float16": 2, "bfloat16": 2}
        kv = np.array([_llama_kv_per_token(c, kv_bytes[c["torch_dtype"]]) * 1000 for c in cfgs], dtype=float)
        result = run("footprint", "--by", "author", "--author", author, "--db", sample_catalog, "--json",
                     "--dtype", "bf16", "--context", "1000")  # fmt: skip
        assert result.exit_code == 0, result.output
        (row,) = json.loads(result.output)
        assert row["family"] == author and row["models"] == len(mids)
        assert row["params_total"] == params.sum()
        assert row["params_max"] == params.max()
        assert row["params_median"] == pytest.approx(np.median(params))
        assert row["params_p10"] == pytest.approx(np.percentile(params, 10))
        assert row["params_p90"] == pytest.approx(np.percentile(params, 90))
        assert row["weights_bytes_total"] == params.sum() * 2  # bf16: 2 bytes per parameter
        assert row["kv_cache_bytes_median"] == pytest.approx(np.median(kv))
        assert row["kv_cache_bytes_max"] == kv.max()
        checked += 1
    assert checked >= 3


def test_footprint_lineage_table_shows_relation_columns(sample_catalog):
    result = run("footprint", "--by", "lineage", "--db", sample_catalog, "--limit", "3")
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[1]
    assert "finetunes" in header and "adapters" in header
    assert len(result.output.splitlines()) == 1 + 2 + 3  # note, header + rule, 3 rows


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_emissions_every_format(sample_catalog, fmt):
    result = run("emissions", "--db", sample_catalog, *FORMATS[fmt])
    assert result.exit_code == 0, result.output
    data = parse(result.output, fmt)
    if fmt == "table":
        assert "reported_g" in data and "verdict" in data
        assert " g " in data or " kg " in data or " t " in data
        return
    assert data and all("reported_g" in r and "verdict" in r for r in data)
    db = open_db_read_only(sample_catalog)
    expected = db.execute(
        """SELECT COUNT(*) FROM models m LEFT JOIN reported_emissions r ON r.model_id = m.id
           LEFT JOIN estimated_emissions e ON e.model_id = m.id
           WHERE r.emissions_g IS NOT NULL OR e.verdict IS NOT NULL"""
    ).fetchone()[0]
    db.close()
    assert len(data) == expected


def test_emissions_verdict_filter(sample_catalog):
    db = open_db_read_only(sample_catalog)
    verdicts = [
        r[0] for r in db.execute("SELECT DISTINCT verdict FROM estimated_emissions WHERE verdict IS NOT NULL")
    ]
    db.close()
    assert verdicts
    for verdict in verdicts:
        result = run("emissions", "--verdict", verdict, "--db", sample_catalog, "--json")
        assert result.exit_code == 0, result.output
        rows = json.loads(result.output)
        assert rows and {r["verdict"] for r in rows} == {verdict}
        assert all(r["verdict_reason"] for r in rows)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_emissions_summary_every_format(sample_catalog, fmt):
    result = run("emissions", "--summary", "--db", sample_catalog, *FORMATS[fmt])
    assert result.exit_code == 0, result.output
    data = parse(result.output, fmt)
    if fmt == "table":
        for title in ("overview", "completeness", "by family", "by year", "by task", "reported vs estimated"):
            assert f"\n{title}\n" in "\n" + data
        return
    if fmt == "json":
        assert data["overview"][0]["value"] == model_count(sample_catalog)
        classes = {r["completeness"] for r in data["completeness"]}
        assert classes <= {
            "none",
            "template_only",
            "emissions_only",
            "emissions_context",
            "complete",
            "no card",
        }
        assert sum(r["models"] for r in data["completeness"]) == model_count(sample_catalog)
        return
    sections = {r["section"] for r in data}
    assert {"overview", "completeness", "reported_vs_estimated"} <= sections


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sql_every_format(sample_catalog, fmt):
    statement = "SELECT model_type, COUNT(*) AS n FROM models GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"
    result = run("sql", statement, "--db", sample_catalog, *FORMATS[fmt])
    assert result.exit_code == 0, result.output
    data = parse(result.output, fmt)
    if fmt == "table":
        assert data.splitlines()[0].split() == ["model_type", "n"]
        assert len(data.splitlines()) == 7
    else:
        assert len(data) == 5 and set(data[0]) == {"model_type", "n"}


@pytest.mark.parametrize(
    "statement", ["DELETE FROM models", "DROP TABLE footprints", "UPDATE models SET likes = 1", "VACUUM"]
)
def test_sql_write_attempt_is_refused(sample_catalog, statement):
    before = model_count(sample_catalog)
    result = run("sql", statement, "--db", sample_catalog)
    assert result.exit_code == 1
    assert "read-only" in result.output or "SQL error" in result.output
    assert "Traceback" not in result.output
    assert model_count(sample_catalog) == before


def test_sql_delete_message_is_clear(sample_catalog):
    result = run("sql", "DELETE FROM models", "--db", sample_catalog)
    assert "Refused: the catalog is opened read-only" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["footprint"],
        ["emissions"],
        ["emissions", "--summary"],
        ["sql", "SELECT 1"],
        ["plot", "footprint", "--out", "x.png"],
    ],
)
def test_missing_catalog_is_a_clear_error(tmp_path, args):
    result = run(*args, "--db", tmp_path / "missing.db")
    assert result.exit_code == 1
    assert "No catalog at" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "missing.db").exists()


def test_bad_sql_is_a_clear_error(sample_catalog):
    result = run("sql", "SELECT * FROM no_such_table", "--db", sample_catalog)
    assert result.exit_code == 1
    assert "no such table" in result.output


@pytest.mark.parametrize(
    "command", ["footprint", "emissions", "sql", "plot", "browse", "export", "history", "changes", "show"]
)
def test_help_has_examples(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"hubscan {command}" in result.output


def test_cli_and_api_share_the_named_queries(sample_catalog):
    import hubscan

    result = run("footprint", "--by", "lineage", "--db", sample_catalog, "--json")
    with hubscan.open(sample_catalog) as cat:
        frame = cat.footprint(by="lineage")
    assert [r["family"] for r in json.loads(result.output)] == list(frame["family"])
    db = query.open_catalog(sample_catalog)
    assert json.loads(result.output) == json.loads(json.dumps(query.footprint(db, "lineage")))
    db.close()


def test_footprint_sort_descending_and_ascending(sample_catalog):
    args = ("footprint", "--by", "model_type", "--sort", "params_total", "--db", sample_catalog, "--json")
    data = json.loads(run(*args).output)
    known = [r["params_total"] for r in data if r["params_total"] is not None]
    assert known == sorted(known, reverse=True) and len(known) > 3
    assert all(r["params_total"] is None for r in data[len(known) :])  # unknown last
    up = json.loads(run(*args, "--asc", "--limit", "3").output)
    assert [r["params_total"] for r in up] == sorted(known)[:3]
    db = open_db_read_only(sample_catalog)
    top = db.execute(
        "SELECT COALESCE(NULLIF(m.model_type, ''), NULLIF(f.model_type, ''), 'unknown'), "
        "SUM(COALESCE(f.params_total, m.safetensors_total, m.gguf_total)) AS p "
        "FROM models m LEFT JOIN footprints f ON f.model_id = m.id GROUP BY 1 ORDER BY p DESC LIMIT 1"
    ).fetchone()
    db.close()
    assert (data[0]["family"], data[0]["params_total"]) == top
    bad = run("footprint", "--sort", "colour", "--db", sample_catalog)
    assert bad.exit_code == 2 and "colour" in bad.output


def test_not_estimated_verdict(sample_catalog):
    db = open_db_read_only(sample_catalog)
    expected = {
        r[0]
        for r in db.execute(
            "SELECT r.model_id FROM reported_emissions r LEFT JOIN estimated_emissions e ON e.model_id = r.model_id "
            "WHERE r.emissions_g IS NOT NULL AND e.verdict IS NULL"
        )
    }
    db.close()
    result = run("emissions", "--verdict", "not estimated", "--db", sample_catalog, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["model_id"] for r in rows} == expected
    assert all(r["reported_g"] is not None and r["estimated_g_central"] is None for r in rows)


def test_one_rule_for_shares_and_grams(sample_catalog):
    summary = run("emissions", "--summary", "--db", sample_catalog).output
    share_line = next(line for line in summary.splitlines() if "share of models reporting" in line)
    assert share_line.rstrip().endswith("%")  # a share is a percentage here too, not 0.1715
    footprint = run("footprint", "--db", sample_catalog).output
    assert "%" in footprint
    small = run("sql", "SELECT emissions_g FROM reported_emissions WHERE emissions_g < 1 LIMIT 1",
                "--db", sample_catalog).output  # fmt: skip
    if len(small.splitlines()) > 2:
        assert small.splitlines()[2].strip().endswith(" g")  # a column of grams reads in grams, not mg


def test_hubscan_db_environment_variable(sample_catalog, monkeypatch):
    import hubscan

    monkeypatch.setenv("HUBSCAN_DB", str(sample_catalog))
    result = CliRunner().invoke(cli, ["footprint", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)
    with hubscan.open() as cat:
        assert cat.path == sample_catalog
        assert len(cat.models()) == model_count(sample_catalog)
