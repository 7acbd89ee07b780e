"""A stand-in service for the examples: the demo's web parts with routes of your own.

Each example in ``examples/`` describes the system its checklist deploys as a table of
routes (``("GET", "/health") -> handler``) and a set of faults; :class:`StandIn` serves
them on free loopback ports in threads of the current process, with Prometheus metrics
(``http_requests_total{path,status}``, ``http_request_duration_seconds``) counted for
every answer, an optional WebSocket, an optional log file (a line per answer; ERROR lines
written on demand while the gate watches), and faults switched on and off while it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import parse_qsl, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from pytest_deploygate.demo.pgserver import PgServer, free_port, start_server
from pytest_deploygate.demo.service import (
    CLIENT_TIMEOUT_S,
    HOST,
    POLL_S,
    LoopbackServer,
    ServedLoops,
    TLSLoopbackServer,
    append_log,
)

if TYPE_CHECKING:
    from pytest_deploygate.demo.certs import CertFiles

# As root, initdb needs an unprivileged owner (as for the demo's database).
ROOT_OS_USER = "nobody"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, else the text, else None
    faults: frozenset[str]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded unless it is a str
    delay: float = 0.0


Handler = Callable[[Request], Reply]
WsHandler = Callable[[Any, frozenset[str]], Any]  # (message, faults) -> reply or None


@dataclass
class _State:
    routes: Mapping[tuple[str, str], Handler]
    faults: frozenset[str] = frozenset()
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    log: Path | None = None  # the service's log: a line per answer
    # Set by the first answer: the gate has started (log faults wait for it).
    first_request: threading.Event = field(default_factory=threading.Event)

    def write_log(self, text: str) -> None:
        append_log(self.log, self._log_lock, text)

    def __post_init__(self) -> None:
        self._log_lock = threading.Lock()
        if self.log is not None:
            self.log.touch()
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered",
            ["path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "Time to answer", registry=self.registry
        )


class _Handler(BaseHTTPRequestHandler):
    timeout = CLIENT_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def _answer(self, method: str) -> None:
        state = cast(_State, cast(LoopbackServer, self.server).state)
        started = time.perf_counter()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        request = Request(method, parts.path, dict(parse_qsl(parts.query)), _parse(raw),
                          state.faults)  # fmt: skip
        status, body, content_type = self._route(state, request)
        state.requests.labels(path=parts.path, status=str(status)).inc()
        state.latency.observe(time.perf_counter() - started)
        state.write_log(f"INFO {method} {parts.path} {status}")
        state.first_request.set()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def _route(self, state: _State, request: Request) -> tuple[int, bytes, str]:
        if request.path == "/metrics" and ("GET", "/metrics") not in state.routes:
            return 200, generate_latest(state.registry), CONTENT_TYPE_LATEST
        handler = state.routes.get((request.method if request.method != "HEAD" else "GET",
                                    request.path))  # fmt: skip
        if handler is None:
            return 404, b'{"error": "not found"}', "application/json"
        reply = handler(request)
        if reply.delay:
            time.sleep(reply.delay)
        if isinstance(reply.body, str):
            return reply.status, reply.body.encode(), "text/plain; charset=utf-8"
        return reply.status, json.dumps(reply.body).encode(), "application/json"


def _parse(raw: str) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class StandIn:
    """HTTP (and optionally WebSocket) on free loopback ports; ``faults`` switch at will."""

    def __init__(
        self,
        routes: Mapping[tuple[str, str], Handler],
        websocket: WsHandler | None = None,
        tls: ssl.SSLContext | None = None,
        log: Path | None = None,
    ) -> None:
        self._state = _State(routes, log=log)
        self._stopping = threading.Event()
        self._ws_handler = websocket
        self._tls_context = tls
        self._tls: LoopbackServer | None = None
        self._http: LoopbackServer | None = None
        self._ws: Server | None = None
        self._loops = ServedLoops("deploygate-standin")

    @property
    def faults(self) -> frozenset[str]:
        return self._state.faults

    @faults.setter
    def faults(self, value: frozenset[str]) -> None:
        self._state.faults = frozenset(value)

    @property
    def registry(self) -> CollectorRegistry:
        """The metrics the service exposes on /metrics: examples add their own."""
        return self._state.registry

    def count(self, path: str, status: int, times: int) -> None:
        """Record answers that were not served here (traffic before the gate ran)."""
        self._state.requests.labels(path=path, status=str(status)).inc(times)

    def traffic(self, path: str, total: int, failed: int) -> None:
        """``total`` earlier answers on ``path``, ``failed`` of them 500: an error rate."""
        self.count(path, 200, total - failed)
        self.count(path, 500, failed)

    def log_errors(self, text: str, count: int | None, every: float, after: float) -> None:
        """Write ``count`` ERROR lines (None: until stopped) to the log, ``every`` seconds,
        starting ``after`` seconds past the first answer (once the gate runs and watches)."""

        def write() -> None:
            while not self._state.first_request.wait(POLL_S):
                if self._stopping.is_set():
                    return
            written = 0
            if self._stopping.wait(after):
                return
            while count is None or written < count:
                self._state.write_log(f"ERROR {text}")
                written += 1
                if self._stopping.wait(every):
                    return

        self._loops.run("log", write)

    def start(self) -> StandIn:
        try:
            self._http = self._loops.http("http", LoopbackServer(_Handler, self._state))
            if self._tls_context is not None:
                secure = TLSLoopbackServer(_Handler, self._state, self._tls_context)
                self._tls = self._loops.http("https", secure)
            if self._ws_handler is not None:
                ws = serve(self._ws_connection, HOST, 0, open_timeout=CLIENT_TIMEOUT_S)
                self._ws = self._loops.websocket("ws", ws)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def base_url(self) -> str:
        assert self._http is not None, "start() first"
        return f"http://{HOST}:{self._http.server_address[1]}"

    @property
    def tls_port(self) -> int:
        assert self._tls is not None, "start() with a TLS context first"
        return int(self._tls.server_address[1])

    @property
    def websocket_url(self) -> str:
        assert self._ws is not None, "start() with a websocket handler first"
        return f"ws://{HOST}:{self._ws.socket.getsockname()[1]}/ws"

    def _ws_connection(self, connection: ServerConnection) -> None:
        assert self._ws_handler is not None
        try:
            for message in connection:
                reply = self._ws_handler(_parse(str(message)), self._state.faults)
                if reply is not None:
                    connection.send(reply if isinstance(reply, str) else json.dumps(reply))
        except ConnectionClosed:
            pass

    def stop(self) -> None:
        self._stopping.set()
        self._loops.stop()
        self._http = self._tls = None
        self._ws = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def tls_context(workdir: Path, days_valid: int) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate valid ``days_valid`` days (the demo's CA);
    the CA file to trust."""
    from pytest_deploygate.demo.certs import make_certificates

    certs = make_certificates(workdir, days_valid)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.cert, certs.key)
    return context, certs.ca


