"""Where the gate keeps its state: pytest's config stash, under these keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_deploygate.session import GateSession

GATE_KEY: pytest.StashKey[GateSession] = pytest.StashKey()

# The environment as the process was started with, taken before pytest loads conftest.py
# files and plugins such as pytest-env change it (plugin.py; read by environment.py).
STARTED_ENVIRON_KEY: pytest.StashKey[dict[str, str]] = pytest.StashKey()
