"""Where model listings and files come from: the Hub (or a local mirror), the HF cache, or a folder."""

from hubscan.records import FetchedFile, Listing

# The Hub's sort keys for listing (always descending, as the Hub sorts them).
SORT_KEYS = ("downloads", "likes", "trendingScore", "createdAt", "lastModified")

__all__ = ["SORT_KEYS", "FetchedFile", "Listing", "make_source"]


def make_source(spec: str, *, endpoint: str | None = None, token: str | None = None, **options):
    """``hub`` (default), ``cache`` or ``dir:PATH`` → a source object with iter_models()/fetch_file()."""
    if spec == "hub":
        from hubscan.source.hub import HubSource

        return HubSource(endpoint=endpoint, token=token, **options)
    from hubscan.source.local import local_source

    return local_source(spec)
