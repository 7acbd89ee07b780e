"""Judging a Redis server against a ``redis`` check: PING, INFO figures, the write probe.

INFO's figures are read here from the text the server wrote: a figure that is missing,
not a number or not finite is NaN, which never passes a bound (the check fails, naming
the field) and fires every rule on it.
"""

from __future__ import annotations

import math

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.redis import (
    CONNECTED_CLIENTS,
    MAXMEMORY,
    REJECTED_CONNECTIONS,
    ROLE,
    USED_MEMORY,
    RedisCheck,
    RedisObservation,
    WriteProbe,
)
from pytest_deploygate.expect.base import Judgement, snippet
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value

# INFO says "slave" for a replica (Redis' older word; ROLE and the docs say replica).
ROLES = {"master": "master", "slave": "replica", "replica": "replica"}


def judge_redis(spec: RedisCheck, target: Target, obs: RedisObservation) -> Judgement:
    latency = Measurement("redis.latency", obs.latency, "s", spec.max_latency, "max")
    if obs.pong != "PONG":
        reply = snippet(obs.pong, 120)
        return Judgement((f"PING answered {reply!r}, expected PONG ({obs.where})",), (latency,))
    failures: list[str] = []
    if latency.broken:
        failures.append(
            f"PING took {format_value(obs.latency, 's')}, above max_latency "
            f"{format_value(latency.threshold or 0.0, 's')}"
        )
    figures = _figures(spec, obs)
    failures.extend(_bound_failures(spec, obs, figures))
    failures.extend(_role_failures(spec, obs))
    measurements = [latency, *figures]
    if obs.write is not None:
        failures.extend(_write_failures(obs.write))
        measurements.append(Measurement("redis.write_latency", obs.write.latency, "s"))
    return Judgement(tuple(failures), tuple(measurements))


def info_number(info: dict[str, str], name: str) -> float:
    """An INFO figure as a number, NaN when it is missing or not a finite number."""
    try:
        value = float(info[name])
    except (KeyError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan


def _figures(spec: RedisCheck, obs: RedisObservation) -> list[Measurement]:
    info = obs.info
    # The gate's own connection is one of the connected clients: not counted.
    clients = info_number(info, CONNECTED_CLIENTS) - 1
    figures = [
        Measurement("redis.used_memory", info_number(info, USED_MEMORY), "bytes",
                    spec.max_used_memory, "max"),
        Measurement("redis.connected_clients", clients, "count",
                    spec.max_connected_clients, "max"),
        Measurement("redis.rejected_connections", info_number(info, REJECTED_CONNECTIONS),
                    "count", spec.max_rejected_connections, "max"),
    ]  # fmt: skip
    maxmemory = info_number(info, MAXMEMORY)
    # maxmemory 0 is "no limit" (Redis' default): there is no ratio to show or hold.
    if maxmemory > 0 or spec.max_memory_ratio is not None:
        ratio = figures[0].value / maxmemory if maxmemory > 0 else math.nan
        figures.append(
            Measurement("redis.memory_ratio", ratio, "ratio", spec.max_memory_ratio, "max")
        )
    return figures


# Measurement -> (the INFO fields it is read from, the key that bounds it, a note).
_READ_FROM: dict[str, tuple[tuple[str, ...], str, str]] = {
    "redis.used_memory": ((USED_MEMORY,), "max_used_memory", ""),
    "redis.connected_clients": (
        (CONNECTED_CLIENTS,),
        "max_connected_clients",
        " (not counting the gate's own connection)",
    ),
    "redis.rejected_connections": (
        (REJECTED_CONNECTIONS,),
        "max_rejected_connections",
        " (counted since the server started)",
    ),
    "redis.memory_ratio": ((USED_MEMORY, MAXMEMORY), "max_memory_ratio", " of maxmemory"),
}


def _bound_failures(
    spec: RedisCheck, obs: RedisObservation, figures: list[Measurement]
) -> list[str]:
    failures: list[str] = []
    for figure in figures:
        if not figure.broken:
            continue
        fields, key, note = _READ_FROM[figure.name]
        if not math.isfinite(figure.value):
            failures.append(f"{_unreadable(obs.info, fields)}: cannot hold it to {key}")
            continue
        value = format_value(figure.value, figure.unit)
        threshold = format_value(figure.threshold or 0.0, figure.unit)
        name = figure.name.removeprefix("redis.")
        failures.append(f"{name} {value}{note} above {key} {threshold}")
    return failures


def _unreadable(info: dict[str, str], fields: tuple[str, ...]) -> str:
    """Why a figure is NaN: the first of its INFO fields that is missing or unreadable."""
    for name in fields:
        if name not in info:
            return f"INFO has no {name} field"
        if not math.isfinite(info_number(info, name)):
            return f"INFO {name} is {snippet(info[name], 40)!r}, not a number"
    return "maxmemory is 0 (no limit), so used memory has no ratio"


def _role_failures(spec: RedisCheck, obs: RedisObservation) -> list[str]:
    if spec.role is None:
        return []
    found = obs.info.get(ROLE)
    if found is None:
        return [f"INFO has no role field: cannot tell whether the server is a {spec.role}"]
    role = ROLES.get(found, found)
    if role != spec.role:
        return [f"role is {snippet(found, 40)}, expected {spec.role}"]
    return []


def _write_failures(write: WriteProbe) -> list[str]:
    if write.failed_step is None:
        return []
    return [f"write probe: {write.failed_step} {write.key} failed: {snippet(write.detail, 160)}"]
