"""What the catalog holds: counts by status and model_type, failures by kind, last run."""

from __future__ import annotations

from sqlite_utils import Database


def catalog_stats(db: Database) -> dict:
    def grouped(sql: str) -> dict:
        return {str(key): count for key, count in db.execute(sql).fetchall()}

    last = db.execute(
        "SELECT id, status, started_at, finished_at, models_listed, files_fetched, files_skipped, failures "
        "FROM crawl_runs ORDER BY id DESC LIMIT 1"
    ).fetchone()
    columns = [
        "id",
        "status",
        "started_at",
        "finished_at",
        "models_listed",
        "files_fetched",
        "files_skipped",
        "failures",
    ]
    return {
        "models": db.execute("SELECT count(*) FROM models").fetchone()[0],
        "configs": grouped("SELECT status, count(*) FROM configs GROUP BY status ORDER BY 2 DESC"),
        "files": grouped("SELECT path || ':' || status, count(*) FROM files GROUP BY 1 ORDER BY 2 DESC"),
        "errors": grouped("SELECT kind, count(*) FROM crawl_errors GROUP BY kind ORDER BY 2 DESC"),
        "model_types": grouped(
            "SELECT coalesce(model_type, 'unknown'), count(*) FROM models GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 25"
        ),
        "runs": db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0],
        "last_run": dict(zip(columns, last, strict=True)) if last else None,
    }
