"""TCP: does a port accept a connection within the timeout."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.tcp import TcpCheck, split_address
from pytest_deploygate.errors import ProbeProtocolError, ProbeTimeout
from pytest_deploygate.probes.base import ProbeContext, classify


@dataclass(frozen=True)
class TcpObservation:
    host: str
    port: int
    peer: str
    latency: float


def tcp_address(spec: TcpCheck, target: Target) -> tuple[str, int]:
    """The check's address, or its port on the host of the target's base_url."""
    if spec.address is not None:
        return split_address(spec.address)
    assert spec.port is not None  # the model guarantees port or address
    if spec.host is not None:
        return spec.host, spec.port
    for url in (target.base_url, target.websocket_url):
        host = urlsplit(url).hostname if url else None
        if host:
            return host, spec.port
    raise ProbeProtocolError(
        f"check {spec.id!r} has no 'host' and target {target.name!r} has no base_url "
        "to take it from"
    )


def probe_tcp(spec: TcpCheck, target: Target, ctx: ProbeContext) -> TcpObservation:
    host, port = tcp_address(spec, target)
    timeout = spec.effective_timeout(target)
    where = f"{host}:{port}"
    # Latency includes the name lookup: that is what a client of the service pays too.
    start = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            latency = time.perf_counter() - start
            peer = sock.getpeername()
    except TimeoutError as exc:
        raise ProbeTimeout(f"no TCP connection within {timeout:g}s ({where})") from exc
    except Exception as exc:
        raise classify(exc, where) from exc
    return TcpObservation(host=host, port=port, peer=f"{peer[0]}:{peer[1]}", latency=latency)
