"""Reading the gate machine's environment. Values never leave this module."""

from __future__ import annotations

import re

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.env import EnvCheck, EnvObservation, EnvVariable, NameSeen
from pytest_deploygate.probes.base import ProbeContext


def probe_env(spec: EnvCheck, target: Target, ctx: ProbeContext) -> EnvObservation:
    # The environment the gate was started with, not one a conftest.py gave the unit tests.
    environ = ctx.environ()
    found = []
    for name in spec.variables:
        value = environ.get(name)
        pattern = spec.patterns.get(name)
        matches = None
        # An empty value already fails as empty: matching it too would count it twice.
        if pattern is not None and value:
            matches = re.fullmatch(pattern, value) is not None
        found.append(
            EnvVariable(name=name, present=value is not None, empty=not value, matches=matches)
        )
    named = [NameSeen(name, empty=not value) for name, value in sorted(environ.items())]
    return EnvObservation(variables=tuple(found), named=tuple(named) if spec.matching else ())
