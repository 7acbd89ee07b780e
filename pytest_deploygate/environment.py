"""The environment the gate was started with, which ``env`` checks read.

pytest changes ``os.environ`` before the gate runs: a repository's conftest.py or a plugin
(pytest-env, pytest-dotenv) gives its unit tests default variables, and an ``env`` check
that read those would pass on a machine that has none of them. The plugin keeps the
environment as it was before (``plugin.pytest_load_initial_conftests``); a pytest-xdist
worker inherits the controller's changed one, so the controller tells it what changed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest

from pytest_deploygate.stash import STARTED_ENVIRON_KEY

# workerinput key: variable -> its value before start-up changed it (None: it was not set).
CHANGES_KEY = "deploygate_environ_changes"


def started_environ(config: pytest.Config) -> dict[str, str]:
    """The environment as the gate process was started with (in a worker: as the
    controller was)."""
    environ = dict(config.stash.get(STARTED_ENVIRON_KEY, os.environ))
    workerinput: Mapping[str, object] = getattr(config, "workerinput", {})
    changes = workerinput.get(CHANGES_KEY) or {}
    assert isinstance(changes, dict)
    for name, value in changes.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = str(value)
    return environ


def startup_changes(started: Mapping[str, str], now: Mapping[str, str]) -> dict[str, str | None]:
    """The variables start-up added, changed or removed, with their value before."""
    names = {name for name in {*started, *now} if started.get(name) != now.get(name)}
    return {name: started.get(name) for name in sorted(names)}
