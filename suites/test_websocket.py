"""Built-in suite: declared ``websocket`` checks."""

import pytest


@pytest.mark.deploygate_suite("websocket")
def test_websocket(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
