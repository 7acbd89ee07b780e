"""The gate's verdict inside pytest-html's report (pytest-html 4.x).

pytest-html builds one row per test report when a test's teardown report arrives
(its ``pytest_runtest_logreport`` is ``trylast``), and renders the file at the end of
its own ``trylast`` ``pytest_sessionfinish``. So a row asks the gate for the check's
decision at that moment (``decision_for`` is ready from the teardown report on), and
the banner reads ``result`` from ``pytest_html_results_summary``, which pytest-html
calls just before it writes the file.

pytest-html inserts row cells and summary fragments as raw HTML and does not escape
test ids, so every piece of text placed here goes through ``escape``: bodies, headers
and error messages of the target end up in reasons, and team-written test ids can hold
anything.

Checks whose result never arrived (crashed worker, interrupted run) have no report
for pytest-html to draw; they get a row added to its data just before it renders.

The decision filter is plain CSS (``:has``): pytest-html re-renders the table on every
sort and filter, and a stylesheet keeps working across re-renders without any script
of ours.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, MutableSequence
from html import escape
from typing import Any, Protocol

import pytest

from pytest_deploygate.decision import (
    GO,
    INCOMPLETE,
    INVESTIGATE,
    ROLLBACK,
    CheckDecision,
    FiredRule,
    GateResult,
)
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value

PLUGIN_NAME = "deploygate-html"
BANNER_TIMING = "deploygate-banner"

# Decisions worst first; "none" is a skipped check or a test that is not a check.
DECISION_ORDER = ("rollback", "investigate", "ok", "none")
_RANK = {name: index for index, name in enumerate(DECISION_ORDER)}
_BOUND_SIGN = {"max": "≤", "min": "≥", "eq": "="}
_MAX_LISTED = 25  # checks listed under the banner; the table holds all of them
_MAX_RULE_ROWS = 100

# Column names are single words: pytest-html reads them back with r"col-(\w+)".
_COLUMNS = (
    ("dgPhase", "Phase", True),
    ("dgDecision", "Decision", True),
    ("dgMeasured", "Measured", False),
    ("dgThreshold", "Threshold", False),
)


class GateView(Protocol):
    """What the report needs from the gate session (session.GateSession)."""

    def decision_for(self, nodeid: str) -> CheckDecision | None: ...

    @property
    def result(self) -> GateResult | None: ...

    @property
    def mask(self) -> Callable[[str], str]: ...


def register(config: pytest.Config, gate: GateView) -> None:
    """Add the verdict to pytest-html's report when this run writes one.

    Only on the controller: pytest-html builds the file there, from reports that
    pytest-xdist workers send back. ``-p no:deploygate-html`` leaves the report plain.
    """
    if hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("html"):
        return
    if not config.getoption("htmlpath", None):
        return
    config.pluginmanager.register(HtmlReporter(gate), PLUGIN_NAME)


class HtmlReporter:
    """pytest-html hook implementations; registered by ``register``."""

    def __init__(self, gate: GateView) -> None:
        self._gate = gate
        # Reasons arrive masked already; this catches secrets in config-made text too.
        self._mask = gate.mask
        self._report: Any = None  # pytest_html.report_data.ReportData (untyped)

    def pytest_html_report_title(self, report: Any) -> None:
        self._report = report
        # Worst decision first unless the user chose another initial sort.
        if report.config.getini("initial_sort") == "result":
            report.set_data("initialSort", "dgDecision")

    def pytest_html_results_table_header(self, cells: MutableSequence[str]) -> None:
        at = _after_test_column(cells, 'data-column-type="testId"')
        for offset, (name, label, sortable) in enumerate(_COLUMNS):
            cls = ' class="sortable"' if sortable else ""
            cells.insert(at + offset, f'<th{cls} data-column-type="{name}">{label}</th>')

    @pytest.hookimpl(trylast=True)
    def pytest_html_results_table_row(self, report: Any, cells: MutableSequence[str]) -> None:
        if not cells or not _shown(report):  # dropped by another plugin, or by pytest-html
            return
        _escape_test_id(report, cells, self._mask)
        nodeid = str(report.nodeid)
        decided = self._gate.decision_for(nodeid) if nodeid else None
        at = _after_test_column(cells, 'class="col-testId"')
        ours = row_cells(decided, getattr(report, "deploygate", None))
        cells[at:at] = [self._mask(c) for c in ours]

    def pytest_html_results_table_html(self, report: Any, data: MutableSequence[str]) -> None:
        if not _shown(report):
            return
        decided = self._gate.decision_for(str(report.nodeid)) if report.nodeid else None
        reason = row_reason(decided, report)
        if not reason:
            return
        # ``data`` holds pytest-html's already escaped log; the reason goes first, on one
        # line, and the traceback folds away under it.
        log = "\n".join(data)
        data[:] = [
            self._mask(
                f'<div class="dg-reason">{reason}</div>'
                f'<details class="dg-trace"><summary>traceback and output</summary>{log}</details>'
            )
        ]

    def pytest_html_results_summary(
        self,
        prefix: MutableSequence[str],
        summary: MutableSequence[str],
        postfix: MutableSequence[str],
        session: pytest.Session,
    ) -> None:
        result = self._gate.result
        prefix.insert(0, STYLE + self._mask(render_banner(result)))
        summary.append(self._mask(render_decision_filter(result)))
        if self._report is not None:
            self._report.title = self._mask(page_title(result))
            if result is not None:
                self._add_missing_rows(result)

    def _add_missing_rows(self, result: GateResult) -> None:
        """A row for each check whose result never arrived (a crashed pytest-xdist worker,
        an interrupted run). pytest-html draws rows only for reports it received, yet such
        a check is an error in the verdict; the report must not look cleaner than that."""
        data = getattr(self._report, "data", None)
        tests = data.get("tests") if isinstance(data, dict) else None
        header = getattr(self._report, "table_header", None)
        if tests is None or not isinstance(header, list):
            return  # a pytest-html whose internals differ: the banner still counts them
        for decided in result.checks:
            nodeid = decided.record.nodeid
            if tests.get(nodeid) or decided.record.outcome != "error":
                continue
            row = missing_row(decided, header, self._mask)
            tests[nodeid].append(row)
            self._report.outcomes = "error"  # pytest-html's setter: one more "Errors"


def missing_row(
    decided: CheckDecision, header: list[str], mask: Callable[[str], str] = str
) -> dict[str, Any]:
    """A pytest-html row (as its page script reads it) for a check without reports."""
    cells = [mask(c) for c in row_cells(decided, None)]
    ours = dict(zip((name for name, _, _ in _COLUMNS), cells, strict=True))
    known = {
        "result": '<td class="col-result">Error</td>',
        "testId": f'<td class="col-testId">{escape(mask(decided.record.nodeid))}</td>',
        "duration": '<td class="col-duration">0 ms</td>',
        **ours,
    }
    row: dict[str, Any] = {"extras": [], "resultsTableRow": []}
    for th in header:
        match = re.search(r'data-column-type="(\w+)"', th)
        name = match.group(1) if match else ""
        td = known.get(name, '<td class="col-links"></td>' if "Links" in th else "<td></td>")
        row["resultsTableRow"].append(td)
        if name and "sortable" in th:
            row[name] = td.split(">", 1)[1].rsplit("</td>", 1)[0]
    row["log"] = mask(f'<div class="dg-reason">{row_reason(decided, None)}</div>')
    return row


def _shown(report: Any) -> bool:
    """Whether pytest-html keeps a row for this report (it drops passed setup and
    teardown reports after building their rows): work only for rows that are shown."""
    return getattr(report, "when", "call") in ("call", "collect") or not report.passed


def _after_test_column(cells: MutableSequence[str], marker: str) -> int:
    for index, cell in enumerate(cells):
        if marker in cell:
            return index + 1
    return min(2, len(cells))


def _escape_test_id(report: Any, cells: MutableSequence[str], mask: Callable[[str], str]) -> None:
    """pytest-html puts the raw node id into the cell; replace it with its escaped form."""
    test_id = str(report.nodeid)
    when = getattr(report, "when", "call")
    if when != "call":
        test_id += f"::{when}"
    raw = f'<td class="col-testId">{test_id}</td>'
    for index, cell in enumerate(cells):
        if cell == raw:
            cells[index] = f'<td class="col-testId">{escape(mask(test_id))}</td>'
            return


def decision_name(decided: CheckDecision | None) -> str:
    if decided is None or decided.decision is None:
        return "none"
    return decided.decision


def row_cells(decided: CheckDecision | None, info: dict[str, Any] | None) -> list[str]:
    """The Phase, Decision, Measured and Threshold cells of one row, escaped."""
    if decided is not None:
        phases: Iterable[str] = decided.record.phases
        measurements: Iterable[Measurement] = decided.record.measurements
        fired: tuple[FiredRule, ...] = decided.fired
    else:
        # A row for a test the gate has no decision for (yet): show what the report says.
        phases = (info or {}).get("phases", ()) or ()
        measurements = [Measurement.from_dict(m) for m in (info or {}).get("measurements", ())]
        fired = ()
    name = decision_name(decided)
    label = "" if name == "none" else name
    measured, thresholds = _measurement_lines(measurements, fired)
    # Cells stay on one line: pytest-html reads sortable cells back with a regex, and
    # the rank attribute written first makes its string sort put the worst decision first.
    return [
        f'<td class="col-dgPhase">{escape(", ".join(phases))}</td>',
        f'<td class="col-dgDecision"><span data-rank="{_RANK[name]}" '
        f'class="dg-d dg-d-{name}">{escape(label)}</span></td>',
        f'<td class="col-dgMeasured">{measured}</td>',
        f'<td class="col-dgThreshold">{thresholds}</td>',
    ]


def _measurement_lines(
    measurements: Iterable[Measurement], fired: tuple[FiredRule, ...]
) -> tuple[str, str]:
    measured: list[str] = []
    thresholds: list[str] = []
    for m in measurements:
        tripped = [f for f in fired if f.measurement == m and f.decision != "ok"]
        cls = ' class="dg-tripped"' if tripped else ""
        # "2.41s, baseline 1.10s (+119%)" when a relative rule compared it.
        shown = next(
            (f.shown for f in tripped if f.baseline is not None), format_value(m.value, m.unit)
        )
        measured.append(f"<div{cls}>{escape(m.name)} {escape(shown)}</div>")
        limits = []
        if m.threshold is not None:
            sign = _BOUND_SIGN.get(m.bound or "max", "≤")
            limits.append(f"{sign} {format_value(m.threshold, m.unit)}")
        limits.extend(_rule_limit(f) for f in tripped)
        # A dash keeps each threshold on the line of its measurement.
        thresholds.append(f"<div{cls}>{escape('; '.join(limits) or '–')}</div>")
    return "".join(measured), "".join(thresholds)


def _rule_limit(fired: FiredRule) -> str:
    if fired.rule.relative:
        problem = f" ({fired.problem})" if fired.problem else ""
        return f"rule {fired.index + 1}: {fired.relative_limit}{problem}"
    if fired.threshold is None:
        return f"rule {fired.index + 1}: {fired.rule.raw_threshold} (does not fit the unit)"
    sign = ">" if fired.rule.is_above else "<"
    unit = fired.measurement.unit
    persistence = fired.rule.persistence
    held = f" {persistence.describe()}" if persistence is not None else ""
    return f"rule {fired.index + 1}: {sign} {format_value(fired.threshold, unit)}{held}"


def row_reason(decided: CheckDecision | None, report: Any) -> str:
    """The escaped one-line reason shown above a row's traceback, or '' for none."""
    text = decided.reason if decided is not None else ""
    if not text and getattr(report, "failed", False):
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        text = str(getattr(crash, "message", "") or "")
    text = " ".join(text.split())
    if not text:
        return ""
    name = decision_name(decided)
    head = f'<span class="dg-d dg-d-{name}">{escape(name)}</span> ' if name != "none" else ""
    return head + escape(text)


