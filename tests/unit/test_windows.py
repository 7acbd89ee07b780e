"""Windows: when samples are taken, on one clock, and how they become one judgement."""

from __future__ import annotations

import math
import threading
import time

import pytest

from pytest_deploygate.errors import ProbeConnectionError, ProbeError
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.observer import ObservationPeriod
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.reporters.sparkline import svg_sparkline, text_sparkline
from pytest_deploygate.windows import Taken, WindowPlan, by_sample, combine, default_interval

# -- plans -----------------------------------------------------------------------------


def test_a_window_samples_at_its_start_every_interval_and_at_its_end() -> None:
    assert WindowPlan(10, 3).offsets() == (0, 3, 6, 9, 10)
    assert WindowPlan(4, 1).offsets() == (0, 1, 2, 3, 4)
    assert WindowPlan(0.3, 0.1).offsets() == pytest.approx((0, 0.1, 0.2, 0.3))


def test_the_default_interval_gives_about_twenty_samples_within_bounds() -> None:
    assert default_interval(10) == 1.0
    assert default_interval(100) == 5.0
    assert default_interval(3600) == 15.0
    assert WindowPlan.of(60).interval == 3.0


# -- the default window judge ----------------------------------------------------------


def judged(status: int, latency: float) -> Judgement:
    failures = () if status == 200 else (f"status {status}, expected 200",)
    return Judgement(failures, (Measurement("http.latency", latency, "s", 1.0, "max"),))


def test_per_sample_judgements_become_measurements_with_samples_and_up() -> None:
    result = combine(
        "http",
        [
            (0.0, judged(200, 0.1), None),
            (1.0, judged(500, 0.3), None),
            (2.0, judged(200, 0.2), None),
        ],
    )
    latency, up = result.measurements
    assert latency.samples == ((0.0, 0.1), (1.0, 0.3), (2.0, 0.2)) and latency.value == 0.3
    assert up.name == "http.up" and up.samples == ((0.0, 1.0), (1.0, 0.0), (2.0, 1.0))
    assert up.value == 0.0 and up.bound == "min"
    assert result.failures == (
        "failed at 1 of 3 samples over 2.00s (first at 1.00s: status 500, expected 200)",
    )


def test_an_errored_sample_is_down_and_has_no_latency() -> None:
    error = ProbeConnectionError("connection refused (GET http://x/)")
    result = combine("http", [(0.0, judged(200, 0.1), None), (1.0, None, error)])
    latency, up = result.measurements
    assert latency.samples == ((0.0, 0.1),)
    assert up.samples == ((0.0, 1.0), (1.0, 0.0))
    assert "first at 1.00s: connection refused" in result.failures[0]


def test_every_sample_errored_is_the_checks_error_of_the_same_kind() -> None:
    error = ProbeConnectionError("connection refused (GET http://x/)")
    with pytest.raises(ProbeConnectionError, match=r"every one of 2 samples over 1\.00s"):
        combine("http", [(0.0, None, error), (1.0, None, error)])
    with pytest.raises(ProbeError, match="stopped before its first sample"):
        combine("http", [])


def test_by_sample_judges_each_observation() -> None:
    judge = by_sample(lambda spec, target, obs: judged(obs, 0.1), "http")
    result = judge(None, None, [Taken(0.0, 200), Taken(1.0, 200)])
    assert result.passed and result.measurements[-1].value == 1.0


# -- the clock -------------------------------------------------------------------------


def test_windows_placed_on_one_period_overlap() -> None:
    period = ObservationPeriod()
    plan = WindowPlan(0.6, 0.2)
    futures = [
        period.start_window(f"c{i}", plan, lambda: time.monotonic(), lambda taken: taken)
        for i in range(10)
    ]
    results = [f.result(timeout=30) for f in futures]
    assert all(len(r) == 4 for r in results)
    # Ten windows watched at the same time, not one after another: every window took its
    # first sample before any window took its last.
    assert max(r[0].observation for r in results) < min(r[-1].observation for r in results)
    assert period.progress() is not None and not period.active


def test_an_initial_delay_longer_than_the_window_moves_it_and_keeps_its_length() -> None:
    """initial_delay moves a window's start; it never shortens what the window watches,
    so a delay as long as the window or longer is not refused."""
    period = ObservationPeriod()
    plan = WindowPlan.of(0.2, 0.1, initial_delay=0.4)
    started = time.monotonic()
    taken = period.start_window("c", plan, time.monotonic, lambda t: t).result(timeout=30)
    assert taken[0].observation - started >= 0.4
    assert taken[-1].t - taken[0].t >= plan.window
    assert len(taken) == len(plan.offsets()) == 3


def test_a_probe_error_is_a_sample_and_sampling_goes_on() -> None:
    period = ObservationPeriod()
    calls = iter([ProbeConnectionError("refused"), 1, 2])

    def take() -> int:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    taken = period.sample(period.begin("c", WindowPlan(0.2, 0.1)), take)
    assert [t.observation for t in taken] == [None, 1, 2]
    assert isinstance(taken[0].error, ProbeConnectionError)


