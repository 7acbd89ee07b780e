"""Built-in suite: declared ``tls`` checks."""

import pytest


@pytest.mark.deploygate_suite("tls")
def test_tls(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
