"""Whole gates with redis checks against real redis-servers: the verdict for a healthy
server, a stopped one, a wrong password and an exceeded bound; the write probe leaves no
key; the password never reaches an output; bad redis config is exit 4."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest

from pytest_deploygate.checks.redis import WRITE_PROBE_PREFIX
from tests.plugin.helpers import by_id, verdict
from tests.support.redis import PASSWORD, RedisServer, redis_server


def redis_gate(pytester: pytest.Pytester, redis_url: str, *checks: str, extra: str = "") -> None:
    pytester.makefile(
        ".toml",
        deploygate=f'{extra}\n[targets.staging]\nredis_url = "{redis_url}"\n\n' + "".join(checks),
    )


def redis_check(check_id: str, **keys: object) -> str:
    lines = "".join(f"{k} = {_toml(v)}\n" for k, v in {"timeout": "3s", **keys}.items())
    return f'[[checks]]\nid = "{check_id}"\ntype = "redis"\nphases = ["smoke"]\n{lines}\n'


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else f'"{value}"'


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:cacheprovider", "--target=staging", "--verdict-json=verdict.json", *args
    )


def test_a_healthy_server_with_a_write_probe_is_go_and_keeps_no_key(
    pytester: pytest.Pytester, redis_auth: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A variable whose name says nothing secret: masked because it is the check's password.
    monkeypatch.setenv("CACHE_PW", PASSWORD)
    url = redis_auth.url(db=5, with_password=False)
    redis_gate(
        pytester,
        url,
        redis_check("cache", password="${CACHE_PW}", max_used_memory="1GB", write_probe=True),
    )
    client = redis_auth.client(db=5)
    before = client.dbsize()
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*DEPLOYGATE VERDICT: GO*"])
    measurements = {m["name"] for m in by_id(verdict(pytester))["cache"]["measurements"]}
    assert {"redis.latency", "redis.used_memory", "redis.write_latency"} <= measurements
    assert client.dbsize() == before
    assert list(client.scan_iter(f"{WRITE_PROBE_PREFIX}*")) == []


def test_a_stopped_server_is_an_error_and_a_rollback(pytester: pytest.Pytester) -> None:
    with redis_server() as server:
        url = server.url()
    redis_gate(pytester, url, redis_check("cache"))
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    check = by_id(verdict(pytester))["cache"]
    assert (check["outcome"], check["decision"]) == ("error", "rollback")
    assert check["reason"] == f"connection refused (redis://{server.address}/0)"


def test_a_wrong_password_is_an_error_naming_the_server_not_the_password(
    pytester: pytest.Pytester, redis_auth: RedisServer
) -> None:
    url = redis_auth.url(with_password=False).replace("://", "://:not-the-pw-77@")
    redis_gate(pytester, url, redis_check("cache", on_error="investigate"))
    result = run(pytester, "-rA")
    assert result.ret == 10, result.stdout.str()
    check = by_id(verdict(pytester))["cache"]
    assert check["outcome"] == "error"
    assert check["reason"].startswith("authentication failed: invalid username-password pair")
    assert "not-the-pw-77" not in result.stdout.str() + (pytester.path / "verdict.json").read_text()


def test_an_exceeded_bound_fails_with_its_on_fail_and_a_rule_reads_the_figures(
    pytester: pytest.Pytester, redis_plain: RedisServer
) -> None:
    redis_gate(
        pytester,
        redis_plain.url(),
        redis_check("small", max_used_memory="1kB", on_fail="investigate"),
        redis_check("clients"),
        '[[decision.rules]]\nmeasurement = "redis.connected_clients"\ncheck = "clients"\n'
        'above = -1\ndecision = "rollback"\n',
    )
    result = run(pytester)
    assert result.ret == 1, result.stdout.str()
    checks = by_id(verdict(pytester))
    small = checks["small"]
    assert (small["outcome"], small["decision"]) == ("failed", "investigate")
    assert (
        small["reason"].startswith("used_memory ")
        and "above max_used_memory 1 kB" in (small["reason"])
    )
    assert checks["clients"]["outcome"] == "passed"
    assert checks["clients"]["decision"] == "rollback"  # the rule fired on the measurement
    result.stdout.fnmatch_lines(["*INVESTIGATE*small*failed: used_memory*above max_used_memory*"])


def test_a_rule_on_a_ratio_a_server_without_maxmemory_has_investigates(
    pytester: pytest.Pytester, redis_plain: RedisServer
) -> None:
    redis_gate(
        pytester,
        redis_plain.url(),
        redis_check("cache"),
        '[[decision.rules]]\nmeasurement = "redis.memory_ratio"\nabove = "90%"\n'
        'decision = "rollback"\n',
    )
    result = run(pytester)
    assert result.ret == 10, result.stdout.str()
    result.stdout.fnmatch_lines(["*cache*redis.memory_ratio was not measured in this run*"])


def test_a_rule_on_the_write_probe_of_a_check_without_one_is_a_config_error(
    pytester: pytest.Pytester,
) -> None:
    redis_gate(
        pytester,
        "redis://127.0.0.1:9/0",
        redis_check("cache"),
        '[[decision.rules]]\nmeasurement = "redis.write_latency"\nabove = "1s"\n'
        'decision = "rollback"\n',
    )
    assert run(pytester).ret == 4


def test_a_redis_check_observed_over_a_window_has_samples_and_redis_up(
    pytester: pytest.Pytester, redis_plain: RedisServer
) -> None:
    redis_gate(pytester, redis_plain.url(), redis_check("cache", window="1s", interval="500ms"))
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()
    measured = {m["name"]: m for m in by_id(verdict(pytester))["cache"]["measurements"]}
    assert len(measured["redis.used_memory"]["samples"]) >= 2
    assert {value for _, value in measured["redis.up"]["samples"]} == {1}


def test_the_password_reaches_no_output(
    pytester: pytest.Pytester, redis_auth: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_AUTH", PASSWORD)  # a name that says nothing secret
    encoded = quote(PASSWORD, safe="")
    in_url = redis_auth.url(with_password=False).replace("://", f"://:{encoded}@")
    redis_gate(
        pytester,
        in_url,
        # A failing and an erroring check: their reasons and URLs reach every report.
        redis_check("from-url", max_used_memory="1kB"),
        redis_check("from-key", host="127.0.0.1", port=redis_auth.port, password="${REDIS_AUTH}",
                    db=999),
        redis_check("wrong-db", url=in_url.replace("/0", "/998")),
    )  # fmt: skip
    result = run(pytester, "-vv", "-rA", "--junitxml=junit.xml", "--html=report.html")
    assert result.ret == 1, result.stdout.str()
    outputs = {
        "terminal": result.stdout.str() + result.stderr.str(),
        "verdict": (pytester.path / "verdict.json").read_text(),
        "junit": (pytester.path / "junit.xml").read_text(),
        "html": (pytester.path / "report.html").read_text(),
    }
    assert "DB index is out of range" in outputs["verdict"]  # the reports say what happened
    forms = {PASSWORD, encoded, base64.b64encode(PASSWORD.encode()).decode()}
    for name, text in outputs.items():
        for form in forms:
            assert form not in text, f"{form!r} in {name}"
    assert Path(pytester.path / "report.html").stat().st_size > 0


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"url": "redis://cache:6379/zero"}, "checks[0] (id 'cache').url"),
        ({"url": "redis://cache:6379/zero"}, "a redis database is a number"),
        ({"max_used_memory": "lots"}, "checks[0] (id 'cache').max_used_memory"),
        ({"max_memroy": "1GB"}, "unknown key 'max_memroy'"),
        ({"role": "leader"}, "checks[0] (id 'cache').role"),
        ({"url": "redis://:pw@cache", "password": "other"}, "give it once"),
    ],
)
def test_bad_redis_config_is_exit_4_naming_file_and_key(
    pytester: pytest.Pytester, keys: dict[str, object], expected: str
) -> None:
    redis_gate(pytester, "redis://127.0.0.1:9/0", redis_check("cache", **keys))
    result = run(pytester)
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, text
    assert "deploygate.toml" in text and expected in text
    assert "Traceback" not in text


def test_a_bad_target_redis_url_and_a_missing_one_are_exit_4(pytester: pytest.Pytester) -> None:
    redis_gate(pytester, "http://cache:6379", redis_check("cache"))
    result = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*targets.staging.redis_url: 'http://cache:6379' is not a redis URL*"]
    )
    pytester.makefile(".toml", deploygate="[targets.staging]\n\n" + redis_check("cache"))
    result = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*targets.staging.redis_url: is not set*checks?0? (id 'cache', type 'redis') needs it*"]
    )