def stand_in_process(workdir: Path, name: str) -> Callable[[], None]:
    """A process whose name (and command line) is ``name``: what a host ``service`` or
    ``process`` check sees of a daemon. Returns its stop."""
    import shutil
    import subprocess

    binary = workdir / "bin" / name
    binary.parent.mkdir(parents=True, exist_ok=True)
    sleep = shutil.which("sleep") or "/bin/sleep"
    shutil.copy(sleep, binary)
    child = subprocess.Popen([str(binary), "3600"])

    def stop() -> None:
        child.kill()
        child.wait(timeout=10)

    return stop


REDIS_START_TIMEOUT_S = 20.0


def redis_process(
    workdir: Path, password: str | None = None, tls: CertFiles | None = None
) -> tuple[int, Callable[[], None]]:
    """A real Redis server (Debian's ``redis-server``) on loopback and a free port, keeping
    nothing on disk (no RDB, no AOF; ``workdir`` is its directory), with ``requirepass``
    when ``password`` is given and speaking only TLS with ``tls``'s certificate: its port
    and its stop. RuntimeError, with the end of its log, when the machine has no
    redis-server or it does not start."""
    import shutil

    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")
    if binary is None:
        raise RuntimeError("redis-server is not installed (Debian package 'redis-server')")
    error = ""
    for _ in range(3):  # the free port may be taken before the server binds it
        port = free_port()
        stop, error = _start_redis(binary, workdir, port, password, tls)
        if not error:
            return port, stop
    raise RuntimeError(error)


def _start_redis(
    binary: str, workdir: Path, port: int, password: str | None, tls: CertFiles | None
) -> tuple[Callable[[], None], str]:
    import subprocess

    args = [binary, "--bind", HOST, "--dir", str(workdir)]
    args += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]
    args += ["--requirepass", password] if password is not None else []
    if tls is None:
        args += ["--port", str(port)]
    else:
        args += ["--port", "0", "--tls-port", str(port), "--tls-auth-clients", "no"]
        args += ["--tls-cert-file", str(tls.cert), "--tls-key-file", str(tls.key)]
    log_path = workdir / f"redis-{port}.log"
    with log_path.open("wb") as out:
        child = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)

    def stop() -> None:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    deadline = time.monotonic() + REDIS_START_TIMEOUT_S
    while time.monotonic() < deadline and child.poll() is None:
        if _answers_ping(port, tls is not None):
            return stop, ""
        time.sleep(0.05)
    stop()
    tail = log_path.read_text(errors="replace")[-2000:]
    return stop, f"redis-server did not answer PING on {HOST}:{port}:\n{tail}"


