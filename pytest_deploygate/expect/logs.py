"""Judging the lines a ``logs`` check counted. Pure: no I/O.

``logs.matches`` is the number of lines that matched since the starting point (over a
window: a running total at every sample, its value the total at the end); ``logs.lines``
how many lines were read. A log the check could not read whole (a rotation, more written
than it may read, a sample that failed) is a failure that says so: an unread line is never
a clean one.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.host import HostObservation
from pytest_deploygate.checks.logs import LogsCheck, LogsObservation
from pytest_deploygate.errors import ProbeError
from pytest_deploygate.expect.base import Judgement, as_written, snippet
from pytest_deploygate.masking import scrub_text
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_size, format_value, plural
from pytest_deploygate.windows import Taken, unverified_finding

MATCHES = "logs.matches"
LINES = "logs.lines"
#: The finding that shows the first matched lines, when some matched (even within bounds).
MATCHED = "logs.matched"
EXAMPLES_SHOWN = 3
EXAMPLE_CHARS = 120

LogsSample = HostObservation[LogsObservation]


def judge_logs(spec: LogsCheck, target: Target, obs: LogsSample) -> Judgement:
    """One reading (a journal check with ``since = "10m"`` and no window)."""
    return _judged(spec, [(0.0, obs.detail)], errors=[], total=1)


def judge_logs_window(
    spec: LogsCheck, target: Target, taken: Sequence[Taken[LogsSample]]
) -> Judgement:
    """Every sample of a window: the counts add up, sample after sample."""
    if not taken:
        raise ProbeError("the window was stopped before its first sample")
    read = [(s.t, s.observation.detail) for s in taken if s.observation is not None]
    errors = [
        (s.t, s.error or ProbeError("no observation")) for s in taken if s.observation is None
    ]
    if not read:
        first = errors[0][1]
        raise type(first)(f"{first} (every one of {plural(len(taken), 'sample')})")
    judgement = _judged(spec, read, errors, total=len(taken))
    up = tuple(sorted([(t, 1.0) for t, _ in read] + [(t, 0.0) for t, _ in errors]))
    worst = min(v for _, v in up)
    measurements = (*judgement.measurements, Measurement("logs.up", worst, "", 1.0, "min", up))
    # The samples that could not read never verified their instants (decision.py).
    findings = judgement.findings + unverified_finding(errors, len(taken))
    return Judgement(judgement.failures, measurements, findings)


def _judged(
    spec: LogsCheck,
    read: Sequence[tuple[float, LogsObservation]],
    errors: Sequence[tuple[float, ProbeError]],
    total: int,
) -> Judgement:
    source = read[0][1].source
    running_matches, running_lines = 0, 0
    matches: list[tuple[float, float]] = []
    lines: list[tuple[float, float]] = []
    examples: list[str] = []
    for index, (t, obs) in enumerate(read):
        # A line still without its newline is read again by the next sample; after the
        # last one nothing reads it, so it counts as it stands (a process died mid-line).
        last_lines, last_matches, last_examples = (
            obs.unfinished if index == len(read) - 1 else (0, 0, ())
        )
        running_matches += obs.matches + last_matches
        running_lines += obs.lines + last_lines
        matches.append((t, float(running_matches)))
        lines.append((t, float(running_lines)))
        examples.extend((*obs.examples, *last_examples))
    shown = _shown(examples, running_matches)
    failures: list[str] = []
    if running_matches > spec.max_matches:
        failures.append(
            f"{plural(running_matches, 'line')} matching {as_written(spec.pattern)} in {source} "
            f"{_since(spec, read)} (max_matches {spec.max_matches}): {shown}"
        )
    failures.extend(_unsound(spec, read, errors, total))
    # One reading is a value; a window's readings are its samples (running totals).
    sampled = len(read) > 1 or bool(errors)
    limit = float(spec.max_matches)
    measurements = (
        Measurement(MATCHES, matches[-1][1], "count", limit, "max", _if(sampled, matches)),
        Measurement(LINES, lines[-1][1], "count", None, None, _if(sampled, lines)),
    )
    findings = ((MATCHED, shown),) if running_matches else ()
    return Judgement(tuple(failures), measurements, findings)


def _if(sampled: bool, samples: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    return tuple(samples) if sampled else ()


def _unsound(
    spec: LogsCheck,
    read: Sequence[tuple[float, LogsObservation]],
    errors: Sequence[tuple[float, ProbeError]],
    total: int,
) -> list[str]:
    """Why the count may miss lines: each reason is a failure, never a silent pass."""
    found: list[str] = []
    if errors:
        t, error = errors[0]
        found.append(
            f"could not read the log at {len(errors)} of {plural(total, 'sample')} "
            f"(first at {format_value(t, 's')}: {error}): lines written then may be uncounted"
        )
    restarts = [(t, obs.restarted) for t, obs in read if obs.restarted]
    if restarts:
        t, how = restarts[0]
        found.append(
            f"{read[0][1].source} was {how} before the sample at {format_value(t, 's')}: lines "
            "written to it after the previous sample were not read (count them by hand, or "
            "watch with a shorter interval)"
        )
    last = read[-1][1]
    if last.behind:
        left = format_size(last.unread_bytes) if last.unread_bytes else "more"
        found.append(
            f"{left} of {last.source} not read by the last sample: more was written than "
            f"max_read ({format_size(spec.max_read)}) per sample; raise max_read or shorten "
            "the interval"
        )
    return found


def _since(spec: LogsCheck, read: Sequence[tuple[float, LogsObservation]]) -> str:
    if not spec.since_start:
        return f"in the last {format_value(float(spec.since), 's')}"
    if len(read) > 1:
        return f"over {format_value(read[-1][0] - read[0][0], 's')}"
    return "since the check started"


def _shown(examples: Sequence[str], count: int) -> str:
    """The first matched lines, cut short and with secrets masked: what woke you up."""
    shown = [repr(snippet(scrub_text(e), EXAMPLE_CHARS)) for e in examples[:EXAMPLES_SHOWN]]
    rest = count - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest > 0 else "")
