"""Migrations available on disk and applied in the database, for four tools.

Reading the directory and reading the table are I/O and live here; comparing them is
pure and lives in ``expect.migrations``.

    alembic   *.py with ``revision`` / ``down_revision``   vs  alembic_version.version_num
    django    <app>/migrations/NNNN_name.py                  vs  django_migrations(app, name)
    flyway    V<version>__<name>.sql                         vs  flyway_schema_history (success)
    sql       NNN_name.sql                                   vs  schema_migrations.version (dirty)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pytest_deploygate.checks.migrations import AppliedMigrations, Migration, version_key
from pytest_deploygate.errors import ProbeProtocolError

_FLYWAY_FILE = re.compile(r"^V(?P<version>[0-9][0-9._]*)__(?P<name>.+)\.sql$", re.IGNORECASE)
_SQL_FILE = re.compile(r"^(?P<version>[0-9]+)[_-](?P<name>.+?)(?P<up>\.up)?\.sql$")
_SQL_DOWN = re.compile(r"(_rollback|_down|\.down|_undo)\.sql$", re.IGNORECASE)
_DJANGO_FILE = re.compile(r"^[0-9]{4}_\w+\.py$")


class MissingTable(Exception):
    """Raised by a query function when the migrations table does not exist."""


# (sql) -> (column names, rows); raises MissingTable when the table is absent.
QueryFn = Callable[[str], tuple[Sequence[str], Sequence[Sequence[Any]]]]


def scan(tool: str, directory: Path) -> tuple[Migration, ...]:
    if not directory.is_dir():
        raise ProbeProtocolError(f"migrations directory {directory} does not exist")
    if tool == "alembic":
        return _scan_alembic(directory)
    if tool == "django":
        return _scan_django(directory)
    if tool == "flyway":
        return _scan_flyway(directory)
    return _scan_sql(directory)


def _scan_alembic(directory: Path) -> tuple[Migration, ...]:
    found: list[Migration] = []
    for path in sorted(directory.rglob("*.py")):
        if path.name.startswith("__") or "__pycache__" in path.parts:
            continue
        values = _module_constants(path, ("revision", "down_revision"))
        revision = values.get("revision")
        if not isinstance(revision, str):
            continue
        down = values.get("down_revision")
        if down is None:
            parents: tuple[str, ...] = ()
        elif isinstance(down, str):
            parents = (down,)
        elif isinstance(down, (tuple, list)):
            parents = tuple(str(d) for d in down)
        else:
            raise ProbeProtocolError(f"{path}: down_revision is not a string or tuple")
        found.append(Migration(revision, f"{revision} ({path.stem})", parents))
    return tuple(found)


def _module_constants(path: Path, names: Sequence[str]) -> dict[str, Any]:
    """Top-level literal assignments, read without importing the file."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError) as exc:
        raise ProbeProtocolError(f"cannot read migration {path}: {exc}") from None
    values: dict[str, Any] = {}
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in names and value is not None:
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return values


def _scan_django(directory: Path) -> tuple[Migration, ...]:
    found: list[Migration] = []
    for path in sorted(directory.rglob("migrations/*.py")):
        if not _DJANGO_FILE.match(path.name):
            continue
        app = path.parent.parent.name
        found.append(Migration(f"{app}.{path.stem}", f"{app}.{path.stem}"))
    return tuple(found)


def _scan_flyway(directory: Path) -> tuple[Migration, ...]:
    found: list[Migration] = []
    for path in sorted(directory.rglob("*.sql")):
        match = _FLYWAY_FILE.match(path.name)
        if match:
            found.append(Migration(version_key(match["version"]), path.name))
    return tuple(found)


def _scan_sql(directory: Path) -> tuple[Migration, ...]:
    found: dict[str, Migration] = {}
    for path in sorted(directory.rglob("*.sql")):
        if _SQL_DOWN.search(path.name):
            continue
        match = _SQL_FILE.match(path.name)
        if match:
            key = version_key(match["version"])
            found.setdefault(key, Migration(key, path.name))
    return tuple(found.values())


def read_applied(tool: str, table: str, query: QueryFn) -> AppliedMigrations:
    """Rows of the tool's table. ``table`` is a trusted config value, validated here."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?", table):
        raise ProbeProtocolError(f"migrations table {table!r} is not a plain [schema.]name")
    try:
        if tool == "alembic":
            _, rows = query(f"SELECT version_num FROM {table}")
            return AppliedMigrations(keys=tuple(str(r[0]) for r in rows))
        if tool == "django":
            _, rows = query(f"SELECT app, name FROM {table}")
            return AppliedMigrations(keys=tuple(f"{r[0]}.{r[1]}" for r in rows))
        if tool == "flyway":
            return _flyway_applied(table, query)
        return _sql_applied(table, query)
    except MissingTable:
        return AppliedMigrations(table_missing=True)


def _flyway_applied(table: str, query: QueryFn) -> AppliedMigrations:
    _, rows = query(f"SELECT version, script, success, type FROM {table} ORDER BY installed_rank")
    keys: list[str] = []
    failed: list[str] = []
    baseline: str | None = None
    for version, script, success, kind in rows:
        if version is None:  # repeatable migrations (R__) have no version
            continue
        key = version_key(str(version))
        if str(kind).upper() == "BASELINE":
            baseline = key
        if success in (True, 1, "t", "true"):
            keys.append(key)
        else:
            failed.append(f"{key} ({script})")
    return AppliedMigrations(keys=tuple(keys), failed=tuple(failed), baseline=baseline)


def _sql_applied(table: str, query: QueryFn) -> AppliedMigrations:
    columns, rows = query(f"SELECT * FROM {table}")
    names = [c.lower() for c in columns]
    version_at = names.index("version") if "version" in names else 0
    dirty_at = names.index("dirty") if "dirty" in names else None
    keys: list[str] = []
    failed: list[str] = []
    for row in rows:
        raw = str(row[version_at])
        match = re.match(r"[0-9]+", raw)
        key = version_key(match.group(0)) if match else raw
        if dirty_at is not None and row[dirty_at] in (True, 1, "t", "true"):
            failed.append(f"{key} (marked dirty)")
        else:
            keys.append(key)
    return AppliedMigrations(keys=tuple(keys), failed=tuple(failed))
