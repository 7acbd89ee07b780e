"""The gate's verdict inside pytest-html's report (pytest-html 4.1 and later 4.x).

The markup lives in Jinja2 templates beside this module (templates/report.html.jinja2,
one macro per piece; its header says how to extend it). This module decides what to
show and hands the rendered pieces to pytest-html through its documented hooks only:
``pytest_html_report_title``, ``pytest_html_results_table_header``,
``pytest_html_results_table_row``, ``pytest_html_results_table_html`` and
``pytest_html_results_summary``.

pytest-html builds one row per test report when a test's teardown report arrives (its
``pytest_runtest_logreport`` is ``trylast``), and renders the file at the end of its own
``trylast`` ``pytest_sessionfinish``. So a row asks the gate for the check's decision at
that moment (``decision_for`` is ready from the teardown report on), and the banner
reads ``result`` from ``pytest_html_results_summary``, which pytest-html calls just
before it writes the file.

pytest-html inserts row cells and summary fragments as raw HTML and does not escape test
ids, so every piece placed here is rendered with autoescaping, and the test id cell is
replaced with an escaped one: bodies, headers and error messages of the target end up in
reasons, and team-written test ids can hold anything.

Checks whose result never arrived (crashed worker, interrupted run) have no report for
pytest-html to draw. The gate hands pytest-html a report for each of them, as pytest
itself would (an ``error`` in teardown), so pytest-html draws and counts the row itself.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, MutableSequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import jinja2
import pytest
from markupsafe import Markup

from pytest_deploygate.decision import (
    GO,
    INCOMPLETE,
    INVESTIGATE,
    ROLLBACK,
    CheckDecision,
    FiredRule,
    GateResult,
)
from pytest_deploygate.errors import one_line
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.reporters.sparkline import svg_sparkline
from pytest_deploygate.units import format_value

PLUGIN_NAME = "deploygate-html"
BANNER_TIMING = "deploygate-banner"

# Decisions worst first; "none" is a skipped check or a test that is not a check.
DECISION_ORDER = ("rollback", "investigate", "ok", "none")
_RANK = {name: index for index, name in enumerate(DECISION_ORDER)}
_BOUND_SIGN = {"max": "≤", "min": "≥", "eq": "="}
_MAX_LISTED = 25  # checks listed under the banner; the table holds all of them
_MAX_RULE_ROWS = 100
_TEST_ID_CELL = '<td class="col-testId">'


@dataclass(frozen=True)
class Column:
    """One of our columns: its name (a single word, as pytest-html wants for a sortable
    column), heading, whether it sorts, and the template macro that draws its cell."""

    name: str
    label: str
    sortable: bool
    macro: str


COLUMNS = (
    Column("dgPhase", "Phase", True, "cell_dgPhase"),
    Column("dgDecision", "Decision", True, "cell_dgDecision"),
    Column("dgMeasured", "Measured", False, "cell_dgMeasured"),
    Column("dgThreshold", "Threshold", False, "cell_dgThreshold"),
)


@dataclass(frozen=True)
class MeasuredLine:
    """One measurement's line in the Measured and Threshold cells."""

    measurement: Measurement
    limits: tuple[str, ...]  # what the check held it to, then each rule it tripped
    tripped: bool
    versus: str = ""  # "baseline 1.10s (+119%)" when a relative rule compared it
    sparkline: Markup | None = None  # an inline <svg> of the samples, when there are some

    @property
    def css(self) -> str:
        """Classes of the line's <div> in both cells (the same, so they stay aligned)."""
        names = ["dg-tripped"] * self.tripped + ["dg-sampled"] * (self.sparkline is not None)
        return " ".join(names)


@dataclass(frozen=True)
class RowView:
    """What the cell macros draw for one row."""

    phases: tuple[str, ...]
    decision: str  # a DECISION_ORDER name
    label: str  # the decision as shown ("" for none)
    rank: int
    lines: tuple[MeasuredLine, ...]


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
    config.pluginmanager.register(HtmlReporter(config, gate), PLUGIN_NAME)


