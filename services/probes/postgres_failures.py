"""Why a PostgreSQL connection failed, in one sentence that names the real cause.

Used by the connection test (Environments, ``env check``), the health check and the backup/restore
connections, so a missing role, a wrong password, a refused port, an unknown database, a certificate for
another name or a timeout reads the same on every screen. libpq's messages never contain the password;
the sentences name the host, port, user and database, which are settings, not secrets.

libpq reports connection failures without an SQLSTATE (psycopg's ``sqlstate`` is None), so the server's
message is read; where a server answers in another language, the SQLSTATE is used when present.
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass

from services.core.errors import ConnectionFailure, FailureKind
from services.core.workspace import DatabaseSettings


@dataclass(frozen=True)
class PgTarget:
    """Where a connection went: enough to name it, never the password."""

    host: str
    port: int
    dbname: str
    user: str
    sslmode: str = "prefer"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}/{self.dbname}"


_ROLE_MISSING = re.compile(r'role "([^"]*)" does not exist')
_DB_MISSING = re.compile(r'database "([^"]*)" does not exist')
_CERT_NAME = re.compile(r'server certificate for "([^"]*)"(?: \(and \d+ other names?\))? does not match host name')


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 12:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def classify_postgres(exc: BaseException | str, target: PgTarget) -> ConnectionFailure:
    """A psycopg/libpq error (or a client program's stderr) as a failure with a sentence for people."""
    chain = [] if isinstance(exc, str) else _chain(exc)
    text = exc if isinstance(exc, str) else " | ".join(str(e) for e in chain)
    low = text.lower()
    sqlstate = next((getattr(e, "sqlstate", None) for e in chain if getattr(e, "sqlstate", None)), None)
    at = target.address
    detail = text.strip()[:600]

    def fail(message: str, kind: FailureKind, hint: str | None = None) -> ConnectionFailure:
        return ConnectionFailure(message, kind=kind, target=target.label, hint=hint, detail=detail)

    if any(isinstance(e, TimeoutError) for e in chain) or "timeout expired" in low or "timed out" in low:
        return fail(f"The database server at {at} did not answer in time (timeout)", FailureKind.TIMEOUT,
                    "A firewall may be dropping the connection, or the server is overloaded; check the host and port")
    role = _ROLE_MISSING.search(text)
    if role:
        return fail(f"The database server at {at} has no user (role) named '{role.group(1)}'", FailureKind.AUTH,
                    "Check the user name in the environment's database settings (DATABASE_URL)")
    if sqlstate == "28P01" or "password authentication failed" in low or "sasl authentication failed" in low:
        # The server answers the same for a wrong password and an unknown user, on purpose.
        return fail(f"The database server at {at} rejected the password for user '{target.user}' "
                    "(or has no user of that name)", FailureKind.AUTH,
                    "Check the database password in the environment's secrets and the user name in its settings")
    if "no password supplied" in low or "fe_sendauth" in low:
        return fail(f"The database server at {at} asks for a password and none is stored "
                    f"for user '{target.user}'",
                    FailureKind.AUTH, "Add the database password to the environment's secrets")
    database = _DB_MISSING.search(text)
    if sqlstate == "3D000" or database:
        name = database.group(1) if database else target.dbname
        return fail(f"The database server at {at} has no database named '{name}'", FailureKind.NOT_FOUND,
                    "Check the database name in the environment's settings")
    if "no pg_hba.conf entry" in low or sqlstate == "28000":
        return fail(f"The database server at {at} does not let user '{target.user}' connect to "
                    f"'{target.dbname}' from this address", FailureKind.PERMISSION,
                    "Allow this address in the server's access rules (pg_hba.conf, or the provider's network settings)")
    if sqlstate == "42501" or "permission denied for database" in low or "not permitted to log in" in low:
        return fail(f"User '{target.user}' may not connect to database '{target.dbname}' at {at}",
                    FailureKind.PERMISSION, "Grant the user LOGIN and CONNECT on the database")
    cert_name = _CERT_NAME.search(text)
    if cert_name:
        return fail(f"The database server at {at} presented a TLS certificate for '{cert_name.group(1)}', "
                    f"not for '{target.host}' (name mismatch)", FailureKind.TLS,
                    "Connect with the host name the certificate is for, or fix the certificate")
    if "does not support ssl" in low:
        return fail(f"The database server at {at} does not offer TLS, but sslmode={target.sslmode} requires it",
                    FailureKind.TLS, "Enable TLS on the server, or lower sslmode (only on a trusted network)")
    if "root certificate file" in low and "does not exist" in low:
        return fail(f"There is no root certificate to check the TLS certificate of {at} with "
                    f"(sslmode={target.sslmode})", FailureKind.TLS,
                    "Set sslrootcert to the provider's CA certificate, or use sslmode=require")
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "certificate verify failed" in low \
            or "self-signed certificate" in low or "self signed certificate" in low:
        return fail(f"The TLS certificate of the database server at {at} is not trusted", FailureKind.TLS,
                    "Set sslrootcert to the provider's CA certificate")
    if any(isinstance(e, socket.gaierror) for e in chain) or "could not translate host name" in low \
            or "failed to resolve host" in low or "name or service not known" in low \
            or "nodename nor servname" in low or "temporary failure in name resolution" in low or "no such host" in low:
        return fail(f"The database host '{target.host}' could not be resolved (DNS failure)", FailureKind.DNS,
                    "Check the host name and this computer's network")
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in low:
        return fail(f"Nothing accepts connections at {at} (connection refused)", FailureKind.REFUSED,
                    "Check the port, and that PostgreSQL is running there")
    if "no route to host" in low or "network is unreachable" in low or "host is unreachable" in low:
        return fail(f"The database host {target.host} cannot be reached from this computer", FailureKind.UNREACHABLE,
                    "Check the network, VPN or firewall")
    if sqlstate == "53300" or "too many connections" in low or "remaining connection slots" in low \
            or "too many clients" in low:
        return fail(f"The database server at {at} has no free connection slots", FailureKind.SERVER_ERROR,
                    "Close idle connections or raise the pool limit")
    if sqlstate == "57P03" or "is starting up" in low or "is shutting down" in low or "in recovery mode" in low:
        return fail(f"The database server at {at} is starting up or shutting down", FailureKind.SERVER_ERROR,
                    "Try again in a minute")
    if "ssl" in low or "tls" in low or "certificate" in low:
        return fail(f"The TLS connection to the database server at {at} failed (sslmode={target.sslmode})",
                    FailureKind.TLS, "Check the sslmode setting and the server's certificate")
    if "server closed the connection unexpectedly" in low or "connection reset" in low \
            or "terminating connection" in low or "eof detected" in low:
        return fail(f"The server at {at} closed the connection without answering", FailureKind.DROPPED,
                    "Check that it is a PostgreSQL server at that port")
    return fail(f"Connecting to the database at {target.label} failed", FailureKind.PROTOCOL)


def classify_database(exc: BaseException, db: DatabaseSettings) -> ConnectionFailure:
    """``classify_postgres`` for a workspace's database settings (host, port, name, user, sslmode)."""
    return classify_postgres(exc, PgTarget(db.host, db.port, db.name, db.user, db.sslmode or "prefer"))
