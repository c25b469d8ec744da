"""Building small snapshots for crawler tests."""

import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hubscan.mirror import write_repo


def llama_config(layers: int = 2, hidden: int = 64) -> str:
    return json.dumps(
        {
            "model_type": "llama",
            "architectures": ["LlamaForCausalLM"],
            "hidden_size": hidden,
            "num_hidden_layers": layers,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "intermediate_size": 2 * hidden,
            "vocab_size": 128,
            "tie_word_embeddings": False,
        }
    )


def make_snapshot(root, count: int, *, with_readme: bool = True) -> list[str]:
    """``count`` small llama repos over three authors; returns their ids."""
    ids = []
    for i in range(count):
        repo_id = f"author{i % 3}/model-{i:03d}"
        files = {"config.json": llama_config(layers=1 + i % 4)}
        if with_readme:
            files["README.md"] = f"---\nlicense: apache-2.0\nco2_eq_emissions: {10 + i}\n---\n"
        write_repo(root, repo_id, files=files, meta={})
        ids.append(repo_id)
    return ids


def file_requests(log, name: str = "config.json") -> list[str]:
    return [r["path"] for r in log if "/resolve/" in r["path"] and r["path"].endswith("/" + name)]


def settled_log(hub, count: int, timeout: float = 10.0) -> list[dict]:
    """The mirror's log once it holds ``count`` requests (it records a request after sending the response)."""
    deadline = time.monotonic() + timeout
    while len(hub.request_log) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return hub.request_log


def cache_hops(log) -> list[dict]:
    """Requests that followed a resolve's 307 to the resolve cache (or an LFS 302 to the CDN): not metered."""
    return [r for r in log if r["path"].startswith(("/api/resolve-cache/", "/cdn/"))]


def metered_requests(log) -> list[dict]:
    """Requests the Hub counts against a quota (listing pages, resolves): everything but cache hops."""
    return [r for r in log if not r["path"].startswith(("/api/resolve-cache/", "/cdn/"))]


def listing_requests(log) -> list[dict]:
    return [r for r in log if r["path"] == "/api/models"]


def catalog_rows(db) -> dict:
    """Catalog content without timestamps and run bookkeeping, for comparing two crawls."""
    return {
        "models": sorted(
            db.execute(
                "SELECT id, author, sha, model_type, tags, base_models, config_subset, gated FROM models"
            ).fetchall()
        ),
        "configs": sorted(db.execute("SELECT model_id, sha, status, raw FROM configs").fetchall()),
        "cards": sorted(db.execute("SELECT model_id, sha, card_data, body FROM cards").fetchall()),
        "files": sorted(
            db.execute("SELECT model_id, path, sha, etag, size_bytes, status FROM files").fetchall()
        ),
    }


def write_listing(path, records) -> None:
    """A JSON-lines listing file for ``MirrorServer(path)`` (a listing-only Hub)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def listing_record(i: int, **extra) -> dict:
    record = {
        "_id": f"{i:024x}",
        "id": f"org{i % 3}/m{i:04d}",
        "likes": i % 7,
        "private": False,
        "downloads": (i * 7919) % 1000,
        "tags": ["transformers"],
        "createdAt": f"2024-01-{1 + i % 28:02d}T00:00:00.000Z",
    }
    record.update(extra)
    return record


def cursor_of(request: dict) -> str | None:
    """The cursor a listing request asked for (None: the first page)."""
    for part in request["query"].split("&"):
        if part.startswith("cursor="):
            return part[len("cursor=") :]
    return None


def stored_invariants(db_path) -> dict:
    """Orphans and duplicates a kill must never leave (read-only: safe while a crawl runs)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "config_ok_without_content": q(
                "SELECT count(*) FROM files f WHERE f.path = 'config.json' AND f.status = 'ok' AND NOT EXISTS "
                "(SELECT 1 FROM configs c WHERE c.model_id = f.model_id AND c.sha IS f.sha AND c.raw IS NOT NULL)"
            ),
            "card_ok_without_body": q(
                "SELECT count(*) FROM files f WHERE f.path = 'README.md' AND f.status = 'ok' AND NOT EXISTS "
                "(SELECT 1 FROM cards k WHERE k.model_id = f.model_id AND k.body_status = 'ok' AND k.body IS NOT NULL)"
            ),
            "duplicate_models": q("SELECT count(*) - count(DISTINCT id) FROM models"),
            "models": q("SELECT count(*) FROM models"),
            "files_without_model": q(
                "SELECT count(*) FROM files f WHERE NOT EXISTS (SELECT 1 FROM models m WHERE m.id = f.model_id)"
            ),
        }
    except sqlite3.OperationalError:  # the schema is not created yet
        return {"models": 0}
    finally:
        conn.close()


class RawJSON(str):
    """A page body sent as it is (for bodies ``json.dumps`` could not produce)."""


class ScriptedListing:
    """A loopback server answering ``/api/models`` from a script of pages: {cursor or "": (items, next)}.

    For listing shapes the mirror never produces on its own (e.g. a cursor that loops back)."""

    def __init__(self, pages: dict[str, tuple[list, str | None]]):
        self.pages = pages
        self.requests: list[str] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = self.path.partition("?")[2]
                cursor = next((p[7:] for p in query.split("&") if p.startswith("cursor=")), "")
                script.requests.append(cursor)
                items, nxt = script.pages[cursor]
                body = (items if isinstance(items, RawJSON) else json.dumps(items)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if nxt is not None:
                    host = self.headers.get("Host")
                    self.send_header("Link", f'<http://{host}/api/models?cursor={nxt}>; rel="next"')
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