def test_a_window_whose_first_sample_is_late_still_spans_its_whole_length() -> None:
    """A thread that starts late (a loaded machine) takes the first sample late: the window
    starts then, so its samples still span the window and a for as long as the window can
    be judged (it read "could not be judged: its samples span 2.00s" on a healthy service)."""
    period = ObservationPeriod()
    plan = WindowPlan(0.4, 0.1)
    window = period.begin("c", plan)
    time.sleep(0.25)
    taken = period.sample(window, lambda: 1)
    assert taken[0].t == 0.0
    assert taken[-1].t - taken[0].t >= plan.window
    assert len(taken) == len(plan.offsets())


def test_abort_ends_every_window_with_the_samples_so_far() -> None:
    period = ObservationPeriod()
    seen: list[int] = []

    def on_sample(taken: tuple[Taken[int], ...]) -> None:
        seen.append(len(taken))
        if len(taken) == 2:
            period.abort("rule 1 fired at rollback")

    future = period.start_window("c", WindowPlan(30, 0.05), lambda: 1, len, on_sample)
    other = period.start_window("d", WindowPlan(30, 0.05), lambda: 1, len)
    assert future.result(timeout=10) == 2
    assert other.result(timeout=10) < 600
    assert period.aborted == "rule 1 fired at rollback"


def test_stop_ends_a_window_waiting_for_its_next_sample() -> None:
    stop = threading.Event()
    period = ObservationPeriod(stop)
    future = period.start_window("c", WindowPlan(60, 30), lambda: 1, len)
    time.sleep(0.2)
    stop.set()
    assert future.result(timeout=5) == 1


# -- sparklines ------------------------------------------------------------------------


def test_text_sparkline_shows_the_shape_and_not_a_number() -> None:
    assert text_sparkline([(0, 0.0), (1, 1.0), (2, 0.5), (3, math.nan)]) == "▁█▅×"
    assert text_sparkline([(0, 3.0), (1, 3.0)]) == "██"  # steady, drawn against zero
    assert text_sparkline([(0, 0.0), (1, 0.0)]) == "▁▁"
    assert len(text_sparkline([(t, float(t)) for t in range(100)], width=10)) == 10
    # Grouped: the group's worst, so a one-sample spike stays visible.
    assert "█" in text_sparkline([(t, 1.0 if t == 37 else 0.0) for t in range(100)], width=10)


def test_svg_sparkline_draws_threshold_and_held_span_and_escapes_its_label() -> None:
    svg = svg_sparkline(
        [(0, 0.01), (1, 0.3), (2, 0.3), (3, 0.01)],
        unit="ratio",
        threshold=0.05,
        spans=[(1, 2)],
        label="<b>errors</b>",
    )
    assert svg.startswith("<svg") and "dg-spark-threshold" in svg and "dg-spark-held" in svg
    assert "<b>" not in svg and "&lt;b&gt;errors" in svg
    assert "threshold 5.00%" in svg and "held from 1.00s to 2.00s" in svg
    assert svg_sparkline([]) == ""


# -- progress --------------------------------------------------------------------------


def test_progress_names_elapsed_total_checks_and_worst_values_against_rules() -> None:
    from pytest_deploygate.observer import Progress
    from pytest_deploygate.reporters.progress import progress_line, rule_watch
    from pytest_deploygate.rules import DecisionRule

    rule = DecisionRule.model_validate(
        {"measurement": "prometheus.*", "above": "5%", "for": "5m", "decision": "rollback"}
    )
    m = Measurement(
        "prometheus.error_rate", 0.3, "ratio", samples=((0, 0.01), (10, 0.3), (30, 0.3))
    )
    note = rule_watch("errors", [m], [rule])
    assert note == "prometheus.error_rate worst 30.00% vs > 5.00% for 5m (held 20.00s) [rule 1]"
    line = progress_line(Progress(80.0, 300.0, ("errors", "health"), 17), [("errors", note)])
    assert line.startswith("deploygate: observing 1m 20s of 5m: 2 checks sampling, 17 samples")
    assert "errors: prometheus.error_rate worst 30.00%" in line


def test_a_window_keeps_the_lowest_and_highest_of_several_series_across_its_samples() -> None:
    from pytest_deploygate.expect.base import Judgement
    from pytest_deploygate.outcomes import Measurement
    from pytest_deploygate.windows import combine

    def sample(low: float, high: float) -> Judgement:
        return Judgement((), (Measurement("promql.up", high, "", spread=(low, high)),))

    combined = combine("promql", [(0.0, sample(1, 1), None), (5.0, sample(0, 1), None)])
    up = next(m for m in combined.measurements if m.name == "promql.up")
    assert (up.samples, up.spread) == (((0.0, 1.0), (5.0, 1.0)), (0.0, 1.0))
    single = combine("promql", [(0.0, Judgement((), (Measurement("promql.up", 1.0),)), None)])
    assert single.measurements[0].spread is None
