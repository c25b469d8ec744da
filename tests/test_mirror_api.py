"""The mirror's /api/models and /api/models/{id} endpoints, driven by the real huggingface_hub client."""
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from hubscan.mirror import EXPAND_KEYS, MirrorServer
from mirror_fixtures import GOOD_TOKEN, N_PLAIN, hf_env, hub, mini_snapshot, shared_hub

pytestmark = pytest.mark.usefixtures("hf_env")

ALL_PUBLIC = N_PLAIN + 2  # plain repos + gated + weights (the private one is hidden from anonymous)


def _api(hub, token=False):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=token)


def _get(url: str, headers: dict | None = None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_pagination_every_id_exactly_once(hub):
    ids = [m.id for m in _api(hub).list_models()]
    assert len(ids) == ALL_PUBLIC == len(set(ids))
    pages = [e for e in hub.request_log if e["path"] == "/api/models"]
    assert len(pages) == 3  # page_size=4 → 4 + 4 + 3
    assert all("cursor=" in e["query"] for e in pages[1:])


@pytest.mark.parametrize("limit", [3, 4, 5, 50])
def test_pagination_with_limit(hub, limit):
    ids = [m.id for m in _api(hub).list_models(limit=limit)]
    assert len(ids) == min(limit, ALL_PUBLIC) == len(set(ids))


def test_link_header_is_absolute_and_keeps_params(hub):
    status, headers, body = _get(f"{hub.url}/api/models?author=org-a&limit=2&full=True")
    assert status == 200 and len(json.loads(body)) == 2
    link = headers["Link"]
    assert link.startswith(f"<{hub.url}/api/models?author=org-a&limit=2&full=True&cursor=")
    assert link.endswith('>; rel="next"')
    # Last page: no Link; empty result: [] and no Link.
    status, headers, body = _get(f"{hub.url}/api/models?search=zzz-nothing")
    assert (status, json.loads(body), "Link" in headers) == (200, [], False)


def test_default_order_trending_then_id_nulls_last(hub):
    models = list(_api(hub).list_models())
    scores = [m.trending_score for m in models]
    known = [s for s in scores if s is not None]
    assert known == sorted(known, reverse=True)
    assert scores[-1] is None or scores.index(None) >= len(known)
    assert models[-1].id in {"org-a/m4", "org-a/gated", "org-c/weights"}


@pytest.mark.parametrize(
    "sort,attr", [("downloads", "downloads"), ("likes", "likes"), ("created_at", "created_at"),
                  ("last_modified", "last_modified"), ("trending_score", "trending_score")],
)  # fmt: skip
def test_sort_keys_descending_nulls_last(hub, sort, attr):
    expand = {"created_at": "createdAt", "last_modified": "lastModified", "trending_score": "trendingScore"}
    values = [getattr(m, attr) for m in _api(hub).list_models(sort=sort, expand=[expand.get(sort, sort)])]
    known = [v for v in values if v is not None]
    assert known == sorted(known, reverse=True)
    assert values[: len(known)] == known  # nulls last


def test_search_author_filter_pipeline_gated(hub):
    api = _api(hub)
    assert {m.id for m in api.list_models(search="M1")} == {"org-b/m1"}
    assert {m.id for m in api.list_models(author="org-b")} == {"org-b/m1", "org-b/m3", "org-b/m5", "org-b/m7"}
    llama_mit = {m.id for m in api.list_models(filter=["llama", "license:mit"])}
    assert llama_mit == {"org-a/m0", "org-b/m3"}  # ANDed
    assert {m.id for m in api.list_models(filter="dataset:wiki")} == {
        f"org-{'ab'[i % 2]}/m{i}" for i in range(9)
    }
    assert {m.id for m in api.list_models(pipeline_tag="fill-mask")} == {
        "org-b/m5",
        "org-a/m6",
        "org-b/m7",
        "org-a/m8",
    }
    assert [m.id for m in api.list_models(gated=True)] == ["org-a/gated"]
    assert len(list(api.list_models(gated=False))) == ALL_PUBLIC - 1
    # 0.x spelling of booleans and repeated search values
    status, _, body = _get(f"{hub.url}/api/models?gated=True&search=org-a&search=gat")
    assert [m["id"] for m in json.loads(body)] == ["org-a/gated"]


def test_private_repo_visible_only_to_allowed_token(hub):
    assert "org-a/private" not in {m.id for m in _api(hub).list_models()}
    assert "org-a/private" in {m.id for m in _api(hub, GOOD_TOKEN).list_models()}


def test_item_shapes_default_full_config_carddata(hub):
    api = _api(hub)
    status, _, body = _get(f"{hub.url}/api/models?search=org-a/m0")
    item = json.loads(body)[0]
    assert list(item) == ["_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
                          "pipeline_tag", "library_name", "createdAt", "modelId"]  # fmt: skip
    assert item["createdAt"] == "2024-01-15T10:00:00.000Z"
    assert {"license:mit", "dataset:wiki", "llama", "transformers"} <= set(item["tags"])
    full = next(iter(api.list_models(search="org-c/weights", full=True, fetch_config=True, cardData=True)))
    assert full.sha and len(full.sha) == 40 and full.author == "org-c"
    assert {s.rfilename for s in full.siblings} == {
        "config.json",
        "model.safetensors",
        "sub/dir/notes.txt",
        "bad.json",
    }
    assert full.config == {"model_type": "gpt2", "quantization_config": {"bits": 4, "quant_method": "gptq"},
                           "tokenizer_config": {}}  # fmt: skip
    m0 = next(iter(api.list_models(search="org-a/m0", cardData=True)))
    # YAML 1.2 semantics: 1e-3 is a number, dates and "yes" stay strings.
    assert m0.card_data["co2_eq_emissions"] == {"emissions": 0.001, "source": "codecarbon"}
    assert m0.card_data["trained"] == "2024-01-01" and m0.card_data["flag"] == "yes"


@pytest.mark.parametrize("key", sorted(EXPAND_KEYS))
def test_expand_returns_only_requested_key(hub, key):
    status, _, body = _get(f"{hub.url}/api/models?search=org-c/weights&expand={key}")
    assert status == 200
    (item,) = json.loads(body)
    assert set(item) <= {"_id", "id", key}


def test_expand_via_client_and_bracket_spelling(hub):
    api = _api(hub)
    (m,) = api.list_models(search="org-c/weights", expand=["author", "safetensors", "sha"])
    assert m.author == "org-c" and m.safetensors.total == 20 and m.downloads is None and m.created_at is None
    status, _, body = _get(f"{hub.url}/api/models?search=org-c/weights&expand[]=gated")
    assert json.loads(body)[0]["gated"] is False


def test_unknown_expand_is_bad_request(hub):
    from huggingface_hub.errors import BadRequestError

    with pytest.raises(BadRequestError):
        list(_api(hub).list_models(expand=["foo"]))
    with pytest.raises(BadRequestError):
        _api(hub).model_info("org-a/m0", expand=["foo"])


def test_model_info_revisions_and_blobs(hub):
    api = _api(hub)
    info = api.model_info("org-c/weights", files_metadata=True)
    sha = info.sha
    for rev in ("refs/pr/1", "v1.0", sha, sha[:7], "main"):
        assert api.model_info("org-c/weights", revision=rev).sha == sha
    sib = {s.rfilename: s for s in info.siblings}
    assert (
        sib["config.json"].lfs is None
        and sib["config.json"].size > 0
        and len(sib["config.json"].blob_id) == 40
    )
    lfs = sib["model.safetensors"].lfs
    assert lfs.size == sib["model.safetensors"].size and len(lfs.sha256) == 64 and lfs.pointer_size > 100
    assert info.safetensors.total == 20
    assert any(e["path"] == "/api/models/org-c/weights/revision/refs%2Fpr%2F1" for e in hub.request_log)


def test_model_info_errors(hub):
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    api = _api(hub)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("org-a/nope")
    with pytest.raises(RepositoryNotFoundError):
        _api(hub, "hf_some_token").model_info("org-a/nope")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("org-a/private")
    assert _api(hub, GOOD_TOKEN).model_info("org-a/private").private is True
    with pytest.raises(RevisionNotFoundError, match="Invalid rev id: nope"):
        api.model_info("org-a/m0", revision="nope")
    assert api.model_info("org-a/gated").gated == "manual"  # gated model_info is 200
    assert api.repo_exists("org-a/gated") and not api.repo_exists("org-a/nope")
    assert api.revision_exists("org-c/weights", "v1.0") and not api.revision_exists("org-c/weights", "v2")


def test_status_codes_anonymous_vs_token(hub):
    status, headers, body = _get(f"{hub.url}/api/models/org-a/nope")
    assert status == 401 and headers["X-Error-Code"] == "RepoNotFound" and "error" in json.loads(body)
    status, headers, _ = _get(f"{hub.url}/api/models/org-a/nope", {"Authorization": "Bearer x"})
    assert status == 404 and headers["X-Error-Code"] == "RepoNotFound" and headers["X-Request-Id"]


def test_renamed_repo_redirects(hub):
    api = _api(hub)
    assert api.model_info("org-old/weights").id == "org-c/weights"
    assert api.model_info("old-name", revision="v1.0").id == "org-c/weights"
    req = urllib.request.Request(f"{hub.url}/api/models/old-name?expand=sha", method="GET")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(req, timeout=5)
        raise AssertionError("expected a redirect")
    except urllib.error.HTTPError as err:
        assert err.code == 307 and err.headers["Location"] == "/api/models/org-c/weights?expand=sha"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_unknown_routes_404_and_ratelimit_headers(hub):
    status, headers, _ = _get(f"{hub.url}/api/agent-harnesses")
    assert status == 404
    assert headers["RateLimit"].startswith('"api";r=') and headers["RateLimit-Policy"].startswith(
        '"fixed window";"api"'
    )
    status, headers, _ = _get(f"{hub.url}/some/page")
    assert status == 404 and headers["RateLimit"].startswith('"pages"')


def test_rate_limit_exhaustion_then_client_retries(mini_snapshot):
    from huggingface_hub import HfApi

    with MirrorServer(mini_snapshot, page_size=4, rate_limits={"window": 1, "api": 3}) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        ids = [m.id for m in api.list_models()]  # 3 pages = the whole quota
        status, headers, body = _get(f"{hub.url}/api/models")
        assert status == 429 and headers["RateLimit"] == '"api";r=0;t=1' and headers["Retry-After"] == "1"
        assert headers["RateLimit-Policy"] == '"fixed window";"api";q=3;w=1'
        assert [m.id for m in api.list_models()] == ids  # 2.4.0 waits t+1 s and retries the first page
        assert [e["status"] for e in hub.request_log].count(429) >= 1


def test_429_fault_is_retried_and_request_log_counts(hub, tmp_path):
    hub.add_faults([{"path": "^/api/models$", "method": "GET", "fault": "status", "status": 429,
                     "retry_after": 1, "times": 1, "skip": 1}])  # fmt: skip
    ids = [m.id for m in _api(hub).list_models()]
    assert len(ids) == ALL_PUBLIC == len(set(ids))
    # The server logs a request after answering it: give the last answer's log entry a moment to land.
    deadline = time.monotonic() + 5
    while len([e for e in hub.request_log if e["path"] == "/api/models"]) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    statuses = [e["status"] for e in hub.request_log if e["path"] == "/api/models"]
    assert statuses == [200, 429, 200, 200]
    hub.clear_log()
    assert hub.request_log == []


def test_log_file_and_faults_file(mini_snapshot, tmp_path):
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"path": "/api/models/", "fault": "status", "status": 503, "times": 1}]))
    log = tmp_path / "requests.jsonl"
    with MirrorServer(mini_snapshot, faults=str(faults), log_path=log, latency_ms=5) as hub:
        assert _get(f"{hub.url}/api/models/org-a/m0")[0] == 503
        assert _get(f"{hub.url}/api/models/org-a/m0")[0] == 200
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("GET", "/api/models/org-a/m0", 503),
        ("GET", "/api/models/org-a/m0", 200),
    ]
