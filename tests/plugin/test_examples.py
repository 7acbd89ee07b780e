"""Each example in examples/ gates its stand-in service: GO when healthy, and the verdict
its checklist asks for under the checklist's own faults."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.need import need_server
from tests.support.postgres import PgCluster, pg_cluster  # noqa: F401 (fixture)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXIT_CODES = {"GO": 0, "ROLLBACK": 1, "INVESTIGATE": 10}


def example_dirs() -> list[Path]:
    return sorted(p.parent for p in EXAMPLES.glob("*/standin.py"))


def load_standin(directory: Path) -> ModuleType:
    name = f"standin_{directory.name.replace('-', '_')}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, directory / "standin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def cases() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for directory in example_dirs():
        found.append((directory, ""))
        found.extend((directory, fault) for fault in load_standin(directory).FAULTS)
    return found


class ClusterDatabases:
    """The test cluster, handing each stand-in a fresh database."""

    def __init__(self, cluster: PgCluster) -> None:
        self.cluster = cluster

    def create(self, sql: str) -> str:
        return self.cluster.dsn(self.cluster.create_database("example", sql))


@pytest.fixture
def databases(request: pytest.FixtureRequest) -> Iterator[ClusterDatabases | None]:
    directory: Path = request.node.callspec.params["directory"]
    if not getattr(load_standin(directory), "NEEDS_POSTGRES", False):
        yield None
        return
    yield ClusterDatabases(request.getfixturevalue("pg_cluster"))


def test_every_seed_has_an_example() -> None:
    assert len(example_dirs()) >= 1
    for directory in example_dirs():
        assert (directory / "deploygate.toml").is_file()
        assert (directory / "CHECKLIST-MAP.md").is_file()


@pytest.mark.parametrize(
    ("directory", "fault"),
    cases(),
    ids=[f"{d.name}-{f or 'healthy'}" for d, f in cases()],
)
def test_example_verdict(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    directory: Path,
    fault: str,
    databases: ClusterDatabases | None,
) -> None:
    module = load_standin(directory)
    if getattr(module, "NEEDS_REDIS", False) and shutil.which("redis-server") is None:
        need_server("redis-server is not installed (Debian package 'redis-server')")
    verdict = module.FAULTS[fault][1] if fault else "GO"
    faults = frozenset({fault} if fault else set())
    workdir = pytester.mkdir("standin")
    running = module.start(faults, workdir, databases)
    try:
        for name, value in running.env.items():
            monkeypatch.setenv(name, value)
        result = pytester.runpytest(
            "--target", "production", "--deploygate-config", str(directory / "deploygate.toml")
        )
    finally:
        running.stop()
    banner = [line for line in result.outlines if "DEPLOYGATE VERDICT" in line]
    assert banner and f"VERDICT: {verdict}" in banner[0], result.stdout.str()[-3000:]
    assert result.ret == EXIT_CODES[verdict]
