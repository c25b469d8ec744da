"""A local, loopback-only stand-in for the Hugging Face Hub API (see docs/MIRROR.md).

from hubscan.mirror import MirrorServer, sample_hub_path, write_repo
with MirrorServer(sample_hub_path()) as hub:
    HfApi(endpoint=hub.url).list_models()
"""

from hubscan.mirror.policy import DEFAULT_RATE_LIMITS, load_faults
from hubscan.mirror.server import MirrorServer
from hubscan.mirror.snapshot import (
    EXPAND_KEYS,
    SnapshotError,
    load_snapshot,
    sample_hub_path,
    write_repo,
)

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "EXPAND_KEYS",
    "MirrorServer",
    "SnapshotError",
    "load_faults",
    "load_snapshot",
    "sample_hub_path",
    "write_repo",
]
