"""The env check: presence, emptiness, patterns, names by pattern; the value is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.env import EnvCheck
from pytest_deploygate.config import load, read_file
from pytest_deploygate.errors import ConfigError
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
    with pytest.raises(ValueError, match=r"'patterns\.A' is not a valid regular expression"):
        EnvCheck.model_validate(
            {
                "id": "e",
                "type": "env",
                "phases": ["smoke"],
                "variables": ["A"],
                "patterns": {"A": "("},
            }
        )


def test_an_empty_variable_with_a_pattern_counts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "")
    spec = EnvCheck.model_validate(
        {
            "id": "env",
            "type": "env",
            "phases": ["predeploy"],
            "variables": ["LOG_LEVEL"],
            "patterns": {"LOG_LEVEL": "INFO|WARN"},
        }
    )
    done = execute(CheckInstance(spec), Target(name="t"), ProbeContext(base_dir=Path(".")))
    assert done.judgement is not None
    assert done.judgement.failures == ("set but empty: LOG_LEVEL",)
    (missing,) = done.judgement.measurements
    assert missing.value == 1


def test_a_pattern_for_an_unlisted_variable_is_a_config_error_naming_the_key(
    tmp_path: Path,
) -> None:
    (tmp_path / "deploygate.toml").write_text(
        '[targets.t]\nbase_url = "http://127.0.0.1:1"\n\n'
        '[[checks]]\nid = "env"\ntype = "env"\nphases = ["predeploy"]\n'
        'variables = ["LOG_LEVEL"]\npatterns = { LOG_LEVL = "INFO" }\n'
    )
    with pytest.raises(ConfigError) as raised:
        load(
            read_file(tmp_path / "deploygate.toml"),
            source="deploygate.toml",
            base_dir=tmp_path,
            target="t",
            environ={},
        )
    message = str(raised.value)
    assert ".patterns.LOG_LEVL: a pattern for LOG_LEVL, which is not in variables" in message
    assert "add 'LOG_LEVL' to variables" in message


def test_names_matching_a_pattern_are_required_without_showing_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DGX_OLLAMA_HOST", "http://secret-host:11434")
    monkeypatch.setenv("DGX_OLLAMA_MODELS", "")
    assert judge(matching=["^DGX_OLLAMA_"]) == ()
    failures = judge(matching=["^DGX_OLLAMA_"], min_matching=2)
    assert failures == (
        "only 1 variable matching '^DGX_OLLAMA_' is set (DGX_OLLAMA_HOST), need 2 "
        "(set but empty: DGX_OLLAMA_MODELS)",
    )
    assert "secret-host" not in " ".join(failures)


def test_a_pattern_no_variable_matches_fails_with_variables_checked_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://x")
    monkeypatch.delenv("DGX_NOTHING_HERE", raising=False)
    spec = EnvCheck.model_validate(
        {
            "id": "env",
            "phases": ["predeploy"],
            "variables": ["DATABASE_URL"],
            "matching": ["^DGX_NOTHING_"],
        }
    )
    done = execute(CheckInstance(spec), Target(name="t"), ProbeContext(base_dir=Path(".")))
    assert done.judgement is not None
    assert done.judgement.failures == ("no variable matching '^DGX_NOTHING_' is set",)
    (missing,) = done.judgement.measurements
    assert missing.value == 1
