"""judge_websocket with literal exchanges: every failure it can write, and a pass."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.websocket import WebSocketCheck, WebSocketObservation
from pytest_deploygate.expect.websocket import judge_websocket

REPLIED = WebSocketObservation(
    url="wss://app.example/ws",
    subprotocol="chat.v1",
    connect_latency=0.05,
    waited_for_reply=True,
    reply='{"type": "pong", "seq": 1}',
    reply_latency=0.02,
    timeout=5.0,
)


def spec(**keys: Any) -> WebSocketCheck:
    data = {"id": "ws", "phases": ["smoke"], "url": "wss://app.example/ws", "send": "ping"}
    return WebSocketCheck.model_validate({**data, "expect_reply": True, **keys})


def failures(keys: dict[str, Any], **seen: Any) -> tuple[str, ...]:
    return judge_websocket(spec(**keys), Target(), replace(REPLIED, **seen)).failures


def test_a_reply_that_meets_every_expectation_passes_and_both_latencies_are_measured() -> None:
    keys = {
        "subprotocols": ["chat.v1"],
        "expect_json": {"type": "pong"},
        "expect_match": "pong",
        "max_connect_latency": "1s",
        "max_reply_latency": "1s",
    }
    judgement = judge_websocket(spec(**keys), Target(), REPLIED)
    assert judgement.failures == ()
    assert {m.name: (m.value, m.threshold) for m in judgement.measurements} == {
        "websocket.connect_latency": (0.05, 1.0),
        "websocket.reply_latency": (0.02, 1.0),
    }


@pytest.mark.parametrize(
    ("keys", "seen", "expected"),
    [
        (
            {"subprotocols": ["chat.v2", "chat.v3"]},
            {"subprotocol": None},
            "server accepted none of the subprotocols offered (chat.v2, chat.v3)",
        ),
        (
            {"max_connect_latency": "10ms"},
            {},
            "connect latency 50ms above max_connect_latency 10ms",
        ),
        ({}, {"reply": None}, "no reply within the timeout (5.00s)"),
        (
            {},
            {"reply": None, "closed_before_reply": "1011 internal error"},
            "server closed the connection before replying (1011 internal error)",
        ),
        ({"expect_json": {"type": "pong"}}, {"reply": "pong"}, "reply is not JSON: pong"),
        ({"expect_json": {"type": "pong"}}, {"reply": ""}, "reply is not JSON: (empty)"),
        (
            {"expect_json": {"type": "pong"}},
            {"reply": '{"type": "error"}'},
            "reply JSON $.type is 'error', expected 'pong'",
        ),
        (
            {"expect_match": "^pong$"},
            {"reply": "nope"},
            "reply does not match expect_match '^pong$': nope",
        ),
        (
            {"max_reply_latency": "10ms"},
            {},
            "reply latency 20ms above max_reply_latency 10ms",
        ),
    ],
)
def test_each_unmet_expectation_is_one_line(
    keys: dict[str, Any], seen: dict[str, Any], expected: str
) -> None:
    assert failures(keys, **seen) == (expected,)


def test_without_a_reply_asked_for_only_the_connection_is_judged() -> None:
    judgement = judge_websocket(
        spec(expect_reply=False, send=None),
        Target(),
        replace(REPLIED, waited_for_reply=False, reply=None, reply_latency=None),
    )
    assert judgement.failures == ()
    assert [m.name for m in judgement.measurements] == ["websocket.connect_latency"]
