"""Each verdict and its exit code, through real pytest sessions against a real server."""

from __future__ import annotations

import pytest

from tests.plugin.helpers import by_id, http_check, verdict, write_gate
from tests.support.httpserver import closed_port


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", "-p", "no:cacheprovider", *args
    )


def test_all_checks_pass_is_go_with_exit_0(pytester: pytest.Pytester, http_base: str) -> None:
    write_gate(
        pytester, http_base, http_check("health", "/health", expect_json={"status": "healthy"})
    )
    result = run(pytester)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*DEPLOYGATE VERDICT: GO (target staging, exit code 0)*"])
    assert verdict(pytester)["verdict"] == "GO"


def test_a_failed_check_is_rollback_with_exit_1(pytester: pytest.Pytester, http_base: str) -> None:
    write_gate(pytester, http_base, http_check("health", "/status/500"))
    result = run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*VERDICT: ROLLBACK*", "*ROLLBACK*health*failed: status 500*"])
    assert by_id(verdict(pytester))["health"]["decision"] == "rollback"


def test_on_fail_investigate_is_investigate_with_exit_10(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("health", "/status/503", on_fail="investigate"))
    result = run(pytester)
    assert result.ret == 10
    result.stdout.fnmatch_lines(["*VERDICT: INVESTIGATE*"])


def test_on_fail_ok_turns_pytests_failure_into_go(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("optional", "/status/500", on_fail="ok"))
    result = run(pytester)
    assert result.ret == 0
    assert by_id(verdict(pytester))["optional"]["outcome"] == "failed"


def test_an_error_is_rollback_by_default(pytester: pytest.Pytester) -> None:
    write_gate(pytester, f"http://127.0.0.1:{closed_port()}", http_check("health", "/health"))
    result = run(pytester)
    assert result.ret == 1
    check = by_id(verdict(pytester))["health"]
    assert (check["outcome"], check["decision"]) == ("error", "rollback")
    assert "connection refused" in check["reason"]


def test_on_error_investigate_is_respected(pytester: pytest.Pytester) -> None:
    write_gate(
        pytester, f"http://127.0.0.1:{closed_port()}", http_check("h", "/", on_error="investigate")
    )
    assert run(pytester).ret == 10


def test_nothing_selected_is_incomplete_with_exit_5(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("health", "/health"))
    result = run(pytester, "-m", "postdeploy")
    assert result.ret == 5
    result.stdout.fnmatch_lines(
        [
            "*VERDICT: INCOMPLETE*",
            "*No check ran*",
            "deploygate: -m 'postdeploy' selected none of the declared checks; their phases: smoke",
        ]
    )
    assert verdict(pytester)["verdict"] == "INCOMPLETE"


def test_all_skipped_is_incomplete_with_exit_5(pytester: pytest.Pytester, http_base: str) -> None:
    write_gate(pytester, http_base, extra='paths = ["checks"]')
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_x():\n    pytest.skip('not today')\n"
    )
    result = run(pytester)
    assert result.ret == 5
    assert verdict(pytester)["checks"][0]["decision"] is None


def test_a_rule_raises_a_passed_check_to_investigate(
    pytester: pytest.Pytester, http_base: str
) -> None:
    rules = (
        '[[decision.rules]]\nmeasurement = "http.latency"\n'
        'above = "300ms"\ndecision = "investigate"\n'
    )
    write_gate(pytester, http_base, http_check("slow", "/slow?s=0.5"), extra=rules)
    result = run(pytester)
    assert result.ret == 10
    check = by_id(verdict(pytester))["slow"]
    assert check["outcome"] == "passed"
    assert check["duration_s"] >= 0.5  # the probe's own time, though it ran ahead of the item
    assert check["rules"][0]["measurement"] == "http.latency"
    result.stdout.fnmatch_lines(["*INVESTIGATE*slow*http.latency*above 300ms*"])


def test_a_predeploy_rollback_says_do_not_deploy(pytester: pytest.Pytester, http_base: str) -> None:
    write_gate(pytester, http_base, http_check("db", "/status/500", phases='["predeploy"]'))
    result = run(pytester, "-m", "predeploy")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*VERDICT: ROLLBACK: do not deploy*"])
    assert verdict(pytester)["phases"] == ["predeploy"]


def test_an_interrupted_run_is_incomplete_and_keeps_exit_2(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, extra='paths = ["checks"]')
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_a():\n    pass\n\n"
        "@pytest.mark.smoke\ndef test_b():\n    raise KeyboardInterrupt\n"
    )
    result = pytester.runpytest_subprocess("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 2
    assert verdict(pytester)["verdict"] == "INCOMPLETE"
    result.stdout.fnmatch_lines(["*VERDICT: INCOMPLETE*", "*interrupted*"])


def test_a_usage_error_is_exit_4_and_writes_no_go(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("health", "/health", expect_stauts=200))
    result = run(pytester)
    assert result.ret == 4
    assert not (pytester.path / "verdict.json").exists()


def test_many_checks_failing_for_one_cause_are_summed_up_once(pytester: pytest.Pytester) -> None:
    checks = [http_check(f"c{i}", f"/p{i}") for i in range(4)]
    write_gate(pytester, f"http://127.0.0.1:{closed_port()}", *checks)
    result = run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*4 checks share one cause: connection refused*", "*ROLLBACK*c0*"])


def test_a_hung_endpoint_costs_its_timeout_and_gives_error(
    pytester: pytest.Pytester, silent_base: str
) -> None:
    write_gate(pytester, silent_base, http_check("hung", "/", timeout="1s"))
    result = run(pytester)
    assert result.ret == 1
    check = by_id(verdict(pytester))["hung"]
    assert check["outcome"] == "error"
    assert "no answer within the read timeout" in check["reason"]
    assert check["duration_s"] < 3


def test_a_check_interrupted_while_running_is_an_error_not_ok(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, extra='paths = ["checks"]')
    pytester.mkpydir("checks").joinpath("test_team.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_b():\n    raise KeyboardInterrupt\n"
    )
    result = pytester.runpytest_subprocess("--target=staging", "--verdict-json=verdict.json")
    assert result.ret == 2
    check = verdict(pytester)["checks"][0]
    assert (check["outcome"], check["reason"]) == ("error", "interrupted while this check ran")


def test_a_verdict_path_that_is_a_directory_is_a_usage_error(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("health", "/health"))
    pytester.mkdir("out")
    result = pytester.runpytest("--target=staging", "--verdict-json=out")
    assert result.ret == 4
    assert "--verdict-json: out is a directory." in result.stderr.str()


def test_a_verdict_file_from_an_earlier_run_never_outlives_a_failed_start(
    pytester: pytest.Pytester, http_base: str
) -> None:
    (pytester.path / "verdict.json").write_text('{"verdict": "GO"}')
    write_gate(pytester, http_base, http_check("health", "/health", expect_stauts=200))
    assert run(pytester).ret == 4
    assert not (pytester.path / "verdict.json").exists()


def test_setup_only_checks_nothing_and_is_never_a_go(
    pytester: pytest.Pytester, http_base: str
) -> None:
    write_gate(pytester, http_base, http_check("health", "/health"))
    result = run(pytester, "--setup-only")
    assert result.ret == 5
    assert verdict(pytester)["verdict"] == "INCOMPLETE"
