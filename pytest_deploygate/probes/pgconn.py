"""Read-only PostgreSQL sessions with timeouts, and psycopg errors as one-line reasons.

Every session the gate opens: ``connect_timeout`` on the connection, ``statement_timeout``
and ``default_transaction_read_only`` set before the first query, autocommit (no
transaction left open between statements). Every message that leaves this module has
passed through :func:`scrub`: psycopg's errors can quote the DSN, password included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import errors as pg_errors
from psycopg import sql

from pytest_deploygate.errors import (
    ProbeAuthError,
    ProbeConnectionError,
    ProbeDNSError,
    ProbeError,
    ProbeProtocolError,
    ProbeTimeout,
    ProbeTLSError,
    ReadOnlyViolation,
    one_line,
)
from pytest_deploygate.masking import Masker, passwords_in
from pytest_deploygate.sqlguard import refused
from pytest_deploygate.units import format_value

APPLICATION_NAME = "pytest-deploygate"


@dataclass(frozen=True)
class PgSettings:
    """Where and how to connect; ``dsn`` may hold a password and is never shown."""

    dsn: str
    connect_timeout: float
    statement_timeout: float
    sslmode: str | None = None
    sslrootcert: Path | None = None
    read_only: bool = True

    def masker(self) -> Masker:
        secrets = passwords_in(self.dsn)
        try:
            password = pg_conninfo.conninfo_to_dict(normalize_dsn(self.dsn)).get("password")
        except Exception:
            password = None
        if isinstance(password, str) and password:
            secrets.add(password)
        return Masker(secrets)

    def where(self) -> str:
        """``host:port/dbname`` for reasons: enough to find the server, no secret."""
        try:
            params = pg_conninfo.conninfo_to_dict(normalize_dsn(self.dsn))
        except Exception:
            return "postgres"
        host = str(params.get("host") or params.get("hostaddr") or "localhost")
        port = str(params.get("port") or "5432")
        dbname = str(params.get("dbname") or params.get("user") or "")
        return f"postgres {host}:{port}/{dbname}"


def normalize_dsn(dsn: str) -> str:
    """Accept SQLAlchemy-style URLs (``postgresql+psycopg://``) and ``postgres://``."""
    scheme, sep, rest = dsn.partition("://")
    if sep and scheme.lower().startswith(("postgresql+", "postgres+")):
        return "postgresql://" + rest
    return dsn


def connect(settings: PgSettings) -> psycopg.Connection[Any]:
    """Open a session with the gate's safety settings; raises ProbeError subclasses."""
    masker = settings.masker()
    where = settings.where()
    extra: dict[str, Any] = {
        # libpq takes whole seconds; the runner's deadline bounds the rest.
        "connect_timeout": max(1, math.ceil(settings.connect_timeout)),
        "application_name": APPLICATION_NAME,
    }
    if settings.sslmode:
        extra["sslmode"] = settings.sslmode
    if settings.sslrootcert is not None:
        extra["sslrootcert"] = str(settings.sslrootcert)
    try:
        info = pg_conninfo.make_conninfo(normalize_dsn(settings.dsn), **extra)
    except psycopg.Error as exc:
        raise ProbeProtocolError(f"invalid DSN: {pg_reason(exc, masker)}") from None
    try:
        # No statements prepared on the server: a shared session is reset with DISCARD ALL
        # between checks, which drops them behind psycopg's back (and PgBouncer's
        # transaction pooling does not keep them either).
        conn = psycopg.connect(info, autocommit=True, prepare_threshold=None)
    except psycopg.Error as exc:
        raise map_error(exc, masker, where, settings.statement_timeout) from None
    try:
        prepare(conn, settings)
    except psycopg.Error as exc:
        conn.close()
        raise map_error(exc, masker, where, settings.statement_timeout) from None
    return conn


def prepare(conn: psycopg.Connection[Any], settings: PgSettings, *, reset: bool = False) -> None:
    """The gate's session settings, in one round trip (simple protocol; a SET works
    through PgBouncer where startup "options" do not). ``reset`` first drops whatever an
    earlier check left in the session (settings, temporary tables, prepared statements):
    one more round trip."""
    if reset:
        conn.execute("DISCARD ALL")  # alone: it cannot run in a multi-statement string
    statements = [f"SET statement_timeout = {max(1, int(settings.statement_timeout * 1000))}"]
    if settings.read_only:
        statements.append("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    conn.execute("; ".join(statements))


def guard(query: Any, conn: Any = None) -> None:
    """Refuse, before it is sent, SQL that would end or change the read-only transaction
    (COMMIT, BEGIN READ WRITE, SET default_transaction_read_only = off ...)."""
    if isinstance(query, sql.Composable):
        text = query.as_string(conn)
    elif isinstance(query, (bytes, bytearray, memoryview)):
        text = bytes(query).decode(errors="replace")
    else:
        text = str(query)
    why = refused(text)
    if why:
        raise ReadOnlyViolation(
            f"refused before sending: {why}; the gate does not change what it checks"
        )


class ReadOnlyCursor:
    """A psycopg cursor whose statements pass :func:`guard` first."""

    def __init__(self, cursor: Any, conn: Any) -> None:
        self._cursor = cursor
        self._conn = conn

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> ReadOnlyCursor:
        guard(query, self._conn)
        self._cursor.execute(query, *args, **kwargs)
        return self

    def executemany(self, query: Any, *args: Any, **kwargs: Any) -> None:
        guard(query, self._conn)
        self._cursor.executemany(query, *args, **kwargs)

    def copy(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        guard(statement, self._conn)
        return self._cursor.copy(statement, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __iter__(self) -> Any:
        return iter(self._cursor)

    def __enter__(self) -> ReadOnlyCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cursor.close()


class ReadOnlyConnection:
    """The ``db`` fixture's connection: psycopg's, in a read-only session, with every
    statement passing :func:`guard` before it is sent, so a team check cannot lift the
    read-only mode or commit a write."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> ReadOnlyCursor:
        return self.cursor().execute(query, *args, **kwargs)

    def cursor(self, *args: Any, **kwargs: Any) -> ReadOnlyCursor:
        return ReadOnlyCursor(self._conn.cursor(*args, **kwargs), self._conn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __enter__(self) -> ReadOnlyConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()


def pg_reason(exc: BaseException, masker: Masker) -> str:
    """The error's whole message on one line (libpq's later lines say what happened),
    secrets masked, libpq's noise trimmed."""
    text = one_line(exc, whole=True)
    for prefix in ("connection failed: ", "FATAL: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.replace(" FATAL: ", " ")
    return masker(text)


def classify_psycopg(exc: BaseException) -> ProbeError | None:
    """For ``probes.base.classify``: a psycopg error that escaped a team-written check
    (through the ``db`` fixture) as our tree, or None when ``exc`` is not psycopg's."""
    if not isinstance(exc, psycopg.Error):
        return None
    return map_error(exc, Masker(), "postgres", None)


def map_error(
    exc: BaseException, masker: Masker, where: str, statement_timeout: float | None
) -> ProbeError:
    """psycopg error -> our tree, with a one-line reason that never holds the password."""
    if isinstance(exc, ProbeError):
        return exc
    text = pg_reason(exc, masker)
    lowered = text.lower()
    suffix = f" ({where})"
    if isinstance(exc, pg_errors.QueryCanceled):
        limit = "" if statement_timeout is None else f" ({format_value(statement_timeout, 's')})"
        return ProbeTimeout(f"query cancelled by statement_timeout{limit}{suffix}")
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return ProbeAuthError(f"permission denied: {text}{suffix}")
    if isinstance(exc, (pg_errors.InvalidPassword, pg_errors.InvalidAuthorizationSpecification)):
        return ProbeAuthError(f"authentication failed: {text}{suffix}")
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        if "password authentication failed" in lowered or "no password supplied" in lowered:
            return ProbeAuthError(f"authentication failed: {text}{suffix}")
        if "authentication" in lowered or "pg_hba.conf" in lowered:
            return ProbeAuthError(f"authentication failed: {text}{suffix}")
        if "timeout expired" in lowered or "timed out" in lowered:
            return ProbeTimeout(f"connect timed out{suffix}")
        if "could not translate host name" in lowered or "name or service not known" in lowered:
            return ProbeDNSError(f"DNS lookup failed: {text}{suffix}")
        if "ssl" in lowered or "certificate" in lowered:
            return ProbeTLSError(f"TLS error: {text}{suffix}")
        if "refused" in lowered:
            return ProbeConnectionError(f"connection refused{suffix}")
        return ProbeConnectionError(f"{text}{suffix}")
    if isinstance(exc, psycopg.Error):
        return ProbeProtocolError(f"{text}{suffix}")
    return ProbeError(f"{type(exc).__name__}: {text}{suffix}")
