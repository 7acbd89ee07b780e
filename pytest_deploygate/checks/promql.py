"""``type = "promql"``: a PromQL query asked of the Prometheus server at the target's
``prometheus_server``, its answer held to ``min`` / ``max``.

An instant query without a window; over a window the query is evaluated at every sample
(what a range query with ``step = interval`` evaluates), each answer one sample. A query
that returns no series is ``error`` ("no data"), never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from pytest_deploygate.checks.base import CheckSpec, Quantity, Target, WindowKeys
from pytest_deploygate.errors import ProbeProtocolError
from pytest_deploygate.masking import display_url

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

Labels = tuple[tuple[str, str], ...]


class PromqlCheck(CheckSpec, WindowKeys):
    # Metrics are watched whenever the run has --observe, with or without a window.
    observes_by_default: ClassVar[bool] = True

    type: Literal["promql"] = "promql"
    query: str = Field(min_length=1)
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    min: Quantity | None = None
    max: Quantity | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    verify: bool | None = None
    ca_bundle: Path | None = None

    TARGET_KEYS: ClassVar[tuple[str, ...]] = ("prometheus_server",)


@dataclass(frozen=True)
class Series:
    """One series of a result: its labels and its ``(unix seconds, value)`` points (one
    point for an instant query)."""

    labels: Labels
    points: tuple[tuple[float, float], ...]

    def describe(self) -> str:
        """``name{a="1",b="2"}``, as PromQL writes a series; "" for a bare number."""
        labels = dict(self.labels)
        name = labels.pop("__name__", "")
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}}" if inner else name


@dataclass(frozen=True)
class PromqlObservation:
    server: str  # for reasons: without credentials
    series: tuple[Series, ...]


def promql_server(spec: PromqlCheck, target: Target) -> str:
    if not target.prometheus_server:
        raise ProbeProtocolError(
            f"check {spec.id!r} needs the target's prometheus_server, and target "
            f"{target.name!r} has none"
        )
    return target.prometheus_server


def where_promql(spec: PromqlCheck, target: Target, ctx: ProbeContext) -> str:
    server = target.prometheus_server
    return f"Prometheus {display_url(server)}" if server else f"promql check {spec.id}"
