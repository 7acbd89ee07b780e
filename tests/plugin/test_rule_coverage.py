"""A decision rule that no check can fire (a typo in its measurement or check glob) is a
config error; when only team checks could fire it, the banner warns and names the row."""

from __future__ import annotations

import pytest

from pytest_deploygate.registry import CheckType, all_types
from tests.plugin.helpers import http_check, rule_toml, write_gate


@pytest.mark.parametrize("measurement", ["htp.latncy", "http.latncy"])
def test_a_rule_that_matches_no_declared_measurement_is_a_config_error(
    pytester: pytest.Pytester, http_base: str, measurement: str
) -> None:
    rule = rule_toml(measurement, "2s", "investigate") + 'check = "*"\n'
    write_gate(pytester, http_base, http_check("health", "/health"), extra=rule)
    result = pytester.runpytest("--target=staging")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, text
    assert f"decision.rules[0]: rule 1 (measurement {measurement!r}" in text
    assert "matches no measurement a declared check produces" in text
    assert "http.latency" in text  # what the declared checks do produce
    assert "Did you mean 'http.latency'?" in text


def test_a_rule_on_a_check_id_that_is_not_declared_names_the_ids(
    pytester: pytest.Pytester, http_base: str
) -> None:
    # A typo in the check id is not a wrong measurement: the message says which it is.
    rule = rule_toml("http.latency", "2s", "investigate") + 'check = "helth"\n'
    checks = http_check("health", "/health"), http_check("ready", "/health")
    write_gate(pytester, http_base, *checks, extra=rule)
    result = pytester.runpytest("--target=staging")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, text
    assert "rule 1 (measurement 'http.latency' for check 'helth') names no declared check" in text
    assert "(check ids: health, ready)" in text and "Did you mean 'health'?" in text
    assert "Traceback" not in text


METRICS = """
[[checks]]
id = "metrics"
type = "prometheus"
phases = ["smoke"]
path = "/metrics"

[[checks.ratios]]
name = "error_rate"
numerator = { metric = "http_requests_total", labels = { code = "5.." } }
denominator = { metric = "http_requests_total" }

[[checks.values]]
metric = "queue_depth"

[[checks.quantiles]]
name = "latency_p95"
metric = "http_request_duration_seconds"
q = 0.95

[[checks]]
id = "up"
type = "promql"
phases = ["smoke"]
query = "min(up)"
name = "scrapes_up"
"""


@pytest.mark.parametrize(
    ("measurement", "fires"),
    [
        ("prometheus.eror_rate", False),
        ("prometheus.queue_dept", False),
        ("prometheus.latency_p59", False),
        ("promql.scrape_up", False),
        ("prometheus.error_rate", True),
        ("prometheus.queue_depth", True),
        ("prometheus.latency_*", True),
        ("prometheus.up", True),
        ("promql.scrapes_up", True),
        ("promql.*", True),
    ],
)
def test_a_typo_in_a_metric_name_a_rule_reads_is_a_config_error(
    pytester: pytest.Pytester, measurement: str, fires: bool
) -> None:
    """prometheus and promql measurements are named in the config: a rule on a name no
    ratio, value, quantile or query has would pass forever (33% errors, GO)."""
    pytester.makefile(
        ".toml",
        deploygate='[targets.staging]\nbase_url = "http://127.0.0.1:9"\n'
        'prometheus_server = "http://127.0.0.1:9"\n'
        + METRICS
        + rule_toml(measurement, "1000000000", "rollback"),
    )
    result = pytester.runpytest("--target=staging", "--co")
    text = result.stdout.str() + result.stderr.str()
    if fires:
        assert "matches no measurement" not in text
        assert result.ret == 0, text
    else:
        assert result.ret == 4, text
        assert "matches no measurement a declared check produces" in text
        assert "prometheus.error_rate" in text and "promql.scrapes_up" in text


@pytest.mark.parametrize(
    ("measurement", "ret"), [("http.json.active", 0), ("http.json.*", 0), ("http.json.actve", 4)]
)
def test_a_rule_on_a_bounded_json_path_is_a_measurement_of_its_check(
    pytester: pytest.Pytester, measurement: str, ret: int
) -> None:
    check = http_check("api", "/stats", max_json_path={"active": 100}, min_json_path={"up": 1})
    write_gate(pytester, "http://127.0.0.1:9", check, extra=rule_toml(measurement, "50", "ok"))
    result = pytester.runpytest("--target=staging", "--co")
    assert result.ret == ret, result.stdout.str() + result.stderr.str()


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
    anything = CheckType.__dataclass_fields__["measures"].default
    undeclared = [t.name for t in all_types() if t.measures is anything]
    assert undeclared == []


@pytest.mark.parametrize(
    ("measurement", "ret"),
    [("host.disk_free", 0), ("host.disk_*", 0), ("host.dsk_free", 4), ("load.latency_p59", 4)],
)
def test_host_and_load_rules_are_held_to_the_names_their_checks_produce(
    pytester: pytest.Pytester, measurement: str, ret: int
) -> None:
    write_gate(
        pytester,
        "http://127.0.0.1:9",
        '[[checks]]\nid = "disk"\ntype = "host"\nphases = ["smoke"]\ncheck = "disk"\n'
        'path = "/"\nmin_free = "1GB"\n\n'
        '[[checks]]\nid = "load"\ntype = "load"\nphases = ["smoke"]\npath = "/"\n'
        "requests = 10\n",
        extra=rule_toml(measurement, "50", "ok"),
    )
    result = pytester.runpytest("--target=staging", "--co")
    assert result.ret == ret, result.stdout.str() + result.stderr.str()
