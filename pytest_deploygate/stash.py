"""Where the gate keeps its state: pytest's config stash, under these keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_deploygate.session import GateSession

GATE_KEY: pytest.StashKey[GateSession] = pytest.StashKey()
