from hubscan.store.db import DEFAULT_DB_PATH, open_db, open_db_read_only

__all__ = ["DEFAULT_DB_PATH", "open_db", "open_db_read_only"]
