"""``type = "env"``: environment variables of the machine running the gate."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

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
