"""Declared load checks in whole gates: outcomes, measurements in the verdict, rules."""

from __future__ import annotations

import pytest

from tests.plugin.helpers import by_id, toml_value, verdict, write_gate


def load_check(check_id: str, path: str, **keys: object) -> str:
    keys = {"requests": 20, "concurrency": 5, "timeout": "2s", **keys}
    extra = "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    return (
        f'[[checks]]\nid = "{check_id}"\ntype = "load"\nphases = ["postdeploy"]\n'
        f'path = "{path}"\n{extra}\n'
    )


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", "-p", "no:cacheprovider", *args
    )


def test_a_healthy_load_check_is_go_with_its_measurements(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, load_check("load-health", "/health"))
    result = run(pytester, "-v")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*test_load[[]load-health[]] PASSED*"])
    names = {m["name"] for m in by_id(verdict(pytester))["load-health"]["measurements"]}
    assert names == {
        "load.success_ratio",
        "load.latency_avg",
        "load.latency_p50",
        "load.latency_p95",
        "load.latency_p99",
        "load.rps",
    }


def test_failing_requests_roll_back_with_the_reason(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, load_check("load-errors", "/status/503"))
    result = run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*ROLLBACK*load-errors*failed: 20 of 20 requests failed*20× status 503*"]
    )


def test_a_p95_rule_turns_a_slow_pass_into_investigate(
    pytester: pytest.Pytester, http_base: str
) -> None:
    rules = (
        '[[decision.rules]]\nmeasurement = "load.latency_p95"\nabove = "100ms"\n'
        'decision = "investigate"\n'
    )
    slow = load_check("load-slow", "/slow", params={"s": "0.2"}, requests=5, concurrency=5)
    write_gate(pytester, http_base, slow, extra=rules)
    result = run(pytester)
    assert result.ret == 10, result.stdout.str()
    check = by_id(verdict(pytester))["load-slow"]
    assert (check["outcome"], check["decision"]) == ("passed", "investigate")
    assert [r["measurement"] for r in check["rules"]] == ["load.latency_p95"]


def test_a_down_endpoint_is_an_error_not_a_failure(pytester: pytest.Pytester) -> None:
    write_gate(pytester, "http://127.0.0.1:9", load_check("load-down", "/health"))
    result = run(pytester)
    assert result.ret == 1
    check = by_id(verdict(pytester))["load-down"]
    assert check["outcome"] == "error"
    assert "got an answer" in check["reason"]
