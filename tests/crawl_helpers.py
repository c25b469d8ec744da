"""Building small snapshots for crawler tests."""

import json

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
