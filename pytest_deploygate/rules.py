"""The ``[[decision.rules]]`` rows of the decision matrix, as validated config."""

from __future__ import annotations

import math
from fnmatch import fnmatchcase
from typing import Annotated

from pydantic import Field, WithJsonSchema, field_validator, model_validator

from pytest_deploygate.checks.base import Decision, Duration, Model
from pytest_deploygate.samples import Persistence, Summary
from pytest_deploygate.units import in_unit, parse_notation, parse_relative

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
ONE_THRESHOLD = "give exactly one of 'above', 'below', 'above_baseline' or 'below_baseline'"
# "20%" of the baseline, or a factor: "2x" (twice the baseline; below: half of it).
Relative = Annotated[
    float | str,
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "number"}],
            "description": "a share of the baseline's value (20%, 0.2) or a factor (2x)",
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
    above_baseline: Relative | None = None
    below_baseline: Relative | None = None
    for_: Duration | None = Field(default=None, alias="for")
    consecutive: int | None = Field(default=None, ge=1)
    summary: Summary | None = None
    decision: Decision
    description: str = ""

    @model_validator(mode="after")
    def _one_threshold(self) -> DecisionRule:
        given = (self.above, self.below, self.above_baseline, self.below_baseline)
        if sum(v is not None for v in given) != 1:
            raise ValueError(ONE_THRESHOLD)
        if self.for_ is not None and self.consecutive is not None:
            raise ValueError("give at most one of 'for' and 'consecutive'")
        if self.summary is not None and self.persistence is not None:
            raise ValueError(
                "'summary' applies to rules without 'for' or 'consecutive' (those look at "
                "every sample): remove one of them"
            )
        return self

    @field_validator("above_baseline", "below_baseline")
    @classmethod
    def _relative(cls, value: float | str | None) -> float | str | None:
        if value is None:
            return value
        number, kind = parse_relative(value)
        if kind == "factor" and number < 1:
            raise ValueError(
                f"a factor is 1x or more, got {value!r}: '2x' means twice the baseline "
                "(above_baseline) or half of it (below_baseline)"
            )
        return value

    @property
    def persistence(self) -> Persistence | None:
        """What ``for`` / ``consecutive`` ask of the samples; None for a plain row."""
        if self.for_ is None and self.consecutive is None:
            return None
        return Persistence(self.for_, self.consecutive)

    @property
    def is_above(self) -> bool:
        """Fires on values above its limit (``above``, ``above_baseline``)."""
        return self.above is not None or self.above_baseline is not None

    @field_validator("above", "below")
    @classmethod
    def _parses(cls, value: float | str | None) -> float | str | None:
        if value is not None:
            parse_notation(value)
        return value

    @model_validator(mode="after")
    def _below_reachable(self) -> DecisionRule:
        if self.below_baseline is not None and self.baseline_share >= 1:
            raise ValueError(
                f"below_baseline = {self.below_baseline!r} can never fire (the value would "
                "have to drop below zero): write a share under 100%, or a factor such as 2x"
            )
        return self

    @property
    def raw_threshold(self) -> float | str:
        given = (self.above, self.below, self.above_baseline, self.below_baseline)
        value = next(v for v in given if v is not None)  # the validator guarantees one
        return value

    @property
    def relative(self) -> bool:
        """Compared with the baseline's value rather than with a fixed threshold."""
        return self.above_baseline is not None or self.below_baseline is not None

    @property
    def baseline_share(self) -> float:
        """How far from the baseline the value may move, as a share of the baseline:
        "20%" is 0.2; "2x" is 1.0 above (twice) and 0.5 below (half)."""
        number, kind = parse_relative(self.raw_threshold)
        if kind == "ratio":
            return number
        return number - 1 if self.is_above else 1 - 1 / number

    def baseline_limit(self, baseline: float) -> float:
        """The value this row holds a measurement to, given the baseline's value."""
        step = abs(baseline) * self.baseline_share
        return baseline + step if self.is_above else baseline - step

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
        return value > threshold if self.is_above else value < threshold
