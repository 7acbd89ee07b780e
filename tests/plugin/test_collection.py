"""What the gate collects, what it leaves alone, and that collection touches nothing."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.plugin.helpers import http_check, write_gate

UNIT_TEST = "def test_unit():\n    pass\n"


def test_without_target_the_plugin_is_passive(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=UNIT_TEST)
    pytester.makefile(".toml", deploygate="this is = not [valid toml")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0
    out = result.stdout.str()
    assert "VERDICT" not in out
    assert "deploygate:" not in out
    assert "warning" not in out
    fixtures = pytester.runpytest("--fixtures").stdout.str()
    assert "deploygate_run" not in fixtures
    assert "measure" not in fixtures


def test_help_shows_the_option_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*deployment gate (pytest-deploygate)*",
            "*--target=NAME*",
            "*--verdict-json=PATH*",
            "*--observe=DURATION*",
        ]
    )


def test_phase_markers_work_under_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\n\n@pytest.mark.predeploy\n@pytest.mark.smoke\n@pytest.mark.postdeploy\n"
        "def test_x():\n    pass\n"
    )
    assert pytester.runpytest("--strict-markers").ret == 0


def test_with_target_and_no_args_testpaths_are_left_out(
    pytester: pytest.Pytester, http_base: str
) -> None:
    pytester.makeini("[pytest]\ntestpaths = unit\n")
    pytester.mkdir("unit").joinpath("test_unit.py").write_text(UNIT_TEST)
    pytester.mkdir("deploy_checks").joinpath("test_team.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_team():\n    pass\n"
    )
    write_gate(
        pytester, http_base, http_check("health", "/health"), extra='paths = ["deploy_checks"]'
    )
    result = pytester.runpytest("--target=staging", "--collect-only", "-q")
    out = result.stdout.str()
    assert "deploygate/test_http.py::test_http[health]" in out
    assert "deploy_checks/test_team.py::test_team" in out
    assert "test_unit" not in out


def test_path_arguments_are_collected_with_the_builtin_suites(
    pytester: pytest.Pytester, http_base: str
) -> None:
    pytester.mkdir("unit").joinpath("test_unit.py").write_text(UNIT_TEST)
    write_gate(pytester, http_base, http_check("health", "/health"))
    result = pytester.runpytest("--target=staging", "--collect-only", "-q", "unit")
    out = result.stdout.str()
    assert "unit/test_unit.py::test_unit" in out
    assert "test_http.py::test_http[health]" in out


def test_suites_of_unused_check_types_are_not_collected(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("health", "/health"))
    out = pytester.runpytest("--target=staging", "--collect-only", "-q").stdout.str()
    assert "test_env" not in out


def test_phases_select_checks_and_ids_are_readable(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(
        pytester,
        http_base,
        http_check("health", "/health", phases='["smoke", "postdeploy"]'),
        http_check("backup", "/health", phases='["predeploy"]'),
    )
    out = pytester.runpytest(
        "--target=staging", "--collect-only", "-q", "-m", "predeploy"
    ).stdout.str()
    assert "test_http[backup]" in out
    assert "test_http[health]" not in out


@pytest.fixture
def counting_listener() -> Iterator[tuple[int, list[int]]]:
    """A port that counts the connections made to it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    accepted: list[int] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield listener.getsockname()[1], accepted
    stop.set()
    thread.join(1)
    listener.close()


def test_deselected_and_collected_only_checks_never_touch_the_target(
    pytester: pytest.Pytester, http_base: str, counting_listener: tuple[int, list[int]]
) -> None:
    port, accepted = counting_listener
    write_gate(
        pytester,
        http_base,
        http_check("health", "/health"),
        f'[[checks]]\nid = "other"\ntype = "http"\nphases = ["postdeploy"]\nurl = "http://127.0.0.1:{port}/"\n',
    )
    assert pytester.runpytest("--target=staging", "--collect-only").ret == 0
    assert pytester.runpytest("--target=staging", "-m", "smoke").ret == 0
    assert pytester.runpytest("--target=staging", "-k", "health").ret == 0
    assert accepted == []


def test_loading_the_plugin_without_target_imports_none_of_the_gate() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pytest_deploygate.plugin\n"
        "heavy = [m for m in ('pytest_deploygate.gate', 'pydantic', 'psycopg', 'requests',"
        " 'websockets') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
