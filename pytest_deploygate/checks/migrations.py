"""Migrations on disk and in the database: what a migrations probe saw (pure data)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_TABLES = {
    "alembic": "alembic_version",
    "django": "django_migrations",
    "flyway": "flyway_schema_history",
    "sql": "schema_migrations",
}


@dataclass(frozen=True)
class Migration:
    """One migration on disk. ``key`` is what the database records (normalized);
    ``parents`` only for Alembic (its ``down_revision``)."""

    key: str
    label: str
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppliedMigrations:
    """What the migrations table says. ``table_missing``: nothing was ever applied."""

    keys: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    baseline: str | None = None
    table_missing: bool = False


@dataclass(frozen=True)
class MigrationsObservation:
    tool: str
    table: str
    available: tuple[Migration, ...]
    applied: AppliedMigrations
    notes: tuple[str, ...] = field(default_factory=tuple)


def version_key(text: str) -> str:
    """``"001"`` -> ``"1"``, ``"1_2"`` -> ``"1.2"``: versions as the tools compare them."""
    parts = re.split(r"[._]", text.strip())
    return ".".join(str(int(p)) if p.isdigit() else p for p in parts if p != "")
