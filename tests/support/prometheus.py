"""A real Prometheus server (Debian's ``prometheus`` package) for the tests.

One server per test session, on 127.0.0.1 and a free port, with its storage in a temp
directory; it scrapes every 1s whatever loopback endpoints the tests register with
``PrometheusServer.scrape`` (file-based service discovery: no restart, no reload). The
Debian package's own config, port 9090 and /var/lib storage are never used. It scrapes
itself too (job ``prometheus``), so ``up`` has a series from its first second.

Use the ``prometheus_server`` fixture (tests/conftest.py imports it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from pytest_deploygate.checks.promql import Series
from pytest_deploygate.demo.pgserver import free_port
from pytest_deploygate.probes.promql import Client
from tests.support.httpserver import serve
from tests.support.need import need_server

SCRAPE_INTERVAL_S = 1.0
START_TIMEOUT_S = 60.0


class PrometheusServer:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.workdir = workdir
        self.targets_file = workdir / "targets.json"
        self.targets: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._write_targets()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "prometheus.yml"
        # JSON is YAML: no YAML writer needed.
        config.write_text(json.dumps(self._config()))
        self.log = (workdir / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.client = Client(self.url, timeout=10.0)

    def _config(self) -> dict[str, object]:
        interval = f"{SCRAPE_INTERVAL_S:g}s"
        return {
            "global": {"scrape_interval": interval, "evaluation_interval": interval},
            "scrape_configs": [
                # Itself: up{job="prometheus"} is there from the first second.
                {
                    "job_name": "prometheus",
                    "scrape_interval": interval,
                    "static_configs": [{"targets": [f"127.0.0.1:{self.port}"]}],
                },
                {
                    "job_name": "tests",
                    "scrape_interval": interval,
                    "scrape_timeout": interval,
                    "file_sd_configs": [
                        {"files": [str(self.targets_file)], "refresh_interval": "1s"}
                    ],
                },
            ],
        }

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        log = (self.workdir / "prometheus.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"prometheus did not become ready on {self.url}:\n{log}")

    def scrape(self, url: str, job: str) -> None:
        """Scrape ``url`` (a loopback metrics URL) every second from now on, its series
        labelled ``job=<job>``."""
        parts = urlsplit(url)
        target = {
            "targets": [parts.netloc],
            "labels": {"job": job, "__metrics_path__": parts.path or "/metrics"},
        }
        with self._lock:
            self.targets.append(target)
            self._write_targets()

    def _write_targets(self) -> None:
        # Written aside and renamed: Prometheus never reads half a file.
        temp = self.targets_file.with_suffix(".tmp")
        temp.write_text(json.dumps(self.targets))
        temp.replace(self.targets_file)

    def query(self, expr: str) -> tuple[Series, ...]:
        return self.client.instant(expr)

    def wait_for(
        self,
        expr: str,
        until: Callable[[tuple[Series, ...]], bool] = bool,
        timeout: float = 30.0,
    ) -> tuple[Series, ...]:
        """Poll ``expr`` until its result satisfies ``until`` (by default: not empty)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if until(result):
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"{expr} still gives {result} after {timeout:g}s")
            time.sleep(0.25)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or shutil.which("prometheus", path="/usr/bin")


@pytest.fixture(scope="session")
def prometheus_server() -> Iterator[PrometheusServer]:
    binary = prometheus_binary()
    if binary is None:
        need_server("prometheus is not installed (Debian package 'prometheus')")
    with tempfile.TemporaryDirectory(prefix="deploygate-prometheus-") as tmp:
        server = PrometheusServer(binary, Path(tmp))
        try:
            server.wait_ready()
        except RuntimeError as exc:
            need_server(str(exc))
        try:
            yield server
        finally:
            server.stop()


class _TextHandler(BaseHTTPRequestHandler):
    """Serves ``text()`` as a Prometheus text exposition at any path."""

    text: Callable[[], str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = type(self).text().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def exposition(text: Callable[[], str]) -> Iterator[str]:
    """A loopback metrics endpoint serving ``text()`` on every scrape; yields its URL."""
    handler = type("Handler", (_TextHandler,), {"text": staticmethod(text)})
    with serve(handler) as url:
        yield url + "/metrics"
