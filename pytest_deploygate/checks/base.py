"""The model every declared check shares, and the target it runs against."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from pytest_deploygate.units import parse_duration, parse_quantity, parse_ratio, parse_size

Phase = Literal["predeploy", "smoke", "postdeploy"]
Decision = Literal["ok", "investigate", "rollback"]
PHASES: tuple[Phase, ...] = ("predeploy", "smoke", "postdeploy")
DECISIONS: tuple[Decision, ...] = ("ok", "investigate", "rollback")

Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
Ratio = Annotated[float, BeforeValidator(parse_ratio)]
Quantity = Annotated[float, BeforeValidator(parse_quantity)]
CheckId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1, max_length=100)]

DEFAULT_TIMEOUT = 10.0


class Model(BaseModel):
    """Strict, frozen base: unknown keys are errors, values never change after load."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Target(Model):
    """One environment to check; ``extends`` is resolved before this model is built."""

    name: str = ""
    base_url: str | None = None
    database_url: str | None = None
    websocket_url: str | None = None
    prometheus_url: str | None = None
    expected_version: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration | None = None
    verify: bool = True
    ca_bundle: Path | None = None
    hosts: tuple[str, ...] = ()
    ssh_config: Path | None = None
    ssh_identity_file: Path | None = None
    sudo: bool = False
    ansible_inventory: Path | None = None
    description: str = ""


class CheckSpec(Model):
    """Keys every check type has; a check type adds its own by subclassing."""

    id: CheckId
    type: str
    phases: tuple[Phase, ...] = Field(min_length=1)
    description: str = ""
    timeout: Duration | None = None
    wait: Duration | None = None
    wait_interval: Duration = 1.0
    on_fail: Decision = "rollback"
    on_error: Decision = "rollback"

    def effective_timeout(self, target: Target) -> float:
        """The check's timeout, else the target's, else the default."""
        if self.timeout is not None:
            return self.timeout
        if target.timeout is not None:
            return target.timeout
        return DEFAULT_TIMEOUT
