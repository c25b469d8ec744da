"""Time ``resolve_lineage`` alone on a copy of an existing catalog and print its peak RSS.

Usage: PYTHONPATH=SRC python scripts/bench_lineage.py CATALOG.db

Run it once with this checkout's ``src`` and once with another hubscan's (e.g. ``git archive main src``)
on the same catalog (e.g. a ``scripts/bench_query.py --keep`` build) for a before/after.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from hubscan.derive.lineage import resolve_lineage
from hubscan.store import close_db, open_db


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hubscan-bench-lineage-") as work:
        path = Path(work) / "catalog.db"
        shutil.copyfile(argv[0], path)
        db = open_db(path)
        t0 = time.perf_counter()
        stats = resolve_lineage(db)
        seconds = time.perf_counter() - t0
        close_db(db)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"resolve_lineage: {seconds:.1f}s, peak RSS {peak:.0f} MB, {stats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
