"""Redis through redis-py's single connection (no pool: one check, one connection):
AUTH and SELECT on connect, then PING, INFO and the optional write probe.

Every socket operation gets the check's timeout; redis-py's own retries are off, so a
refused connection is one attempt, as for every other check type.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any, Protocol, cast

import redis
from redis.backoff import NoBackoff
from redis.exceptions import (
    AuthenticationError,
    BusyLoadingError,
    MasterDownError,
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.redis import (
    WRITE_PROBE_PREFIX,
    WRITE_PROBE_TTL_S,
    RedisCheck,
    RedisObservation,
    WriteProbe,
    redis_address,
)
from pytest_deploygate.checks.redis_url import RedisAddress
from pytest_deploygate.errors import (
    ProbeAuthError,
    ProbeError,
    ProbeProtocolError,
    ProbeTimeout,
    one_line,
)
from pytest_deploygate.probes.base import ProbeContext, classify
from pytest_deploygate.probes.tls import tls_verification
from pytest_deploygate.units import format_duration

Reply = object
# redis-py turns these server errors into classes and drops their code from the message:
# the code goes back in front, as the server sent it ("READONLY You can't write ...").
SERVER_ERROR_CODES: tuple[tuple[type[RedisError], str], ...] = (
    (BusyLoadingError, "LOADING"),
    (ReadOnlyError, "READONLY"),
    (OutOfMemoryError, "OOM"),
    (NoPermissionError, "NOPERM"),
    (MasterDownError, "MASTERDOWN"),
)


class Connection(Protocol):
    """What the probe uses of redis-py's ``Connection`` (whose methods are untyped)."""

    def connect(self) -> None: ...
    def disconnect(self) -> None: ...
    def send_command(self, *args: str | int) -> None: ...
    def read_response(self) -> Reply: ...


def probe_redis(spec: RedisCheck, target: Target, ctx: ProbeContext) -> RedisObservation:
    address = redis_address(spec, target)
    timeout = spec.effective_timeout(target)
    connection = _connection(spec, address, target, ctx, timeout)
    try:
        try:
            connection.connect()
        except BusyLoadingError as exc:  # up, but not serving yet: PING would say the same
            return RedisObservation(address.shown, f"error: {server_error(exc)}", math.nan)
        start = time.perf_counter()
        pong = _ping(connection)
        latency = time.perf_counter() - start
        if pong != "PONG":
            return RedisObservation(address.shown, pong, latency)
        info = parse_info(_text(_call(connection, "INFO")))
        write = _write_probe(connection) if spec.write_probe else None
        return RedisObservation(address.shown, pong, latency, info, write)
    except ProbeError:
        raise
    except Exception as exc:
        raise _classify(exc, address.shown, timeout) from exc
    finally:
        connection.disconnect()


def _connection(
    spec: RedisCheck, address: RedisAddress, target: Target, ctx: ProbeContext, timeout: float
) -> Connection:
    common: dict[str, Any] = {
        "host": address.host,
        "port": address.port,
        "db": address.db,
        "username": address.username,
        "password": address.password,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        "protocol": 2,  # RESP2: what every Redis since 2.0 speaks; replies are plain
    }
    if not address.tls:
        return cast(Connection, redis.Connection(**common))  # type: ignore[no-untyped-call]
    verify, bundle = tls_verification(spec.verify, spec.ca_bundle, target)
    tls = redis.SSLConnection(
        ssl_cert_reqs="required" if verify else "none",
        ssl_ca_certs=str(ctx.path(bundle)) if bundle is not None else None,
        ssl_check_hostname=verify,
        **common,
    )
    return cast(Connection, tls)


def _call(connection: Connection, *args: str | int) -> Reply:
    connection.send_command(*args)
    reply: Reply = connection.read_response()
    return reply


def _text(reply: Reply) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", errors="replace")
    return "(nil)" if reply is None else str(reply)


def _ping(connection: Connection) -> str:
    """PING's reply as text; a server error (LOADING, MASTERDOWN, MISCONF) is a reply
    too: the server is there but not serving, which the judge fails."""
    try:
        return _text(_call(connection, "PING"))
    except (ResponseError, BusyLoadingError) as exc:
        return f"error: {server_error(exc)}"


def parse_info(text: str) -> dict[str, str]:
    """INFO's ``field:value`` lines (sections and blank lines skipped), values as the
    server wrote them."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and not line.startswith("#"):
            fields[name.strip()] = value.strip()
    return fields


def _write_probe(connection: Connection) -> WriteProbe:
    """SET a fresh scratch key with a TTL (NX: never an existing key), GET it back, DEL
    it. A server error at a step is the probe's finding; DEL runs whenever SET did."""
    key = WRITE_PROBE_PREFIX + secrets.token_hex(8)
    value = secrets.token_hex(16)
    start = time.perf_counter()
    problem = _set(connection, key, value)
    if problem is None:
        try:
            problem = _get(connection, key, value)
        finally:
            deleted = _delete(connection, key)
        problem = problem or deleted
    step, detail = problem or (None, "")
    return WriteProbe(key, step, detail, time.perf_counter() - start)


# A failed step: its command and what went wrong.
Problem = tuple[str, str]


def _set(connection: Connection, key: str, value: str) -> Problem | None:
    reply, error = _step(connection, "SET", key, value, "EX", WRITE_PROBE_TTL_S, "NX")
    if error is not None:
        return "SET", error
    if reply != "OK":
        return "SET", f"answered {reply}, not OK (the key exists already)"
    return None


def _get(connection: Connection, key: str, value: str) -> Problem | None:
    reply, error = _step(connection, "GET", key)
    if error is not None:
        return "GET", error
    if reply != value:
        return "GET", f"answered {reply[:40]!r}, not the value SET"
    return None


def _delete(connection: Connection, key: str) -> Problem | None:
    reply, error = _step(connection, "DEL", key)
    if error is not None:
        return "DEL", error
    if reply != "1":
        return "DEL", f"removed {reply} keys, not 1 (did the key expire already?)"
    return None


def _step(connection: Connection, *args: str | int) -> tuple[str, str | None]:
    """A command's reply as text, or the server's error (READONLY, OOM, NOPERM ...)."""
    try:
        return _text(_call(connection, *args)), None
    except (ResponseError, BusyLoadingError) as exc:
        return "", server_error(exc)


def server_error(exc: RedisError) -> str:
    """A server's error reply as the server wrote it, code first."""
    text = one_line(exc)
    for kind, code in SERVER_ERROR_CODES:
        if isinstance(exc, kind) and not text.startswith(code):
            return f"{code} {text}"
    return text


def _classify(exc: BaseException, where: str, timeout: float) -> ProbeError:
    """redis-py's errors onto our tree; the socket or TLS error under a connection error
    through classify (refused, DNS, TLS)."""
    suffix = f" ({where})"
    if isinstance(exc, AuthenticationError):
        text = one_line(exc).rstrip(".")
        if "authentication required" in text.lower():
            text = "the server requires a password; give it in the URL or as password"
        return ProbeAuthError(f"authentication failed: {text}{suffix}")
    if isinstance(exc, RedisTimeoutError):
        return ProbeTimeout(f"no answer within {format_duration(timeout)}{suffix}")
    if isinstance(exc, RedisConnectionError):
        inner = exc.__cause__ or exc.__context__
        if isinstance(inner, OSError):
            return classify(inner, where, timeout)
        return ProbeProtocolError(f"connection failed: {one_line(exc)}{suffix}")
    if isinstance(exc, ResponseError):
        return ProbeProtocolError(f"the server answered with an error: {server_error(exc)}{suffix}")
    return classify(exc, where, timeout)
