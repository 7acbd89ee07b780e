"""Built-in suite: declared ``logs`` checks."""

import pytest


@pytest.mark.deploygate_suite("logs")
def test_logs(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
