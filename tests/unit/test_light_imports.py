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


def imported_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return {name.split(".")[0] for name in out.split()}


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


def test_loading_the_http_probe_brings_requests_and_nothing_else_heavy() -> None:
    loaded = imported_after(
        "from pytest_deploygate.registry import BY_NAME\nBY_NAME['http'].load_probe()"
    )
    assert "requests" in loaded
    assert loaded.isdisjoint({"psycopg", "websockets", "paramiko", "prometheus_client", "redis"})
