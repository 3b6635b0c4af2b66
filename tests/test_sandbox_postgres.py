"""The embedded PostgreSQL server and the realtor schema, against real servers (no mocks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from sandbox import embedded_postgres, postgres_host, realtor_data, realtor_schema
from sandbox.embedded_postgres import EmbeddedPostgres
from sandbox.ports import free_port, port_accepts, port_is_free, wait_for_port
from services.core.errors import SandboxPartUnavailable

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("embedded") / "pgdata")
    started = time.perf_counter()
    server.start()
    print(f"\nembedded PostgreSQL first start (initdb included): {time.perf_counter() - started:.2f} s")
    yield server
    server.stop()


@pytest.fixture
def realtor_dsn(pg: EmbeddedPostgres) -> str:
    # Per test: some tests restart the server on a new port. Installing again is a quick no-op.
    dsn = pg.ensure_database("realtor")
    realtor_schema.install_realtor_schema_sync(dsn, rows_scale=0.3)
    return dsn


def _gone(pid: int, port: int, timeout: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            alive = False
        if not alive and not port_accepts("127.0.0.1", port):
            return True
        time.sleep(0.05)
    return False


# ----- ports -------------------------------------------------------------------------------------------
def test_port_helpers() -> None:
    port = free_port()
    assert port_is_free(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert not port_is_free(port)
        assert wait_for_port("127.0.0.1", port, timeout=1)
    assert not wait_for_port("127.0.0.1", port, timeout=0.1)


# ----- the server --------------------------------------------------------------------------------------
def test_serves_postgresql_16_on_loopback_tcp(pg: EmbeddedPostgres) -> None:
    assert pg.is_running() and pg.port
    with psycopg.connect(pg.dsn(), connect_timeout=5) as conn:
        version, listen, sockets, user = conn.execute(
            "SELECT current_setting('server_version_num')::int, current_setting('listen_addresses'), "
            "current_setting('unix_socket_directories'), current_user"
        ).fetchone()  # type: ignore[misc]
    assert version // 10000 == 16
    assert (listen, sockets, user) == ("127.0.0.1", "", "postgres")
    assert pg.dsn("realtor") == f"postgresql://postgres@127.0.0.1:{pg.port}/realtor"
    # The bin dir carries the client programs of the same version.
    out = subprocess.run([pg.program("pg_dump"), "--version"], capture_output=True, text=True, check=True)
    assert " 16." in out.stdout
    if os.geteuid() == 0:  # PostgreSQL refuses root: it must run as the unprivileged system user
        assert psutil.Process(pg.pid).username() == postgres_host.SYSTEM_USER  # type: ignore[arg-type]


def test_start_is_idempotent(pg: EmbeddedPostgres) -> None:
    port, pid = pg.port, pg.pid
    started = time.perf_counter()
    pg.start()
    assert (pg.port, pg.pid) == (port, pid)
    assert time.perf_counter() - started < 0.5


def test_only_loopback_is_trusted(pg: EmbeddedPostgres) -> None:
    hba = (pg.data_dir / "pg_hba.conf").read_text()
    rules = [line.split() for line in hba.splitlines() if line and not line.startswith("#")]
    assert rules and all(rule[0] == "host" and rule[3] == "127.0.0.1/32" for rule in rules)


def test_fixed_port_taken_is_a_clear_error(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        with pytest.raises(SandboxPartUnavailable) as err:
            EmbeddedPostgres(tmp_path / "pgdata", port=port).start()
    assert f"port {port}" in err.value.message and "already in use" in err.value.message


def test_missing_binaries_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SandboxPartUnavailable) as err:
        EmbeddedPostgres(tmp_path / "pgdata", bin_dir=tmp_path / "no-such-bin").start()
    assert "not found" in err.value.message and "no-such-bin" in err.value.message
    with pytest.raises(SandboxPartUnavailable, match="version 17 is not bundled"):
        EmbeddedPostgres(tmp_path / "pgdata", version=17).start()


def test_data_dir_of_another_version_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "pgdata"
    data.mkdir()
    (data / "PG_VERSION").write_text("18\n")
    with pytest.raises(SandboxPartUnavailable, match="made by PostgreSQL 18, not 16"):
        EmbeddedPostgres(data).start()


def test_stop_closes_the_port_and_restart_reuses_the_data(
    pg: EmbeddedPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('survives a restart')")
    port, pid = pg.port, pg.pid
    assert port is not None and pid is not None
    pg.stop()
    assert _gone(pid, port, timeout=0.5) and not pg.is_running()
    with pytest.raises(SandboxPartUnavailable, match="not running"):
        pg.dsn()

    # Another program grabs the port picked as free before postgres binds it: pick another one.
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))
        thief.listen()
        stolen = thief.getsockname()[1]
        picks = iter([stolen])
        real_free_port = embedded_postgres.free_port
        monkeypatch.setattr(embedded_postgres, "free_port", lambda host: next(picks, None) or real_free_port(host))
        started = time.perf_counter()
        pg.start()
        restart = time.perf_counter() - started
    assert pg.port != stolen
    print(f"\nembedded PostgreSQL restart on an initialised data dir (one port clash): {restart:.2f} s")
    with psycopg.connect(pg.dsn()) as conn:
        assert conn.execute("SELECT note FROM kept").fetchall() == [("survives a restart",)]


def test_stop_also_ends_a_leftover_server_of_the_same_data_dir(pg: EmbeddedPostgres) -> None:
    pg.stop()
    other = EmbeddedPostgres(pg.data_dir)  # e.g. left by an earlier run of the app
    other.start()
    port, pid = other.port, other.pid
    assert port is not None and pid is not None
    pg.stop()
    assert _gone(pid, port)
    other.stop()
    # A stale postmaster.pid naming a live process that is not postgres is cleared at start.
    (pg.data_dir / "postmaster.pid").write_text(f"{os.getpid()}\n{pg.data_dir}\n0\n5432\n\n127.0.0.1\n0 0\nready\n")
    pg.start()
    assert pg.is_running()


@pytest.mark.parametrize("guard", ["pdeathsig", "shell"])
def test_server_dies_when_its_owner_is_killed(pg: EmbeddedPostgres, guard: str) -> None:
    pg.stop()
    script = textwrap.dedent(f"""
        import sys, time, threading
        from sandbox.embedded_postgres import EmbeddedPostgres
        pg = EmbeddedPostgres({str(pg.data_dir)!r}, death_guard={guard!r})
        # Started from a short-lived thread, as asyncio.to_thread might: the guard must outlive it.
        t = threading.Thread(target=pg.start); t.start(); t.join()
        print(pg.port, pg.pid, flush=True)
        time.sleep(60)
    """)
    owner = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = owner.stdout.readline()  # type: ignore[union-attr]
        assert line, owner.stderr.read()  # type: ignore[union-attr]
        port, pid = map(int, line.split())
        assert port_accepts("127.0.0.1", port)
        owner.send_signal(signal.SIGKILL)  # no atexit, no cleanup: only the death guard can act
        owner.wait()
        assert _gone(pid, port), f"postgres {pid} outlived its owner ({guard})"
    finally:
        if owner.poll() is None:
            owner.kill()
        owner.wait()
        owner.stdout.close()  # type: ignore[union-attr]
        owner.stderr.close()  # type: ignore[union-attr]
    pg.start()


# ----- the realtor schema ------------------------------------------------------------------------------
def _plain(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    # Jsonb wrappers compare by identity; compare what they wrap.
    return {t: [tuple(getattr(v, "obj", v) for v in row) for row in r] for t, r in rows.items()}


def test_sample_rows_are_deterministic_and_realistic() -> None:
    first = _plain(realtor_data.sample_rows(7, 0.05))
    assert first == _plain(realtor_data.sample_rows(7, 0.05))
    assert _plain(realtor_data.sample_rows(8, 0.05)) != first
    text = " ".join(str(v) for row in first["listings"] for v in row).lower()
    assert "lorem" not in text and "ipsum" not in text
    description = str(first["listings"][0][realtor_data.TABLE_COLUMNS["listings"].index("description")])
    assert len(description.split(". ")) >= 4


async def test_install_creates_schema_rows_and_prisma_history(pg: EmbeddedPostgres) -> None:
    dsn = pg.ensure_database("install_check")
    result = await realtor_schema.install_realtor_schema(dsn)
    print(f"\nrealtor schema install (scale 1.0): {result.seconds:.2f} s, rows {result.row_counts}")
    assert result.installed
    assert result.row_counts == realtor_data.counts_for(1.0)
    assert sum(result.row_counts.values()) > 10_000
    assert result.seconds < 6

    again = await realtor_schema.install_realtor_schema(dsn)
    assert not again.installed and again.row_counts == result.row_counts

    with psycopg.connect(dsn) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert tables == {*realtor_schema.TABLES, "_prisma_migrations"}
        columns = conn.execute(
            "SELECT column_name, data_type, character_maximum_length, column_default, is_nullable "
            "FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position"
        ).fetchall()
        assert columns == [
            ("id", "character varying", 36, None, "NO"),
            ("checksum", "character varying", 64, None, "NO"),
            ("finished_at", "timestamp with time zone", None, None, "YES"),
            ("migration_name", "character varying", 255, None, "NO"),
            ("logs", "text", None, None, "YES"),
            ("rolled_back_at", "timestamp with time zone", None, None, "YES"),
            ("started_at", "timestamp with time zone", None, "now()", "NO"),
            ("applied_steps_count", "integer", None, "0", "NO"),
        ]


def test_prisma_migrations_history_is_readable(realtor_dsn: str) -> None:
    with psycopg.connect(realtor_dsn) as conn:
        rows = conn.execute(
            "SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count "
            'FROM "_prisma_migrations" ORDER BY started_at'
        ).fetchall()
    applied = [r for r in rows if r[2] is not None and r[3] is None]
    rolled_back = [r for r in rows if r[3] is not None]
    failed = [r for r in rows if r[2] is None and r[3] is None]
    assert [r[0] for r in applied] == [name for name, _ in realtor_schema.MIGRATIONS]
    assert [r[1] for r in applied] == [realtor_schema.checksum(sql) for _, sql in realtor_schema.MIGRATIONS]
    assert all(r[5] == 1 for r in applied)
    assert len(rolled_back) == 1 and "not immutable" in rolled_back[0][4] and rolled_back[0][5] == 0
    assert failed == []

    realtor_schema.add_failed_migration(realtor_dsn)
    with psycopg.connect(realtor_dsn) as conn:
        pending = conn.execute(
            'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NULL AND rolled_back_at IS NULL'
        ).fetchall()
        conn.execute('DELETE FROM "_prisma_migrations" WHERE finished_at IS NULL AND rolled_back_at IS NULL')
    assert pending == [("20251001120000_add_listing_open_houses",)]


def test_listing_search_uses_the_gin_index(realtor_dsn: str) -> None:
    query = "websearch_to_tsquery('english', 'quartz countertops fireplace')"
    with psycopg.connect(realtor_dsn) as conn:
        hits = conn.execute(
            f"SELECT title, description, price, features, photos FROM listings "
            f"WHERE search_vector @@ {query} ORDER BY ts_rank(search_vector, {query}) DESC LIMIT 5"
        ).fetchall()
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN SELECT id FROM listings WHERE search_vector @@ {query}"))
        status_type = conn.execute("SELECT pg_typeof(status)::text FROM listings LIMIT 1").fetchone()
    assert len(hits) == 5
    for title, description, price, features, photos in hits:
        assert "quartz" in description.lower() and "fireplace" in description.lower()
        assert title and price > 0 and isinstance(features, dict) and photos
    assert "listings_search_vector_idx" in plan
    assert status_type == ('"ListingStatus"',)


def test_generate_bulk_grows_toward_the_target_with_real_text(pg: EmbeddedPostgres) -> None:
    dsn = pg.ensure_database("bulk_check")
    realtor_schema.install_realtor_schema_sync(dsn, rows_scale=0.1)
    with psycopg.connect(dsn) as conn:
        before = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]  # type: ignore[index]
    target = before + 12_000_000
    result = realtor_schema.generate_bulk(dsn, target)
    print(f"\ngenerate_bulk +{(result.bytes_after - before) / 1e6:.1f} MB in {result.seconds:.2f} s")
    assert target <= result.bytes_after < target + 8_000_000
    assert all(n > 0 for n in result.rows_added.values())
    with psycopg.connect(dsn) as conn:
        descriptions = conn.execute("SELECT description FROM listings WHERE mls_number LIKE 'BK-%'").fetchall()
        blank = conn.execute(
            "SELECT count(*) FROM contacts WHERE coalesce(notes, '') = '' AND id > %s",
            (realtor_data.counts_for(0.1)["contacts"],),
        ).fetchone()
        found = conn.execute(
            "SELECT count(*) FROM listings WHERE mls_number LIKE 'BK-%' "
            "AND search_vector @@ websearch_to_tsquery('english', 'kitchen')"
        ).fetchone()
    assert len(descriptions) == result.rows_added["listings"]
    assert all(len(d) > 250 and d.count(". ") >= 4 for (d,) in descriptions)
    assert len({d for (d,) in descriptions}) > 0.9 * len(descriptions)
    assert blank == (0,)
    assert found is not None and found[0] > len(descriptions) // 2
