"""Gates that watch a deployment over a window, against the scripted loopback service:
the same code paths as minutes-long windows, in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugin.helpers import by_id, http_check, verdict, write_gate
from tests.support.scripted import Scripted, scripted_server

# Seed 004: "any service fails its health check for 3 consecutive minutes: roll back",
# at 1 minute = 0.5 s. A short burst is a blip to look at, not a rollback.
HEALTH_RULES = """
[[decision.rules]]
measurement = "http.up"
below = 1
for = "1500ms"
decision = "rollback"
"""


@pytest.fixture(scope="module")
def service() -> Iterator[Scripted]:
    with scripted_server() as running:
        yield running


def health(script: str, service: Scripted, **keys: Any) -> str:
    keys = {
        "window": "3s",
        "interval": "250ms",
        "on_fail": "investigate",
        "url": f"{service.base(script)}/health",
        **keys,
    }
    return http_check(script, None, **keys)


def test_a_short_burst_is_investigate_and_a_sustained_failure_rolls_back(
    pytester: pytest.Pytester, service: Scripted
) -> None:
    write_gate(
        pytester,
        service.url,
        health("spike", service),
        health("sustained", service),
        health("healthy", service),
        extra=HEALTH_RULES,
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=v.json", "--html=r.html")
    assert result.ret == 1
    checks = by_id(verdict(pytester, "v.json"))
    assert "dg-spark-held" in (pytester.path / "r.html").read_text()
    assert checks["healthy"]["decision"] == "ok"
    assert checks["spike"]["decision"] == "investigate"
    assert checks["spike"]["rules"] == []
    assert checks["sustained"]["decision"] == "rollback"
    assert checks["sustained"]["rules"][0]["span"][1] >= 2.5
    up = next(m for m in checks["spike"]["measurements"] if m["name"] == "http.up")
    assert len(up["samples"]) == 13 and 0.0 in [v for _, v in up["samples"]]
    assert "failed at" in checks["spike"]["reason"]
    result.stdout.fnmatch_lines(
        ["deploygate: observing * of *: 3 checks sampling*", "*http.up ████*▁▁▁*"]
    )


@pytest.mark.parametrize(
    ("keys", "rules", "args", "expected"),
    [
        pytest.param(
            {"window": "1s", "interval": "2s"},
            "",
            (),
            "interval (2.00s) is longer than the window (1.00s)",
            id="interval-longer-than-window",
        ),
        pytest.param(
            {"window": "0s"},
            "",
            (),
            "checks[0] (id 'health').window: must be longer than 0s: a zero window watches nothing",
            id="zero-window",
        ),
        pytest.param(
            {"window": "10s"},
            "",
            ("--observe=0s",),
            "--observe: must be longer than 0s, got '0s': a zero observation watches nothing",
            id="zero-observe",
        ),
        pytest.param(
            {"window": "10s", "wait": "30s"},
            "",
            (),
            "wait retries a check run once",
            id="wait-over-a-window",
        ),
        pytest.param(
            {"interval": "1s"},
            "",
            (),
            "interval applies to a check observed over a window",
            id="interval-without-window",
        ),
        pytest.param(
            {"window": "2s"},
            HEALTH_RULES.replace("1500ms", "5s"),
            (),
            "decision.rules[0].for: for (5.00s) is longer than the 2.00s window of check "
            "'health' (its window)",
            id="for-longer-than-window",
        ),
        pytest.param(
            {"window": "10s"},
            HEALTH_RULES.replace("1500ms", "5s"),
            ("--observe=2s",),
            "for (5.00s) is longer than the 2.00s window of check 'health' (--observe)",
            id="for-longer-than-observe",
        ),
        pytest.param(
            {"window": "10s", "interval": "3s"},
            "",
            ("--observe=2s",),
            "--observe: --observe 2.00s is shorter than the interval (3.00s) of check 'health'",
            id="observe-shorter-than-interval",
        ),
    ],
)
def test_windows_that_cannot_work_are_usage_errors_before_anything_runs(
    pytester: pytest.Pytester,
    keys: dict[str, str],
    rules: str,
    args: tuple[str, ...],
    expected: str,
) -> None:
    write_gate(pytester, "http://127.0.0.1:9", http_check("health", "/health", **keys), extra=rules)
    result = pytester.runpytest("--target=staging", *args)
    assert result.ret == 4
    text = result.stdout.str() + result.stderr.str()
    assert expected in text and "Traceback" not in text


def test_abort_on_rollback_stops_observing_and_still_writes_every_report(
    pytester: pytest.Pytester, service: Scripted
) -> None:
    write_gate(
        pytester,
        service.url,
        health("sustained", service, window="60s"),
        health("healthy", service, window="60s"),
        extra=HEALTH_RULES,
    )
    result = pytester.runpytest(
        "--target=staging", "--verdict-json=v.json", "--abort-on-rollback", "--junitxml=j.xml"
    )
    assert result.ret == 1
    checks = by_id(verdict(pytester, "v.json"))
    assert checks["sustained"]["decision"] == "rollback"
    up = next(m for m in checks["healthy"]["measurements"] if m["name"] == "http.up")
    # Stopped a few seconds in, not after the minute: a minute holds 241 samples.
    assert 2 < len(up["samples"]) < 120
    assert (pytester.path / "j.xml").exists()
    result.stdout.fnmatch_lines(["*stopped observing early (--abort-on-rollback): sustained*"])


ERROR_RATE_RULE = """
[[decision.rules]]
measurement = "prometheus.error_rate"
above = "5%"
for = "3s"
decision = "rollback"
"""


def metrics(script: str, service: Scripted) -> str:
    return (
        f'[[checks]]\nid = "{script}"\ntype = "prometheus"\nphases = ["postdeploy"]\n'
        f'url = "{service.base(script)}/metrics"\nwindow = "6s"\ninterval = "250ms"\n'
        "[[checks.ratios]]\n"
        'name = "error_rate"\n'
        'numerator = { metric = "http_requests_total", labels = { code = "5.." } }\n'
        'denominator = { metric = "http_requests_total" }\n\n'
    )


def test_error_rate_samples_per_interval_decide_the_for_row(pytester: pytest.Pytester) -> None:
    with scripted_server() as service:
        write_gate(
            pytester,
            service.url,
            metrics("spike", service),
            metrics("sustained", service),
            extra=ERROR_RATE_RULE,
        )
        result = pytester.runpytest("--target=staging", "--verdict-json=v.json")
    assert result.ret == 1, result.stdout.str()
    checks = by_id(verdict(pytester, "v.json"))
    # 30% from 2 s to 4 s: above 5% for about 2 s (a little more where a late scrape's
    # interval straddles an edge), short of the 3 s the row asks for.
    assert checks["spike"]["decision"] == "ok"
    assert checks["sustained"]["decision"] == "rollback"
    rate = next(m for m in checks["spike"]["measurements"] if m["name"] == "prometheus.error_rate")
    # On a loaded machine an interval may straddle the start of the burst.
    assert 0.10 < max(v for _, v in rate["samples"]) <= 0.30 + 1e-6
    assert min(v for _, v in rate["samples"]) == pytest.approx(0.0, abs=0.01)


def test_a_for_as_long_as_the_window_is_judged_on_a_healthy_service(
    pytester: pytest.Pytester, service: Scripted
) -> None:
    """The window starts with its first sample, however late its thread starts: a for of
    the window's whole length is judged (GO), not "could not be judged" every run."""
    rule = HEALTH_RULES.replace('for = "1500ms"', 'for = "2s"')
    write_gate(pytester, service.url, health("healthy", service, window="2s"), extra=rule)
    result = pytester.runpytest("--target=staging")
    assert result.ret == 0, result.stdout.str()
