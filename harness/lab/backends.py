"""Backends the suites route to: the Gateway API conformance echo server
under the guide's Service names, and TLS secrets from the run's CA."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from harness.checks.expect import applied
from harness.checks.kube import Kube
from harness.checks.manifests import load_manifest
from harness.checks.rows import Sink
from harness.lab.addons.gateway_api import COREDNS_IMAGE, ECHO_IMAGE


@dataclass(frozen=True)
class Backend:
    name: str
    namespace: str
    pods: tuple[str, ...]


def _apply(kube: Kube, docs: list[dict], ns: str, under_test: Sink | None) -> None:
    """The pods are the harness's own; the Service is an object under test
    when ``under_test`` (the test's recorder) is given (a LoadBalancer Service
    a claim is about), applied and judged as such."""
    if under_test is None:
        kube.apply(docs, namespace=ns)
        return
    kube.apply([d for d in docs if d["kind"] != "Service"], namespace=ns)
    applied(kube, [d for d in docs if d["kind"] == "Service"], under_test, namespace=ns)


def deploy_echo(
    kube: Kube,
    ns: str,
    *names: str,
    replicas: int = 1,
    port: int = 3000,
    service_type: str = "ClusterIP",
    service_port: int = 80,
    under_test: Sink | None = None,
) -> dict[str, Backend]:
    """Deployment + Service (port ``service_port``, named ``http``) per name;
    waits until each Service has ready endpoints."""
    for name in names:
        docs = load_manifest(
            "backends/echo.yaml",
            name=name,
            replicas=replicas,
            port=port,
            image=ECHO_IMAGE,
            service_type=service_type,
            service_port=service_port,
        )
        _apply(kube, docs, ns, under_test)
    return {name: Backend(name, ns, _pods(kube, ns, name, under_test, replicas)) for name in names}


def deploy_tcp_echo_pods(kube: Kube, ns: str, name: str, *, port: int, replicas: int = 1) -> None:
    """Only the pods, echo server in TCP mode (for a Service the guide defines
    itself, like tcp-app)."""
    kube.apply(
        load_manifest("backends/echo-tcp.yaml", name=name, replicas=replicas, port=port, image=ECHO_IMAGE), namespace=ns
    )
    kube.wait_deployments(ns, [name])


def deploy_grpc_echo(kube: Kube, ns: str, *names: str) -> dict[str, Backend]:
    """The echo server in gRPC mode behind an h2c Service (port 80) per name."""
    for name in names:
        kube.apply(load_manifest("backends/echo-grpc.yaml", name=name, image=ECHO_IMAGE), namespace=ns)
    return {name: Backend(name, ns, tuple(kube.wait_endpoints(ns, name))) for name in names}


def deploy_udp_echo(
    kube: Kube,
    ns: str,
    name: str,
    *,
    replicas: int = 1,
    service_type: str = "ClusterIP",
    under_test: Sink | None = None,
) -> Backend:
    """CoreDNS naming its pod over UDP (query :data:`UDP_WHOAMI`) behind a Service on UDP 53."""
    docs = load_manifest(
        "backends/udp-echo.yaml", name=name, replicas=replicas, image=COREDNS_IMAGE, service_type=service_type
    )
    _apply(kube, docs, ns, under_test)
    return Backend(name, ns, _pods(kube, ns, name, under_test, replicas))


def _pods(kube: Kube, ns: str, name: str, under_test: Sink | None, replicas: int) -> tuple[str, ...]:
    """The backend's pods once ready: by the Service's endpoints, or, when the
    Service is under test (a mutant may break its selector), by the pods' own
    label, so a broken Service is the claim's failure, not the harness's."""
    if under_test is None:
        return tuple(kube.wait_endpoints(ns, name, count=replicas))
    return tuple(kube.wait_pods_ready(ns, f"app={name}", count=replicas))


def dns_txt_query(name: str, ident: int = 0x4858) -> bytes:
    """A DNS query for the TXT record ``name`` (RFC 1035 wire format)."""
    header = ident.to_bytes(2, "big") + b"\x01\x00" + b"\x00\x01" + b"\x00\x00" * 3  # RD, one question
    labels = b"".join(len(p).to_bytes(1, "big") + p.encode() for p in name.strip(".").split("."))
    return header + labels + b"\x00" + b"\x00\x10" + b"\x00\x01"  # QTYPE TXT, QCLASS IN


UDP_WHOAMI = dns_txt_query("whoami.harness")


def deploy_tls_app(kube: Kube, ns: str, name: str, secret: str) -> None:
    """An app terminating TLS itself behind a type LoadBalancer Service on 443."""
    kube.apply(load_manifest("backends/echo-tls.yaml", name=name, secret=secret, image=ECHO_IMAGE), namespace=ns)
    kube.wait_deployments(ns, [name])


def cert_sha256(cert: trustme.LeafCert) -> str:
    """SHA-256 fingerprint of the leaf of ``cert`` (what a probe captures)."""
    return x509.load_pem_x509_certificate(cert.cert_chain_pems[0].bytes()).fingerprint(hashes.SHA256()).hex()


def secret_cert_sha256(kube: Kube, ns: str, name: str) -> str:
    """SHA-256 fingerprint of the leaf certificate in a kubernetes.io/tls Secret."""
    secret = kube.core.read_namespaced_secret(name, ns)
    pem = base64.b64decode(secret.data["tls.crt"])
    return x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA256()).hex()


def tls_secret(kube: Kube, ns: str, name: str, cert: trustme.LeafCert | tuple[bytes, bytes]) -> None:
    """A kubernetes.io/tls Secret holding ``cert`` (chain and key): a
    trustme leaf, or (chain PEM, key PEM) from :func:`rsa_cert`."""
    if isinstance(cert, tuple):
        chain, key_pem = cert
    else:
        chain, key_pem = b"".join(b.bytes() for b in cert.cert_chain_pems), cert.private_key_pem.bytes()
    crt = base64.b64encode(chain).decode()
    key = base64.b64encode(key_pem).decode()
    kube.apply(load_manifest("backends/tls-secret.yaml", name=name, crt=crt, key=key), namespace=ns)


def rsa_cert(ca: trustme.CA, host: str, bits: int) -> tuple[bytes, bytes]:
    """A leaf certificate for ``host`` with an RSA key of ``bits`` bits, signed
    by the run's CA (trustme issues 2048-bit keys only): (chain PEM, key PEM)."""
    import datetime

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(65537, bits)
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca.cert_pem.bytes()
    return chain, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
