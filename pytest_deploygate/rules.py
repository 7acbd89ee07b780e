"""The ``[[decision.rules]]`` rows of the decision matrix, as validated config."""

from __future__ import annotations

import math
from fnmatch import fnmatchcase
from typing import Annotated

from pydantic import Field, WithJsonSchema, field_validator, model_validator

from pytest_deploygate.checks.base import Decision, Duration, Model
from pytest_deploygate.samples import Persistence, Summary
from pytest_deploygate.units import in_unit, parse_notation

# The notation stays as written: "7d" against days, "5%" against a ratio.
Threshold = Annotated[
    float | str,
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "number"}],
            "description": "a number, a duration (2s, 7d), a size (10GB) or a ratio (5%)",
        }
    ),
]


class DecisionRule(Model):
    """Raise a check's decision when one of its measurements crosses a threshold.

    On a measurement with samples (an observation window): with ``for``, the row fires
    when the threshold was crossed at every sample across at least that long; with
    ``consecutive``, at that many samples in a row; with neither, it compares one
    ``summary`` of the samples (default: the worst sample, the largest for ``above``,
    the smallest for ``below``).
    """

    measurement: str
    check: str = "*"
    above: Threshold | None = None
    below: Threshold | None = None
    for_: Duration | None = Field(default=None, alias="for")
    consecutive: int | None = Field(default=None, ge=1)
    summary: Summary | None = None
    decision: Decision
    description: str = ""

    @model_validator(mode="after")
    def _one_threshold(self) -> DecisionRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        if self.for_ is not None and self.consecutive is not None:
            raise ValueError("give at most one of 'for' and 'consecutive'")
        if self.summary is not None and self.persistence is not None:
            raise ValueError(
                "'summary' applies to rules without 'for' or 'consecutive' (those look at "
                "every sample): remove one of them"
            )
        return self

    @property
    def persistence(self) -> Persistence | None:
        """What ``for`` / ``consecutive`` ask of the samples; None for a plain row."""
        if self.for_ is None and self.consecutive is None:
            return None
        return Persistence(self.for_, self.consecutive)

    @property
    def is_above(self) -> bool:
        return self.above is not None

    @field_validator("above", "below")
    @classmethod
    def _parses(cls, value: float | str | None) -> float | str | None:
        if value is not None:
            parse_notation(value)
        return value

    @property
    def raw_threshold(self) -> float | str:
        value = self.above if self.above is not None else self.below
        assert value is not None  # the validator guarantees one of them
        return value

    @property
    def threshold(self) -> float:
        """The threshold in base units (seconds, bytes, ratio)."""
        return parse_notation(self.raw_threshold)[0]

    def threshold_in(self, unit: str) -> float | None:
        """The threshold in ``unit``, or None when the notation does not fit it."""
        value, kind = parse_notation(self.raw_threshold)
        return in_unit(value, kind, unit)

    def applies_to(self, check_id: str, measurement_name: str) -> bool:
        if not fnmatchcase(measurement_name, self.measurement):
            return False
        # A check that fans out (``disk@ssh://web-1``) also answers to its own id.
        base_id = check_id.split("@", 1)[0]
        return fnmatchcase(check_id, self.check) or fnmatchcase(base_id, self.check)

    def crossed(self, value: float, threshold: float) -> bool:
        """Whether ``value`` is on the bad side; NaN and infinities always are (SPEC: a
        value that is not a finite number is never within bounds)."""
        if math.isnan(value) or math.isinf(value):
            return True
        return value > threshold if self.above is not None else value < threshold
