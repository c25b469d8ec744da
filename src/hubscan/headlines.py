"""The few lines `hubscan demo` prints after a crawl: what the catalog now knows."""

from __future__ import annotations

from hubscan.store import open_db_read_only


def headlines(db_path) -> list[str]:
    from hubscan.catalog_stats import catalog_stats

    db = open_db_read_only(db_path)
    stats = catalog_stats(db)
    lines = [f"Catalog {db_path}: {stats['models']} models; configs: {stats['configs']}"]
    return lines
