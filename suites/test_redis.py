"""Built-in suite: declared ``redis`` checks."""

import pytest


@pytest.mark.deploygate_suite("redis")
def test_redis(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
