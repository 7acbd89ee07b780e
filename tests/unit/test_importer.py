"""deploygate import: the items a person would map become checks and rules."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_deploygate.config import load
from pytest_deploygate.importer import Imported, import_checklist, rules_take_for
from pytest_deploygate.importer.draft import Check, Rule
from pytest_deploygate.importer.items import parse_items
from pytest_deploygate.importer.shell import WRITE_PROBE_NOTE
from pytest_deploygate.units import parse_duration
from pytest_deploygate.windows import default_interval
from tests.support.seeds import seed, seeds, variable_values

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SEED_IDS = [p.name[:3] for p in seeds()]


def imported(text: str) -> Imported:
    return import_checklist(text, "CHECKLIST.md")


def checks_of(result: Imported, check_type: str, **keys: Any) -> list[Check]:
    return [
        c
        for c in result.draft.checks
        if c.type == check_type and all(c.keys.get(k) == v for k, v in keys.items())
    ]


def rules_for(result: Imported, measurement: str) -> list[Rule]:
    return [r for r in result.draft.rules if r.keys["measurement"] == measurement]


def loads(result: Imported) -> None:
    data = tomllib.loads(result.text)
    environ = variable_values(result.text)
    config = load(data, source="draft", base_dir=Path("."), target="production", environ=environ)
    assert len(config.checks) == len(result.draft.checks)


def test_seeds_are_found() -> None:
    assert len(seeds()) >= 5


@pytest.mark.parametrize("path", seeds(), ids=SEED_IDS)
def test_every_seed_drafts_a_config_that_loads(path: Path) -> None:
    result = imported(path.read_text(encoding="utf-8"))
    loads(result)
    counts = result.counts
    assert counts["checks"] >= 5
    assert counts["as_checks"] + counts["as_rules"] + counts["manual"] == counts["items"]
    assert result.summary in result.text


@pytest.mark.parametrize("path", seeds(), ids=SEED_IDS)
def test_the_same_checklist_gives_the_same_draft(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert imported(text).text == imported(text).text


def test_seed_002_infrastructure_checks() -> None:
    result = imported(seed("002"))
    assert checks_of(result, "host", check="service", name="postgresql")
    assert checks_of(result, "host", check="service", name="deia-bot-controller")
    assert checks_of(result, "postgres", check="reachable")
    assert checks_of(result, "postgres", check="connections", max_sessions=10)
    # redis-cli ping: a PING check on ${REDIS_HOST}, read-only
    (redis,) = checks_of(result, "redis")
    assert redis.keys == {"url": "redis://${REDIS_HOST}:6379"}
    (backup,) = checks_of(result, "backup")
    assert backup.keys["format"] == "sql.gz"
    assert backup.keys["pattern"] == "deia_prod_backup_*.sql.gz"
    assert checks_of(result, "host", check="disk", min_free="10GB")
    assert checks_of(result, "tls", min_days_left=30)
    (env,) = checks_of(result, "env")
    assert env.keys["variables"] == ["JWT_SECRET", "DATABASE_URL"]
    assert env.keys["matching"] == ["OLLAMA"]
    assert any("'^OLLAMA_'" in note for note in env.notes)
    assert checks_of(result, "host", check="command", command="npm run db:status")
    assert checks_of(result, "host", check="absent", path="/var/lib/deia/MAINTENANCE_MODE")


def test_seed_002_http_and_metrics() -> None:
    result = imported(seed("002"))
    (health,) = checks_of(result, "http", path="/health", expect_json={"status": "healthy"})
    assert health.id == "health"
    assert "smoke" in health.phases
    (launch,) = checks_of(result, "http", path="/api/bot/launch")
    assert launch.keys["method"] == "POST"
    assert launch.keys["json"] == {"bot_id": "TEST-BOT-SMOKE"}
    (errors,) = [c for c in checks_of(result, "prometheus") if c.id == "error-rate"]
    assert errors.keys["require"] == ["http_requests_total"]
    assert checks_of(result, "prometheus", require=["http_request_duration_seconds_count"])
    ratio = errors.keys["ratios"][0]
    assert ratio["name"] == "error_rate" and ratio["max"] == "0.5%"
    assert ratio["numerator"]["labels"] == {"status": "5.."}


def test_seed_002_decision_matrix() -> None:
    result = imported(seed("002"))
    rollback = [r.keys for r in rules_for(result, "prometheus.error_rate")]
    assert {"measurement": "prometheus.error_rate", "above": "5%", "decision": "rollback"}.items()
    assert any(r["above"] == "5%" and r["decision"] == "rollback" for r in rollback)
    assert any(r["above"] == "1%" and r["decision"] == "investigate" for r in rollback)
    five = next(r for r in rollback if r["above"] == "5%")
    assert five.get("for") == "5m"  # written as a comment when the loader lacks 'for'
    if not rules_take_for():
        assert '# for = "5m"' in result.text
    latency = {(r.keys.get("above"), r.keys["decision"]) for r in rules_for(result, "http.latency")}
    assert ("5s", "rollback") in latency
    assert ("2s", "investigate") in latency


@pytest.mark.parametrize("seed_id", ["002", "004"])
def test_a_for_rule_note_names_a_window_whose_rate_samples_can_hold_it(seed_id: str) -> None:
    # A ratio of increases has one sample per interval, stamped at the interval's end: with
    # "--observe 5m" for a 5m 'for' its samples span 4m 45s and a healthy service always reads
    # INVESTIGATE ("could not be judged"). The note's window must leave room for that.
    rows = [r for r in imported(seed(seed_id)).draft.rules if "for" in r.keys]
    assert rows
    for row in rows:
        (note,) = [n for n in row.notes if "--observe" in n]
        window = parse_duration(re.search(r"--observe (\S+)", note)[1])  # type: ignore[index]
        held = parse_duration(row.keys["for"])
        assert window - default_interval(window) > held, note


def test_seed_002_ok_rows_need_no_rule() -> None:
    result = imported(seed("002"))
    (row,) = [r for r in result.draft.results if r.item.text.startswith("Single error in logs")]
    assert row.status == "manual"
    assert "no rule needed" in row.findings[0].reason  # type: ignore[union-attr]


def test_seed_002_phases_come_from_sections() -> None:
    result = imported(seed("002"))
    (disk,) = checks_of(result, "host", check="disk")
    assert disk.phases == ["predeploy"]
    (absent,) = checks_of(result, "host", check="absent")
    assert absent.phases == ["postdeploy"]
    (errors,) = [c for c in checks_of(result, "prometheus") if c.id == "error-rate"]
    assert errors.phases == ["postdeploy"]


def test_seed_000_snippets_and_commands() -> None:
    result = imported(seed("000"))
    assert checks_of(result, "load", requests=100, concurrency=10)
    (ws,) = checks_of(result, "websocket")
    assert ws.keys["send_json"] == {"type": "ping"} and ws.keys["expect_reply"] is True
    assert checks_of(result, "sqlite", check="integrity", path="${BACKUP_FILE}")
    envs = [c.keys["variables"] for c in checks_of(result, "env")]
    assert ["DATABASE_URL", "API_ENDPOINTS", "LOG_LEVEL", "MONITORING_ENDPOINT"] in envs
    agents = [c.keys["json"]["message"] for c in checks_of(result, "http", method="POST")]
    assert agents == ["Hello", "Tell me about this place", "Health check"]
    short = checks_of(result, "http", max_body_length=499)
    assert short and short[0].keys["body_length_path"] == "response"
    assert checks_of(result, "prometheus", require=["http_requests_total"])


def test_seed_000_rollback_conditions_in_comments() -> None:
    result = imported(seed("000"))
    latency = [r.keys for r in rules_for(result, "http.latency")]
    assert {"measurement": "http.latency", "above": "5s", "decision": "rollback"} in latency
    errors = [r.keys for r in rules_for(result, "prometheus.error_rate")]
    assert {"measurement": "prometheus.error_rate", "above": "1%", "decision": "rollback"} in errors
    # the rule needs a check measuring it: one is drafted
    assert any(c.id == "error-rate" for c in result.draft.checks)


def test_seed_001_versions_backups_migrations() -> None:
    result = imported(seed("001"))
    assert checks_of(result, "http", path="/health/ready")
    assert checks_of(result, "http", path="/health", expect_version=True)
    assert "expected_version" in result.text
    (backup,) = checks_of(result, "backup")
    assert backup.keys["pattern"] == "backup_*.sql" and backup.keys["format"] == "sql"
    assert checks_of(result, "postgres", check="migrations", tool="sql")
    errors = [r.keys for r in rules_for(result, "prometheus.error_rate")]
    assert {"measurement": "prometheus.error_rate", "above": "1%", "decision": "rollback"} in errors
    statuses = {r.item.text: r.status for r in result.draft.results}
    assert statuses["Health probes failing"] == "check"  # the health checks' on_fail
    assert statuses["Error rate > 1% | S2 | Rollback. Investigate."] == "rule"


def test_seed_003_database_statements() -> None:
    result = imported(seed("003"))
    assert checks_of(result, "postgres", check="version", min_version="12")
    (create,) = checks_of(result, "postgres", check="privileges")
    assert create.keys["statements"] == ["CREATE TABLE test (id INT)", "DROP TABLE test"]
    tables = ["provider_credentials", "execution_plans", "execution_logs"]
    assert checks_of(result, "postgres", check="schema", tables=tables)
    assert checks_of(result, "postgres", check="rls", tables=tables)
    assert checks_of(result, "load", concurrency=10, requests=10)
    assert checks_of(result, "http", expect_json={"status": "healthy"})


def test_seed_004_words_only_items() -> None:
    result = imported(seed("004"))
    assert checks_of(result, "postgres", check="primary_keys")
    assert checks_of(result, "postgres", check="foreign_keys")
    assert checks_of(result, "postgres", check="reachable")
    # "Redis: Cache operations working": PING and the write probe, with a note saying so
    (redis,) = checks_of(result, "redis")
    assert redis.keys == {"url": "redis://${REDIS_HOST}:6379", "write_probe": True}
    assert WRITE_PROBE_NOTE in redis.notes
    assert checks_of(result, "host", check="disk")
    errors = [r.keys for r in rules_for(result, "prometheus.error_rate")]
    assert any(r["above"] == "5%" and r["decision"] == "rollback" for r in errors)
    latency = [r.keys for r in rules_for(result, "http.latency")]
    assert {"measurement": "http.latency", "above": "2s", "decision": "investigate"} in latency


NUMBERED = """\
# Release checklist

