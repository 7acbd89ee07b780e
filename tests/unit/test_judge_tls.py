"""judge_tls with literal observations: every failure it can write, and a pass."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.tls import TlsCheck, TlsObservation
from pytest_deploygate.expect.tls import judge_tls

NOT_AFTER = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
OK = TlsObservation(
    host="app.example",
    port=443,
    server_name="app.example",
    subject="CN=app.example",
    issuer="CN=Example CA",
    names=("app.example", "www.app.example"),
    not_before=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc),
    not_after=NOT_AFTER,
    days_left=90.0,
    not_yet_valid=False,
    hostname_matches=True,
    chain_error=None,
)
CERT = "certificate of app.example:443"
ON = "(on 2027-03-01 12:00 UTC)"
SPEC = TlsCheck.model_validate({"id": "cert", "phases": ["predeploy"], "host": "app.example"})


def failures(**seen: Any) -> tuple[str, ...]:
    return judge_tls(SPEC, Target(), replace(OK, **seen)).failures


def test_a_valid_trusted_matching_certificate_passes_and_measures_days_left() -> None:
    judgement = judge_tls(SPEC, Target(), OK)
    assert judgement.failures == ()
    ((measurement),) = judgement.measurements
    assert (measurement.name, measurement.value, measurement.unit) == (
        "tls.days_left",
        90.0,
        "days",
    )
    assert (measurement.threshold, measurement.bound) == (30.0, "min")


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        (
            {"days_left": -3.2},
            f"{CERT} expired 3 days ago {ON}",
        ),
        (
            {"days_left": -0.5},
            f"{CERT} expired 12 hours ago {ON}",
        ),
        (
            {"days_left": -0.01},
            f"{CERT} expired less than an hour ago {ON}",
        ),
        (
            {"not_yet_valid": True},
            f"{CERT} is not yet valid (valid from 2026-03-01 12:00 UTC)",
        ),
        (
            {"days_left": 12.0},
            f"{CERT} expiring in 12 days {ON}, below min_days_left 30",
        ),
        (
            {"hostname_matches": False, "server_name": "api.example"},
            "hostname mismatch: certificate is for app.example, www.app.example, not api.example",
        ),
        (
            {"hostname_matches": False, "names": ()},
            "hostname mismatch: certificate has no subjectAltName, so it is for no name (its "
            "common name CN=app.example is not matched by clients); reissue it with "
            "app.example as a subjectAltName",
        ),
        (
            {"chain_error": "self-signed certificate"},
            "untrusted chain: self-signed certificate (issuer CN=Example CA); "
            "give the issuing CA as ca_bundle if it is a private CA",
        ),
    ],
)
def test_each_problem_is_one_line(seen: dict[str, Any], expected: str) -> None:
    assert failures(**seen) == (expected,)


def test_hostname_checking_switched_off_is_not_a_mismatch() -> None:
    assert failures(hostname_matches=None) == ()


def test_an_expired_untrusted_certificate_for_another_host_lists_all_three() -> None:
    found = failures(days_left=-1.0, hostname_matches=False, chain_error="unknown issuer")
    assert [line.split(":")[0].split(" ")[0] for line in found] == [
        "certificate",
        "hostname",
        "untrusted",
    ]
