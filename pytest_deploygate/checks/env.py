"""``type = "env"``: environment variables of the machine running the gate.

The keys (``EnvKeys``) are shared with the host ``env`` sub-kind (checks/host.py): exact
names in ``variables``, value patterns in ``patterns``, name patterns in ``matching``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails
from typing_extensions import Self

from pytest_deploygate.checks.base import CheckSpec, Model
from pytest_deploygate.checks.validators import check_regexes, refuse_matching_everything

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class EnvKeys(Model):
    """Which variables must be set: by exact name, by name pattern, or both."""

    variables: tuple[str, ...] = ()
    patterns: dict[str, str] = Field(default_factory=dict)
    matching: tuple[str, ...] = ()
    min_matching: int = Field(default=1, ge=1)

    @field_validator("variables")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not _NAME.fullmatch(name):
                raise ValueError(
                    f"{name!r} is not an environment variable name (letters, digits and '_'); "
                    "to require variables by a part of their name use matching = [...]"
                )
        return value

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: dict[str, str]) -> dict[str, str]:
        check_regexes(value, "patterns")
        return value

    @field_validator("matching")
    @classmethod
    def _matching_compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_regexes(value, "matching")
        # A pattern every name matches would pass on any machine.
        refuse_matching_everything(value, "matching", "variable name")
        return value

    @model_validator(mode="after")
    def _something_to_check(self) -> Self:
        if not self.variables and not self.matching:
            raise _key_error(
                self,
                ("variables",),
                'the check names no variable: list exact names in variables = ["DATABASE_URL"] '
                'and/or name patterns in matching = ["^OLLAMA_"] (each needs at least one '
                "set, non-empty variable whose name it matches)",
            )
        if "min_matching" in self.model_fields_set and not self.matching:
            raise _key_error(
                self,
                ("min_matching",),
                "min_matching counts the variables each name pattern in 'matching' finds, "
                'and there is none: add matching = ["^PREFIX_"] or remove min_matching',
            )
        return self

    @model_validator(mode="after")
    def _patterns_name_listed_variables(self) -> Self:
        # A pattern for a name that is not checked would never be applied: a typo in the
        # name (LOG_LEVL) must not pass the gate silently.
        for name in self.patterns:
            if name not in self.variables:
                raise _key_error(
                    self,
                    ("patterns", name),
                    f"a pattern for {name}, which is not in variables "
                    f"({', '.join(self.variables) or 'none'}): add {name!r} to variables = "
                    "[...] or correct the name, or the pattern is never applied",
                )
        return self


def _key_error(model: Model, loc: tuple[str, ...], message: str) -> ValidationError:
    """An error located at ``loc``, so config.py names that key (a model-level
    ValueError would name only the check)."""
    detail: InitErrorDetails = {
        "type": "value_error",
        "loc": loc,
        "input": None,
        "ctx": {"error": ValueError(message)},
    }
    return ValidationError.from_exception_data(type(model).__name__, [detail])


class EnvCheck(CheckSpec, EnvKeys):
    type: Literal["env"] = "env"


@dataclass(frozen=True)
class EnvVariable:
    """What is known of one variable: never its value."""

    name: str
    present: bool
    empty: bool
    matches: bool | None  # None: no pattern was asked for


@dataclass(frozen=True)
class NameSeen:
    """A variable set in the environment, by name only: whether its value is empty."""

    name: str
    empty: bool


@dataclass(frozen=True)
class EnvObservation:
    variables: tuple[EnvVariable, ...]
    # Every variable set, read only when the check has ``matching``.
    named: tuple[NameSeen, ...] = ()
