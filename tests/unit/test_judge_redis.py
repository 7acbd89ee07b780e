"""judge_redis with literal observations (every failure it can write), the redis check's
model and its address."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.redis import (
    RedisCheck,
    RedisObservation,
    WriteProbe,
    redis_address,
    redis_measurements,
)
from pytest_deploygate.checks.redis_url import RedisAddress, parse_redis_url
from pytest_deploygate.errors import ProbeProtocolError
from pytest_deploygate.expect.redis import info_number, judge_redis

WHERE = "redis://cache:6379/0"
INFO = {
    "redis_version": "7.0.15",
    "used_memory": "620000000",
    "maxmemory": "1000000000",
    "connected_clients": "121",
    "rejected_connections": "3",
    "role": "master",
}


def redis(**keys: object) -> RedisCheck:
    return RedisCheck.model_validate(
        {"id": "cache", "phases": ["smoke"], "url": "redis://cache:6379", **keys}
    )


def seen(info: dict[str, str] | None = None, **keys: object) -> RedisObservation:
    data: dict[str, object] = {"where": WHERE, "pong": "PONG", "latency": 0.002, "info": INFO}
    return RedisObservation(**{**data, **({"info": info} if info is not None else {}), **keys})  # type: ignore[arg-type]


def measured(obs: RedisObservation, spec: RedisCheck | None = None) -> dict[str, float]:
    judgement = judge_redis(spec or redis(), Target(), obs)
    return {m.name: m.value for m in judgement.measurements}


def test_pong_within_every_bound_passes_with_every_figure_measured() -> None:
    spec = redis(
        max_latency="50ms",
        max_used_memory="1GB",
        max_memory_ratio="80%",
        max_connected_clients=200,
        max_rejected_connections=5,
        role="master",
    )
    judgement = judge_redis(spec, Target(), seen())
    assert judgement.failures == ()
    values = {m.name: (m.value, m.unit, m.threshold) for m in judgement.measurements}
    assert values == {
        "redis.latency": (0.002, "s", 0.05),
        "redis.used_memory": (620e6, "bytes", 1e9),
        "redis.connected_clients": (120, "count", 200),  # the gate's own connection not counted
        "redis.rejected_connections": (3, "count", 5),
        "redis.memory_ratio": (0.62, "ratio", 0.8),
    }


def test_a_check_measures_what_the_registry_says_it_always_does() -> None:
    spec = redis(write_probe=True)
    obs = seen(write=WriteProbe("deploygate:probe:ab", latency=0.004))
    assert sorted(measured(obs, spec)) == sorted(redis_measurements(spec))
    assert "redis.write_latency" not in redis_measurements(redis())


def test_a_ping_that_is_not_pong_fails_and_nothing_else_is_judged() -> None:
    obs = seen(pong="error: LOADING Redis is loading the dataset in memory", info={})
    judgement = judge_redis(redis(max_used_memory="1GB"), Target(), obs)
    assert judgement.failures == (
        "PING answered 'error: LOADING Redis is loading the dataset in memory', expected PONG "
        f"({WHERE})",
    )
    assert [m.name for m in judgement.measurements] == ["redis.latency"]


def test_every_bound_exceeded_is_one_line_in_info_words_and_the_configs_notation() -> None:
    spec = redis(
        max_latency="1ms",
        max_used_memory="512MB",
        max_memory_ratio="50%",
        max_connected_clients=100,
        max_rejected_connections=0,
        role="replica",
    )
    assert judge_redis(spec, Target(), seen()).failures == (
        "PING took 2ms, above max_latency 1ms",
        "used_memory 620 MB above max_used_memory 512 MB",
        "connected_clients 120 (not counting the gate's own connection) above "
        "max_connected_clients 100",
        "rejected_connections 3 (counted since the server started) above "
        "max_rejected_connections 0",
        "memory_ratio 62.00% of maxmemory above max_memory_ratio 50.00%",
        "role is master, expected replica",
    )


def test_info_saying_slave_is_a_replica() -> None:
    replica = seen(info={**INFO, "role": "slave"})
    assert judge_redis(redis(role="replica"), Target(), replica).failures == ()
    assert judge_redis(redis(role="master"), Target(), replica).failures == (
        "role is slave, expected master",
    )


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        ({k: v for k, v in INFO.items() if k != "used_memory"}, "INFO has no used_memory field"),
        ({**INFO, "used_memory": "lots"}, "INFO used_memory is 'lots', not a number"),
        ({**INFO, "used_memory": "nan"}, "INFO used_memory is 'nan', not a number"),
        ({**INFO, "used_memory": "inf"}, "INFO used_memory is 'inf', not a number"),
    ],
)
def test_a_missing_or_unreadable_figure_never_passes_its_bound(
    info: dict[str, str], reason: str
) -> None:
    judgement = judge_redis(redis(max_used_memory="10GB"), Target(), seen(info))
    assert judgement.failures == (f"{reason}: cannot hold it to max_used_memory",)
    used = next(m for m in judgement.measurements if m.name == "redis.used_memory")
    assert math.isnan(used.value) and used.broken  # and every rule on it fires


def test_a_missing_figure_without_a_bound_is_measured_as_nan_not_as_zero() -> None:
    info = {k: v for k, v in INFO.items() if k != "rejected_connections"}
    judgement = judge_redis(redis(), Target(), seen(info))
    assert judgement.failures == ()
    assert math.isnan(measured(seen(info))["redis.rejected_connections"])


def test_no_maxmemory_gives_no_ratio_unless_one_is_asked_for_and_then_it_fails() -> None:
    unlimited = seen(info={**INFO, "maxmemory": "0"})
    assert "redis.memory_ratio" not in measured(unlimited)
    judgement = judge_redis(redis(max_memory_ratio="90%"), Target(), unlimited)
    assert judgement.failures == (
        "maxmemory is 0 (no limit), so used memory has no ratio: cannot hold it to "
        "max_memory_ratio",
    )
    no_field = seen(info={k: v for k, v in INFO.items() if k != "maxmemory"})
    assert judge_redis(redis(max_memory_ratio="90%"), Target(), no_field).failures == (
        "INFO has no maxmemory field: cannot hold it to max_memory_ratio",
    )


def test_a_role_info_does_not_give_fails() -> None:
    info = {k: v for k, v in INFO.items() if k != "role"}
    assert judge_redis(redis(role="master"), Target(), seen(info)).failures == (
        "INFO has no role field: cannot tell whether the server is a master",
    )


def test_a_write_probe_that_read_back_passes_and_is_measured() -> None:
    obs = seen(write=WriteProbe("deploygate:probe:ab", latency=0.004))
    judgement = judge_redis(redis(write_probe=True), Target(), obs)
    assert judgement.failures == ()
    assert measured(obs)["redis.write_latency"] == 0.004


def test_a_failed_write_step_fails_the_check_naming_the_step_and_the_server_answer() -> None:
    write = WriteProbe(
        "deploygate:probe:ab", "SET", "READONLY You can't write against a read only replica."
    )
    assert judge_redis(redis(write_probe=True), Target(), seen(write=write)).failures == (
        "write probe: SET deploygate:probe:ab failed: READONLY You can't write against a read "
        "only replica.",
    )


def test_info_numbers_are_finite_or_nan() -> None:
    assert info_number({"a": "12"}, "a") == 12
    assert math.isnan(info_number({"a": "-inf"}, "a"))
    assert math.isnan(info_number({}, "a"))


# -- the model and the address -----------------------------------------------------------


def test_urls_give_host_port_db_tls_and_credentials() -> None:
    assert parse_redis_url("rediss://app:p%40ss@cache.internal:6380/2") == RedisAddress(
        "cache.internal", 6380, 2, True, "app", "p@ss"
    )
    assert parse_redis_url("redis://[::1]") == RedisAddress("::1")
    assert RedisAddress("::1").shown == "redis://[::1]:6379/0"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://cache:6379", "is not a redis URL"),
        ("redis://:pw@cache:6379/x", "a redis database is a number"),
        ("redis://cache:99999", "port that is not 1 to 65535"),
        ("redis://cache:6379/0?ssl_cert_reqs=none", "query parameters"),
        ("redis://:pw@/0", "has no host"),
    ],
)
def test_a_bad_url_is_refused_saying_why_and_never_showing_the_password(
    url: str, words: str
) -> None:
    with pytest.raises(ValidationError) as info:
        redis(url=url)
    message = info.value.errors()[0]["msg"]  # what the config error shows
    assert words in message
    assert "pw@" not in message


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ({"host": "cache"}, "not both"),
        ({"url": None, "port": 6379}, "'port' needs 'host'"),
        ({"db": 1}, "'db' and 'tls' go with 'host'"),
        ({"url": "redis://:a@cache", "password": "b"}, "give it once"),
        ({"verify": False, "ca_bundle": "ca.pem"}, "contradict"),
        ({"role": "primary"}, "role"),
    ],
)
def test_contradicting_keys_are_refused(keys: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError) as info:
        redis(**keys)
    assert words in str(info.value)


def test_the_address_comes_from_the_check_else_the_targets_redis_url() -> None:
    target = Target(name="t", redis_url="redis://:from-url@shared:6379/0")
    bare = RedisCheck.model_validate({"id": "c", "phases": ["smoke"], "db": 3})
    assert bare.needed_target_keys() == ("redis_url",)
    assert redis_address(bare, target) == RedisAddress("shared", 6379, 3, False, None, "from-url")
    own = redis(url="redis://cache:7000/1", password="pw-key")
    assert own.needed_target_keys() == ()
    assert own.secret_values() == ("pw-key",)
    assert redis_address(own, target) == RedisAddress("cache", 7000, 1, False, None, "pw-key")
    host = RedisCheck.model_validate({"id": "c", "phases": ["smoke"], "host": "h", "tls": True})
    assert redis_address(host, target) == RedisAddress("h", 6379, 0, True)
    with pytest.raises(ProbeProtocolError, match="has no redis_url"):
        redis_address(bare, Target(name="t"))


def test_the_password_is_not_in_the_models_repr() -> None:
    spec = redis(url="redis://cache", password="hunter2-pw")
    assert "hunter2-pw" not in repr(spec)
    assert "hunter2-pw" not in repr(redis_address(spec, Target()))
