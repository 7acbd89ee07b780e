"""TLS: the certificate a server presents, and whether its chain is trusted.

The chain is verified with the expiry dates switched off, and dates and hostname are
read from the certificate itself: so one run can say *all* of "expired", "not yet valid",
"hostname mismatch" and "untrusted chain", where OpenSSL alone stops at the first.
The hostname is matched by ``service_identity`` (RFC 6125: subjectAltName only, never the
common name), as OpenSSL matches it for the http and websocket checks, so the three
checks agree on one certificate.
Also home of :func:`client_context`, which the ``websocket`` probe shares.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import time
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID
from service_identity import CertificateError, VerificationError
from service_identity.cryptography import (
    verify_certificate_hostname,
    verify_certificate_ip_address,
)

from pytest_deploygate.checks.base import Target
from pytest_deploygate.checks.tls import TlsCheck, TlsObservation, tls_address
from pytest_deploygate.errors import (
    ProbeError,
    ProbeTimeout,
    ProbeTLSError,
    one_line,
)
from pytest_deploygate.probes.base import ProbeContext, classify, ssl_reason

# OpenSSL's X509_V_FLAG_NO_CHECK_TIME: verify the chain, ignore validity dates (we report
# them ourselves, with the number of days). Python's ssl module does not name it.
NO_CHECK_TIME = 0x200000


def client_context(
    verify: bool | None, ca_bundle: Path | None, target: Target, ctx: ProbeContext
) -> ssl.SSLContext:
    """A client context like the http check's: verification on unless explicitly off,
    the check's CA bundle, else the target's, else the system store."""
    enabled, bundle = tls_verification(verify, ca_bundle, target)
    if not enabled:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        context = ssl.create_default_context(cafile=str(ctx.path(bundle)) if bundle else None)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeTLSError(f"cannot load ca_bundle {bundle}: {exc}") from exc
    # As urllib3 2 (the http check) and service_identity (the tls check): a certificate
    # without subjectAltName does not match by its common name.
    context.hostname_checks_common_name = False
    return context


def tls_verification(
    verify: bool | None, ca_bundle: Path | None, target: Target
) -> tuple[bool, Path | None]:
    """Whether to verify the server's certificate, and against which CA bundle (None: the
    system store): the check's ``verify``/``ca_bundle``, else the target's."""
    bundle = ca_bundle
    if bundle is None and verify is None and target.ca_bundle is not None:
        bundle = target.ca_bundle
    enabled = verify if verify is not None else (True if bundle is not None else target.verify)
    return enabled, bundle


def probe_tls(spec: TlsCheck, target: Target, ctx: ProbeContext) -> TlsObservation:
    host, port = tls_address(spec, target)
    name = spec.server_name or host
    deadline = time.monotonic() + spec.effective_timeout(target)
    where = f"{host}:{port}"
    context = client_context(spec.verify, spec.ca_bundle, target, ctx)
    verifying = context.verify_mode != ssl.CERT_NONE
    chain_error: str | None = None
    if verifying:
        context.check_hostname = False
        context.verify_flags |= NO_CHECK_TIME
    try:
        der = _handshake(context, host, port, name, deadline)
    except ssl.SSLCertVerificationError as exc:
        chain_error = exc.verify_message or one_line(exc)
        der = _handshake(_no_verify(), host, port, name, deadline)
    cert = _load(der, where)
    now = dt.datetime.now(dt.timezone.utc)
    not_after = cert.not_valid_after_utc
    not_before = cert.not_valid_before_utc
    names = _names(cert)
    return TlsObservation(
        host=host,
        port=port,
        server_name=name,
        subject=_common_name(cert.subject) or cert.subject.rfc4514_string(),
        issuer=_common_name(cert.issuer) or cert.issuer.rfc4514_string(),
        names=names,
        not_before=not_before,
        not_after=not_after,
        days_left=(not_after - now).total_seconds() / 86400,
        not_yet_valid=now < not_before,
        hostname_matches=hostname_matches(cert, name) if spec.check_hostname else None,
        chain_error=chain_error,
    )


def _no_verify() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _handshake(context: ssl.SSLContext, host: str, port: int, name: str, deadline: float) -> bytes:
    """One TLS handshake within what is left of the timeout: the leaf certificate (DER)."""
    where = f"{host}:{port}"
    try:
        remaining = _remaining(deadline, where)
        with socket.create_connection((host, port), timeout=remaining) as sock:
            sock.settimeout(_remaining(deadline, where))
            with context.wrap_socket(sock, server_hostname=name) as tls:
                der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError:
        raise
    except ProbeError:
        raise
    except ssl.SSLError as exc:
        raise ProbeTLSError(f"TLS handshake with {where} failed: {ssl_reason(exc)}") from exc
    except ConnectionResetError as exc:
        raise ProbeTLSError(f"TLS handshake with {where} failed: connection reset") from exc
    except Exception as exc:
        raise classify(exc, where) from exc
    if not der:
        raise ProbeTLSError(f"{where} presented no certificate")
    return der


def _remaining(deadline: float, where: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ProbeTimeout(f"timed out ({where})")
    return left


def _load(der: bytes, where: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise ProbeTLSError(f"{where} presented a certificate that cannot be parsed") from exc


def _names(cert: x509.Certificate) -> tuple[str, ...]:
    """Subject alternative names (DNS and IP), the names a client matches."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    dns = [str(n) for n in san.get_values_for_type(x509.DNSName)]
    ips = [str(n) for n in san.get_values_for_type(x509.IPAddress)]
    return tuple(dns + ips)


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def hostname_matches(cert: x509.Certificate, hostname: str) -> bool:
    """Whether the certificate is for ``hostname`` (a DNS name or an IP address), by
    RFC 6125 as service_identity implements it: subjectAltName entries only, a ``*.``
    wildcard covers exactly one leftmost label, addresses compare as addresses."""
    try:
        address = ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        address = None
    try:
        if address is None:
            verify_certificate_hostname(cert, hostname.rstrip("."))
        else:
            verify_certificate_ip_address(cert, str(address))
    except (VerificationError, CertificateError):
        return False
    return True
