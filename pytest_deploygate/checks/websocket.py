"""``type = "websocket"``: connect, optionally send one message, expect a reply."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration, Target, WindowKeys
from pytest_deploygate.checks.validators import WS_SCHEMES, check_regex, check_url
from pytest_deploygate.errors import ProbeProtocolError
from pytest_deploygate.masking import display_url

if TYPE_CHECKING:  # typing only: checks/ come before probes/ in the flow
    from pytest_deploygate.probes.base import ProbeContext

JsonValue = Any


class WebSocketCheck(CheckSpec, WindowKeys):
    type: Literal["websocket"] = "websocket"
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    subprotocols: tuple[str, ...] = ()
    send: str | None = None
    send_json: JsonValue | None = None
    expect_reply: bool = False
    expect_json: dict[str, JsonValue] | list[JsonValue] | None = None
    expect_match: str | None = None
    max_connect_latency: Duration | None = None
    max_reply_latency: Duration | None = None
    verify: bool | None = None
    ca_bundle: Path | None = None

    @field_validator("url")
    @classmethod
    def _websocket_scheme(cls, value: str | None, info: ValidationInfo) -> str | None:
        return check_url(value, WS_SCHEMES, info)

    @field_validator("expect_match")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return check_regex(value, "expect_match")

    @model_validator(mode="after")
    def _consistent(self) -> WebSocketCheck:
        if self.send is not None and self.send_json is not None:
            raise ValueError("give at most one of 'send' (text) and 'send_json' (a JSON value)")
        if self.verify is False and self.ca_bundle is not None:
            raise ValueError("'verify = false' and 'ca_bundle' contradict each other")
        if self.max_reply_latency is not None and not self.wants_reply:
            raise ValueError(
                "'max_reply_latency' needs a reply: set 'expect_reply = true', "
                "'expect_json' or 'expect_match'"
            )
        return self

    @property
    def wants_reply(self) -> bool:
        """Whether the check waits for a message from the server."""
        return self.expect_reply or self.expect_json is not None or self.expect_match is not None


@dataclass(frozen=True)
class WebSocketObservation:
    url: str
    subprotocol: str | None
    connect_latency: float
    waited_for_reply: bool
    reply: str | None = None
    reply_latency: float | None = None
    closed_before_reply: str | None = None  # the close code and reason, when it happened
    timeout: float = 0.0


def resolve_ws_url(spec: WebSocketCheck, target: Target) -> str:
    url = spec.url or target.websocket_url
    if not url:
        raise ProbeProtocolError(
            f"check {spec.id!r} has no 'url' and target {target.name!r} has no websocket_url"
        )
    if not url.startswith(("ws://", "wss://")):
        raise ProbeProtocolError(
            f"websocket URL must start with ws:// or wss://, got {display_url(url)!r}"
        )
    return url


def where_websocket(spec: WebSocketCheck, target: Target, ctx: ProbeContext) -> str:
    return display_url(resolve_ws_url(spec, target))
