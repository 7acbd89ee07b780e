"""The ``[[decision.rules]]`` rows of the decision matrix, as validated config."""

from __future__ import annotations

from fnmatch import fnmatchcase

from pydantic import model_validator

from pytest_deploygate.checks.base import Decision, Model, Quantity
from pytest_deploygate.outcomes import Measurement


class DecisionRule(Model):
    """Raise a check's decision when one of its measurements crosses a threshold."""

    measurement: str
    check: str = "*"
    above: Quantity | None = None
    below: Quantity | None = None
    decision: Decision
    description: str = ""

    @model_validator(mode="after")
    def _one_threshold(self) -> DecisionRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        return self

    @property
    def threshold(self) -> float:
        return self.above if self.above is not None else self.below  # type: ignore[return-value]

    def matches(self, check_id: str, measurement: Measurement) -> bool:
        if not fnmatchcase(measurement.name, self.measurement):
            return False
        # A check that fans out (``disk@ssh://web-1``) also answers to its own id.
        base_id = check_id.split("@", 1)[0]
        if not (fnmatchcase(check_id, self.check) or fnmatchcase(base_id, self.check)):
            return False
        if self.above is not None:
            return measurement.value > self.above
        return measurement.value < self.threshold
