"""Probes: real HTTP, HTTPS, TCP, UDP and gRPC traffic to one address (the
consistency rule that turns single probes into a judgement is
:mod:`harness.checks.consistency`).

Every probe connects to an explicit address and port and may send any Host
header and any SNI name, so no /etc/hosts edit is ever needed. HTTPS is
verified against the run's own CA; the one place that accepts an untrusted
certificate, :func:`presented_certificate`, exists to assert exactly which
certificate a server presents (a controller's fake certificate, say) and
never answers "is this trusted".

Network failures are classified (refused, timeout, reset, tls, protocol) so a
report can say *how* something failed, not only that it did.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from harness.results.errors import Observed
from harness.results.model import FailureKind, Seen

# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------


class ProbeError(Observed):
    """A probe that could not complete, classified by how it failed
    (``kind``: refused, timeout, reset, tls, tls-verify, protocol, ...)."""

    failure = FailureKind.PROBE

    def __init__(self, kind: str, target: str, detail: str):
        self.kind = kind
        self.target = target
        self.detail = detail
        super().__init__(f"probe {target}", "an answer", Seen(f"{kind}: {target}: {detail}", error=kind))

    def __str__(self) -> str:
        return f"{self.kind}: {self.target}: {self.detail}"


@dataclass(frozen=True)
class Certificate:
    subject: str
    issuer: str
    sans: tuple[str, ...]
    serial: str
    sha256: str
    not_after: str

    @classmethod
    def from_der(cls, der: bytes) -> Certificate:
        cert = x509.load_der_x509_certificate(der)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            sans = tuple(
                [f"DNS:{n}" for n in san.get_values_for_type(x509.DNSName)]
                + [f"IP:{n}" for n in san.get_values_for_type(x509.IPAddress)]
            )
        except x509.ExtensionNotFound:
            sans = ()
        return cls(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            sans=sans,
            serial=format(cert.serial_number, "x"),
            sha256=cert.fingerprint(hashes.SHA256()).hex(),
            not_after=cert.not_valid_after_utc.isoformat(),
        )

    @property
    def common_name(self) -> str:
        for part in self.subject.split(","):
            if part.startswith("CN="):
                return part[3:]
        return ""

    def names(self) -> set[str]:
        return {s.split(":", 1)[1] for s in self.sans if s.startswith("DNS:")}


@dataclass
class HttpResult:
    target: str
    url: str
    host: str
    sni: str | None
    status: int
    headers: dict[str, str]
    body: str
    echo: dict[str, Any] | None
    tls_version: str | None = None
    certificate: Certificate | None = None
    elapsed_ms: float = 0.0
    method: str = "GET"

    def summary(self) -> dict[str, Any]:
        """The parts worth keeping as evidence (bodies truncated)."""
        out: dict[str, Any] = {
            "request": f"{self.method} {self.url} Host={self.host}" + (f" SNI={self.sni}" if self.sni else ""),
            "target": self.target,
            "status": self.status,
        }
        if self.echo is not None:
            out["echo"] = {k: self.echo.get(k) for k in ("pod", "namespace", "path", "host", "tls") if k in self.echo}
        else:
            out["body"] = self.body[:200]
        if self.tls_version:
            out["tls_version"] = self.tls_version
        if self.certificate:
            out["certificate"] = {
                "subject": self.certificate.subject,
                "issuer": self.certificate.issuer,
                "sans": list(self.certificate.sans),
            }
        return out


@dataclass
class StreamResult:
    protocol: str
    target: str
    sent: bytes
    received: bytes
    elapsed_ms: float

    def summary(self) -> dict[str, Any]:
        return {
            "request": f"{self.protocol.upper()} {self.target}",
            "sent": self.sent.decode("utf-8", "replace")[:200],
            "received": self.received.decode("utf-8", "replace")[:200],
        }


# --------------------------------------------------------------------------
# TLS context for the run's own CA
# --------------------------------------------------------------------------


def client_context(ca_pem: bytes | str | None) -> ssl.SSLContext:
    """A verifying client context trusting only ``ca_pem`` (the run's CA)."""
    ctx = ssl.create_default_context()
    if ca_pem is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=ca_pem.decode() if isinstance(ca_pem, bytes) else ca_pem)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _classify(exc: BaseException, target: str) -> ProbeError:
    text = f"{type(exc).__name__}: {exc}"
    chain = [exc]
    while chain[-1].__cause__ is not None or chain[-1].__context__ is not None:
        nxt = chain[-1].__cause__ or chain[-1].__context__
        if nxt is None or nxt in chain:
            break
        chain.append(nxt)
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return ProbeError("tls-verify", target, f"{e.verify_message} ({e.reason})")
        if isinstance(e, ssl.SSLError):
            return ProbeError("tls", target, str(e))
        if isinstance(e, ConnectionRefusedError):
            return ProbeError("refused", target, "connection refused")
        if isinstance(e, ConnectionResetError):
            return ProbeError("reset", target, "connection reset by peer")
        if isinstance(e, (socket.timeout, TimeoutError)):
            return ProbeError("timeout", target, "timed out")
        if isinstance(e, OSError) and e.errno is not None:
            return ProbeError("network", target, f"{e.strerror or e}")
    if isinstance(exc, httpx.ConnectTimeout | httpx.ReadTimeout | httpx.PoolTimeout | httpx.WriteTimeout):
        return ProbeError("timeout", target, text)
    if isinstance(exc, httpx.ConnectError):
        low = str(exc).lower()
        if "refused" in low:
            return ProbeError("refused", target, text)
        if "certificate" in low:
            return ProbeError("tls-verify", target, text)
        if "ssl" in low or "tls" in low:
            return ProbeError("tls", target, text)
        return ProbeError("connect", target, text)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return ProbeError("protocol", target, text)
    return ProbeError("error", target, text)


