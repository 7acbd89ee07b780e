"""The demo's web service: HTTP, the same over TLS, and a WebSocket, on free loopback ports.

Runs in threads of the gate's own process: when the process ends, however it ends,
nothing of the service survives it (no child process, no listening port).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from pytest_deploygate.demo.base import ComponentInfo
from pytest_deploygate.demo.certs import make_certificates
from pytest_deploygate.units import format_duration

HOST = "127.0.0.1"
VERSION = "1.4.2"
OLD_VERSION = "1.4.1"  # what a deploy that did not take still reports
SLOW_S = 2.5
CERT_DAYS = 90
EXPIRING_CERT_DAYS = 5
# A client that connects and then says nothing holds one thread at most this long.
CLIENT_TIMEOUT_S = 10.0
POLL_S = 0.05

FAULTS: dict[str, str] = {
    "health-500": (
        "/health answers 500 Internal Server Error: the health and load checks fail -> ROLLBACK"
    ),
    "slow": (
        f"every HTTP answer takes {format_duration(SLOW_S)}: latency in the matrix's 2-5 s "
        "band -> INVESTIGATE"
    ),
    "ws-silent": "the WebSocket accepts the connection but never answers the ping -> ROLLBACK",
    "version-mismatch": (
        f"/version reports {OLD_VERSION}, not the {VERSION} being deployed -> ROLLBACK"
    ),
    "db-down": (
        "the database is down: /health/db answers 503 and the database checks error -> ROLLBACK"
    ),
    "cert-expiring": (
        f"the TLS certificate expires in {EXPIRING_CERT_DAYS} days, under the 30 required "
        "-> INVESTIGATE"
    ),
    "error-burst": (
        "30% of requests fail for a moment inside the observation window, then recover: "
        "short of the rollback row's 'for' -> INVESTIGATE"
    ),
    "error-sustained": (
        "30% of requests fail from early in the observation window to its end -> ROLLBACK"
    ),
    "memory-leak": (
        "resident memory grows 4 MB a second (240 MB a minute, above the 100 MB a minute "
        "of the matrix's leak row) -> ROLLBACK"
    ),
    "errors-in-log": (
        "the service logs an ERROR line at every metrics scrape while the gate watches: "
        "more than the 5 the matrix lets pass -> ROLLBACK"
    ),
}

# The demo's observation window, the seed checklists' minutes scaled to fractions of a
# second (one minute is 0.3 s): "error rate above 5% for 5 minutes" holds for 1.5 s.
WINDOW_S = 3.0
INTERVAL_S = 0.25
FOR_S = 1.5
# Simulated traffic behind /metrics, on a clock that starts at the first scrape: the
# requests a real service would be answering while the gate watches it.
TRAFFIC_RATE = 50.0
HEALTHY_ERROR_RATIO = 0.002
FAULT_ERROR_RATIO = 0.30
BURST_S = (1.0, 1.5)  # about a minute and a half, at the demo's scale
SUSTAINED_FROM_S = 0.75


# Seed 002's error-rate rows, at the demo's scale.
WINDOW_RULES: list[dict[str, Any]] = [
    {
        "measurement": "prometheus.error_rate",
        "check": "errors",
        "above": 0.05,
        "for": f"{FOR_S:g}s",
        "decision": "rollback",
        "description": "error rate above 5% for more than 5 minutes (the demo: 1.5 s)",
    },
    {
        "measurement": "prometheus.error_rate",
        "check": "errors",
        "above": 0.01,
        "decision": "investigate",
        "description": "error rate above 1% at any sample, for less than 5 minutes",
    },
    {
        "measurement": "logs.matches",
        "check": "service-log",
        "above": 5,
        "decision": "rollback",
        "description": "more than five new ERROR lines in the service log: roll back",
    },
]
# The line the errors-in-log fault writes (a secret in it shows the masking).
LOG_ERROR = "ERROR orders: unhandled KeyError 'customer_id' (api_key=demo-key-1234)"


# Simulated resident memory: flat, with one garbage collection freeing 8 MiB for a
# moment (the growth per minute is a least-squares slope that one dip does not tilt);
# under memory-leak it climbs steadily.
MEMORY_BYTES = 180_000_000
GC_DIP_S = (2.0, 2.25)
GC_DIP_BYTES = 8 * 2**20
LEAK_BYTES_PER_S = 4_000_000


def memory_bytes(faults: frozenset[str], t: float) -> float:
    """Resident memory ``t`` seconds after the first scrape."""
    dip = GC_DIP_BYTES if GC_DIP_S[0] <= t < GC_DIP_S[1] else 0
    leak = LEAK_BYTES_PER_S * t if "memory-leak" in faults else 0.0
    return MEMORY_BYTES + leak - dip


def error_ratio(faults: frozenset[str], t: float) -> float:
    """The share of simulated requests that fail, ``t`` seconds after the first scrape."""
    if "error-sustained" in faults and t >= SUSTAINED_FROM_S:
        return FAULT_ERROR_RATIO
    if "error-burst" in faults and BURST_S[0] <= t < BURST_S[1]:
        return FAULT_ERROR_RATIO
    return HEALTHY_ERROR_RATIO


@dataclass
class _State:
    """What every request handler of one demo service shares."""

    faults: frozenset[str]
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    log: Path | None = None  # the service's log, one line per answer

    def __post_init__(self) -> None:
        self._log_lock = threading.Lock()
        if self.log is not None:
            self.log.touch()
        self.requests = Counter(
            "demo_http_requests",
            "HTTP requests answered by the demo service",
            ["path", "status"],
            registry=self.registry,
        )
        # A labelled counter shows no sample before its first child: create one, so the
        # metric is exposed from the first scrape on.
        self.requests.labels(path="/health", status="200")
        self.latency = Histogram(
            "demo_http_request_duration_seconds",
            "Time to answer an HTTP request",
            registry=self.registry,
        )
        self.traffic = Counter(
            "demo_orders_requests",
            "Simulated requests to /api/orders, by status",
            ["status"],
            registry=self.registry,
        )
        self.error_gauge = Gauge(
            "demo_http_error_ratio",
            "Share of requests answered 5xx over the last scrape interval",
            registry=self.registry,
        )
        self.memory = Gauge(
            "demo_process_resident_memory_bytes",
            "Resident memory of the (simulated) service process",
            registry=self.registry,
        )
        self._clock: float | None = None
        self._last = 0.0
        self._lock = threading.Lock()

    def simulate(self) -> None:
        """Advance the simulated traffic to now (called on every scrape)."""
        with self._lock:
            now = time.monotonic()
            if self._clock is None:
                self._clock = now
            t = now - self._clock
            ratio = error_ratio(self.faults, t)
            requests = TRAFFIC_RATE * (t - self._last)
            self.traffic.labels(status="200").inc(requests * (1 - ratio))
            self.traffic.labels(status="500").inc(requests * ratio)
            self.error_gauge.set(ratio)
            self.memory.set(memory_bytes(self.faults, t))
            self._last = t
        if "errors-in-log" in self.faults:
            self.write_log(LOG_ERROR)

    def write_log(self, text: str) -> None:
        append_log(self.log, self._log_lock, text)


def append_log(path: Path | None, lock: threading.Lock, text: str) -> None:
    """One timestamped line, whole (the lock: a logs check must never read half a line
    from two answers written at once); nothing when the service keeps no log."""
    if path is None:
        return
    with lock, path.open("a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")


class LoopbackServer(ThreadingHTTPServer):
    """HTTP on a free loopback port; its handlers share ``state`` (the demo's service and
    the examples' stand-ins, demo/standin.py)."""

    daemon_threads = True
    # The default backlog of 5 overflows under the load check: the kernel then drops
    # connection attempts and clients retry a second later, which reads as latency.
    request_queue_size = 128

    def __init__(self, handler: type[BaseHTTPRequestHandler], state: Any) -> None:
        super().__init__((HOST, 0), handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or fails the handshake is not the demo's problem."""


class TLSLoopbackServer(LoopbackServer):
    def __init__(
        self, handler: type[BaseHTTPRequestHandler], state: Any, context: ssl.SSLContext
    ) -> None:
        super().__init__(handler, state)
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs in the connection's own thread, bounded in time: a client
        # that connects and stalls must not block the accept loop.
        request.settimeout(CLIENT_TIMEOUT_S)
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)


HttpServer = TypeVar("HttpServer", bound=ThreadingHTTPServer)


class ServedLoops:
    """Servers on loopback, each served forever in a daemon thread of this process (the
    demo's web service and orders API, the examples' stand-ins): :meth:`stop` shuts down
    every one that started and waits for its thread."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._stops: list[Callable[[], None]] = []
        self._threads: list[threading.Thread] = []

    def http(self, name: str, server: HttpServer) -> HttpServer:
        try:
            # A short poll interval: shutdown() waits up to one interval per server.
            self.run(name, lambda: server.serve_forever(poll_interval=POLL_S))
        except BaseException:
            server.server_close()
            raise
        # Only a server whose loop runs is registered: its shutdown() would wait forever
        # for a loop that never started.

        def stop() -> None:
            server.shutdown()
            server.server_close()

        self._stops.append(stop)
        return server

    def websocket(self, name: str, server: Server) -> Server:
        try:
            self.run(name, server.serve_forever)
        except BaseException:
            server.socket.close()
            raise
        self._stops.append(server.shutdown)
        return server

    def run(self, name: str, loop: Callable[[], None]) -> None:
        """``loop`` in a daemon thread that :meth:`stop` waits for (the caller makes it end)."""
        thread = threading.Thread(target=loop, name=f"{self._prefix}-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        stops, self._stops = self._stops, []
        for stop in reversed(stops):
            stop()
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server_version = "deploygate-demo/" + VERSION
    timeout = CLIENT_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        state = cast(_State, cast(LoopbackServer, self.server).state)
        started = time.perf_counter()
        if "slow" in state.faults:
            time.sleep(SLOW_S)
        path = urlsplit(self.path).path
        status, body, content_type = self._route(state, path)
        state.requests.labels(path=path if status != 404 else "other", status=str(status)).inc()
        state.latency.observe(time.perf_counter() - started)
        state.write_log(f"INFO GET {path} {status}")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, state: _State, path: str) -> tuple[int, bytes, str]:
        faults = state.faults
        if path == "/health":
            if "health-500" in faults:
                return _json(500, {"status": "error", "error": "internal server error"})
            return _json(200, {"status": "healthy", "version": _version(faults)})
        if path == "/health/ready":
            return _json(200, {"ready": True})
        if path == "/health/db":
            if "db-down" in faults:
                return _json(503, {"database": "unreachable", "error": "connection refused"})
            return _json(200, {"database": "ok"})
        if path == "/version":
            return _json(200, {"version": _version(faults), "service": "deploygate-demo"})
        if path == "/metrics":
            state.simulate()
            return 200, generate_latest(state.registry), CONTENT_TYPE_LATEST
        return _json(404, {"error": "not found", "path": path})


def _version(faults: frozenset[str]) -> str:
    return OLD_VERSION if "version-mismatch" in faults else VERSION


def _json(status: int, data: object) -> tuple[int, bytes, str]:
    return status, json.dumps(data).encode(), "application/json"


def _ws_handler(silent: bool) -> Any:
    def handle(connection: ServerConnection) -> None:
        try:
            for message in connection:
                if silent:
                    continue  # the fault: accepted, read, never answered
                try:
                    data = json.loads(message)
                except ValueError:
                    connection.send(json.dumps({"type": "error", "error": "expected JSON"}))
                    continue
                if isinstance(data, dict) and data.get("type") == "ping":
                    connection.send(json.dumps({"type": "pong", "version": VERSION}))
                else:
                    connection.send(json.dumps({"type": "error", "error": "unknown message"}))
        except ConnectionClosed:
            pass

    return handle


def _ws_only_on_ws_path(connection: ServerConnection, request: Request) -> Response | None:
    if urlsplit(request.path).path != "/ws":
        return connection.respond(404, "not found\n")
    return None


class WebService:
    """The demo's web component (see :class:`pytest_deploygate.demo.base.DemoComponent`)."""

    faults: dict[str, str] = FAULTS

    def __init__(self) -> None:
        self._loops = ServedLoops("deploygate-demo")

    def start(self, faults: frozenset[str], workdir: Path) -> ComponentInfo:
        try:
            return self._start(faults, workdir)
        except BaseException:
            self.stop()  # whatever did start: the demo only stops components that started
            raise

    def _start(self, faults: frozenset[str], workdir: Path) -> ComponentInfo:
        days = EXPIRING_CERT_DAYS if "cert-expiring" in faults else CERT_DAYS
        certs = make_certificates(workdir, days)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs.cert, certs.key)
        log = workdir / "service.log"
        state = _State(faults, log=log)
        plain = self._loops.http("http", LoopbackServer(_Handler, state))
        tls = self._loops.http("https", TLSLoopbackServer(_Handler, state, context))
        ws = self._loops.websocket(
            "ws",
            serve(
                _ws_handler(silent="ws-silent" in faults),
                HOST,
                0,
                process_request=_ws_only_on_ws_path,
                open_timeout=CLIENT_TIMEOUT_S,
            ),
        )
        http_port, https_port = _port(plain), _port(tls)
        ws_port = int(ws.socket.getsockname()[1])
        base_url = f"http://{HOST}:{http_port}"
        https_url = f"https://{HOST}:{https_port}"
        ws_url = f"ws://{HOST}:{ws_port}/ws"
        return ComponentInfo(
            target={
                "base_url": base_url,
                "websocket_url": ws_url,
                "expected_version": VERSION,
                "ca_bundle": str(certs.ca),
            },
            checks=[*_checks(https_url, ws_url, https_port, http_port), _log_check(log)],
            rules=WINDOW_RULES,
            lines=[
                f"web service {base_url} (version {VERSION}), TLS {https_url}, WebSocket {ws_url}",
                f"TLS certificate from a CA generated at start ({certs.ca}), "
                f"expires {certs.not_after:%Y-%m-%d}",
            ],
        )

    def stop(self) -> None:
        self._loops.stop()


