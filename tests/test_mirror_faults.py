"""The mirror's fault kinds for the fault matrix, checked on the wire (docs/MIRROR.md, "Fault injection")."""

import gzip
import http.client
import json
import re
from urllib.parse import urlsplit

import pytest

from crawl_helpers import make_snapshot
from hubscan.mirror import MirrorServer
from hubscan.mirror.policy import GARBAGE_CURSOR, Fault

LISTING = "^/api/models$"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults-snap")
    make_snapshot(root, 7)
    with MirrorServer(root, page_size=3) as hub:
        yield hub


@pytest.fixture
def hub(server):
    server.clear_faults()
    yield server
    server.clear_faults()


def get(hub, path, headers=None):
    conn = http.client.HTTPConnection(urlsplit(hub.url).hostname, urlsplit(hub.url).port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def get_following(hub, path):
    """GET that follows the Hub's relative 307 to the resolve-cache hop, as the client does."""
    status, headers, body = get(hub, path)
    if status in (302, 307) and headers.get("Location", "").startswith("/"):
        return get(hub, headers["Location"])
    return status, headers, body


def next_path(headers) -> str:
    return urlsplit(re.match(r"<([^>]+)>", headers["Link"]).group(1))._replace(scheme="", netloc="").geturl()


def test_unknown_fault_kind_is_refused():
    with pytest.raises(ValueError, match="unknown fault"):
        Fault(fault="explode")
    with pytest.raises(ValueError, match="unknown fault rule keys"):
        Fault.from_dict({"fault": "reset", "bogus": 1})


def test_gzip_bomb_inflates_past_any_file_limit(hub):
    hub.add_faults([{"fault": "gzip_bomb", "size": 8 * 1024 * 1024, "path": "config.json$"}])
    status, headers, body = get_following(hub, "/author0/model-000/resolve/main/config.json")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert len(body) < 100_000 and len(gzip.decompress(body)) == 8 * 1024 * 1024


def test_truncated_page_is_a_complete_answer_with_half_the_json(hub):
    hub.add_faults([{"fault": "truncated_page", "path": LISTING}])
    status, headers, body = get(hub, "/api/models")
    assert status == 200 and int(headers["Content-Length"]) == len(body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_loop_cursor_repeats_the_page_and_garbage_cursor_breaks_the_next_one(hub):
    _, first_headers, first = get(hub, "/api/models")
    second_path = next_path(first_headers)
    hub.add_faults([{"fault": "loop_cursor", "path": LISTING}])
    _, looped_headers, second = get(hub, second_path)
    assert next_path(looped_headers) == second_path  # the next page is this page again
    assert json.loads(second) != json.loads(first)
    hub.add_faults([{"fault": "garbage_cursor", "path": LISTING}])
    _, garbage_headers, _ = get(hub, "/api/models")
    assert GARBAGE_CURSOR in urlsplit(next_path(garbage_headers)).query.replace("%25", "%")
    assert get(hub, next_path(garbage_headers))[0] == 400


def test_bad_item_patches_one_item_and_can_nest_deep(hub):
    hub.add_faults([{"fault": "bad_item", "path": LISTING, "target": "author1/model-001",
                     "patch": {"createdAt": "not-a-date", "cardData": {"$deep": 3000}}, "times": None}])  # fmt: skip
    found = None
    path = "/api/models?limit=10"
    status, _, body = get(hub, path)
    assert status == 200
    text = body.decode()
    assert "[" * 3000 + "]" * 3000 in text
    items = json.loads(text.replace("[" * 3000 + "]" * 3000, "null"))
    found = [item for item in items if item["id"] == "author1/model-001"]
    assert found and found[0]["createdAt"] == "not-a-date"
    assert all(item.get("createdAt") != "not-a-date" for item in items if item["id"] != "author1/model-001")


def test_reset_redirect_and_trickle(hub):
    hub.add_faults([{"fault": "reset", "path": "model-000/resolve"}])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(hub, "/author0/model-000/resolve/main/config.json")
    hub.add_faults(
        [{"fault": "redirect", "status": 302, "location": "/elsewhere", "path": "model-001/resolve"}]
    )
    status, headers, _ = get(hub, "/author1/model-001/resolve/main/config.json")
    assert status == 302 and headers["Location"] == "/elsewhere"
    clean = get_following(hub, "/author2/model-002/resolve/main/config.json")[2]
    assert clean.startswith(b"{")
    hub.add_faults([{"fault": "trickle", "seconds": 0.001, "path": "model-002/resolve"}])
    assert get_following(hub, "/author2/model-002/resolve/main/config.json")[2] == clean