def page_title(result: GateResult | None) -> str:
    """The report's title (also the browser tab's): the verdict first."""
    if result is None:
        return f"{INCOMPLETE} · deploygate"
    return f"{result.headline} · {result.target} · deploygate"


def render_banner(result: GateResult | None) -> str:
    """The verdict block: headline, facts, counts, what is not ok, the rules that fired."""
    if result is None:
        return (
            f'<section id="deploygate-verdict" class="dg-banner dg-v-incomplete">'
            f'<div class="dg-headline" elementtiming="{BANNER_TIMING}">{INCOMPLETE}</div>'
            f'<p class="dg-note">The gate reached no verdict: the run stopped before it '
            f"could decide. Treat this as not verified.</p></section>"
        )
    verdict_cls = {GO: "go", INVESTIGATE: "investigate", ROLLBACK: "rollback"}.get(
        result.verdict, "incomplete"
    )
    facts = [
        ("exit code", str(result.exit_code)),
        ("target", result.target),
        ("phases", ", ".join(result.phases) or "(all)"),
        ("started", result.started_at),
        ("finished", result.finished_at),
    ]
    facts_html = "".join(
        f'<div class="dg-fact"><span class="dg-k">{escape(k)}</span> '
        f'<span class="dg-val">{escape(v)}</span></div>'
        for k, v in facts
    )
    counts_html = "".join(
        f'<span class="dg-count dg-d-{name}">{_count(result, name)} '
        f"{'skipped' if name == 'none' else name}</span>"
        for name in DECISION_ORDER
    )
    parts = [
        f'<section id="deploygate-verdict" class="dg-banner dg-v-{verdict_cls}">',
        # elementtiming: lets a browser report when the verdict was painted (bench/).
        f'<div class="dg-headline" elementtiming="{BANNER_TIMING}">{escape(result.headline)}</div>',
        f'<div class="dg-facts">{facts_html}</div>',
        f'<div class="dg-counts">{counts_html}</div>',
        "</section>",
        render_not_ok(result),
        render_fired_rules(result),
    ]
    return "".join(parts)


