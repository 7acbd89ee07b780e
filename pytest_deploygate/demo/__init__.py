"""The built-in ``demo`` target: bundled services, a bundled config, faults to inject.

``pytest --target demo`` (with no ``demo`` target of the user's own) starts every
component in :data:`COMPONENTS` on free loopback ports, gates them with the config they
contribute, and stops them when pytest ends, Ctrl-C included.
"""

from __future__ import annotations

import atexit
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_deploygate.demo.base import ComponentInfo, DemoComponent
from pytest_deploygate.demo.database import DemoDatabase
from pytest_deploygate.demo.hosts import DemoHosts
from pytest_deploygate.demo.leftovers import claim, sweep
from pytest_deploygate.demo.orders import DemoOrders, baseline_record
from pytest_deploygate.demo.service import WebService
from pytest_deploygate.errors import ConfigError, one_line
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.signals import stop_on_sigterm

# Every part of the demo, in start order; each is stopped in reverse order. The database
# comes first: the web service's /health/db stands for a service that uses it.
COMPONENTS: tuple[type[DemoComponent], ...] = (
    DemoDatabase,
    WebService,
    DemoHosts,
    DemoOrders,
)

TARGET_NAME = "demo"

# The checklists' decision matrix, as rules: response time (P95) 2 to 5 s investigate,
# over 5 s roll back; error rate 1 to 5 % investigate, over 5 % roll back (the load
# check itself fails, and so rolls back, under 95 % success).
RULES: list[dict[str, Any]] = [
    *(
        row
        for measurement in ("http.latency", "load.latency_p95", "websocket.*latency*")
        for row in (
            {
                "measurement": measurement,
                "above": "2s",
                "decision": "investigate",
                "description": "response time 2-5 s: investigate",
            },
            {
                "measurement": measurement,
                "above": "5s",
                "decision": "rollback",
                "description": "response time over 5 s: roll back",
            },
        )
    ),
    {
        "measurement": "load.success_ratio",
        "below": "99%",
        "decision": "investigate",
        "description": "error rate 1-5 %: investigate",
    },
]


# Checks of the demo as a whole rather than of one component.
CHECKS: list[dict[str, Any]] = [
    {
        "id": "gate-env",
        "type": "env",
        "phases": ["predeploy"],
        "description": "the machine running the gate has the variables the deploy needs",
        "variables": ["PATH"],
    },
]


def _faults() -> dict[str, str]:
    faults: dict[str, str] = {}
    for component in COMPONENTS:
        faults.update(component.faults)
    return faults


#: fault name -> what it breaks and the verdict it produces (``--demo-fault NAME``)
FAULTS: dict[str, str] = _faults()


@dataclass
class Demo:
    """A running demo: the config to gate it with, what to tell the user, how to stop it."""

    config: dict[str, Any]
    lines: list[str]
    # The demo's last good deploy (a verdict document), for its baseline rule.
    baseline: dict[str, Any] = field(default_factory=baseline_record)
    components: list[DemoComponent] = field(default_factory=list)
    workdir: Path | None = None
    _restore: Callable[[], None] | None = None
    _stopped: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> None:
        """Stop every component (last started first) and remove the work directory.
        Safe to call more than once, and from atexit after pytest already did."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        try:
            _stop_all(self.components)
        finally:
            if self._restore is not None:
                self._restore()
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)


def start_demo(faults: frozenset[str], workdir: Path) -> Demo:
    """Start every component with ``faults`` injected; files go to ``workdir``."""
    unknown = sorted(faults - set(FAULTS))
    if unknown:
        raise ValueError(f"unknown demo fault(s): {', '.join(unknown)}")
    # A run killed outright (SIGKILL) could not clean up: its leftovers go now.
    swept = sweep(workdir.parent, keep=workdir)
    claim(workdir)
    started: list[DemoComponent] = []
    infos: list[ComponentInfo] = []
    try:
        for component_type in COMPONENTS:
            component = component_type()
            try:
                infos.append(component.start(faults, workdir))
            except Exception as exc:
                # Nothing was checked yet: a usage-level error with the reason, not a
                # traceback in the middle of pytest's startup.
                raise ConfigError(
                    f"the demo's {component_type.__name__} could not start: "
                    + one_line(exc, whole=True),
                    source="--target demo",
                    fix="see the reason; the demo needs free loopback ports and a writable "
                    "temporary directory.",
                ) from exc
            started.append(component)
    except BaseException:
        _stop_all(started)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    demo = Demo(
        config=build_config(infos),
        lines=[*swept, *_lines(infos, faults)],
        components=started,
        workdir=workdir,
    )
    demo._restore = stop_on_sigterm()
    # Backstop for an exit that skips pytest's cleanup: stop() is idempotent.
    atexit.register(demo.stop)
    return demo


def build_config(infos: list[ComponentInfo]) -> dict[str, Any]:
    """One config mapping (the shape of deploygate.toml) from what the components give.

    Checks of a type this installation does not know are left out, so a component may
    declare checks for types that land later without breaking the demo meanwhile.
    """
    # Every demo check has this timeout: past the matrix's 5 s rollback line, so a slow
    # answer on a loaded machine is judged by the rules (2-5 s: investigate), never cut
    # short into an error.
    target: dict[str, Any] = {"description": "the built-in demo", "timeout": "6s"}
    checks = [c for c in CHECKS if c["type"] in BY_NAME]
    rules = list(RULES)
    for info in infos:
        target.update(info.target)
        checks.extend(c for c in info.checks if c.get("type") in BY_NAME)
        rules.extend(info.rules)
    return {"targets": {TARGET_NAME: target}, "checks": checks, "decision": {"rules": rules}}


def _lines(infos: list[ComponentInfo], faults: frozenset[str]) -> list[str]:
    lines = [line for info in infos for line in info.lines]
    if faults:
        lines.extend(f"demo fault {name}: {FAULTS[name]}" for name in sorted(faults))
    else:
        lines.append("no demo fault injected: expect GO (try --demo-fault slow, see docs/demo.md)")
    return lines


def _stop_all(components: list[DemoComponent]) -> None:
    """Stop in reverse start order; one component failing to stop does not keep the
    others running."""
    errors: list[BaseException] = []
    for component in reversed(components):
        try:
            component.stop()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


__all__ = ["COMPONENTS", "FAULTS", "Demo", "build_config", "start_demo"]
