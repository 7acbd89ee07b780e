"""deploygate import on any mix of checklist lines: never a traceback, always a draft that
loads, no secret value in it, and every item accounted for."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_deploygate.config import load
from pytest_deploygate.importer import import_checklist
from tests.support.seeds import variable_values

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SECRET = "Zq9-not-for-drafts"
LINES = [
    "# Deploy",
    "## Pre-deployment",
    "## Smoke tests",
    "## Post-deployment monitoring",
    "## Rollback procedure",
    "### When to rollback",
    "- [ ] Backup the database",
    "- [ ] `curl -f https://api.example.com/health`",
    "- [ ] GET /status returns 200",
    "- Error rate > 5% for > 5 min",
    "- Response time P95 > 2 seconds",
    "- [ ] Disk space > 10GB free",
    "- [ ] Certificate valid > 14 days",
    "1. Notify the team",
    "2. `systemctl status nginx`",
    "| Symptom | Action |",
    "|---|---|",
    "| Error rate 1-5% | INVESTIGATE |",
    "| Latency > 800ms | ROLLBACK |",
    "```bash",
    "```",
    f"export API_TOKEN={SECRET}",
    f"curl -H 'Authorization: Bearer {SECRET}' http://localhost:8000/me | jq .user",
    f"psql postgresql://admin:{SECRET}@db.example.com/app -c 'SELECT 1'",
    "pg_dump app | gzip > /backups/app_$(date +%s).sql.gz",
    "redis-cli -p 6380 ping",
    "ab -n 50 -c 5 http://localhost:8000/",
    "python -c \"import requests; requests.get('http://localhost:8000/x')\"",
    'env | grep -E "(DATABASE_URL|JWT_SECRET)"',
    "SELECT count(*) FROM pg_stat_activity;",
    "Expected: HTTP 200",
    "",
    "> a quote",
    "Some prose with a `code span` and **bold**.",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LINES), max_size=30))
def test_any_mix_of_lines_drafts_a_config_that_loads(lines: list[str]) -> None:
    result = import_checklist("\n".join(lines) + "\n", "CHECKLIST.md")
    # Not even the start of it: a quote cut short before the DSN's '@' is not seen as a DSN.
    assert SECRET[:4] not in result.text
    counts = result.counts
    assert counts["as_checks"] + counts["as_rules"] + counts["manual"] == counts["items"]
    data = tomllib.loads(result.text)
    environ = variable_values(result.text)
    config = load(data, source="draft", base_dir=Path("."), target="production", environ=environ)
    assert len(config.checks) == counts["checks"]
    # A rule no drafted check can fire stays in the draft, commented out.
    waiting = result.text.count("# [[decision.rules]]")
    assert len(config.rules) == counts["rules"] - waiting


def test_a_quote_cut_short_inside_a_dsn_keeps_its_password_masked() -> None:
    for pad in range(0, 24):
        checklist = (
            "# Pre-deployment\n\n"
            f"- [ ] Certificate valid > 14 days {'x' * pad}\n"
            "redis-cli -p 6380 ping\n"
            f"psql postgresql://admin:{SECRET}@db/app -c 'SELECT 1'\n"
        )
        text = import_checklist(checklist, "CHECKLIST.md").text
        assert SECRET[:4] not in text, pad
