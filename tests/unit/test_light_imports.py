"""Judges are pure: importing one pulls in no I/O library. Each runs in a fresh
interpreter, so what another test imported does not count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest_deploygate.expect as expect_package

EXPECT_MODULES = sorted(
    p.stem for p in Path(expect_package.__file__).parent.glob("*.py") if p.stem != "__init__"
)
IO_LIBRARIES = (
    "requests",
    "psycopg",
    "websockets",
    "paramiko",
    "testinfra",
    "prometheus_client",
    "redis",
)


def modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(out.split())


def imported_after(statement: str) -> set[str]:
    return {name.split(".")[0] for name in modules_after(statement)}


def test_the_judge_modules_import_no_io_library() -> None:
    # One interpreter for all of them: each module on its own would cost a start-up each.
    loaded = imported_after(
        "\n".join(f"import pytest_deploygate.expect.{module}" for module in EXPECT_MODULES)
    )
    assert len(EXPECT_MODULES) > 10
    assert loaded.isdisjoint(IO_LIBRARIES), sorted(loaded & set(IO_LIBRARIES))


def test_the_registry_loads_no_probe_until_its_type_is_used() -> None:
    loaded = imported_after("import pytest_deploygate.registry")
    assert loaded.isdisjoint(IO_LIBRARIES), sorted(loaded & set(IO_LIBRARIES))


def test_the_registry_names_its_types_without_importing_their_models() -> None:
    # What checks/base.py brings is shared by every type; the rest is the one type asked for.
    shared = {"checks.base", "checks.redis_url", "checks.validators", "expect.base"}
    modules = modules_after(
        "from pytest_deploygate.registry import BY_NAME\n"
        "assert 'postgres' in BY_NAME and 'nope' not in BY_NAME and len(sorted(BY_NAME)) > 10\n"
        "assert BY_NAME.built() == ()\n"
        "BY_NAME['tcp'].spec"
    )
    layers = ("pytest_deploygate.checks.", "pytest_deploygate.expect.")
    models = {m.removeprefix("pytest_deploygate.") for m in modules if m.startswith(layers)}
    assert models - shared == {"checks.tcp", "expect.tcp"}


def test_loading_the_http_probe_brings_requests_and_nothing_else_heavy() -> None:
    loaded = imported_after(
        "from pytest_deploygate.registry import BY_NAME\nBY_NAME['http'].load_probe()"
    )
    assert "requests" in loaded
    assert loaded.isdisjoint({"psycopg", "websockets", "paramiko", "prometheus_client", "redis"})
