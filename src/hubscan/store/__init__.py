from hubscan.store.db import DEFAULT_DB_PATH, checkpoint, close_db, open_db, open_db_read_only, recognise

__all__ = ["DEFAULT_DB_PATH", "checkpoint", "close_db", "open_db", "open_db_read_only", "recognise"]
