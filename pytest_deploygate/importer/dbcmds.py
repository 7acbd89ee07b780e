"""psql, pg_dump, sqlite3 and SQL statements -> postgres, sqlite and backup drafts."""

from __future__ import annotations

import re
from typing import Any

from pytest_deploygate.importer.expectations import Expectations
from pytest_deploygate.importer.model import DraftCheck, Finding, Manual
from pytest_deploygate.importer.shellwords import Segment, env_refs, options

_PSQL_VALUES = {"-U", "--username", "-d", "--dbname", "-h", "--host", "-p", "--port", "-c",
                "--command", "-f", "--file", "-v", "-o"}  # fmt: skip
_IN_LIST = re.compile(r"\bIN\s*\(([^)]*)\)", re.IGNORECASE)
_CHANGES = re.compile(
    r"^(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|SET|GRANT|REVOKE|TRUNCATE)\b", re.I
)
_POLICY_WORDS = ("SELECT", "INSERT", "UPDATE", "DELETE")


def psql(segment: Segment, expect: Expectations) -> list[Finding]:
    opts, _ = options(segment.args, _PSQL_VALUES)
    if segment.stdin or opts.get("-f") or opts.get("--file"):
        return [Manual("applies a SQL file: a deploy step, not a check")]
    sql = (opts.get("-c") or opts.get("--command") or [""])[-1]
    if not sql:
        return [Manual("opens an interactive session: the statements below it are read one by one")]
    return sql_statement(sql, expect, "postgres")


def sql_statement(sql: str, expect: Expectations, engine: str) -> list[Finding]:
    """One statement, as a postgres (or sqlite) check when it reads something checkable."""
    text = " ".join(sql.split()).rstrip(";").strip()
    lower = text.lower()
    if engine == "sqlite" or lower.startswith("pragma"):
        return _sqlite_sql(text)
    if _CHANGES.match(text):
        return [Manual("changes the database: a deploy step, not a check")]
    if re.fullmatch(r"select\s+1", lower):
        return [DraftCheck("postgres", "db-reachable", {"check": "reachable"})]
    if "version()" in lower:
        wanted = expect.version_at_least()
        if wanted:
            return [
                DraftCheck("postgres", "db-version", {"check": "version", "min_version": wanted})
            ]
        return [_query(text, "db.version_text", expect, numeric=False)]
    if "pg_stat_activity" in lower and "count" in lower:
        limit = expect.count_below()
        keys: dict[str, Any] = {"check": "connections", "max_sessions": limit or 100}
        database = re.search(r"datname\s*=\s*'([^']+)'", text)
        if database:
            keys["database"] = database.group(1)
        return [DraftCheck("postgres", "db-connections", keys)]
    if "pg_policies" in lower or "rowsecurity" in lower:
        return _rls(text, expect)
    if "pg_tables" in lower and _IN_LIST.search(text):
        return [DraftCheck("postgres", "db-schema", {"check": "schema", "tables": _names(text)})]
    if "schema_migrations" in lower:
        return [
            Manual(
                "lists applied migrations for a person to read; a migrations check "
                "compares them with the files (see docs/checks/postgres.md)"
            )
        ]
    counted = re.fullmatch(r"select count\(\*\) from ([a-z_][a-z0-9_.]*)", lower)
    if counted and expect.expected_value() is None:
        table = counted.group(1)
        return [
            DraftCheck("postgres", f"rows-{table}", {"check": "row_counts", "min_rows": {table: 1}})
        ]
    if lower.startswith(("select", "with")):
        if re.match(r"select\s+\*", lower) or re.search(r"\bunion\b|\bgroup by\b", lower):
            return [Manual("returns rows for a person to read, not one value to hold to a bound")]
        return [_query(text, _measurement(text), expect, numeric=True)]
    return [Manual("a SQL statement the importer does not read")]


def privileges(statements: list[str]) -> DraftCheck:
    """CREATE TABLE then DROP TABLE: "the user can create tables", run and rolled back."""
    cleaned = [" ".join(s.split()).rstrip(";") for s in statements]
    return DraftCheck("postgres", "db-can-create", {"check": "privileges", "statements": cleaned})


def _query(text: str, name: str, expect: Expectations, numeric: bool) -> DraftCheck:
    keys: dict[str, Any] = {"check": "query", "sql": text, "measurement": name}
    wanted = expect.expected_value() if numeric else None
    if wanted is not None:
        keys["expect"] = wanted
    return DraftCheck("postgres", name.replace("db.", "db-").replace("_", "-"), keys)


def _measurement(sql: str) -> str:
    alias = re.search(r"\bas\s+([a-z_][a-z0-9_]*)", sql, re.I)
    table = re.search(r"\bfrom\s+([a-z_][a-z0-9_]*)", sql, re.I)
    word = alias.group(1) if alias else (table.group(1) if table else "query")
    return f"db.{word.lower()}"


def _rls(text: str, expect: Expectations) -> list[Finding]:
    tables = _names(text)
    if not tables:
        return [Manual("lists RLS settings for a person to read: name the tables")]
    keys: dict[str, Any] = {"check": "rls", "tables": tables}
    words = expect.words.upper()
    if "pg_policies" in text.lower() and all(w in words for w in _POLICY_WORDS):
        keys["policies"] = list(_POLICY_WORDS)
    stem = "db-rls-policies" if "policies" in keys else "db-rls"
    return [DraftCheck("postgres", stem, keys)]


def _names(text: str) -> list[str]:
    found = _IN_LIST.search(text)
    if not found:
        return []
    return [n.strip().strip("'\"") for n in found.group(1).split(",") if n.strip()]


def pg_dump(segment: Segment, pipeline: list[Segment]) -> list[Finding]:
    target = next((s.stdout for s in pipeline if s.stdout), None)
    if target is None:
        return [Manual("writes the dump somewhere the importer cannot see: name the file")]
    gz = any(s.program in ("gzip", "pigz") for s in pipeline) or target.endswith(".gz")
    return [backup(target, "sql.gz" if gz else "sql")]


def backup(target: str, fmt: str) -> DraftCheck:
    """The newest file like the one the checklist writes, fresh and intact."""
    directory, _, name = target.rpartition("/")
    pattern = re.sub(r"\*+", "*", re.sub(r"\$\{?[A-Za-z_]+\}?|<[^>]*>", "*", name))
    keys: dict[str, Any] = {"directory": env_refs(directory) or ".", "pattern": pattern}
    if fmt == "sql.gz" and not pattern.endswith(".gz"):
        keys["pattern"] = pattern + ".gz"
    keys["format"] = fmt
    keys["max_age"] = "1h"
    return DraftCheck("backup", "backup", keys)


def sqlite3(segment: Segment) -> list[Finding]:
    words = [w for w in segment.args if not w.startswith("-")]
    if not words:
        return []
    path = env_refs(words[0])
    sql = " ".join(words[1:])
    if not sql:
        return []
    found = _sqlite_sql(sql)
    for finding in found:
        if isinstance(finding, DraftCheck):
            finding.keys = {"path": path, **finding.keys}
    return found


def _sqlite_sql(sql: str) -> list[Finding]:
    lower = sql.lower()
    if "integrity_check" in lower or "quick_check" in lower:
        return [DraftCheck("sqlite", "sqlite-integrity", {"check": "integrity"})]
    if lower.strip() == ".schema" or "sqlite_master" in lower:
        keys = {
            "check": "query",
            "sql": "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            "measurement": "db.tables",
            "min": 1,
        }
        return [DraftCheck("sqlite", "sqlite-tables", keys)]
    return [Manual("a SQLite statement the importer does not read")]
