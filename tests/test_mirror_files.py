"""The mirror's resolve endpoint, faults, traversal safety, sample hub and CLI, with the real client."""
# ruff: noqa: F401, F811

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from hubscan.mirror import MirrorServer, load_snapshot, sample_hub_path, write_repo
from hubscan.mirror.frontmatter import front_matter_block
from mirror_fixtures import GOOD_TOKEN, OTHER_TOKEN, hf_env, hub, mini_snapshot, shared_hub

pytestmark = pytest.mark.usefixtures("hf_env")


def _api(hub, token=False):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=token)


def _request(url: str, method: str = "GET", headers: dict | None = None):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def _first_hop(url: str, method: str = "GET", headers: dict | None = None):
    """One request, redirects not followed: (status, headers, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_resolve_answers_the_hubs_307_to_the_resolve_cache_then_200(hub, mini_snapshot):
    content = (mini_snapshot / "repos/org-c/weights/files/sub/dir/notes.txt").read_bytes()
    url = f"{hub.url}/org-c/weights/resolve/main/sub/dir/notes.txt"
    sha = _api(hub).model_info("org-c/weights").sha
    status, headers, body = _first_hop(url, "HEAD")
    etag = f'"{_git_sha1(content)}"'
    assert status == 307 and body == b""
    location = headers["Location"]
    assert location.startswith(f"/api/resolve-cache/models/org-c/weights/{sha}/sub/dir/notes.txt?")
    assert location.endswith("&etag=" + urllib.parse.quote(etag, safe=""))
    assert "%2Forg-c%2Fweights%2Fresolve%2Fmain%2Fsub%2Fdir%2Fnotes.txt=" in location
    assert headers["X-Repo-Commit"] == sha and headers["X-Linked-Etag"] == etag
    assert headers["RateLimit"].startswith('"resolvers";') and "q=" in headers["RateLimit-Policy"]
    status, headers, body = _first_hop(hub.url + location, "HEAD")
    assert status == 200 and body == b"" and "RateLimit" not in headers
    assert headers["ETag"] == etag and headers["X-Repo-Commit"] == sha and len(sha) == 40
    assert headers["Content-Length"] == str(len(content)) and headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Type"] == "text/plain; charset=utf-8" and headers["X-Request-Id"]
    assert not any(h.lower().startswith("x-xet") for h in headers)
    status, _, body = _first_hop(hub.url + location)
    assert (status, body) == (200, content)


def test_direct_resolve_flow_answers_200_itself_and_lfs_still_redirects(mini_snapshot):
    """``--resolve-flow direct`` (a benchmark mode, not the Hub's flow): one round trip per regular file."""
    content = (mini_snapshot / "repos/org-c/weights/files/sub/dir/notes.txt").read_bytes()
    with pytest.raises(ValueError, match="resolve_flow"):
        MirrorServer(mini_snapshot, resolve_flow="cdn")
    with MirrorServer(mini_snapshot, resolve_flow="direct") as hub:
        sha = _api(hub).model_info("org-c/weights").sha
        status, headers, body = _first_hop(f"{hub.url}/org-c/weights/resolve/main/sub/dir/notes.txt")
        assert (status, body) == (200, content) and "Location" not in headers
        assert headers["ETag"] == f'"{_git_sha1(content)}"' and headers["X-Repo-Commit"] == sha
        assert headers["RateLimit"].startswith('"resolvers";')
        status, headers, _ = _first_hop(f"{hub.url}/org-c/weights/resolve/main/model.safetensors", "HEAD")
        assert status == 302 and "X-Linked-Size" in headers  # LFS files keep the CDN redirect


def test_resolve_follows_to_the_file_with_ranges(hub, mini_snapshot):
    content = (mini_snapshot / "repos/org-c/weights/files/sub/dir/notes.txt").read_bytes()
    url = f"{hub.url}/org-c/weights/resolve/main/sub/dir/notes.txt"
    assert _request(url)[2] == content
    status, headers, body = _request(url, headers={"Range": "bytes=2-4"})
    assert (status, body, headers["Content-Range"]) == (206, content[2:5], f"bytes 2-4/{len(content)}")
    status, headers, body = _request(url, headers={"Range": "bytes=-3"})
    assert (status, body) == (206, content[-3:])
    status, headers, body = _request(url, headers={"Range": "bytes=0-100000"})  # clamped
    assert (status, body, headers["Content-Range"]) == (
        206,
        content,
        f"bytes 0-{len(content) - 1}/{len(content)}",
    )
    status, headers, _ = _request(url, headers={"Range": "bytes=999-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(content)}"


def test_lfs_file_resolves_with_a_302_carrying_linked_size_and_sha256(hub, mini_snapshot):
    data = (mini_snapshot / "repos/org-c/weights/files/model.safetensors").read_bytes()
    url = f"{hub.url}/org-c/weights/resolve/v1.0/model.safetensors"
    status, headers, _ = _first_hop(url, "HEAD")
    assert status == 302 and headers["X-Linked-Etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert headers["X-Linked-Size"] == str(len(data)) and len(headers["X-Repo-Commit"]) == 40
    status, headers, body = _request(url)
    assert status == 200 and body == data and headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'


def test_file_metadata_download_and_exists(hub, hf_env, mini_snapshot):
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import GatedRepoError

    api = _api(hub)
    meta = get_hf_file_metadata(hf_hub_url("org-a/m0", "config.json", endpoint=hub.url), token=False)
    content = (mini_snapshot / "repos/org-a/m0/files/config.json").read_bytes()
    assert meta.etag == _git_sha1(content) and meta.size == len(content) and len(meta.commit_hash) == 40
    path = hf_hub_download("org-a/m0", "config.json", endpoint=hub.url, token=False)
    assert Path(path).read_bytes() == content and str(hf_env) in path
    assert f"snapshots/{meta.commit_hash}/config.json" in path
    weights = hf_hub_download(
        "org-c/weights", "model.safetensors", revision="refs/pr/1", endpoint=hub.url, token=False
    )
    assert (
        Path(weights).read_bytes()
        == (mini_snapshot / "repos/org-c/weights/files/model.safetensors").read_bytes()
    )
    assert api.file_exists("org-a/m0", "config.json") is True
    assert api.file_exists("org-a/m0", "missing.json") is False
    assert api.file_exists("org-a/nope", "config.json") is False
    assert api.file_exists("org-a/m0", "config.json", revision="nope") is False
    with pytest.raises(GatedRepoError):
        api.file_exists("org-a/gated", "config.json")
    assert _api(hub, GOOD_TOKEN).file_exists("org-a/gated", "config.json") is True
    md = api.get_safetensors_metadata("org-c/weights")
    assert md.parameter_count == {"F32": 20}
    # Appendix B 5/10: a cached file resolves without the network, and the cache scans cleanly.
    offline = hf_hub_download("org-a/m0", "config.json", endpoint=hub.url, token=False, local_files_only=True)
    assert offline == path
    from huggingface_hub import scan_cache_dir

    info = scan_cache_dir(hf_env / "hub")
    assert info.warnings == [] and {"org-a/m0", "org-c/weights"} <= {r.repo_id for r in info.repos}


def test_error_classes_on_resolve(hub):
    """Appendix B 8 (2.4.0): each §5 row raises the expected class."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    def dl(repo, name, token=False, **kw):
        return hf_hub_download(repo, name, endpoint=hub.url, token=token, **kw)

    with pytest.raises(RemoteEntryNotFoundError) as exc:
        dl("org-a/m0", "missing.bin")
    assert isinstance(exc.value, EntryNotFoundError)
    with pytest.raises(RevisionNotFoundError):
        dl("org-a/m0", "config.json", revision="nope")
    with pytest.raises(GatedRepoError):
        dl("org-a/gated", "config.json")
    with pytest.raises(GatedRepoError):
        dl("org-a/gated", "config.json", token=OTHER_TOKEN)
    assert Path(dl("org-a/gated", "config.json", token=GOOD_TOKEN)).read_text() == '{"model_type": "llama"}'
    with pytest.raises(RepositoryNotFoundError):
        dl("org-a/nope", "config.json")
    with pytest.raises(RepositoryNotFoundError):
        dl("org-a/private", "config.json", token=OTHER_TOKEN)
    # Raw status codes: 401 anonymous vs 403/404 with a token; EntryNotFound carries X-Repo-Commit.
    status, headers, _ = _request(f"{hub.url}/org-a/gated/resolve/main/config.json", "HEAD")
    assert (status, headers["X-Error-Code"]) == (401, "GatedRepo")
    auth = {"Authorization": f"Bearer {OTHER_TOKEN}"}
    status, headers, _ = _request(f"{hub.url}/org-a/gated/resolve/main/config.json", "HEAD", auth)
    assert (status, headers["X-Error-Code"]) == (403, "GatedRepo")
    status, headers, _ = _request(f"{hub.url}/org-a/nope/resolve/main/config.json", "HEAD", auth)
    assert (status, headers["X-Error-Code"]) == (404, "RepoNotFound")
    status, headers, body = _request(f"{hub.url}/org-a/m0/resolve/main/missing.bin")
    assert (status, headers["X-Error-Code"], json.loads(body)) == (
        404,
        "EntryNotFound",
        {"error": "Entry not found"},
    )
    assert len(headers["X-Repo-Commit"]) == 40 and headers["X-Error-Message"] == "Entry not found"


def test_disabled_repo(tmp_path):
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import DisabledRepoError

    write_repo(tmp_path, "org/off", files={"a.txt": "x"}, meta={"disabled": True})
    with MirrorServer(tmp_path) as hub, pytest.raises(DisabledRepoError):
        get_hf_file_metadata(hf_hub_url("org/off", "a.txt", endpoint=hub.url), token=False)


@pytest.mark.parametrize(
    "path",
    [
        "/..%2F..%2Fetc%2Fpasswd",
        "/org-a/m0/resolve/main/..%2F..%2Fm1%2Ffiles%2Fconfig.json",
        "/org-a/m0/resolve/main/../meta.json",
        "/org-a/m0/resolve/main/%2E%2E/meta.json",
        "/org-a/m0/resolve/main/%2Fetc%2Fpasswd",
        "/..%2F..%2F/resolve/main/etc/passwd",
        "/org-a/..%2F..%2F..%2F/resolve/main/passwd",
        "/api/models/..%2F..%2Fetc",
        "/api/models/org-a/..%2F..",
        "/org-a/m0/resolve/main/meta.json",
    ],
)
def test_path_traversal_is_404(hub, path):
    status, _, body = _request(f"{hub.url}{path}", headers={"Authorization": "Bearer t"})
    assert status == 404
    assert b"root:" not in body and b"downloads" not in body and b"llama" not in body


def test_symlinks_in_snapshot_are_never_served(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    repo_dir = write_repo(tmp_path / "snap", "org/r", files={"a.txt": "x"})
    os.symlink(secret, repo_dir / "files" / "link.txt")
    with MirrorServer(tmp_path / "snap") as hub:
        status, _, body = _request(
            f"{hub.url}/org/r/resolve/main/link.txt", headers={"Authorization": "Bearer t"}
        )
    assert status == 404 and b"secret" not in body


def test_fault_kinds(mini_snapshot):
    from huggingface_hub import hf_hub_download

    with MirrorServer(mini_snapshot, stall_seconds=0.3) as hub:
        url = f"{hub.url}/org-a/m0/resolve/main/config.json"
        hub.add_faults([{"path": "config.json$", "method": "GET", "fault": "truncate", "times": 1}])
        with pytest.raises(Exception):  # noqa: B017 - IncompleteRead from urllib
            _request(url)
        assert _request(url)[0] == 200  # times=1: back to normal
        hub.add_faults([{"path": "config.json$", "method": "GET", "fault": "timeout", "times": 1}])
        t0 = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017 - connection closed without a response
            _request(url)
        assert time.monotonic() - t0 >= 0.25
        hub.add_faults(
            [{"path": "^/api/models/org-a/m0$", "fault": "status", "status": 503, "times": 2, "skip": 1}]
        )
        codes = [_request(f"{hub.url}/api/models/org-a/m0")[0] for _ in range(4)]
        assert codes == [200, 503, 503, 200]
        # A download survives a transient 503 on its GET (the client retries HEAD/GET on 5xx).
        hub.add_faults(
            [{"path": "m1/resolve", "method": "HEAD", "fault": "status", "status": 503, "times": 1}]
        )
        assert Path(hf_hub_download("org-b/m1", "config.json", endpoint=hub.url, token=False)).is_file()
        log = hub.request_log
        assert {"method", "path", "query", "status"} == set(log[0])


def test_reload_picks_up_changed_files(tmp_path):
    snap = tmp_path / "snap"
    write_repo(snap, "org/r", files={"config.json": '{"model_type": "a"}'})
    with MirrorServer(snap) as hub:
        api = _api(hub)
        sha1 = api.model_info("org/r").sha
        write_repo(snap, "org/r", files={"config.json": '{"model_type": "b"}'})
        write_repo(snap, "org/new", files={"README.md": "---\nlicense: mit\n---\n"})
        assert api.model_info("org/r").sha == sha1  # cached until reload
        hub.reload()
        assert api.model_info("org/r").sha != sha1
        assert {m.id for m in api.list_models()} == {"org/r", "org/new"}


def test_concurrent_range_requests(hub):
    from concurrent.futures import ThreadPoolExecutor

    url = f"{hub.url}/org-c/weights/resolve/main/model.safetensors"
    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(lambda _: _request(url, headers={"Range": "bytes=0-7"})[0], range(80)))
    assert results == [206] * 80


# -- bundled sample hub -----------------------------------------------------------------------------


def test_sample_hub_lists_every_repo_and_has_no_prose(tmp_path):
    root = sample_hub_path()
    snapshot = load_snapshot(root)
    assert len(snapshot.repos) > 200
    readmes = 0
    for repo in snapshot.repos.values():
        # Listing facts come only from meta.json (real 2024-07-11 listing values: tests/test_sample_hub.py).
        assert repo.meta or not ({"downloads", "likes", "createdAt", "trendingScore"} & set(repo.record))
        entry = repo.files.get("README.md")
        if entry is None:
            continue
        readmes += 1
        data = entry.read()
        assert front_matter_block(data) == data, repo.id  # the whole file is one front matter block
        lines = data.decode("utf-8-sig").replace("\r\n", "\n").strip().split("\n")
        assert lines[0].strip() == "---" and lines[-1].strip() == "---", repo.id
    assert readmes > 40
    with MirrorServer(root) as hub:
        listed = [m.id for m in _api(hub).list_models()]
    assert sorted(listed) == sorted(snapshot.repos)


def test_sample_hub_configs_are_byte_exact():
    shared = os.environ.get("HUBSCAN_SHARED")
    corpus = (
        (Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared") / "corpus" / "configs"
    )
    if not corpus.is_dir():
        pytest.skip("shared corpus not available")
    import csv

    with open(corpus / "ground_truth.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    root = sample_hub_path() / "repos"
    for row in rows[:40]:
        assert (root / row["repo_id"] / "files/config.json").read_bytes() == (
            corpus / "files" / row["file"]
        ).read_bytes()


# -- CLI --------------------------------------------------------------------------------------------


def test_cli_serve_sample_and_log(tmp_path):
    log = tmp_path / "log.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hubscan",
            "mirror",
            "serve",
            "sample",
            "--page-size",
            "50",
            "--log",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert "Serving" in line and "http://127.0.0.1:" in line
        url = line.strip().rsplit(" ", 1)[-1]
        status, headers, body = _request(f"{url}/api/models?limit=3")
        assert (
            status == 200 and len(json.loads(body)) == 3 and headers["Link"].startswith(f"<{url}/api/models?")
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode is not None
    assert json.loads(log.read_text().splitlines()[0])["path"] == "/api/models"


def test_cli_errors(tmp_path):
    from click.testing import CliRunner

    from hubscan.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["mirror", "serve", str(tmp_path / "missing")])
    assert result.exit_code != 0 and "no such directory" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["mirror", "serve", str(tmp_path)])
    assert result.exit_code != 0 and "not a Hub snapshot" in result.output
    result = runner.invoke(cli, ["mirror", "serve", "sample", "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "--allow-remote" in result.output
