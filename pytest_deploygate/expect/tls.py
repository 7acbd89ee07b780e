"""Judging a presented certificate against a ``tls`` check."""

from __future__ import annotations

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.tls import TlsCheck, TlsObservation
from pytest_deploygate.expect.base import Judgement
from pytest_deploygate.outcomes import Measurement
from pytest_deploygate.units import format_number


def judge_tls(spec: TlsCheck, target: Target, obs: TlsObservation) -> Judgement:
    failures: list[str] = []
    where = f"{obs.host}:{obs.port}"
    expires = obs.not_after.strftime("%Y-%m-%d %H:%M UTC")
    if obs.days_left < 0:
        failures.append(
            f"certificate of {where} expired {_days(-obs.days_left)} ago (on {expires})"
        )
    elif obs.not_yet_valid:
        starts = obs.not_before.strftime("%Y-%m-%d %H:%M UTC")
        failures.append(f"certificate of {where} is not yet valid (valid from {starts})")
    elif obs.days_left < spec.min_days_left:
        failures.append(
            f"certificate of {where} expiring in {_days(obs.days_left)} (on {expires}), "
            f"below min_days_left {format_number(spec.min_days_left)}"
        )
    if obs.hostname_matches is False:
        failures.append(_mismatch(obs))
    if obs.chain_error is not None:
        failures.append(
            f"untrusted chain: {obs.chain_error} (issuer {obs.issuer}); "
            "give the issuing CA as ca_bundle if it is a private CA"
        )
    measurement = Measurement("tls.days_left", obs.days_left, "days", spec.min_days_left, "min")
    return Judgement(tuple(failures), (measurement,))


def _days(days: float) -> str:
    if days >= 1.5:  # rounds to 2 or more: "2 days" reads better than "47 hours"
        return f"{days:.0f} days"
    hours = days * 24
    return f"{hours:.0f} hours" if hours >= 1 else "less than an hour"


def _mismatch(obs: TlsObservation) -> str:
    if obs.names:
        shown = ", ".join(obs.names[:5])
        return f"hostname mismatch: certificate is for {shown}, not {obs.server_name}"
    # Browsers, urllib3 (the http check) and OpenSSL as the websocket check runs it
    # ignore the common name: say why a certificate "for" the name still does not match.
    return (
        f"hostname mismatch: certificate has no subjectAltName, so it is for no name "
        f"(its common name {obs.subject} is not matched by clients); reissue it with "
        f"{obs.server_name} as a subjectAltName"
    )
