"""Judging a TCP connection against a ``tcp`` check."""

from __future__ import annotations

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.tcp import TcpCheck, TcpObservation
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value


def judge_tcp(spec: TcpCheck, target: Target, obs: TcpObservation) -> Judgement:
    failures: list[str] = []
    if spec.max_latency is not None and obs.latency > spec.max_latency:
        failures.append(
            f"connect latency {format_value(obs.latency, 's')} to {obs.host}:{obs.port} "
            f"above max_latency {format_value(spec.max_latency, 's')}"
        )
    measurement = Measurement("tcp.connect_latency", obs.latency, "s", spec.max_latency, "max")
    return Judgement(tuple(failures), (measurement,))
