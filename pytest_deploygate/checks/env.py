"""``type = "env"``: environment variables of the machine running the gate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails

from pytest_deploygate.checks.base import CheckSpec


class EnvCheck(CheckSpec):
    type: Literal["env"] = "env"
    variables: tuple[str, ...] = Field(min_length=1)
    patterns: dict[str, str] = Field(default_factory=dict)

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern for {name} is not a valid regex: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _patterns_name_listed_variables(self) -> EnvCheck:
        # A pattern for a name that is not checked would never be applied: a typo in the
        # name (LOG_LEVL) must not pass the gate silently.
        for name, pattern in self.patterns.items():
            if name not in self.variables:
                detail: InitErrorDetails = {
                    "type": "value_error",
                    "loc": ("patterns", name),
                    "input": pattern,
                    "ctx": {
                        "error": ValueError(
                            f"a pattern for {name}, which is not in variables "
                            f"({', '.join(self.variables)}): add {name!r} to variables = [...] "
                            "or correct the name, or the pattern is never applied"
                        )
                    },
                }
                raise ValidationError.from_exception_data(type(self).__name__, [detail])
        return self


@dataclass(frozen=True)
class EnvVariable:
    """What is known of one variable: never its value."""

    name: str
    present: bool
    empty: bool
    matches: bool | None  # None: no pattern was asked for


@dataclass(frozen=True)
class EnvObservation:
    variables: tuple[EnvVariable, ...]
