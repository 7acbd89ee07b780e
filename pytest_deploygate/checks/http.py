"""``type = "http"``: one request, expectations on status, body, JSON and latency."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration

JsonValue = Any


class HttpCheck(CheckSpec):
    type: Literal["http"] = "http"
    url: str | None = None
    path: str | None = None
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    json_body: JsonValue | None = Field(default=None, alias="json")
    form: dict[str, str] | None = None
    body: str | None = None
    expect_status: int | tuple[int, ...] = 200
    expect_json: dict[str, JsonValue] | list[JsonValue] | None = None
    expect_headers: dict[str, str] = Field(default_factory=dict)
    max_latency: Duration | None = None
    connect_timeout: Duration | None = None
    verify: bool | None = None
    ca_bundle: Path | None = None
    follow_redirects: bool = True

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_address_and_one_body(self) -> HttpCheck:
        if (self.url is None) == (self.path is None):
            raise ValueError(
                "give exactly one of 'path' (relative to the target's base_url) or 'url'"
            )
        bodies = [k for k in ("json_body", "form", "body") if getattr(self, k) is not None]
        if len(bodies) > 1:
            raise ValueError("give at most one of 'json', 'form' and 'body'")
        if self.verify is False and self.ca_bundle is not None:
            raise ValueError("'verify = false' and 'ca_bundle' contradict each other")
        return self

    def expected_statuses(self) -> tuple[int, ...]:
        status = self.expect_status
        return (status,) if isinstance(status, int) else status
