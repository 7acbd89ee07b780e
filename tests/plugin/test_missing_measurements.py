"""A rule on a measurement its check did not produce in this run (no traffic for a ratio,
no observation in a histogram, a metric the target stopped exposing) could not be judged:
it fires at investigate, it never passes silently."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from tests.plugin.helpers import by_id, rule_toml, verdict
from tests.support.httpserver import serve

IDLE = b"""# TYPE http_requests_total counter
http_requests_total{code="200"} 0
http_requests_total{code="500"} 0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.5"} 0
http_request_duration_seconds_bucket{le="+Inf"} 0
http_request_duration_seconds_count 0
http_request_duration_seconds_sum 0
"""
BUSY = b"""# TYPE http_requests_total counter
http_requests_total{code="200"} 990
http_requests_total{code="500"} 10
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.5"} 1000
http_request_duration_seconds_bucket{le="+Inf"} 1000
http_request_duration_seconds_count 1000
http_request_duration_seconds_sum 20
# TYPE queue_depth gauge
queue_depth 3
"""

CHECK = """
[[checks]]
id = "metrics"
type = "prometheus"
phases = ["smoke"]
path = "/{page}"
on_fail = "ok"

[[checks.ratios]]
name = "error_rate"
numerator = {{ metric = "http_requests_total", labels = {{ code = "5.." }} }}
denominator = {{ metric = "http_requests_total" }}

[[checks.quantiles]]
name = "latency_p95"
metric = "http_request_duration_seconds"
q = 0.95

[[checks.values]]
name = "queue"
metric = "queue_depth"
"""


@pytest.fixture(scope="module")
def metrics_base() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = IDLE if self.path == "/idle" else BUSY
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serve(Handler) as url:
        yield url


@pytest.mark.parametrize(
    ("measurement", "above"),
    [
        ("prometheus.error_rate", "5%"),
        ("prometheus.latency_p95", "2s"),
        ("prometheus.queue", "100"),
    ],
)
def test_a_rule_on_a_measurement_the_check_did_not_produce_investigates(
    pytester: pytest.Pytester, metrics_base: str, measurement: str, above: str
) -> None:
    pytester.makefile(
        ".toml",
        deploygate=f'[targets.staging]\nbase_url = "{metrics_base}"\n'
        + CHECK.format(page="idle")
        + rule_toml(measurement, above, "rollback"),
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=v.json")
    assert result.ret == 10, result.stdout.str()
    check = by_id(verdict(pytester, "v.json"))["metrics"]
    assert check["decision"] == "investigate"
    assert f"{measurement} was not measured" in check["reason"]
    assert "rule 1" in check["reason"]
    assert [r["judged"] for r in check["rules"]] == [False]


def test_the_same_rules_with_measurements_to_read_are_judged(
    pytester: pytest.Pytester, metrics_base: str
) -> None:
    rules = "".join(
        rule_toml(m, a, "rollback")
        for m, a in [
            ("prometheus.error_rate", "5%"),
            ("prometheus.latency_p95", "2s"),
            ("prometheus.queue", "100"),
        ]
    )
    pytester.makefile(
        ".toml",
        deploygate=f'[targets.staging]\nbase_url = "{metrics_base}"\n'
        + CHECK.format(page="busy")
        + rules
        + rule_toml("prometheus.*", "1000000", "ok"),  # an ok row on nothing missing: no-op
    )
    result = pytester.runpytest("--target=staging")
    assert result.ret == 0, result.stdout.str()


def test_an_ok_row_on_a_missing_measurement_stays_a_no_op(
    pytester: pytest.Pytester, metrics_base: str
) -> None:
    pytester.makefile(
        ".toml",
        deploygate=f'[targets.staging]\nbase_url = "{metrics_base}"\n'
        + CHECK.format(page="idle")
        + rule_toml("prometheus.error_rate", "5%", "ok"),
    )
    result = pytester.runpytest("--target=staging")
    assert result.ret == 0, result.stdout.str()
