"""HTTP probing with requests: one request, the whole answer, its timing."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urljoin

import charset_normalizer
import requests

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.http import HttpCheck, HttpObservation, RequestSpec, resolve_url
from pytest_deploygate.errors import ProbeError, ProbeTimeout
from pytest_deploygate.probes.base import ProbeContext, classify
from pytest_deploygate.probes.httpconn import http_sessions

MAX_BODY_BYTES = 4 * 1024 * 1024
USER_AGENT = "pytest-deploygate"


def tls_verify(spec_verify: bool | None, spec_ca: Any, target: Target, ctx: ProbeContext) -> Any:
    """requests' ``verify``: a CA bundle path, or a bool; on unless explicitly off."""
    if spec_ca is not None:
        return str(ctx.path(spec_ca))
    if spec_verify is not None:
        return spec_verify
    if target.ca_bundle is not None:
        return str(ctx.path(target.ca_bundle))
    return target.verify


def request_kwargs(
    spec: RequestSpec, target: Target, ctx: ProbeContext, connect_timeout: float | None = None
) -> dict[str, Any]:
    """Everything ``requests.Session.request`` needs for the spec's request, but the URL."""
    timeout = spec.effective_timeout(target)
    return {
        "headers": {"User-Agent": USER_AGENT, **target.headers, **spec.headers},
        "params": spec.params or None,
        "json": spec.json_body,
        "data": spec.form if spec.form is not None else spec.body,
        "timeout": (connect_timeout or timeout, timeout),
        "verify": tls_verify(spec.verify, spec.ca_bundle, target, ctx),
        "allow_redirects": spec.follow_redirects,
        # Bodies are read by the caller, bounded in size and time.
        "stream": True,
    }


def probe_http(spec: HttpCheck, target: Target, ctx: ProbeContext) -> HttpObservation:
    url = resolve_url(spec, target)
    timeout = spec.effective_timeout(target)
    deadline = time.monotonic() + timeout
    kwargs = request_kwargs(spec, target, ctx, spec.connect_timeout)
    with http_sessions(ctx) as sessions:
        kwargs.update(sessions.settings(url, kwargs["verify"]))
        start = time.perf_counter()
        try:
            response = sessions.session(url).request(spec.method, url, **kwargs)
            new_connection = sessions.new_connection(response)
            body, truncated = _read_body(response, deadline)
        except ProbeError:
            raise
        except Exception as exc:
            raise classify(exc, f"{spec.method} {_display(url)}", kwargs["timeout"]) from exc
        latency = time.perf_counter() - start
    return HttpObservation(
        url=response.url,
        status=response.status_code,
        reason=response.reason or "",
        headers=dict(response.headers),
        body=body,
        latency=latency,
        truncated=truncated,
        new_connection=new_connection,
    )


def _read_body(response: requests.Response, deadline: float) -> tuple[str, bool]:
    """Read at most MAX_BODY_BYTES, and no longer than the check's total timeout."""
    chunks: list[bytes] = []
    size = 0
    truncated = False
    try:
        for chunk in response.iter_content(chunk_size=65536):
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_BODY_BYTES:
                truncated = True
                break
            if time.monotonic() > deadline:
                raise ProbeTimeout("the body did not arrive within the timeout")
    finally:
        response.close()
    raw = b"".join(chunks)[:MAX_BODY_BYTES]
    # Not response.apparent_encoding: it reads response.content, which the streamed read
    # above has consumed already.
    encoding = response.encoding or _guess_encoding(raw)
    try:
        return raw.decode(encoding, errors="replace"), truncated
    except LookupError:
        return raw.decode("utf-8", errors="replace"), truncated


def _guess_encoding(raw: bytes) -> str:
    """The body's encoding when the headers name none (no or a non-text Content-Type)."""
    best = charset_normalizer.from_bytes(raw).best() if raw else None
    return best.encoding if best is not None else "utf-8"


def _display(url: str) -> str:
    """The URL without query string: queries often carry tokens."""
    return url.split("?", 1)[0]


class BaseUrlSession(requests.Session):
    """A requests Session for team-written checks: relative URLs join the target's
    base_url, and every request gets the target's timeout unless it sets its own."""

    def __init__(self, base_url: str | None, timeout: float, verify: Any = True) -> None:
        super().__init__()
        self.base_url = base_url
        self.default_timeout = timeout
        self.verify = verify
        self.headers["User-Agent"] = USER_AGENT

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        if self.base_url and "://" not in text:
            text = urljoin(self.base_url.rstrip("/") + "/", text.lstrip("/"))
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, text, *args, **kwargs)
