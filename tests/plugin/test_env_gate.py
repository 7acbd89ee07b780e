"""The env check in a whole gate, against the real environment of the gate machine:
variables required by name pattern give GO when one is set, ROLLBACK naming the pattern
when none is, and never print a value."""

from __future__ import annotations

import pytest

from tests.plugin.helpers import verdict

GATE = """
[targets.staging]

[[checks]]
id = "secrets"
type = "env"
phases = ["predeploy"]
variables = ["DGP_JWT_SECRET"]
matching = ['^DGP_OLLAMA_']
"""


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    monkeypatch.setenv("DGP_JWT_SECRET", "jwt-value-never-shown")
    pytester.makefile(".toml", deploygate=GATE)
    return pytester.runpytest("--target=staging", "--verdict-json=verdict.json")


def test_a_variable_matching_the_pattern_is_go(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DGP_OLLAMA_HOST", "http://ollama-value-never-shown:11434")
    result = run(pytester, monkeypatch)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*DEPLOYGATE VERDICT: GO*"])
    assert verdict(pytester)["verdict"] == "GO"


def test_no_variable_matching_the_pattern_is_rollback_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DGP_OLLAMA_", "")
    result = run(pytester, monkeypatch)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*VERDICT: ROLLBACK*", "*no variable matching '^DGP_OLLAMA_' is set*DGP_OLLAMA_*"]
    )
    text = result.stdout.str() + (pytester.path / "verdict.json").read_text()
    assert "value-never-shown" not in text


TEST_DEFAULTS = """
import os

# Defaults for the repository's unit tests, set when pytest loads this conftest.py.
os.environ.setdefault("DGP_JWT_SECRET", "test-secret")
os.environ.setdefault("DGP_OLLAMA_HOST", "http://localhost:11434")
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_variables_a_conftest_sets_for_the_unit_tests_are_not_the_machines(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    """A repository's conftest.py giving its unit tests default variables made the env check
    pass on a machine that has none of them (GO): the check reads the environment the gate
    was started with."""
    monkeypatch.delenv("DGP_JWT_SECRET", raising=False)
    monkeypatch.delenv("DGP_OLLAMA_HOST", raising=False)
    # A team check too, so that -n 2 starts workers (which inherit the conftest's changes).
    pytester.makefile(".toml", deploygate='paths = ["checks"]\n' + GATE)
    pytester.mkpydir("checks").joinpath("test_team.py").write_text("def test_team():\n    pass\n")
    pytester.makeconftest(TEST_DEFAULTS)
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json", *workers)
    assert result.ret == 1, result.stdout.str()
    reason = verdict(pytester)["checks"][0]["reason"]
    assert "not set: DGP_JWT_SECRET" in reason
    assert "no variable matching '^DGP_OLLAMA_' is set" in reason
    # Set where the gate runs, they count (the conftest's setdefault leaves them be).
    monkeypatch.setenv("DGP_JWT_SECRET", "jwt-value-never-shown")
    monkeypatch.setenv("DGP_OLLAMA_HOST", "http://ollama:11434")
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json", *workers)
    assert result.ret == 0, result.stdout.str()


def test_a_config_variable_a_conftest_sets_for_the_unit_tests_is_not_set_for_the_gate(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, http_base: str
) -> None:
    """``database_url = "${DATABASE_URL}"`` with the variable missing where the gate runs, and
    a conftest.py defaulting it to the unit tests' database: the gate checked that database
    and said GO. A ``${VAR}`` comes from the environment the gate was started with."""
    monkeypatch.delenv("DGP_BASE_URL", raising=False)
    pytester.makefile(
        ".toml",
        deploygate='[targets.staging]\nbase_url = "${DGP_BASE_URL}"\n\n'
        '[[checks]]\nid = "health"\ntype = "http"\nphases = ["smoke"]\npath = "/health"\n',
    )
    pytester.makeconftest(f"import os\nos.environ.setdefault('DGP_BASE_URL', '{http_base}')\n")
    result = pytester.runpytest("--target=staging")
    assert result.ret == 4, result.stdout.str()
    assert "environment variable DGP_BASE_URL is not set" in result.stderr.str()
    monkeypatch.setenv("DGP_BASE_URL", http_base)
    assert pytester.runpytest("--target=staging").ret == 0


def test_a_secret_a_conftest_overwrites_is_still_masked_in_the_value_the_gate_uses(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target's header carries the real token (from the environment the gate was
    started with); the conftest put a test value under the same name since: the real one is
    still masked (only the test value was)."""
    monkeypatch.setenv("DGP_API_TOKEN", "real-token-never-shown")
    pytester.makefile(
        ".toml",
        deploygate='paths = ["checks"]\n[targets.staging]\n'
        'headers = { Authorization = "Bearer ${DGP_API_TOKEN}" }\n',
    )
    pytester.makeconftest("import os\nos.environ['DGP_API_TOKEN'] = 'unit-test-token'\n")
    pytester.mkpydir("checks").joinpath("test_leak.py").write_text(
        "def test_header(target):\n    assert False, target.headers['Authorization']\n"
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json", "-rA")
    assert result.ret == 1, result.stdout.str()
    assert "Bearer ***" in verdict(pytester)["checks"][0]["reason"]
    text = result.stdout.str() + (pytester.path / "verdict.json").read_text()
    assert "real-token-never-shown" not in text
