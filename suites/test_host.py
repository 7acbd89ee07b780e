"""Built-in suite: declared ``host`` checks, one test per check and host."""

import pytest


@pytest.mark.deploygate_suite("host")
def test_host(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
