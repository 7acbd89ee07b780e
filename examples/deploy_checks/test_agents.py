"""Team-written checks for the example gate: the checklist's agent-tier tests.

Run with the example config:
``pytest --target staging --deploygate-config examples/deploygate.toml``.
"""

import pytest


@pytest.mark.smoke
@pytest.mark.deploygate(on_fail="investigate")
def test_flash_tier_is_concise(http, measure):
    response = http.post(
        "/agent/query", json={"agent": "liza", "model": "gemini-flash", "message": "Hello"}
    )
    assert response.status_code == 200
    length = len(response.json()["response"])
    measure("agent.flash_length", length, "count", threshold=500)
    assert length < 500, f"flash tier answer is {length} characters"


@pytest.mark.smoke
@pytest.mark.deploygate(on_fail="investigate")
def test_thinker_tier_is_detailed(http, measure):
    response = http.post(
        "/agent/query",
        json={"agent": "liza", "model": "claude-3-opus", "message": "Tell me about this place"},
    )
    assert response.status_code == 200
    length = len(response.json()["response"])
    measure("agent.thinker_length", length, "count", threshold=300, bound="min")
    assert length > 300, f"thinker tier answer is only {length} characters"
