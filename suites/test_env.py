"""Built-in suite: declared ``env`` checks."""

import pytest


@pytest.mark.deploygate_suite("env")
def test_env(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