## Before deploying
1. Check disk: `df -h /var` must show > 20GB free
2. Back up: `pg_dump app > /backups/app_$(date +%F).sql`
3. Certificate valid > 14 days
4. Required environment variables: `APP_SECRET_KEY`, `DATABASE_URL`

## Smoke tests
1. GET /health returns 200
2. `wget -q -O- https://api.example.com/version`
3. `http POST https://api.example.com/orders item=book qty:=2`
4. `alembic current` shows no pending migrations

## Rollback if
- Error rate > 2% for 10 minutes
- P95 latency > 3 seconds
"""


def test_a_numbered_list_checklist() -> None:
    result = imported(NUMBERED)
    assert checks_of(result, "host", check="disk", path="/var", min_free="20GB")
    (backup,) = checks_of(result, "backup")
    assert backup.keys["directory"] == "/backups" and backup.keys["pattern"] == "app_*.sql"
    assert checks_of(result, "tls", min_days_left=14)
    (env,) = checks_of(result, "env")
    assert env.keys["variables"] == ["APP_SECRET_KEY", "DATABASE_URL"]
    assert checks_of(result, "http", path="/health")
    assert checks_of(result, "http", path="/version")
    (order,) = checks_of(result, "http", path="/orders")
    assert order.keys["json"] == {"item": "book", "qty": 2}
    assert checks_of(result, "postgres", check="migrations", tool="alembic")
    (errors,) = rules_for(result, "prometheus.error_rate")
    assert errors.keys["above"] == "2%" and errors.keys["decision"] == "rollback"
    assert errors.keys["for"] == "10m"
    (latency,) = rules_for(result, "http.latency")
    assert latency.keys["above"] == "3s" and latency.keys["decision"] == "rollback"
    phases = {c.type: c.phases for c in result.draft.checks}
    assert phases["host"] == phases["backup"] == phases["tls"] == phases["env"] == ["predeploy"]
    assert phases["http"] == ["smoke"]
    loads(result)


TABLES = """\
# Go/no-go

