"""The Hub client's log messages, routed through hubscan's logger (issue 10, item 16).

``huggingface_hub`` prints warnings for odd real records ("Invalid model-index. Not loading eval results into
CardData.") straight to stderr, in the middle of progress output: at 3M models, thousands of lines. Once a
``HubSource`` is made, its records go to :data:`CLIENT_LOG` instead: counted by message (the crawl summary
says how many), and passed on to the ``hubscan.client`` logger, which prints nothing unless the command line
asked for ``-v`` (it then gets a stderr handler).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter

from huggingface_hub.utils import logging as hf_logging

__all__ = ["CLIENT_LOG", "ClientLog", "enable_verbose"]

LOGGER = logging.getLogger("hubscan.client")
logging.getLogger("hubscan").addHandler(logging.NullHandler())  # quiet by default (no lastResort printing)


class ClientLog(logging.Handler):
    """Counts the client's log records by message and forwards them to ``hubscan.client``."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def install(self) -> None:
        """Take over the client's root logger (idempotent); counts start again from zero."""
        root = hf_logging.get_logger()
        for handler in list(root.handlers):
            if handler is not self:
                root.removeHandler(handler)
        if self not in root.handlers:
            root.addHandler(self)
        root.propagate = False
        with self._count_lock:
            self.counts.clear()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().splitlines()[0] if record.getMessage() else record.name
        with self._count_lock:
            self.counts[message] += 1
        LOGGER.log(record.levelno, "huggingface_hub: %s", record.getMessage())

    @property
    def total(self) -> int:
        with self._count_lock:
            return sum(self.counts.values())

    def summary(self) -> str:
        """`` N warnings from the Hub client (most: "…" ×k; -v shows them).`` or "" when there were none."""
        with self._count_lock:
            if not self.counts:
                return ""
            message, times = self.counts.most_common(1)[0]
            total = sum(self.counts.values())
        return f' {total} warning(s) from the Hub client (most often "{message}" ×{times}; -v shows them).'


CLIENT_LOG = ClientLog()


def enable_verbose(stream=None) -> None:
    """``-v``: print the client's messages (through hubscan's logger) on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
