"""How each declared check type is run: its probe (I/O) and its judge (pure).

An explicit dict, not a lookup by name: a type checker and a reader can follow it.
Register a new type here and its model in ``pytest_deploygate.checks.CHECK_SPECS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.expect.backup import judge_backup
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.expect.env import judge_env
from pytest_deploygate.expect.host import judge_host
from pytest_deploygate.expect.http import judge_http
from pytest_deploygate.expect.load import judge_load
from pytest_deploygate.expect.postgres import judge_postgres
from pytest_deploygate.expect.prometheus import judge_prometheus
from pytest_deploygate.expect.sqlite import judge_sqlite
from pytest_deploygate.expect.tcp import judge_tcp
from pytest_deploygate.expect.tls import judge_tls
from pytest_deploygate.expect.websocket import judge_websocket
from pytest_deploygate.probes.backup import backup_deadline, probe_backup
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.env import probe_env
from pytest_deploygate.probes.host import host_deadline, host_instances, host_where, probe_host
from pytest_deploygate.probes.http import probe_http, resolve_url
from pytest_deploygate.probes.load import load_deadline, probe_load
from pytest_deploygate.probes.postgres import postgres_deadline, probe_postgres
from pytest_deploygate.probes.prometheus import (
    deadline_prometheus,
    probe_prometheus,
    where_prometheus,
)
from pytest_deploygate.probes.sqlite import probe_sqlite
from pytest_deploygate.probes.tcp import probe_tcp, tcp_address
from pytest_deploygate.probes.tls import probe_tls, tls_address
from pytest_deploygate.probes.websocket import display_url, probe_websocket, resolve_ws_url

# A probe gets past its own timeout by at most this much before the runner gives up on it.
DEADLINE_GRACE_S = 1.0


def default_deadline(spec: CheckSpec, target: Target, ctx: ProbeContext) -> float:
    """Longest one probe attempt may take before the runner calls it a timeout."""
    return spec.effective_timeout(target) + DEADLINE_GRACE_S


def default_where(spec: CheckSpec, target: Target, ctx: ProbeContext) -> str:
    """What a check looks at, for reasons that have nothing better to name."""
    return f"{spec.type} check {spec.id}"


@dataclass(frozen=True)
class CheckKind:
    """The moving parts of one check type.

    ``instances`` fans a check out (a host check runs once per host); ``None`` means the
    check runs once. ``deadline`` bounds one probe attempt (a load test legitimately
    takes longer than one request's timeout). ``where`` names what the check looks at (a
    URL, host:port, a host) in reasons the runner writes, such as its own timeout; it
    must not do I/O and must not show credentials. ``exclusive`` checks run alone: the
    runner starts one only when nothing else is in flight, and nothing else until it is
    done (a load test would otherwise slow down the checks that measure latency).
    """

    probe: Callable[[Any, Target, ProbeContext], Any]
    judge: Callable[[Any, Target, Any], Judgement]
    deadline: Callable[[Any, Target, ProbeContext], float] = default_deadline
    instances: Callable[[Any, Target], Sequence[str]] | None = None
    where: Callable[[Any, Target, ProbeContext], str] = default_where
    exclusive: bool = False


def _where_request(spec: Any, target: Target, ctx: ProbeContext) -> str:
    return f"{spec.method} {display_url(resolve_url(spec, target))}"


def _where_load(spec: Any, target: Target, ctx: ProbeContext) -> str:
    return f"load on {_where_request(spec, target, ctx)}"


def _where_tcp(spec: Any, target: Target, ctx: ProbeContext) -> str:
    host, port = tcp_address(spec, target)
    return f"{host}:{port}"


def _where_tls(spec: Any, target: Target, ctx: ProbeContext) -> str:
    host, port = tls_address(spec, target)
    return f"TLS {host}:{port}"


def _where_websocket(spec: Any, target: Target, ctx: ProbeContext) -> str:
    return display_url(resolve_ws_url(spec, target))


KINDS: dict[str, CheckKind] = {
    "http": CheckKind(probe=probe_http, judge=judge_http, where=_where_request),
    "env": CheckKind(probe=probe_env, judge=judge_env),
    "host": CheckKind(probe_host, judge_host, host_deadline, host_instances, host_where),
    "postgres": CheckKind(probe_postgres, judge_postgres, deadline=postgres_deadline),
    "sqlite": CheckKind(probe=probe_sqlite, judge=judge_sqlite),
    "backup": CheckKind(probe=probe_backup, judge=judge_backup, deadline=backup_deadline),
    # Exclusive: its traffic would show up in every latency measured at the same time.
    "load": CheckKind(
        probe=probe_load,
        judge=judge_load,
        deadline=load_deadline,
        where=_where_load,
        exclusive=True,
    ),
    # Not exclusive, even over a window: it only scrapes twice, and running it alone
    # would hold every other check back for the whole window (--observe 5m: five minutes).
    # A load check never overlaps its window: exclusive checks wait for it to end.
    "prometheus": CheckKind(
        probe=probe_prometheus,
        judge=judge_prometheus,
        deadline=deadline_prometheus,
        where=where_prometheus,
    ),
    "websocket": CheckKind(probe=probe_websocket, judge=judge_websocket, where=_where_websocket),
    "tls": CheckKind(probe=probe_tls, judge=judge_tls, where=_where_tls),
    "tcp": CheckKind(probe=probe_tcp, judge=judge_tcp, where=_where_tcp),
}
