"""TCP: does a port accept a connection within the timeout."""

from __future__ import annotations

import socket
import time

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.tcp import TcpCheck, TcpObservation, tcp_address
from pytest_deploygate.errors import ProbeTimeout
from pytest_deploygate.probes.base import ProbeContext, classify
from pytest_deploygate.units import format_duration


def probe_tcp(spec: TcpCheck, target: Target, ctx: ProbeContext) -> TcpObservation:
    host, port = tcp_address(spec, target)
    timeout = spec.effective_timeout(target)
    where = f"{host}:{port}"
    # Latency includes the name lookup: that is what a client of the service pays too.
    start = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            latency = time.perf_counter() - start
    except TimeoutError as exc:
        raise ProbeTimeout(
            f"no TCP connection within {format_duration(timeout)} ({where})"
        ) from exc
    except Exception as exc:
        raise classify(exc, where) from exc
    return TcpObservation(host=host, port=port, latency=latency)