def _count(result: GateResult, name: str) -> int:
    return result.count(None if name == "none" else name)


def render_not_ok(result: GateResult) -> str:
    """One line per check whose decision is not ok, worst first (as in the terminal)."""
    bad = result.not_ok
    if not bad:
        return ""
    items = "".join(
        f'<li><span class="dg-d dg-d-{escape(c.decision or "none")}">{escape(c.decision or "")}'
        f"</span> <code>{escape(c.record.id)}</code> ({escape(c.record.outcome)}): "
        f"{escape(' '.join(c.reason.split()))}</li>"
        for c in bad[:_MAX_LISTED]
    )
    more = len(bad) - _MAX_LISTED
    tail = f"<li>… and {more} more in the table below</li>" if more > 0 else ""
    return f'<div class="dg-why"><h3>Why</h3><ul>{items}{tail}</ul></div>'


def render_fired_rules(result: GateResult) -> str:
    """Each decision rule that raised a check: the measurement against its threshold."""
    rows = [(c, f) for c in result.checks for f in c.fired if f.decision != "ok"]
    if not rows:
        return ""
    rows.sort(key=lambda cf: _RANK[cf[1].decision])
    body = "".join(
        "<tr>"
        f"<td>{f.index + 1}</td>"
        f'<td><span class="dg-d dg-d-{f.decision}">{escape(f.decision)}</span></td>'
        f"<td><code>{escape(c.record.id)}</code></td>"
        f"<td>{escape(f.measurement.name)}</td>"
        f"<td>{escape(f.shown)}</td>"
        f"<td>{escape(_rule_limit(f).split(': ', 1)[1])}</td>"
        f"<td>{escape(f.rule.description)}</td>"
        "</tr>"
        for c, f in rows[:_MAX_RULE_ROWS]
    )
    more = len(rows) - _MAX_RULE_ROWS
    tail = f'<p class="dg-more">… and {more} more: see the rows below</p>' if more > 0 else ""
    return (
        '<div class="dg-rules"><h3>Rules that fired</h3><table class="dg-table">'
        "<thead><tr><th>rule</th><th>decision</th><th>check</th><th>measurement</th>"
        "<th>measured</th><th>threshold</th><th>note</th></tr></thead>"
        f"<tbody>{body}</tbody></table>{tail}</div>"
    )


