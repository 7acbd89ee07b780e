"""How values read in messages: a query or metric value whose check declares a ``unit`` is
shown in that unit and fits size, duration and ratio rules, as any built-in measurement
does; a list's length is counted in items."""

from __future__ import annotations

from typing import Any

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck, HttpObservation
from pytest_deploygate.checks.postgres import PgQuery, QueryObservation
from pytest_deploygate.checks.prometheus import PrometheusCheck, Scrape
from pytest_deploygate.decision import decide_check
from pytest_deploygate.expect.http import judge_http
from pytest_deploygate.expect.postgres import judge_query
from pytest_deploygate.expect.prometheus import judge_scrapes
from pytest_deploygate.exposition import parse
from pytest_deploygate.outcomes import CheckRecord, Measurement
from pytest_deploygate.rules import DecisionRule

RSS = 943_718_400.0  # 944 MB
TARGET = Target(name="t")
SIZE_RULE = DecisionRule(measurement="*", above="512MB", decision="investigate")


def query(**keys: Any) -> PgQuery:
    return PgQuery.model_validate(
        {"id": "q", "type": "postgres", "check": "query", "phases": ["smoke"], "sql": "x", **keys}
    )


def metrics(**keys: Any) -> PrometheusCheck:
    return PrometheusCheck.model_validate(
        {"id": "m", "type": "prometheus", "phases": ["smoke"], **keys}
    )


def rss_scrape() -> Scrape:
    exposed = parse(f"# TYPE rss gauge\nrss {RSS}\n")
    return Scrape(0.0, exposed.samples, exposed.types)


def fired(measurement: Measurement) -> tuple[str, str]:
    record = CheckRecord("c", "n", "t", ("smoke",), "passed", measurements=(measurement,))
    decided = decide_check(record, [SIZE_RULE])
    return decided.decision or "", decided.reason


def test_a_query_with_unit_bytes_says_sizes_and_fits_a_size_rule() -> None:
    obs = QueryObservation(value=RSS, numeric=RSS, latency=0.01, rows=1)
    judged = judge_query(query(unit="bytes", max="512MB"), TARGET, obs)
    assert judged.failures == ("query value 944 MB above max 512 MB",)
    measured = judged.measurements[0]
    assert (measured.unit, measured.threshold) == ("bytes", 512_000_000)
    decision, reason = fired(measured)
    assert decision == "investigate" and "does not fit" not in reason


def test_a_query_without_unit_is_a_plain_number_never_in_scientific_notation() -> None:
    obs = QueryObservation(value=RSS, numeric=RSS, latency=0.01, rows=1)
    judged = judge_query(query(max=5.12e8), TARGET, obs)
    assert judged.failures == ("query value 943718400 above max 512000000",)
    decision, reason = fired(judged.measurements[0])
    assert decision == "investigate" and "does not fit" in reason


def test_a_metric_with_unit_bytes_says_sizes_and_fits_a_size_rule() -> None:
    values = [{"metric": "rss", "max": "512MB", "unit": "bytes"}]
    judged = judge_scrapes(metrics(values=values), [rss_scrape()])
    assert judged.failures == ("rss is 944 MB, above 512 MB",)
    decision, reason = fired(judged.measurements[0])
    assert decision == "investigate" and "does not fit" not in reason


def test_a_metric_without_unit_is_a_plain_number() -> None:
    judged = judge_scrapes(metrics(values=[{"metric": "rss", "max": 5.12e8}]), [rss_scrape()])
    assert judged.failures == ("rss is 943718400, above 512000000",)


def test_a_json_list_is_counted_in_items_and_a_string_in_characters() -> None:
    body = '{"orders": [1, 2, 3], "note": "ok"}'
    obs = HttpObservation("http://h/x", 200, "OK", {}, body, 0.01)
    keys = {"id": "h", "type": "http", "phases": ["smoke"], "path": "/x", "min_body_length": 5}
    listed = HttpCheck.model_validate({**keys, "body_length_path": "orders"})
    judged = judge_http(listed, Target(name="t", base_url="http://h"), obs)
    assert "JSON orders is 3 items, below min_body_length 5" in judged.failures
    assert [m.unit for m in judged.measurements if m.name == "http.body_length"] == ["items"]
    noted = HttpCheck.model_validate({**keys, "body_length_path": "note"})
    judged = judge_http(noted, Target(name="t", base_url="http://h"), obs)
    assert "JSON note is 2 characters, below min_body_length 5" in judged.failures
