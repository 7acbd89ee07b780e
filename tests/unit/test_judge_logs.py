"""judge_logs and its window judge with literal observations: every failure line, the
running totals, and the spec's refusals (a file with since, two sources, wait)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.host import HostObservation
from pytest_deploygate.checks.logs import LOCAL_HOST, LogsCheck, LogsObservation, logs_instances
from pytest_deploygate.errors import ProbeAuthError, ProbeError
from pytest_deploygate.expect.logs import judge_logs, judge_logs_window
from pytest_deploygate.outcomes import UNVERIFIED
from pytest_deploygate.windows import Taken

FILE = "/var/log/app.log"


def spec(**keys: Any) -> LogsCheck:
    data = {"id": "errors", "phases": ["postdeploy"], "pattern": "ERROR", "file": FILE}
    return LogsCheck.model_validate({**data, "window": "1m", **keys})


def seen(lines: int = 0, matches: int = 0, *examples: str, **more: Any) -> HostObservation[Any]:
    obs = LogsObservation(FILE, lines, matches, examples, **more)
    return HostObservation("local://", obs)


def window(*samples: tuple[float, Any]) -> list[Taken[Any]]:
    return [
        Taken(t, None, s) if isinstance(s, ProbeError) else Taken(t, s, None) for t, s in samples
    ]


def by_name(judgement: Any) -> dict[str, Any]:
    return {m.name: m for m in judgement.measurements}


def test_a_clean_window_passes_with_running_totals_as_samples() -> None:
    judgement = judge_logs_window(
        spec(), Target(), window((0.0, seen(started=True)), (30.0, seen(40)), (60.0, seen(2)))
    )
    assert judgement.failures == ()
    measured = by_name(judgement)
    assert measured["logs.matches"].value == 0 and measured["logs.matches"].threshold == 0
    assert measured["logs.lines"].samples == ((0.0, 0.0), (30.0, 40.0), (60.0, 42.0))
    assert measured["logs.up"].value == 1.0
    assert judgement.findings == ()


def test_the_last_samples_unfinished_line_counts_an_earlier_ones_is_read_again() -> None:
    """A line without its newline is read whole by the next sample; the last sample has
    none after it, so its unfinished line counts as it stands."""
    judgement = judge_logs_window(
        spec(),
        Target(),
        window(
            (0.0, seen(started=True)),
            (30.0, seen(3, 0, unfinished=(1, 1, ("ERROR half",)))),
            (60.0, seen(1, 0, unfinished=(1, 1, ("ERROR died mid-line",)))),
        ),
    )
    measured = by_name(judgement)
    assert measured["logs.matches"].value == 1
    assert measured["logs.matches"].samples == ((0.0, 0.0), (30.0, 0.0), (60.0, 1.0))
    assert measured["logs.lines"].value == 5
    assert "'ERROR died mid-line'" in judgement.failures[0]
    assert "ERROR half" not in judgement.failures[0]


def test_matches_add_up_across_samples_and_show_the_first_lines_masked() -> None:
    judgement = judge_logs_window(
        spec(),
        Target(),
        window(
            (0.0, seen(started=True)),
            (30.0, seen(10, 2, "ERROR a password=hunter22", "ERROR b")),
            (60.0, seen(5, 3, "ERROR c", "ERROR d", "ERROR e")),
        ),
    )
    assert judgement.failures == (
        f"5 lines matching 'ERROR' in {FILE} over 1m (max_matches 0): "
        "'ERROR a password=***', 'ERROR b', 'ERROR c' and 2 more",
    )
    assert by_name(judgement)["logs.matches"].samples == ((0.0, 0.0), (30.0, 2.0), (60.0, 5.0))


def test_matches_within_max_matches_pass_and_are_still_shown() -> None:
    judgement = judge_logs_window(
        spec(max_matches=1), Target(), window((0.0, seen()), (5.0, seen(3, 1, "ERROR once")))
    )
    assert judgement.failures == ()
    assert judgement.findings == (("logs.matched", "'ERROR once'"),)


def test_a_rotation_is_a_failure_even_without_matches() -> None:
    judgement = judge_logs_window(
        spec(), Target(), window((0.0, seen()), (2.5, seen(1, restarted="rotated")))
    )
    assert judgement.failures == (
        f"{FILE} was rotated before the sample at 2.50s: lines written to it after the "
        "previous sample were not read (count them by hand, or watch with a shorter interval)",
    )


def test_lines_left_unread_at_the_end_are_a_failure() -> None:
    judgement = judge_logs_window(
        spec(max_read="1MB"),
        Target(),
        window((0.0, seen()), (5.0, seen(9, unread_bytes=2_500_000))),
    )
    assert judgement.failures == (
        f"2.5 MB of {FILE} not read by the last sample: more was written than max_read "
        "(1 MB) per sample; raise max_read or shorten the interval",
    )


def test_a_failed_sample_is_a_failure_and_every_sample_failing_an_error() -> None:
    denied = ProbeAuthError(f"{FILE} is not readable")
    judgement = judge_logs_window(spec(), Target(), window((0.0, seen()), (5.0, denied)))
    assert judgement.failures == (
        f"could not read the log at 1 of 2 samples (first at 5.00s: {FILE} is not readable): "
        "lines written then may be uncounted",
    )
    assert by_name(judgement)["logs.up"].value == 0.0
    with pytest.raises(ProbeAuthError, match=r"not readable \(every one of 2 samples\)"):
        judge_logs_window(spec(), Target(), window((0.0, denied), (5.0, denied)))


def test_one_reading_of_the_journal_has_no_samples() -> None:
    check = spec(file=None, journal="bot", since="10m", window=None)
    obs = HostObservation("local://", LogsObservation("journal of bot", 7, 1, ("ERROR x",)))
    judgement = judge_logs(check, Target(), obs)
    assert judgement.failures == (
        "1 line matching 'ERROR' in journal of bot in the last 10m (max_matches 0): 'ERROR x'",
    )
    assert by_name(judgement)["logs.matches"].samples == ()


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"journal": "bot"}, "give exactly one of 'file'"),
        ({"file": None}, "give exactly one of 'file'"),
        ({"since": "10m"}, "since applies to journal checks"),
        ({"wait": "30s", "window": None}, "wait retries a check until it passes"),
        ({"file": None, "journal": "bot*"}, "no globs"),
        ({"ignore": ["ok", "("]}, "'ignore' is not a valid regular expression"),
    ],
)
def test_what_the_model_refuses(keys: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**keys)


def test_ignore_takes_one_pattern_or_a_list() -> None:
    assert spec(ignore="healthcheck").ignore == ("healthcheck",)


def test_without_hosts_it_reads_on_the_gates_machine() -> None:
    assert logs_instances(spec(), Target()) == (LOCAL_HOST,)
    assert logs_instances(spec(), Target(hosts=("ssh://a", "ssh://b"))) == ("ssh://a", "ssh://b")
    assert logs_instances(spec(hosts=["ssh://b"]), Target(hosts=("ssh://a", "ssh://b"))) == (
        "ssh://b",
    )


def test_a_sample_that_could_not_read_is_an_instant_not_verified() -> None:
    judgement = judge_logs_window(
        spec(),
        Target(),
        window((0.0, seen(started=True)), (30.0, ProbeError("ssh: timed out")), (60.0, seen(2))),
    )
    findings = dict(judgement.findings)
    assert findings[UNVERIFIED] == "1 of 3 probes errored (ssh: timed out): not verified at 30.00s"


def test_the_pattern_reads_as_the_config_wrote_it() -> None:
    # repr() would show '\\bERROR\\b': not what the user typed, confusing at 2 a.m.
    judgement = judge_logs_window(
        spec(pattern=r"\bERROR\b"), Target(), window((0.0, seen()), (5.0, seen(1, 1, "ERROR x")))
    )
    assert judgement.failures[0].startswith(r"1 line matching '\bERROR\b' in ")