class HtmlReporter:
    """pytest-html hook implementations; registered by ``register``."""

    def __init__(self, config: pytest.Config, gate: GateView) -> None:
        self._config = config
        self._gate = gate
        # Reasons arrive masked already; this catches secrets in config-made text too.
        self._templates = Templates(gate.mask)
        self._report: Any = None  # pytest_html.report_data.ReportData (untyped)
        self._drawn: set[str] = set()  # node ids pytest-html drew a row for

    def pytest_html_report_title(self, report: Any) -> None:
        self._report = report
        # Worst decision first unless the user chose another initial sort. ``set_data``
        # is the report object's one setter besides ``title``; without it the table
        # keeps pytest-html's own order.
        if report.config.getini("initial_sort") == "result" and hasattr(report, "set_data"):
            report.set_data("initialSort", "dgDecision")

    def pytest_html_results_table_header(self, cells: MutableSequence[str]) -> None:
        at = _after(cells, 'data-column-type="testId"')
        cells[at:at] = [self._templates.header_cell(column) for column in COLUMNS]

    @pytest.hookimpl(trylast=True)
    def pytest_html_results_table_row(self, report: Any, cells: MutableSequence[str]) -> None:
        if not cells or not _shown(report):  # dropped by another plugin, or by pytest-html
            return
        nodeid = str(report.nodeid)
        self._drawn.add(nodeid)
        _replace_test_id(cells, self._templates.test_id_cell(_test_id(report)))
        decided = self._gate.decision_for(nodeid) if nodeid else None
        at = _after(cells, _TEST_ID_CELL)
        cells[at:at] = self._templates.row_cells(decided, getattr(report, "deploygate", None))

    def pytest_html_results_table_html(self, report: Any, data: MutableSequence[str]) -> None:
        if not _shown(report):
            return
        decided = self._gate.decision_for(str(report.nodeid)) if report.nodeid else None
        text = reason_text(decided, report)
        if not text:
            return
        # ``data`` holds pytest-html's already escaped log; the reason goes first, on one
        # line, and the traceback folds away under it.
        # pytest-html escaped it; secrets in captured output are masked in that form.
        log = Markup(self._gate.mask("\n".join(data)))
        data[:] = [self._templates.reason(decision_name(decided), text, log)]

    def pytest_html_results_summary(
        self,
        prefix: MutableSequence[str],
        summary: MutableSequence[str],
        postfix: MutableSequence[str],
        session: pytest.Session,
    ) -> None:
        result = self._gate.result
        prefix.insert(0, self._templates.style + self._templates.banner(result))
        summary.append(self._templates.decision_filter(result))
        if self._report is not None:
            self._report.title = self._gate.mask(page_title(result))
        if result is not None:
            self._report_missing(result)

    def _report_missing(self, result: GateResult) -> None:
        """A row for each check whose result never arrived (a crashed pytest-xdist worker,
        an interrupted run): such a check is an error in the verdict, and the report must
        not look cleaner than that. pytest-html gets the report pytest would have made."""
        for decided in result.checks:
            record = decided.record
            if record.outcome == "error" and record.nodeid not in self._drawn:
                _tell_pytest_html(self._config, missing_report(decided))


def missing_report(decided: CheckDecision) -> pytest.TestReport:
    """The report of a check that never reported: an error, as in a failed teardown."""
    nodeid = decided.record.nodeid
    return pytest.TestReport(
        nodeid=nodeid,
        location=(nodeid.split("::", 1)[0], None, nodeid.rsplit("::", 1)[-1]),
        keywords={},
        outcome="failed",
        longrepr=decided.reason,
        when="teardown",
        deploygate_missing=True,  # its row shows the node id without "::teardown"
    )


def _tell_pytest_html(config: pytest.Config, report: pytest.TestReport) -> None:
    """Pass a test report to pytest-html alone, through the hook it reads reports from;
    the terminal, junitxml and the gate have accounted for the check already."""
    hook = config.hook.pytest_runtest_logreport
    ours = {id(impl.plugin) for impl in hook.get_hookimpls() if _is_pytest_html(impl.plugin)}
    others = [p for p in config.pluginmanager.get_plugins() if id(p) not in ours]
    config.pluginmanager.subset_hook_caller("pytest_runtest_logreport", others)(report=report)


def _is_pytest_html(plugin: object) -> bool:
    return type(plugin).__module__.partition(".")[0] == "pytest_html"


def _shown(report: Any) -> bool:
    """Whether pytest-html keeps a row for this report: calls and collections, and
    setups and teardowns that did not pass (it drops the rest after building them)."""
    when = getattr(report, "when", "call")
    return when in ("call", "collect") or (when in ("setup", "teardown") and not report.passed)


def _test_id(report: Any) -> str:
    """The test id pytest-html shows for a report: the node id, and the phase unless it
    is the call."""
    test_id = str(report.nodeid)
    when = getattr(report, "when", "call")
    if when != "call" and not getattr(report, "deploygate_missing", False):
        test_id += f"::{when}"
    return test_id


