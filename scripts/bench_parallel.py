"""How the passes of one footprint query share two cores: forked worker processes (the default where forking
is safe), a thread with a second connection (the default elsewhere), or one connection alone.

    python scripts/bench_parallel.py --db /tmp/hubscan-bench.db                 # a catalog bench_query.py kept
    python scripts/bench_parallel.py --db PATH --by author --min-params 1e9 --repeat 5

Each way runs the same query ``--repeat`` times, the three ways taking turns so that the machine's load
changes hit them alike; printed: the best wall time and the least CPU time (this process's threads and the
worker processes, counted once they have exited), and whether every way gave the same rows.
"""

from __future__ import annotations

import argparse
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
    helper, fork = families._helper, families.FORK_WORKERS
    families.FORK_WORKERS = way == "worker processes"
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
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} / {load[1]:.2f} (1 / 5 min)")


if __name__ == "__main__":
    main()
