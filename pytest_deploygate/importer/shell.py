"""One command of a checklist -> what it drafts (checks) or why it stays manual."""

from __future__ import annotations

import re
from typing import Any

from pytest_deploygate.importer import dbcmds, httpcmds, logcmds
from pytest_deploygate.importer.commands import Command
from pytest_deploygate.importer.envcmds import env_wanted
from pytest_deploygate.importer.expectations import Expectations
from pytest_deploygate.importer.model import DraftCheck, Finding, Manual
from pytest_deploygate.importer.pysnippet import python_snippet
from pytest_deploygate.importer.shellwords import Segment, env_refs, options, segments

# Programs whose use is a step of the deploy itself, or a person's job: why each stays manual.
MANUAL: dict[str, str] = {
    "kubectl": "needs a cluster: run it in the deploy pipeline",
    "helm": "needs a cluster: run it in the deploy pipeline",
    "docker": "drives containers: a deploy step",
    "docker-compose": "drives containers: a deploy step",
    "git": "version control: a deploy step",
    "pip": "installs dependencies: a deploy step",
    "pip3": "installs dependencies: a deploy step",
    "npm": "a build or deploy step",
    "yarn": "a build or deploy step",
    "kill": "stops a process: a deploy step",
    "pkill": "stops a process: a deploy step",
    "touch": "changes files: a deploy step",
    "cp": "copies files: a deploy step",
    "mv": "moves files: a deploy step",
    "rm": "removes files: a deploy step",
    "mkdir": "changes files: a deploy step",
    "chmod": "changes files: a deploy step",
    "cat": "writes or shows a file for a person",
    "crontab": "schedules a job: a deploy step",
    "mail": "a notification: a person's step",
    "export": "sets the deploy shell's environment: a deploy step",
    "gunzip": "restores data: a rollback step",
    "ps": "process resource use: a host process check can bound memory (max_memory)",
    "top": "CPU and memory over time: no check measures CPU yet",
    "pytest": "the team's test suite: run it in CI before the gate",
    "flake8": "code quality: run it in CI before the gate",
    "black": "code quality: run it in CI before the gate",
    "isort": "code quality: run it in CI before the gate",
    "ruff": "code quality: run it in CI before the gate",
    "mypy": "code quality: run it in CI before the gate",
    "bandit": "security scan: run it in CI before the gate",
    "vulture": "code quality: run it in CI before the gate",
    "pip-audit": "security scan: run it in CI before the gate",
    "watch": "repeats a command for a person to watch",
    "ls": "lists files for a person to read",
}
_SERVICE_READ = {"status", "is-active", "is-enabled"}
_MIGRATION_TOOLS = {"alembic": "alembic", "flyway": "flyway"}


def shell_command(command: Command, expect: Expectations) -> list[Finding]:
    pipeline = segments(command.text)
    if not pipeline:
        return []
    head, rest = pipeline[0], pipeline[1:]
    program = head.program
    if program == "watch":
        inner = [w for w in head.args if " " in w]
        if inner:
            return shell_command(Command(inner[0], command.line), expect)
    handler = _HANDLERS.get(program)
    if handler is not None:
        return handler(head, rest, pipeline, expect)
    if program in ("python", "python3") and "-c" in head.args:
        code = head.args[head.args.index("-c") + 1] if head.args[-1] != "-c" else ""
        return python_snippet(code)
    if program in ("python", "python3"):
        return _python_program(head)
    if program == "npm" or program == "yarn":
        return _npm(head, expect)
    if program == "ls" and "migrations" in " ".join(head.args):
        return _sql_migrations(head)
    if program == "rm" and re.search(r"maint", " ".join(head.args), re.I):
        return _absent(head)
    if program == "cp" and re.search(r"backup[^/]*\.(db|sqlite3?)$", " ".join(head.args), re.I):
        return [dbcmds.backup(env_refs(head.args[-1]), "sqlite")]
    reason = MANUAL.get(program, "a command the importer does not read")
    return [Manual(reason, command.text)]


