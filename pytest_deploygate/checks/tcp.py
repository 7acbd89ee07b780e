"""``type = "tcp"``: a port accepts connections within the timeout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration, Target, WindowKeys
from pytest_deploygate.errors import ProbeProtocolError

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port); ValueError names what is wrong."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"'address' must be host:port (for IPv6 [::1]:port), got {address!r}")
    number = int(port)
    if not 1 <= number <= 65535:
        raise ValueError(f"'address' port must be 1 to 65535, got {number}")
    return host.strip("[]"), number


class TcpCheck(CheckSpec, WindowKeys):
    type: Literal["tcp"] = "tcp"
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    address: str | None = None
    max_latency: Duration | None = None

    @model_validator(mode="after")
    def _one_address(self) -> TcpCheck:
        if self.address is not None:
            if self.host is not None or self.port is not None:
                raise ValueError("give either 'address' (host:port) or 'host' and 'port', not both")
            split_address(self.address)
        elif self.port is None:
            raise ValueError(
                "give 'port' (host defaults to the target's base_url host) or "
                "'address = \"host:port\"'"
            )
        return self


@dataclass(frozen=True)
class TcpObservation:
    host: str
    port: int
    latency: float


def tcp_address(spec: TcpCheck, target: Target) -> tuple[str, int]:
    """The check's address, or its port on the host of the target's base_url."""
    if spec.address is not None:
        return split_address(spec.address)
    assert spec.port is not None  # the model guarantees port or address
    if spec.host is not None:
        return spec.host, spec.port
    for url in (target.base_url, target.websocket_url):
        host = urlsplit(url).hostname if url else None
        if host:
            return host, spec.port
    raise ProbeProtocolError(
        f"check {spec.id!r} has no 'host' and target {target.name!r} has no base_url "
        "to take it from"
    )


def where_tcp(spec: TcpCheck, target: Target, ctx: ProbeContext) -> str:
    host, port = tcp_address(spec, target)
    return f"{host}:{port}"
