"""Scraping a Prometheus text endpoint, once or at both ends of a window."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
from prometheus_client.parser import text_string_to_metric_families

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.prometheus import PrometheusCheck
from pytest_deploygate.errors import ProbeError, ProbeProtocolError
from pytest_deploygate.probes.base import ProbeContext, classify
from pytest_deploygate.probes.http import USER_AGENT, tls_verify
from pytest_deploygate.probes.websocket import display_url

DEFAULT_PATH = "/metrics"


@dataclass(frozen=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass(frozen=True)
class Scrape:
    at: float
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class PrometheusObservation:
    url: str
    first: Scrape
    last: Scrape | None  # None: no window, one scrape

    @property
    def window(self) -> float | None:
        return None if self.last is None else self.last.at - self.first.at


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
    over = f" over {window:g}s" if window else ""
    return f"metrics {display_url(metrics_url(spec, target))}{over}"


def deadline_prometheus(spec: PrometheusCheck, target: Target, ctx: ProbeContext) -> float:
    timeout = spec.effective_timeout(target)
    return (window_of(spec, ctx) or 0.0) + 2 * timeout + 1.0


def probe_prometheus(
    spec: PrometheusCheck, target: Target, ctx: ProbeContext
) -> PrometheusObservation:
    url = metrics_url(spec, target)
    first = scrape(spec, target, ctx, url)
    window = window_of(spec, ctx)
    if not window:
        return PrometheusObservation(url, first, None)
    time.sleep(window)
    return PrometheusObservation(url, first, scrape(spec, target, ctx, url))


def scrape(spec: PrometheusCheck, target: Target, ctx: ProbeContext, url: str) -> Scrape:
    headers = {"User-Agent": USER_AGENT, **target.headers, **spec.headers}
    timeout = spec.effective_timeout(target)
    try:
        response = requests.get(
            url,
            headers=headers,
            timeout=timeout,
            verify=tls_verify(spec.verify, spec.ca_bundle, target, ctx),
        )
    except Exception as exc:
        raise classify(exc, "GET " + url.split("?", 1)[0], timeout) from exc
    if response.status_code != 200:
        raise ProbeProtocolError(f"metrics endpoint answered {response.status_code} ({url})")
    return Scrape(time.monotonic(), parse(response.text, url))


def parse(text: str, url: str) -> tuple[Sample, ...]:
    try:
        return tuple(
            Sample(s.name, tuple(sorted(s.labels.items())), float(s.value))
            for family in text_string_to_metric_families(text)
            for s in family.samples
        )
    except (ValueError, TypeError, IndexError) as exc:
        raise ProbeProtocolError(f"not the Prometheus text format: {exc} ({url})") from exc
    except ProbeError:
        raise
