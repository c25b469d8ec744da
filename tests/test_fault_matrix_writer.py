"""Fault-matrix cases that need the crawl writer rework : listing-item validation, a page
committed before the next one is read, a bounded listing retry policy, an overall per-file deadline and
--retry-failed for outcomes that are final for a commit. Same checks as test_fault_matrix.py.
"""

# ruff: noqa: F401, F811
import pytest

from fault_matrix_helpers import CONFIG, LISTING, Case, run_case
from mirror_fixtures import hf_env
from test_fault_matrix import matrix

CASES = [
    # A listing that cannot be read: retried, then the crawl stops cleanly with everything before it committed.
    Case("listing_garbage_cursor", [{"fault": "garbage_cursor", "path": LISTING, "times": 1}], "listing", exit_code=1),
    Case("listing_500_on_page_2_always", [{"fault": "status", "status": 500, "path": LISTING, "skip": 1, "times": None}], "listing", exit_code=1),
    Case("listing_truncated_page", [{"fault": "truncated_page", "path": LISTING, "skip": 1, "times": None}], "listing", exit_code=1),
    Case("listing_looping_cursor", [{"fault": "loop_cursor", "path": LISTING, "skip": 1, "times": None}], "listing", exit_code=1),
    # One malformed item is a crawl_errors row; the rest of the page is stored.
    Case("listing_item_bad_created_at", [{"fault": "bad_item", "path": LISTING, "times": None, "target": "victim/model", "patch": {"createdAt": "not-a-date"}}], "recorded"),
    Case("listing_item_5000_deep_card_data", [{"fault": "bad_item", "path": LISTING, "times": None, "target": "victim/model", "patch": {"cardData": {"$deep": 5000}}}], "recorded"),
    # Final outcomes for a commit, healed only with --retry-failed.
    Case("file_404_final", [{"fault": "status", "status": 404, "path": CONFIG, "times": None}], "recorded", heal_args=("--retry-failed",)),
    Case("file_gzip_bomb", [{"fault": "gzip_bomb", "size": 64 * 1024 * 1024, "path": CONFIG, "times": None}], "recorded", "too_large", heal_args=("--retry-failed",)),
    Case("file_truncated_json_body", [{"fault": "truncated_page", "path": CONFIG, "times": None}], "recorded", "invalid_json", heal_args=("--retry-failed",)),
    # One overall per-file deadline: a body trickled at 1 byte per 0.05 s is cut off under --timeout 1.
    Case("file_trickled_past_the_deadline", [{"fault": "trickle", "seconds": 0.05, "path": CONFIG, "times": None}], "recorded"),
]  # fmt: skip


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_writer_fault_is_recorded_healthy_models_identical_and_healed(case, matrix, tmp_path, hf_env):
    hub, snapshot, baseline = matrix
    run_case(case, hub, snapshot, baseline, tmp_path)
