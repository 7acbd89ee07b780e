"""The verdict inside pytest-html's report, through real gates against loopback servers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_deploygate.reporters.html import PLUGIN_NAME
from tests.plugin.helpers import http_check, write_gate
from tests.support.evilserver import PAYLOAD, evil_server
from tests.support.htmlreport import cell, report_data, rows, static_part, text
from tests.support.httpserver import closed_port

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


def test_two_xdist_workers_give_the_same_rows_and_verdict(
    pytester: pytest.Pytester, evil_base: str
) -> None:
    write_evil_gate(pytester, evil_base)
    result = run_html(pytester, "-n", "2", subprocess=True)
    assert result.ret == 1
    report = pytester.path / "report.html"
    assert decisions_by_id(report) == EXPECTED
    assert headline(static_part(report)) == "ROLLBACK"


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
