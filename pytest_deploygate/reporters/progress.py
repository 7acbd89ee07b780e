"""Progress of an observation window, for the person watching the terminal: elapsed of
total, how many checks are sampling, and the worst value so far against each rule."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from pytest_deploygate.observer import Progress
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.rules import DecisionRule
from pytest_deploygate.samples import held_for, worst
from pytest_deploygate.units import format_value, plural

# A progress line names at most this many rules; the rest are counted.
MAX_NOTES = 3


def progress_line(progress: Progress, notes: Sequence[tuple[str, str]] = ()) -> str:
    """One line; ``notes`` are (check id, what its rules see so far) of sampling checks."""
    elapsed = format_value(min(progress.elapsed, progress.total), "s")
    text = (
        f"deploygate: observing {elapsed} of {format_value(progress.total, 's')}: "
        f"{plural(len(progress.sampling), 'check')} sampling, "
        f"{plural(progress.samples, 'sample')} so far"
    )
    shown = [f"{key}: {note}" for key, note in notes if note and key in progress.sampling]
    if shown:
        more = len(shown) - MAX_NOTES
        text += "; " + "; ".join(shown[:MAX_NOTES]) + (f"; {more} more" if more > 0 else "")
    if progress.aborted:
        text += f"; stopping early: {progress.aborted}"
    return text


def rule_watch(
    check_id: str, measurements: Sequence[Measurement], rules: Sequence[DecisionRule]
) -> str:
    """``prometheus.error_rate worst 31.00% vs > 5.00% for 5.0m (held 20.00s)``, for every
    rule that applies to one of the measurements; '' when none does."""
    parts = []
    for index, rule in enumerate(rules):
        for m in measurements:
            threshold = rule.threshold_in(m.unit)
            if not m.samples or threshold is None or not rule.applies_to(check_id, m.name):
                continue
            sign = ">" if rule.is_above else "<"
            text = (
                f"{m.name} worst {format_value(worst(m.samples, rule.is_above), m.unit)} vs "
                f"{sign} {format_value(threshold, m.unit)}"
            )
            persistence = rule.persistence
            if persistence is not None:
                held = held_for(m.samples, partial(rule.crossed, threshold=threshold))
                text += f" {persistence.describe()} (held {format_value(held.held_s, 's')})"
            parts.append(f"{text} [rule {index + 1}]")
    return ", ".join(parts)
