"""judge_tcp and judge_env with literal observations: every failure they can write."""

from __future__ import annotations

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.env import EnvCheck, EnvObservation, EnvVariable
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
