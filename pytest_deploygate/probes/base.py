"""What every probe shares: its context, the mapping of low-level errors, and a time
bound for calls that may hang.

A probe is a function ``probe(spec, target, ctx) -> Observation``: it does all the I/O
of one check and nothing else. It raises only :class:`~pytest_deploygate.errors.ProbeError`.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from pytest_deploygate.errors import (
    ProbeAuthError,
    ProbeConnectionError,
    ProbeDNSError,
    ProbeError,
    ProbeProtocolError,
    ProbeTimeout,
    ProbeTLSError,
    one_line,
)
from pytest_deploygate.masking import display_url
from pytest_deploygate.units import format_duration

if TYPE_CHECKING:
    from pytest_deploygate.probes.hostconn import HostPool

T = TypeVar("T")

# How often a bounded call looks at its stop event while it waits.
STOP_POLL_S = 0.1
STOPPED_REASON = "stopped: the gate is shutting down"


class Resources:
    """What the checks of one gate session share, closed with the session.

    ``environ`` is the environment as it was when the gate started: probes read it, not
    ``os.environ``, which pytest changes for every test (``PYTEST_CURRENT_TEST``) while
    checks run in other threads, and which fails to read then (a ``KeyError`` from the
    middle of iterating it, as ``requests`` and ``urllib`` do to find proxies).
    ``shared`` holds one object per key (a pool of HTTP sessions, of database
    connections), made on first use and closed by ``close``.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ: Mapping[str, str] = dict(environ)
        self._lock = threading.Lock()
        self._shared: dict[str, Any] = {}
        self._closers: list[Callable[[], None]] = []

    def shared(self, key: str, make: Callable[[], T], close: Callable[[T], None]) -> T:
        with self._lock:
            if key not in self._shared:
                made = make()
                self._shared[key] = made
                self._closers.append(lambda: close(made))
            found: T = self._shared[key]
            return found

    def close(self) -> None:
        with self._lock:
            closers, self._closers = self._closers, []
            self._shared.clear()
        for closer in closers:
            closer()


@dataclass(frozen=True)
class ProbeContext:
    """What a probe may need beyond its spec and target.

    ``base_dir`` resolves relative paths in the config; ``observe`` is the length of the
    post-deploy observation window (``--observe``) or ``None``; ``instance`` names the
    fan-out instance (a host) when a check type runs once per instance. ``hosts`` holds
    the gate session's host connections (the session closes them at its end); without
    one, a host probe connects for itself and closes what it opened. ``resources`` holds
    what else the session's checks share (``Resources``); without it, a probe opens its
    own connections and reads ``os.environ``.
    """

    base_dir: Path
    observe: float | None = None
    instance: str | None = None
    hosts: HostPool | None = field(default=None, compare=False, repr=False)
    resources: Resources | None = field(default=None, compare=False, repr=False)

    def environ(self) -> Mapping[str, str]:
        """The environment probes read (``Resources.environ``)."""
        return self.resources.environ if self.resources is not None else os.environ

    def path(self, value: Path | str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path


def call_with_deadline(
    fn: Callable[[], T],
    seconds: float,
    *,
    name: str,
    timeout_reason: str,
    stop: threading.Event | None = None,
) -> T:
    """``fn()`` in a daemon thread, waited for at most ``seconds``.

    Returns what ``fn`` returns and raises what it raises (an exception that is not an
    ``Exception`` becomes a ``ProbeError``). Past ``seconds`` it raises
    ``ProbeTimeout(timeout_reason)``; once ``stop`` is set, a ``ProbeError`` saying so.
    The thread is left behind in both cases: a call stuck in C cannot be killed, and as a
    daemon it keeps neither the gate nor the interpreter at exit waiting.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    end = time.monotonic() + seconds
    while worker.is_alive():
        if stop is not None and stop.is_set():
            raise ProbeError(STOPPED_REASON)
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise ProbeTimeout(timeout_reason)
        worker.join(remaining if stop is None else min(remaining, STOP_POLL_S))
    if "error" in box:
        error: BaseException = box["error"]
        if isinstance(error, Exception):
            raise error
        raise classify(error) from error
    value: T = box["value"]
    return value


# What the caller gave the operation, in requests' shape: seconds, or (connect, read).
Timeout: TypeAlias = "float | tuple[float, float] | None"


def classify(exc: BaseException, where: str = "", timeout: Timeout = None) -> ProbeError:
    """Map a lower-level exception onto our tree, with a one-line reason; a timeout's
    reason says how long was waited when the caller passes ``timeout``."""
    if isinstance(exc, ProbeError):
        return exc
    if "psycopg" in sys.modules:  # a psycopg error escaped a team check through `db`
        from pytest_deploygate.probes.pgconn import classify_psycopg

        mapped = classify_psycopg(exc)
        if mapped is not None:
            return mapped
    where = where or request_where(exc)
    suffix = f" ({where})" if where else ""
    requests = sys.modules.get("requests")  # not imported: exc cannot be one of its errors
    if requests is not None and isinstance(exc, requests.RequestException):
        return _classify_requests(exc, suffix, timeout)
    if isinstance(exc, socket.gaierror):
        return ProbeDNSError(f"DNS lookup failed: {exc.strerror or exc}{suffix}")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return ProbeTimeout(f"timed out{_after(_read_part(timeout))}{suffix}")
    if isinstance(exc, ssl.SSLError):
        return ProbeTLSError(f"TLS error: {ssl_reason(exc)}{suffix}")
    if isinstance(exc, ConnectionRefusedError):
        return ProbeConnectionError(f"connection refused{suffix}")
    if isinstance(exc, ConnectionResetError):
        return ProbeConnectionError(f"connection reset by peer{suffix}")
    if isinstance(exc, PermissionError):
        return ProbeAuthError(f"permission denied: {one_line(exc)}{suffix}")
    if isinstance(exc, OSError):
        return ProbeConnectionError(f"{one_line(exc)}{suffix}")
    if isinstance(exc, (ValueError, UnicodeError)):
        return ProbeProtocolError(f"{one_line(exc)}{suffix}")
    return ProbeError(f"{type(exc).__name__}: {one_line(exc)}{suffix}")


def request_where(exc: BaseException) -> str:
    """``GET https://host/path`` of the request a requests error was raised for (no query
    string, no credentials), or "": a team test's error then names what it called."""
    requests = sys.modules.get("requests")
    if requests is None or not isinstance(exc, requests.RequestException):
        return ""
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if not url:
        return ""
    method = getattr(request, "method", None)
    return f"{method} {display_url(url)}" if method else display_url(url)


