"""``type = "prometheus"``: metrics a service exposes in the Prometheus text format.

Without an observation window one scrape is judged. With one (``window`` or the run's
``--observe``), the endpoint is scraped at the start and at the end of the window and
counters are judged by their increase over it: "error rate above 5% for 5 minutes".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration, Model, Quantity
from pytest_deploygate.checks.validators import HTTP_SCHEMES, check_url


class SeriesSelector(Model):
    """Samples of one metric whose labels match (values are full-match regexes), summed."""

    metric: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels")
    @classmethod
    def _labels_compile(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"label {name}: {pattern!r} is not a valid regex: {exc}") from exc
        return value

    def describe(self) -> str:
        if not self.labels:
            return self.metric
        inner = ",".join(f'{k}=~"{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.metric}{{{inner}}}"


class ValueRule(SeriesSelector):
    """A metric's value (or, over a window, its increase), held to bounds if given;
    without bounds it is only measured, for ``[[decision.rules]]`` to act on."""

    name: str = Field(default="", pattern=r"^[A-Za-z0-9_.-]*$")
    min: Quantity | None = None
    max: Quantity | None = None
    per_second: bool = False

    @property
    def label(self) -> str:
        return self.name or self.metric


class RatioRule(Model):
    """numerator / denominator, e.g. 5xx responses over all responses."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    numerator: SeriesSelector
    denominator: SeriesSelector
    max: Quantity | None = None
    min: Quantity | None = None


class PrometheusCheck(CheckSpec):
    type: Literal["prometheus"] = "prometheus"
    url: str | None = None
    path: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    verify: bool | None = None
    ca_bundle: Path | None = None
    window: Duration | None = None
    require: tuple[str, ...] = ()
    values: tuple[ValueRule, ...] = ()
    ratios: tuple[RatioRule, ...] = ()

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return check_url(value, HTTP_SCHEMES, info)

    @model_validator(mode="after")
    def _something_to_check(self) -> PrometheusCheck:
        if self.url is not None and self.path is not None:
            raise ValueError("give at most one of 'path' and 'url'")
        if not (self.require or self.values or self.ratios):
            raise ValueError("give at least one of 'require', 'values' or 'ratios'")
        return self
