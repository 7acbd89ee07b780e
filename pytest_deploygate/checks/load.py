"""``type = "load"``: N requests at concurrency C against one endpoint (``ab -n 100 -c 10``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from pytest_deploygate.checks.base import Duration, Ratio, Target
from pytest_deploygate.checks.http import RequestSpec, where_http

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

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


# Beyond the worst case of its rounds, what a load run may take before the runner gives up.
GRACE_S = 1.0


@dataclass(frozen=True)
class LoadObservation:
    """What a load run saw. ``latencies`` holds one entry per request that got an HTTP
    answer (any status), in seconds from sending to the last body byte, as ab counts."""

    url: str
    planned: int
    sent: int
    successes: int
    latencies: tuple[float, ...]
    statuses: dict[int, int]
    errors: dict[str, int]
    elapsed: float
    stopped_early: str = ""


def rounds(spec: LoadCheck) -> int:
    """How many requests each of the C workers sends at most, one after another."""
    return math.ceil(spec.requests / spec.concurrency)


def load_deadline(spec: LoadCheck, target: Target, ctx: ProbeContext) -> float:
    """A load run is many timeouts long: every round may take one timeout, and the
    requests still in flight when sending stops get one more."""
    return (rounds(spec) + 1) * spec.effective_timeout(target) + GRACE_S


def where_load(spec: LoadCheck, target: Target, ctx: ProbeContext) -> str:
    return f"load on {where_http(spec, target, ctx)}"