def is_command(text: str) -> bool:
    """Whether inline code names a program the importer reads (not a file or a word)."""
    pipeline = segments(text)
    if not pipeline or len(pipeline[0].words) < 2:
        return False
    return pipeline[0].program in _HANDLERS or pipeline[0].program in ("python", "python3", "npm")


def _python_program(head: Segment) -> list[Finding]:
    args = " ".join(head.args)
    if "pytest" in args or "unittest" in args:
        return [Manual("the team's test suite: run it in CI, or list its files in paths")]
    if "manage.py" in args and ("showmigrations" in args or "--check" in args):
        return [_migrations("django")]
    if re.search(r"smoke|validate|check|test", args):
        return [Manual("a team script: wrap it as a team test (paths = [...])")]
    return [Manual("starts or runs the application: a deploy step")]


def _npm(head: Segment, expect: Expectations) -> list[Finding]:
    script = " ".join(head.args)
    if re.search(r"(db|migrat)\S*:?status|migrat\S* status|:pending", script):
        keys: dict[str, Any] = {"check": "command", "command": f"{head.program} {script}"}
        wanted = expect.quoted_output()
        if wanted:
            keys["expect_output"] = re.escape(wanted)
        return [DraftCheck("host", "pending-migrations", keys)]
    return [Manual(MANUAL["npm"])]


def _migrations(tool: str, directory: str = "migrations") -> DraftCheck:
    keys = {"check": "migrations", "tool": tool, "directory": directory}
    return DraftCheck("postgres", "db-migrations", keys, phase="predeploy")


def _sql_migrations(head: Segment) -> list[Finding]:
    path = next(a for a in head.args if "migrations" in a)
    directory = path.split("*", 1)[0].rstrip("/")
    return [_migrations("sql", directory)]


def _absent(head: Segment) -> list[Finding]:
    paths = [a for a in head.args if not a.startswith("-")]
    keys = {"check": "absent", "path": env_refs(paths[0])}
    return [DraftCheck("host", "maintenance-flag-removed", keys, phase="postdeploy")]


