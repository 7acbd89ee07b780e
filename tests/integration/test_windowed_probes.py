"""tcp and websocket checks over a window: each probe is a sample of its outcome and
latencies (http is covered by the window gates in tests/plugin)."""

from __future__ import annotations

from pathlib import Path

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.tcp import TcpCheck
from pytest_deploygate.checks.websocket import WebSocketCheck
from pytest_deploygate.errors import ProbeConnectionError
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.runner import CheckInstance, execute
from tests.support.httpserver import closed_port
from tests.support.tlsserver import tcp_server
from tests.support.wsserver import ws_server

CTX = ProbeContext(base_dir=Path("."))
WINDOW = {"window": "600ms", "interval": "200ms", "timeout": "2s", "phases": ["postdeploy"]}


def test_a_tcp_window_samples_connect_latency_and_up() -> None:
    spec = TcpCheck.model_validate({"id": "port", "host": "127.0.0.1", **WINDOW, "port": 1})
    with tcp_server() as port:
        done = execute(CheckInstance(spec.model_copy(update={"port": port})), Target(), CTX)
    assert done.judgement is not None and done.judgement.passed
    latency, up = done.judgement.measurements
    assert latency.name == "tcp.connect_latency" and len(latency.samples) == 4
    assert up.samples == tuple((t, 1.0) for t, _ in latency.samples)


def test_a_tcp_window_where_every_probe_is_refused_is_an_error() -> None:
    spec = TcpCheck.model_validate(
        {"id": "port", "host": "127.0.0.1", "port": closed_port(), **WINDOW}
    )
    done = execute(CheckInstance(spec), Target(), CTX)
    assert isinstance(done.error, ProbeConnectionError)
    assert "every one of 4 samples" in str(done.error)
    assert done.attempts == 4


def test_a_websocket_window_samples_both_latencies() -> None:
    with ws_server() as url:
        spec = WebSocketCheck.model_validate(
            {
                "id": "ws",
                "url": f"{url}/ws",
                "send_json": {"type": "ping"},
                "expect_json": {"type": "pong"},
                **WINDOW,
            }
        )
        done = execute(CheckInstance(spec), Target(), ProbeContext(base_dir=Path("."), observe=0.4))
    assert done.judgement is not None and done.judgement.passed, done.error
    names = [m.name for m in done.judgement.measurements]
    assert names == ["websocket.connect_latency", "websocket.reply_latency", "websocket.up"]
    # --observe sets the window's length: 0.4 s at 200 ms is 3 samples.
    assert all(len(m.samples) == 3 for m in done.judgement.measurements)
