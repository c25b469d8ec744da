"""The main job on the bundled default: serve the sample Hub locally, crawl it, print what was learnt."""

from __future__ import annotations

import os
from collections.abc import Callable

from hubscan.crawl import CrawlOptions, crawl
from hubscan.mirror import MirrorServer, sample_hub_path
from hubscan.report.headlines import headlines
from hubscan.source import make_source
from hubscan.source.client_log import CLIENT_LOG
from hubscan.store import close_db, open_db


def run_demo(
    db_path,
    *,
    workers: int = 8,
    cards: str = "full",
    quiet: bool = False,
    echo: Callable = print,
    progress=None,
) -> dict:
    # No telemetry side-calls to huggingface.co from a demo that never needs the real Hub.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

    with MirrorServer(sample_hub_path(), host="127.0.0.1", port=0) as hub:
        # Set before huggingface_hub is imported, which reads HF_ENDPOINT once.
        os.environ["HF_ENDPOINT"] = hub.url
        db = open_db(db_path)
        echo(
            f"Sample Hub served at {hub.url}; crawling it into {db_path} through huggingface_hub ...",
            err=True,
        )
        options = CrawlOptions(workers=workers, cards=cards)
        if progress is not None:
            with progress(quiet) as on_event:
                stats = crawl(db, make_source("hub", endpoint=hub.url), options, on_event=on_event)
        else:
            stats = crawl(db, make_source("hub", endpoint=hub.url), options)
        requests = len(hub.request_log)
    close_db(db)  # checkpoint: the .db file alone holds every table (issue 10, item 3)
    echo(stats.summary() + CLIENT_LOG.summary(), err=True)
    echo(f"({requests} HTTP requests to the local Hub.)", err=True)
    _print_headlines(db_path, echo)
    return {"stats": stats, "requests": requests}


def _print_headlines(db_path, echo) -> None:
    for line in headlines(db_path):
        echo(line)
