"""Query benchmark: build a synthetic catalog of N models, time every aggregate in hubscan (SQLite) and in
DuckDB reading the **same SQLite file** (its sqlite scanner), in the same run, and time the export.

    python scripts/bench_query.py                       # 1,000,000 models in /tmp/hubscan-bench.db
    python scripts/bench_query.py --models 100000 --db /tmp/small.db --keep
    python scripts/bench_query.py --reuse --db /tmp/small.db --export /tmp/export   # re-time, export too

DuckDB is the peer, not a dependency: ``pip install 'hubscan[bench]'`` (duckdb==1.5.5 and the PyPI package
duckdb-extension-sqlite-scanner==1.5.5, which installs the sqlite extension without a download). Without it
the hubscan side still runs.

The synthetic catalog follows the shape of the real Hub: a long tail of authors, a handful of architectures
holding most repos (llama/qwen2/mistral/bert/...), log-normal sizes per architecture, ~45% of repos derived
from a few thousand popular bases (fine-tunes, adapters, quantisations, merges, chains of them), ~2% with a
reported training-emissions figure. Each query is timed first run and best of 3 (``--repeat``), the two
engines' calls interleaved (hubscan, DuckDB, DuckDB, hubscan, hubscan, DuckDB, ...) so that the load of the
moment reaches both alike; the ratio column is hubscan / DuckDB of the best times (below 1: hubscan is faster). The machine's load average is printed
before and after, since other processes change every number.
"""

from __future__ import annotations

import argparse
import bisect
import glob
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from hubscan.derive.families import GROUPINGS, maintain_family_stats
from hubscan.derive.lineage import resolve_lineage
from hubscan.report import query
from hubscan.store import open_db, open_db_read_only
from hubscan.store.history import mark_members_stale

# (model_type, share of repos, median params, log-sd, pipeline_tag, library, kv bytes/token per 1e9 params)
ARCHS = [
    ("llama", 0.22, 8e9, 1.0, "text-generation", "transformers", 131072 / 8),
    ("qwen2", 0.14, 7e9, 1.1, "text-generation", "transformers", 57344 / 7),
    ("mistral", 0.07, 7e9, 0.4, "text-generation", "transformers", 131072 / 7),
    ("gemma2", 0.04, 9e9, 0.6, "text-generation", "transformers", 376832 / 9),
    ("phi3", 0.03, 3.8e9, 0.5, "text-generation", "transformers", 393216 / 3.8),
    ("gpt2", 0.05, 1.24e8, 0.8, "text-generation", "transformers", 36864 / 0.124),
    ("bert", 0.09, 1.1e8, 0.7, "fill-mask", "transformers", 0.0),
    ("roberta", 0.04, 1.25e8, 0.6, "text-classification", "transformers", 0.0),
    ("t5", 0.03, 2.5e8, 1.2, "text2text-generation", "transformers", 0.0),
    ("whisper", 0.02, 2.4e8, 1.0, "automatic-speech-recognition", "transformers", 0.0),
    ("vit", 0.02, 8.6e7, 0.6, "image-classification", "transformers", 0.0),
    ("mixtral", 0.01, 4.67e10, 0.3, "text-generation", "transformers", 131072 / 46.7),
    ("qwen2_moe", 0.01, 1.43e10, 0.8, "text-generation", "transformers", 24576 / 14.3),
    ("stable-diffusion", 0.04, 8.6e8, 0.5, "text-to-image", "diffusers", 0.0),
    (None, 0.19, 0.0, 0.0, None, None, 0.0),  # no config.json / unknown architecture
]
RELATIONS = [("finetune", 0.55), ("adapter", 0.25), ("quantized", 0.15), ("merge", 0.05)]
VERDICTS = ["consistent", "below", "above", "likely unit error", "not comparable"]
COMPLETENESS = ["template_only", "emissions_only", "emissions_context", "complete"]


