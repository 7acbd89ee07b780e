"""Pure parts of the database checks: grants, versions, migration comparison, masking."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_deploygate.checks.migrations import (
    AppliedMigrations,
    Migration,
    MigrationsObservation,
    version_key,
)
from pytest_deploygate.checks.postgres import PgVersion, parse_grant
from pytest_deploygate.expect.migrations import compare, heads
from pytest_deploygate.probes.migrations import scan
from pytest_deploygate.probes.pgconn import PgSettings, normalize_dsn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INSERT ON orders", ("INSERT", "TABLE", "orders")),
        ("select on public.orders", ("SELECT", "TABLE", "public.orders")),
        ("CREATE ON SCHEMA public", ("CREATE", "SCHEMA", "public")),
        ("CONNECT ON DATABASE shop", ("CONNECT", "DATABASE", "shop")),
        ("USAGE ON SEQUENCE orders_id_seq", ("USAGE", "SEQUENCE", "orders_id_seq")),
    ],
)
def test_grants_are_parsed(text: str, expected: tuple[str, str, str]) -> None:
    assert parse_grant(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("orders", "must read 'PRIVILEGE ON"),
        ("USAGE ON orders", "USAGE is not a TABLE privilege"),
        ("SELECT ON VIEW v", "expected 'PRIVILEGE ON [KIND] name'"),
    ],
)
def test_bad_grants_say_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_grant(text)


@pytest.mark.parametrize(
    ("text", "key"), [("001", "1"), ("1_1", "1.1"), ("2.0.10", "2.0.10"), ("0042", "42")]
)
def test_versions_compare_as_the_tools_do(text: str, key: str) -> None:
    assert version_key(text) == key


def test_min_version_as_server_version_num() -> None:
    spec = PgVersion(id="v", phases=("predeploy",), min_version="14.2")
    assert spec.min_version_num() == 140002


def obs(tool: str, available: list[Migration], applied: AppliedMigrations) -> MigrationsObservation:
    return MigrationsObservation(tool, "t", tuple(available), applied)


def test_alembic_merge_revision_makes_both_branches_applied() -> None:
    available = [
        Migration("a", "a"),
        Migration("b", "b", ("a",)),
        Migration("c", "c", ("a",)),
        Migration("m", "m", ("b", "c")),
        Migration("n", "n", ("m",)),
    ]
    assert heads(tuple(available)) == ("n",)
    state = compare(obs("alembic", available, AppliedMigrations(keys=("m",))))
    assert state.pending == ("n",)
    assert state.unknown == ()


def test_flyway_baseline_hides_older_versions() -> None:
    available = [Migration("1", "V1__a.sql"), Migration("2", "V2__b.sql"), Migration("3", "V3.sql")]
    applied = AppliedMigrations(keys=("2",), baseline="2")
    assert compare(obs("flyway", available, applied)).pending == ("V3.sql",)


def test_django_ignores_apps_outside_the_directory() -> None:
    available = [Migration("shop.0001_initial", "shop.0001_initial")]
    applied = AppliedMigrations(keys=("shop.0001_initial", "auth.0001_initial", "shop.0009_x"))
    state = compare(obs("django", available, applied))
    assert state.unknown == ("shop.0009_x",)


def test_alembic_files_are_read_not_imported(tmp_path: Path) -> None:
    (tmp_path / "x1_boom.py").write_text(
        "import sys\nsys.exit(3)\nrevision = 'x1'\ndown_revision = ('a', 'b')\n"
    )
    (found,) = scan("alembic", tmp_path)
    assert found.key == "x1" and found.parents == ("a", "b")


def test_dsn_password_is_known_to_the_masker() -> None:
    for dsn in (
        "postgresql://app:S3cr%40t-pw@db:5432/shop",
        "host=db user=app password=S3cr@t-pw dbname=shop",
        "postgresql+psycopg://app:S3cr%40t-pw@db/shop",
    ):
        settings = PgSettings(dsn=dsn, connect_timeout=1, statement_timeout=1)
        text = f"could not connect with {dsn} (S3cr@t-pw)"
        masked = settings.masker()(text)
        assert "S3cr@t-pw" not in masked and "S3cr%40t-pw" not in masked
        assert settings.where().startswith("postgres db:5432/")


def test_sqlalchemy_urls_are_accepted() -> None:
    assert normalize_dsn("postgresql+psycopg://u@h/d") == "postgresql://u@h/d"
    assert normalize_dsn("host=h") == "host=h"


def test_psycopg_errors_of_team_checks_map_onto_our_tree() -> None:
    from psycopg import errors as pg_errors

    from pytest_deploygate.errors import ProbeAuthError, ProbeTimeout
    from pytest_deploygate.probes.pgconn import classify_psycopg

    timeout = classify_psycopg(pg_errors.QueryCanceled("canceling statement"))
    assert isinstance(timeout, ProbeTimeout)
    assert str(timeout) == "query cancelled by statement_timeout (postgres)"
    assert isinstance(classify_psycopg(pg_errors.InsufficientPrivilege("no")), ProbeAuthError)
    assert classify_psycopg(ValueError("x")) is None