def _after(cells: MutableSequence[str], marker: str) -> int:
    for index, cell in enumerate(cells):
        if marker in cell:
            return index + 1
    return min(2, len(cells))


def _replace_test_id(cells: MutableSequence[str], escaped: str) -> None:
    """pytest-html puts the raw test id into its cell; put the escaped one instead."""
    for index, cell in enumerate(cells):
        if cell.startswith(_TEST_ID_CELL):
            cells[index] = escaped
            return


def decision_name(decided: CheckDecision | None) -> str:
    if decided is None or decided.decision is None:
        return "none"
    return decided.decision


def row_view(decided: CheckDecision | None, info: dict[str, Any] | None) -> RowView:
    """The facts one row's cells show."""
    if decided is not None:
        phases = tuple(decided.record.phases)
        measurements: Iterable[Measurement] = decided.record.measurements
        fired: tuple[FiredRule, ...] = decided.fired
    else:
        # A row for a test the gate has no decision for (yet): show what the report says.
        phases = tuple((info or {}).get("phases", ()) or ())
        measurements = [Measurement.from_dict(m) for m in (info or {}).get("measurements", ())]
        fired = ()
    name = decision_name(decided)
    return RowView(
        phases=phases,
        decision=name,
        label="" if name == "none" else name,
        rank=_RANK[name],
        lines=tuple(_line(m, fired) for m in measurements),
    )


def _line(m: Measurement, fired: tuple[FiredRule, ...]) -> MeasuredLine:
    tripped = [f for f in fired if f.measurement == m and f.decision != "ok"]
    limits = []
    if m.threshold is not None:
        sign = _BOUND_SIGN.get(m.bound or "max", "≤")
        limits.append(f"{sign} {format_value(m.threshold, m.unit)}")
    limits.extend(rule_limit(f) for f in tripped)
    versus = next((f.versus for f in tripped if f.versus), "")
    return MeasuredLine(
        measurement=m,
        limits=tuple(limits),
        tripped=bool(tripped),
        versus=versus,
        sparkline=sparkline(m, fired),
    )


def sparkline(m: Measurement, fired: tuple[FiredRule, ...]) -> Markup | None:
    """The samples as a small chart: the threshold of the first rule that fired on them
    (else the check's own), the span each ``for`` rule held shaded. Only numbers go into
    it (sparkline.svg_sparkline escapes its text), so it is markup as it is."""
    if len(m.samples) < 2:
        return None
    mine = [f for f in fired if f.measurement == m and f.threshold is not None]
    threshold = mine[0].threshold if mine else m.threshold
    spans = [f.held.span for f in mine if f.held is not None and f.held.span and not f.unjudged]
    return Markup(svg_sparkline(m.samples, unit=m.unit, threshold=threshold, spans=spans))


def rule_threshold(fired: FiredRule) -> str:
    """A fired rule's threshold as the rule table shows it: ``> 2.00s``,
    ``> baseline +20%``."""
    if fired.rule.relative:
        return fired.relative_limit + (f" ({fired.problem})" if fired.problem else "")
    if fired.threshold is None:
        return f"{fired.rule.raw_threshold} (does not fit the unit)"
    sign = ">" if fired.rule.is_above else "<"
    persistence = fired.rule.persistence
    held = f" {persistence.describe()}" if persistence is not None else ""
    return f"{sign} {format_value(fired.threshold, fired.measurement.unit)}{held}"


def rule_limit(fired: FiredRule) -> str:
    """A fired rule's threshold on its measurement's line: ``rule 2: > 2.00s``."""
    return f"rule {fired.index + 1}: {rule_threshold(fired)}"


def reason_text(decided: CheckDecision | None, report: Any) -> str:
    """The one-line reason shown above a row's traceback, or '' for none."""
    text = decided.reason if decided is not None else ""
    if not text and getattr(report, "failed", False):
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        text = str(getattr(crash, "message", "") or "")
    return one_line(text, whole=True)


def _whole_line(text: str) -> str:
    return one_line(text, whole=True)


def page_title(result: GateResult | None) -> str:
    """The report's title (also the browser tab's): the verdict first."""
    if result is None:
        return f"{INCOMPLETE} · deploygate"
    return f"{result.headline} · {result.target} · deploygate"


