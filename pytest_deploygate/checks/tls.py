"""``type = "tls"``: the certificate a server presents: dates, hostname, chain."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from pytest_deploygate.checks.base import CheckSpec

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