def _answers_ping(port: int, tls: bool) -> bool:
    """PONG, or NOAUTH from a server with a password: either way it serves."""
    import socket

    try:
        with socket.create_connection((HOST, port), timeout=1) as plain:
            conn = _unverified().wrap_socket(plain) if tls else plain
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def _unverified() -> ssl.SSLContext:
    """Only to see that our own server is up: what it is, the caller knows."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Databases(Protocol):
    """Where a stand-in gets its PostgreSQL databases."""

    def create(self, sql: str) -> str:
        """A fresh database set up by ``sql``; its DSN."""
        ...


class ScratchPostgres:
    """A throwaway PostgreSQL cluster (the demo's), one database per :meth:`create`."""

    def __init__(self) -> None:
        os_user = ROOT_OS_USER if os.geteuid() == 0 else None
        self.server: PgServer = start_server(secrets.token_urlsafe(16), os_user)
        self._count = 0

    def create(self, sql: str) -> str:
        import psycopg

        self._count += 1
        name = f"standin{self._count}"
        with psycopg.connect(self.server.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        with psycopg.connect(self.server.dsn(name), autocommit=True) as conn:
            conn.execute(sql.encode())
        return self.server.dsn(name)

    def stop(self) -> None:
        self.server.stop()


@dataclass
class Running:
    """A started stand-in: the variables its example's config names, and how to stop it."""

    env: dict[str, str]
    stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self.stops):
            stop()
        self.stops = []

    def serve(
        self,
        routes: Mapping[tuple[str, str], Handler],
        faults: frozenset[str],
        tls: ssl.SSLContext | None = None,
        websocket: WsHandler | None = None,
        log: Path | None = None,
    ) -> StandIn:
        """Start a stand-in with ``faults`` (and a ``log`` it writes); this Running stops it."""
        service = StandIn(routes, websocket=websocket, tls=tls, log=log)
        service.faults = faults
        service.start()
        self.stops.append(service.stop)
        return service

    def redis(self, workdir: Path, password: str | None = None, *, down: bool = False) -> str:
        """A real Redis server (``redis_process``) that this Running stops: its URL, without
        the password. ``down``, or a machine without redis-server: a URL where nothing
        listens, so the example's redis checks error."""
        if not down:
            try:
                port, stop = redis_process(workdir, password)
            except RuntimeError as exc:
                print(f"# no Redis here ({str(exc).splitlines()[0]}): redis checks will error")
            else:
                self.stops.append(stop)
                return f"redis://{HOST}:{port}/0"
        return f"redis://{HOST}:{free_port()}/0"

    @classmethod
    def assemble(cls, setup: Callable[[Running], None]) -> Running:
        """Run ``setup`` on a fresh Running; if it fails, stop what it had started."""
        running = cls({})
        try:
            setup(running)
        except BaseException:
            running.stop()
            raise
        return running


def pg_dump_to(dsn: str, target: Path, compress: bool = False) -> None:
    """``pg_dump DSN > target`` (``| gzip`` with ``compress``), as a checklist takes a
    backup; nothing when the machine has no pg_dump."""
    import gzip
    import subprocess

    from pytest_deploygate.demo.pgserver import find_binary

    pg_dump = find_binary("pg_dump")
    if pg_dump is None:
        return
    dump = subprocess.run(
        [pg_dump, "--no-owner", dsn], capture_output=True, check=True, timeout=60
    ).stdout
    target.write_bytes(gzip.compress(dump) if compress else dump)


#: Where the database checks of an example run without PostgreSQL: nothing listens there,
#: so they error (never pass).
NO_DATABASE = "postgresql://127.0.0.1:1/none"


def database(
    databases: Databases | None, sql: str, backup: Path | None = None, compress: bool = False
) -> str:
    """The DSN of a fresh database set up by ``sql``, dumped to ``backup`` as a checklist
    takes its backup (``pg_dump_to``); :data:`NO_DATABASE` without PostgreSQL."""
    if databases is None:
        return NO_DATABASE
    dsn = databases.create(sql)
    if backup is not None:
        pg_dump_to(dsn, backup, compress)
    return dsn


Starter = Callable[[frozenset[str], Path, "Databases | None"], Running]
Setup = Callable[[Running, frozenset[str], Path, "Databases | None"], None]


def stand_in(setup: Setup) -> Starter:
    """An example's ``start(faults, workdir, databases)`` from its ``setup(running, faults,
    workdir, databases)``, which fills ``running.env`` and registers what it starts:
    when setup fails, what it had started is stopped (:meth:`Running.assemble`)."""

    def start(faults: frozenset[str], workdir: Path, databases: Databases | None) -> Running:
        return Running.assemble(lambda running: setup(running, faults, workdir, databases))

    return start


def serve_main(description: str, faults: Mapping[str, object], start: Starter) -> None:
    """The ``python examples/<name>/standin.py [--fault NAME]`` command of an example."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fault", action="append", default=[], choices=sorted(faults))
    args = parser.parse_args()
    postgres: ScratchPostgres | None = None
    try:
        postgres = ScratchPostgres()
    except Exception as exc:  # the example still runs; its database checks will error
        print(f"# no PostgreSQL here ({exc}): database checks will error")
    running = start(frozenset(args.fault), Path(tempfile.mkdtemp(prefix="standin-")), postgres)
    if postgres is not None:
        running.stops.insert(0, postgres.stop)
    for name, value in running.env.items():
        print(f"export {name}='{value}'")
    print("# serving; Ctrl-C stops", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
