"""How the passes of one footprint query share two cores: forked worker processes (the default where forking
is safe), a thread with a second connection (the default elsewhere), or one connection alone.

    python scripts/bench_parallel.py --db /tmp/hubscan-bench.db                 # a catalog bench_query.py kept
    python scripts/bench_parallel.py --db PATH --by author --min-params 1e9 --repeat 5

Each way runs the same query ``--repeat`` times, the three ways taking turns so that the machine's load
changes hit them alike; printed: the best wall time and the least CPU time (this process's threads and the
worker processes, counted once they have exited), and whether every way gave the same rows (every way runs
as named, although a catalog of fewer than ``PARALLEL_MIN_MEMBERS`` members would use one connection).

Then where the time goes: the CPU of the query's parts on one connection (the main pass's SQL, reading and
shaping its rows in Python, the sorted passes); how many families lie wholly above the ``--min-params``
threshold (which stored whole-family rows could answer); and the query's CPU on one connection in a fresh
process alone and in each of two fresh processes at once, which says how much of a second CPU's work the
machine gives (and so bounds what two workers, or DuckDB's two threads, can gain).
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import resource
import time
from pathlib import Path

from hubscan.derive import families
from hubscan.report import query
from hubscan.store import open_db_read_only

WAYS = ("worker processes", "thread", "one connection")


def _cpu() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _run(path: Path, way: str, options: dict) -> tuple[float, float, list[dict]]:
    """(wall seconds, CPU seconds, rows) of one query run ``way``."""
    helper, fork, least = families._helper, families.FORK_WORKERS, families.PARALLEL_MIN_MEMBERS
    families.FORK_WORKERS = way == "worker processes"
    families.PARALLEL_MIN_MEMBERS = 0  # each way as asked, whatever the catalog's size
    if way == "one connection":
        families._helper = lambda db: None
    db = open_db_read_only(path)
    try:
        t0, c0 = time.perf_counter(), _cpu()
        rows = query.footprint(db, **options)
        return time.perf_counter() - t0, _cpu() - c0, rows
    finally:
        db.close()
        families._helper, families.FORK_WORKERS = helper, fork
        families.PARALLEL_MIN_MEMBERS = least


def _parts(path: Path, options: dict) -> dict[str, float]:
    """CPU seconds of the parts of one query on one connection (``_shape`` runs inside ``_main_pass``)."""
    spent = collections.Counter()
    real = {name: getattr(families, name) for name in ("_main_pass", "_shape", "_ranked")}

    def timed(name):
        def call(*args, **kwargs):
            t0 = time.process_time()
            try:
                return real[name](*args, **kwargs)
            finally:
                spent[name] += time.process_time() - t0

        return call

    for name in real:
        setattr(families, name, timed(name))
    try:
        _, spent["whole query"], _ = _run(path, "one connection", options)
    finally:
        for name, fn in real.items():
            setattr(families, name, fn)
    return {
        "main pass: SQL": spent["_main_pass"] - spent["_shape"],
        "main pass: rows read and shaped in Python": spent["_shape"],
        "sorted passes (KV medians)": spent["_ranked"],
        "whole query": spent["whole query"],
    }


def _wholly_above(path: Path, options: dict) -> tuple[int, int, int, int]:
    """(families wholly above the ``--min-params`` threshold, the rows they hold, families with a member
    above it, rows above it) among the query's rows: how much stored whole-family rows could answer."""
    db = open_db_read_only(path)
    try:
        key = families.KEY_COLUMNS[options["by"]]
        where, params = families.keyed_filter_clause(db, None, options.get("task"), None)
        params["low"] = options["min_params"]
        found = db.execute(
            f"""SELECT SUM(low >= :low AND known = n), SUM(CASE WHEN low >= :low AND known = n THEN n END),
                       SUM(high >= :low), SUM(above)
                FROM (SELECT MIN(params) AS low, MAX(params) AS high, COUNT(params) AS known, COUNT(*) AS n,
                             SUM(params >= :low) AS above
                      FROM family_members {where} GROUP BY {key})""",
            params,
        ).fetchone()
        return tuple(value or 0 for value in found)
    finally:
        db.close()


def _child(path: Path, options: dict, barrier, out) -> None:
    """In a forked process: wait for the others, run the query on one connection, report its CPU."""
    barrier.wait()
    out.put(_run(path, "one connection", options)[1])


def _side_by_side(path: Path, options: dict, repeat: int) -> tuple[float, float]:
    """Least CPU seconds of the query on one connection in one process alone, and the least mean of two
    processes that start it at the same moment (rounds alternate between the two)."""
    context = multiprocessing.get_context("fork")
    least = {1: float("inf"), 2: float("inf")}
    for _ in range(repeat):
        for n in (1, 2):
            barrier, out = context.Barrier(n), context.Queue()
            children = [context.Process(target=_child, args=(path, options, barrier, out)) for _ in range(n)]
            for child in children:
                child.start()
            spent = [out.get() for _ in children]
            for child in children:
                child.join()
            least[n] = min(least[n], sum(spent) / n)
    return least[1], least[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-bench.db"))
    parser.add_argument("--by", default="author")
    parser.add_argument("--min-params", type=float, default=1e9)
    parser.add_argument("--task")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    options = {"by": args.by, "min_params": args.min_params, "task": args.task}
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.2f} / {load[1]:.2f} (1 / 5 min)")
    best = {way: (float("inf"), float("inf")) for way in WAYS}
    rows = {}
    for _ in range(args.repeat):
        for way in WAYS:
            wall, cpu, rows[way] = _run(args.db, way, options)
            best[way] = (min(best[way][0], wall), min(best[way][1], cpu))
    shown = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in options.items() if v is not None)
    print(f"footprint {shown}: {len(rows[WAYS[0]]):,} families")
    for way in WAYS:
        print(f"  {way:17} best {best[way][0]:5.2f} s   CPU {best[way][1]:5.2f} s")
    same = all(rows[way] == rows[WAYS[0]] for way in WAYS)
    print("same rows every way" if same else "ROWS DIFFER")
    least = collections.defaultdict(lambda: float("inf"))
    for _ in range(args.repeat):
        for part, cpu in _parts(args.db, options).items():
            least[part] = min(least[part], cpu)
    print("one connection, least CPU of each part:")
    for part, cpu in least.items():
        print(f"  {part:42} {cpu:5.2f} s")
    if args.min_params is not None:
        whole, whole_rows, passing, rows_above = _wholly_above(args.db, options)
        print(
            f"families wholly above the threshold: {whole:,} of the {passing:,} with a model above it, "
            f"holding {whole_rows:,} of the {rows_above:,} models above it"
        )
    alone, side = _side_by_side(args.db, options, args.repeat)
    print(
        f"one connection in a process alone: CPU {alone:.2f} s; in each of two processes side by side: "
        f"CPU {side:.2f} s ({side / alone - 1:+.0%})"
    )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} / {load[1]:.2f} (1 / 5 min)")


if __name__ == "__main__":
    main()
