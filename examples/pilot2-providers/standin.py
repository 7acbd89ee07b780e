"""A stand-in for the pilot2 provider service (checklist 003): the Flask API (health,
scheduler, providers, plans, credentials, execute-step), its metrics, and a PostgreSQL
database with the three new tables under row-level security, with the checklist's faults.

    python examples/pilot2-providers/standin.py [--fault NAME ...]

prints the variables to export, then serves until Ctrl-C; in another shell:

    pytest --target production --deploygate-config examples/pilot2-providers/deploygate.toml
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from pytest_deploygate.demo.standin import (
    NO_DATABASE,
    Databases,
    Reply,
    Request,
    Running,
    database,
    serve_main,
    stand_in,
)

NEEDS_POSTGRES = True
# fault -> (the checklist's words, the verdict the checklist asks for)
FAULTS: dict[str, tuple[str, str]] = {
    "rls-disabled": ("All 4 new tables created with RLS enabled (critical migration)",
                     "ROLLBACK"),
    "providers-missing": ("At least 3 providers available", "ROLLBACK"),
    "error-rate": ("Success criteria: Error rate < 1%", "INVESTIGATE"),
    "errors-in-log": ("Hour 1: Monitor error logs (tail -f /var/log/flask-app.log | grep ERROR)",
                      "INVESTIGATE"),
}  # fmt: skip
APP_ROLE, APP_PASSWORD = "pilot2_app", "app-pw-stand-in"
TABLES = ("provider_credentials", "execution_plans", "execution_logs")
SCHEMA = """
DO $$ BEGIN CREATE ROLE pilot2_app LOGIN PASSWORD 'app-pw-stand-in';
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE OR REPLACE FUNCTION current_user_id() RETURNS VARCHAR AS $$
  SELECT current_setting('app.current_user_id', true)::VARCHAR;
$$ LANGUAGE SQL;
CREATE TABLE provider_credentials (id serial PRIMARY KEY, user_id varchar NOT NULL,
  provider text NOT NULL, type text NOT NULL, encrypted_value text NOT NULL);
CREATE TABLE execution_plans (id serial PRIMARY KEY, user_id varchar NOT NULL, name text);
CREATE TABLE execution_logs (id serial PRIMARY KEY, user_id varchar NOT NULL,
  provider text, status text, latency_ms int, timestamp timestamptz DEFAULT now());
INSERT INTO provider_credentials (user_id, provider, type, encrypted_value) VALUES
  ('user_a', 'openai', 'api_key', 'gAAAAABk-fernet-a'),
  ('user_b', 'openai', 'api_key', 'gAAAAABk-fernet-b');
"""
RLS = """
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
CREATE POLICY {t}_select ON {t} FOR SELECT USING (user_id = current_user_id());
CREATE POLICY {t}_insert ON {t} FOR INSERT WITH CHECK (user_id = current_user_id());
CREATE POLICY {t}_update ON {t} FOR UPDATE USING (user_id = current_user_id());
CREATE POLICY {t}_delete ON {t} FOR DELETE USING (user_id = current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO pilot2_app;
"""
PROVIDERS = ["openai", "groq", "webhook", "logic"]


def _providers(request: Request) -> Reply:
    shown = PROVIDERS[:2] if "providers-missing" in request.faults else PROVIDERS
    return Reply(200, {"providers": shown})


def _execute(request: Request) -> Reply:
    body = request.body if isinstance(request.body, dict) else {}
    step = body.get("step", {})
    return Reply(200, {"status": "success", "provider": step.get("provider"), "output": "ok"})


ROUTES = {
    ("GET", "/api/health"): lambda r: Reply(200, {"status": "healthy", "timestamp": "now"}),
    ("GET", "/api/scheduler/jobs"): lambda r: Reply(200, {"jobs": [{"id": "cleanup"}]}),
    ("GET", "/api/providers"): _providers,
    ("GET", "/api/plans"): lambda r: Reply(200, {"plans": []}),
    ("POST", "/api/execute-step"): _execute,
}


@stand_in
def start(
    running: Running, faults: frozenset[str], workdir: Path, databases: Databases | None
) -> None:
    log = workdir / "flask-app.log"
    api = running.serve(ROUTES, faults, log=log)
    if "errors-in-log" in faults:
        api.log_errors("execute-step: groq provider timed out after 30s", None, 0.3, after=0.5)
    api.traffic("/api/execute-step", 1000, 30 if "error-rate" in faults else 0)
    rls = "".join(
        RLS.format(t=t)
        for t in TABLES
        if not (t == "provider_credentials" and "rls-disabled" in faults)
    )
    dsn = database(databases, SCHEMA + rls, workdir / "backup_20251025_090000.sql")
    app_dsn = _as_app_user(dsn, "user_a") if databases is not None else NO_DATABASE
    running.env.update(
        {
            "BASE_URL": api.base_url,
            "DATABASE_URL": dsn,
            "APP_DATABASE_URL": app_dsn,
            "BACKUP_DIR": str(workdir),
            "FLASK_ENV": "production",
            "FLASK_APP": "app.py",
            "FERNET_KEY": "stand-in-fernet-key-not-a-real-one=",
            "FLASK_LOG": str(log),
            "LOG_WINDOW": "2s",  # production watches 5m (or an hour with --observe 1h)
        }
    )


def _as_app_user(dsn: str, user_id: str) -> str:
    """The application's role, with app.current_user_id set for the session (DSN options)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    options = quote(f"-c app.current_user_id={user_id}")
    netloc = f"{APP_ROLE}:{APP_PASSWORD}@{host}"
    return urlunsplit(parts._replace(netloc=netloc, query=f"options={options}"))


if __name__ == "__main__":
    serve_main(__doc__.split("\n\n")[0], FAULTS, start)
