"""Real X.509 certificates for the tests, generated with ``cryptography``.

A test CA signs leaf certificates for ``localhost`` and ``127.0.0.1``; variants are
expiring soon, expired, not yet valid, issued for another name, or self-signed. Files
are written to a directory the caller owns (usually ``tmp_path_factory``), so a client
can load the CA as ``ca_bundle`` and a server can load the leaf with ``load_cert_chain``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pytest_deploygate.demo.certs import CA_KEY_USAGE

LOOPBACK_NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class CertFiles:
    """A certificate and its key on disk (PEM), and the CA that signed it."""

    cert: Path
    key: Path
    ca: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Path:
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


class TestCA:
    """A CA that writes its certificate to ``directory/ca.pem`` and signs leaves."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, directory: Path, name: str = "deploygate test CA") -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .add_extension(
                CA_KEY_USAGE,
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.path = _write(directory / "ca.pem", self.cert, self.key)

    def issue(
        self,
        label: str,
        names: tuple[str, ...] = LOOPBACK_NAMES,
        *,
        valid_from_days: float = -1,
        valid_for_days: float = 365,
        self_signed: bool = False,
        san: bool = True,
    ) -> CertFiles:
        """A leaf valid from ``now + valid_from_days`` until ``now + valid_for_days``.

        ``valid_for_days=5`` expires in five days, ``valid_for_days=-2`` expired two days
        ago; ``self_signed=True`` signs the leaf with its own key instead of the CA's;
        ``san=False`` leaves out the subjectAltName (the first name is the common name).
        """
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        issuer_name = _name(names[0]) if self_signed else self.cert.subject
        signer = key if self_signed else self.key
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + dt.timedelta(days=valid_from_days))
            .not_valid_after(now + dt.timedelta(days=valid_for_days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
        )
        if san:
            builder = builder.add_extension(_san(names), critical=False)
        cert = builder.sign(signer, hashes.SHA256())
        path = _write(self.directory / f"{label}.pem", cert, key)
        return CertFiles(cert=path, key=path.with_suffix(".key"), ca=self.path)

    # The variants the tests (and the demo's cert-expiring fault) need.

    def valid(self) -> CertFiles:
        return self.issue("valid")

    def expiring(self, days: float = 5) -> CertFiles:
        return self.issue(f"expiring-{days:g}", valid_for_days=days)

    def expired(self) -> CertFiles:
        return self.issue("expired", valid_from_days=-30, valid_for_days=-2)

    def not_yet_valid(self) -> CertFiles:
        return self.issue("not-yet-valid", valid_from_days=3, valid_for_days=400)

    def wrong_host(self) -> CertFiles:
        return self.issue("wrong-host", names=("other.example.com",))

    def common_name_only(self) -> CertFiles:
        """For localhost by its common name alone: no client matches that any more."""
        return self.issue("cn-only", names=("localhost",), san=False)

    def self_signed(self) -> CertFiles:
        return self.issue("self-signed", self_signed=True)
