"""Team checks for checklist 002: numbers inside the health answers, measured so the
config's rules can hold them to the checklist's bounds."""

import pytest


@pytest.mark.smoke
@pytest.mark.deploygate(id="db-latency", on_fail="investigate")
def test_database_latency_from_health_db(http, measure):
    response = http.get("/health/db", timeout=5)
    assert response.status_code == 200, f"/health/db answered {response.status_code}"
    latency_ms = response.json()["latency_ms"]
    measure("app.db_latency", latency_ms / 1000, "s", threshold=0.05)


@pytest.mark.predeploy
@pytest.mark.deploygate(id="connections-drained", on_fail="investigate")
def test_active_connections_drained(http, measure):
    response = http.get("/health", timeout=5)
    assert response.status_code == 200, f"/health answered {response.status_code}"
    measure("app.active_connections", response.json()["active_connections"], "", threshold=5)