def render_decision_filter(result: GateResult | None) -> str:
    """Checkboxes that hide rows by decision (pure CSS, see STYLE)."""
    boxes = "".join(
        f'<label class="dg-filter-box"><input type="checkbox" checked id="dg-show-{name}"> '
        f'<span class="dg-d dg-d-{name}">{_count(result, name) if result else 0} '
        f"{'skipped / not a check' if name == 'none' else name}</span></label>"
        for name in DECISION_ORDER
    )
    return f'<div class="dg-filter"><span class="dg-k">Decision:</span> {boxes}</div>'


_FILTER_CSS = "".join(
    f"body:has(#dg-show-{name}:not(:checked)) #results-table "
    f"tbody.results-table-row:has(.col-dgDecision .dg-d-{name}) {{ display: none; }}\n"
    for name in DECISION_ORDER
)

# Placed in the page body (works with and without --self-contained-html). The body
# becomes a flex column so the summary with the banner sits right under the title and
# pytest-html's long environment table moves below the results; the "Summary" heading
# above the banner is hidden so the verdict comes first.
STYLE = (
    "<style>\n"
    "body { display: flex; flex-direction: column; }\n"
    "#environment-header, #environment { order: 1; }\n"
    "footer { order: 2; }\n"
    ".summary__data > h2 { display: none; }\n"
    ".dg-banner { color: #fff; padding: 14px 20px; border-radius: 6px; margin: 8px 0; }\n"
    ".dg-v-go { background: #1b7f3b; }\n"
    ".dg-v-investigate { background: #f0a000; color: #111; }\n"
    ".dg-v-rollback { background: #b00020; }\n"
    ".dg-v-incomplete { background: #555; }\n"
    ".dg-headline { font-size: 44px; font-weight: 800; letter-spacing: 1px; }\n"
    ".dg-facts { display: flex; flex-wrap: wrap; gap: 4px 22px; margin-top: 8px;"
    " font-size: 14px; }\n"
    ".dg-k { opacity: .8; }\n"
    ".dg-val { font-weight: bold; }\n"
    ".dg-counts { margin-top: 8px; font-size: 15px; }\n"
    ".dg-counts .dg-count { background: rgba(255,255,255,.9); border-radius: 3px;"
    " padding: 2px 8px; margin-right: 8px; font-weight: bold; }\n"
    ".dg-note { color: inherit; font-size: 14px; }\n"
    ".dg-why, .dg-rules { color: #111; font-size: 13px; }\n"
    ".dg-why ul { margin: 4px 0; padding-left: 20px; }\n"
    ".dg-table { margin: 4px 0 8px; }\n"
    ".dg-table th, .dg-table td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }\n"
    ".dg-d { font-weight: bold; }\n"
    ".dg-d-rollback { color: #b00020; }\n"
    ".dg-d-investigate { color: #a86400; }\n"
    ".dg-d-ok { color: #1b7f3b; }\n"
    ".dg-d-none { color: #777; }\n"
    ".dg-filter { margin: 6px 0; color: #111; }\n"
    ".dg-filter-box { margin-right: 12px; }\n"
    "#results-table td.col-dgMeasured, #results-table td.col-dgThreshold { color: #222; }\n"
    ".dg-tripped { color: #b00020; font-weight: bold; }\n"
    ".dg-reason { font-family: Helvetica, Arial, sans-serif; font-size: 14px;"
    " white-space: normal; margin-bottom: 4px; }\n"
    ".dg-trace > summary { cursor: pointer; color: #555; }\n" + _FILTER_CSS + "</style>"
)
