"""``type = "load"``: N requests at concurrency C against one endpoint (``ab -n 100 -c 10``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pytest_deploygate.checks.base import Duration, Ratio
from pytest_deploygate.checks.http import RequestSpec

MAX_REQUESTS = 100_000
MAX_CONCURRENCY = 1_000


class LoadCheck(RequestSpec):
    type: Literal["load"] = "load"
    requests: int = Field(default=100, ge=1, le=MAX_REQUESTS)
    concurrency: int = Field(default=10, ge=1, le=MAX_CONCURRENCY)
    min_success_ratio: Ratio = Field(default=1.0, ge=0.0, le=1.0)
    max_avg: Duration | None = None
    max_p50: Duration | None = None
    max_p95: Duration | None = None
    max_p99: Duration | None = None
    min_rps: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _concurrency_fits(self) -> LoadCheck:
        if self.concurrency > self.requests:
            raise ValueError(
                f"'concurrency' ({self.concurrency}) is larger than 'requests' "
                f"({self.requests}): lower concurrency or send more requests"
            )
        return self
