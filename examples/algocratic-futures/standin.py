"""A stand-in for the algocratic-futures backend (checklist 000): the agent API, its
WebSocket, metrics, the SQLite database and its backup, with the checklist's faults.

    python examples/algocratic-futures/standin.py [--fault NAME ...]

prints the variables to export, then serves until Ctrl-C; in another shell:

    pytest --target production --deploygate-config examples/algocratic-futures/deploygate.toml
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from pytest_deploygate.demo.standin import (
    Databases,
    Reply,
    Request,
    Running,
    serve_main,
    stand_in,
)

# fault -> (the checklist's words, the verdict the checklist asks for)
FAULTS: dict[str, tuple[str, str]] = {
    "health-500": ("Health check returns 5xx status: immediate rollback", "ROLLBACK"),
    "errors": ("Error rate > 1%: immediate rollback", "ROLLBACK"),
    "backup-corrupt": ("Data Integrity Issues: stop service + database restoration", "ROLLBACK"),
    "slow-agent": ("Response Time < 1s average / Performance Degradation: Investigate",
                   "INVESTIGATE"),
    "errors-in-log": ("Error count should be 0 (grep -c ERROR production.log)", "INVESTIGATE"),
}  # fmt: skip
SLOW_S = 1.3
DB_NAME = "algocratic_futures.db"


def _health(request: Request) -> Reply:
    if "health-500" in request.faults:
        return Reply(500, {"status": "error"})
    return Reply(200, {"status": "healthy"})


def _agent_query(request: Request) -> Reply:
    body = request.body if isinstance(request.body, dict) else {}
    model = str(body.get("model", ""))
    words = 12 if "flash" in model or "haiku" in model else 80  # Flash concise, Thinker long
    text = " ".join(["Liza considers the question carefully."] * (words // 6 + 1))
    delay = SLOW_S if "slow-agent" in request.faults else 0.0
    return Reply(200, {"agent": body.get("agent"), "model": model, "response": text}, delay)


ROUTES = {
    ("GET", "/health"): _health,
    ("POST", "/agent/query"): _agent_query,
    ("GET", "/agent/status"): lambda r: Reply(200, {"agents": ["liza"], "status": "ok"}),
    ("GET", "/db/status"): lambda r: Reply(200, {"database": "ok"}),
}


def _ws(message: Any, faults: frozenset[str]) -> Any:
    if isinstance(message, dict) and message.get("type") == "ping":
        return {"type": "pong"}
    return {"type": "error"}


@stand_in
def start(
    running: Running, faults: frozenset[str], workdir: Path, databases: Databases | None
) -> None:
    """Start the stand-in with ``faults``; ``env`` holds the variables the config names."""
    database = _database(workdir)
    backup = workdir / f"algocratic_futures_prod_backup_{time.strftime('%Y%m%d_%H%M%S')}.db"
    backup.write_bytes(database.read_bytes())
    if "backup-corrupt" in faults:
        backup.write_bytes(backup.read_bytes()[:1500])
    log = workdir / "production.log"
    log.write_text("2026-11-29 23:10:02 ERROR before the deploy: only new lines count\n")
    service = running.serve(ROUTES, faults, websocket=_ws, log=log)
    if "errors-in-log" in faults:
        service.log_errors("agent liza: gemini-flash quota exceeded", None, 0.3, after=0.5)
    if "errors" in faults:  # the traffic before the gate ran: 3% answered 500
        service.traffic("/agent/query", 1000, 30)
    running.env.update(
        {
            "BASE_URL": service.base_url,
            "WEBSOCKET_URL": service.websocket_url,
            "APP_DB": str(database),
            "BACKUP_DIR": str(workdir),
            # what the deploy needs in its environment (the checklist's required_vars)
            "DATABASE_URL": f"sqlite:///{database}",
            "API_ENDPOINTS": "gemini-flash,claude-3-opus",
            "LOG_LEVEL": "INFO",
            "MONITORING_ENDPOINT": f"{service.base_url}/metrics",
            "PRODUCTION_LOG": str(log),
            "LOG_WINDOW": "2s",  # production watches 5m
        }
    )


def _database(workdir: Path) -> Path:
    path = workdir / DB_NAME
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE TABLE conversations (id INTEGER PRIMARY KEY, agent_id INTEGER, text TEXT);"
            "INSERT INTO agents (name) VALUES ('liza'), ('kevin');"
            # enough rows for a file of several pages, so a truncated copy is detectably torn
            "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 500) "
            "INSERT INTO conversations (agent_id, text) SELECT 1, printf('message %d', i) FROM g;"
        )
    conn.close()
    return path


if __name__ == "__main__":
    serve_main(__doc__.split("\n\n")[0], FAULTS, start)
