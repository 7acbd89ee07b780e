"""prometheus checks over a window against the scripted service: gauges on their samples,
counters on their increase, quantiles from the buckets' increase, end to end.

Every window runs at once (module fixture), so the module costs one 3-second window.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.prometheus import PrometheusCheck
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.support.scripted import SCRIPTS, Step, scripted_server

MB = 1_000_000
WINDOW = {"window": "3s", "interval": "500ms"}
# One sample of seven 4 KiB low (at 1.5 s; the dip lasts 0.4 s, so a late or early
# sample still sees it alone): not a leak, not a shrink, not a counter reset.
ONE_DIP = (Step(memory=300 * MB), Step(1.3, memory=300 * MB - 4096), Step(1.7, memory=300 * MB))
# 30% errors from 1 s to 2 s of the 3 s window: a second of margin on each side, so that
# a loaded machine's late or skipped samples still leave an interval mostly inside the
# spike and a healthy one before it (a spike from 2 s on had its end at the window's).
SPIKE = (Step(), Step(1.0, error_ratio=0.3), Step(2.0))
ERROR_RATE = {
    "name": "error_rate",
    "numerator": {"metric": "http_requests_total", "labels": {"code": "5.."}},
    "denominator": {"metric": "http_requests_total"},
    "max": "5%",
}
MEMORY = "process_resident_memory_bytes"
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "memory-high": ("memory-high", {"values": [{"metric": MEMORY, "name": "m", "max": "512MB"}]}),
    "dip": (
        "one-dip",
        {"values": [{"metric": MEMORY, "name": "m", "per_second": True, "max": "1MB"}]},
    ),
    "leak": (
        "leak",
        {"values": [{"metric": MEMORY, "name": "m", "per_minute": True, "max": "100MB"}]},
    ),
    "restart": ("restart", {"ratios": [ERROR_RATE]}),
    "spike": ("early-spike", {"ratios": [ERROR_RATE]}),
    "slow": (
        "slow",
        {"quantiles": [{"name": "p95", "metric": "http_request_duration_seconds", "q": 0.95}]},
    ),
    "nan": ("nan", {"values": [{"metric": MEMORY, "name": "m", "max": "1GB"}]}),
}


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, Execution]]:
    with scripted_server({**SCRIPTS, "one-dip": ONE_DIP, "early-spike": SPIKE}) as service:

        def run(case: str) -> Execution:
            script, keys = CASES[case]
            spec = PrometheusCheck.model_validate(
                {
                    "id": case,
                    "type": "prometheus",
                    "phases": ["postdeploy"],
                    "url": f"{service.base(script)}/metrics",
                    **WINDOW,
                    **keys,
                }
            )
            return execute(CheckInstance(spec), Target(name="t"), ProbeContext(Path(".")))

        with ThreadPoolExecutor(len(CASES)) as pool:
            yield dict(zip(CASES, pool.map(run, CASES), strict=True))


def measured(done: Execution, name: str) -> Measurement:
    assert done.judgement is not None, done
    return next(m for m in done.judgement.measurements if m.name == f"prometheus.{name}")


def test_a_gauge_over_its_cap_for_the_whole_window_fails(results: dict[str, Execution]) -> None:
    done = results["memory-high"]
    memory = measured(done, "m")
    assert memory.value == 900 * MB
    assert {v for _, v in memory.samples} == {900 * MB} and len(memory.samples) >= 3
    assert done.judgement is not None and not done.judgement.passed


def test_a_gauge_that_dips_once_has_no_growth(results: dict[str, Execution]) -> None:
    done = results["dip"]
    assert measured(done, "m").value == pytest.approx(0.0, abs=1e-6)
    assert done.judgement is not None and done.judgement.passed


def test_a_leak_is_its_growth_per_minute(results: dict[str, Execution]) -> None:
    done = results["leak"]
    assert measured(done, "m").value == pytest.approx(120 * MB, rel=0.05)  # 2 MB a second
    assert done.judgement is not None and not done.judgement.passed


def test_a_restart_does_not_distort_the_error_rate(results: dict[str, Execution]) -> None:
    rate = measured(results["restart"], "error_rate")
    assert rate.value == pytest.approx(0.10, rel=0.02)
    assert all(v == pytest.approx(0.10, rel=0.02) for _, v in rate.samples)


def test_a_spike_shows_in_the_samples_of_the_error_rate(results: dict[str, Execution]) -> None:
    rate = measured(results["spike"], "error_rate")
    # 30% from 1 s to 2 s; on a loaded machine an interval may straddle an edge of it
    assert 0.10 < max(v for _, v in rate.samples) <= 0.30 + 1e-6
    assert min(v for _, v in rate.samples) < 0.05


def test_a_quantile_over_the_window_interpolates_as_promql(
    results: dict[str, Execution],
) -> None:
    # Durations uniform in [0.4 s, 1.2 s]: 75% under 1 s, all under 2.5 s; the 95th
    # percentile interpolates within (1, 2.5]: 1 + 1.5 * 0.2 / 0.25 = 2.2 s.
    p95 = measured(results["slow"], "p95")
    assert (p95.value, p95.unit) == (pytest.approx(2.2), "s")
    assert all(v == pytest.approx(2.2) for _, v in p95.samples)


def test_a_nan_gauge_is_never_within_bounds(results: dict[str, Execution]) -> None:
    done = results["nan"]
    assert math.isnan(measured(done, "m").value)
    assert done.judgement is not None and not done.judgement.passed
