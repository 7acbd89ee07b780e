"""Team-written checks: fixtures, the deploygate marker, measurements, errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.plugin.helpers import by_id, verdict, write_gate
from tests.support.httpserver import closed_port


def team_gate(pytester: pytest.Pytester, base_url: str, body: str, extra: str = "") -> None:
    write_gate(pytester, base_url, extra='paths = ["checks"]\n' + extra)
    pytester.mkpydir("checks").joinpath("test_team.py").write_text("import pytest\n" + body)


def test_fixtures_reach_the_target(pytester: pytest.Pytester, http_base: str) -> None:
    team_gate(
        pytester,
        http_base,
        """
@pytest.mark.smoke
def test_health(target, http, measure):
    assert target.name == "staging"
    response = http.get("/health")
    measure("health.latency", response.elapsed.total_seconds(), "s", threshold=5)
    assert response.json()["status"] == "healthy"
""",
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 0
    check = verdict(pytester)["checks"][0]
    assert check["type"] == "custom"
    assert check["phases"] == ["smoke"]
    assert check["measurements"][0]["name"] == "health.latency"


def test_marker_sets_on_fail_and_id(pytester: pytest.Pytester, http_base: str) -> None:
    team_gate(
        pytester,
        http_base,
        """
@pytest.mark.postdeploy
@pytest.mark.deploygate(on_fail="investigate", id="tier-length")
def test_tier():
    assert len("short") > 300, "thinker tier answer too brief"
""",
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 10
    check = by_id(verdict(pytester))["tier-length"]
    assert (check["outcome"], check["decision"]) == ("failed", "investigate")
    assert "thinker tier answer too brief" in check["reason"]


def test_a_connection_error_in_a_team_test_is_error_not_failed(pytester: pytest.Pytester) -> None:
    team_gate(
        pytester,
        f"http://127.0.0.1:{closed_port()}",
        """
@pytest.mark.smoke
@pytest.mark.deploygate(on_fail="ok")
def test_api(http):
    http.get("/health")
""",
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 1  # on_error keeps its rollback default
    check = verdict(pytester)["checks"][0]
    assert check["outcome"] == "error"
    assert "connection refused" in check["reason"]


def test_a_team_tests_own_requests_call_that_fails_prints_one_line_with_its_url(
    pytester: pytest.Pytester,
) -> None:
    port = closed_port()
    team_gate(
        pytester,
        f"http://127.0.0.1:{port}",
        f"""
import requests

@pytest.mark.smoke
def test_api():
    requests.get("http://user:pw@127.0.0.1:{port}/stats?token=abc", timeout=5)
""",
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 1
    reason = verdict(pytester)["checks"][0]["reason"]
    assert reason == f"connection refused (GET http://127.0.0.1:{port}/stats)"
    output = result.stdout.str()
    assert "urllib3" not in output and "Traceback" not in output
    assert "abc" not in output and ":pw@" not in output


def test_a_rule_acts_on_a_team_measurement(pytester: pytest.Pytester, http_base: str) -> None:
    rule = '[[decision.rules]]\nmeasurement = "queue.*"\nabove = 100\ndecision = "rollback"\n'
    team_gate(
        pytester,
        http_base,
        """
@pytest.mark.postdeploy
def test_queue(measure):
    measure("queue.length", 250, "count")
""",
        extra=rule,
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 1
    assert verdict(pytester)["checks"][0]["rules"][0]["value"] == 250


def test_junit_carries_decision_and_measurements(pytester: pytest.Pytester, http_base: str) -> None:
    team_gate(
        pytester,
        http_base,
        """
@pytest.mark.smoke
def test_m(measure):
    measure("x.latency", 0.5, "s", threshold=1)
