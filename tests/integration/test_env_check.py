"""The env check: presence, emptiness, patterns; the value is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.env import EnvCheck
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, execute


def judge(**keys: object) -> tuple[str, ...]:
    spec = EnvCheck.model_validate({"id": "env", "type": "env", "phases": ["predeploy"], **keys})
    done = execute(CheckInstance(spec), Target(name="t"), ProbeContext(base_dir=Path(".")))
    assert done.judgement is not None
    return done.judgement.failures


def test_present_variables_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://x")
    assert judge(variables=["DATABASE_URL"]) == ()


def test_missing_and_empty_variables_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_THERE_X", raising=False)
    monkeypatch.setenv("EMPTY_X", "")
    assert judge(variables=["NOT_THERE_X", "EMPTY_X"]) == (
        "not set: NOT_THERE_X",
        "set but empty: EMPTY_X",
    )


def test_a_pattern_mismatch_never_shows_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "verbose-secretish")
    failures = judge(variables=["LOG_LEVEL"], patterns={"LOG_LEVEL": "INFO|WARN"})
    assert failures == ("LOG_LEVEL does not match 'INFO|WARN' (value not shown)",)
    assert "verbose" not in " ".join(failures)


def test_a_bad_pattern_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not a valid regex"):
        EnvCheck.model_validate(
            {
                "id": "e",
                "type": "env",
                "phases": ["smoke"],
                "variables": ["A"],
                "patterns": {"A": "("},
            }
        )
