"""The ``host`` fixture: testinfra's ``Host``, once per host of the target.

For team-written checks::

    @pytest.mark.predeploy
    def test_nginx_config_is_valid(host):
        assert host.run("nginx -t").rc == 0

    @pytest.mark.smoke
    def test_workers_fit_in_memory(host, measure):
        rss = sum(p.rss for p in host.process.filter(comm="gunicorn")) * 1024
        measure("app.workers_memory", rss, "bytes", threshold=2e9)
        assert rss < 2e9

A test using ``host`` is parametrized over the target's ``hosts`` (ids are the host
strings, passwords hidden). The connection is the one the declared ``host`` checks use:
shared per host, with the target's ssh_config, ssh_identity_file, sudo and timeout. A host
that cannot be reached makes the test an ``error`` whose reason names the host.

This plugin replaces pytest-testinfra's own ``host`` fixture (driven by ``--hosts``)
while ``--target`` is given: the target decides the hosts.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.hostnames import NO_HOSTS, display_host, resolve_host
from pytest_deploygate.probes.hostconn import HostSettings
from pytest_deploygate.stash import GATE_KEY


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "host" not in metafunc.fixturenames:
        return
    gate = metafunc.config.stash.get(GATE_KEY, None)
    if gate is None:
        return
    hosts = list(dict.fromkeys(display_host(h) for h in gate.target.hosts)) or [NO_HOSTS]
    metafunc.parametrize("host", hosts, indirect=True, ids=hosts)


@pytest.fixture
def host(request: pytest.FixtureRequest, target: Target) -> Any:
    """testinfra's ``Host`` for one of the target's hosts (the test runs once per host)."""
    gate = request.config.stash[GATE_KEY]
    hostspec = resolve_host(getattr(request, "param", None), target)
    return gate.hosts.get(hostspec, HostSettings.of(target, gate.ctx))
