"""The timeline tests reuse the backup tests' environment (a real database and bucket)."""

from tests.backup.conftest import backup_env  # noqa: F401 (a fixture)
