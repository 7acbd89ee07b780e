"""Sparklines of a measurement's samples: one line of text for the terminal, a small
inline SVG for the HTML report (threshold drawn, the span a ``for`` rule held shaded).

Pure functions of plain data; people read a trend faster than a table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from pytest_deploygate.samples import finite
from pytest_deploygate.units import format_value

BARS = "▁▂▃▄▅▆▇█"
NOT_A_NUMBER = "×"
TEXT_WIDTH = 24
SVG_WIDTH, SVG_HEIGHT, SVG_PAD = 160, 32, 2


def text_sparkline(
    samples: Sequence[tuple[float, float]], *, width: int = TEXT_WIDTH, low_is_bad: bool = False
) -> str:
    """``▁▁▂▇█▇▂▁``: one character per sample, or per group of samples when there are more
    than ``width`` (a group shows its worst: the largest, or the smallest when
    ``low_is_bad``). A value that is not a finite number shows as ``×``."""
    values = _groups([v for _, v in sorted(samples)], width, low_is_bad)
    numbers = [v for v in values if finite(v)]
    if not numbers:
        return NOT_A_NUMBER * len(values)
    low, high = min(numbers), max(numbers)
    if high == low:
        # A flat line is drawn against zero: a steady 1 (up) must not read as all down.
        low, high = min(low, 0.0), max(high, 0.0)
    span = high - low
    return "".join(
        NOT_A_NUMBER
        if not finite(v)
        else BARS[0 if span == 0 else round((v - low) / span * (len(BARS) - 1))]
        for v in values
    )


def _groups(values: list[float], width: int, low_is_bad: bool) -> list[float]:
    if len(values) <= width:
        return values
    size = len(values) / width
    groups = [
        values[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)] for i in range(width)
    ]
    return [_worst(g, low_is_bad) for g in groups]


def _worst(group: list[float], low_is_bad: bool) -> float:
    if not all(map(finite, group)):
        return math.nan
    return min(group) if low_is_bad else max(group)


def svg_sparkline(
    samples: Sequence[tuple[float, float]],
    *,
    unit: str = "",
    threshold: float | None = None,
    spans: Sequence[tuple[float, float]] = (),
    label: str = "",
    width: int = SVG_WIDTH,
    height: int = SVG_HEIGHT,
) -> str:
    """An inline ``<svg>``: the samples as a line over the window's time, ``threshold`` as
    a dashed red line, each of ``spans`` (seconds into the window, where a ``for`` rule's
    condition held) shaded, samples that are not finite numbers as red ticks at the top.
    Its ``<title>`` says the same in words, for screen readers and hover."""
    ordered = sorted(samples)
    if not ordered:
        return ""
    t0, t1 = ordered[0][0], ordered[-1][0]
    numbers = [v for _, v in ordered if finite(v)]
    bounds = numbers + ([threshold] if threshold is not None and finite(threshold) else [])
    low, high = (min(bounds), max(bounds)) if bounds else (0.0, 1.0)
    if high == low:
        low, high = low - 1, high + 1

    def x(t: float) -> float:
        return SVG_PAD + (0.5 if t1 == t0 else (t - t0) / (t1 - t0)) * (width - 2 * SVG_PAD)

    def y(v: float) -> float:
        return height - SVG_PAD - (v - low) / (high - low) * (height - 2 * SVG_PAD)

    parts = [
        f'<rect class="dg-spark-held" x="{x(max(a, t0)):.1f}" y="0" '
        f'width="{max(x(min(b, t1)) - x(max(a, t0)), 1.5):.1f}" height="{height}" '
        'fill="#f8d7da"/>'
        for a, b in spans
    ]
    if threshold is not None and finite(threshold):
        parts.append(
            f'<line class="dg-spark-threshold" x1="0" x2="{width}" y1="{y(threshold):.1f}" '
            f'y2="{y(threshold):.1f}" stroke="#c0392b" stroke-dasharray="3,2" stroke-width="1"/>'
        )
    for segment in _segments(ordered):
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in segment)
        if len(segment) == 1:
            t, v = segment[0]
            parts.append(f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="1.5" fill="#2c3e50"/>')
        else:
            parts.append(
                f'<polyline class="dg-spark-line" points="{points}" fill="none" '
                'stroke="#2c3e50" stroke-width="1.2"/>'
            )
    parts.extend(
        f'<line class="dg-spark-nan" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="0" y2="5" '
        'stroke="#c0392b" stroke-width="1.5"/>'
        for t, v in ordered
        if not finite(v)
    )
    title = escape(_title(ordered, unit, threshold, spans, label))
    return (
        f'<svg class="dg-spark" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{title}">'
        f"<title>{title}</title>{''.join(parts)}</svg>"
    )


def _segments(ordered: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Runs of finite samples: the line breaks where a value is missing."""
    runs: list[list[tuple[float, float]]] = [[]]
    for t, v in ordered:
        if finite(v):
            runs[-1].append((t, v))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _title(
    ordered: list[tuple[float, float]],
    unit: str,
    threshold: float | None,
    spans: Sequence[tuple[float, float]],
    label: str,
) -> str:
    numbers = [v for _, v in ordered if finite(v)]
    over = format_value(ordered[-1][0] - ordered[0][0], "s")
    text = f"{label + ': ' if label else ''}{len(ordered)} samples over {over}"
    if numbers:
        text += f", {format_value(min(numbers), unit)} to {format_value(max(numbers), unit)}"
    if len(numbers) < len(ordered):
        text += f", {len(ordered) - len(numbers)} not a number"
    if threshold is not None:
        text += f"; threshold {format_value(threshold, unit)}"
    for a, b in spans:
        text += f"; held from {format_value(a, 's')} to {format_value(b, 's')}"
    return text