""",
    )
    assert pytester.runpytest("--target=staging", "--junitxml=j.xml").ret == 0
    xml = (pytester.path / "j.xml").read_text()
    assert '<property name="deploygate.decision" value="ok" />' in xml
    assert '<property name="deploygate.measurement.x.latency" value="500ms max 1.00s" />' in xml


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            'on_fail="investgate"',
            "on_fail='investgate' is not one of ok, investigate, rollback. "
            "Did you mean 'investigate'?",
        ),
        ('onfail="investigate"', "unknown keyword 'onfail'. Did you mean 'on_fail'?"),
        ('id="two words"', "id='two words' must be made of letters"),
        ('"investigate"', "takes keywords only"),
    ],
)
def test_a_mistake_in_the_marker_is_a_usage_error(
    pytester: pytest.Pytester, http_base: str, marker: str, message: str
) -> None:
    team_gate(
        pytester,
        http_base,
        f"\n@pytest.mark.smoke\n@pytest.mark.deploygate({marker})\n"
        "def test_x():\n    assert False\n",
    )
    result = pytester.runpytest("--target=staging")
    assert result.ret == 4
    text = result.stderr.str()
    assert "checks/test_team.py::test_x: @pytest.mark.deploygate" in text
    assert message in text
    assert "Traceback" not in text + result.stdout.str()


def _no_bare_constants(name: str) -> None:
    raise AssertionError(f"the verdict file holds a bare {name}, which is not JSON")


def test_a_measurement_that_is_not_a_number_is_never_a_go(
    pytester: pytest.Pytester, http_base: str
) -> None:
    rule = '[[decision.rules]]\nmeasurement = "queue.*"\nabove = 100\ndecision = "investigate"\n'
    team_gate(
        pytester,
        http_base,
        """
@pytest.mark.postdeploy
def test_ruled(measure):
    measure("queue.length", float("nan"), "count")

@pytest.mark.postdeploy
def test_bounded(measure):
    measure("mem.bytes", float("inf"), "bytes", threshold=512e6)
""",
        extra=rule,
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 1
    text = (pytester.path / "verdict.json").read_text()
    doc = json.loads(text, parse_constant=_no_bare_constants)
    checks = {c["nodeid"].rsplit("::", 1)[1]: c for c in doc["checks"]}
    assert checks["test_ruled"]["decision"] == "investigate"
    assert checks["test_ruled"]["measurements"][0]["value"] == "NaN"
    assert "queue.length is NaN, not a finite number" in checks["test_ruled"]["reason"]
    assert checks["test_bounded"]["outcome"] == "failed"
    assert "mem.bytes is Infinity, not a finite number" in checks["test_bounded"]["reason"]
    schema = json.loads((Path(__file__).parents[2] / "docs" / "verdict.schema.json").read_text())
    jsonschema.validate(doc, schema)


def test_a_measurement_beyond_the_threshold_it_was_recorded_with_fails_the_check(
    pytester: pytest.Pytester, http_base: str
) -> None:
    """``measure(..., threshold=...)`` says what the check held the value to: a test that
    records a value beyond it and asserts nothing more did not pass (it read GO)."""
    team_gate(
        pytester,
        http_base,
        """
@pytest.mark.smoke
def test_latency(measure):
    measure("orders.latency", 0.9, "s", threshold=0.5)

@pytest.mark.smoke
def test_free(measure):
    measure("disk.free", 2e9, "bytes", threshold=5e9, bound="min")

@pytest.mark.smoke
@pytest.mark.deploygate(on_fail="investigate")
def test_own_message(measure):
    length = 900
    measure("answer.length", length, "count", threshold=500)
    assert length < 500, f"answer is {length} characters"

@pytest.mark.smoke
def test_within(measure):
    measure("queue.length", 3, "count", threshold=3)
""",
    )
    result = pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", "--junitxml=j.xml"
    )
    assert result.ret == 1
    checks = {c["nodeid"].rsplit("::", 1)[1]: c for c in verdict(pytester)["checks"]}
    latency, free = checks["test_latency"], checks["test_free"]
    assert (latency["outcome"], latency["decision"]) == ("failed", "rollback")
    assert "orders.latency 900ms is above its threshold (max 500ms)" in latency["reason"]
    assert (free["outcome"], free["decision"]) == ("failed", "rollback")
    assert "disk.free 2 GB is below its threshold (min 5 GB)" in free["reason"]
    # The test's own assertion, when it has one, still says why.
    own = checks["test_own_message"]
    assert (own["outcome"], own["decision"]) == ("failed", "investigate")
    assert "answer is 900 characters" in own["reason"]
    assert (checks["test_within"]["outcome"], checks["test_within"]["decision"]) == ("passed", "ok")
    # pytest's own outcome agrees: the terminal and JUnit say failed too.
    result.assert_outcomes(passed=1, failed=3)
    assert (pytester.path / "j.xml").read_text().count("<failure") == 3


XFAILS = """
@pytest.mark.smoke
@pytest.mark.xfail(reason="upstream bug 123")
def test_known_bug(http):
    assert http.get("/status/500").status_code == 200, "orders answer 500"

@pytest.mark.smoke
@pytest.mark.deploygate(on_fail="ok")
@pytest.mark.xfail(reason="accepted")
def test_accepted():
    assert False, "accepted failure"

