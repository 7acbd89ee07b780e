"""``type = "load"``: N requests at concurrency C against one endpoint (``ab -n 100 -c 10``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration, Ratio
from pytest_deploygate.checks.http import HttpCheck

MAX_REQUESTS = 100_000
MAX_CONCURRENCY = 1_000


class LoadCheck(CheckSpec):
    type: Literal["load"] = "load"
    url: str | None = None
    path: str | None = None
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    json_body: Any | None = Field(default=None, alias="json")
    form: dict[str, str] | None = None
    body: str | None = None
    verify: bool | None = None
    ca_bundle: Path | None = None
    follow_redirects: bool = True

    requests: int = Field(default=100, ge=1, le=MAX_REQUESTS)
    concurrency: int = Field(default=10, ge=1, le=MAX_CONCURRENCY)
    expect_status: int | tuple[int, ...] = 200
    min_success_ratio: Ratio = Field(default=1.0, ge=0.0, le=1.0)
    max_avg: Duration | None = None
    max_p50: Duration | None = None
    max_p95: Duration | None = None
    max_p99: Duration | None = None
    min_rps: float | None = Field(default=None, gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _consistent(self) -> LoadCheck:
        if (self.url is None) == (self.path is None):
            raise ValueError(
                "give exactly one of 'path' (relative to the target's base_url) or 'url'"
            )
        bodies = [k for k in ("json_body", "form", "body") if getattr(self, k) is not None]
        if len(bodies) > 1:
            raise ValueError("give at most one of 'json', 'form' and 'body'")
        if self.verify is False and self.ca_bundle is not None:
            raise ValueError("'verify = false' and 'ca_bundle' contradict each other")
        if self.concurrency > self.requests:
            raise ValueError(
                f"'concurrency' ({self.concurrency}) is larger than 'requests' "
                f"({self.requests}): lower concurrency or send more requests"
            )
        return self

    def expected_statuses(self) -> tuple[int, ...]:
        status = self.expect_status
        return (status,) if isinstance(status, int) else status

    def as_http(self) -> HttpCheck:
        """The single request this load test repeats, as an ``http`` check: the http
        probe's helpers (URL joining, TLS verification) then apply unchanged."""
        return HttpCheck(
            id=self.id,
            phases=self.phases,
            timeout=self.timeout,
            url=self.url,
            path=self.path,
            method=self.method,
            headers=self.headers,
            params=self.params,
            json_body=self.json_body,
            form=self.form,
            body=self.body,
            verify=self.verify,
            ca_bundle=self.ca_bundle,
            follow_redirects=self.follow_redirects,
            expect_status=self.expect_status,
        )