def is_network_error(exc: BaseException) -> bool:
    """A requests or socket-level error: its traceback (hundreds of lines through urllib3)
    says nothing the one-line reason does not."""
    requests = sys.modules.get("requests")
    if requests is not None and isinstance(exc, requests.RequestException):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror, ssl.SSLError))


def _classify_requests(exc: BaseException, suffix: str, timeout: Timeout) -> ProbeError:
    import requests

    text = _root_text(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        inner = _innermost(exc)
        reason = ssl_reason(inner) if isinstance(inner, ssl.SSLError) else text
        return ProbeTLSError(f"TLS error: {reason}{suffix}")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        connect = timeout[0] if isinstance(timeout, tuple) else timeout
        return ProbeTimeout(f"connect timed out{_after(connect)}{suffix}")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        read = _read_part(timeout)
        limit = f" of {format_duration(read)}" if read is not None else ""
        return ProbeTimeout(f"no answer within the read timeout{limit}{suffix}")
    if isinstance(exc, requests.exceptions.ConnectionError):
        lowered = text.lower()
        if (
            "name or service not known" in lowered
            or "nodename nor servname" in lowered
            or ("failed to resolve" in lowered or "temporary failure in name resolution" in lowered)
        ):
            return ProbeDNSError(f"DNS lookup failed{suffix}")
        if "refused" in lowered:
            return ProbeConnectionError(f"connection refused{suffix}")
        if any(
            w in lowered for w in ("reset", "aborted", "remotedisconnected", "closed connection")
        ):
            return ProbeConnectionError(f"connection closed by peer without an answer{suffix}")
        if "timed out" in lowered:
            return ProbeTimeout(f"timed out{suffix}")
        return ProbeConnectionError(f"connection failed: {text}{suffix}")
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return ProbeProtocolError(f"too many redirects{suffix}")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return ProbeProtocolError(f"invalid URL: {text}{suffix}")
    return ProbeError(f"{type(exc).__name__}: {text}{suffix}")


def _read_part(timeout: Timeout) -> float | None:
    return timeout[1] if isinstance(timeout, tuple) else timeout


def _after(seconds: float | None) -> str:
    return f" after {format_duration(seconds)}" if seconds is not None else ""


def ssl_reason(exc: ssl.SSLError) -> str:
    """OpenSSL's reason in words, without the C file and line number."""
    reason = getattr(exc, "reason", None)
    text = str(reason).replace("_", " ").lower() if reason else one_line(exc)
    detail = getattr(exc, "verify_message", None)  # SSLCertVerificationError: which check
    if detail and detail not in text:
        text = f"{text}: {one_line(str(detail))}"
    if "wrong version number" in text or "record layer failure" in text:
        return f"{text} (is this port speaking TLS?)"
    return text


def _root_text(exc: BaseException) -> str:
    """The innermost cause's message: requests nests urllib3 errors three levels deep."""
    return one_line(str(_innermost(exc))) or type(exc).__name__


def _innermost(exc: BaseException) -> BaseException:
    seen = exc
    while True:
        nxt = seen.__cause__ or seen.__context__
        if nxt is None and seen.args and isinstance(seen.args[0], BaseException):
            nxt = seen.args[0]
        reason = getattr(seen, "reason", None)
        if nxt is None and isinstance(reason, BaseException):
            nxt = reason
        if nxt is None or nxt is seen:
            break
        seen = nxt
    return seen