def _verdict_class(result: GateResult) -> str:
    return {GO: "go", INVESTIGATE: "investigate", ROLLBACK: "rollback"}.get(
        result.verdict, "incomplete"
    )


def _facts(result: GateResult) -> list[tuple[str, str]]:
    return [
        ("exit code", str(result.exit_code)),
        ("target", result.target),
        ("phases", ", ".join(result.phases) or "(all)"),
        ("started", result.started_at),
        ("finished", result.finished_at),
    ]


def _fired(result: GateResult) -> list[tuple[CheckDecision, FiredRule]]:
    """Each decision rule that raised a check, worst first."""
    rows = [(c, f) for c in result.checks for f in c.fired if f.decision != "ok"]
    rows.sort(key=lambda cf: _RANK[cf[1].decision])
    return rows


class Templates:
    """The report's macros, rendered with autoescaping; text is masked before it is
    escaped. One per report: the mask belongs to the gate session."""

    def __init__(self, mask: Callable[[str], str] = str) -> None:
        self._macros = _environment().get_template("report.html.jinja2").make_module({"mask": mask})

    def _call(self, macro: str, *args: Any) -> str:
        return str(getattr(self._macros, macro)(*args))

    @property
    def style(self) -> str:
        return stylesheet()

    def banner(self, result: GateResult | None) -> str:
        return self._call("banner", result)

    def why(self, result: GateResult) -> str:
        return self._call("why", result)

    def fired_rules(self, result: GateResult) -> str:
        return self._call("fired_rules", result)

    def decision_filter(self, result: GateResult | None) -> str:
        return self._call("decision_filter", result)

    def reason(self, decision: str, text: str, log: Markup | None = None) -> str:
        return self._call("reason", decision, text, log)

    def header_cell(self, column: Column) -> str:
        return self._call("header_cell", column)

    def test_id_cell(self, test_id: str) -> str:
        return self._call("test_id_cell", test_id)

    def row_cells(self, decided: CheckDecision | None, info: dict[str, Any] | None) -> list[str]:
        """Our cells of one row, in COLUMNS order, each on one line."""
        row = row_view(decided, info)
        return [self._call(column.macro, row) for column in COLUMNS]


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_deploygate.reporters", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters["value"] = format_value
    env.filters["one_line"] = _whole_line
    env.globals.update(
        decisions=DECISION_ORDER,
        timing=BANNER_TIMING,
        max_listed=_MAX_LISTED,
        max_rule_rows=_MAX_RULE_ROWS,
        verdict_class=_verdict_class,
        facts=_facts,
        fired=_fired,
        rule_limit=rule_limit,
        rule_threshold=rule_threshold,
    )
    return env


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: object) -> object:
    """Mask every value a template prints, then escape it with the escaping pytest-html
    uses for its own text (``html.escape``), so one page has one form of each entity and
    the masker's escaped variants stay valid. Markup (a macro's output) passes as is."""
    if hasattr(value, "__html__"):
        return value
    mask: Callable[[str], str] = context.get("mask", str)
    return Markup(html.escape(mask(str(value))))


@lru_cache(maxsize=1)
def _plain() -> Templates:
    """Renderers without a mask, for tests, bench/ and documentation snippets; built on
    first use: compiling the templates is most of this module's cost, and a run that
    writes no HTML report never pays it."""
    return Templates()


def render_banner(result: GateResult | None) -> str:
    """The verdict block: headline, facts, counts, what is not ok, the rules that fired."""
    return _plain().banner(result)


def render_not_ok(result: GateResult) -> str:
    """One line per check whose decision is not ok, worst first (as in the terminal)."""
    return _plain().why(result)


def render_fired_rules(result: GateResult) -> str:
    """Each decision rule that raised a check: the measurement against its threshold."""
    return _plain().fired_rules(result)


def render_decision_filter(result: GateResult | None) -> str:
    """Checkboxes that hide rows by decision (pure CSS, see the stylesheet)."""
    return _plain().decision_filter(result)


def row_cells(decided: CheckDecision | None, info: dict[str, Any] | None) -> list[str]:
    """The Phase, Decision, Measured and Threshold cells of one row, escaped."""
    return _plain().row_cells(decided, info)


def row_reason(decided: CheckDecision | None, report: Any) -> str:
    """The escaped one-line reason shown above a row's traceback, or '' for none."""
    text = reason_text(decided, report)
    return _plain().reason(decision_name(decided), text) if text else ""


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The report's CSS, rendered once, when a report is written."""
    return _environment().get_template("style.html.jinja2").render()
