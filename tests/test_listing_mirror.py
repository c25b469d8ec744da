"""``hubscan mirror serve --listing FILE``: a listing-only Hub from JSON lines, through the real client."""

import gzip
import json
import subprocess
import sys
import urllib.error
import urllib.request

from crawl_helpers import listing_record, write_listing
from hubscan.mirror import MirrorServer
from hubscan.source.hub import HubSource


def test_listing_file_is_served_in_file_order_with_sort_search_and_pagination(tmp_path):
    records = [listing_record(i) for i in range(25)]
    records.append("not json at all")
    path = tmp_path / "l.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    with MirrorServer(path, page_size=10) as hub:
        assert hub.repo_count == 25
        source = HubSource(endpoint=hub.url)
        assert [x.id for x in source.iter_models()] == [r["id"] for r in records[:25]]
        by_downloads = [x.downloads for x in source.iter_models(sort="downloads")]
        assert by_downloads == sorted((r["downloads"] for r in records[:25]), reverse=True)
        assert {x.id for x in source.iter_models(author="org1")} == {
            r["id"] for r in records[:25] if r["id"].startswith("org1/")
        }
        assert [x.id for x in source.iter_models(search="m0007")] == ["org1/m0007"]
        assert len([r for r in hub.request_log if r["path"] == "/api/models"]) >= 3 + 3
        status = urllib.request.Request(f"{hub.url}/org1/m0007/resolve/main/config.json")
        try:
            urllib.request.urlopen(status, timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code in (401, 404)


def test_mirror_serve_listing_cli(tmp_path):
    write_listing(tmp_path / "l.jsonl", [listing_record(i) for i in range(7)])
    command = [sys.executable, "-m", "hubscan", "mirror", "serve", "--listing", str(tmp_path / "l.jsonl")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("Serving 7 repos from") and " on http://127.0.0.1:" in line
        url = line.rsplit(" on ", 1)[1].strip()
        with urllib.request.urlopen(f"{url}/api/models?limit=3", timeout=10) as response:
            assert [item["id"] for item in json.load(response)] == [f"org{i % 3}/m{i:04d}" for i in range(3)]
    finally:
        process.terminate()
        process.wait(timeout=30)
    both = subprocess.run([*command, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert both.returncode == 2 and "either SNAPSHOT_DIR or --listing" in both.stderr
