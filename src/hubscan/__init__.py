"""hubscan: mine the Hugging Face Hub into a local SQLite catalog."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "open"]


def __getattr__(name: str) -> Any:
    # ``hubscan.open`` loads the pandas API on first use, so the CLI (which never needs it) starts fast.
    if name == "open":
        from hubscan.api import open as open_catalog

        return open_catalog
    raise AttributeError(f"module 'hubscan' has no attribute {name!r}")