def _fmt_target(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


# --------------------------------------------------------------------------
# HTTP and HTTPS
# --------------------------------------------------------------------------


def http_get(
    address: str,
    port: int,
    path: str = "/",
    *,
    host: str | None = None,
    https: bool = False,
    sni: str | None = None,
    ca_pem: bytes | str | None = None,
    timeout: float = 5.0,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> HttpResult:
    """``method`` (GET) ``path`` from ``address:port`` with the given Host header and SNI.

    For HTTPS the server certificate must chain to ``ca_pem`` and name the SNI
    host (or ``host`` when no SNI is given); anything else raises a
    ``ProbeError`` of kind ``tls-verify``.
    """
    target = _fmt_target(address, port)
    scheme = "https" if https else "http"
    host_header = host or address
    url = f"{scheme}://{target}{path}"
    extensions: dict[str, Any] = {}
    if https:
        extensions["sni_hostname"] = sni or host_header
    req_headers = {"Host": host_header, "User-Agent": "exposure-harness/1", **(headers or {})}
    verify: ssl.SSLContext | bool = client_context(ca_pem) if https else False
    started = time.monotonic()
    try:
        with httpx.Client(verify=verify, timeout=timeout, trust_env=False, follow_redirects=False) as client:
            request = client.build_request(method, url, headers=req_headers, extensions=extensions)
            response = client.send(request, stream=True)
            try:
                tls_version = None
                cert = None
                stream = response.extensions.get("network_stream")
                ssl_obj = stream.get_extra_info("ssl_object") if stream is not None else None
                if ssl_obj is not None:
                    tls_version = ssl_obj.version()
                    der = ssl_obj.getpeercert(True)
                    cert = Certificate.from_der(der) if der else None
                response.read()
            finally:
                response.close()
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        raise _classify(exc, target) from exc
    body = response.text
    echo = None
    if "json" in response.headers.get("content-type", "") or body.startswith("{"):
        try:
            parsed = json.loads(body)
            echo = parsed if isinstance(parsed, dict) else None
        except ValueError:
            echo = None
    return HttpResult(
        target=target,
        url=url,
        host=host_header,
        sni=extensions.get("sni_hostname"),
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=body,
        echo=echo,
        tls_version=tls_version,
        certificate=cert,
        elapsed_ms=(time.monotonic() - started) * 1000,
        method=method,
    )


def presented_certificate(address: str, port: int, sni: str | None, timeout: float = 5.0) -> Certificate:
    """The leaf certificate a TLS server presents for ``sni``, trusted or not.

    This answers "which certificate is served", never "is it trusted": callers
    assert the exact certificate they expect (a controller's self-signed
    default, an application's own certificate behind an L4 load balancer).
    """
    target = _fmt_target(address, port)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # capture only; see docstring
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=sni) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise _classify(exc, target) from exc
    if not der:
        raise ProbeError("tls", target, "server presented no certificate")
    return Certificate.from_der(der)


# --------------------------------------------------------------------------
# TCP and UDP
# --------------------------------------------------------------------------


def tcp_exchange(
    address: str,
    port: int,
    payload: bytes,
    *,
    expect: bytes | None = None,
    timeout: float = 5.0,
    max_bytes: int = 65536,
) -> StreamResult:
    """Connect, send ``payload``, read until ``expect`` is seen, EOF or ``max_bytes``."""
    target = _fmt_target(address, port)
    started = time.monotonic()
    received = b""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.sendall(payload)
            if expect is None:
                sock.shutdown(socket.SHUT_WR)
            while len(received) < max_bytes:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
                if expect is not None and expect in received:
                    break
    except (OSError, ssl.SSLError) as exc:
        if received and isinstance(exc, socket.timeout):
            pass  # keep what arrived; the caller judges it
        else:
            raise _classify(exc, target) from exc
    return StreamResult("tcp", target, payload, received, (time.monotonic() - started) * 1000)


def tcp_connects(address: str, port: int, timeout: float = 3.0) -> bool:
    """True when a TCP handshake to ``address:port`` completes."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def udp_exchange(address: str, port: int, payload: bytes, *, timeout: float = 3.0) -> StreamResult:
    """Send one datagram and wait for one reply."""
    target = _fmt_target(address, port)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    started = time.monotonic()
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
            sock.send(payload)
            data = sock.recv(65536)
        except OSError as exc:
            raise _classify(exc, target) from exc
    return StreamResult("udp", target, payload, data, (time.monotonic() - started) * 1000)


# --------------------------------------------------------------------------
# gRPC
# --------------------------------------------------------------------------


@dataclass
class GrpcResult:
    target: str
    authority: str
    method: str  # /package.Service/Method as called
    code: int  # the gRPC status code (0 = OK)
    code_name: str
    details: str
    reply: dict[str, Any] | None  # the reply message as JSON-ready data
    elapsed_ms: float = 0.0

    @property
    def echo(self) -> dict[str, Any] | None:
        """The conformance echo server's view (pod, namespace, method it served), like HttpResult.echo."""
        if not self.reply:
            return None
        assertions = self.reply.get("assertions") or {}
        context = assertions.get("context") or {}
        return {
            "pod": context.get("pod"),
            "namespace": context.get("namespace"),
            "path": assertions.get("fullyQualifiedMethod"),
            "authority": assertions.get("authority"),
        }

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "request": f"gRPC {self.method} :authority={self.authority}",
            "target": self.target,
            "status": self.code_name,
        }
        if self.echo:
            out["echo"] = {k: v for k, v in self.echo.items() if v}
        elif self.details:
            out["details"] = self.details[:200]
        return out


