"""The model every declared check shares, and the target it runs against."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal, NamedTuple

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from pytest_deploygate.checks.redis_url import parse_redis_url
from pytest_deploygate.checks.validators import HTTP_SCHEMES, LENIENT, WS_SCHEMES, check_url
from pytest_deploygate.names import Phase
from pytest_deploygate.units import (
    format_value,
    parse_duration,
    parse_quantity,
    parse_ratio,
    parse_size,
)

Decision = Literal["ok", "investigate", "rollback"]
DECISIONS: tuple[Decision, ...] = ("ok", "investigate", "rollback")


def _notation(pattern: str, description: str) -> WithJsonSchema:
    """What editors should offer: the written notation, or a bare number."""
    return WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": pattern}, {"type": "number", "minimum": 0}],
            "description": description,
        }
    )


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    _notation(r"^([0-9.]+\s*(ms|s|m|h|d))+$", "a duration: 250ms, 5s, 5m, 1h (number: seconds)"),
]
Size = Annotated[
    int,
    BeforeValidator(parse_size),
    _notation(r"^[0-9.]+\s*([kKmMgGtT]i?[bB]|[bB])$", "a size: 512MB, 10GB, 1GiB (number: bytes)"),
]
Ratio = Annotated[
    float,
    BeforeValidator(parse_ratio),
    _notation(r"^[0-9.]+\s*%?$", "a ratio: 5% or 0.05"),
]
Quantity = Annotated[
    float,
    BeforeValidator(parse_quantity),
    _notation(r"^.+$", "a number, or a duration (2s), size (10GB) or ratio (5%) in base units"),
]
# The unit a check may declare for a value it reads (a query result, a metric), so rules
# and messages treat it as a duration, a size or a ratio: "512MB" then fits a rule on it.
MeasurementUnit = Literal["", "s", "bytes", "ratio", "count", "days"]
CheckId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1, max_length=100)]

DEFAULT_TIMEOUT = 10.0


class Model(BaseModel):
    """Strict, frozen base: unknown keys are errors, values never change after load."""

    # defer_build: pydantic builds a model's validator when it first validates, not when
    # the class is created: a gate (and every xdist worker) pays only for the check types
    # its config uses, not for all of them at import.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True
    )


class Target(Model):
    """One environment to check; ``extends`` is resolved before this model is built."""

    name: str = ""
    base_url: str | None = None
    database_url: str | None = None
    websocket_url: str | None = None
    prometheus_url: str | None = None
    prometheus_server: str | None = None
    redis_url: str | None = None
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

    # database_url is not checked here: it is a PostgreSQL DSN or URL, or a SQLite path.
    @field_validator("base_url", "prometheus_url", "prometheus_server")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return check_url(value, HTTP_SCHEMES, info)

    @field_validator("websocket_url")
    @classmethod
    def _websocket_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return check_url(value, WS_SCHEMES, info)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and not (info.context or {}).get(LENIENT):
            parse_redis_url(value)
        return value


class Unfit(NamedTuple):
    """Why a check cannot run on the selected target, found when the config loads: the
    check's key at fault, what is wrong, and the fix."""

    key: str
    problem: str
    fix: str


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

    # Target keys this type cannot run without: the config is refused, naming the key,
    # before anything runs when the target lacks one (config.load).
    TARGET_KEYS: ClassVar[tuple[str, ...]] = ()

    def needed_target_keys(self) -> tuple[str, ...]:
        """The target keys this check cannot run without (``TARGET_KEYS``, unless the
        check's own keys make one unneeded)."""
        return self.TARGET_KEYS

    def unfit_for(self, target: Target) -> Unfit | None:
        """What makes this check unable to run on ``target`` whatever the target answers
        (a path that means nothing on its hosts), or None."""
        return None

    def secret_values(self) -> tuple[str, ...]:
        """Values of the check's own keys that no output may show (a password)."""
        return ()

    def effective_timeout(self, target: Target) -> float:
        """The check's timeout, else the target's, else the default."""
        if self.timeout is not None:
            return self.timeout
        if target.timeout is not None:
            return target.timeout
        return DEFAULT_TIMEOUT


class WindowKeys(Model):
    """Keys of a check type that can be observed over a window: with ``window`` (or, for a
    type that ``observes_by_default``, under ``--observe``) it probes every ``interval``
    across the window instead of once, and each probe is one sample of its measurements.
    ``--observe`` sets the length of every window of the run."""

    # Types that watch whenever the run has --observe, window or not (metrics).
    observes_by_default: ClassVar[bool] = False

    window: Duration | None = None
    interval: Duration | None = None
    initial_delay: Duration | None = None

    @field_validator("window")
    @classmethod
    def _watches(cls, value: float | None) -> float | None:
        # Read as "no window", a zero window would run the check once, unwatched, under
        # a config that says it is watched.
        if value is not None and value <= 0:
            raise ValueError(
                'must be longer than 0s: a zero window watches nothing; write e.g. window = "5m", '
                "or remove window to check once"
            )
        return value

    @model_validator(mode="after")
    def _fits_the_window(self) -> WindowKeys:
        if self.interval is not None and self.interval <= 0:
            raise ValueError("interval must be longer than 0s")
        if self.window is not None and self.interval is not None and self.interval > self.window:
            raise ValueError(
                f"interval ({format_value(self.interval, 's')}) is longer than the window "
                f"({format_value(self.window, 's')}): the window would hold one sample; "
                "make the interval shorter or the window longer"
            )
        if self.window is not None and getattr(self, "wait", None) is not None:
            raise ValueError(
                "wait retries a check run once; over a window every probe is a sample and "
                "rules with for decide how long a failure may last: remove wait"
            )
        if not self.observes_by_default and self.window is None:
            given = [k for k in ("interval", "initial_delay") if getattr(self, k) is not None]
            if given:
                raise ValueError(
                    f"{given[0]} applies to a check observed over a window: add window = "
                    '"5m" (or remove it)'
                )
        return self
