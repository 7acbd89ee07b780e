"""A stand-in for the multi-sport betting system (checklist 004): its API, Airflow's
scheduler and webserver, the Streamlit dashboard, the Kalshi sandbox, Redis, and the
PostgreSQL database, with the checklist's rollback triggers as faults.

    python examples/betting-system/standin.py [--fault NAME ...]

prints the variables to export, then serves until Ctrl-C; in another shell:

    pytest --target production --deploygate-config examples/betting-system/deploygate.toml
"""

from __future__ import annotations

from pathlib import Path

from pytest_deploygate.demo.standin import (
    Databases,
    Reply,
    Request,
    Running,
    database,
    serve_main,
    stand_in,
)

NEEDS_POSTGRES = True
NEEDS_REDIS = True
# fault -> (the checklist's words, the verdict the checklist asks for)
FAULTS: dict[str, tuple[str, str]] = {
    "scheduler-down": ("Any service fails health check: automatic rollback", "ROLLBACK"),
    "error-rate": ("Error rate exceeds 5% for 5 minutes: automatic rollback", "ROLLBACK"),
    "slow-api": ("Response Times: API responses < 2 seconds", "INVESTIGATE"),
}
SPORTS = ["nfl", "nba", "mlb", "nhl"]
SCHEMA = """
CREATE TABLE teams (id serial PRIMARY KEY, sport text NOT NULL, name text NOT NULL);
CREATE TABLE games (id serial PRIMARY KEY, home_id int REFERENCES teams(id),
  away_id int REFERENCES teams(id), played_on date NOT NULL);
CREATE TABLE elo_ratings (team_id int PRIMARY KEY REFERENCES teams(id), rating real NOT NULL);
INSERT INTO teams (sport, name) SELECT 'nfl', 'team ' || g FROM generate_series(1, 32) g;
INSERT INTO games (home_id, away_id, played_on)
  SELECT 1 + g % 32, 1 + (g + 7) % 32, date '2025-09-01' + g % 120 FROM generate_series(1, 500) g;
INSERT INTO elo_ratings SELECT id, 1500 FROM teams;
"""


def _api_health(request: Request) -> Reply:
    return Reply(200, {"status": "ok"}, 2.3 if "slow-api" in request.faults else 0.0)


def _elo(request: Request) -> Reply:
    return Reply(200, {"sports": [{"sport": s, "initialized": True} for s in SPORTS]})


def _airflow_health(request: Request) -> Reply:
    scheduler = "unhealthy" if "scheduler-down" in request.faults else "healthy"
    return Reply(
        200,
        {
            "metadatabase": {"status": "healthy"},
            "scheduler": {"status": scheduler, "latest_scheduler_heartbeat": "2026-01-24T10:00"},
        },
    )


API = {("GET", "/health"): _api_health, ("GET", "/api/elo/sports"): _elo}
AIRFLOW = {
    ("GET", "/health"): _airflow_health,
    ("GET", "/api/v1/importErrors"): lambda r: Reply(
        200, {"import_errors": [], "total_entries": 0}
    ),
}
DASHBOARD = {("GET", "/_stcore/health"): lambda r: Reply(200, "ok")}
KALSHI = {("GET", "/trade-api/v2/exchange/status"): lambda r: Reply(200, {"trading_active": True})}


@stand_in
def start(
    running: Running, faults: frozenset[str], workdir: Path, databases: Databases | None
) -> None:
    services = {
        name: running.serve(routes, faults)
        for name, routes in (
            ("API", API),
            ("AIRFLOW", AIRFLOW),
            ("DASHBOARD", DASHBOARD),
            ("KALSHI", KALSHI),
        )
    }
    # the traffic since the deploy: 7% failed under the fault, else 0.3%
    services["API"].traffic("/api/predictions", 1000, 70 if "error-rate" in faults else 3)
    redis_url = running.redis(workdir)
    app = workdir / "app"
    app.mkdir(exist_ok=True)
    (app / ".env").write_text("KALSHI_API_KEY=stand-in\n")
    (app / ".env").chmod(0o600)
    dsn = database(databases, SCHEMA)
    running.env.update(
        {
            "BASE_URL": services["API"].base_url,
            "AIRFLOW_URL": services["AIRFLOW"].base_url,
            "DASHBOARD_URL": services["DASHBOARD"].base_url,
            "KALSHI_API_URL": services["KALSHI"].base_url,
            "KALSHI_API_KEY": "stand-in-kalshi-key",
            "DATABASE_URL": dsn,
            "REDIS_URL": redis_url,
            "DEPLOY_HOST": "local://",
            "APP_DIR": str(app),
        }
    )


if __name__ == "__main__":
    serve_main(__doc__.split("\n\n")[0], FAULTS, start)
