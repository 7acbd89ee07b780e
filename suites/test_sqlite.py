"""Built-in suite: declared ``sqlite`` checks."""

import pytest


@pytest.mark.deploygate_suite("sqlite")
def test_sqlite(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
