"""Every low-level error a probe may meet maps onto our tree with a one-line reason."""

from __future__ import annotations

import re
import socket
import ssl
from pathlib import Path

import pytest
import requests

from pytest_deploygate import errors
from pytest_deploygate.probes.base import classify


@pytest.mark.parametrize(
    ("exc", "expected", "text"),
    [
        (
            socket.gaierror(-2, "Name or service not known"),
            errors.ProbeDNSError,
            "DNS lookup failed",
        ),
        (TimeoutError(), errors.ProbeTimeout, "timed out"),
        (TimeoutError(), errors.ProbeTimeout, "timed out"),
        (
            ssl.SSLCertVerificationError("certificate verify failed"),
            errors.ProbeTLSError,
            "TLS error",
        ),
        (ConnectionRefusedError(), errors.ProbeConnectionError, "connection refused"),
        (ConnectionResetError(), errors.ProbeConnectionError, "connection reset"),
        (PermissionError("denied"), errors.ProbeAuthError, "permission denied"),
        (OSError("Network is unreachable"), errors.ProbeConnectionError, "unreachable"),
        (ValueError("bad frame"), errors.ProbeProtocolError, "bad frame"),
        (requests.exceptions.SSLError("hostname mismatch"), errors.ProbeTLSError, "TLS error"),
        (requests.exceptions.ConnectTimeout(), errors.ProbeTimeout, "connect timed out"),
        (requests.exceptions.ReadTimeout(), errors.ProbeTimeout, "read timeout"),
        (
            requests.exceptions.ConnectionError("Connection refused"),
            errors.ProbeConnectionError,
            "refused",
        ),
        (
            requests.exceptions.ConnectionError("Failed to resolve 'x.invalid'"),
            errors.ProbeDNSError,
            "DNS",
        ),
        (requests.exceptions.TooManyRedirects(), errors.ProbeProtocolError, "too many redirects"),
        (requests.exceptions.InvalidURL("nope"), errors.ProbeProtocolError, "invalid URL"),
        (KeyError("x"), errors.ProbeError, "KeyError"),
    ],
)
def test_low_level_errors_map_onto_the_tree(
    exc: BaseException, expected: type[errors.ProbeError], text: str
) -> None:
    mapped = classify(exc, "GET http://h/x")
    assert type(mapped) is expected
    assert text in str(mapped)
    assert str(mapped).endswith("(GET http://h/x)")
    assert "\n" not in str(mapped)


def test_our_own_errors_pass_through_unchanged() -> None:
    original = errors.ProbeAuthError("password authentication failed")
    assert classify(original) is original


def test_every_probe_error_has_a_kind() -> None:
    kinds = {cls.kind for cls in errors.ProbeError.__subclasses__()} | {errors.ProbeDNSError.kind}
    assert kinds == {"timeout", "connection", "dns", "tls", "auth", "protocol", "read-only"}


@pytest.mark.parametrize(
    ("exc", "timeout", "text"),
    [
        (
            requests.exceptions.ReadTimeout(),
            (2.0, 5.0),
            "no answer within the read timeout of 5.00s",
        ),
        (requests.exceptions.ReadTimeout(), 0.25, "no answer within the read timeout of 250ms"),
        (requests.exceptions.ConnectTimeout(), (2.0, 5.0), "connect timed out after 2.00s"),
        (requests.exceptions.ConnectTimeout(), 3.0, "connect timed out after 3.00s"),
        (TimeoutError(), 1.5, "timed out after 1.50s"),
        (requests.exceptions.ReadTimeout(), None, "no answer within the read timeout"),
    ],
)
def test_a_timeout_says_how_long_was_waited_when_the_caller_knows(
    exc: BaseException, timeout: float | tuple[float, float] | None, text: str
) -> None:
    mapped = classify(exc, "GET http://h/x", timeout)
    assert type(mapped) is errors.ProbeTimeout
    assert str(mapped) == f"{text} (GET http://h/x)"


@pytest.mark.parametrize(
    ("value", "whole", "expected"),
    [
        (ValueError("\n  bad   frame \nat line 2"), False, "bad frame"),
        (ValueError(""), False, "ValueError"),
        ("", False, ""),
        ("\n\n  exit   127\n", False, "exit 127"),
        (
            OSError("connection failed:\n\tIs the server running?"),
            True,
            "connection failed: Is the server running?",
        ),
    ],
)
def test_one_line_is_the_reason_of_a_message(
    value: BaseException | str, whole: bool, expected: str
) -> None:
    assert errors.one_line(value, whole=whole) == expected


def test_the_one_line_helper_is_written_once() -> None:
    package = Path(errors.__file__).parent
    copies = [
        f"{path.relative_to(package)}: {match.group(0)}"
        for path in sorted(package.rglob("*.py"))
        for match in re.finditer(r"^def _?(first|one)_line\b", path.read_text(), re.MULTILINE)
        if path.name != "errors.py"
    ]
    assert copies == []
