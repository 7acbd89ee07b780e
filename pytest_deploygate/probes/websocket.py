"""WebSocket probing with websockets' sync client: handshake, one message, one reply.

Every step shares the check's timeout: the handshake gets all of it, the reply what is
left. A server that accepts but never answers is an observation (no reply), not an
error: the judge turns it into ``failed``; a refused or broken handshake is an error.
"""

from __future__ import annotations

import json
import ssl
import time
from dataclasses import replace

from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)
from websockets.sync.client import ClientConnection, connect

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.websocket import WebSocketCheck, WebSocketObservation, resolve_ws_url
from pytest_deploygate.errors import (
    ProbeAuthError,
    ProbeError,
    ProbeProtocolError,
    ProbeTimeout,
    ProbeTLSError,
    one_line,
)
from pytest_deploygate.masking import display_url
from pytest_deploygate.probes.base import ProbeContext, classify, ssl_reason
from pytest_deploygate.probes.tls import client_context
from pytest_deploygate.units import format_duration

USER_AGENT = "pytest-deploygate"
# Closing politely waits for the server's close frame; never let that outlive the check.
CLOSE_TIMEOUT_S = 0.5


def probe_websocket(
    spec: WebSocketCheck, target: Target, ctx: ProbeContext
) -> WebSocketObservation:
    url = resolve_ws_url(spec, target)
    shown = display_url(url)
    timeout = spec.effective_timeout(target)
    deadline = time.monotonic() + timeout
    context = (
        client_context(spec.verify, spec.ca_bundle, target, ctx)
        if url.startswith("wss://")
        else None
    )
    start = time.perf_counter()
    try:
        with connect(
            url,
            ssl=context,
            additional_headers={**target.headers, **spec.headers},
            subprotocols=list(spec.subprotocols) or None,  # type: ignore[arg-type]
            user_agent_header=USER_AGENT,
            open_timeout=timeout,
            close_timeout=CLOSE_TIMEOUT_S,
            ping_interval=None,  # one short exchange: keepalive pings only add noise
        ) as ws:
            connect_latency = time.perf_counter() - start
            return _exchange(spec, ws, shown, connect_latency, deadline, timeout)
    except ProbeError:
        raise
    except Exception as exc:
        raise _classify(exc, shown, timeout) from exc


def _exchange(
    spec: WebSocketCheck,
    ws: ClientConnection,
    shown: str,
    connect_latency: float,
    deadline: float,
    timeout: float,
) -> WebSocketObservation:
    observed = WebSocketObservation(
        url=shown,
        subprotocol=ws.subprotocol,
        connect_latency=connect_latency,
        waited_for_reply=spec.wants_reply,
        timeout=timeout,
    )
    sent_at = time.perf_counter()
    try:
        if spec.send is not None:
            ws.send(spec.send)
        elif spec.send_json is not None:
            ws.send(json.dumps(spec.send_json))
        if not spec.wants_reply:
            return observed
        message = ws.recv(timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        return observed  # accepted but silent: the judge fails it, it is not an error
    except ConnectionClosed as exc:
        return replace(observed, closed_before_reply=_close_text(exc))
    except Exception as exc:
        raise _classify(exc, shown, timeout) from exc
    latency = time.perf_counter() - sent_at
    text = message.decode("utf-8", errors="replace") if isinstance(message, bytes) else message
    return replace(observed, reply=text, reply_latency=latency)


def _close_text(exc: ConnectionClosed) -> str:
    frame = exc.rcvd
    if frame is None:
        return "without a close frame"
    reason = f" {frame.reason}" if frame.reason else ""
    return f"code {frame.code}{reason}"


def _classify(exc: BaseException, where: str, timeout: float) -> ProbeError:
    """websockets' errors onto our tree; socket and TLS errors through classify."""
    if isinstance(exc, ProbeError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = (exc.verify_message or one_line(exc)).rstrip(".")
        return ProbeTLSError(f"TLS certificate not accepted: {detail} ({where})")
    if isinstance(exc, ssl.SSLError):
        return ProbeTLSError(f"TLS handshake failed: {ssl_reason(exc)} ({where})")
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        text = f"server rejected the WebSocket handshake: HTTP {status} ({where})"
        return ProbeAuthError(text) if status in (401, 403) else ProbeProtocolError(text)
    if isinstance(exc, InvalidURI):
        return ProbeProtocolError(f"invalid WebSocket URL: {where}")
    if isinstance(exc, TimeoutError):
        return ProbeTimeout(f"no WebSocket handshake within {format_duration(timeout)} ({where})")
    if isinstance(exc, (InvalidHandshake, WebSocketException)):
        # A reset or a non-HTTP peer surfaces as InvalidMessage caused by an OSError/EOF.
        cause = exc.__cause__
        if isinstance(cause, OSError):
            return classify(cause, where)
        if isinstance(cause, EOFError):
            return ProbeProtocolError(f"connection closed during the WebSocket handshake ({where})")
        return ProbeProtocolError(f"WebSocket handshake failed: {one_line(exc)} ({where})")
    return classify(exc, where)
