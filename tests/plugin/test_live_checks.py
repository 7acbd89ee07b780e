"""Gates with websocket, tls, tcp and the richer http checks, run by pytest itself
against real loopback servers: exit codes, terminal lines, verdict file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugin.helpers import by_id, toml_value, verdict
from tests.support.certs import TestCA
from tests.support.httpserver import closed_port
from tests.support.jsonserver import json_server
from tests.support.tlsserver import tls_server
from tests.support.wsserver import ws_server

SHA = "3f2a9c1d5e7b8a0c4d6e1f2a3b4c5d6e7f8a9b0c"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    ca = TestCA(tmp_path_factory.mktemp("gate-certs"))
    routes = {"/health": {"status": "healthy", "version": SHA[:7]}, "/text": "not json"}
    with (
        json_server(routes) as http,
        ws_server() as ws,
        tls_server(ca.valid()) as good,
        tls_server(ca.expiring(5)) as expiring,
    ):
        yield {"http": http, "ws": ws, "tls": good, "expiring": expiring, "ca": ca.path}


def check(check_id: str, kind: str, phases: str = '["smoke"]', **keys: Any) -> str:
    keys.setdefault("timeout", "2s")
    extra = "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    return f'[[checks]]\nid = "{check_id}"\ntype = "{kind}"\nphases = {phases}\n{extra}\n'


def gate(
    pytester: pytest.Pytester, servers: dict[str, Any], *checks: str, version: str = SHA
) -> None:
    target = (
        f'[targets.staging]\nbase_url = "{servers["http"]}"\n'
        f'websocket_url = "{servers["ws"]}/ws"\nexpected_version = "{version}"\n\n'
    )
    pytester.makefile(".toml", deploygate=target + "".join(checks))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--target=staging", "--verdict-json=verdict.json", "-p", "no:cacheprovider", *args
    )


def healthy_checks(servers: dict[str, Any]) -> list[str]:
    return [
        check("ws-ping", "websocket", send_json={"type": "ping"}, expect_json={"type": "pong"}),
        check("cert", "tls", '["predeploy"]', host="localhost", port=servers["tls"],
              ca_bundle=str(servers["ca"])),
        check("ws-port", "tcp", address=servers["ws"].split("//")[1]),
        check("version", "http", path="/health", expect_version=True,
              expect_json_path={"status": "healthy"}, body_contains="healthy"),
    ]  # fmt: skip


def test_a_healthy_live_gate_is_go(pytester: pytest.Pytester, servers: dict[str, Any]) -> None:
    gate(pytester, servers, *healthy_checks(servers))
    result = run(pytester)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*DEPLOYGATE VERDICT: GO*"])
    checks = by_id(verdict(pytester))
    names = {c: [m["name"] for m in checks[c]["measurements"]] for c in checks}
    assert names["ws-ping"] == ["websocket.connect_latency", "websocket.reply_latency"]
    assert names["cert"] == ["tls.days_left"]
    assert names["ws-port"] == ["tcp.connect_latency"]


def test_the_phase_marker_selects_live_checks(
    pytester: pytest.Pytester, servers: dict[str, Any]
) -> None:
    gate(pytester, servers, *healthy_checks(servers))
    result = run(pytester, "-m", "predeploy")
    result.assert_outcomes(passed=1, deselected=3)
    assert [c["id"] for c in verdict(pytester)["checks"]] == ["cert"]


def test_an_expiring_certificate_is_rollback_with_its_days_left(
    pytester: pytest.Pytester, servers: dict[str, Any]
) -> None:
    gate(pytester, servers, check("cert", "tls", host="localhost", port=servers["expiring"],
                                  ca_bundle=str(servers["ca"])))  # fmt: skip
    result = run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*VERDICT: ROLLBACK*",
            "*ROLLBACK*cert*failed: certificate of localhost:* expiring in 5 days*",
        ]
    )
    (measurement,) = by_id(verdict(pytester))["cert"]["measurements"]
    assert measurement["threshold"] == 30 and measurement["value"] < 5


def test_a_silent_websocket_with_on_fail_investigate_is_investigate(
    pytester: pytest.Pytester, servers: dict[str, Any]
) -> None:
    silent = check("ws-silent", "websocket", url=f"{servers['ws']}/silent", expect_reply=True,
                   send_json={"type": "ping"}, timeout="500ms", on_fail="investigate")  # fmt: skip
    gate(pytester, servers, silent)
    result = run(pytester)
    assert result.ret == 10
    result.stdout.fnmatch_lines(["*INVESTIGATE*ws-silent*failed: no reply within the timeout*"])


def test_a_version_mismatch_is_rollback_showing_both_versions(
    pytester: pytest.Pytester, servers: dict[str, Any]
) -> None:
    gate(pytester, servers, check("version", "http", path="/health", expect_version=True),
         version="v9.9.9")  # fmt: skip
    result = run(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*ROLLBACK*version*failed: deployed version '3f2a9c1' (JSON version) is not "
         "expected_version 'v9.9.9'*"]
    )  # fmt: skip


def test_faults_are_errors_with_one_line_reasons_and_never_go(
    pytester: pytest.Pytester, servers: dict[str, Any]
) -> None:
    port = closed_port()
    gate(
        pytester,
        servers,
        check("ws-refused", "websocket", url=f"ws://127.0.0.1:{port}/ws", expect_reply=True),
        check("db-port", "tcp", address=f"127.0.0.1:{port}"),
        check("cert-dns", "tls", host="deploygate-test.invalid"),
        check("not-json", "http", path="/text", expect_json_path={"status": "ok"}),
    )
    result = run(pytester)
    assert result.ret == 1
    checks = by_id(verdict(pytester))
    outcomes = {c: (checks[c]["outcome"], checks[c]["decision"]) for c in checks}
    assert outcomes == {
        "ws-refused": ("error", "rollback"),
        "db-port": ("error", "rollback"),
        "cert-dns": ("error", "rollback"),
        "not-json": ("failed", "rollback"),
    }
    assert all("\n" not in c["reason"] for c in checks.values())
    result.stdout.fnmatch_lines(
        [
            # In collection order: the built-in suites are http, tcp, tls, websocket.
            "*ROLLBACK*not-json*failed: body is not JSON: not json*",
            "*ROLLBACK*db-port*error: connection refused (127.0.0.1:*",
            "*ROLLBACK*cert-dns*error: DNS lookup failed*deploygate-test.invalid*",
            "*ROLLBACK*ws-refused*error: connection refused (ws://127.0.0.1:*",
        ]
    )


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            {"type": "tls", "min_days_left": "soon"},
            ").min_days_left: Input should be a valid number",
        ),
        ({"type": "tcp"}, "give 'port'"),
        ({"type": "websocket", "url": "https://x"}, ".url: 'https://x' has scheme https://"),
        ({"type": "http", "path": "/", "body_matches": "(["}, "'body_matches' is not a valid"),
    ],
)
def test_bad_keys_are_usage_errors_naming_the_key(
    pytester: pytest.Pytester, servers: dict[str, Any], keys: dict[str, Any], message: str
) -> None:
    kind = keys.pop("type")
    gate(pytester, servers, check("bad", kind, **keys))
    result = run(pytester)
    assert result.ret == 4
    assert message in result.stderr.str() + result.stdout.str()
