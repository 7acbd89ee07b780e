"""Host strings as the target lists them (``ssh://deploy@web-1``, ``local://``) and as test
ids show them. Light on purpose: the gate, the ``host`` fixture and the host connection
pool need these at start-up, before (and without) the host check models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_deploygate.errors import ProbeError
from pytest_deploygate.masking import scrub_url

if TYPE_CHECKING:
    from pytest_deploygate.checks.base import Target

#: Instance name used when a target has no host for a check: its probe is an ``error``.
NO_HOSTS = "no-hosts"
#: testinfra's default when a host string has no ``scheme://``.
DEFAULT_SCHEME = "paramiko"


def display_host(hostspec: str) -> str:
    """The host string as shown in test ids and reasons: a password in it becomes ``***``."""
    return scrub_url(hostspec)


def host_scheme(hostspec: str) -> str:
    return hostspec.split("://", 1)[0] if "://" in hostspec else DEFAULT_SCHEME


def resolve_host(instance: str | None, target: Target) -> str:
    """The full host string behind a test id's host (which hides passwords)."""
    if instance is None or instance == NO_HOSTS:
        raise ProbeError(
            f"target {target.name!r} has no host for this check: list them in "
            f'[targets.{target.name or "NAME"}] hosts = ["ssh://user@host", ...] '
            "(or widen the check's hosts = [...])"
        )
    for host in target.hosts:
        if host == instance or display_host(host) == instance:
            return host
    return instance
