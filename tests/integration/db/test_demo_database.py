"""The demo database component: PostgreSQL when present, SQLite otherwise; its faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.demo.base import ComponentInfo
from pytest_deploygate.demo.database import ENGINE_ENV, FAULTS, DemoDatabase
from pytest_deploygate.demo.pgserver import find_binary
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.registry import BY_NAME
from pytest_deploygate.runner import CheckInstance, execute
from tests.support.need import need_server


def run_all(info: ComponentInfo) -> dict[str, str]:
    """check id -> "ok", "failed: reason" or "error: reason"."""
    target = Target(name="demo", **info.target)
    found = {}
    for table in info.checks:
        spec = BY_NAME[table["type"]].parse(table)
        result = execute(CheckInstance(spec), target, ProbeContext(base_dir=Path.cwd()))
        if result.error is not None:
            found[spec.id] = f"error: {result.error}"
        else:
            assert result.judgement is not None
            failures = result.judgement.failures
            found[spec.id] = "ok" if not failures else "failed: " + "; ".join(failures)
    return found


@pytest.fixture(params=["postgres", "sqlite"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "postgres":
        if not find_binary("initdb"):
            need_server("PostgreSQL binaries (initdb) not installed")
        monkeypatch.delenv(ENGINE_ENV, raising=False)
    else:
        monkeypatch.setenv(ENGINE_ENV, "sqlite")
    return str(request.param)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., ComponentInfo]]:
    started: list[DemoDatabase] = []

    def run(*faults: str) -> ComponentInfo:
        component = DemoDatabase()
        started.append(component)
        return component.start(frozenset(faults), tmp_path / "demo")

    yield run
    for component in started:
        component.stop()


def test_healthy_demo_database_passes_every_check(
    engine: str, start: Callable[..., ComponentInfo]
) -> None:
    info = start()
    assert info.lines[0].startswith(
        "database: PostgreSQL" if engine == "postgres" else "database: SQLite"
    )
    results = run_all(info)
    assert set(results.values()) == {"ok"}, results
    assert "db-backup" in results and "db-migrations" in results


def test_pending_migration_and_corrupt_backup(
    engine: str, start: Callable[..., ComponentInfo]
) -> None:
    info = start("migration-pending", "backup-corrupt")
    results = run_all(info)
    last = "004_order_status.sql" if engine == "postgres" else "003_order_status.sql"
    assert results["db-migrations"].startswith("failed: 1 pending sql migration(s)")
    assert last in results["db-migrations"]
    assert results["db-backup"].startswith("failed: backup ")
    assert "is not intact" in results["db-backup"]
    assert {k for k, v in results.items() if v != "ok"} == {"db-migrations", "db-backup"}
    migrations = next(c for c in info.checks if c["id"] == "db-migrations")
    assert migrations["on_fail"] == "investigate"


def test_db_down(engine: str, start: Callable[..., ComponentInfo]) -> None:
    info = start("db-down")
    results = run_all(info)
    first = "db-reachable" if engine == "postgres" else "db-integrity"
    assert results[first] != "ok"
    assert all(v != "ok" for k, v in results.items() if k != "db-backup"), results
    assert "password" not in " ".join(info.lines).lower()


def test_faults_are_documented() -> None:
    assert set(FAULTS) == {"db-down", "migration-pending", "backup-corrupt"}
    assert all(("ROLLBACK" in text or "INVESTIGATE" in text) for text in FAULTS.values())
