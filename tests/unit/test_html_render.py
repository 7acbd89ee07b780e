"""The HTML report's fragments, rendered from hand-built results."""

from __future__ import annotations

from pytest_deploygate.decision import GateResult, decide_check
from pytest_deploygate.outcomes import CheckRecord, Measurement, Outcome
from pytest_deploygate.reporters import html
from pytest_deploygate.rules import DecisionRule
from tests.support.decisions import decide
from tests.support.htmlreport import text

EVIL = "<img src=x onerror=\"document.title='pwned'\"><script>alert(1)</script>"
SLOW = DecisionRule(
    measurement="http.latency", check="*", above="500ms", decision="investigate", description=EVIL
)


def record(
    check_id: str,
    outcome: Outcome = "passed",
    *,
    reason: str = "",
    phases: tuple[str, ...] = ("smoke",),
    measurements: tuple[Measurement, ...] = (),
) -> CheckRecord:
    return CheckRecord(
        id=check_id,
        nodeid=f"suites/test_http.py::test_http[{check_id}]",
        type="http",
        phases=phases,
        outcome=outcome,
        reason=reason,
        measurements=measurements,
    )


def result_of(
    *records: CheckRecord, phases: tuple[str, ...] = ("smoke",), target: str = "prod"
) -> GateResult:
    return decide(
        records,
        [SLOW],
        pytest_exit=1,
        target=target,
        phases=phases,
        started_at="2026-11-23T02:00:00Z",
        finished_at="2026-11-23T02:00:09Z",
    )


def latency(value: float) -> tuple[Measurement, ...]:
    return (Measurement("http.latency", value, "s", 1.0, "max"),)


def test_banner_states_verdict_exit_code_target_phases_times_and_counts() -> None:
    result = result_of(
        record("health"),
        record("orders", "failed", reason="status 503"),
        record("search", measurements=latency(0.8)),
        record("extra", "skipped"),
    )
    banner = text(html.render_banner(result))
    assert banner.startswith("ROLLBACK")
    for expected in (
        "exit code 1",
        "target prod",
        "phases smoke",
        "started 2026-11-23T02:00:00Z",
        "finished 2026-11-23T02:00:09Z",
        "1 rollback",
        "1 investigate",
        "1 ok",
        "1 skipped",
    ):
        assert expected in " ".join(banner.split()), expected


def test_a_predeploy_rollback_says_do_not_deploy() -> None:
    result = result_of(record("migrations", "failed", phases=("predeploy",)), phases=("predeploy",))
    assert "ROLLBACK: do not deploy" in html.render_banner(result)
    assert html.page_title(result).startswith("ROLLBACK: do not deploy")


def test_each_verdict_gets_its_own_colour_class() -> None:
    go = result_of(record("health"))
    investigate = result_of(record("search", measurements=latency(0.8)))
    assert 'class="dg-banner dg-v-go"' in html.render_banner(go)
    assert 'class="dg-banner dg-v-investigate"' in html.render_banner(investigate)
    assert "dg-v-incomplete" in html.render_banner(None)
    assert text(html.render_banner(None)).startswith("INCOMPLETE")


def test_fired_rules_show_check_measurement_value_and_threshold() -> None:
    result = result_of(record("search", measurements=latency(0.8)))
    table = html.render_fired_rules(result)
    cells = [text(c) for c in table.split("<td>")[1:]]
    assert cells[:6] == ["1", "investigate", "search", "http.latency", "800ms", "> 500ms"]


def test_text_from_the_target_and_config_is_escaped() -> None:
    result = result_of(
        record("orders", "failed", reason=f"status 500 {EVIL}", measurements=latency(0.8)),
        target=EVIL,
    )
    rendered = html.render_banner(result) + html.render_decision_filter(result)
    assert "<img" not in rendered and "<script" not in rendered
    assert "&lt;img src=x onerror=&quot;document.title=&#x27;pwned&#x27;&quot;&gt;" in rendered
    decided = result.checks[0]
    reason = html.row_reason(decided, report=None)
    assert "<img" not in reason and "&lt;script&gt;" in reason


def test_row_cells_sort_worst_decision_first_as_strings() -> None:
    # pytest-html sorts a sortable column by the cell's inner HTML as a string.
    decisions = [
        decide_check(record("a"), []),
        decide_check(record("b", "skipped"), []),
        decide_check(record("c", "failed", reason="x"), []),
        decide_check(record("d", measurements=latency(0.8)), [SLOW]),
    ]
    cells = {d.record.id: html.row_cells(d, None)[1] for d in decisions}
    assert sorted(cells, key=cells.__getitem__) == ["c", "d", "a", "b"]
    assert all("\n" not in c for c in cells.values())


def test_measured_and_threshold_cells_line_up_and_mark_the_tripped_value() -> None:
    measurements = (*latency(1.5), Measurement("http.status", 200, "", None, None))
    decided = decide_check(record("d", measurements=measurements), [SLOW])
    _, _, measured, threshold = html.row_cells(decided, None)
    assert measured.count("<div") == threshold.count("<div") == 2
    assert '<div class="dg-tripped">http.latency 1.50s</div>' in measured
    assert text(threshold).split() == ["≤", "1.00s;", "rule", "1:", ">", "500ms", "–"]


def test_the_filter_stylesheet_hides_rows_of_each_unchecked_decision() -> None:
    for name in html.DECISION_ORDER:
        assert f"#dg-show-{name}:not(:checked)" in html.stylesheet()
        assert f'id="dg-show-{name}"' in html.render_decision_filter(None)


def test_a_check_without_reports_gets_the_error_report_pytest_would_have_made() -> None:
    # pytest-html builds the row from it like from any other report, so it fits whatever
    # columns pytest-html and other plugins drew.
    decided = decide_check(record("db", "error", reason=f"no result: {EVIL}"), [])
    report = html.missing_report(decided)
    assert report.nodeid == "suites/test_http.py::test_http[db]"
    assert (report.when, report.outcome) == ("teardown", "failed")
    assert report.longrepr == f"no result: {EVIL}"
    assert html.row_cells(decided, None)[1].endswith(">rollback</span></td>")
    reason = html.row_reason(decided, report)
    assert "<img" not in reason and "no result" in text(reason)


def test_long_lists_above_the_table_are_cut_and_say_how_many_more() -> None:
    many = [record(f"c{n:03d}", measurements=latency(0.8)) for n in range(130)]
    result = result_of(*many)
    assert text(html.render_fired_rules(result)).endswith("… and 30 more: see the rows below")
    assert "… and 105 more in the table below" in text(html.render_not_ok(result))


def test_a_sampled_measurement_gets_a_chart_with_its_threshold_and_held_span() -> None:
    samples = ((0.0, 0.01), (60.0, 0.3), (120.0, 0.3), (180.0, 0.01))
    rate = Measurement("prometheus.error_rate", 0.3, "ratio", samples=samples)
    held = DecisionRule.model_validate(
        {"measurement": "prometheus.*", "above": "5%", "for": "1m", "decision": "rollback"}
    )
    decided = decide_check(record("errors", measurements=(rate, *latency(0.2))), [held])
    _, _, measured, threshold = html.row_cells(decided, None)
    assert measured.count("<svg") == 1 and "dg-spark-held" in measured
    assert "threshold 5.00%" in measured and "held from 1m to 2m" in measured
    # Both cells' lines carry the same classes, so thresholds stay beside their lines.
    assert measured.count('class="dg-tripped dg-sampled"') == 1
    assert threshold.count('class="dg-tripped dg-sampled"') == 1
    assert "\n" not in measured