| Check | Command | Expected |
|---|---|---|
| API up | `curl -f https://shop.example.com/healthz` | HTTP 200 |
| Cache | `redis-cli -p 6380 ping` | PONG |
| Nginx | `systemctl is-active nginx` | active |

| Condition | Decision |
|---|---|
| Response time > 800ms | Investigate |
| Error rate > 3% | Roll back |
| Everything green | Proceed |
"""


def test_a_table_checklist() -> None:
    result = imported(TABLES)
    latency = [r.keys for r in rules_for(result, "http.latency")]
    assert {"measurement": "http.latency", "above": "800ms", "decision": "investigate"} in latency
    errors = [r.keys for r in rules_for(result, "prometheus.error_rate")]
    assert {"measurement": "prometheus.error_rate", "above": "3%", "decision": "rollback"} in errors
    statuses = {r.item.text.split(" | ")[0]: r.status for r in result.draft.results}
    assert statuses["Everything green"] == "manual"
    loads(result)


CODE_ONLY = """\
```bash
curl -sf -H "Authorization: Bearer s3cr3t-t0ken-value" https://api.example.com/me | jq .user
psql "postgresql://admin:hunter2-pass@db.example.com/app" -c "SELECT 1"
sqlite3 /var/lib/app/app.db "PRAGMA integrity_check;"
export STRIPE_SECRET_KEY=sk_live_abcdef123456
systemctl status app-worker
ab -n 500 -c 25 https://api.example.com/search
curl http://localhost:9100/metrics | grep node_filesystem_avail_bytes
kubectl get pods
```
"""


def test_code_blocks_without_prose() -> None:
    result = imported(CODE_ONLY)
    (me,) = checks_of(result, "http", path="/me")
    assert me.keys["headers"] == {"Authorization": "Bearer ${API_TOKEN}"}
    assert me.keys["match_json_path"] == {"user": ".+"}
    assert checks_of(result, "postgres", check="reachable")
    assert checks_of(result, "sqlite", check="integrity", path="/var/lib/app/app.db")
    assert checks_of(result, "host", check="service", name="app-worker")
    assert checks_of(result, "load", requests=500, concurrency=25)
    (metrics,) = checks_of(result, "prometheus", require=["node_filesystem_avail_bytes"])
    assert metrics.keys["url"] == "${LOCALHOST_9100_URL}/metrics"
    manual = [r for r in result.draft.results if r.status == "manual"]
    assert {r.item.commands[0].text.split()[0] for r in manual} == {"export", "kubectl"}
    loads(result)


@pytest.mark.parametrize(
    ("command", "keys"),
    [
        pytest.param(
            'env | grep -E "(JWT_SECRET|DATABASE_URL|OLLAMA)"',
            {"variables": ["JWT_SECRET", "DATABASE_URL"], "matching": ["OLLAMA"]},
            id="names-and-a-part",
        ),
        pytest.param("env | grep ^DB_", {"matching": ["^DB_"]}, id="prefix"),
        pytest.param("env | grep ^DATABASE_URL=", {"variables": ["DATABASE_URL"]}, id="anchored"),
        pytest.param(
            "printenv | grep 'REDIS_\\|SENTRY_DSN'",
            {"variables": ["SENTRY_DSN"], "matching": ["REDIS_"]},
            id="basic-grep",
        ),
        pytest.param(
            "env | grep -i ollama | grep -v DEBUG_FLAG",
            {"matching": ["(?i)ollama"]},
            id="ignore-case-and-exclusion",
        ),
        pytest.param("printenv APP_ENV HOME", {"variables": ["APP_ENV", "HOME"]}, id="printenv"),
    ],
)
def test_env_greps_draft_names_and_name_patterns(command: str, keys: dict[str, Any]) -> None:
    result = imported(f"# Pre-deployment\n\n- [ ] env\n\n  ```bash\n  {command}\n  ```\n")
    (env,) = checks_of(result, "env")
    assert {k: env.keys[k] for k in ("variables", "matching") if k in env.keys} == keys
    loads(result)


def test_an_env_grep_for_lower_case_words_stays_manual() -> None:
    result = imported("# Pre-deployment\n\n- [ ] env\n\n  ```bash\n  env | grep secret\n  ```\n")
    assert not checks_of(result, "env")


def test_no_secret_value_reaches_the_draft() -> None:
    text = imported(CODE_ONLY).text
    for secret in ("s3cr3t-t0ken-value", "hunter2-pass", "sk_live_abcdef123456"):
        assert secret not in text
    assert "API_TOKEN" in text and "secrets = " in text


def test_the_import_opens_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the importer tried to connect")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    imported(seed("002"))


def test_items_keep_their_sections_and_lines() -> None:
    items = parse_items(seed("002"))
    first = items[0]
    assert first.text == "1. PostgreSQL running"
    assert first.section == (
        "Production Deployment Procedures",
        "Pre-Deployment Checklist",
        "Infrastructure Checks",
    )
    assert first.line == 16
    assert first.expected == ("Expected: Running, connection successful",)
    assert [c.text for c in first.commands] == [
        "systemctl status postgresql",
        'psql -U deia -d deia_prod -c "SELECT 1"',
    ]


def test_manual_items_are_quoted_with_a_reason() -> None:
    result = imported(seed("002"))
    assert "'13. Team notified of deployment" in result.text
    assert "manual: communication: a person's step" in result.text


REDIS_CLI = """\
## Smoke
- Cache answers: `redis-cli -h cache.internal -p 6380 -n 2 -a hunter2-redis-pw ping`
- Sessions over TLS: `redis-cli --tls -h sessions.internal info memory`
- Cache writes: `redis-cli -h cache.internal set deploy-check 1 && redis-cli get deploy-check`
"""


def test_redis_cli_drafts_redis_checks_with_host_and_password_as_variables() -> None:
    result = imported(REDIS_CLI)
    checks = {c.keys["url"]: c.keys for c in checks_of(result, "redis")}
    assert checks == {
        "redis://${REDIS_HOST}:6380/2": {
            "url": "redis://${REDIS_HOST}:6380/2",
            "password": "${REDIS_PASSWORD}",
        },
        "rediss://${REDIS_HOST}:6379": {"url": "rediss://${REDIS_HOST}:6379"},
        "redis://${REDIS_HOST}:6379": {"url": "redis://${REDIS_HOST}:6379", "write_probe": True},
    }
    assert "hunter2-redis-pw" not in result.text
    assert "-a *** ping" in result.text  # the quoted item keeps the command, not the password
    loads(result)


def test_seed_logs_commands_become_logs_checks() -> None:
    """grep -c ERROR FILE (000, 003), tail -f FILE | grep (000, 003), journalctl -u (002)."""
    (count, watched) = checks_of(imported(seed("000")), "logs", file="production.log")
    assert (count.keys["pattern"], count.keys["window"]) == ("ERROR", "5m")
    assert watched.keys["pattern"] == "(ERROR|WARN|agent_query)"
    assert watched.keys["on_fail"] == "investigate"  # it matches more than errors
    # 003 greps the same file for the same pattern twice: one check, in its phase.
    (flask,) = checks_of(imported(seed("003")), "logs", file="/var/log/flask-app.log")
    assert flask.keys["pattern"] == "ERROR" and "on_fail" not in flask.keys
    (bot,) = checks_of(imported(seed("002")), "logs", journal="deia-bot-controller")
    assert bot.keys["window"] == "30s"  # "# Watch for 30 seconds, expect: no errors"
    assert bot.keys["pattern"].startswith("(?i)")


LOG_COMMANDS = """\
# Verify

