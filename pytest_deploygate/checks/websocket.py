"""``type = "websocket"``: connect, optionally send one message, expect a reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from pytest_deploygate.checks.base import CheckSpec, Duration
from pytest_deploygate.checks.validators import WS_SCHEMES, check_regex, check_url

JsonValue = Any


class WebSocketCheck(CheckSpec):
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
