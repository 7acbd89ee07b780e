"""A loopback HTTP server that answers with markup and script everywhere it can:
status reason, a header and the body. A report that shows its answers must run none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from tests.support.httpserver import serve

# If any of this ran in a browser, the page title would change or a <canary-pwned>
# element would appear; ``onerror`` fires even for markup inserted through innerHTML.
CANARY_TAG = "canary-pwned"
PAYLOAD = (
    "<img src=x onerror=\"document.title='pwned';"
    f"document.body.appendChild(document.createElement('{CANARY_TAG}'))\">"
    "<script>document.title='pwned'</script><b>bold</b>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        ok = self.path.startswith("/ok")
        body = b'{"status": "healthy"}' if ok else PAYLOAD.encode()
        self.send_response(200 if ok else 500, None if ok else PAYLOAD)
        self.send_header("Content-Type", "application/json" if ok else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Evil", PAYLOAD)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def evil_server() -> Iterator[str]:
    """Yields the base URL; ``/ok`` answers 200 JSON, every other path the payload with 500."""
    with serve(_Handler) as url:
        yield url
