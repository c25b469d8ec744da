"""The benchmark scripts behind the numbers in docs/QUERY.md run end to end on a small synthetic catalog (their
timings are not checked here: only that they run, time every case and agree with themselves)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    return done.stdout


@pytest.mark.slow
def test_bench_query_and_bench_parallel_run_on_a_small_catalog(tmp_path):
    db = tmp_path / "bench.db"
    out = _run(
        str(SCRIPTS / "bench_query.py"), "--models", "2000", "--db", str(db), "--keep", "--repeat", "1"
    )
    assert "built 2,000 synthetic models" in out
    timed = [line for line in out.splitlines() if "hubscan first" in line]
    assert len(timed) == 14  # every case of bench_query.cases
    assert "RESULTS DIFFER" not in out  # (DuckDB's side runs where the bench extra is installed)
    out = _run(str(SCRIPTS / "bench_parallel.py"), "--db", str(db), "--repeat", "1")
    assert "same rows every way" in out
    for part in ("main pass: SQL", "sorted passes (KV medians)", "families wholly above", "side by side"):
        assert part in out
