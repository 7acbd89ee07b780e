"""The verdict inside pytest-html's report, through real gates against loopback servers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest
from packaging.requirements import Requirement

from pytest_deploygate.reporters.html import PLUGIN_NAME
from tests.plugin.helpers import http_check, write_gate
from tests.support.evilserver import PAYLOAD, evil_server
from tests.support.htmlreport import cell, report_data, rows, static_part, text
from tests.support.httpserver import closed_port
from tests.support.need import need_server

# The lowest and the highest pytest-html the package supports (pyproject.toml pins
# ">=4.1,<5"; docs/html-report.md names the same two).
SUPPORTED_PYTEST_HTML = ("4.1.0", "4.2.0")

# Decisions of the gate below: what the server answers and one rule make each of them.
EXPECTED = {
    "body": "rollback",
    "header": "rollback",
    "refused": "rollback",
    "health": "investigate",
    "calm": "ok",
}
RULE = """
[[decision.rules]]
measurement = "http.latency"
check = "health"
above = "0ms"
decision = "investigate"
description = "any latency on health: <i>watch it</i>"
"""
TEAM_TEST = f"""
import pytest

@pytest.mark.smoke
@pytest.mark.parametrize("name", ["<i>it</i>"])
def test_team(name):
    assert name == "x", {PAYLOAD!r}
"""

CRASHING_TEAM_TEST = """
import os
import pytest

@pytest.mark.smoke
def test_crashes():
    os._exit(3)
"""


@pytest.fixture(scope="module")
def evil_base() -> Iterator[str]:
    with evil_server() as url:
        yield url


def write_evil_gate(pytester: pytest.Pytester, base: str, *, phases: str = '["smoke"]') -> None:
    write_gate(
        pytester,
        base,
        http_check("health", "/ok", phases, expect_json={"status": "healthy"}),
        http_check("calm", "/ok", phases),
        http_check("body", "/evil", phases),
        http_check("header", "/ok", phases, expect_headers={"X-Evil": "calm"}),
        refused_check(phases),
        extra=RULE,
    )


def refused_check(phases: str) -> str:
    url = f"http://127.0.0.1:{closed_port()}/"
    return f'[[checks]]\nid = "refused"\ntype = "http"\nphases = {phases}\nurl = "{url}"\n\n'


def section(page: str, element_id: str) -> str:
    match = re.search(rf'<section id="{element_id}"[^>]*>(.*?)</section>', page, re.S)
    assert match, f"no #{element_id} in the report"
    return match.group(1)


def headline(page: str) -> str:
    match = re.search(r'<div class="dg-headline"[^>]*>([^<]*)</div>', page)
    assert match, "no headline in the report"
    return match.group(1)


def run_html(pytester: pytest.Pytester, *args: str, subprocess: bool = False) -> pytest.RunResult:
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    return run("--target=staging", "--html=report.html", "-p", "no:cacheprovider", *args)


def decisions_by_id(report: Path) -> dict[str, str]:
    found = {}
    for row in rows(report):
        test_id = text(cell(row, "testId"))
        found[test_id.rsplit("[", 1)[-1].rstrip("]")] = text(cell(row, "dgDecision"))
    return found


def test_a_rollback_report_leads_with_the_verdict_and_why(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_evil_gate(pytester, evil_base)
    result = run_html(pytester)
    assert result.ret == 1
    report = pytester.path / "report.html"
    page = static_part(report)
    words = " ".join(text(section(page, "deploygate-verdict")).split())
    assert words.startswith("ROLLBACK")
    for fact in ("exit code 1", "target staging", "phases smoke", "3 rollback", "1 investigate"):
        assert fact in words
    assert '<title id="head-title">ROLLBACK · staging · deploygate</title>' in page
    rules = text(page.split('class="dg-rules"', 1)[1].split("</table>", 1)[0])
    assert "investigate health http.latency" in " ".join(rules.split())
    assert "> 0ms" in rules
    assert decisions_by_id(report) == EXPECTED


def test_rows_carry_phase_decision_measured_threshold_and_reason_first(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_evil_gate(pytester, evil_base)
    run_html(pytester)
    report = pytester.path / "report.html"
    head = report.read_text().split('id="results-table-head"', 1)[1].split("</thead>", 1)[0]
    columns = re.findall(r"<th[^>]*>([^<]*)</th>", head)
    assert columns[:6] == ["Result", "Test", "Phase", "Decision", "Measured", "Threshold"]
    by_check = {text(cell(r, "testId")).rsplit("[", 1)[-1].rstrip("]"): r for r in rows(report)}
    health = by_check["health"]
    assert text(cell(health, "dgPhase")) == "smoke"
    assert text(cell(health, "dgMeasured")).startswith("http.latency ")
    assert "rule 1: > 0ms" in text(cell(health, "dgThreshold"))
    refused = by_check["refused"]["log"]
    # The one-line reason comes first, the traceback folds away below it.
    assert refused.startswith('<div class="dg-reason"><span class="dg-d dg-d-rollback">rollback')
    assert "connection refused" in refused.split("</div>", 1)[0]
    assert '<details class="dg-trace">' in refused
    assert report_data(report)["initialSort"] == "dgDecision"


def test_markup_from_the_target_and_test_ids_is_escaped(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_evil_gate(pytester, evil_base)
    pytester.makepyfile(**{"team/test_team": TEAM_TEST})
    pytester.path.joinpath("deploygate.toml").write_text(
        'paths = ["team"]\n' + pytester.path.joinpath("deploygate.toml").read_text()
    )
    run_html(pytester)
    report = pytester.path / "report.html"
    # The payload reached the report (as text) through reason, header value and body ...
    stored = json.dumps(report_data(report))
    assert "&lt;img src=x onerror=" in stored
    assert "header X-Evil is" in stored
    # ... and never as markup: neither in the page nor in the HTML its script inserts.
    for fragment in [static_part(report)] + [
        "".join(row["resultsTableRow"]) + row["log"] for row in rows(report)
    ]:
        assert "<img src=x" not in fragment
        assert "<script>document" not in fragment
        assert "<i>it</i>" not in fragment
    team = [r for r in rows(report) if "test_team" in cell(r, "testId")]
    assert text(cell(team[0], "testId")).endswith("test_team[<i>it</i>]")
    assert text(cell(team[0], "dgDecision")) == "rollback"


def test_a_self_contained_report_carries_banner_and_styles(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_evil_gate(pytester, evil_base)
    run_html(pytester, "--self-contained-html")
    report = pytester.path / "report.html"
    page = static_part(report)
    assert 'class="dg-banner dg-v-rollback"' in page
    assert ".dg-v-rollback { background:" in page
    assert '<link href="assets' not in page
    assert decisions_by_id(report) == EXPECTED


def test_a_predeploy_rollback_reads_do_not_deploy(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_evil_gate(pytester, evil_base, phases='["predeploy"]')
    assert run_html(pytester, "-m", "predeploy").ret == 1
    page = static_part(pytester.path / "report.html")
    assert headline(page) == "ROLLBACK: do not deploy"


def test_nothing_selected_is_an_incomplete_banner(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_evil_gate(pytester, evil_base)
    result = run_html(pytester, "-m", "postdeploy")
    assert result.ret == 5
    page = static_part(pytester.path / "report.html")
    assert 'class="dg-banner dg-v-incomplete"' in page
    assert headline(page) == "INCOMPLETE"


def test_blocking_our_plugin_leaves_pytest_htmls_report_plain(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_evil_gate(pytester, evil_base)
    result = run_html(pytester, "-p", f"no:{PLUGIN_NAME}")
    assert result.ret == 1  # the verdict does not depend on the report
    page = static_part(pytester.path / "report.html")
    assert "deploygate-verdict" not in page
    assert "col-dgDecision" not in json.dumps(report_data(pytester.path / "report.html"))


def test_without_target_the_report_is_untouched(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("--html=report.html", "-p", "no:cacheprovider")
    assert result.ret == 0
    page = (pytester.path / "report.html").read_text()
    assert "deploygate-verdict" not in page
    assert "dgDecision" not in page


ERRORING_TEAM_TEST = f"""
import pytest

