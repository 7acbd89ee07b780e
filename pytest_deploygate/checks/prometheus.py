"""``type = "prometheus"``: metrics a service exposes in the Prometheus text format.

Without an observation window one scrape is judged. Over a window the endpoint is scraped
at every sample: a gauge is judged on its samples, a counter on its increase (resets
counted as PromQL counts them), a histogram's quantile on its buckets' increase.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal
from urllib.parse import urljoin

from pydantic import Field, ValidationInfo, field_validator, model_validator

from pytest_deploygate.checks.base import (
    CheckSpec,
    MeasurementUnit,
    Model,
    Quantity,
    Target,
    WindowKeys,
)
from pytest_deploygate.checks.validators import HTTP_SCHEMES, check_regexes, check_url
from pytest_deploygate.errors import ProbeProtocolError
from pytest_deploygate.exposition import Sample
from pytest_deploygate.masking import display_url
from pytest_deploygate.units import format_duration

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext


class SeriesSelector(Model):
    """Samples of one metric whose labels match (values are full-match regexes), summed."""

    metric: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels")
    @classmethod
    def _labels_compile(cls, value: dict[str, str]) -> dict[str, str]:
        check_regexes(value, "labels")
        return value

    def describe(self) -> str:
        if not self.labels:
            return self.metric
        inner = ",".join(f'{k}=~"{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.metric}{{{inner}}}"


class ValueRule(SeriesSelector):
    """A metric's value, held to bounds if given; without bounds it is only measured, for
    ``[[decision.rules]]`` to act on. Over a window: a gauge's samples, a counter's
    increase; ``per_second`` / ``per_minute``: a counter's rate, a gauge's growth (the
    least-squares slope of its samples)."""

    name: str = Field(default="", pattern=r"^[A-Za-z0-9_.-]*$")
    min: Quantity | None = None
    max: Quantity | None = None
    per_second: bool = False
    per_minute: bool = False
    unit: MeasurementUnit = ""  # "bytes": a size rule ("above = '512MB'") fits the value

    @property
    def label(self) -> str:
        return self.name or self.metric

    @property
    def per(self) -> float | None:
        """Seconds the value is counted per (1, 60), None for the value itself."""
        return 1.0 if self.per_second else 60.0 if self.per_minute else None

    @model_validator(mode="after")
    def _one_per(self) -> ValueRule:
        if self.per_second and self.per_minute:
            raise ValueError("give at most one of 'per_second' and 'per_minute'")
        return self


_NOT_A_FAMILY = ("_bucket", "_count", "_sum", "_total", "_created")


class QuantileRule(Model):
    """``histogram_quantile(q, ...)`` of a histogram family's buckets (summed over the
    series whose labels match), over a window from the buckets' increase."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    metric: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    q: float = Field(ge=0, le=1)
    labels: dict[str, str] = Field(default_factory=dict)
    min: Quantity | None = None
    max: Quantity | None = None

    @field_validator("metric")
    @classmethod
    def _family_name(cls, value: str) -> str:
        for suffix in _NOT_A_FAMILY:
            if value.endswith(suffix):
                raise ValueError(
                    f"give the histogram's family name, without {suffix!r} "
                    f"(metric = {value.removesuffix(suffix)!r}): a quantile needs its buckets"
                )
        return value

    @field_validator("labels")
    @classmethod
    def _labels_compile(cls, value: dict[str, str]) -> dict[str, str]:
        check_regexes(value, "labels")
        return value

    @property
    def buckets(self) -> SeriesSelector:
        return SeriesSelector(metric=f"{self.metric}_bucket", labels=self.labels)

    @property
    def unit(self) -> str:
        return "s" if self.metric.endswith("_seconds") else ""


class RatioRule(Model):
    """numerator / denominator, e.g. 5xx responses over all responses."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    numerator: SeriesSelector
    denominator: SeriesSelector
    max: Quantity | None = None
    min: Quantity | None = None


class PrometheusCheck(CheckSpec, WindowKeys):
    # Metrics are watched whenever the run has --observe, with or without a window.
    observes_by_default: ClassVar[bool] = True

    type: Literal["prometheus"] = "prometheus"
    url: str | None = None
    path: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    verify: bool | None = None
    ca_bundle: Path | None = None
    require: tuple[str, ...] = ()
    values: tuple[ValueRule, ...] = ()
    ratios: tuple[RatioRule, ...] = ()
    quantiles: tuple[QuantileRule, ...] = ()

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return check_url(value, HTTP_SCHEMES, info)

    @model_validator(mode="after")
    def _something_to_check(self) -> PrometheusCheck:
        if self.url is not None and self.path is not None:
            raise ValueError("give at most one of 'path' and 'url'")
        if not (self.require or self.values or self.ratios or self.quantiles):
            raise ValueError("give at least one of 'require', 'values', 'ratios' or 'quantiles'")
        return self


DEFAULT_PATH = "/metrics"


@dataclass(frozen=True)
class Scrape:
    """One scrape: when (monotonic seconds), every sample, and the TYPE lines."""

    at: float
    samples: tuple[Sample, ...]
    types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PrometheusObservation:
    """The scrapes of one run: one without a window, one per sample over a window."""

    url: str
    scrapes: tuple[Scrape, ...]

    @property
    def window(self) -> float | None:
        if len(self.scrapes) < 2:
            return None
        return self.scrapes[-1].at - self.scrapes[0].at


def metrics_url(spec: PrometheusCheck, target: Target) -> str:
    if spec.url:
        return spec.url
    if spec.path is None and target.prometheus_url:
        return target.prometheus_url
    if not target.base_url:
        raise ProbeProtocolError(
            f"check {spec.id!r} has no url and target {target.name!r} has neither "
            "prometheus_url nor base_url"
        )
    return urljoin(target.base_url.rstrip("/") + "/", (spec.path or DEFAULT_PATH).lstrip("/"))


def window_of(spec: PrometheusCheck, ctx: ProbeContext) -> float | None:
    """``--observe`` wins over the check's own ``window``: the person running the gate
    decides how long to watch."""
    return ctx.observe if ctx.observe is not None else spec.window


def where_prometheus(spec: PrometheusCheck, target: Target, ctx: ProbeContext) -> str:
    """The endpoint, and the window when there is one: a timeout after five minutes
    should say it was a five-minute observation."""
    window = window_of(spec, ctx)
    over = f" over {format_duration(window)}" if window else ""
    return f"metrics {display_url(metrics_url(spec, target))}{over}"
