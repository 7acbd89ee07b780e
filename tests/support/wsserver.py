"""A real WebSocket server on loopback (websockets' sync server in a thread).

Paths choose the behaviour, so one server serves every test:

    /ws         {"type": "ping"} -> {"type": "pong", "version": "v1.2.3"}; other text echoed
    /silent     accepts the connection and never sends anything
    /greet      sends {"type": "hello"} on connect, without being asked
    /text       answers any message with the plain text "pong" (not JSON)
    /headers    answers any message with the request headers and subprotocol as JSON
    /close      closes the connection right after the handshake
    /forbidden  rejects the handshake with HTTP 403; /missing with 404

Subprotocols offered by the server: ``chat.v1`` and ``chat.v2``. Pass a ``CertFiles``
for a ``wss://`` server.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http import HTTPStatus

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from tests.support.certs import CertFiles

SUBPROTOCOLS = ("chat.v1", "chat.v2")
PONG = {"type": "pong", "version": "v1.2.3"}


def _reject(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/forbidden":
        return connection.respond(HTTPStatus.FORBIDDEN, "forbidden\n")
    if request.path == "/missing":
        return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
    return None


def _select(connection: ServerConnection, offered: Sequence[str]) -> str | None:
    """The first offered subprotocol we speak; a client that offers none is accepted too."""
    return next((p for p in offered if p in SUBPROTOCOLS), None)


def _handler(ws: ServerConnection) -> None:
    path = ws.request.path if ws.request is not None else "/"
    try:
        if path == "/close":
            ws.close()
            return
        if path == "/greet":
            ws.send(json.dumps({"type": "hello"}))
        for message in ws:
            if path in ("/silent", "/greet"):
                continue
            if path == "/text":
                ws.send("pong")
            elif path == "/headers":
                headers = dict(ws.request.headers.raw_items()) if ws.request else {}
                ws.send(json.dumps({"headers": headers, "subprotocol": ws.subprotocol}))
            else:
                try:
                    data = json.loads(message)
                except ValueError:
                    data = None
                is_ping = isinstance(data, dict) and data.get("type") == "ping"
                ws.send(json.dumps(PONG) if is_ping else message)
    except ConnectionClosed:
        pass


@contextmanager
def ws_server(cert: CertFiles | None = None) -> Iterator[str]:
    """Yields the server's base URL (``ws://127.0.0.1:PORT`` or ``wss://localhost:PORT``)."""
    context = None
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert, cert.key)
    server = serve(
        _handler,
        "127.0.0.1",
        0,
        ssl=context,
        select_subprotocol=_select,  # type: ignore[arg-type]
        process_request=_reject,
    )
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host = "localhost" if cert is not None else "127.0.0.1"
        yield f"{'wss' if cert else 'ws'}://{host}:{port}"
    finally:
        server.shutdown()
        thread.join(5)
