"""Scraping a Prometheus text endpoint once (a window is a scrape per sample)."""

from __future__ import annotations

import time

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.prometheus import (
    PrometheusCheck,
    PrometheusObservation,
    Scrape,
    metrics_url,
)
from pytest_deploygate.errors import ProbeProtocolError
from pytest_deploygate.exposition import parse
from pytest_deploygate.masking import display_url
from pytest_deploygate.probes.base import ProbeContext, classify
from pytest_deploygate.probes.http import USER_AGENT, tls_verify
from pytest_deploygate.probes.httpconn import http_sessions


def probe_prometheus(
    spec: PrometheusCheck, target: Target, ctx: ProbeContext
) -> PrometheusObservation:
    """One scrape. Over a window, the runner calls this at every sample (observer.py)."""
    url = metrics_url(spec, target)
    return PrometheusObservation(url, (scrape(spec, target, ctx, url),))


def scrape(spec: PrometheusCheck, target: Target, ctx: ProbeContext, url: str) -> Scrape:
    headers = {"User-Agent": USER_AGENT, **target.headers, **spec.headers}
    timeout = spec.effective_timeout(target)
    shown = display_url(url)
    try:
        with http_sessions(ctx) as sessions:
            settings = sessions.settings(url, tls_verify(spec.verify, spec.ca_bundle, target, ctx))
            response = sessions.session(url).get(url, headers=headers, timeout=timeout, **settings)
    except Exception as exc:
        raise classify(exc, "GET " + shown, timeout) from exc
    if response.status_code != 200:
        raise ProbeProtocolError(f"metrics endpoint answered {response.status_code} ({shown})")
    try:
        exposed = parse(response.text)
    except ValueError as exc:
        raise ProbeProtocolError(f"not the Prometheus text format: {exc} ({shown})") from None
    return Scrape(time.monotonic(), exposed.samples, exposed.types)
