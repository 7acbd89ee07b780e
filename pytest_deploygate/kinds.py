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
from pytest_deploygate.probes.http import probe_http
from pytest_deploygate.probes.load import load_deadline, probe_load
from pytest_deploygate.probes.postgres import postgres_deadline, probe_postgres
from pytest_deploygate.probes.prometheus import deadline_prometheus, probe_prometheus
from pytest_deploygate.probes.sqlite import probe_sqlite
from pytest_deploygate.probes.tcp import probe_tcp
from pytest_deploygate.probes.tls import probe_tls
from pytest_deploygate.probes.websocket import probe_websocket

# A probe gets past its own timeout by at most this much before the runner gives up on it.
DEADLINE_GRACE_S = 1.0


def default_deadline(spec: CheckSpec, target: Target, ctx: ProbeContext) -> float:
    """Longest one probe attempt may take before the runner calls it a timeout."""
    return spec.effective_timeout(target) + DEADLINE_GRACE_S


@dataclass(frozen=True)
class CheckKind:
    """The moving parts of one check type.

    ``instances`` fans a check out (a host check runs once per host); ``None`` means the
    check runs once. ``deadline`` bounds one probe attempt (a load test legitimately
    takes longer than one request's timeout).
    """

    probe: Callable[[Any, Target, ProbeContext], Any]
    judge: Callable[[Any, Target, Any], Judgement]
    deadline: Callable[[Any, Target, ProbeContext], float] = default_deadline
    instances: Callable[[Any, Target], Sequence[str]] | None = None


KINDS: dict[str, CheckKind] = {
    "http": CheckKind(probe=probe_http, judge=judge_http),
    "env": CheckKind(probe=probe_env, judge=judge_env),
    "postgres": CheckKind(probe_postgres, judge_postgres, deadline=postgres_deadline),
    "sqlite": CheckKind(probe=probe_sqlite, judge=judge_sqlite),
    "backup": CheckKind(probe=probe_backup, judge=judge_backup, deadline=backup_deadline),
    "load": CheckKind(probe=probe_load, judge=judge_load, deadline=load_deadline),
    "prometheus": CheckKind(
        probe=probe_prometheus, judge=judge_prometheus, deadline=deadline_prometheus
    ),
    "websocket": CheckKind(probe=probe_websocket, judge=judge_websocket),
    "tls": CheckKind(probe=probe_tls, judge=judge_tls),
    "tcp": CheckKind(probe=probe_tcp, judge=judge_tcp),
}
