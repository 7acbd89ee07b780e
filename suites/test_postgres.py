"""Built-in suite: declared ``postgres`` checks."""

import pytest


@pytest.mark.deploygate_suite("postgres")
def test_postgres(deploygate_check, deploygate_run):
    deploygate_run(deploygate_check)
