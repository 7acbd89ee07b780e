"""TLS and raw TCP servers on loopback for the tests: good ones and broken ones.

``tls_server(cert)`` completes handshakes with the given certificate and answers any
request with a small HTTP 200, so both the ``tls`` check and ``https://`` checks can use
it. The other servers misbehave at the TCP level: garbage instead of a handshake,
a reset connection.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.support.certs import CertFiles

HTTP_OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\n"
    b'Connection: close\r\n\r\n{"status": "healthy"}'
)


@contextmanager
def _serve(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """Accept loop on a free loopback port; each connection handled in its own thread."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stop = threading.Event()

    def guarded(conn: socket.socket) -> None:
        try:
            handle(conn)
        except OSError:
            pass  # the client gave up or the handshake failed: both are expected here
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.settimeout(5)
            threading.Thread(target=guarded, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def server_context(cert: CertFiles) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert, cert.key)
    return context


@contextmanager
def tls_server(cert: CertFiles) -> Iterator[int]:
    """Completes TLS handshakes with ``cert``; answers one HTTP request with 200."""
    context = server_context(cert)

    def handle(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            try:
                tls.recv(65536)
                tls.sendall(HTTP_OK)
            except (OSError, ssl.SSLError):
                pass

    with _serve(handle) as port:
        yield port


@contextmanager
def garbage_server() -> Iterator[int]:
    """Answers a TLS ClientHello with plain-text bytes: a TLS handshake failure."""

    def handle(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with _serve(handle) as port:
        yield port


@contextmanager
def reset_server() -> Iterator[int]:
    """Accepts, reads what the client sends, then resets the connection (RST)."""

    def handle(conn: socket.socket) -> None:
        conn.recv(4096)
        # SO_LINGER with a zero timeout turns close() into a TCP reset.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with _serve(handle) as port:
        yield port


@contextmanager
def tcp_server() -> Iterator[int]:
    """Accepts connections and closes them: a port that is open."""
    with _serve(lambda conn: None) as port:
        yield port
