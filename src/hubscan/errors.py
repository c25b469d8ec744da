"""Exceptions hubscan raises. Each ``str()`` is a sentence a user can act on."""


class HubscanError(Exception):
    """Base class for every error hubscan reports to users."""


class SourceError(HubscanError):
    """A Hub (or local source) request failed for one model or file."""

    def __init__(
        self, message: str, *, kind: str = "error", status: int | None = None, retryable: bool = False
    ):
        super().__init__(message)
        self.kind = kind  # short machine-readable label stored in crawl_errors.kind
        self.status = status
        self.retryable = retryable


class ParseError(HubscanError):
    """Input (config.json, card YAML) could not be parsed."""


class CatalogError(HubscanError):
    """The catalog database is missing, unreadable or refused an operation."""


class QueryError(HubscanError):
    """A query was refused or failed (bad SQL, a write on the read-only catalog, an unknown grouping)."""
