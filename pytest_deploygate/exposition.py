"""The Prometheus text exposition format, read exactly as written (pure).

prometheus-client's parser renames samples (a counter ``y`` comes back as ``y_total``) and
drops the types of families whose TYPE line names the sample (``# TYPE x_total counter``),
so the gate reads the format itself: every sample under the name the target wrote, and
each ``# TYPE`` line as written. OpenMetrics' ``# EOF`` and exemplars are accepted.

Whether a sample is a counter or a gauge (``kind_of``) comes from its family's TYPE line;
without one, a name ending in ``_total`` is a counter and anything else a gauge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["counter", "gauge"]
Labels = tuple[tuple[str, str], ...]

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,?)')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
# Samples of a histogram or summary family that count (they only ever grow).
_COUNTING_SUFFIXES = {
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum"),
    "counter": ("_total",),
}


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Labels
    value: float


@dataclass(frozen=True)
class Exposition:
    """Every sample, and the declared type of each family (name -> TYPE as written)."""

    samples: tuple[Sample, ...]
    types: tuple[tuple[str, str], ...]


def parse(text: str) -> Exposition:
    """Samples and TYPE lines of a text exposition; ValueError naming the line otherwise."""
    samples: list[Sample] = []
    types: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        try:
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 4 and parts[1] == "TYPE":
                    types[parts[2]] = parts[3].strip().lower()
                continue
            samples.append(_sample(line))
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}: {line[:80]!r}") from None
    return Exposition(tuple(samples), tuple(types.items()))


def _sample(line: str) -> Sample:
    match = _NAME.match(line)
    if not match:
        raise ValueError("no metric name")
    name, rest = match.group(), line[match.end() :]
    labels: list[tuple[str, str]] = []
    if rest.startswith("{"):
        rest = rest[1:]
        while not rest.lstrip().startswith("}"):
            label = _LABEL.match(rest)
            if not label:
                raise ValueError("malformed labels")
            labels.append((label[1], _unescape(label[2])))
            rest = rest[label.end() :]
            if not label[3] and not rest.lstrip().startswith("}"):
                raise ValueError("malformed labels")
        rest = rest.lstrip()[1:]
    fields = rest.split("#", 1)[0].split()  # an OpenMetrics exemplar follows a '#'
    if not fields or len(fields) > 2:
        raise ValueError("expected a value and at most a timestamp")
    return Sample(name, tuple(sorted(labels)), float(fields[0]))


def _unescape(value: str) -> str:
    return re.sub(r"\\[\\\"n]", lambda m: _UNESCAPE[m.group()], value)


def family_of(name: str, types: Mapping[str, str]) -> tuple[str, str] | None:
    """The declared family a sample belongs to and its type, or None when undeclared."""
    if name in types:
        return name, types[name]
    for type_name, suffixes in _COUNTING_SUFFIXES.items():
        for suffix in suffixes:
            base = name.removesuffix(suffix)
            if base != name and types.get(base) == type_name:
                return base, type_name
    return None


def kind_of(name: str, types: Mapping[str, str]) -> Kind:
    """Counter or gauge, from the family's TYPE line. Counters: a ``counter`` family's
    samples, a histogram's ``_bucket``/``_count``/``_sum``, a summary's ``_count``/``_sum``.
    Gauges: ``gauge`` families, a summary's quantiles, everything else typed. Without a
    TYPE line (or ``untyped``/``unknown``): a counter when the name ends in ``_total``."""
    family = family_of(name, types)
    if family is None or family[1] in ("untyped", "unknown"):
        return "counter" if name.endswith("_total") else "gauge"
    base, type_name = family
    if type_name == "counter":
        return "counter"
    if type_name in ("histogram", "summary") and name != base:
        return "counter"
    return "gauge"
