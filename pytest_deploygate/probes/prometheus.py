"""Scraping a Prometheus text endpoint, once or at both ends of a window."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.prometheus import (
    PrometheusCheck,
    PrometheusObservation,
    Sample,
    Scrape,
    metrics_url,
    window_of,
)
from pytest_deploygate.errors import ProbeError, ProbeProtocolError
from pytest_deploygate.probes.base import ProbeContext, classify
from pytest_deploygate.probes.http import USER_AGENT, tls_verify
from pytest_deploygate.probes.httpconn import http_sessions


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
        with http_sessions(ctx) as sessions:
            settings = sessions.settings(url, tls_verify(spec.verify, spec.ca_bundle, target, ctx))
            response = sessions.session(url).get(url, headers=headers, timeout=timeout, **settings)
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
