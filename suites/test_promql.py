"""Built-in suite: declared ``promql`` checks."""

import pytest


@pytest.mark.deploygate_suite("promql")
def test_promql(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
