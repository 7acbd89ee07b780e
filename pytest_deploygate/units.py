"""Parsing of the value notations SPEC.md fixes: durations, sizes, ratios."""

from __future__ import annotations

import math
import re

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_NUMBER = r"(?P<num>[0-9]+(?:\.[0-9]+)?)"
_DURATION_RE = re.compile(_NUMBER + r"\s*(?P<unit>ms|s|m|h|d)", re.IGNORECASE)
_SIZE_RE = re.compile(_NUMBER + r"\s*(?P<unit>[kmgt]i?b|b)", re.IGNORECASE)
_RATIO_RE = re.compile(_NUMBER + r"\s*%")

DURATION_HELP = "a duration such as 250ms, 5s, 5m or 1h"
SIZE_HELP = "a size such as 512MB, 10GB or 1GiB"
RATIO_HELP = "a ratio such as 5% or 0.05"
MAX_RELATIVE = 100.0  # 10000%
RELATIVE_HELP = "a share such as 20% (or 0.2) or a factor such as 2x"
_FACTOR_RE = re.compile(_NUMBER + r"\s*x", re.IGNORECASE)


def parse_duration(value: object) -> float:
    """Seconds from ``"250ms"``, ``"5s"``, ``"1m30s"`` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            # nan compares false with everything: a check held to it could never fail.
            raise ValueError(f"expected {DURATION_HELP}, got {value!r}, which is not finite")
        if value < 0:
            raise ValueError(f"expected {DURATION_HELP}, got a negative number")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
    text = value.strip().replace(" ", "")
    total, pos = 0.0, 0
    for match in _DURATION_RE.finditer(text):
        if match.start() != pos:
            break
        total += float(match["num"]) * _DURATION_UNITS[match["unit"].lower()]
        pos = match.end()
    if pos == 0 or pos != len(text):
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}{_spelled_duration(text)}")
    return total


# Units people write in words ("5 min", "30 seconds", "2 hrs") -> the notation.
_WORD_UNIT_RE = re.compile(
    r"(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<unit>millis(?:econds?)?|msecs?|sec(?:ond)?s?|min(?:ute)?s?"
    r"|h(?:ou)?rs?|hours?|days?)",
    re.IGNORECASE,
)
_WORD_UNITS = {"mil": "ms", "mse": "ms", "sec": "s", "min": "m", "h": "h", "day": "d"}


def _spelled_duration(text: str) -> str:
    """``; write '5m'`` for a duration spelled in words (``5 min``), else nothing."""
    found = _WORD_UNIT_RE.fullmatch(text)
    if not found:
        return ""
    word = found["unit"].lower()
    unit = next(u for prefix, u in _WORD_UNITS.items() if word.startswith(prefix))
    return f"; write '{found['num']}{unit}'"


def parse_size(value: object) -> int:
    """Bytes from ``"512MB"`` (decimal), ``"1GiB"`` (binary) or a bare number of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"expected {SIZE_HELP}, got {value!r}")
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        return int(value)
    if isinstance(value, str):
        match = _SIZE_RE.fullmatch(value.strip())
        if match:
            return int(float(match["num"]) * _SIZE_UNITS[match["unit"].lower()])
    raise ValueError(f"expected {SIZE_HELP}, got {value!r}")


def parse_ratio(value: object, at_most: float = 1.0) -> float:
    """A fraction from ``"5%"`` or ``0.05``, from 0 to ``at_most`` (100%: a share above
    the whole, ``max_ratio = "150%"``, would hold a check to a bound it can never cross)."""
    if isinstance(value, bool):
        raise ValueError(f"expected {RATIO_HELP}, got {value!r}")
    if isinstance(value, (int, float)) and 0 <= value <= at_most:
        return float(value)
    if isinstance(value, str):
        match = _RATIO_RE.fullmatch(value.strip())
        if match and float(match["num"]) / 100 <= at_most:
            return float(match["num"]) / 100
        if match:
            raise ValueError(f"expected a ratio from 0% to {at_most:.0%}, got {value!r}")
        try:
            return parse_ratio(float(value), at_most)
        except ValueError:
            pass
    raise ValueError(f"expected {RATIO_HELP}, got {value!r}")


def parse_relative(value: object) -> tuple[float, str]:
    """A change against a baseline and how it was written: ``(0.2, "ratio")`` from
    ``"20%"`` or ``0.2``, ``(2.0, "factor")`` from ``"2x"`` (read aloud: twice)."""
    if isinstance(value, str):
        match = _FACTOR_RE.fullmatch(value.strip())
        if match:
            return float(match["num"]), "factor"
    try:
        # "150%" above a baseline is a real limit (2.5 times it); a share without bound
        # (inf) would never fire.
        return parse_ratio(value, at_most=MAX_RELATIVE), "ratio"
    except ValueError:
        raise ValueError(f"expected {RELATIVE_HELP}, got {value!r}") from None


