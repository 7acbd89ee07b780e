"""The redis probe against real Debian redis-servers on loopback (and a socket that never
answers, and one that answers every command with an error)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.redis import WRITE_PROBE_PREFIX, RedisCheck
from pytest_deploygate.errors import (
    ProbeAuthError,
    ProbeConnectionError,
    ProbeProtocolError,
    ProbeTimeout,
    ProbeTLSError,
)
from pytest_deploygate.expect.redis import judge_redis
from pytest_deploygate.probes.base import ProbeContext
from pytest_deploygate.probes.redis import probe_redis
from tests.support.redis import PASSWORD, RedisServer, redis_server

CTX = ProbeContext(base_dir=Path("."))


def check(**keys: object) -> RedisCheck:
    return RedisCheck.model_validate({"id": "cache", "phases": ["smoke"], "timeout": "2s", **keys})


def test_ping_and_info_of_a_real_server(redis_plain: RedisServer) -> None:
    obs = probe_redis(check(url=redis_plain.url()), Target(), CTX)
    assert obs.pong == "PONG"
    assert obs.where == f"redis://{redis_plain.address}/0"
    assert float(obs.info["used_memory"]) > 0
    assert obs.info["role"] == "master"
    judgement = judge_redis(check(url=redis_plain.url(), max_used_memory="1GB"), Target(), obs)
    assert judgement.failures == ()


def test_the_password_from_url_key_or_target_authenticates(redis_auth: RedisServer) -> None:
    for spec, target in [
        (check(url=redis_auth.url()), Target()),
        (check(host="127.0.0.1", port=redis_auth.port, password=PASSWORD), Target()),
        (check(password=PASSWORD), Target(redis_url=redis_auth.url(with_password=False))),
    ]:
        assert probe_redis(spec, target, CTX).pong == "PONG"


def test_a_wrong_password_is_an_auth_error_that_does_not_show_it(redis_auth: RedisServer) -> None:
    url = redis_auth.url(with_password=False).replace("://", "://:wrong-pw-123@")
    with pytest.raises(ProbeAuthError) as info:
        probe_redis(check(url=url), Target(), CTX)
    assert str(info.value) == (
        "authentication failed: invalid username-password pair or user is disabled "
        f"(redis://{redis_auth.address}/0)"
    )


def test_no_password_for_a_server_that_wants_one_says_so(redis_auth: RedisServer) -> None:
    with pytest.raises(ProbeAuthError, match="the server requires a password"):
        probe_redis(check(url=redis_auth.url(with_password=False)), Target(), CTX)


def test_a_stopped_server_is_connection_refused() -> None:
    with redis_server() as server:
        url = server.url()
    with pytest.raises(ProbeConnectionError) as info:
        probe_redis(check(url=url), Target(), CTX)
    assert str(info.value) == f"connection refused (redis://{server.address}/0)"


def test_a_database_the_server_does_not_have_is_an_error(redis_plain: RedisServer) -> None:
    with pytest.raises(ProbeProtocolError, match="DB index is out of range"):
        probe_redis(check(url=redis_plain.url(db=999)), Target(), CTX)


@contextmanager
def listener(reply: bytes | None) -> Iterator[int]:
    """A loopback port that accepts and then answers every command with ``reply``, or
    never answers (None)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        conns = []
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conns.append(conn)
            if reply is not None:
                threading.Thread(target=answer, args=(conn,), daemon=True).start()
        for conn in conns:
            conn.close()

    def answer(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(reply * data.count(b"*"))  # one reply per RESP command

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


def test_a_server_that_never_answers_is_a_timeout_of_the_checks_timeout() -> None:
    with listener(None) as port, pytest.raises(ProbeTimeout) as info:
        probe_redis(check(host="127.0.0.1", port=port, timeout="300ms"), Target(), CTX)
    assert str(info.value) == f"no answer within 300ms (redis://127.0.0.1:{port}/0)"


def test_a_ping_answered_with_an_error_is_observed_and_fails() -> None:
    with listener(b"-LOADING Redis is loading the dataset in memory\r\n") as port:
        spec = check(host="127.0.0.1", port=port)
        obs = probe_redis(spec, Target(), CTX)
    assert obs.pong == "error: LOADING Redis is loading the dataset in memory"
    assert judge_redis(spec, Target(), obs).failures == (
        "PING answered 'error: LOADING Redis is loading the dataset in memory', expected PONG "
        f"(redis://127.0.0.1:{port}/0)",
    )


def test_the_write_probe_reads_back_and_leaves_no_key(redis_auth: RedisServer) -> None:
    client = redis_auth.client(db=3)
    before = client.dbsize()
    obs = probe_redis(check(url=redis_auth.url(db=3), write_probe=True), Target(), CTX)
    assert obs.write is not None and obs.write.failed_step is None
    assert obs.write.key.startswith(WRITE_PROBE_PREFIX)
    assert client.dbsize() == before
    assert list(client.scan_iter(f"{WRITE_PROBE_PREFIX}*")) == []


def test_without_write_probe_nothing_is_written(redis_plain: RedisServer) -> None:
    client = redis_plain.client(db=4)
    changes = int(client.info("persistence")["rdb_changes_since_last_save"])
    probe_redis(check(url=redis_plain.url(db=4)), Target(), CTX)
    assert int(client.info("persistence")["rdb_changes_since_last_save"]) == changes


def test_a_write_probe_on_a_replica_fails_at_set_and_writes_nothing(
    redis_plain: RedisServer,
) -> None:
    with redis_server() as replica:
        replica.client().replicaof("127.0.0.1", redis_plain.port)
        spec = check(url=replica.url(), write_probe=True, role="replica")
        obs = probe_redis(spec, Target(), CTX)
        failures = judge_redis(spec, Target(), obs).failures
        assert obs.write is not None and obs.write.failed_step == "SET"
        assert len(failures) == 1
        assert failures[0].startswith(f"write probe: SET {obs.write.key} failed: READONLY")
        assert list(replica.client().scan_iter(f"{WRITE_PROBE_PREFIX}*")) == []


def test_a_password_with_url_characters_percent_encoded(redis_auth: RedisServer) -> None:
    assert "/" in PASSWORD and "@" in PASSWORD
    url = f"redis://:{quote(PASSWORD, safe='')}@{redis_auth.address}/0"
    assert probe_redis(check(url=url), Target(), CTX).pong == "PONG"


def test_rediss_verifies_the_certificate_against_the_ca_bundle_of_check_or_target() -> None:
    with redis_server(PASSWORD, tls=True) as server:
        assert server.ca is not None
        url = server.url()
        assert url.startswith("rediss://")
        assert probe_redis(check(url=url, ca_bundle=str(server.ca)), Target(), CTX).pong == "PONG"
        assert probe_redis(check(url=url), Target(ca_bundle=server.ca), CTX).pong == "PONG"
        assert probe_redis(check(url=url, verify=False), Target(), CTX).pong == "PONG"
        with pytest.raises(ProbeTLSError) as info:
            probe_redis(check(url=url), Target(), CTX)
    assert str(info.value).startswith("TLS error: certificate verify failed")
    assert str(info.value).endswith(f"(rediss://{server.address}/0)")
