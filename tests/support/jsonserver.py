"""An HTTP server on loopback that answers fixed documents by path: for body and
JSON-path expectations (``routes = {"/version": {"version": "abc"}}``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.httpserver import serve


@contextmanager
def json_server(routes: Mapping[str, Any]) -> Iterator[str]:
    """Yields the base URL. A ``str`` or ``bytes`` route is sent as is (text/plain),
    anything else as JSON; unknown paths get 404."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            found = path in routes
            doc = routes.get(path, {"error": "not found"})
            if isinstance(doc, (str, bytes)):
                data = doc.encode() if isinstance(doc, str) else doc
                kind = "text/plain; charset=utf-8"
            else:
                data = json.dumps(doc).encode()
                kind = "application/json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serve(Handler) as url:
        yield url