```bash
grep -ci 'error\\|fatal' /var/log/app/worker.log
journalctl -u api.service --since "10 min ago" | grep -E "Traceback|CRITICAL"
tail -n 100 /srv/app/logs/access.log
grep -v DEBUG /var/log/app.log
grep DATABASE_URL .env
kubectl logs deploy/api --since=5m
```
"""


def test_log_commands_in_other_styles() -> None:
    result = imported(LOG_COMMANDS)
    (worker,) = checks_of(result, "logs", file="/var/log/app/worker.log")
    assert worker.keys["pattern"] == "error|fatal"  # grep's basic \\| is Python's |
    assert worker.keys["ignore_case"] is True
    (api,) = checks_of(result, "logs", journal="api")
    assert api.keys["since"] == "10m" and "window" not in api.keys
    assert api.keys["pattern"] == "Traceback|CRITICAL"
    (access,) = checks_of(result, "logs", file="/srv/app/logs/access.log")
    assert any("pattern is a guess" in note for note in access.notes)
    manual = {r.item.commands[0].text: r.findings[0] for r in result.draft.results}
    assert "do NOT match" in manual["grep -v DEBUG /var/log/app.log"].reason  # type: ignore[union-attr]
    assert "name a log" in manual["grep DATABASE_URL .env"].reason  # type: ignore[union-attr]
    assert "needs a cluster" in manual["kubectl logs deploy/api --since=5m"].reason  # type: ignore[union-attr]
    loads(result)
