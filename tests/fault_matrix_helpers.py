"""The fault matrix machinery: one mirror, a clean baseline crawl, and one faulty crawl + one healing crawl per case.

A case is either a list of mirror fault rules (transport: statuses, resets, stalls, redirects, listing faults)
or replacement file contents for the victim repo (hostile JSON/YAML: the repo's own commit, healed when the
author fixes the file, i.e. a new commit). For each case the checks are the issue's:

- the exit status of the crawl through the real client;
- every healthy model stored byte-identical to the clean crawl;
- the fault is a recorded row (or, for a fault the retries absorb, the victim stored identical too);
- no traceback;
- a later crawl without the fault heals the catalog to the clean crawl (``heal_args``, e.g. --retry-failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from click.testing import CliRunner

from crawl_helpers import catalog_rows, llama_config
from hubscan.cli import cli
from hubscan.mirror import write_repo
from hubscan.store import open_db_read_only

VICTIM = "victim/model"
PAGE_SIZE = 4
HEALTHY = 9
CARD = "---\nlicense: apache-2.0\nco2_eq_emissions: 12\n---\n# Victim\n\nTrained on one GPU.\n"
VICTIM_FILES = {"config.json": llama_config(layers=3), "README.md": CARD}
CRAWL_ARGS = ["--cards", "full", "--retries", "1", "--timeout", "1", "--workers", "2", "-q"]
LISTING = "^/api/models$"
CONFIG = f"^/{VICTIM}/resolve/[^/]+/config\\.json$"
README = f"^/{VICTIM}/resolve/[^/]+/README\\.md$"


@dataclass
class Case:
    name: str
    rules: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = "recovered"  # recovered | recorded | stored | listing
    kind: str | None = None  # crawl_errors.kind expected for "recorded"
    files: dict[str, str | bytes] | None = None  # the victim's files at a bad commit
    exit_code: int = 0
    heal_args: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


def build_snapshot(root) -> list[str]:
    ids = []
    for i in range(HEALTHY):
        repo_id = f"healthy{i % 3}/model-{i}"
        card = f"---\nlicense: mit\nco2_eq_emissions: {100 + i}\nbase_model: healthy0/model-0\n---\n# M{i}\n"
        write_repo(root, repo_id, files={"config.json": llama_config(layers=1 + i % 4), "README.md": card},
                   meta={"downloads": 1000 - i, "likes": i})  # fmt: skip
        ids.append(repo_id)
    # In the middle of the default sort order (downloads), so listing faults on page 2 concern it.
    write_repo(root, VICTIM, files=VICTIM_FILES, meta={"downloads": 995, "likes": 3})
    return ids


def crawl(hub, db_path, *extra) -> Any:
    return CliRunner().invoke(
        cli, ["crawl", "--endpoint", hub.url, "--db", str(db_path), *CRAWL_ARGS, *extra]
    )


def rows(db_path) -> dict:
    db = open_db_read_only(db_path)
    try:
        return catalog_rows(db)
    finally:
        db.close()


def without(rows_by_table: dict, model_id: str) -> dict:
    return {t: [r for r in rs if r[0] != model_id] for t, rs in rows_by_table.items()}


def only(rows_by_table: dict, model_id: str) -> dict:
    return {t: [r for r in rs if r[0] == model_id] for t, rs in rows_by_table.items()}


def assert_no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def query(db_path, sql, params=()) -> list[tuple]:
    db = open_db_read_only(db_path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def run_case(case: Case, hub, snapshot, baseline: dict, tmp_path) -> None:
    db_path = tmp_path / "c.db"
    hub.clear_faults()
    if case.files is not None:
        write_repo(snapshot, VICTIM, files=case.files, meta={"downloads": 995, "likes": 3})
        hub.reload()
    hub.add_faults(case.rules)
    try:
        result = crawl(hub, db_path)
        applied = hub._faults._rules[:]  # noqa: SLF001 - how often each rule fired
    finally:
        hub.clear_faults()
        if case.files is not None:
            write_repo(snapshot, VICTIM, files=VICTIM_FILES, meta={"downloads": 995, "likes": 3})
            hub.reload()
    assert_no_traceback(result)
    assert result.exit_code == case.exit_code, result.output
    assert all(rule.applied >= 1 for rule in applied), "the fault never fired"
    assert query(db_path, "SELECT COUNT(*) FROM crawl_runs WHERE status = 'running'") == [(0,)]
    stored = rows(db_path)
    check_outcome(case, db_path, stored, baseline)

    healed = crawl(hub, db_path, *case.heal_args)
    assert_no_traceback(healed)
    assert healed.exit_code == 0, healed.output
    assert rows(db_path) == baseline, "a crawl without the fault did not heal the catalog"


def check_outcome(case: Case, db_path, stored: dict, baseline: dict) -> None:
    if case.outcome == "listing":
        # Everything listed before the bad page is stored exactly; the failure is a recorded row.
        stored_ids = {r[0] for r in stored["models"]}
        assert stored_ids, "nothing before the bad page was kept"
        for table, table_rows in stored.items():
            assert set(table_rows) <= set(baseline[table]), table
        kinds = [k for (k,) in query(db_path, "SELECT kind FROM crawl_errors WHERE model_id IS NULL")]
        assert kinds, "the listing failure is not recorded"
        return
    assert without(stored, VICTIM) == without(baseline, VICTIM), (
        "a healthy model differs from the clean crawl"
    )
    if case.outcome == "stored":  # hostile but harmless content: kept as served, no crash, no error
        body = query(db_path, "SELECT body FROM cards WHERE model_id = ?", [VICTIM])
        served = case.files["README.md"]
        assert body == [(served.decode("utf-8", "replace") if isinstance(served, bytes) else served,)]
        assert query(db_path, "SELECT COUNT(*) FROM reported_emissions WHERE model_id = ?", [VICTIM]) == [
            (1,)
        ]
        return
    if case.outcome == "recovered":
        assert only(stored, VICTIM) == only(baseline, VICTIM)
        assert query(db_path, "SELECT COUNT(*) FROM crawl_errors") == [(0,)]
        return
    kinds = {k for (k,) in query(db_path, "SELECT kind FROM crawl_errors WHERE model_id = ?", [VICTIM])}
    assert kinds if case.kind is None else case.kind in kinds, kinds
    others = query(db_path, "SELECT model_id, kind FROM crawl_errors WHERE model_id IS NOT ?", [VICTIM])
    assert others == []
