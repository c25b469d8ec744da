"""`hubscan inspect` on config files, model cards and repo folders."""

import json

import pytest
from click.testing import CliRunner

from hubscan.cli import cli

LLAMA_2_7B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
    "torch_dtype": "float16",
}
# Llama-2-7B, counted by hand: embeddings + 32 × (4·4096² attention + 3·4096·11008 MLP + 2·4096 norms)
# + final norm + untied head.
LLAMA_2_7B_PARAMS = 32000 * 4096 + 32 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096) + 4096 + 32000 * 4096

CARD = """---
license: mit
co2_eq_emissions:
  emissions: 41100
  source: codecarbon
  training_type: pre-training
  geographical_location: Quebec, Canada
  hardware_used: 8 x A100 80GB
---
# My model

## Environmental Impact

- **Hardware Type:** 8 x A100 80GB
- **Hours used:** 30
- **Cloud Provider:** none (on premises)
- **Carbon Emitted:** 41.1 kg CO2eq
"""


def invoke(*args):
    return CliRunner().invoke(cli, ["inspect", *map(str, args)])


def test_config_nl_has_the_documented_keys(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_2_7B))
    result = invoke(path, "--nl", "--context", "2048")
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["path"] == str(path)
    assert record["params"]["total"] == LLAMA_2_7B_PARAMS == 6_738_415_616
    assert record["params"]["method"] == "analytic:llama" and record["params"]["confidence"] == "exact"
    assert record["params"]["active"] == LLAMA_2_7B_PARAMS and record["params"]["embedding"] == 32000 * 4096
    assert record["memory"]["weights_bytes"] == 2 * LLAMA_2_7B_PARAMS  # fp16, the config's own dtype
    # K and V, 32 layers × 4096 wide, 2 bytes each, per token; times the context.
    assert record["memory"]["kv_bytes_per_token"] == 2 * 32 * 4096 * 2
    assert record["memory"]["kv_cache_bytes"] == 2 * 32 * 4096 * 2 * 2048
    assert record["flops_per_token"] > 2 * LLAMA_2_7B_PARAMS


def test_table_output_has_units(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_2_7B))
    result = invoke(path, "--dtype", "int4")
    assert result.exit_code == 0, result.output
    assert "6.74B" in result.output and "GB (int4)" in result.output and "analytic:llama" in result.output


def test_card_and_folder_show_reported_and_estimated(tmp_path):
    (tmp_path / "README.md").write_text(CARD)
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_2_7B))
    card = json.loads(invoke(tmp_path / "README.md", "--nl").output)
    reported = card["reported"]
    assert reported["emissions_g"] == 41100 and reported["found_in"] == "yaml"
    assert reported["location"] == "Quebec, Canada" and reported["hardware"] == "8 x A100 80GB"
    assert reported["hours"] == 30 and reported["completeness"] == "complete"
    for key in ("unit_raw", "source", "training_type", "flags"):
        assert key in reported

    folder = json.loads(invoke(tmp_path, "--nl").output)
    assert folder["params"]["total"] == LLAMA_2_7B_PARAMS
    estimate = folder["estimate"]
    assert estimate["method"] == "hardware-time" and estimate["estimable"]
    assert (
        estimate["emissions_g"]["low"]
        <= estimate["emissions_g"]["central"]
        <= estimate["emissions_g"]["high"]
    )
    assert estimate["comparison"]["verdict"] in {"consistent", "below", "above"}


def test_bad_inputs_are_reported_without_tracebacks(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text("{not json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(LLAMA_2_7B))
    result = invoke(bad, good, tmp_path / "missing.json", "--nl")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert "not valid JSON" in lines[0]["error"] and lines[1]["params"]["total"] == LLAMA_2_7B_PARAMS
    assert lines[2]["error"] == "no such file or directory"
    assert "Traceback" not in result.output


CODECARBON_HEADER = (
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,"
    "ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,"
    "cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,"
    "longitude,latitude,ram_total_size,tracking_mode,on_cloud,pue\n"
)


def codecarbon_csv(rows):
    lines = [CODECARBON_HEADER]
    for seconds, kg, kwh in rows:
        lines.append(
            f"2024-05-01T10:00:00,train,r1,e1,{seconds},{kg},{kg / seconds},40.0,1200.0,12.0,0.4,{kwh - 0.5},0.1,"
            f"{kwh},France,FRA,ile-de-france,,,Linux,3.11.9,2.4.1,32,AMD EPYC 7742,4,4 x NVIDIA A100-SXM4-80GB,"
            "2.35,48.85,256.0,machine,N,1.0\n"
        )
    return "".join(lines)


def test_codecarbon_emissions_csv_is_a_measured_report(tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text(codecarbon_csv([(3600.0, 0.05, 2.0), (7200.0, 0.1, 4.0)]))
    result = invoke(path, "--json")
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.output)
    measured = record["measured"]
    assert measured["emissions_g"] == pytest.approx(150.0)  # 0.05 + 0.1 kg
    assert measured["energy_kwh"] == pytest.approx(6.0) and measured["duration_hours"] == pytest.approx(3.0)
    assert measured["runs"] == 2 and measured["country"] == "France" and measured["gpu_count"] == 4
    estimate = record["estimate"]
    # Hardware, hours and location come from the measurement; the estimate is compared with it.
    assert estimate["estimable"] and estimate["inputs"]["hours"]["value"] == pytest.approx(3.0)
    assert estimate["comparison"]["ratio"] == pytest.approx(150.0 / estimate["emissions_g"]["central"])
    assert estimate["comparison"]["verdict"] in ("consistent", "below", "above", "likely unit error")
    table = invoke(path)
    assert (
        table.exit_code == 0 and "Measured emissions (codecarbon)" in table.output and "150 g" in table.output
    )
    rows = invoke(path, "--csv").output.splitlines()
    header = rows[0].split(",")
    assert float(rows[1].split(",")[header.index("measured_g")]) == pytest.approx(150.0)


def test_folder_with_config_and_emissions_csv(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_2_7B))
    (tmp_path / "emissions.csv").write_text(codecarbon_csv([(36000.0, 1.2, 40.0)]))
    (record,) = json.loads(invoke(tmp_path, "--json").output)
    assert record["params"]["total"] == LLAMA_2_7B_PARAMS
    assert record["measured"]["emissions_g"] == pytest.approx(1200.0)
    estimate = record["estimate"]
    assert estimate["comparison"]["ratio"] == pytest.approx(1200.0 / estimate["emissions_g"]["central"])


def test_a_csv_that_is_not_codecarbon_is_a_clear_error(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    result = invoke(path)
    assert result.exit_code == 1 and "not a codecarbon emissions.csv" in result.output
