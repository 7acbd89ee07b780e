"""A loopback HTTP server that remembers every request it served: path and when.

``GET /any/path?s=0.2`` waits 0.2 s and answers 200 with a small JSON body;
``/status/NNN`` answers that status; ``/metrics`` answers in the Prometheus text format.
Each request is recorded with the monotonic time it arrived and the time its answer was
ready (taken before the answer is sent, so a client that has read an answer finds the
request already recorded as ended).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

METRICS = b"# TYPE up gauge\nup 1\n"


@dataclass(frozen=True)
class Served:
    path: str
    began: float
    ended: float


@dataclass
class Recorder:
    """What the server saw; ``arrived`` is set by the first request, ``began`` counts
    the requests that arrived (answered or not)."""

    url: str
    served: list[Served] = field(default_factory=list)
    began: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, path: str) -> list[Served]:
        with self.lock:
            return [s for s in self.served if s.path == path]

    def others(self, path: str) -> list[Served]:
        with self.lock:
            return [s for s in self.served if s.path != path]


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            began = time.monotonic()
            with recorder.lock:
                recorder.began += 1
            recorder.arrived.set()
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            time.sleep(float(query.get("s", "0")))
            status, body = 200, json.dumps({"status": "healthy"}).encode()
            content_type = "application/json"
            if url.path.startswith("/status/"):
                status = int(url.path.rsplit("/", 1)[1])
            elif url.path == "/metrics":
                body, content_type = METRICS, "text/plain; version=0.0.4"
            with recorder.lock:
                recorder.served.append(Served(url.path, began, time.monotonic()))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that went away (an interrupted gate) is not news here


@contextmanager
def recording_server() -> Iterator[Recorder]:
    """A threaded recording server on a free loopback port."""
    recorder = Recorder(url="")
    server = _Server(("127.0.0.1", 0), _handler(recorder))
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
