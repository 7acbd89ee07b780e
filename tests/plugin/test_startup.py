"""What a gate costs besides its checks: at start-up it imports the client libraries and
builds the validators its config's check types need, no more; a failing check costs no
traceback nobody sees."""

from __future__ import annotations

import pytest

from pytest_deploygate.registry import BY_NAME
from tests.plugin.helpers import http_check, write_gate

RECORD_MODULES = """
import sys

def pytest_unconfigure(config):
    with open("modules.txt", "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
"""


def test_an_http_only_gate_imports_no_database_websocket_or_ssh_client(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("health", "/health"))
    pytester.makeconftest(RECORD_MODULES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--target", "staging")
    assert result.ret == 0, result.stdout.str()
    modules = set((pytester.path / "modules.txt").read_text().split())
    loaded = {m.split(".")[0] for m in modules}
    assert "requests" in loaded  # the http probe ran
    assert loaded.isdisjoint({"psycopg", "websockets", "paramiko", "prometheus_client", "redis"})
    # Nor the models and judges of the types it does not use (each xdist worker would pay
    # for them again): checks/<type>.py and expect/<type>.py of http only.
    others = set(BY_NAME) - {"http"}
    unused = {
        f"pytest_deploygate.{layer}.{name}" for layer in ("checks", "expect") for name in others
    }
    assert {"pytest_deploygate.checks.http", "pytest_deploygate.expect.http"} <= modules
    assert not modules & unused, sorted(modules & unused)
    assert "pytest_deploygate.checks.migrations" not in modules


RECORD_STARTUP = """
import sys

def pytest_unconfigure(config):
    from pytest_deploygate.registry import BY_NAME

    modules = " ".join(sorted(sys.modules))
    records = [BY_NAME[name] for name in BY_NAME.built()]
    kinds = [kind for t in records for kind in (t, *t.subkinds)]
    built = [k.spec.__name__ for k in kinds if k.spec.__pydantic_complete__]
    adapters = [t.name for t in records if "_adapter" in vars(t)]
    with open("startup.txt", "w") as out:
        out.write("\\n".join([modules, " ".join(built), " ".join(adapters)]))
"""


def test_collecting_an_http_only_gate_builds_only_the_http_model_and_no_report(
    pytester: pytest.Pytester, http_base: str
) -> None:
    # What a gate (and each xdist worker) pays before its first check: the validators of
    # the check types its config uses, not of every type; no HTTP client, no HTML templates.
    write_gate(pytester, http_base, http_check("health", "/health"))
    pytester.makeconftest(RECORD_STARTUP)
    args = ("-p", "no:cacheprovider", "--target", "staging", "--collect-only")
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == 0, result.stdout.str()
    modules, built, adapters = (pytester.path / "startup.txt").read_text().split("\n")
    loaded = set(modules.split())
    assert "pytest_deploygate.gate" in loaded
    assert adapters.split() == ["http"]  # the one validator built
    assert set(built.split()) <= {"HttpCheck"}  # other types' models are deferred
    assert loaded.isdisjoint({"requests", "urllib.request", "pytest_deploygate.reporters.html"})


RECORD_TRACEBACKS = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    if call.excinfo is not None:
        exc = call.excinfo.value
        chain = [exc, *([exc.__cause__] if exc.__cause__ else [])]
        infos = [pytest.ExceptionInfo.from_exception(x) for x in chain]
        frames = [str(e.path) for info in infos for e in info.traceback]
        with open("frames.txt", "a") as out:
            out.write(type(exc).__name__ + " " + " ".join(frames) + "\\n")
    return (yield)
"""


def test_a_check_that_cannot_run_reaches_pytest_without_the_probes_traceback(
    pytester: pytest.Pytester,
) -> None:
    # Its report is the one-line reason (verdict, terminal, HTML); the frames down through
    # the probe and urllib3 would be formatted only to be thrown away.
    write_gate(pytester, "http://127.0.0.1:9", http_check("down", "/health"))
    # A plugin, not a conftest: the built-in suite lies outside this directory.
    pytester.makepyfile(record_frames=RECORD_TRACEBACKS)
    args = ("-p", "no:cacheprovider", "-p", "record_frames", "--target", "staging")
    result = pytester.runpytest_subprocess(*args)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*down*connection refused*"])
    (line,) = (pytester.path / "frames.txt").read_text().splitlines()
    name, *frames = line.split()
    assert name == "ProbeConnectionError"
    assert frames
    assert not [f for f in frames if "probes" in f or "urllib3" in f or "requests" in f]
