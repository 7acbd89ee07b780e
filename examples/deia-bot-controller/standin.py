"""A stand-in for the DEIA bot controller (checklist 002): its HTTP API with metrics and
TLS, a PostgreSQL database with a gzip backup, Ollama's API, a real Redis server with a
password (where the machine has redis-server), the daemons a host check looks for, and the
checklist's faults.

    python examples/deia-bot-controller/standin.py [--fault NAME ...]

prints the variables to export, then serves until Ctrl-C; in another shell:

    pytest --target production --deploygate-config examples/deia-bot-controller/deploygate.toml
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from pytest_deploygate.demo.standin import (
    Databases,
    Reply,
    Request,
    Running,
    database,
    serve_main,
    stand_in,
    stand_in_process,
    tls_context,
)

NEEDS_POSTGRES = True
NEEDS_REDIS = True
REDIS_PASSWORD = "stand-in-redis-pw"
# fault -> (the checklist's words, the verdict the checklist asks for)
FAULTS: dict[str, tuple[str, str]] = {
    "error-rate-high": ("Error rate >5% for >5 min: ROLLBACK", "ROLLBACK"),
    "slow": ("Response time P95 2-5 seconds: INVESTIGATE", "INVESTIGATE"),
    "app-crashed": ("Application crashes: ROLLBACK", "ROLLBACK"),
    "db-unreachable": ("Database unreachable: ROLLBACK", "ROLLBACK"),
    "redis-down": ("3. Redis service running (optional): investigate", "INVESTIGATE"),
    "log-error-single": ("Single error in logs: OK (monitor, but don't rollback)", "GO"),
    "log-errors": ("Error logs clean: No new error patterns", "INVESTIGATE"),
}
SLOW_S = 2.3
SCHEMA = """
CREATE TABLE bots (id text PRIMARY KEY, status text NOT NULL DEFAULT 'idle');
CREATE TABLE chat_messages (id serial PRIMARY KEY, bot_id text, body text);
INSERT INTO bots (id) VALUES ('BOT-001'), ('BOT-002');
INSERT INTO chat_messages (bot_id, body)
SELECT 'BOT-001', 'hello ' || g FROM generate_series(1, 50) g;
"""


def _delay(request: Request) -> float:
    return SLOW_S if "slow" in request.faults else 0.0


def _health(request: Request) -> Reply:
    if "app-crashed" in request.faults:
        return Reply(502, {"error": "bad gateway: no upstream"})
    return Reply(200, {"status": "healthy", "active_connections": 2}, _delay(request))


def _health_db(request: Request) -> Reply:
    if "db-unreachable" in request.faults:
        return Reply(503, {"database": "unreachable"})
    return Reply(200, {"database": "ok", "latency_ms": 3}, _delay(request))


def _launch(request: Request) -> Reply:
    body = request.body if isinstance(request.body, dict) else {}
    if "app-crashed" in request.faults:
        return Reply(502, {"error": "bad gateway: no upstream"})
    return Reply(200, {"bot_id": body.get("bot_id"), "status": "launched"}, _delay(request))


ROUTES = {
    ("GET", "/health"): _health,
    ("GET", "/health/db"): _health_db,
    ("POST", "/api/bot/launch"): _launch,
}
OLLAMA_ROUTES = {("GET", "/api/tags"): lambda r: Reply(200, {"models": [{"name": "llama3"}]})}


@stand_in
def start(
    running: Running, faults: frozenset[str], workdir: Path, databases: Databases | None
) -> None:
    env = running.env
    context, ca = tls_context(workdir, 90)
    log = workdir / "deia-bot-controller.log"
    app = running.serve(ROUTES, faults, tls=context, log=log)
    if "log-error-single" in faults:
        app.log_errors("telegram: 502 from api.telegram.org, retrying", 1, 0.0, after=1.0)
    if "log-errors" in faults:
        app.log_errors("bot BOT-001: unhandled exception in message loop", None, 0.3, after=0.5)
    # the traffic since the deploy: 8% answered 500 under the fault
    app.traffic("/api/bot/launch", 1000, 80 if "error-rate-high" in faults else 0)
    ollama = running.serve(OLLAMA_ROUTES, faults)
    redis_url = running.redis(workdir, REDIS_PASSWORD, down="redis-down" in faults)
    daemons = ["ollama", "redis-server"]
    if "app-crashed" not in faults:
        daemons.append("deia-bot-controller")
    running.stops.extend(stand_in_process(workdir, name) for name in daemons)
    backups = workdir / "backups"
    backups.mkdir(exist_ok=True)
    dump = backups / f"deia_prod_backup_{int(time.time())}.sql.gz"
    dsn = database(databases, SCHEMA, dump, compress=True)
    if "db-unreachable" in faults:
        dsn = f"postgresql://deia@127.0.0.1:{_closed_port()}/deia_prod"
    status = workdir / "db-status"
    status.write_text("#!/bin/sh\necho 'No pending migrations'\n")
    status.chmod(0o755)
    env.update(
        {
            "BASE_URL": app.base_url,
            "OLLAMA_URL": ollama.base_url,
            "DATABASE_URL": dsn,
            "DEPLOY_HOST": "local://",
            "REDIS_URL": redis_url,
            "REDIS_PASSWORD": REDIS_PASSWORD,
            "TLS_HOST": "127.0.0.1",
            "TLS_PORT": str(app.tls_port),
            "CA_BUNDLE": str(ca),
            "BACKUP_DIR": str(backups),
            "DB_STATUS_COMMAND": str(status),
            "MAINTENANCE_FLAG": str(workdir / "MAINTENANCE_MODE"),
            # the stand-in runs where the gate runs; the production host wants 10GB free
            "DISK_MIN_FREE": "50MB",
            "SERVICE_MANAGER": "process",
            "JWT_SECRET": "stand-in-jwt-secret",
            "OLLAMA_HOST": ollama.base_url,
            "BOT_LOG": str(log),
            "LOG_WINDOW": "3s",  # production watches 30s
        }
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    serve_main(__doc__.split("\n\n")[0], FAULTS, start)
