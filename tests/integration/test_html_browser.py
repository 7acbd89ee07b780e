"""A generated report, loaded in headless Chromium: what a person on call would see.

The gate runs against a server that answers with markup and script in its status
reason, a header and its body; a team-written test carries markup in its id.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_deploygate.reporters.html import DECISION_ORDER
from tests.plugin.helpers import http_check, write_gate
from tests.support.browser import (
    devtools_page,
    dump_dom,
    keep_artifact,
    parse_page,
    require_chromium,
    screenshot,
)
from tests.support.evilserver import CANARY_TAG, PAYLOAD, evil_server

TEAM_TEST = f"""
import pytest

@pytest.mark.smoke
@pytest.mark.parametrize("name", ["<img src=x onerror=document.title='pwned'>"])
def test_team(name):
    assert name == "x", {PAYLOAD!r}
"""
CHECKS = 5  # declared below, plus the team test: one row each
VISIBLE_ROWS = (
    "[...document.querySelectorAll('#results-table tbody.results-table-row')]"
    ".filter(e => e.offsetParent !== null).length"
)


@pytest.fixture(scope="module")
def evil_base() -> Iterator[str]:
    with evil_server() as url:
        yield url


@pytest.fixture
def report(pytester: pytest.Pytester, evil_base: str) -> Path:
    require_chromium()
    write_gate(
        pytester,
        evil_base,
        http_check("health", "/ok", expect_json={"status": "healthy"}),
        http_check("calm", "/ok"),
        http_check("body", "/evil"),
        http_check("header", "/ok", expect_headers={"X-Evil": "calm"}),
        http_check("slow", "/ok"),
        extra='paths = ["team"]\n\n[[decision.rules]]\nmeasurement = "http.latency"\n'
        'check = "slow"\nabove = "0ms"\ndecision = "investigate"\n',
    )
    pytester.makepyfile(**{"team/test_team": TEAM_TEST})
    result = pytester.runpytest(
        "--target=staging", "--html=report.html", "--self-contained-html", "-p", "no:cacheprovider"
    )
    assert result.ret == 1
    return pytester.path / "report.html"


def test_chromium_shows_the_banner_and_every_row_and_runs_nothing_from_the_target(
    report: Path, tmp_path: Path
) -> None:
    page = parse_page(dump_dom(report, tmp_path))
    assert page.title == "ROLLBACK · staging · deploygate"
    assert page.headline == "ROLLBACK"
    assert page.rows == CHECKS + 1
    # Worst decision first, as pytest-html sorted them in the page.
    assert page.decisions == sorted(page.decisions, key=lambda d: DECISION_ORDER.index(d or "none"))
    assert page.decisions[:3] == ["rollback"] * 3
    # Nothing the target sent became an element, and no injected script ran.
    assert CANARY_TAG not in page.tags
    assert "b" not in page.tags
    assert len(page.scripts) == 1  # pytest-html's own


def test_the_decision_filter_hides_rows_in_the_browser(report: Path, tmp_path: Path) -> None:
    with devtools_page(tmp_path) as page:
        page.load(report)
        assert page.evaluate(VISIBLE_ROWS) == CHECKS + 1
        page.evaluate("document.getElementById('dg-show-rollback').click()")
        assert page.evaluate(VISIBLE_ROWS) == CHECKS + 1 - 3
        page.evaluate("document.getElementById('dg-show-ok').click()")
        assert page.evaluate(VISIBLE_ROWS) == 1  # the investigate row
        assert page.evaluate("document.title") == "ROLLBACK · staging · deploygate"


def test_a_screenshot_of_the_report_is_kept(report: Path, tmp_path: Path) -> None:
    shot = screenshot(report, tmp_path / "rollback-report.png", tmp_path)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000  # a blank page compresses to a few hundred bytes
    keep_artifact(shot)
