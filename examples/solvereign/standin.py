"""A stand-in for the SOLVEREIGN API (checklist 001): health and readiness endpoints that
report the deployed version, metrics, a PostgreSQL database whose migrations and
row-level security the checklist verifies, a SQL backup, and the escalation table's faults.

    python examples/solvereign/standin.py [--fault NAME ...]

prints the variables to export, then serves until Ctrl-C; in another shell:

    pytest --target production --deploygate-config examples/solvereign/deploygate.toml
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
VERSION = "2.7.0"
# fault -> (the checklist's words, the verdict the checklist asks for)
FAULTS: dict[str, tuple[str, str]] = {
    "health-probes-failing": ("Health probes failing | S2 | Rollback immediately.", "ROLLBACK"),
    "error-rate": ("Error rate > 1% | S2 | Rollback. Investigate.", "ROLLBACK"),
    "migration-failed": ("Migration failed | S2 | Apply rollback script.", "ROLLBACK"),
    "deployment-failed": ("Deployment failed | S2 | Rollback. (the old version answers)",
                          "ROLLBACK"),
}  # fmt: skip
MIGRATIONS = {
    "001_tenants.sql": "CREATE TABLE tenants (id serial PRIMARY KEY, name text NOT NULL);",
    "002_plans.sql": (
        "CREATE TABLE plans (id serial PRIMARY KEY, tenant_id int REFERENCES tenants(id), "
        "solver text NOT NULL);"
    ),
    "003_plans_rls.sql": (
        "ALTER TABLE plans ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY plans_tenant ON plans USING "
        "(tenant_id = current_setting('app.tenant_id', true)::int);"
    ),
}


def _ready(request: Request) -> Reply:
    if "health-probes-failing" in request.faults:
        return Reply(503, {"ready": False, "reason": "solver pool not started"})
    return Reply(200, {"ready": True})


def _health(request: Request) -> Reply:
    version = "2.6.3" if "deployment-failed" in request.faults else VERSION
    return Reply(200, {"status": "healthy", "version": version})


def _solve(request: Request) -> Reply:
    body = request.body if isinstance(request.body, dict) else {}
    stops = body.get("stops", [])
    return Reply(200, {"status": "solved", "route": list(reversed(stops))})


ROUTES = {
    ("GET", "/health/ready"): _ready,
    ("GET", "/health"): _health,
    ("POST", "/api/solve"): _solve,
}


@stand_in
def start(
    running: Running, faults: frozenset[str], workdir: Path, databases: Databases | None
) -> None:
    api = running.serve(ROUTES, faults)
    # the traffic since the rollout: 2% failed under the fault
    api.traffic("/api/solve", 1000, 20 if "error-rate" in faults else 0)
    migrations = workdir / "migrations"
    migrations.mkdir(exist_ok=True)
    for name, sql in MIGRATIONS.items():
        (migrations / name).write_text(sql + "\n")
    schema = _schema(failed_last="migration-failed" in faults)
    dsn = database(databases, schema, workdir / "backup_20260107_120000.sql")
    running.env.update(
        {
            "BASE_URL": api.base_url,
            "DATABASE_URL": dsn,
            "EXPECTED_VERSION": VERSION,
            "MIGRATIONS_DIR": str(migrations),
            "BACKUP_DIR": str(workdir),
        }
    )


def _schema(failed_last: bool) -> str:
    applied = "CREATE TABLE schema_migrations (version text PRIMARY KEY, dirty boolean);"
    for index, (name, sql) in enumerate(MIGRATIONS.items()):
        dirty = failed_last and index == len(MIGRATIONS) - 1
        applied += sql
        applied += f"INSERT INTO schema_migrations VALUES ('{name[:3]}', {str(dirty).lower()});"
    return applied + "INSERT INTO tenants (name) VALUES ('acme'), ('globex');"


if __name__ == "__main__":
    serve_main(__doc__.split("\n\n")[0], FAULTS, start)
