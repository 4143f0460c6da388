from caviar.storage.sql.storage import SQLStorage

__all__ = ["SQLStorage"]
