"""The demo's orders API: an endpoint as slow as real work, and its last good deploy.

It answers ``/api/orders`` in ``ORDERS_S`` seconds, and contributes a ``vs baseline`` rule
on that latency with a built-in baseline record (the last good deploy). The ``slower``
fault makes it 50% slower: still far from the matrix's absolute 2 s, so only the
baseline rule sees it.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pytest_deploygate.demo.base import ComponentInfo
from pytest_deploygate.demo.service import HOST, ServedLoops
from pytest_deploygate.units import format_duration

CHECK_ID = "orders"
ORDERS_S = 1.0
SLOWER = 1.5  # 50% slower than the baseline
# The row's share sits between the two, with room on each side for a loaded machine.
ABOVE_BASELINE = "25%"

FAULTS: dict[str, str] = {
    "slower": (
        f"/api/orders answers 50% slower than the demo's last good deploy "
        f"({format_duration(ORDERS_S * SLOWER)}, not {format_duration(ORDERS_S)}): "
        "under the absolute 2 s, but over the "
        f"baseline rule's +{ABOVE_BASELINE} -> INVESTIGATE"
    ),
}


def baseline_record() -> dict[str, Any]:
    """The demo's last good deploy, as the verdict file a GO run saves
    (``--save-baseline``): what ``--target demo`` compares with unless given ``--baseline``."""
    latency = {"name": "http.latency", "value": ORDERS_S, "unit": "s", "threshold": None}
    return {
        "schema_version": 1,
        "verdict": "GO",
        "target": "demo",
        "checks": [{"id": CHECK_ID, "measurements": [latency]}],
    }


class DemoOrders:
    """The orders API on a free loopback port."""

    faults = FAULTS

    def __init__(self) -> None:
        self._loops = ServedLoops("deploygate-demo")

    def start(self, faults: frozenset[str], workdir: Path) -> ComponentInfo:
        delay = ORDERS_S * (SLOWER if "slower" in faults else 1.0)
        server = ThreadingHTTPServer((HOST, 0), _handler(delay))
        server.daemon_threads = True
        self._loops.http("orders", server)
        url = f"http://{HOST}:{server.server_address[1]}/api/orders"
        return ComponentInfo(
            checks=[
                {
                    "id": CHECK_ID,
                    "type": "http",
                    "phases": ["smoke", "postdeploy"],
                    "description": "the orders API answers, no slower than last time",
                    "url": url,
                    "expect_status": 200,
                }
            ],
            rules=[
                {
                    "measurement": "http.latency",
                    "check": CHECK_ID,
                    "above_baseline": ABOVE_BASELINE,
                    "decision": "investigate",
                    "description": f"response time over the last good deploy's +{ABOVE_BASELINE}",
                }
            ],
            lines=[f"orders API {url} (about {format_duration(delay)} per answer)"],
        )

    def stop(self) -> None:
        self._loops.stop()


def _handler(delay: float) -> type[BaseHTTPRequestHandler]:
    body = json.dumps({"orders": [{"id": 1, "status": "paid"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(delay)
            self.send_response(200 if self.path.startswith("/api/orders") else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
