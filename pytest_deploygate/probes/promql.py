"""The promql probe, and Prometheus' HTTP API (``/api/v1/query``, ``/api/v1/query_range``):
plain JSON over requests, mapped onto the gate's error tree.

Every way a query can go wrong is a ``ProbeError`` with a one-line reason: the server
unreachable or slow (``classify``), an answer that is not the API's JSON, a query the
server refused (``bad_data``, ``execution``, ``timeout``), a result that is not numbers.
An empty result is not an error for the client; for the promql check it is (``no data``):
a query that matches nothing must never pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.promql import (
    Labels,
    PromqlCheck,
    PromqlObservation,
    Series,
    promql_server,
)
from pytest_deploygate.errors import ProbeAuthError, ProbeError, ProbeProtocolError
from pytest_deploygate.masking import display_url
from pytest_deploygate.probes.base import ProbeContext, classify
from pytest_deploygate.probes.http import USER_AGENT, tls_verify
from pytest_deploygate.probes.httpconn import HttpSessions, http_sessions


def probe_promql(spec: PromqlCheck, target: Target, ctx: ProbeContext) -> PromqlObservation:
    """The query's answer now; ``error`` when it has no series."""
    server = promql_server(spec, target)
    with http_sessions(ctx) as sessions:
        client = Client(
            server,
            spec.effective_timeout(target),
            headers=tuple({"User-Agent": USER_AGENT, **spec.headers}.items()),
            verify=tls_verify(spec.verify, spec.ca_bundle, target, ctx),
            sessions=sessions,
        )
        series = client.instant(spec.query)
    if not series:
        raise ProbeError(
            f"no data: the query returned no series (Prometheus {display_url(server)}): "
            "a query that matches nothing is never a pass"
        )
    return PromqlObservation(display_url(server), series)


@dataclass(frozen=True)
class Client:
    """Where the API is and how to talk to it."""

    base_url: str
    timeout: float
    headers: tuple[tuple[str, str], ...] = ()
    verify: Any = True
    # The gate's pooled sessions, which never read os.environ in a check's thread (pytest
    # changes it meanwhile); None outside a gate (the tests' own Prometheus fixture).
    sessions: HttpSessions | None = None

    def instant(self, query: str, at: float | None = None) -> tuple[Series, ...]:
        """``query`` evaluated at one instant (now by default)."""
        params = {"query": query}
        if at is not None:
            params["time"] = _stamp(at)
        return self._get("/api/v1/query", params)

    def range(self, query: str, start: float, end: float, step: float) -> tuple[Series, ...]:
        """``query`` evaluated every ``step`` seconds from ``start`` to ``end``."""
        params = {
            "query": query,
            "start": _stamp(start),
            "end": _stamp(end),
            "step": f"{max(step, 0.001):.3f}",
        }
        return self._get("/api/v1/query_range", params)

    def _get(self, path: str, params: dict[str, str]) -> tuple[Series, ...]:
        url = urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))
        where = f"Prometheus {display_url(url)}"
        try:
            if self.sessions is None:
                response = requests.get(
                    url,
                    params=params,
                    headers=dict(self.headers),
                    timeout=self.timeout,
                    verify=self.verify,
                )
            else:
                response = self.sessions.session(url).get(
                    url,
                    params=params,
                    headers=dict(self.headers),
                    timeout=self.timeout,
                    **self.sessions.settings(url, self.verify),
                )
        except Exception as exc:
            raise classify(exc, where, self.timeout) from exc
        return parse_answer(response.status_code, response.text, where)


def parse_answer(status: int, text: str, where: str) -> tuple[Series, ...]:
    """The series of one API answer, or the ProbeError it amounts to."""
    if status in (401, 403):
        raise ProbeAuthError(f"{where} answered {status}: check the credentials")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict) or "status" not in body:
        raise ProbeProtocolError(f"{where} answered {status} without the API's JSON")
    if body["status"] != "success":
        kind = body.get("errorType") or "error"
        raise ProbeProtocolError(f"{where} refused the query ({kind}): {body.get('error', '')}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise ProbeProtocolError(f"{where} answered without data")
    try:
        return _series(data["resultType"], data["result"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ProbeProtocolError(f"{where} answered a result the gate cannot read: {exc}") from exc


def _series(kind: str, result: Any) -> tuple[Series, ...]:
    if kind == "scalar":
        return (Series((), (_point(result),)),)
    if kind == "vector":
        return tuple(Series(_labels(r["metric"]), (_point(r["value"]),)) for r in result)
    if kind == "matrix":
        return tuple(
            Series(_labels(r["metric"]), tuple(_point(v) for v in r["values"])) for r in result
        )
    raise ValueError(f"a {kind}, not numbers")


def _labels(metric: dict[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in metric.items()))


def _point(pair: list[Any]) -> tuple[float, float]:
    # Values are strings so that NaN and ±Inf survive JSON: float() reads "NaN", "+Inf".
    return float(pair[0]), float(pair[1])


def _stamp(seconds: float) -> str:
    return f"{seconds:.3f}"
