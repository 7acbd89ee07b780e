"""Built-in suite: declared ``tcp`` checks."""

import pytest


@pytest.mark.deploygate_suite("tcp")
def test_tcp(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
