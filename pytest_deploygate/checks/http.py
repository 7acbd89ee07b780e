"""``type = "http"``: one request, expectations on status, body, JSON and latency."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration, Target, WindowKeys
from pytest_deploygate.checks.http_extras import check_json_bounds, validate_extras
from pytest_deploygate.checks.validators import HTTP_SCHEMES, check_url, flatten_paths
from pytest_deploygate.errors import ProbeProtocolError
from pytest_deploygate.masking import display_url

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

JsonValue = Any


class RequestSpec(CheckSpec):
    """One HTTP request and its accepted statuses: what ``http`` and ``load`` share."""

    url: str | None = None
    path: str | None = None
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    json_body: JsonValue | None = Field(default=None, alias="json")
    form: dict[str, str] | None = None
    body: str | None = None
    expect_status: int | tuple[int, ...] = 200
    verify: bool | None = None
    ca_bundle: Path | None = None
    follow_redirects: bool = True

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return check_url(value, HTTP_SCHEMES, info)

    @model_validator(mode="after")
    def _one_address_and_one_body(self) -> RequestSpec:
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


class HttpCheck(RequestSpec, WindowKeys):
    type: Literal["http"] = "http"
    expect_json: dict[str, JsonValue] | list[JsonValue] | None = None
    expect_headers: dict[str, str] = Field(default_factory=dict)
    max_latency: Duration | None = None
    connect_timeout: Duration | None = None
    # Body and JSON-path expectations; judged in expect/http_extras.py.
    body_contains: str | tuple[str, ...] | None = None
    body_matches: str | None = None
    expect_json_path: dict[str, JsonValue] = Field(default_factory=dict)
    match_json_path: dict[str, str] = Field(default_factory=dict)
    max_json_path: dict[str, float] = Field(default_factory=dict)
    min_json_path: dict[str, float] = Field(default_factory=dict)
    min_body_length: int | None = Field(default=None, ge=0)
    max_body_length: int | None = Field(default=None, ge=0)
    body_length_path: str | None = None
    expect_version: bool = False
    version_path: str = "version"

    @model_validator(mode="after")
    def _extras_consistent(self) -> HttpCheck:
        validate_extras(self)
        return self

    @field_validator(
        "expect_json_path", "match_json_path", "max_json_path", "min_json_path", mode="before"
    )
    @classmethod
    def _flatten(cls, value: Any, info: ValidationInfo) -> Any:
        flat = flatten_paths(value)
        if info.field_name in ("max_json_path", "min_json_path") and isinstance(flat, dict):
            check_json_bounds(info.field_name, flat)  # before pydantic turns true into 1.0
        return flat


@dataclass(frozen=True)
class HttpObservation:
    url: str
    status: int
    reason: str
    headers: dict[str, str]
    body: str
    latency: float
    truncated: bool = False
    # Whether the request opened its connection (the latency then includes connecting,
    # and TLS); False: it reused the gate's open connection to that host; None: unknown.
    new_connection: bool | None = None


def resolve_url(spec: RequestSpec, target: Target) -> str:
    if spec.url is not None:
        return spec.url
    if not target.base_url:
        raise ProbeProtocolError(
            f"check {spec.id!r} uses 'path' but target {target.name!r} has no base_url"
        )
    return urljoin(target.base_url.rstrip("/") + "/", (spec.path or "").lstrip("/"))


def where_http(spec: RequestSpec, target: Target, ctx: ProbeContext) -> str:
    return f"{spec.method} {display_url(resolve_url(spec, target))}"