def _port(server: ThreadingHTTPServer) -> int:
    return int(server.server_address[1])


def _checks(https_url: str, ws_url: str, https_port: int, http_port: int) -> list[dict[str, Any]]:
    """The demo's checks on the web service, one or more of every check type."""
    return [
        {
            "id": "health",
            "type": "http",
            "phases": ["smoke", "postdeploy"],
            "description": "the service says it is healthy",
            "path": "/health",
            "expect_status": 200,
            "expect_json": {"status": "healthy"},
        },
        {
            "id": "ready",
            "type": "http",
            "phases": ["smoke"],
            "description": "the service accepts traffic",
            "path": "/health/ready",
            "expect_json": {"ready": True},
        },
        {
            "id": "db-health",
            "type": "http",
            "phases": ["smoke", "postdeploy"],
            "description": "the service reaches its database",
            "path": "/health/db",
            "expect_json": {"database": "ok"},
        },
        {
            "id": "version",
            "type": "http",
            "phases": ["smoke"],
            "description": "the deployed version is the one being deployed",
            "path": "/version",
            "expect_version": True,
        },
        {
            "id": "metrics",
            "type": "prometheus",
            "phases": ["postdeploy"],
            "description": "Prometheus metrics are exposed",
            "path": "/metrics",
            "require": ["demo_http_requests_total", "demo_http_request_duration_seconds_count"],
        },
        {
            "id": "errors",
            "type": "prometheus",
            "phases": ["postdeploy"],
            "description": "the share of failing requests, watched over the observation window",
            "path": "/metrics",
            "window": f"{WINDOW_S:g}s",
            "interval": f"{INTERVAL_S * 1000:g}ms",
            "values": [{"name": "error_rate", "metric": "demo_http_error_ratio"}],
        },
        {
            "id": "memory",
            "type": "prometheus",
            "phases": ["postdeploy"],
            "description": "resident memory does not leak: its growth per minute over the window",
            "path": "/metrics",
            "window": f"{WINDOW_S:g}s",
            "interval": f"{INTERVAL_S * 1000:g}ms",
            "values": [
                {
                    "name": "memory_growth",
                    "metric": "demo_process_resident_memory_bytes",
                    "per_minute": True,
                    "max": "100MB",
                }
            ],
        },
        {
            "id": "health-tls",
            "type": "http",
            "phases": ["smoke"],
            "description": "the service answers over TLS with a trusted certificate",
            "url": f"{https_url}/health",
            "expect_json": {"status": "healthy"},
        },
        {
            "id": "load-health",
            "type": "load",
            "phases": ["postdeploy"],
            "description": "the health endpoint holds 10 concurrent clients (ab -n 20 -c 10)",
            "path": "/health",
            "requests": 20,
            "concurrency": 10,
            "min_success_ratio": "95%",
        },
        {
            "id": "ws-ping",
            "type": "websocket",
            "phases": ["smoke"],
            "description": "the WebSocket answers a ping with a pong",
            "url": ws_url,
            "send_json": {"type": "ping"},
            "expect_json": {"type": "pong"},
        },
        {
            "id": "tls-cert",
            "type": "tls",
            "phases": ["predeploy", "smoke"],
            "description": "the certificate is trusted and valid for 30 more days",
            "host": HOST,
            "port": https_port,
            "min_days_left": 30,
            "on_fail": "investigate",
        },
        {
            "id": "port-http",
            "type": "tcp",
            "phases": ["predeploy"],
            "description": "the service port accepts connections",
            "host": HOST,
            "port": http_port,
        },
    ]


def _log_check(log: Path) -> dict[str, Any]:
    """Seed 002's "single error in logs: OK (monitor, but don't rollback)": one ERROR line
    passes, more is investigate, more than five (a rule) roll back."""
    return {
        "id": "service-log",
        "type": "logs",
        "phases": ["postdeploy"],
        "description": "no new ERROR lines in the service log while the gate watches",
        "file": str(log),
        "pattern": r"\bERROR\b",
        "window": f"{WINDOW_S:g}s",
        "interval": f"{INTERVAL_S * 1000:g}ms",
        "max_matches": 1,
        "on_fail": "investigate",
    }


def port_is_open(port: int, host: str = HOST) -> bool:
    """Whether something accepts connections on ``host:port`` (used by tests and the
    Ctrl-C check: after the demo stops, nothing should)."""
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0