def _curl(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return httpcmds.curl(h, r, e)


def _wget(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return httpcmds.wget(h, r, e)


def _httpie(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return httpcmds.httpie(h, r, e)


def _ab(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return httpcmds.ab(h, e)


def _psql(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return dbcmds.psql(h, e)


def _pg_dump(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return dbcmds.pg_dump(h, p)


def _sqlite(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return dbcmds.sqlite3(h)


def _df(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    paths = [a for a in h.args if not a.startswith("-")]
    keys: dict[str, Any] = {"check": "disk", "path": paths[0] if paths else "/"}
    size = e.size_at_least()
    if size:
        keys["min_free"] = size
    else:
        keys["min_free_ratio"] = "10%"
    return [DraftCheck("host", "disk", keys, phase="predeploy")]


def _systemctl(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    words = [a for a in h.args if not a.startswith("-")]
    if h.program == "service" and len(words) >= 2:
        words = [words[1], words[0]]
    if len(words) < 2 or words[0] not in _SERVICE_READ:
        return [Manual("starts, stops or restarts a service: a deploy step", " ".join(h.words))]
    if re.search(r"inactive|dead|stopped", e.words):
        return [Manual("checks that a service stopped: a step of the deploy, not of the gate")]
    name = words[1].removesuffix(".service")
    keys = {"check": "service", "name": name}
    return [DraftCheck("host", f"service-{name}", keys)]


def _redis(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    opts, words = options(h.args, {"-h", "-p", "-a", "-n", "-u", "--user", "--pass"})
    return [redis_check(opts, [w.lower() for w in words])]


def redis_check(opts: dict[str, list[str]], words: list[str]) -> DraftCheck:
    """``redis-cli [-h H] [-p P] [-n DB] [-a PW] [--tls] [ping|info|set ...]``: a redis
    check on ``${REDIS_HOST}`` (the host and password become variables, never values);
    a SET or GET becomes the write probe."""
    port = (opts.get("-p") or ["6379"])[-1]
    db = (opts.get("-n") or [""])[-1]
    scheme = "rediss" if "--tls" in opts else "redis"
    url = f"{scheme}://${{REDIS_HOST}}:{port if port.isdigit() else 6379}"
    keys: dict[str, Any] = {"url": url + (f"/{db}" if db.isdigit() else "")}
    if opts.get("-a") or opts.get("--pass") or opts.get("-u"):
        keys["password"] = "${REDIS_PASSWORD}"
    check = DraftCheck("redis", "redis", keys)
    if {"set", "get", "setex", "del"} & set(words):
        keys["write_probe"] = True
        check.notes.append(WRITE_PROBE_NOTE)
    return check


WRITE_PROBE_NOTE = (
    "write_probe: SET, GET and DEL of a scratch key that expires after 30 s "
    "(docs/checks/redis.md); remove it to keep the gate read-only"
)


def _env(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    wanted = env_wanted(h, r)
    if not wanted.variables and not wanted.matching:
        return [Manual("names no variable: list the variable names")]
    keys: dict[str, Any] = {}
    if wanted.variables:
        keys["variables"] = list(wanted.variables)
    if wanted.matching:
        keys["matching"] = list(wanted.matching)
    check = DraftCheck("env", "env", keys)
    words = [m for m in wanted.matching if re.fullmatch(r"[A-Z][A-Z0-9]*", m)]
    if words:
        check.notes.append(
            f"matching: any set variable whose name contains {words[0]} passes, as the "
            f"checklist's grep does; anchor it ('^{words[0]}_') if it means a prefix"
        )
    return [check]


def _openssl(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    words = h.args
    connect = next((words[i + 1] for i, w in enumerate(words[:-1]) if w == "-connect"), None)
    keys: dict[str, Any] = {}
    if connect and ":" in connect:
        port = connect.rpartition(":")[2]
        keys.update({"host": "${TLS_HOST}", "port": int(port) if port.isdigit() else 443})
    elif h.args and h.args[0] == "x509":
        keys.update({"host": "${TLS_HOST}", "port": 443})
    else:
        return [Manual("an openssl command the importer does not read")]
    days = e.days_at_least()
    if days is not None:
        keys["min_days_left"] = days
    check = DraftCheck("tls", "tls", keys, phase="predeploy")
    if h.args and h.args[0] == "x509":
        path = next((words[i + 1] for i, w in enumerate(words[:-1]) if w == "-in"), "")
        check.notes.append(
            f"the checklist reads the file {path}; the gate checks the certificate the "
            "server presents: set TLS_HOST (and port) to that server"
        )
    return [check]


def _migration_tool(
    h: Segment, r: list[Segment], p: list[Segment], e: Expectations
) -> list[Finding]:
    verb = h.args[0] if h.args else ""
    if verb in ("upgrade", "migrate", "downgrade", "stamp", "repair", "clean"):
        return [Manual("applies migrations: a deploy step")]
    return [_migrations(_MIGRATION_TOOLS[h.program])]


def _grep(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return logcmds.grep(h, r, e)


def _tail(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return logcmds.tail(h, r, e)


def _journalctl(h: Segment, r: list[Segment], p: list[Segment], e: Expectations) -> list[Finding]:
    return logcmds.journalctl(h, r, e)


_HANDLERS = {
    "curl": _curl,
    "wget": _wget,
    "http": _httpie,
    "https": _httpie,
    "ab": _ab,
    "psql": _psql,
    "pg_dump": _pg_dump,
    "sqlite3": _sqlite,
    "df": _df,
    "systemctl": _systemctl,
    "service": _systemctl,
    "redis-cli": _redis,
    "env": _env,
    "printenv": _env,
    "openssl": _openssl,
    "alembic": _migration_tool,
    "flyway": _migration_tool,
    "grep": _grep,
    "egrep": _grep,
    "tail": _tail,
    "journalctl": _journalctl,
}
