"""Built-in suite: declared ``backup`` checks."""

import pytest


@pytest.mark.deploygate_suite("backup")
def test_backup(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
