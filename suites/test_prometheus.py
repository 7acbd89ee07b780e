"""Built-in suite: declared ``prometheus`` checks."""

import pytest


@pytest.mark.deploygate_suite("prometheus")
def test_prometheus(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
