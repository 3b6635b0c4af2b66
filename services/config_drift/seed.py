"""What the seed prescribes for the platform's configuration, each value with where the seed says it
(``deployment/scaling.ts``, ``deployment/cost-optimization.ts``, ``scripts/backup.ts``, ``next.config.js``).
One place: the comparison reads these and nothing else."""

from __future__ import annotations

from services.core.seed_policy import SECURITY_HEADERS
from services.core.units import human_bytes

# scalingConfig.vercel.functions
FUNCTION_MEMORY_MB = 1024
FUNCTION_MAX_DURATION_S = 30
FUNCTION_REGIONS: tuple[str, ...] = ("iad1", "sfo1", "lhr1")

# costOptimization.cdn.caching (and scalingConfig.vercel.edge.cache), in seconds
CACHE_TTLS: dict[str, int] = {
    "static": 31_536_000,  # '1y'
    "api": 300,  # '5m'
    "images": 2_592_000,  # '30d'
}

# scalingConfig.database.supabase: connections {max: 100, timeout: 30000 ms}, pooling transaction mode.
# In the app these are Prisma's DATABASE_URL parameters connection_limit and pool_timeout (seconds).
CONNECTION_LIMIT = 100
POOL_TIMEOUT_S = 30
POOL_MODE = "transaction"

# scalingConfig.redis.upstash
REDIS_MAXMEMORY_BYTES = 1024**3  # '1gb'
REDIS_EVICTION_POLICY = "allkeys-lru"

# scripts/backup.ts scheduleBackups(): daily at 2 AM UTC; cost-optimization lifecycle.backups: 7 years
BACKUP_CRON = "0 2 * * *"
BACKUP_RETENTION_DAYS = 2555

# costOptimization.storage.lifecycle (days)
LOGS_DAYS = 90
TEMP_DAYS = 7
LOG_PREFIXES = ("logs/",)
TEMP_PREFIXES = ("temp/", "tmp/")

HEADERS: tuple[tuple[str, str], ...] = SECURITY_HEADERS


def duration_text(seconds: int) -> str:
    """1 y, 30 d, 5 min, 45 s: the units the seed writes them in."""
    for size, unit in ((31_536_000, "y"), (86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def bytes_text(size: int) -> str:
    """Whole units as the seed writes them (1 GB, 256 MB); anything else in the project's one format."""
    for factor, unit in ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB")):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return human_bytes(size)
