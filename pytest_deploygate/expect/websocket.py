"""Judging a WebSocket exchange against a ``websocket`` check."""

from __future__ import annotations

import json
import re

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.websocket import WebSocketCheck, WebSocketObservation
from pytest_deploygate.expect.base import Judgement, as_written, snippet, subset_mismatch
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_value


def judge_websocket(spec: WebSocketCheck, target: Target, obs: WebSocketObservation) -> Judgement:
    failures: list[str] = []
    measurements = [
        Measurement(
            "websocket.connect_latency", obs.connect_latency, "s", spec.max_connect_latency, "max"
        )
    ]
    if spec.subprotocols and obs.subprotocol is None:
        offered = ", ".join(spec.subprotocols)
        failures.append(f"server accepted none of the subprotocols offered ({offered})")
    if spec.max_connect_latency is not None and obs.connect_latency > spec.max_connect_latency:
        failures.append(
            f"connect latency {format_value(obs.connect_latency, 's')} above "
            f"max_connect_latency {format_value(spec.max_connect_latency, 's')}"
        )
    if obs.waited_for_reply:
        if obs.reply is None:
            if obs.closed_before_reply is not None:
                failures.append(
                    f"server closed the connection before replying ({obs.closed_before_reply})"
                )
            else:
                failures.append(f"no reply within the timeout ({format_value(obs.timeout, 's')})")
        else:
            failures.extend(_reply_failures(spec, obs.reply))
            latency = obs.reply_latency or 0.0
            measurements.append(
                Measurement("websocket.reply_latency", latency, "s", spec.max_reply_latency, "max")
            )
            if spec.max_reply_latency is not None and latency > spec.max_reply_latency:
                failures.append(
                    f"reply latency {format_value(latency, 's')} above max_reply_latency "
                    f"{format_value(spec.max_reply_latency, 's')}"
                )
    return Judgement(tuple(failures), tuple(measurements))


def _reply_failures(spec: WebSocketCheck, reply: str) -> list[str]:
    failures: list[str] = []
    if spec.expect_json is not None:
        try:
            data = json.loads(reply)
        except ValueError:
            failures.append(f"reply is not JSON: {snippet(reply, 120) or '(empty)'}")
        else:
            mismatch = subset_mismatch(spec.expect_json, data)
            if mismatch:
                failures.append(f"reply JSON {mismatch}")
    if spec.expect_match is not None and not re.search(spec.expect_match, reply):
        failures.append(
            f"reply does not match expect_match {as_written(spec.expect_match)}: "
            f"{snippet(reply, 120) or '(empty)'}"
        )
    return failures
