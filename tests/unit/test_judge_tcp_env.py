"""judge_tcp and judge_env with literal observations: every failure they can write."""

from __future__ import annotations

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.env import EnvCheck, EnvObservation, EnvVariable, NameSeen
from pytest_deploygate.checks.tcp import TcpCheck, TcpObservation
from pytest_deploygate.expect.env import judge_env
from pytest_deploygate.expect.tcp import judge_tcp

SEEN = TcpObservation(host="db.internal", port=5432, latency=0.3)


def tcp(**keys: object) -> TcpCheck:
    return TcpCheck.model_validate({"id": "db", "phases": ["smoke"], "address": "db:5432", **keys})


def test_a_connection_within_max_latency_passes_and_is_measured() -> None:
    judgement = judge_tcp(tcp(max_latency="1s"), Target(), SEEN)
    assert judgement.failures == ()
    ((measured),) = judgement.measurements
    assert (measured.name, measured.value, measured.threshold) == ("tcp.connect_latency", 0.3, 1.0)


def test_a_slow_connection_names_the_address() -> None:
    assert judge_tcp(tcp(max_latency="100ms"), Target(), SEEN).failures == (
        "connect latency 300ms to db.internal:5432 above max_latency 100ms",
    )


def env(**keys: object) -> EnvCheck:
    data = {"id": "env", "phases": ["predeploy"], "variables": ["A", "B", "C", "D", "E"]}
    return EnvCheck.model_validate({**data, **keys})


def test_missing_empty_and_mismatched_variables_are_named_never_their_values() -> None:
    seen = EnvObservation(
        (
            EnvVariable("A", present=True, empty=False, matches=None),
            EnvVariable("B", present=False, empty=True, matches=None),
            EnvVariable("C", present=False, empty=True, matches=None),
            EnvVariable("D", present=True, empty=True, matches=None),
            EnvVariable("E", present=True, empty=False, matches=False),
        )
    )
    judgement = judge_env(env(patterns={"E": "^[a-z]+$"}), Target(), seen)
    assert judgement.failures == (
        "not set: B, C",
        "set but empty: D",
        "E does not match '^[a-z]+$' (value not shown)",
    )
    ((measured),) = judgement.measurements
    assert (measured.name, measured.value, measured.threshold) == ("env.missing", 4.0, 0.0)


def test_all_variables_set_pass() -> None:
    seen = EnvObservation(tuple(EnvVariable(n, True, False, True) for n in "ABCDE"))
    judgement = judge_env(env(), Target(), seen)
    assert judgement.failures == ()
    assert judgement.measurements[0].value == 0.0


NAMED = (
    NameSeen("HOME", empty=False),
    NameSeen("OLLAMA_HOST", empty=False),
    NameSeen("OLLAMA_MODELS", empty=False),
    NameSeen("OLLAMA_KEEP_ALIVE", empty=True),
)


def by_name(*matching: str, **keys: object) -> EnvCheck:
    data = {"id": "env", "phases": ["predeploy"], "matching": list(matching)}
    return EnvCheck.model_validate({**data, **keys})


@pytest.mark.parametrize(
    ("spec", "failures"),
    [
        pytest.param(by_name("^OLLAMA_"), (), id="found"),
        pytest.param(by_name("OLLAMA", min_matching=2), (), id="enough"),
        pytest.param(
            by_name("^REDIS_", "^OLLAMA_"),
            ("no variable matching '^REDIS_' is set",),
            id="none",
        ),
        pytest.param(
            by_name("KEEP_ALIVE$"),
            ("no variable matching 'KEEP_ALIVE$' is set (set but empty: OLLAMA_KEEP_ALIVE)",),
            id="only-empty",
        ),
        pytest.param(
            by_name("^OLLAMA_", min_matching=3),
            (
                "only 2 variables matching '^OLLAMA_' are set (OLLAMA_HOST, OLLAMA_MODELS), "
                "need 3 (set but empty: OLLAMA_KEEP_ALIVE)",
            ),
            id="too-few",
        ),
        pytest.param(
            by_name("_HOST$", min_matching=2),
            ("only 1 variable matching '_HOST$' is set (OLLAMA_HOST), need 2",),
            id="one-of-two",
        ),
    ],
)
def test_names_by_pattern_name_what_they_found(spec: EnvCheck, failures: tuple[str, ...]) -> None:
    judgement = judge_env(spec, Target(), EnvObservation((), NAMED))
    assert judgement.failures == failures
    ((measured),) = judgement.measurements
    assert measured.value == len(failures)


def test_variables_and_name_patterns_count_together() -> None:
    spec = env(matching=["^NOPE_"])
    seen = EnvObservation((EnvVariable("A", False, True, None),), NAMED)
    judgement = judge_env(spec, Target(), seen)
    assert judgement.failures == ("not set: A", "no variable matching '^NOPE_' is set")
    assert judgement.measurements[0].value == 2.0
