"""Kill a crawl with SIGKILL at random instants, resume it, and check the catalog equals a clean crawl.

Usage: python scripts/chaos.py [--instants 100] [--models 40] [--seed N]

Each instant: a fresh catalog, ``hubscan crawl`` (a subprocess, through the real client, against the local
mirror) killed once it has stored a random number of file outcomes plus a random few milliseconds, then the
same crawl run to completion. The resumed catalog must equal an uninterrupted crawl of the same snapshot: ids,
config text, card data and bodies, statuses and derived rows; no orphan rows, no duplicates, no run left
``running``. ``tests/test_kill_resume.py`` runs the same check at 10 instants in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hubscan.mirror import MirrorServer, write_repo

CONFIG = {
    "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_attention_heads": 4,
    "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 128, "tie_word_embeddings": False,
}  # fmt: skip

COMPARED = {
    "models": "SELECT id, author, sha, model_type, tags, base_models, config_subset, gated FROM models",
    "configs": "SELECT model_id, sha, status, raw, error FROM configs",
    "cards": "SELECT model_id, sha, card_data, body, body_status FROM cards",
    "files": "SELECT model_id, path, sha, etag, size_bytes, status FROM files",
    "footprints": "SELECT model_id, params_total, params_confidence FROM footprints",
    "reported_emissions": "SELECT model_id, emissions_g FROM reported_emissions",
}
ORPHANS = {
    "configs without a model": "SELECT COUNT(*) FROM configs WHERE model_id NOT IN (SELECT id FROM models)",
    "cards without a model": "SELECT COUNT(*) FROM cards WHERE model_id NOT IN (SELECT id FROM models)",
    "files without a model": "SELECT COUNT(*) FROM files WHERE model_id NOT IN (SELECT id FROM models)",
    "footprints without a model": "SELECT COUNT(*) FROM footprints WHERE model_id NOT IN (SELECT id FROM models)",
    "config.json ok without a configs row": "SELECT COUNT(*) FROM files f WHERE f.path = 'config.json' AND "
    "f.status = 'ok' AND NOT EXISTS (SELECT 1 FROM configs c WHERE c.model_id = f.model_id AND c.sha = f.sha)",
    "README.md ok without a body": "SELECT COUNT(*) FROM files f WHERE f.path = 'README.md' AND f.status = 'ok' "
    "AND NOT EXISTS (SELECT 1 FROM cards k WHERE k.model_id = f.model_id AND k.body IS NOT NULL)",
}
DUPLICATES = {
    "files": "SELECT COUNT(*) FROM (SELECT 1 FROM files GROUP BY model_id, path HAVING COUNT(*) > 1)",
    "footprints": "SELECT COUNT(*) FROM (SELECT 1 FROM footprints GROUP BY model_id HAVING COUNT(*) > 1)",
    "lineage": "SELECT COUNT(*) FROM (SELECT 1 FROM lineage GROUP BY model_id HAVING COUNT(*) > 1)",
}


def build_snapshot(root: Path, models: int) -> list[str]:
    ids = []
    for i in range(models):
        repo_id = f"org{i % 4}/chaos-{i:03d}"
        config = {**CONFIG, "num_hidden_layers": 1 + i % 5}
        card = f"---\nlicense: mit\nco2_eq_emissions: {i + 1}\nbase_model: org0/chaos-000\n---\n# Model {i}\n"
        files = {"config.json": json.dumps(config)}
        if i % 7 != 3:  # some repos have no README
            files["README.md"] = card
        write_repo(root, repo_id, files=files, meta={"downloads": 10 * i})
        ids.append(repo_id)
    return ids


def crawl_command(url: str, db_path: Path) -> list[str]:
    return [
        sys.executable, "-m", "hubscan", "crawl", "--endpoint", url, "--db", str(db_path), "--workers", "4",
        "--cards", "full", "--quiet",
    ]  # fmt: skip


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


def stored_outcomes(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=0.2)
        try:
            return conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or mid-migration
        return 0


def snapshot_of(db_path: Path) -> dict[str, list]:
    conn = sqlite3.connect(db_path)
    try:
        return {table: sorted(conn.execute(sql).fetchall(), key=repr) for table, sql in COMPARED.items()}
    finally:
        conn.close()


def problems(db_path: Path, clean: dict[str, list]) -> list[str]:
    """Everything that differs from a clean crawl, as sentences; empty when the catalog is right."""
    found = []
    got = snapshot_of(db_path)
    for table, rows in clean.items():
        if got[table] != rows:
            missing = len(set(map(repr, rows)) - set(map(repr, got[table])))
            extra = len(set(map(repr, got[table])) - set(map(repr, rows)))
            found.append(f"{table}: {missing} row(s) missing or different, {extra} unexpected")
    conn = sqlite3.connect(db_path)
    try:
        for name, sql in {**ORPHANS, **{f"duplicate {k}": v for k, v in DUPLICATES.items()}}.items():
            count = conn.execute(sql).fetchone()[0]
            if count:
                found.append(f"{count} {name}")
        running = conn.execute("SELECT COUNT(*) FROM crawl_runs WHERE status = 'running'").fetchone()[0]
        if running:
            found.append(f"{running} run(s) left running")
    finally:
        conn.close()
    return found


def clean_crawl(url: str, workdir: Path) -> dict[str, list]:
    db_path = workdir / "clean.db"
    subprocess.run(crawl_command(url, db_path), env=_env(), check=True, capture_output=True, timeout=300)
    return snapshot_of(db_path)


def kill_and_resume(url: str, db_path: Path, after: int, jitter: float, timeout: float = 120) -> dict:
    """Kill the crawl once ``after`` file outcomes are stored (+``jitter`` s), then resume it to the end."""
    process = subprocess.Popen(crawl_command(url, db_path), env=_env(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while stored_outcomes(db_path) < after and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(jitter)
    finished_before_kill = process.poll() is not None
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()
    at_kill = stored_outcomes(db_path)
    resumed = subprocess.run(crawl_command(url, db_path), env=_env(), capture_output=True, timeout=timeout)
    return {
        "after": after, "jitter": round(jitter, 4), "stored_at_kill": at_kill,
        "finished_before_kill": finished_before_kill, "resume_exit": resumed.returncode,
        "resume_stderr": resumed.stderr.decode(errors="replace")[-500:],
    }  # fmt: skip


def run(instants: int, models: int, seed: int, workdir: Path, report=print) -> list[dict]:
    """Returns one record per instant, each with its ``problems`` (empty = the catalog equals a clean crawl)."""
    rng = random.Random(seed)
    snapshot = workdir / "snapshot"
    ids = build_snapshot(snapshot, models)
    total_files = 2 * len(ids)
    results = []
    with MirrorServer(snapshot, page_size=8, latency_ms=5) as hub:
        clean = clean_crawl(hub.url, workdir)
        for i in range(instants):
            db_path = workdir / f"kill-{i:03d}.db"
            record = kill_and_resume(hub.url, db_path, rng.randint(1, total_files - 1), rng.uniform(0, 0.05))
            record["problems"] = problems(db_path, clean)
            if record["resume_exit"] != 0:
                record["problems"].append(f"resume exited {record['resume_exit']}: {record['resume_stderr']}")
            results.append(record)
            report(f"instant {i}: kill after {record['after']} (+{record['jitter']}s), {record['stored_at_kill']} "
                   f"stored at kill: {'; '.join(record['problems']) or 'ok'}")  # fmt: skip
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instants", type=int, default=100)
    parser.add_argument("--models", type=int, default=40)
    parser.add_argument("--seed", type=int, default=None, help="Random seed (default: random, printed).")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"seed {seed}", flush=True)
    with tempfile.TemporaryDirectory(prefix="hubscan-chaos-") as tmp:
        results = run(args.instants, args.models, seed, Path(tmp))
    bad = [r for r in results if r["problems"]]
    print(f"{len(results) - len(bad)} of {len(results)} instants ended equal to a clean crawl.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
