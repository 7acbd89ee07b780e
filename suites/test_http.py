"""Built-in suite: declared ``http`` checks."""

import pytest


@pytest.mark.deploygate_suite("http")
def test_http(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
