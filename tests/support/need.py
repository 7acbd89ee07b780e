"""Skip a test whose server cannot start here, or fail it in CI.

CI sets DEPLOYGATE_REQUIRE_SERVERS=1: there a missing server is a broken CI machine, and a
silent skip would let the feature it guards land untested.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_ENV = "DEPLOYGATE_REQUIRE_SERVERS"


def need_server(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so this cannot be skipped)", pytrace=False)
    pytest.skip(reason)
