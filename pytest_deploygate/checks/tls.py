"""``type = "tls"``: the certificate a server presents: dates, hostname, chain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from pytest_deploygate.checks.base import CheckSpec, Target
from pytest_deploygate.errors import ProbeProtocolError

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

DEFAULT_MIN_DAYS_LEFT = 30.0


class TlsCheck(CheckSpec):
    type: Literal["tls"] = "tls"
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    server_name: str | None = None
    min_days_left: float = Field(default=DEFAULT_MIN_DAYS_LEFT, ge=0)
    check_hostname: bool = True
    verify: bool | None = None
    ca_bundle: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TlsCheck:
        if self.verify is False and self.ca_bundle is not None:
            raise ValueError("'verify = false' and 'ca_bundle' contradict each other")
        return self


DEFAULT_TLS_PORT = 443


@dataclass(frozen=True)
class TlsObservation:
    host: str
    port: int
    server_name: str
    subject: str
    issuer: str
    names: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    days_left: float
    not_yet_valid: bool
    hostname_matches: bool | None  # None: hostname checking switched off
    chain_error: str | None  # None: trusted (or verification switched off)


def tls_address(spec: TlsCheck, target: Target) -> tuple[str, int]:
    """Host and port from the check, else from the target's https/wss URL (port 443)."""
    if spec.host is not None:
        return spec.host, spec.port or DEFAULT_TLS_PORT
    candidates = [target.base_url, target.websocket_url]
    secure = [u for u in candidates if u and u.startswith(("https://", "wss://"))]
    for url in secure + [u for u in candidates if u and u not in secure]:
        parts = urlsplit(url)
        if parts.hostname:
            port = parts.port if url in secure and parts.port else DEFAULT_TLS_PORT
            return parts.hostname, spec.port or port
    raise ProbeProtocolError(
        f"check {spec.id!r} has no 'host' and target {target.name!r} has no base_url "
        "or websocket_url to take it from"
    )


def where_tls(spec: TlsCheck, target: Target, ctx: ProbeContext) -> str:
    host, port = tls_address(spec, target)
    return f"TLS {host}:{port}"
