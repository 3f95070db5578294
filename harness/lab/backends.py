"""Backends the suites route to: the Gateway API conformance echo server
under the guide's Service names, and TLS secrets from the run's CA."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from harness.checks.kube import Kube
from harness.checks.manifests import load_manifest
from harness.lab.addons.gateway_api import COREDNS_IMAGE, ECHO_IMAGE


@dataclass(frozen=True)
class Backend:
    name: str
    namespace: str
    pods: tuple[str, ...]


def deploy_echo(
    kube: Kube, ns: str, *names: str, replicas: int = 1, port: int = 3000, service_type: str = "ClusterIP"
) -> dict[str, Backend]:
    """Deployment + Service (port 80) per name; waits until each Service has
    ready endpoints."""
    for name in names:
        kube.apply(
            load_manifest(
                "backends/echo.yaml",
                name=name,
                replicas=replicas,
                port=port,
                image=ECHO_IMAGE,
                service_type=service_type,
            ),
            namespace=ns,
        )
    return {name: Backend(name, ns, tuple(kube.wait_endpoints(ns, name, count=replicas))) for name in names}


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


def deploy_udp_echo(kube: Kube, ns: str, name: str, *, replicas: int = 1, service_type: str = "ClusterIP") -> Backend:
    """CoreDNS naming its pod over UDP (query :data:`UDP_WHOAMI`) behind a Service on UDP 53."""
    kube.apply(
        load_manifest(
            "backends/udp-echo.yaml", name=name, replicas=replicas, image=COREDNS_IMAGE, service_type=service_type
        ),
        namespace=ns,
    )
    return Backend(name, ns, tuple(kube.wait_endpoints(ns, name, count=replicas)))


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


def tls_secret(kube: Kube, ns: str, name: str, cert: trustme.LeafCert) -> None:
    """A kubernetes.io/tls Secret holding ``cert`` (chain and key)."""
    chain = b"".join(b.bytes() for b in cert.cert_chain_pems)
    crt = base64.b64encode(chain).decode()
    key = base64.b64encode(cert.private_key_pem.bytes()).decode()
    kube.apply(load_manifest("backends/tls-secret.yaml", name=name, crt=crt, key=key), namespace=ns)
