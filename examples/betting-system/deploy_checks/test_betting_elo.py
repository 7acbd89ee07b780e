"""Team check for checklist 004's "Elo Engine: all sport Elo classes initialize"."""

import pytest

SPORTS = {"nfl", "nba", "mlb", "nhl"}


@pytest.mark.smoke
@pytest.mark.deploygate(id="elo-engines")
def test_every_sport_elo_engine_initializes(http, measure):
    response = http.get("/api/elo/sports", timeout=5)
    assert response.status_code == 200, f"/api/elo/sports answered {response.status_code}"
    ready = {s["sport"] for s in response.json()["sports"] if s.get("initialized")}
    measure("elo.sports_ready", len(ready), "count", threshold=len(SPORTS), bound="min")
    missing = sorted(SPORTS - ready)
    assert not missing, f"Elo engines not initialized: {', '.join(missing)}"
