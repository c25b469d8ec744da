"""hubscan: mine the Hugging Face Hub into a local SQLite catalog."""

__version__ = "0.1.0"

from hubscan.api import open  # noqa: A001, E402

__all__ = ["__version__", "open"]