def grpc_call(address: str, port: int, method: str, *, authority: str, timeout: float = 5.0) -> GrpcResult:
    """One unary call of ``method`` (``/package.Service/Method``) with an
    empty request, over plaintext HTTP/2 with the given ``:authority``. The
    message types come from the server's reflection service, asked through
    the same address and authority (so the route must carry reflection too):
    no generated code. A non-OK status is a result, not an error; a server
    that cannot be reached or reflected raises ProbeError."""
    import grpc
    from google.protobuf import descriptor_pool, json_format, message_factory
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    target = _fmt_target(address, port)
    service, _, name = method.strip("/").rpartition("/")
    started = time.monotonic()
    options = [("grpc.default_authority", authority), ("grpc.enable_http_proxy", 0)]
    with grpc.insecure_channel(target, options=options) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise ProbeError("timeout", target, "no HTTP/2 connection within the deadline") from None
        try:
            pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
            descriptor = pool.FindServiceByName(service).FindMethodByName(name)
        except grpc.RpcError as exc:
            raise ProbeError("grpc-reflection", target, f"{exc.code().name}: {exc.details()}") from None
        except KeyError:
            descriptor = None  # a method the server does not describe: call it with an empty message all the same
        request = message_factory.GetMessageClass(descriptor.input_type)() if descriptor else None
        decode = message_factory.GetMessageClass(descriptor.output_type).FromString if descriptor else None
        call = channel.unary_unary(
            method, request_serializer=lambda m: m.SerializeToString() if m else b"", response_deserializer=decode
        )
        try:
            reply = call(request, timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code()
            return GrpcResult(
                target,
                authority,
                method,
                code.value[0],
                code.name,
                exc.details() or "",
                None,
                (time.monotonic() - started) * 1000,
            )
    data = json_format.MessageToDict(reply) if descriptor else {"undecoded": len(reply)}
    return GrpcResult(target, authority, method, 0, "OK", "", data, (time.monotonic() - started) * 1000)
