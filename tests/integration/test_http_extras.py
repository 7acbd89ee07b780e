"""The http check's body, JSON-path, body-length and version expectations, against a
real loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck
from pytest_deploygate.errors import (
    ProbeConnectionError,
    ProbeDNSError,
    ProbeTimeout,
    ProbeTLSError,
)
from pytest_deploygate.expect.http_extras import versions_match
from pytest_deploygate.expect.jsonpath import MISSING, lookup
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, Execution, execute
from tests.support.httpserver import silent_server
from tests.support.jsonserver import json_server
from tests.support.tlsserver import garbage_server, reset_server

CTX = ProbeContext(base_dir=Path("."))
SHA = "3f2a9c1d5e7b8a0c4d6e1f2a3b4c5d6e7f8a9b0c"
ROUTES = {
    "/health": {"status": "healthy", "version": SHA[:7], "build": {"sha": SHA, "number": 42}},
    "/items": {"data": {"items": [{"name": "alpha", "price": 3}, {"name": "beta"}]}},
    "/flash": {"response": "Short answer."},
    "/thinker": {"response": "A long and thoughtful answer. " * 20},
    "/text": "Service OK: all 3 workers up",
    "/not-json": "<html>oops</html>",
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with json_server(ROUTES) as url:
        yield url


def spec(**keys: object) -> HttpCheck:
    keys.setdefault("timeout", "2s")
    return HttpCheck.model_validate({"id": "c", "type": "http", "phases": ["smoke"], **keys})


def run(base: str, expected_version: str | None = None, **keys: object) -> Execution:
    target = Target(name="staging", base_url=base, expected_version=expected_version)
    return execute(CheckInstance(spec(**keys)), target, CTX)


def failures(done: Execution) -> tuple[str, ...]:
    assert done.error is None, done.error
    assert done.judgement is not None
    return done.judgement.failures


def test_body_contains_one_or_several_strings(base: str) -> None:
    assert failures(run(base, path="/text", body_contains="Service OK")) == ()
    done = run(base, path="/text", body_contains=["Service OK", "database"])
    assert failures(done) == ("body does not contain 'database': Service OK: all 3 workers up",)


def test_body_matches_a_regex(base: str) -> None:
    assert failures(run(base, path="/text", body_matches=r"all \d+ workers up")) == ()
    done = run(base, path="/text", body_matches=r"^ERROR")
    assert failures(done) == (
        "body does not match body_matches '^ERROR': Service OK: all 3 workers up",
    )


def test_json_path_equals(base: str) -> None:
    keys = {"expect_json_path": {"data.items.0.name": "alpha", "data.items.1": {"name": "beta"}}}
    assert failures(run(base, path="/items", **keys)) == ()
    done = run(base, path="/items", expect_json_path={"data.items.0.price": 4})
    assert failures(done) == ("JSON data.items.0.price is 3, expected 4",)


def test_unquoted_dotted_keys_from_toml_mean_the_same_path(base: str) -> None:
    # TOML turns { data.items.0.name = "alpha" } into nested tables.
    nested = {"data": {"items": {"0": {"name": "alpha"}}}}
    assert spec(path="/items", expect_json_path=nested).expect_json_path == {
        "data.items.0.name": "alpha"
    }
    assert failures(run(base, path="/items", expect_json_path=nested)) == ()


def test_json_path_not_found_says_where_it_stopped(base: str) -> None:
    done = run(base, path="/items", expect_json_path={"data.items.5.name": "x", "data.total": 2})
    assert failures(done) == (
        "JSON path data.items.5.name not found: data.items has 2 items, no index 5",
        "JSON path data.total not found: data has no key 'total'",
    )


def test_json_path_matches_a_regex(base: str) -> None:
    sha = {"build.sha": "^[0-9a-f]{40}$"}
    assert failures(run(base, path="/health", match_json_path=sha)) == ()
    done = run(base, path="/health", match_json_path={"build.number": "^1"})
    assert failures(done) == ("JSON build.number is '42', does not match '^1'",)


def test_invalid_json_where_json_is_expected_fails_in_one_line(base: str) -> None:
    done = run(
        base, path="/not-json", expect_json={"a": 1}, expect_json_path={"a": 1}, expect_version=True
    )
    assert failures(done) == ("body is not JSON: <html>oops</html>",)


def test_body_length_bounds_of_a_json_field(base: str) -> None:
    short = run(base, path="/flash", body_length_path="response", max_body_length=500)
    assert failures(short) == ()
    assert short.judgement is not None
    length = [m for m in short.judgement.measurements if m.name == "http.body_length"]
    assert [(m.value, m.threshold, m.bound) for m in length] == [(13.0, 500.0, "max")]
    brief = run(base, path="/flash", body_length_path="response", min_body_length=300)
    assert failures(brief) == ("JSON response is 13 characters, below min_body_length 300",)
    long = run(base, path="/thinker", body_length_path="response", min_body_length=300)
    assert failures(long) == ()


def test_body_length_of_the_whole_body(base: str) -> None:
    done = run(base, path="/text", max_body_length=10)
    assert failures(done) == ("body is 28 characters, above max_body_length 10",)


def test_expected_version_matches_the_deployed_one(base: str) -> None:
    done = run(base, SHA, path="/health", expect_version=True)
    assert failures(done) == ()
    nested = run(base, SHA, path="/health", expect_version=True, version_path="build.sha")
    assert failures(nested) == ()


def test_a_different_deployed_version_fails_showing_both(base: str) -> None:
    done = run(base, "v2.0.0", path="/health", expect_version=True)
    assert failures(done) == (
        f"deployed version '{SHA[:7]}' (JSON version) is not expected_version 'v2.0.0'",
    )


@pytest.mark.parametrize("expected", [None, ""])
def test_expect_version_without_expected_version_says_how_to_set_it(
    base: str, expected: str | None
) -> None:
    (reason,) = failures(run(base, expected, path="/health", expect_version=True))
    assert "target 'staging' has no expected_version" in reason
    assert 'set expected_version = "${GIT_SHA}"' in reason


def test_a_missing_version_field_fails(base: str) -> None:
    done = run(base, SHA, path="/items", expect_version=True)
    assert failures(done) == (
        "no deployed version at JSON path version: the document has no key 'version'",
    )


@pytest.mark.parametrize(
    ("deployed", "expected", "same"),
    [
        ("abc1234", "abc1234", True),
        (SHA[:7], SHA, True),
        (SHA, SHA[:12].upper(), True),
        ("abc123", "abc1234", False),  # too short to be an abbreviated SHA
        ("v1.2", "v1.2.3", False),
        (" v1.2.3 ", "v1.2.3", True),
    ],
)
def test_versions_match(deployed: str, expected: str, same: bool) -> None:
    assert versions_match(deployed, expected) is same


def test_lookup_into_a_scalar_explains() -> None:
    value, why = lookup({"a": 3}, "a.b")
    assert value is MISSING and why == "a is a number, cannot look up 'b'"


def test_a_hung_server_ends_within_the_timeout() -> None:
    with silent_server() as url:
        done = run(url, path="/health", body_contains="x", timeout="300ms")
    assert isinstance(done.error, ProbeTimeout)


def test_a_reset_connection_is_an_error() -> None:
    with reset_server() as port:
        done = run(f"http://127.0.0.1:{port}", path="/health", body_contains="x")
    assert isinstance(done.error, ProbeConnectionError)
    assert "\n" not in str(done.error)


def test_a_tls_handshake_failure_is_a_tls_error() -> None:
    with garbage_server() as port:
        done = run(f"https://127.0.0.1:{port}", path="/health", body_contains="x")
    assert isinstance(done.error, ProbeTLSError)
    assert "wrong version number" in str(done.error)


def test_a_name_that_does_not_resolve_is_a_dns_error() -> None:
    done = run("http://deploygate-test.invalid", path="/health", expect_version=True)
    assert isinstance(done.error, ProbeDNSError)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"body_matches": "(["}, "'body_matches' is not a valid regular expression"),
        ({"match_json_path": {"a": "(["}}, "'match_json_path.a' is not a valid regular"),
        ({"expect_json_path": {"a..b": 1}}, "'expect_json_path' path 'a..b' is not a dotted"),
        ({"min_body_length": 10, "max_body_length": 5}, "greater than 'max_body_length'"),
        ({"body_length_path": "response"}, "needs 'min_body_length' or 'max_body_length'"),
        ({"body_contains": []}, "'body_contains' must be a non-empty string"),
        ({"min_body_length": -1}, "min_body_length"),
        ({"version_path": ""}, "'version_path' path '' is not a dotted path"),
    ],
)
def test_bad_keys_are_rejected_with_the_key_named(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        spec(path="/", **keys)
    assert message in str(info.value)
