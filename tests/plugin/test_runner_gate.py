"""How the gate runs its declared checks: never when no item will ask for a result."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.plugin.helpers import toml_value, write_gate
from tests.support.recordserver import Recorder, recording_server


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with recording_server() as recorder:
        yield recorder


def declared(check_id: str, check_type: str, **keys: object) -> str:
    keys = {"timeout": "2s", **keys}
    extra = "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    return f'[[checks]]\nid = "{check_id}"\ntype = "{check_type}"\nphases = ["smoke"]\n{extra}\n'


GATE = ("--target=staging", "-p", "no:cacheprovider")


def broken_team_checks(pytester: pytest.Pytester) -> str:
    pytester.mkdir("team")
    (pytester.path / "team" / "test_broken.py").write_text("def test_broken(:\n")
    return 'paths = ["team"]\n'


@pytest.mark.parametrize(
    ("args", "broken"),
    [
        pytest.param((), True, id="collection-error"),
        pytest.param(("--collect-only",), False, id="collect-only"),
        pytest.param(("--setup-only",), False, id="setup-only"),
        pytest.param(("--setup-plan",), False, id="setup-plan"),
    ],
)
def test_a_run_that_calls_no_check_never_touches_the_target(
    pytester: pytest.Pytester, recorder: Recorder, args: tuple[str, ...], broken: bool
) -> None:
    extra = broken_team_checks(pytester) if broken else ""
    write_gate(pytester, recorder.url, declared("health", "http", path="/health"), extra=extra)
    # A subprocess: its exit waits for every probe that did start.
    result = pytester.runpytest_subprocess(*GATE, *args)
    if broken:
        assert result.ret == pytest.ExitCode.INTERRUPTED
        result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])
    assert recorder.served == []


def test_with_continue_on_collection_errors_the_checks_still_run(
    pytester: pytest.Pytester, recorder: Recorder
) -> None:
    extra = broken_team_checks(pytester)
    write_gate(pytester, recorder.url, declared("health", "http", path="/health"), extra=extra)
    result = pytester.runpytest_subprocess(*GATE, "--continue-on-collection-errors", "-v")
    result.stdout.fnmatch_lines(["*test_http[[]health[]] PASSED*"])
    assert [s.path for s in recorder.served] == ["/health"]