@pytest.fixture
def broken():
    raise ConnectionError({PAYLOAD!r})

@pytest.mark.smoke
def test_uses_broken(broken):
    pass
"""


def test_a_check_erroring_in_setup_gets_its_row_decision_and_escaped_reason(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_gate(pytester, evil_base, http_check("calm", "/ok"), extra='paths = ["team"]\n')
    pytester.makepyfile(**{"team/test_team": ERRORING_TEAM_TEST})
    assert run_html(pytester).ret == 1
    report = pytester.path / "report.html"
    errored = [r for r in rows(report) if r["result"] == "Error"]
    assert len(errored) == 1
    assert text(cell(errored[0], "testId")).endswith("test_uses_broken::setup")
    assert text(cell(errored[0], "dgDecision")) == "rollback"
    assert errored[0]["log"].startswith('<div class="dg-reason">')
    assert "<img src=x" not in errored[0]["log"]
    assert PAYLOAD in text(errored[0]["log"].split("</div>", 1)[0])  # shown as text


def test_a_collection_error_gives_an_incomplete_banner_and_its_row(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_gate(pytester, evil_base, http_check("calm", "/ok"), extra='paths = ["team"]\n')
    pytester.makepyfile(**{"team/test_team": f"raise ImportError({PAYLOAD!r})\n"})
    result = run_html(pytester)
    assert result.ret == 2  # pytest's "interrupted": collection failed
    report = pytester.path / "report.html"
    assert headline(static_part(report)) == "INCOMPLETE"
    collected = [r for r in rows(report) if "team/test_team.py" in cell(r, "testId")]
    assert [r["result"] for r in collected] == ["Error"]
    assert "<img src=x" not in json.dumps(collected)


def test_the_demo_with_a_fault_gives_a_rollback_report_with_a_row_per_check(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest(
        "--target=demo",
        "--demo-fault=health-500",
        "--html=report.html",
        "--verdict-json=verdict.json",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == 1
    report = pytester.path / "report.html"
    verdict = json.loads((pytester.path / "verdict.json").read_text())
    assert headline(static_part(report)) == "ROLLBACK"
    assert decisions_by_id(report) == {c["id"]: c["decision"] or "" for c in verdict["checks"]}


def test_checks_an_interrupted_run_never_reached_get_error_rows(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_gate(pytester, evil_base, http_check("calm", "/ok"), extra='paths = ["team"]\n')
    pytester.makepyfile(**{"team/test_team": "def test_stop():\n    raise KeyboardInterrupt\n"})
    # In a subprocess: an inline run would pass the KeyboardInterrupt on to this session.
    assert run_html(pytester, "team", subprocess=True).ret == 2
    report = pytester.path / "report.html"
    assert headline(static_part(report)) == "INCOMPLETE"
    by_check = {text(cell(r, "testId")): r for r in rows(report)}
    never_run = [r for t, r in by_check.items() if t.endswith("test_http[calm]")]
    assert [r["result"] for r in never_run] == ["Error"]
    assert "interrupted" in text(never_run[0]["log"])
    assert report_data(report)["tests"]  # and pytest-html still wrote its own rows


def test_secrets_from_config_and_target_answers_are_masked_in_the_report(
    pytester: pytest.Pytester, http_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "tok-8f3a9c2e41"
    monkeypatch.setenv("DEPLOY_TOKEN", secret)
    write_gate(
        pytester,
        http_base,
        # /headers echoes the request headers: the token comes back in the body.
        http_check(
            "echo",
            "/headers",
            headers={"Authorization": "Bearer ${DEPLOY_TOKEN}"},
            expect_json={"Authorization": "nope"},
        ),
        extra='[[decision.rules]]\nmeasurement = "http.latency"\nabove = "0ms"\n'
        'decision = "investigate"\ndescription = "page the owner of ${DEPLOY_TOKEN}"\n',
    )
    assert run_html(pytester).ret == 1
    page = (pytester.path / "report.html").read_text()
    assert secret not in page
    assert "page the owner of ***" in page


def test_the_supported_pytest_html_versions_are_the_pinned_and_documented_ones() -> None:
    root = Path(__file__).parents[2]
    pin = next(
        Requirement(dep)
        for dep in tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
        if dep.startswith("pytest-html")
    )
    docs = (root / "docs" / "html-report.md").read_text()
    for supported in SUPPORTED_PYTEST_HTML:
        assert pin.specifier.contains(supported)
        assert supported in docs
    assert not pin.specifier.contains("4.0.2")


@pytest.fixture(scope="module")
def pytest_html_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A directory holding each supported pytest-html (the gate's report is tested on
    both, with two pytest-xdist workers, one of which crashes), for PYTHONPATH; "" for the one
    installed here. Installed once per run from PyPI, without dependencies (quick)."""
    dirs = {}
    for wanted in SUPPORTED_PYTEST_HTML:
        if version("pytest-html") == wanted:
            dirs[wanted] = ""
            continue
        where = tmp_path_factory.mktemp(f"pytest-html-{wanted}")
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(where)]
        done = subprocess.run([*pip, f"pytest-html=={wanted}"], capture_output=True, timeout=300)
        if done.returncode != 0:
            need_server(f"pip could not install pytest-html=={wanted} (is PyPI reachable?)")
        dirs[wanted] = str(where)
    return dirs


