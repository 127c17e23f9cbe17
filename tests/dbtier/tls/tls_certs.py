"""A certificate authority of the test's own and server certificates it signs (`cryptography`)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dbtier.testing.servers import ThrowawayServer

_DAY = dt.timedelta(days=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class Authority:
    """A self-signed CA: its key and certificate."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, common_name: str) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + 30 * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def write(self, path: Path) -> Path:
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path

    def issue(self, common_name: str, *, ips: list[str], dns: list[str]) -> tuple[bytes, bytes]:
        """A server certificate (PEM) and its key (PEM) for these names only."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + 30 * _DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


@dataclass(frozen=True)
class ServerTls:
    """Files a server reads (owned by its system user) and the CA files clients get."""

    cert: Path
    key: Path
    ca: Path
    wrong_ca: Path


def server_files(directory: Path, owner: str) -> ServerTls:
    """A CA, a certificate for IP 127.0.0.1 only (so `localhost` is a mismatch), a second CA."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = Authority.create("dbtier test CA")
    cert, key = authority.issue("dbtier test server", ips=["127.0.0.1"], dns=[])
    files = ServerTls(
        cert=directory / "server.crt",
        key=directory / "server.key",
        ca=authority.write(directory / "ca.pem"),
        wrong_ca=Authority.create("some other CA").write(directory / "other-ca.pem"),
    )
    files.cert.write_bytes(cert + authority.cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(key)
    files.key.chmod(0o600)
    for path in (directory, files.cert, files.key, files.ca):
        shutil.chown(path, owner, owner)
    return files


@dataclass
class TlsServer:
    """A running server that offers TLS with a certificate for 127.0.0.1 only."""

    backend: str
    server: ThrowawayServer
    files: ServerTls
