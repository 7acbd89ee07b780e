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
