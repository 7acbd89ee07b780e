"""Rules over samples: summaries, ``for`` and ``consecutive``, as SPEC.md states them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_deploygate.decision import RANK, decide_check, judge_rule
from pytest_deploygate.outcomes import CheckRecord, Measurement
from pytest_deploygate.rules import DecisionRule
from pytest_deploygate.samples import SUMMARIES, held_for, percentile, summarize

RATE = "prometheus.error_rate"


def rule(**kw: object) -> DecisionRule:
    return DecisionRule.model_validate(
        {"measurement": RATE, "above": "5%", "decision": "rollback", **kw}
    )


def rate(samples: list[tuple[float, float]]) -> Measurement:
    return Measurement(RATE, max(v for _, v in samples), "ratio", samples=tuple(samples))


def decided(m: Measurement, *rules: DecisionRule) -> str | None:
    record = CheckRecord(
        id="errors",
        nodeid="n",
        type="prometheus",
        phases=("postdeploy",),
        outcome="passed",
        measurements=(m,),
    )
    return decide_check(record, rules).decision


def every(seconds: float, values: list[float]) -> list[tuple[float, float]]:
    return [(i * seconds, v) for i, v in enumerate(values)]


# -- summaries -------------------------------------------------------------------------


def test_summaries_of_a_handful_of_samples() -> None:
    samples = every(1, [0.4, 0.1, 0.3, 0.2])
    assert summarize(samples, "last") == 0.2
    assert summarize(samples, "min") == 0.1
    assert summarize(samples, "max") == 0.4
    assert summarize(samples, "mean") == pytest.approx(0.25)
    assert summarize(samples, "p50") == pytest.approx(0.25)
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)


@pytest.mark.parametrize("how", SUMMARIES)
def test_a_sample_that_is_not_a_number_makes_every_summary_nan(how: str) -> None:
    assert math.isnan(summarize(every(1, [0.1, math.nan, 0.1]), how))  # type: ignore[arg-type]


def test_last_is_the_latest_sample_even_when_samples_arrive_out_of_order() -> None:
    assert summarize([(2.0, 7.0), (0.0, 1.0), (1.0, 3.0)], "last") == 7.0


# -- rules without for -----------------------------------------------------------------


def test_one_bad_sample_fires_a_row_without_for_by_default() -> None:
    spike = rate(every(1, [0.01, 0.30, 0.01, 0.01]))
    fired = judge_rule(0, rule(), spike)
    assert fired is not None and fired.compared == 0.30
    assert "max 30.00% above 5.00%" in fired.text


def test_a_row_with_summary_compares_that_summary() -> None:
    spike = rate(every(1, [0.01, 0.30, 0.01, 0.01]))
    assert judge_rule(0, rule(summary="p50"), spike) is None
    fired = judge_rule(0, rule(summary="mean"), spike)
    assert fired is not None and fired.compared == pytest.approx(0.0825)


def test_a_below_row_without_for_compares_the_smallest_sample() -> None:
    up = Measurement("http.up", 0.0, "", samples=tuple(every(1, [1, 1, 0, 1])))
    fired = judge_rule(0, rule(measurement="http.up", above=None, below=1), up)
    assert fired is not None and fired.compared == 0


def test_a_measurement_taken_once_is_compared_on_its_value() -> None:
    assert judge_rule(0, rule(), Measurement(RATE, 0.06, "ratio")) is not None
    assert judge_rule(0, rule(), Measurement(RATE, 0.04, "ratio")) is None


# -- for -------------------------------------------------------------------------------


def test_a_short_burst_does_not_fire_a_five_minute_for() -> None:
    # 30% for 4 minutes inside a 20-minute window, sampled every minute.
    values = [0.01] * 5 + [0.30] * 5 + [0.01] * 11
    assert decided(rate(every(60, values)), rule(**{"for": "5m"})) == "ok"


def test_a_sustained_rate_fires_a_five_minute_for() -> None:
    values = [0.01] * 5 + [0.30] * 6 + [0.01] * 10
    m = rate(every(60, values))
    fired = judge_rule(0, rule(**{"for": "5m"}), m)
    assert fired is not None and fired.decision == "rollback"
    assert fired.held is not None and fired.held.span == (300.0, 600.0)
    assert "for 5m (6 samples, 5m to 10m into the window)" in fired.text


def test_for_needs_every_sample_across_the_span_one_good_sample_restarts_it() -> None:
    values = [0.30, 0.30, 0.30, 0.01, 0.30, 0.30, 0.30]
    assert decided(rate(every(60, values)), rule(**{"for": "3m"})) == "ok"


def test_a_for_row_over_samples_shorter_than_for_is_investigate_never_a_pass() -> None:
    m = rate(every(1, [0.0, 0.0, 0.0]))
    fired = judge_rule(0, rule(**{"for": "5m"}), m)
    assert fired is not None and fired.unjudged and fired.decision == "investigate"
    assert "could not be judged" in fired.text and "span 2.00s" in fired.text


def test_a_for_row_on_a_measurement_taken_once_could_not_be_judged() -> None:
    assert decided(Measurement(RATE, 0.5, "ratio"), rule(**{"for": "1m"})) == "investigate"


@pytest.mark.parametrize(
    ("samples", "keys", "fix"),
    [
        (
            [(0.0, 0.0)],
            {"for": "1m"},
            "it was measured once: give the check a window longer "
            "than 1m by more than one interval (or run with --observe)",
        ),
        (
            every(15, [0.0] * 20),
            {"for": "5m"},
            "watch longer: a window longer than 5m by more than one interval",
        ),
        (
            every(60, [0.0, 0.0]),
            {"consecutive": 3},
            "watch longer: a window with at least 3 samples",
        ),
    ],
)
def test_a_row_that_could_not_be_judged_says_how_to_watch_long_enough(
    samples: list[tuple[float, float]], keys: dict[str, object], fix: str
) -> None:
    # A 2 a.m. reader of "its samples span 0ms (1 samples)" needs the fix beside the finding.
    fired = judge_rule(0, rule(**keys), rate(samples))
    assert fired is not None and fired.unjudged
    assert fix in fired.text, fired.text


def test_an_unjudged_ok_row_stays_a_no_op() -> None:
    m = rate(every(1, [0.5, 0.5]))
    fired = judge_rule(0, rule(**{"for": "1m", "decision": "ok"}), m)
    assert fired is not None and fired.decision == "ok"


def test_nan_samples_count_as_crossing() -> None:
    m = rate(every(60, [math.nan] * 6))
    assert decided(m, rule(**{"for": "5m"})) == "rollback"


# -- consecutive -----------------------------------------------------------------------


def test_three_consecutive_failed_probes_fire() -> None:
    up = Measurement("http.up", 0.0, "", samples=tuple(every(60, [1, 0, 0, 0, 1])))
    down = rule(measurement="http.up", above=None, below=1, consecutive=3)
    fired = judge_rule(0, down, up)
    assert fired is not None and fired.decision == "rollback"
    assert judge_rule(0, down.model_copy(update={"consecutive": 4}), up) is None


def test_consecutive_with_fewer_samples_could_not_be_judged() -> None:
    up = Measurement("http.up", 1.0, "", samples=tuple(every(60, [1, 1])))
    fired = judge_rule(0, rule(measurement="http.up", above=None, below=1, consecutive=3), up)
    assert fired is not None and fired.unjudged


# -- config ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"for": "5m", "consecutive": 3}, "at most one of 'for' and 'consecutive'"),
        ({"for": "5m", "summary": "p95"}, "'summary' applies to rules without"),
        ({"summary": "p42"}, "Input should be"),
        ({"consecutive": 0}, "greater than or equal to 1"),
        ({"for": "soon"}, "expected a duration"),
    ],
)
def test_bad_rule_keys_are_refused(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule(**keys)


# -- properties ------------------------------------------------------------------------

values = st.floats(min_value=0, max_value=1, allow_nan=False)
series = st.lists(st.tuples(st.integers(0, 600), values), min_size=1, max_size=30).map(
    lambda pairs: sorted({t: v for t, v in pairs}.items())
)
fors = st.integers(0, 300)


def level(samples: list[tuple[int, float]], for_s: int) -> int:
    m = Measurement(RATE, 0.0, "ratio", samples=tuple((float(t), v) for t, v in samples))
    fired = judge_rule(0, rule(**{"for": for_s}), m)
    return 0 if fired is None else RANK[fired.decision]


@settings(max_examples=300, deadline=None)
@given(series, fors, st.data())
def test_adding_a_bad_sample_never_lowers_the_decision(
    samples: list[tuple[int, float]], for_s: int, data: st.DataObject
) -> None:
    # Within the span the samples already cover, or anywhere once they cover ``for``
    # (before that, a longer span can turn "could not be judged" into a judgement).
    first, last = samples[0][0], samples[-1][0]
    hi = 900 if last - first >= for_s else last
    t = data.draw(st.integers(first, hi).filter(lambda x: x not in dict(samples)))
    bad = data.draw(st.floats(min_value=0.0501, max_value=1))
    before = level(samples, for_s)
    after = level(sorted([*samples, (t, bad)]), for_s)
    assert after >= before


@settings(max_examples=300, deadline=None)
@given(series, fors, st.data())
def test_turning_a_sample_bad_never_lowers_the_decision(
    samples: list[tuple[int, float]], for_s: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(samples) - 1))
    worse = [(t, 0.9 if i == index else v) for i, (t, v) in enumerate(samples)]
    assert level(worse, for_s) >= level(samples, for_s)


@settings(max_examples=300, deadline=None)
@given(series, st.integers(1, 300))
def test_a_span_shorter_than_for_never_fires_it(
    samples: list[tuple[int, float]], for_s: int
) -> None:
    m = Measurement(RATE, 0.0, "ratio", samples=tuple((float(t), v) for t, v in samples))
    held = held_for(m.samples, lambda v: v > 0.05)
    fired = judge_rule(0, rule(**{"for": for_s}), m)
    if held.held_s < for_s:
        assert fired is None or fired.unjudged
    else:
        assert fired is not None and fired.decision == "rollback"


def _scraped(
    rates: list[tuple[float, float]], every: float, until: float, on_error: str = "ok"
) -> CheckRecord:
    """A prometheus window scraped every ``every`` s up to ``until``: the error rate where
    given, an errored scrape (``prometheus.up`` 0, no rate) elsewhere."""
    times = [i * every for i in range(int(until / every) + 1)]
    rated = {t for t, _ in rates}
    up = tuple((t, 1.0 if t in rated else 0.0) for t in times)
    return CheckRecord(
        id="errors",
        nodeid="n",
        type="prometheus",
        phases=("postdeploy",),
        outcome="passed",
        measurements=(rate(rates), Measurement("prometheus.up", 0.0, "", 1.0, "min", up)),
        on_error=on_error,
    )


def test_a_for_row_across_errored_scrapes_could_not_be_judged() -> None:
    """Bad from 0 to 90 s, every scrape failing from 105 to 585 s, one good at 600 s: the
    rate may have stayed above 5% for 5 minutes; it was read as judged and fine."""
    bad = [(t * 15.0, 0.2) for t in range(7)]
    record = _scraped([*bad, (600.0, 0.0)], 15.0, 600.0)
    decided_ = decide_check(record, [rule(**{"for": "5m"})])
    assert decided_.decision == "investigate"
    assert "no samples from 1m 45s to 9m 45s" in decided_.reason, decided_.reason


def test_a_for_row_proven_across_the_window_still_fires_at_its_level() -> None:
    steady = [(t * 15.0, 0.2) for t in range(41)]
    assert decide_check(_scraped(steady, 15.0, 600.0), [rule(**{"for": "5m"})]).decision == (
        "rollback"
    )
    fine = [(t * 15.0, 0.01) for t in range(41)]
    assert decide_check(_scraped(fine, 15.0, 600.0), [rule(**{"for": "5m"})]).decision == "ok"


def test_an_errored_sample_breaks_a_consecutive_chain_into_could_not_be_judged() -> None:
    """bad, bad, (errored), bad, fine: three in a row were never seen, but could have been."""
    record = _scraped([(0.0, 0.2), (1.0, 0.2), (3.0, 0.2), (4.0, 0.0)], 1.0, 4.0)
    decided_ = decide_check(record, [rule(consecutive=3)])
    assert decided_.decision == "investigate"
    assert "no samples at 2.00s" in decided_.reason, decided_.reason
    fine = _scraped([(0.0, 0.0), (1.0, 0.0), (3.0, 0.0), (4.0, 0.0)], 1.0, 4.0)
    assert decide_check(fine, [rule(consecutive=3)]).decision == "ok"
