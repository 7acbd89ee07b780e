"""Team check for checklist 001's "Run Smoke Tests" (`python -m backend_py.tests.smoke_test`)
and "Verify customer-facing features work": the solver answers a small routing job."""

import time

import pytest


@pytest.mark.smoke
@pytest.mark.postdeploy
@pytest.mark.deploygate(id="solver-smoke")
def test_solver_routes_a_small_job(http, measure):
    started = time.perf_counter()
    response = http.post("/api/solve", json={"stops": ["depot", "a", "b"]}, timeout=10)
    measure("solver.latency", time.perf_counter() - started, "s")
    assert response.status_code == 200, f"/api/solve answered {response.status_code}"
    assert response.json()["status"] == "solved"
