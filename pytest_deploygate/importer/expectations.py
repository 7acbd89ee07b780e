"""What an item's words say the result should be: "Expected: HTTP 200", "<10 connections",
"(>30 days)", "> 10GB free", "response time < 2 seconds". Regexes within one item's text."""

from __future__ import annotations

import re
from typing import Any

_UNIT = r"(?P<unit>ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b"
_LESS = r"(?:<=?|≤|under|below|less than|at most|within|not exceed(?:ing)?)"
_MORE = r"(?:>=?|≥|over|above|more than|at least|greater than)"


def duration(number: str, unit: str) -> str:
    """ "2", "seconds" -> "2s"; the notation the config reads."""
    unit = unit.lower()
    if unit.startswith("ms") or unit.startswith("milli"):
        suffix = "ms"
    elif unit.startswith("m"):
        suffix = "m"
    elif unit.startswith("h"):
        suffix = "h"
    else:
        suffix = "s"
    value = number.rstrip("0").rstrip(".") if "." in number else number
    return f"{value}{suffix}"


class Expectations:
    """Reads expectations out of one item's words (its text, "Expected:" lines, comments)."""

    def __init__(self, words: str) -> None:
        self.words = words

    def status(self) -> int | None:
        found = re.search(r"\bHTTP\s*(?:status\s*)?([1-5][0-9]{2})\b", self.words, re.I)
        found = found or re.search(r"\b(?:returns?|status)\s*:?\s*([1-5][0-9]{2})\b", self.words)
        found = found or re.search(r"\b([1-5][0-9]{2})\s+OK\b", self.words)
        return int(found.group(1)) if found else None

    def json_fields(self) -> dict[str, Any]:
        """``"status": "healthy"`` pairs, placeholders ("...") left out."""
        pairs = re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*"([^"]*)"', self.words)
        return {k: v for k, v in pairs if v and "..." not in v and "<" not in v}

    def duration_below(self, kind: str) -> str | None:
        """A bound on response time ("latency") or its 95th percentile ("p95")."""
        for sentence in re.split(r"[.;\n]|,\s", self.words):
            lower = sentence.lower()
            if kind == "p95" and not re.search(r"p95|95th|percentile", lower):
                continue
            if kind == "latency" and re.search(r"p95|95th|database|query|db\b", lower):
                continue
            if not re.search(r"response|latency|respond", lower):
                continue
            found = re.search(_LESS + r"\s*(?P<n>[0-9]+(?:\.[0-9]+)?)\s*" + _UNIT, sentence, re.I)
            if found:
                return duration(found["n"], found["unit"])
        return None

    def ratio_below(self) -> str | None:
        found = re.search(_LESS + r"\s*([0-9]+(?:\.[0-9]+)?)\s*%", self.words, re.I)
        return f"{found.group(1)}%" if found else None

    def count_below(self) -> int | None:
        found = re.search(r"(?:<|under|below|less than|fewer than)\s*([0-9]+)\b", self.words, re.I)
        return int(found.group(1)) if found else None

    def days_at_least(self) -> int | None:
        found = re.search(_MORE + r"\s*([0-9]+)\s*days?", self.words, re.I)
        return int(found.group(1)) if found else None

    def size_at_least(self) -> str | None:
        found = re.search(_MORE + r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B)\b", self.words, re.I)
        return f"{found.group(1)}{found.group(2).upper().replace('IB', 'iB')}" if found else None

    def version_at_least(self) -> str | None:
        found = re.search(r"(?:>=|≥|at least|or newer)\s*v?([0-9]+(?:\.[0-9]+)?)", self.words)
        return found.group(1) if found else None

    def quoted_output(self) -> str | None:
        """The first quoted phrase of an "Expected:" line ("No pending migrations")."""
        found = re.search(r'(?:expected|expect|output)[^"]*"([^"]{3,})"', self.words, re.I)
        return found.group(1) if found else None

    def expected_value(self) -> int | None:
        """ "-- Should be 1", "Expected output: 3 tables" -> the number."""
        found = re.search(
            r"(?:should be|expected(?: output)?:?|returns?)\s*([0-9]+)\b", self.words, re.I
        )
        return int(found.group(1)) if found else None
