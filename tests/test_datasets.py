"""Dataset repositories: the mirror serves ``/api/datasets`` like model repos (paging, filters, errors), the real
client lists and reads them, ``hubscan crawl-datasets`` stores their size bounds, and ``correlate --x
dataset_size`` uses them (checked against independent SQL)."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner
from scipy import stats

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from huggingface_hub import HfApi  # noqa: E402
from huggingface_hub.errors import RepositoryNotFoundError  # noqa: E402

from hubscan.cli import cli  # noqa: E402
from hubscan.derive import resolve_families  # noqa: E402
from hubscan.mirror import MirrorServer, write_repo  # noqa: E402
from hubscan.mirror.datasets import write_dataset  # noqa: E402
from hubscan.source.datasets import fetch_datasets, list_datasets, size_bounds  # noqa: E402
from hubscan.store import open_db  # noqa: E402

TOKEN = "hf_dataset_token"
DATASETS = {
    "org/small": {"tags": ["size_categories:n<1K", "task_categories:text-classification"], "downloads": 5,
                  "likes": 1, "createdAt": "2023-01-01T00:00:00.000Z"},
    "org/mid": {"tags": ["size_categories:10K<n<100K"], "downloads": 50, "likes": 3},
    "org/big": {"tags": ["size_categories:1M<n<10M"], "downloads": 500, "likes": 9},
    "other/huge": {"tags": ["size_categories:n>1T"], "downloads": 7},
    "other/nosize": {"tags": ["license:mit"], "downloads": 1},
    "org/secret": {"tags": ["size_categories:1K<n<10K"], "private": True, "allowed_tokens": [TOKEN]},
}  # fmt: skip


@pytest.mark.parametrize(("category", "bounds"), [
    ("n<1K", (0, 1_000)), ("1K<n<10K", (1_000, 10_000)), ("10K<n<100K", (10_000, 100_000)),
    ("100M<n<1B", (100_000_000, 1_000_000_000)), ("n>1T", (10**12, None)), ("size_categories:1M<n<10M", (10**6, 10**7)),
    ("unknown", (None, None)), (None, (None, None)),
])  # fmt: skip
def test_size_bounds(category, bounds):
    assert size_bounds(category) == bounds


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset-hub")
    write_repo(root, "org/model", files={"config.json": b"{}"}, meta={})
    for dataset_id, meta in DATASETS.items():
        write_dataset(root, dataset_id, meta)
    with MirrorServer(root, page_size=2) as server:
        yield server


def test_listing_pages_through_link_headers_with_the_real_client(hub):
    api = HfApi(endpoint=hub.url)
    listed = [d.id for d in api.list_datasets()]
    assert sorted(listed) == sorted(d for d in DATASETS if d != "org/secret")
    pages = [e for e in hub.request_log if e["path"] == "/api/datasets"]
    assert len(pages) == 3  # five public datasets, two per page
    assert sorted(d.id for d in api.list_datasets(author="org")) == ["org/big", "org/mid", "org/small"]
    assert [d.id for d in api.list_datasets(search="huge")] == ["other/huge"]
    assert [d.id for d in api.list_datasets(sort="downloads", limit=2)] == ["org/big", "org/mid"]
    assert [d.id for d in api.list_datasets(filter="size_categories:n<1K")] == ["org/small"]
    with_token = [d.id for d in HfApi(endpoint=hub.url, token=TOKEN).list_datasets(author="org")]
    assert "org/secret" in with_token


def test_dataset_info_and_errors(hub):
    api = HfApi(endpoint=hub.url)
    info = api.dataset_info("org/small")
    assert info.id == "org/small" and info.downloads == 5 and info.likes == 1
    assert "size_categories:n<1K" in info.tags and info.created_at.year == 2023
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("org/missing")
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("org/secret")  # private: answered like a missing repo
    assert HfApi(endpoint=hub.url, token=TOKEN).dataset_info("org/secret").id == "org/secret"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{hub.url}/api/datasets?limit=0")
    assert err.value.code == 400


def test_fetch_and_list_rows(hub):
    rows = {r["id"]: r for r in fetch_datasets(["org/mid", "org/missing", "other/huge"], endpoint=hub.url)}
    assert rows["org/mid"]["rows_min"] == 10_000 and rows["org/mid"]["rows_max"] == 100_000
    assert rows["org/mid"]["status"] == "ok" and json.loads(rows["org/mid"]["tags"]) == [
        "size_categories:10K<n<100K"
    ]
    assert rows["org/missing"]["status"] == "not_found"
    assert rows["other/huge"]["rows_max"] is None
    listed = {r["id"] for r in list_datasets(endpoint=hub.url)}
    assert listed == set(DATASETS) - {"org/secret"}


def test_crawl_datasets_then_correlate_dataset_size(hub, tmp_path):
    path = tmp_path / "cat.db"
    db = open_db(path)
    cards = {"a/m1": ["org/small"], "a/m2": ["org/mid"], "a/m3": ["org/big", "org/small"], "a/m4": ["other/nosize"],
             "a/m5": ["org/mid", "org/big"], "a/m6": ["org/missing"]}  # fmt: skip
    grams = {"a/m1": 5.0, "a/m2": 80.0, "a/m3": 2000.0, "a/m4": 10.0, "a/m5": 9000.0, "a/m6": 3.0}
    for mid, names in cards.items():
        db["models"].insert({"id": mid})
        db["cards"].insert({"model_id": mid, "card_data": json.dumps({"datasets": names})})
        db["reported_emissions"].insert({"model_id": mid, "emissions_g": grams[mid]})
    resolve_families(db)
    db.close()
    result = CliRunner().invoke(cli, ["crawl-datasets", "--endpoint", hub.url, "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "5 datasets" in result.output
    con = sqlite3.connect(path)
    statuses = dict(con.execute("SELECT id, status FROM datasets"))
    assert statuses == {"org/small": "ok", "org/mid": "ok", "org/big": "ok", "other/nosize": "ok",
                        "org/missing": "not_found"}  # fmt: skip
    expected = {}
    for mid, low, high in con.execute(
        """SELECT md.model_id, d.rows_min, d.rows_max FROM model_datasets md JOIN datasets d ON d.id = md.dataset_id
           WHERE d.rows_min IS NOT NULL"""
    ):
        expected[mid] = expected.get(mid, 0) + math.sqrt(max(low, 1) * high)
    con.close()
    assert set(expected) == {"a/m1", "a/m2", "a/m3", "a/m5"}
    out = CliRunner().invoke(cli, ["correlate", "--x", "dataset_size", "--db", str(path), "--json"])
    row = json.loads(out.output)[0]
    assert row["n"] == 4
    ids = sorted(expected)
    assert row["spearman_rho"] == pytest.approx(
        stats.spearmanr([expected[i] for i in ids], [grams[i] for i in ids]).statistic
    )


def test_crawl_with_datasets_fetches_the_datasets_the_cards_name(tmp_path):
    root = tmp_path / "hub"
    card = b"---\ndatasets:\n- org/mid\n- org/missing\nco2_eq_emissions: 120\n---\n# m\n"
    write_repo(root, "a/named", files={"config.json": b'{"model_type": "gpt2"}', "README.md": card}, meta={})
    write_repo(root, "a/plain", files={"config.json": b"{}"}, meta={})
    for dataset_id in ("org/mid", "org/big"):
        write_dataset(root, dataset_id, DATASETS[dataset_id])
    path = tmp_path / "cat.db"
    with MirrorServer(root) as server:
        result = CliRunner().invoke(
            cli, ["crawl", "--endpoint", server.url, "--db", str(path), "--datasets", "-q"]
        )
    assert result.exit_code == 0, result.output
    assert "Fetched 2 dataset(s)" in result.output
    con = sqlite3.connect(path)
    rows = dict(con.execute("SELECT id, status FROM datasets"))
    named = {d for (d,) in con.execute("SELECT dataset_id FROM model_datasets WHERE model_id = 'a/named'")}
    con.close()
    assert rows == {"org/mid": "ok", "org/missing": "not_found"}  # org/big: no card names it
    assert named == {"org/mid", "org/missing"}
