"""The demo's host component: healthy on this machine, and each of its faults does what
it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_deploygate.config import load
from pytest_deploygate.demo.hosts import DemoHosts
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, execute


def run_demo(faults: frozenset[str], workdir: Path) -> dict[str, tuple[str, ...]]:
    component = DemoHosts()
    info = component.start(faults, workdir)
    try:
        data = {
            "targets": {"demo": {"base_url": "http://127.0.0.1:1", **info.target}},
            "checks": info.checks,
            "decision": {"rules": info.rules},
        }
        config = load(data, source="demo", base_dir=workdir, target="demo", environ={})
        found = {}
        for spec in config.checks:
            ctx = ProbeContext(base_dir=workdir)
            done = execute(CheckInstance(spec, "local://"), config.target, ctx)
            assert done.error is None, (spec.id, done.error)
            assert done.judgement is not None
            found[spec.id] = done.judgement.failures
        return found
    finally:
        component.stop()


def test_the_healthy_demo_hosts_pass(tmp_path: Path) -> None:
    found = run_demo(frozenset(), tmp_path)
    assert set(found) == {
        "host-python",
        "host-disk",
        "host-maintenance",
        "host-release-dir",
        "host-release-writable",
    }
    assert all(failures == () for failures in found.values()), found


@pytest.mark.parametrize(
    ("fault", "check", "starts"),
    [
        ("host-maintenance", "host-maintenance", "/"),
        ("host-disk-low", "host-disk", ""),
    ],
)
def test_each_fault_breaks_its_check(tmp_path: Path, fault: str, check: str, starts: str) -> None:
    found = run_demo(frozenset({fault}), tmp_path)
    broken = {k for k, v in found.items() if v}
    assert broken == {check}
    assert found[check][0].startswith(starts)