def parse_quantity(value: object) -> float:
    """A rule threshold in base units: a duration, size, ratio or plain number."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, {DURATION_HELP}, {SIZE_HELP} or {RATIO_HELP}")
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        for parser in (parse_duration, parse_size, parse_ratio):
            try:
                return float(parser(value))
            except ValueError:
                continue
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    spelled = _spelled_duration(value.replace(" ", "")) if isinstance(value, str) else ""
    raise ValueError(
        f"expected a number, {DURATION_HELP}, {SIZE_HELP} or {RATIO_HELP}; got {value!r}{spelled}"
    )


def parse_notation(value: object) -> tuple[float, str]:
    """A rule threshold and the kind of notation it was written in: ``duration``,
    ``size``, ``ratio`` or ``number`` (so "7d" can be held against a value in days)."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            return parse_ratio(text), "ratio"
        for parser, kind in ((parse_duration, "duration"), (parse_size, "size")):
            try:
                return float(parser(text)), kind
            except ValueError:
                continue
    return parse_quantity(value), "number"


def in_unit(value: float, kind: str, unit: str) -> float | None:
    """A threshold in the unit of the measurement it is compared with, or None when the
    notation does not fit the unit (a ratio against seconds)."""
    if kind == "number":
        return value
    if kind == "duration":
        return {"s": value, "days": value / 86400}.get(unit)
    if kind == "size":
        return value if unit == "bytes" else None
    return value if unit == "ratio" else None


# How a value that is not a finite number is written, in every output (JSON has no NaN).
NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}

_SPANS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
# Sizes are shown in powers of 1000, as SPEC.md's notation reads: 512MB = 512,000,000 bytes.
_SIZE_STEPS = (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3))


def format_duration(seconds: float) -> str:
    """``250ms``, ``2.41s``, ``3m 20s``, ``26h`` -> ``1d 2h``: the one way every output
    says a span of time (latencies, timeouts, windows, ages)."""
    if not math.isfinite(seconds):
        return NON_FINITE[str(seconds)]
    sign, size = ("-" if seconds < 0 else ""), abs(seconds)
    if round(size * 1000) < 1000:
        return f"{sign}{size * 1000:.0f}ms"
    if round(size, 2) < 60:
        return f"{sign}{size:.2f}s"
    rest, parts = round(size), list[tuple[int, str]]()
    for name, span in _SPANS:
        count, rest = divmod(rest, span)
        if count or parts:
            parts.append((count, name))
    # The two largest units: "3m 20s", "2h 5m", "1d 2h"; a zero second unit is left out.
    shown = [f"{count}{name}" for count, name in parts[:2] if count]
    return sign + " ".join(shown)


def format_size(size: float) -> str:
    """``944 MB``, ``1.5 GB``, ``512 B``: powers of 1000, three significant digits."""
    if not math.isfinite(size):
        return NON_FINITE[str(size)]
    for name, step in _SIZE_STEPS:
        if abs(size) >= step:
            return f"{_significant(size / step)} {name}"
    return f"{size:.0f} B"


def format_number(value: float) -> str:
    """A plain number, never in scientific notation: ``943718400``, ``0.000015``, ``2.5``."""
    if not math.isfinite(value):
        return NON_FINITE[str(value)]
    if value == int(value) or abs(value) >= 10**6:
        return str(round(value))
    text = f"{value:.6g}"
    if "e" in text:  # very small: positional, trailing zeros dropped
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text


def _significant(value: float) -> str:
    digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(value: float, unit: str) -> str:
    """A measured value in its unit, as every output (terminal, reasons, HTML, JUnit)
    shows it: seconds ``2.41s`` / ``3m 20s``, bytes ``944 MB``, ratios ``8.46%``, days
    ``3.0 days``, counts and plain numbers as numbers (never ``9.43718e+08``)."""
    if not math.isfinite(value):
        return NON_FINITE[str(value)]
    if unit == "s":
        return format_duration(value)
    if unit == "bytes":
        return format_size(value)
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == "days":
        return f"{value:.1f} days"
    text = format_number(value)
    # A count reads as a plain number: "3 above 0", not "3 count above 0 count".
    return f"{text} {unit}" if unit and unit != "count" else text


def plural(count: int, noun: str) -> str:
    """``1 check``, ``2 checks``: a count with its noun in the right number."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
