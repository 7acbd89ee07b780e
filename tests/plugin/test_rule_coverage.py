"""A decision rule that no check can fire (a typo in its measurement or check glob) is a
config error; when only team checks could fire it, the banner warns and names the row."""

from __future__ import annotations

import pytest

from pytest_deploygate.registry import CHECK_TYPES
from tests.plugin.helpers import http_check, rule_toml, write_gate


@pytest.mark.parametrize(
    ("measurement", "check"),
    [("htp.latncy", "*"), ("http.latncy", "*"), ("http.latency", "helth")],
)
def test_a_rule_that_matches_no_declared_measurement_is_a_config_error(
    pytester: pytest.Pytester, http_base: str, measurement: str, check: str
) -> None:
    rule = rule_toml(measurement, "2s", "investigate") + f'check = "{check}"\n'
    write_gate(pytester, http_base, http_check("health", "/health"), extra=rule)
    result = pytester.runpytest("--target=staging")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, text
    assert f"decision.rules[0]: rule 1 (measurement {measurement!r}" in text
    assert "matches no measurement a declared check produces" in text
    assert "http.latency" in text  # what the declared checks do produce


@pytest.mark.parametrize("measurement", ["http.*", "*latency", "http.latency", "*"])
def test_rules_that_can_fire_load(
    pytester: pytest.Pytester, http_base: str, measurement: str
) -> None:
    write_gate(
        pytester,
        http_base,
        http_check("health", "/health"),
        extra=rule_toml(measurement, "1000000000", "investigate"),  # a number: any unit
    )
    result = pytester.runpytest("--target=staging")
    assert result.ret == 0, result.stdout.str()


def test_a_rule_only_a_team_check_could_fire_is_a_warning_naming_the_row(
    pytester: pytest.Pytester, http_base: str
) -> None:
    rule = rule_toml("queue.depth", "100", "rollback")
    write_gate(
        pytester, http_base, http_check("health", "/health"), extra='paths = ["team"]\n' + rule
    )
    pytester.mkpydir("team").joinpath("test_team.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_q(measure):\n"
        "    measure('queue.depth', 3, 'count')\n"
    )
    result = pytester.runpytest("--target=staging")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*deploygate: warning: rule 1 (measurement 'queue.depth') matches no measurement "
            "of a declared check*"
        ]
    )


def test_every_check_type_declares_what_it_measures() -> None:
    undeclared = [t.name for t in CHECK_TYPES if t.measures(None) == ("*",)]  # type: ignore[arg-type]
    assert undeclared == []
