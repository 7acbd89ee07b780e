"""Built-in suite: declared ``load`` checks."""

import pytest


@pytest.mark.deploygate_suite("load")
def test_load(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
