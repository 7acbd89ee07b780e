"""``type = "redis"``: PING answers PONG, INFO figures within bounds, optionally a write
that reads back (on a scratch key with a short TTL, deleted by the gate).

The gate is read-only by default: PING and INFO change nothing. ``write_probe = true``
writes one key ``deploygate:probe:<random>`` that expires after ``WRITE_PROBE_TTL_S``
even when the gate is killed between SET and DEL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration, Ratio, Size, Target, WindowKeys
from pytest_deploygate.checks.redis_url import DEFAULT_PORT, RedisAddress, parse_redis_url
from pytest_deploygate.checks.validators import LENIENT
from pytest_deploygate.errors import ProbeProtocolError

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

# The scratch key outlives a killed gate by at most this long.
WRITE_PROBE_TTL_S = 30
WRITE_PROBE_PREFIX = "deploygate:probe:"

# INFO fields read into measurements (INFO's own names).
USED_MEMORY = "used_memory"
MAXMEMORY = "maxmemory"
CONNECTED_CLIENTS = "connected_clients"
REJECTED_CONNECTIONS = "rejected_connections"
ROLE = "role"


class RedisCheck(CheckSpec, WindowKeys):
    type: Literal["redis"] = "redis"
    url: str | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    db: int | None = Field(default=None, ge=0)
    tls: bool = False
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    verify: bool | None = None
    ca_bundle: Path | None = None
    max_latency: Duration | None = None
    max_used_memory: Size | None = None
    max_memory_ratio: Ratio | None = None
    max_connected_clients: int | None = Field(default=None, ge=0)
    max_rejected_connections: int | None = Field(default=None, ge=0)
    role: Literal["master", "replica"] | None = None
    write_probe: bool = False

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and not (info.context or {}).get(LENIENT):
            parse_redis_url(value)
        return value

    @model_validator(mode="after")
    def _one_address(self) -> RedisCheck:
        if self.url and (self.host is not None or self.port is not None):
            raise ValueError("give either 'url' or 'host' (and 'port'), not both")
        if self.port is not None and self.host is None:
            raise ValueError("'port' needs 'host' (or write url = \"redis://HOST:PORT\")")
        if self.url and (self.db is not None or self.tls):
            raise ValueError(
                "'db' and 'tls' go with 'host'; in a URL write the database as its path "
                "(redis://HOST:PORT/1) and TLS as rediss://"
            )
        if self.url and self.password is not None and parse_redis_url(self.url).password:
            raise ValueError("the URL has a password and so does 'password': give it once")
        if self.verify is False and self.ca_bundle is not None:
            raise ValueError("'verify = false' and 'ca_bundle' contradict each other")
        return self

    def needed_target_keys(self) -> tuple[str, ...]:
        return () if self.url or self.host else ("redis_url",)

    def secret_values(self) -> tuple[str, ...]:
        return (self.password,) if self.password else ()


@dataclass(frozen=True)
class WriteProbe:
    """The write probe: the scratch key, the step that went wrong (``SET``, ``GET``,
    ``DEL``) and how, and the time SET + GET + DEL took."""

    key: str
    failed_step: str | None = None
    detail: str = ""
    latency: float = 0.0


@dataclass(frozen=True)
class RedisObservation:
    """What the server answered: PING's reply as text (``PONG``, or ``error: ...``), its
    round trip, INFO's fields as the server wrote them (parsed by the judge, so that a
    missing or unreadable figure is its finding), and the write probe's result."""

    where: str
    pong: str
    latency: float
    info: dict[str, str] = field(default_factory=dict)
    write: WriteProbe | None = None


def redis_address(spec: RedisCheck, target: Target) -> RedisAddress:
    """The check's ``url``, or its ``host``/``port``, else the target's ``redis_url``;
    the check's ``username``/``password`` fill what the URL leaves out."""
    if spec.host is not None:
        return RedisAddress(
            host=spec.host,
            port=spec.port or DEFAULT_PORT,
            db=spec.db or 0,
            tls=spec.tls,
            username=spec.username,
            password=spec.password,
        )
    url = spec.url or target.redis_url
    if not url:
        raise ProbeProtocolError(
            f"check {spec.id!r} has no 'url' or 'host' and target {target.name!r} has no redis_url"
        )
    address = parse_redis_url(url)
    return replace(
        address,
        db=address.db if spec.db is None else spec.db,
        username=address.username or spec.username,
        password=address.password or spec.password,
    )


def redis_measurements(spec: RedisCheck) -> tuple[str, ...]:
    """What a redis check measures when PING answers PONG; ``redis.memory_ratio`` only
    when the server has a ``maxmemory`` (a rule on it otherwise investigates: it could not
    be judged), ``redis.write_latency`` only with the write probe."""
    names = (
        "redis.latency",
        "redis.used_memory",
        "redis.memory_ratio",
        "redis.connected_clients",
        "redis.rejected_connections",
    )
    return (*names, "redis.write_latency") if spec.write_probe else names


def where_redis(spec: RedisCheck, target: Target, ctx: ProbeContext) -> str:
    return redis_address(spec, target).shown
