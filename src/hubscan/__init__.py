"""hubscan: mine the Hugging Face Hub into a local SQLite catalog."""

__version__ = "0.1.0"
