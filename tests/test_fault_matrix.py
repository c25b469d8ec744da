"""The fault matrix: every fault kind through the mirror and the real client (issue 10, "Must show").

For each case: the crawl's exit status, every healthy model stored byte-identical to a clean crawl, the fault a
recorded row (or absorbed by the retries with the victim stored identical), no traceback, and a later crawl
without the fault heals the catalog. Cases whose outcome is final for a commit (healed only with
--retry-failed) and the listing faults that need per-item validation are in test_fault_matrix_writer.py.
"""

# ruff: noqa: F401, F811
import pytest

from fault_matrix_helpers import (
    CONFIG,
    LISTING,
    PAGE_SIZE,
    README,
    VICTIM_FILES,
    Case,
    build_snapshot,
    crawl,
    rows,
    run_case,
)
from hubscan.mirror import MirrorServer
from mirror_fixtures import hf_env

DEEP_YAML = "---\nlicense: mit\nx: " + "[" * 5000 + "]" * 5000 + "\n---\nbody\n"
LAUGHS = (
    "---\na: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    + "co2_eq_emissions: 5\n---\n# laughs\n"
)

CASES = [
    # HTTP statuses and broken transfers on a file, absorbed by one retry
    Case("file_500_once", [{"fault": "status", "status": 500, "path": CONFIG, "times": 1}]),
    Case("file_502_once", [{"fault": "status", "status": 502, "path": README, "times": 1}]),
    Case("file_503_retry_after", [{"fault": "status", "status": 503, "retry_after": 1, "path": CONFIG, "times": 1}]),
    Case("file_429_once", [{"fault": "status", "status": 429, "retry_after": 1, "path": CONFIG, "times": 1}]),
    Case("file_timeout_once", [{"fault": "timeout", "seconds": 3, "path": CONFIG, "times": 1}]),
    Case("file_truncated_once", [{"fault": "truncate", "path": CONFIG, "times": 1}]),
    Case("file_stalled_once", [{"fault": "stall", "seconds": 3, "path": CONFIG, "times": 1}]),
    Case("file_connection_reset_once", [{"fault": "reset", "path": CONFIG, "times": 1}]),
    Case("file_trickled_body", [{"fault": "trickle", "seconds": 0.002, "path": CONFIG, "times": 1}]),
    # redirects
    Case("file_redirect_307_once", [{"fault": "redirect", "status": 307, "path": CONFIG, "times": 1}]),
    Case("file_redirect_302_once", [{"fault": "redirect", "status": 302, "path": README, "times": 1}]),
    Case("file_redirect_to_closed_port", [{"fault": "redirect", "location": "http://127.0.0.1:9/x", "path": CONFIG, "times": 1}]),
    # failures that outlast the retries: recorded, retried by the next crawl
    Case("file_500_always", [{"fault": "status", "status": 500, "path": CONFIG, "times": None}], "recorded", "http_error"),
    Case("file_429_always", [{"fault": "status", "status": 429, "retry_after": 0, "path": CONFIG, "times": None}], "recorded", "rate_limited"),
    Case("file_reset_always", [{"fault": "reset", "path": CONFIG, "times": None}], "recorded", "network"),
    Case("file_truncated_always", [{"fault": "truncate", "path": README, "times": None}], "recorded", "network"),
    Case("file_timeout_always", [{"fault": "timeout", "seconds": 2, "path": CONFIG, "times": None}], "recorded", "network"),
    Case("file_redirect_loop", [{"fault": "redirect", "path": CONFIG, "times": None}], "recorded", "error"),
    # hostile JSON (the repo's own commit; healed when the author fixes it)
    Case("config_invalid_json", files={**VICTIM_FILES, "config.json": '{"model_type": "llama",'}, outcome="recorded", kind="invalid_json"),
    Case("config_200k_deep", files={**VICTIM_FILES, "config.json": "[" * 200_000 + "]" * 200_000}, outcome="recorded", kind="too_deep"),
    Case("config_huge_number", files={**VICTIM_FILES, "config.json": '{"model_type": "llama", "num_hidden_layers": 99999999999999999999}'}, outcome="recorded", kind="number_out_of_range"),
    Case("config_nan", files={**VICTIM_FILES, "config.json": '{"model_type": "llama", "hidden_size": NaN}'}, outcome="recorded", kind="number_out_of_range"),
    Case("config_not_an_object", files={**VICTIM_FILES, "config.json": "[1, 2, 3]"}, outcome="recorded", kind="not_object"),
    Case("config_not_utf8", files={**VICTIM_FILES, "config.json": b'\xff\xfe{"model_type": "llama"}'}, outcome="recorded", kind="invalid_json"),
    # hostile YAML cards: stored as served, parsed without crashing
    Case("card_deep_yaml", files={**VICTIM_FILES, "README.md": DEEP_YAML}, outcome="stored"),
    Case("card_billion_laughs", files={**VICTIM_FILES, "README.md": LAUGHS}, outcome="stored"),
    Case("card_control_characters", files={**VICTIM_FILES, "README.md": "---\nlicense: \x1b[31mred\n---\n\x1b]0;x\x07body\x00\n"}, outcome="stored"),
    # listings
    Case("listing_500_on_page_2_once", [{"fault": "status", "status": 500, "path": LISTING, "skip": 1, "times": 1}]),
    Case("listing_429_once", [{"fault": "status", "status": 429, "retry_after": 1, "path": LISTING, "times": 1}]),
    Case("listing_reset_on_page_2_once", [{"fault": "reset", "path": LISTING, "skip": 1, "times": 1}]),
]  # fmt: skip


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    snapshot = tmp_path_factory.mktemp("matrix-snapshot")
    build_snapshot(snapshot)
    quotas = {"api": 10**6, "resolvers": 10**6, "pages": 10**6}
    with MirrorServer(snapshot, page_size=PAGE_SIZE, rate_limits=quotas, stall_seconds=3) as hub:
        clean = tmp_path_factory.mktemp("matrix-clean") / "clean.db"
        result = crawl(hub, clean)
        assert result.exit_code == 0, result.output
        yield hub, snapshot, rows(clean)


def test_the_matrix_covers_at_least_25_fault_kinds():
    assert len({case.name for case in CASES}) == len(CASES) >= 25
    kinds = {rule["fault"] for case in CASES for rule in case.rules}
    assert {"status", "timeout", "truncate", "stall", "reset", "trickle", "redirect"} <= kinds


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_fault_is_recorded_healthy_models_identical_and_healed(case, matrix, tmp_path, hf_env):
    hub, snapshot, baseline = matrix
    run_case(case, hub, snapshot, baseline, tmp_path)