def _pick(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def build_synthetic(path: Path, n: int, seed: int = 0) -> dict[str, float]:
    """Write a synthetic catalog of ``n`` models to ``path``; return the seconds of each build step."""
    t0 = time.perf_counter()
    if path.exists():
        path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = open_db(path)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")
    rng = random.Random(seed)
    arch_weights = [a[1] for a in ARCHS]
    n_authors = max(10, n // 12)
    authors = [f"user{i:06d}" for i in range(n_authors)]
    author_weights = [1.0 / (i + 1) ** 0.9 for i in range(n_authors)]
    cum_authors = list(_accumulate(author_weights))
    ids: list[str] = []
    arch_of: list[int] = []
    models, footprints, reported, estimated = [], [], [], []
    roots_by_arch: dict[int, list[int]] = {}
    for i in range(n):
        author = authors[_bisect_pick(rng, cum_authors)]
        model_id = f"{author}/model-{i:07d}"
        a = _pick(rng, range(len(ARCHS)), arch_weights)
        mt, _, median, sd, task, lib, kv_per_b = ARCHS[a]
        ids.append(model_id)
        arch_of.append(a)
        base = None
        pool = roots_by_arch.setdefault(a, [])
        if mt is not None and pool and rng.random() < 0.45:
            parent = pool[min(int(rng.paretovariate(1.1)) - 1, len(pool) - 1)]
            relation = _pick(rng, [r for r, _ in RELATIONS], [w for _, w in RELATIONS])
            parents = [ids[parent]]
            if relation == "merge":
                parents.append(ids[rng.choice(pool)])
            base = json.dumps({"relation": relation, "models": parents})
        elif mt is not None and rng.random() < 0.05:
            base = json.dumps({"relation": "finetune", "models": [f"external-org/base-{rng.randrange(200)}"]})
        if mt is not None and (len(pool) < 5000 and rng.random() < 0.3 or rng.random() < 0.002):
            pool.append(i)
        downloads = int(rng.paretovariate(0.8)) - 1 if rng.random() < 0.9 else None
        created = f"{rng.randrange(2019, 2026)}-{rng.randrange(1, 13):02d}-15T00:00:00Z"
        params = None
        if mt is not None:
            params = int(math.exp(rng.gauss(math.log(median), sd)))
        storage = int(params * 2 * rng.uniform(0.5, 2.5)) if params else rng.randrange(1000, 10**7)
        models.append(
            (model_id, author, created, downloads, task, lib, mt, base, storage, params if params else None)
        )
        if params:
            active = params if "moe" not in mt and mt != "mixtral" else params // 4
            kv = int(kv_per_b * params / 1e9) if kv_per_b else 0
            ctx = 4096 if kv else 512
            footprints.append(
                (
                    model_id,
                    mt,
                    params,
                    active,
                    params // 10,
                    "bf16",
                    params * 2,
                    params * 4,
                    params * 2,
                    params,
                    (params + 1) // 2,  # ceil, as hubscan.estimate.memory.weights_bytes rounds
                    kv,
                    ctx,
                    kv * ctx,
                    params * 2 + kv * ctx,
                    params * 16,
                    2.0 * active,
                )
            )
        if rng.random() < 0.02:
            completeness = _pick(rng, COMPLETENESS, [0.2, 0.4, 0.3, 0.1])
            grams = None if completeness == "template_only" else 10 ** rng.uniform(1, 8)
            reported.append((model_id, grams, "card_data", completeness, "[]"))
            if params and grams is not None:
                central = grams * 10 ** rng.gauss(0, 0.7)
                ratio = grams / central
                verdict = _pick(rng, VERDICTS, [0.5, 0.2, 0.15, 0.05, 0.1])
                estimated.append(
                    (
                        model_id,
                        "flops",
                        1,
                        central / 3,
                        central,
                        central * 3,
                        grams,
                        ratio,
                        verdict,
                        "synthetic",
                    )
                )
    conn.executemany(
        "INSERT INTO models (id, author, created_at, downloads, pipeline_tag, library_name, model_type, "
        "base_models, used_storage, safetensors_total) VALUES (?,?,?,?,?,?,?,?,?,?)",
        models,
    )
    conn.executemany(
        "INSERT INTO footprints (model_id, model_type, params_total, params_active, params_embedding, dtype, "
        "weights_bytes, weights_bytes_fp32, weights_bytes_bf16, weights_bytes_int8, weights_bytes_int4, "
        "kv_bytes_per_token, context, kv_cache_bytes, inference_bytes, training_bytes, flops_per_token) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        footprints,
    )
    conn.executemany(
        "INSERT INTO reported_emissions (model_id, emissions_g, found_in, completeness, flags) VALUES (?,?,?,?,?)",
        reported,
    )
    conn.executemany(
        "INSERT INTO estimated_emissions (model_id, method, estimable, emissions_g_low, emissions_g_central, "
        "emissions_g_high, reported_g, ratio, verdict, verdict_reason) VALUES (?,?,?,?,?,?,?,?,?,?)",
        estimated,
    )
    conn.commit()
    timings = {"inserts": time.perf_counter() - t0}
    t = time.perf_counter()
    lineage = resolve_lineage(db)
    timings["lineage"] = time.perf_counter() - t
    t = time.perf_counter()
    rows = maintain_family_stats(db)
    timings["family stats (first build)"] = time.perf_counter() - t
    conn.execute("ANALYZE")
    conn.commit()
    print(
        f"build: inserts {timings['inserts']:.1f} s, resolve_lineage {timings['lineage']:.1f} s "
        f"({lineage['families']:,} lineage roots), family members + rollup {timings['family stats (first build)']:.1f} s "
        f"({rows:,} family rows)"
    )
    timings["incremental (1,000 models changed)"] = _incremental(db, n)
    db.close()
    return timings


def _incremental(db, n: int) -> float:
    """A crawl that changes 1,000 models: their family rows go stale; only their families are recomputed."""
    ids = [row[0] for row in db.execute("SELECT id FROM models ORDER BY random() LIMIT 1000")]
    with db.conn:
        db.conn.executemany(
            "UPDATE models SET downloads = COALESCE(downloads, 0) + 1 WHERE id = ?", [(i,) for i in ids]
        )
        mark_members_stale(db, ids)
    t = time.perf_counter()
    maintain_family_stats(db)
    took = time.perf_counter() - t
    print(f"incremental refresh after 1,000 changed models (of {n:,}): {took:.1f} s")
    return took


def _accumulate(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


def _bisect_pick(rng: random.Random, cum: list[float]) -> int:
    return min(bisect.bisect_left(cum, rng.random() * cum[-1]), len(cum) - 1)


def _cpu() -> float:
    """CPU seconds this process used so far, every thread (DuckDB's and SQLite's) included, and the worker
    processes hubscan forks for a query (counted once they have exited, which they have when it returns)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _timed(fn) -> tuple[float, object, float]:
    """(wall time, result, CPU time) of one call."""
    t0, c0 = time.perf_counter(), _cpu()
    result = fn()
    return time.perf_counter() - t0, result, _cpu() - c0


def _time(*fns, repeat: int = 3) -> list[tuple[float, float, object, float]]:
    """Per function: (first wall time, best wall time, result, least CPU time) of ``repeat`` calls. With
    several functions the calls are interleaved (round 1: each in turn; then the order reversed every other
    round), so that a change of the machine's load during the run reaches every engine alike instead of
    the one timed at that moment. On a machine shared with other jobs the CPU time moves less than the wall
    time with the load."""
    out = [None] * len(fns)
    for round_ in range(repeat):
        order = range(len(fns)) if round_ % 2 == 0 else reversed(range(len(fns)))
        for i in order:
            wall, result, cpu = _timed(fns[i])
            if out[i] is None:
                out[i] = (wall, wall, result, cpu)
            else:
                first, best, kept, least = out[i]
                out[i] = (first, min(best, wall), kept, min(least, cpu))
    return out


# --- DuckDB on the same SQLite file --------------------------------------------------------------------

MEMBERS = """
SELECT {family} AS family, COALESCE(f.params_total, m.safetensors_total, m.gguf_total) AS params,
       f.params_active, {weights} AS weights_bytes, {kv} AS kv, m.used_storage AS storage, m.downloads,
       (r.emissions_g IS NOT NULL)::INT AS reporting, l.relation
FROM models m LEFT JOIN footprints f ON f.model_id = m.id LEFT JOIN lineage l ON l.model_id = m.id
LEFT JOIN reported_emissions r ON r.model_id = m.id {where}"""
FOOTPRINT = """
SELECT family, COUNT(*) AS models, quantile_cont(params, 0.1) AS params_p10,
       quantile_cont(params, 0.5) AS params_median, quantile_cont(params, 0.9) AS params_p90,
       MAX(params) AS params_max, SUM(params) AS params_total, quantile_cont(params_active, 0.5),
       SUM(params_active), quantile_cont(weights_bytes, 0.5) AS weights_bytes_median, SUM(weights_bytes),
       quantile_cont(kv, 0.5) AS kv_cache_bytes_median, MAX(kv), SUM(storage), SUM(downloads), COUNT(downloads),
       SUM(reporting), COUNT(*) FILTER (WHERE relation = 'finetune'), COUNT(*) FILTER (WHERE relation = 'adapter'),
       COUNT(*) FILTER (WHERE relation = 'quantized'), COUNT(*) FILTER (WHERE relation = 'merge')
FROM ({members}) GROUP BY family ORDER BY models DESC, family"""
PARAMS = "COALESCE(f.params_total, m.safetensors_total, m.gguf_total)"

DUCK_SUMMARY = [
    "SELECT COUNT(*) FROM models",
    "SELECT COUNT(*), COUNT(emissions_g), SUM(emissions_g) FROM reported_emissions",
    "SELECT COALESCE(completeness, 'none'), COUNT(*), COUNT(emissions_g), SUM(emissions_g) FROM reported_emissions GROUP BY 1",
    *(
        f"SELECT {key}, COUNT(*), SUM(r.emissions_g), MIN(r.emissions_g), MAX(r.emissions_g) FROM reported_emissions r "
        "JOIN models m ON m.id = r.model_id LEFT JOIN footprints f ON f.model_id = m.id WHERE r.emissions_g IS NOT NULL "
        "GROUP BY 1 ORDER BY 3 DESC"
        for key in (
            GROUPINGS["model_type"],
            "COALESCE(substr(m.created_at, 1, 4), 'unknown')",
            GROUPINGS["pipeline_tag"],
        )
    ),
    "SELECT COALESCE(e.verdict, 'not estimated'), COUNT(*), SUM(r.emissions_g), SUM(e.emissions_g_central) "
    "FROM reported_emissions r LEFT JOIN estimated_emissions e ON e.model_id = r.model_id "
    "WHERE r.emissions_g IS NOT NULL GROUP BY 1",
    "SELECT COALESCE(verdict, 'not estimated'), quantile_cont(ratio, 0.5) FROM estimated_emissions "
    "WHERE reported_g IS NOT NULL AND ratio IS NOT NULL GROUP BY 1",
]
DUCK_EMISSIONS = f"""
SELECT m.id, {GROUPINGS["model_type"]}, r.emissions_g, r.completeness, r.found_in, e.method, e.emissions_g_low,
       e.emissions_g_central, e.emissions_g_high, e.ratio, e.verdict, e.verdict_reason
FROM models m LEFT JOIN footprints f ON f.model_id = m.id LEFT JOIN lineage l ON l.model_id = m.id
LEFT JOIN reported_emissions r ON r.model_id = m.id LEFT JOIN estimated_emissions e ON e.model_id = m.id
WHERE r.emissions_g IS NOT NULL OR e.verdict IS NOT NULL ORDER BY m.id"""


def duckdb_connection(path: Path):
    """DuckDB attached to the SQLite catalog (read-only), or None when the bench extra is not installed."""
    try:
        import duckdb  # noqa: PLC0415 - the benchmark's optional peer
        import duckdb_extension_sqlite_scanner  # noqa: PLC0415
    except ImportError:
        return None
    found = glob.glob(
        os.path.join(
            os.path.dirname(duckdb_extension_sqlite_scanner.__file__),
            "extensions",
            "**",
            "*.duckdb_extension*",
        ),
        recursive=True,
    )
    con = duckdb.connect()
    con.execute(f"LOAD '{found[0]}'")
    con.execute(f"ATTACH '{path}' AS catalog (TYPE sqlite, READ_ONLY)")
    con.execute("USE catalog")
    return con


def duck_footprint(
    con, by: str, where: str = "", weights: str = "f.weights_bytes", kv: str = "f.kv_cache_bytes"
):
    members = MEMBERS.format(family=GROUPINGS[by], weights=weights, kv=kv, where=where)
    return con.execute(FOOTPRINT.format(members=members)).fetchall()


def cases(db, con, author: str) -> dict[str, tuple]:
    """name -> (hubscan call, DuckDB call); both return rows (families first by model count)."""
    int4 = f"CAST(COALESCE(f.weights_bytes_int4, ceil({PARAMS} * 0.5)) AS DOUBLE)"
    return {
        "footprint --by model_type": (
            lambda: query.footprint(db, "model_type"), lambda: duck_footprint(con, "model_type")),
        "footprint --by lineage": (lambda: query.footprint(db, "lineage"), lambda: duck_footprint(con, "lineage")),
        "footprint --by author": (lambda: query.footprint(db, "author"), lambda: duck_footprint(con, "author")),
        "footprint --by model_type --dtype int4 --context 32768": (
            lambda: query.footprint(db, "model_type", dtype="int4", context=32768),
            lambda: duck_footprint(con, "model_type", weights=int4, kv="f.kv_bytes_per_token * 32768")),
        "footprint --by lineage --min-params 1e9": (
            lambda: query.footprint(db, "lineage", min_params=1e9),
            lambda: duck_footprint(con, "lineage", where=f"WHERE {PARAMS} >= 1e9")),
        "footprint --by model_type --min-params 1e9": (
            lambda: query.footprint(db, "model_type", min_params=1e9),
            lambda: duck_footprint(con, "model_type", where=f"WHERE {PARAMS} >= 1e9")),
        "footprint --by author --min-params 1e9": (
            lambda: query.footprint(db, "author", min_params=1e9),
            lambda: duck_footprint(con, "author", where=f"WHERE {PARAMS} >= 1e9")),
        "footprint --by author --task text-generation": (
            lambda: query.footprint(db, "author", task="text-generation"),
            lambda: duck_footprint(con, "author", where="WHERE m.pipeline_tag = 'text-generation'")),
        "footprint --by author --task text-generation --min-params 1e9": (
            lambda: query.footprint(db, "author", task="text-generation", min_params=1e9),
            lambda: duck_footprint(
                con, "author", where=f"WHERE m.pipeline_tag = 'text-generation' AND {PARAMS} >= 1e9")),
        "footprint --by model_type --task text-generation --min-params 1e9": (
            lambda: query.footprint(db, "model_type", task="text-generation", min_params=1e9),
            lambda: duck_footprint(
                con, "model_type", where=f"WHERE m.pipeline_tag = 'text-generation' AND {PARAMS} >= 1e9")),
        f"footprint --by lineage --task text-generation --author {author}": (
            lambda: query.footprint(db, "lineage", task="text-generation", author=author),
            lambda: duck_footprint(
                con, "lineage", where=f"WHERE m.pipeline_tag = 'text-generation' AND m.author = '{author}'")),
        f"footprint --by model_type --author {author}": (
            lambda: query.footprint(db, "model_type", author=author),
            lambda: duck_footprint(con, "model_type", where=f"WHERE m.author = '{author}'")),
        "emissions --summary": (
            lambda: query.emissions_summary(db), lambda: [con.execute(sql).fetchall() for sql in DUCK_SUMMARY]),
        "emissions (per model)": (lambda: query.emissions(db), lambda: con.execute(DUCK_EMISSIONS).fetchall()),
    }  # fmt: skip


def agree(name: str, ours, theirs) -> bool:
    """The two engines give the same answer: families, counts and medians (footprint cases), reporting
    models (summary), rows (per model)."""
    if name == "emissions --summary":
        return ours["overview"][2]["value"] == theirs[1][0][1]
    if not name.startswith("footprint"):
        return len(ours) == len(theirs)
    keys = ("models", "params_median", "weights_bytes_median", "kv_cache_bytes_median")
    mine = {r["family"]: tuple(r[k] for k in keys) for r in ours}
    duck = {r[0]: (r[1], r[3], r[9], r[11]) for r in theirs}
    if mine.keys() != duck.keys():
        return False
    return all(
        a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))
        for family in mine
        for a, b in zip(mine[family], duck[family], strict=True)
    )


def run_cases(db_path: Path, only: str | None = None, repeat: int = 3) -> list[dict]:
    db = open_db_read_only(db_path)
    con = duckdb_connection(db_path)
    author = db.execute("SELECT author FROM models GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
    results = []
    for name, (ours, theirs) in cases(db, con, author).items():
        if only and only not in name:
            continue
        timed = _time(ours, theirs, repeat=repeat) if con is not None else _time(ours, repeat=repeat)
        first, best, rows, cpu = timed[0]
        row = {"query": name, "hubscan_first": first, "hubscan_best": best, "hubscan_cpu": cpu}
        if con is not None:
            d_first, d_best, d_rows, d_cpu = timed[1]
            row.update(
                duckdb_first=d_first, duckdb_best=d_best, ratio=best / d_best, agree=agree(name, rows, d_rows),
                duckdb_cpu=d_cpu,
            )  # fmt: skip
        results.append(row)
        duck = (
            f"   DuckDB first {row['duckdb_first']:7.2f} s best {row['duckdb_best']:7.2f} s   "
            f"ratio {row['ratio']:.2f}  {'same results' if row['agree'] else 'RESULTS DIFFER'}   "
            f"CPU {cpu:.2f} s vs {row['duckdb_cpu']:.2f} s"
            if con is not None
            else ""
        )
        print(f"{name:58s} hubscan first {first:7.2f} s best {best:7.2f} s{duck}", flush=True)
    db.close()
    return results


EXPORT_CHILD = """
import sys
from hubscan.cli import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
finally:
    # The peak of this process's own memory (VmHWM is reset by exec; getrusage's maximum is not, and would
    # count the benchmark's pages copied by the fork).
    status = open("/proc/self/status").read()
    print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), file=sys.stderr)
"""


def run_export(db_path: Path, out: Path) -> None:
    """`hubscan export` in a child process: wall time and the child's own peak resident memory (VmHWM)."""
    t = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", EXPORT_CHILD, "export", str(out), "--db", str(db_path)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    took = time.perf_counter() - t
    peak_mb = int(child.stderr.strip().splitlines()[-1]) / 1024
    size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    print(f"export (Parquet, zstd) {took:.1f} s, peak RSS {peak_mb:.0f} MB, {size:.0f} MB written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-bench.db"))
    parser.add_argument(
        "--reuse", action="store_true", help="time an existing catalog at --db, do not rebuild"
    )
    parser.add_argument("--keep", action="store_true", help="keep the catalog afterwards")
    parser.add_argument("--export", type=Path, metavar="DIR", help="also time `hubscan export` into DIR")
    parser.add_argument("--no-queries", action="store_true", help="only build (and export)")
    parser.add_argument("--only", metavar="TEXT", help="time only the queries whose name contains TEXT")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="calls of each query per engine, interleaved (default 3)",
    )
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} (1 / 5 min)"
    )
    if not args.reuse:
        t = time.perf_counter()
        build_synthetic(args.db, args.models)
        print(f"built {args.models:,} synthetic models in {time.perf_counter() - t:.1f} s ({args.db})")
    if not args.no_queries:
        run_cases(args.db, args.only, args.repeat)
    if args.export:
        run_export(args.db, args.export)
    print(f"load average after: {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} (1 / 5 min)")
    if not args.keep and not args.reuse:
        args.db.unlink()
        for suffix in ("-wal", "-shm"):
            Path(str(args.db) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