@pytest.mark.smoke
def test_imperative():
    pytest.xfail("not fixed yet")

@pytest.mark.smoke
@pytest.mark.xfail(reason="flaky")
def test_unreachable(http):
    http.get("http://127.0.0.1:{port}/health")

@pytest.mark.smoke
@pytest.mark.xfail(reason="fixed since")
def test_fixed_since(http):
    assert http.get("/health").status_code == 200
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_an_xfailed_team_check_is_a_known_failure_never_a_skip(
    pytester: pytest.Pytester, http_base: str, workers: list[str]
) -> None:
    """An xfail marker hid a failing check as "skipped" (no decision: GO). A known failure
    is investigate at most (on_fail = "ok" accepts it); an error under xfail (the target
    could not be reached) is an error."""
    team_gate(pytester, http_base, XFAILS.replace("{port}", str(closed_port())))
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json", *workers)
    assert result.ret == 1
    checks = {c["nodeid"].rsplit("::", 1)[1]: c for c in verdict(pytester)["checks"]}
    decided = {name: (c["outcome"], c["decision"]) for name, c in checks.items()}
    assert decided == {
        "test_known_bug": ("failed", "investigate"),
        "test_accepted": ("failed", "ok"),
        "test_imperative": ("failed", "investigate"),
        "test_unreachable": ("error", "rollback"),
        "test_fixed_since": ("passed", "ok"),
    }
    assert checks["test_known_bug"]["reason"] == (
        "expected to fail (xfail: upstream bug 123): orders answer 500"
    )
    assert checks["test_imperative"]["reason"] == "expected to fail (xfail: not fixed yet)"
    assert "connection refused" in checks["test_unreachable"]["reason"]
    # Without the xfails' errors, known failures alone are INVESTIGATE, never GO.
    result = pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", "-k", "not unreachable", *workers
    )
    assert result.ret == 10


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_check_file_skipped_as_a_whole_is_counted_as_skipped(
    pytester: pytest.Pytester, http_base: str, workers: list[str]
) -> None:
    """``pytest.importorskip`` at the top of a check file skips every check in it: they
    vanished from the verdict (0 skipped, GO on the others); now the file is a skipped
    check with pytest's reason, never a decision of its own."""
    team_gate(pytester, http_base, "\n@pytest.mark.smoke\ndef test_runs():\n    pass\n")
    pytester.path.joinpath("checks", "test_cache.py").write_text(
        "import pytest\n\nredis = pytest.importorskip('no_such_redis_client')\n\n"
        "@pytest.mark.smoke\ndef test_cache():\n    assert redis.ping()\n"
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json", *workers)
    assert result.ret == 0
    doc = verdict(pytester)
    assert doc["counts"]["skipped"] == 1
    skipped = next(c for c in doc["checks"] if c["outcome"] == "skipped")
    assert skipped["nodeid"] == "checks/test_cache.py"
    assert "could not import 'no_such_redis_client'" in skipped["reason"]
    assert skipped["decision"] is None
    result.stdout.fnmatch_lines(["*2 checks (1 ok, 0 investigate, 0 rollback, 1 skipped)*"])


def test_a_team_check_given_an_empty_parameter_list_checked_nothing(
    pytester: pytest.Pytester, http_base: str
) -> None:
    """A data-driven check whose list came out empty (a missing endpoints file) is skipped
    by pytest ("got empty parameter set"): no decision, GO. It was given nothing to check,
    which is an error (on_error), not a choice to skip it."""
    team_gate(
        pytester,
        http_base,
        """
ENDPOINTS = []  # read from a file that was not there

@pytest.mark.smoke
@pytest.mark.parametrize("path", ENDPOINTS)
def test_endpoint(http, path):
    assert http.get(path).status_code == 200

@pytest.mark.smoke
@pytest.mark.skip(reason="chosen by the team")
def test_skipped_on_purpose():
    pass
""",
    )
    result = pytester.runpytest("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 1
    checks = {c["nodeid"].rsplit("::", 1)[1]: c for c in verdict(pytester)["checks"]}
    empty = checks["test_endpoint[NOTSET]"]
    assert (empty["outcome"], empty["decision"]) == ("error", "rollback")
    assert "empty parameter set for (path): nothing was checked" in empty["reason"]
    on_purpose = checks["test_skipped_on_purpose"]
    assert (on_purpose["outcome"], on_purpose["decision"]) == ("skipped", None)
