"""Real HTTP servers on loopback for the tests: well-behaved and misbehaving ones."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MARKUP = "<script>document.title='pwned'</script><b>bold</b>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self,
        status: int,
        body: object,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/health":
            self._send(200, {"status": "healthy", "version": "v1.2.3"})
        elif path == "/slow":
            time.sleep(float(query.get("s", "1")))
            self._send(200, {"status": "healthy"})
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), {"error": "boom"})
        elif path == "/close":
            # Close the connection without an answer: a crashed upstream.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path == "/headers":
            self._send(200, dict(self.headers))
        elif path == "/markup":
            self._send(500, MARKUP.encode(), {"X-Evil": MARKUP}, reason=MARKUP)
        elif path == "/no-type":
            # No Content-Type at all: the encoding must be guessed from the bytes.
            data = '{"status": "healthy", "name": "Zürich"}'.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif path == "/not-json":
            self._send(200, b"<html>oops</html>")
        else:
            self._send(404, {"error": "not found"})

    do_POST = do_GET


@contextmanager
def http_server() -> Iterator[str]:
    """A threaded HTTP server on a free loopback port; yields its base URL."""
    with serve(_Handler) as url:
        yield url


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Any request handler, threaded, on a free loopback port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a hung endpoint."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def closed_port() -> int:
    """A loopback port with nothing listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
