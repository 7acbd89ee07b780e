"""promql checks in whole gates: a real Prometheus answers GO; one that cannot be asked
is never a GO."""

from __future__ import annotations

import pytest

from tests.plugin.helpers import by_id, verdict
from tests.support.prometheus import PrometheusServer

CHECKS = """
[[checks]]
id = "scrapes"
type = "promql"
phases = ["postdeploy"]
name = "up"
query = "max(up)"
min = 1
timeout = "3s"

[[checks]]
id = "prometheus-itself"
type = "promql"
phases = ["postdeploy"]
name = "now"
query = "time()"
min = 1
"""


def gate(pytester: pytest.Pytester, server: str) -> None:
    pytester.makefile(
        ".toml",
        deploygate=f'[targets.staging]\nprometheus_server = "{server}"\n{CHECKS}',
    )


def test_a_prometheus_that_answers_within_bounds_is_go(
    pytester: pytest.Pytester, prometheus_server: PrometheusServer
) -> None:
    prometheus_server.wait_for('up{job="prometheus"}')
    gate(pytester, prometheus_server.url)
    result = pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", "-p", "no:cacheprovider"
    )
    assert result.ret == 0, result.stdout.str()
    checks = by_id(verdict(pytester))
    assert checks["scrapes"]["measurements"][0]["name"] == "promql.up"
    assert checks["prometheus-itself"]["outcome"] == "passed"


def test_an_unreachable_prometheus_is_an_error_and_never_go(pytester: pytest.Pytester) -> None:
    gate(pytester, "http://127.0.0.1:9")
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 1, result.stdout.str()
    checks = by_id(verdict(pytester))
    assert checks["scrapes"]["outcome"] == "error"
    assert "connection refused" in checks["scrapes"]["reason"]
    assert verdict(pytester)["verdict"] == "ROLLBACK"


@pytest.mark.parametrize("args", [(), ("--observe", "1s")], ids=["once", "window"])
def test_a_rule_below_sees_the_one_instance_of_several_that_is_down(
    pytester: pytest.Pytester, prometheus_server: PrometheusServer, args: tuple[str, ...]
) -> None:
    """Three instances answer 1, 0, 1 to an unbounded query: the measurement shows the
    highest, and ``below = 1`` still rolls back (it once read the highest: GO)."""
    query = " or ".join(
        f'label_replace(vector({up}), "instance", "web-{i}", "", "")'
        for i, up in enumerate((1, 0, 1))
    )
    pytester.makefile(
        ".toml",
        deploygate=f'[targets.staging]\nprometheus_server = "{prometheus_server.url}"\n'
        f'[[checks]]\nid = "instances"\ntype = "promql"\nphases = ["smoke"]\nname = "up"\n'
        f"query = '{query}'\n"
        '[[decision.rules]]\nmeasurement = "promql.up"\nbelow = 1\ndecision = "rollback"\n',
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json", *args)
    measured = by_id(verdict(pytester))["instances"]["measurements"][0]
    assert (measured["value"], measured.get("spread")) == (1.0, [0.0, 1.0])
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*ROLLBACK*instances*promql.up*0 below 1*"])
