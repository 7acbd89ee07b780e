"""The scripted test service does what its script says, at the time it says."""

from __future__ import annotations

import math

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.scripted import MB, RATE, SCRIPTS, Step, counters, exposition, scripted_server


def metrics(text: str) -> dict[str, float]:
    return {
        s.name + "".join(f"{{{k}={v}}}" for k, v in sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_counters_integrate_the_error_ratio_over_the_steps() -> None:
    ok, errors, buckets, _ = counters(SCRIPTS["spike"], 6.0)
    assert errors == RATE * 2 * 0.3
    assert ok + errors == RATE * 6
    assert buckets[-1] == RATE * 6


def test_a_reset_step_restarts_the_counters() -> None:
    ok, errors, _, _ = counters(SCRIPTS["restart"], 3.0)
    assert ok + errors == RATE * 1


def test_the_exposition_parses_and_a_leak_grows_the_gauge() -> None:
    script = (Step(leak=2 * MB),)
    parsed = metrics(exposition(script, 10.0, script[0]))
    assert parsed["process_resident_memory_bytes"] == 200 * MB + 20 * MB
    assert parsed["http_request_duration_seconds_bucket{le=+Inf}"] == RATE * 10
    assert math.isnan(
        metrics(exposition(SCRIPTS["nan"], 1.0, SCRIPTS["nan"][0]))["process_resident_memory_bytes"]
    )


def test_health_follows_the_script_from_the_first_request() -> None:
    with scripted_server() as service:
        assert requests.get(service.base("sustained") + "/health", timeout=5).status_code == 200
        assert requests.get(service.base("healthy") + "/metrics", timeout=5).ok
        assert requests.get(service.url + "/nope/health", timeout=5).status_code == 404
