"""A loopback HTTP server that counts the requests it holds at once.

Each request is held until ``gather`` requests are in flight together (or ``hold``
seconds passed), then answered 200 ``{"status": "healthy"}``. ``peak`` is the most
requests that were ever in flight at once: how many checks a gate really ran together.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.support.httpserver import serve


@dataclass
class InFlight:
    gather: int
    hold: float
    url: str = ""
    peak: int = 0
    served: int = 0
    _now: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def enter(self) -> None:
        with self._changed:
            self._now += 1
            self.peak = max(self.peak, self._now)
            self._changed.notify_all()
            # Not a timing: a gate that never gathers that many is answered late, not never.
            self._changed.wait_for(lambda: self.peak >= self.gather, timeout=self.hold)

    def leave(self) -> None:
        with self._changed:
            self._now -= 1
            self.served += 1


def _handler(state: InFlight) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.enter()
            try:
                body = json.dumps({"status": "healthy"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            finally:
                state.leave()

    return Handler


@contextmanager
def inflight_server(gather: int, hold: float = 20.0) -> Iterator[InFlight]:
    state = InFlight(gather, hold)
    with serve(_handler(state)) as url:
        state.url = url
        yield state
