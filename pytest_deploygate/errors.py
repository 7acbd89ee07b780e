"""One exception tree for the gate, mapped at the boundary.

    DeployGateError
    ├── ConfigError           bad input (config file, option); pytest exits 4, nothing is checked
    └── ProbeError            the check could not run: its outcome is ``error``
        ├── ProbeTimeout      no answer within the check's timeout
        ├── ProbeConnectionError   refused, reset, unreachable
        │   └── ProbeDNSError      the name does not resolve
        ├── ProbeTLSError     handshake or certificate verification failed
        ├── ProbeAuthError    bad credentials, permission denied
        ├── ProbeProtocolError     the peer answered, but not in the expected protocol/format
        └── ReadOnlyViolation      SQL that would end the gate's read-only transaction: not sent

Probes raise only ``ProbeError`` subclasses (``raise ... from exc``); ``probes.base.classify``
maps the lower-level exceptions of requests, sockets, ssl and friends onto this tree, so a
team-written test that lets a ``requests.ConnectionError`` escape is an ``error`` as well.
"""

from __future__ import annotations


class DeployGateError(Exception):
    """Base of every error the gate raises on purpose."""


class ConfigError(DeployGateError):
    """A config file or option is wrong; the message names file, key and fix."""

    def __init__(self, message: str, *, source: str = "", key: str = "", fix: str = "") -> None:
        self.source = source
        self.key = key
        self.fix = fix
        self.detail = message
        parts = [p for p in (source, key) if p]
        where = ": ".join(parts)
        text = f"{where}: {message}" if where else message
        if fix:
            text = f"{text} Fix: {fix}"
        super().__init__(text)


class ProbeError(DeployGateError):
    """The check could not run; ``str()`` is the one-line reason shown to people."""

    kind = "error"


class ProbeTimeout(ProbeError):
    kind = "timeout"


class ProbeConnectionError(ProbeError):
    kind = "connection"


class ProbeDNSError(ProbeConnectionError):
    kind = "dns"


class ProbeTLSError(ProbeError):
    kind = "tls"


class ProbeAuthError(ProbeError):
    kind = "auth"


class ProbeProtocolError(ProbeError):
    kind = "protocol"


class ReadOnlyViolation(ProbeError):
    """SQL that would end or change the gate's read-only, rolled-back transaction; it was
    refused before it was sent (sqlguard.py)."""

    kind = "read-only"


def one_line(value: BaseException | str, *, whole: bool = False) -> str:
    """A message as a one-line reason: its first non-blank line, runs of whitespace
    collapsed; with ``whole``, all its lines joined (for messages whose later lines say
    what happened, as libpq's do). An exception without a message gives its class name;
    an empty string gives ""."""
    text = str(value)
    if whole:
        line = " ".join(text.split())
    else:
        line = next((" ".join(ln.split()) for ln in text.splitlines() if ln.strip()), "")
    if not line and isinstance(value, BaseException):
        return type(value).__name__
    return line
