"""Team check for checklist 000's "Immediate Validation": five response-time samples of
/health (the checklist's loop sleeps 30 s between them; the gate does not wait)."""

import time

import pytest

SAMPLES = 5


@pytest.mark.postdeploy
@pytest.mark.deploygate(id="health-samples", on_fail="investigate")
def test_health_response_time_samples(http, measure):
    durations = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        response = http.get("/health", timeout=5)
        durations.append(time.perf_counter() - started)
        assert response.status_code == 200, f"/health answered {response.status_code}"
    measure("health.avg_latency", sum(durations) / SAMPLES, "s", threshold=1.0)
