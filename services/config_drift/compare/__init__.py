"""The seed against what was read, item by item. Pure functions over plain data: each source's answer
arrives as a :class:`Read` (a value, "not set up", or why it could not be read). One module per part of
the seed: ``functions``, ``cache``, ``data_stores`` (database and Redis), ``retention`` (backups and
storage), ``headers``."""

from services.config_drift.compare.cache import cache_items
from services.config_drift.compare.data_stores import database_items, redis_items
from services.config_drift.compare.functions import functions_items
from services.config_drift.compare.headers import header_items
from services.config_drift.compare.read import Read
from services.config_drift.compare.retention import backup_items, storage_items

__all__ = [
    "Read",
    "backup_items",
    "cache_items",
    "database_items",
    "functions_items",
    "header_items",
    "redis_items",
    "storage_items",
]
