"""HTTP connections the checks of a gate session share: one pooled ``requests`` Session
per origin (scheme, host, port), so checks of one host reuse its open connections
(keep-alive) instead of each opening, and handshaking, its own.

The sessions never read the environment while checks run (``trust_env`` is off): the
proxies (``HTTPS_PROXY``, ``NO_PROXY``, ...) and the CA bundle (``REQUESTS_CA_BUNDLE``,
``CURL_CA_BUNDLE``) come from the environment as it was when the gate started
(``Resources.environ``), as requests would have read them. They keep no cookies: one check's
login never lets a later check in. ``~/.netrc`` is not read.
"""

from __future__ import annotations

import ipaddress
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from pytest_deploygate.names import DEFAULT_CONCURRENCY
from pytest_deploygate.probes.base import ProbeContext

RESOURCE_KEY = "http-sessions"


class HttpSessions:
    """Pooled sessions by origin; thread-safe (requests' pools are)."""

    def __init__(self, environ: Mapping[str, str], pool_size: int = DEFAULT_CONCURRENCY) -> None:
        self._proxies = env_proxies(environ)
        self._ca_bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str, int | None], requests.Session] = {}
        # Connections that have served a request: one seen again was reused.
        self._seen: weakref.WeakSet[Any] = weakref.WeakSet()

    def session(self, url: str) -> requests.Session:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = self._new_session()
            return session

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self._pool_size)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def settings(self, url: str, verify: Any) -> dict[str, Any]:
        """``proxies`` and ``verify`` for a request to ``url``, as requests would have
        taken them from the environment."""
        host = urlsplit(url).hostname or ""
        proxies: dict[str, str] = {}
        if self._proxies and not bypasses_proxy(host, self._proxies.get("no", "")):
            proxies = {k: v for k, v in self._proxies.items() if k != "no"}
        if verify is True and self._ca_bundle:
            verify = self._ca_bundle
        return {"proxies": proxies, "verify": verify}

    def new_connection(self, response: requests.Response) -> bool | None:
        """Whether ``response`` came over a connection opened for it (None: unknown).
        Call it before reading the body: the connection goes back to the pool then."""
        connection = getattr(response.raw, "connection", None)
        if connection is None:
            return None
        with self._lock:
            if connection in self._seen:
                return False
            self._seen.add(connection)
            return True

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()


def env_proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """``urllib.request.getproxies_environment`` over a mapping: ``<scheme>_proxy``
    variables, lowercase names winning; ``no`` holds ``NO_PROXY``."""
    proxies: dict[str, str] = {}
    for name, value in environ.items():
        lower = name.lower()
        if value and lower.endswith("_proxy"):
            proxies[lower[:-6]] = value
    if "REQUEST_METHOD" in environ:  # CGI: HTTP_PROXY may come from a request header
        proxies.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy"):
            lower = name.lower()
            if value:
                proxies[lower[:-6]] = value
            else:
                proxies.pop(lower[:-6], None)
    return proxies


def bypasses_proxy(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` exempts ``host``: ``*``, the host, a parent domain
    (``example.com`` or ``.example.com``), or a network holding its address (``10.0.0.0/8``)."""
    host = host.lower()
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        name = entry.lstrip(".")
        if not name:
            continue
        if host == name or host.endswith("." + name) or _in_network(host, name):
            return True
    return False


def _in_network(host: str, entry: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


@contextmanager
def http_sessions(ctx: ProbeContext) -> Iterator[HttpSessions]:
    """The gate session's shared sessions; without one, sessions of this call's own,
    closed after it."""
    resources = ctx.resources
    if resources is not None:
        yield resources.shared(
            RESOURCE_KEY, lambda: HttpSessions(resources.environ), HttpSessions.close
        )
        return
    own = HttpSessions(ctx.environ())
    try:
        yield own
    finally:
        own.close()