@pytest.mark.parametrize("html_version", SUPPORTED_PYTEST_HTML)
def test_two_xdist_workers_give_the_same_rows_and_verdict_and_a_row_for_a_crash(
    pytester: pytest.Pytester,
    evil_base: str,
    pytest_html_dirs: dict[str, str],
    html_version: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONPATH", pytest_html_dirs[html_version])
    write_evil_gate(pytester, evil_base)
    pytester.makepyfile(**{"team/test_team": CRASHING_TEAM_TEST})
    config = pytester.path / "deploygate.toml"
    config.write_text('paths = ["team"]\n' + config.read_text())
    assert run_html(pytester, "-n", "2", subprocess=True).ret == 1
    report = pytester.path / "report.html"
    page = static_part(report)
    assert f"pytest-html</a>\n        v{html_version}</p>" in page  # that version wrote it
    assert headline(page) == "ROLLBACK"
    assert 'class="dg-rules"' in page and "dg-show-rollback" in page
    decisions = decisions_by_id(report)
    assert decisions.pop("team/test_team.py::test_crashes") == "rollback"
    assert decisions == EXPECTED
    crashed = [r for r in rows(report) if "test_crashes" in cell(r, "testId")]
    # pytest-xdist reports the crash in a report pytest-html draws no row for: ours.
    assert [r["result"] for r in crashed] == ["Error"]
    assert "crashed" in text(crashed[0]["log"])
    assert report_data(report)["initialSort"] == "dgDecision"
    assert "<img src=x" not in json.dumps(report_data(report))
