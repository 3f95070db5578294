"""Expectation rows as data: a :class:`Request`, the :class:`Response` it
must get, and the test's :class:`Scene` that maps the names a row uses (the
guide's hostnames, Services, Secrets) to this test's; how a row is described
to a reader. Probing a row and judging what came back are
:mod:`harness.checks.expect` and :mod:`harness.checks.compare`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from harness.checks.timeouts import Timeouts

PROTOCOLS = ("http", "https", "grpc", "tcp", "udp")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80}
DEFAULT_CERTIFICATE = "default"  # Response.certificate: the controller's own default certificate
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Request:
    """What to send. ``host`` is the Host header (and the SNI unless ``sni``
    is given); ``address``/``port`` default to the scene's address and the
    protocol's port (80, 443); TCP and UDP need a ``port``. ``payload`` is
    what TCP/UDP send; ``until`` ends a TCP read early when seen.
    ``follow_redirects``: an HTTP(S) answer 301/302/303/307/308 is followed
    (at most :data:`MAX_REDIRECTS` times) to its ``Location``, at the same
    address (the Location's port, else its scheme's), with the Location's
    host as Host and SNI, like a client that resolves every name to the
    controller; the row is compared with the last answer. ``tls_verify=False``
    skips verifying the HTTPS certificate (a client like upstream
    conformance suites' that does not verify; a certificate the row names is
    still compared by fingerprint)."""

    protocol: str = "http"
    host: str | None = None
    path: str = "/"
    sni: str | None = None
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    port: int | None = None
    address: str | None = None
    payload: bytes = b"TEST\n"
    until: bytes | None = b"}\n"
    follow_redirects: bool = False
    tls_verify: bool = True

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {self.protocol!r}; choose from: {', '.join(PROTOCOLS)}")
        if self.protocol in ("tcp", "udp") and self.port is None:
            raise ValueError(f"a {self.protocol.upper()} request needs a port")


@dataclass(frozen=True)
class Response:
    """What must come back. Every field left ``None`` is not checked.

    - ``status``: the HTTP status (or one of several);
    - ``backend``: a Service of the scene, one of whose pods must answer;
      ``pods``: the same with an explicit pod set;
    - ``seen_path``, ``seen_headers``: what the backend saw (a header matches when the
      backend saw that value among the header's values; ``*`` when it saw the header at all);
      ``seen_host``, ``seen_method``, ``seen_proto``: the Host (mapped like requests),
      method and protocol the backend saw;
    - ``headers``: response headers the client must get (``*``: any value);
      ``proto``: the response's protocol as the client read it (``HTTP/1.1``);
    - ``certificate``: the served certificate, by SHA-256 fingerprint, by the
      name of a Secret the scene knows, or :data:`DEFAULT_CERTIFICATE` (the
      controller's default, checked by common name without trusting it);
    - ``redirect``: the ``Location`` header (hostnames mapped like requests);
    - ``backend_tls``: ``False``, the backend saw plain HTTP (TLS ended in
      front of it); ``True``, the backend terminated TLS itself for the SNI;
    - ``reply``: bytes a TCP/UDP reply must contain;
    - ``reached``: ``False`` turns the row around: the backend must *not*
      answer; any other outcome, a refused connection included, meets it.
    """

    status: int | tuple[int, ...] | None = 200
    backend: str | None = None
    pods: frozenset[str] | None = None
    seen_path: str | None = None
    seen_headers: Mapping[str, str] = field(default_factory=dict)
    certificate: str | None = None
    redirect: str | None = None
    backend_tls: bool | None = None
    reply: bytes | None = None
    reached: bool = True
    headers: Mapping[str, str] = field(default_factory=dict)
    proto: str | None = None
    seen_host: str | None = None
    seen_method: str | None = None
    seen_proto: str | None = None


@dataclass(frozen=True)
class Expectation:
    request: Request
    response: Response = field(default_factory=Response)
    label: str = ""  # the evidence label; derived from the request when empty

    def __post_init__(self) -> None:
        rq, rs = self.request, self.response
        if rs.certificate is not None and rq.protocol != "https":
            raise ValueError("a certificate can only be expected of an HTTPS request")
        if rs.certificate == DEFAULT_CERTIFICATE and (rs.backend or rs.pods or rs.seen_path or rs.seen_headers):
            raise ValueError("the default certificate is checked on the handshake alone: expect no backend with it")
        if rs.backend is not None and rs.pods is not None:
            raise ValueError("expect a backend Service or a pod set, not both")


def http(host: str | None, path: str = "/", *, label: str = "", **response: Any) -> Expectation:
    """Shorthand for a plain-HTTP row: ``http("shop.example.com", "/api", backend="api-svc")``."""
    return Expectation(Request("http", host, path), Response(**response), label=label)


def https(host: str | None, path: str = "/", *, label: str = "", **response: Any) -> Expectation:
    """Shorthand for an HTTPS row (SNI = host)."""
    return Expectation(Request("https", host, path), Response(**response), label=label)


GRPC_OK = 0
GRPC_UNIMPLEMENTED = 12


def grpc(
    host: str | None,
    method: str,
    *,
    port: int | None = None,
    headers: Mapping[str, str] | None = None,
    **response: Any,
) -> Expectation:
    """Shorthand for a gRPC row: ``grpc("grpc.example.com", "/pkg.Svc/Echo", backend="echo-one")``;
    ``headers`` go as the call's metadata; the status is gRPC's (OK unless given)."""
    response.setdefault("status", GRPC_OK)
    return Expectation(Request("grpc", host, method, port=port, headers=dict(headers or {})), Response(**response))


@dataclass(frozen=True)
class Scene:
    """What the rows of one test resolve against: where to send (``address``),
    the test's hostnames for the guide's (``hosts``), the pods of each Service
    (``backends``), certificate fingerprints by Secret name (``certificates``),
    the run's CA, and the controller's default-certificate common name."""

    address: str
    timeouts: Timeouts
    backends: Mapping[str, Iterable[str]] = field(default_factory=dict)
    hosts: Mapping[str, str] = field(default_factory=dict)
    certificates: Mapping[str, str] = field(default_factory=dict)
    ca_pem: bytes | str | None = None
    default_certificate_cn: str | None = None
    subject: str = ""  # prefixes the transcript's "what" (e.g. the controller's name)
    # the test's namespaces (a namespace made for a role, "<ns>-<role>", counts as the
    # test's): an echo pod of any other namespace answering is another test's object
    # catching the request, never this test's routing; () when unknown (no such check)
    namespaces: tuple[str, ...] = ()

    def at(self, address: str) -> Scene:
        return replace(self, address=address)

    def foreign(self, reply: Mapping[str, Any] | None) -> str | None:
        """The namespace of an echo ``reply`` that is not one of this test's, else None."""
        if not self.namespaces or not isinstance(reply, Mapping):
            return None
        where = reply.get("namespace")
        if not isinstance(where, str) or not where:
            return None
        if any(where == ns or where.startswith(f"{ns}-") for ns in self.namespaces):
            return None
        return where

    def host(self, name: str | None) -> str | None:
        return self.hosts.get(name, name) if name else name

    def pods(self, rs: Response) -> set[str] | None:
        if rs.pods is not None:
            return set(rs.pods)
        if rs.backend is None:
            return None
        if rs.backend not in self.backends:
            raise KeyError(f"backend {rs.backend!r} is not in this scene (known: {', '.join(self.backends) or 'none'})")
        return set(self.backends[rs.backend])

    def fingerprint(self, certificate: str) -> str:
        if certificate in self.certificates:
            return self.certificates[certificate]
        if _SHA256.match(certificate):
            return certificate
        raise KeyError(f"certificate {certificate!r} is neither a SHA-256 fingerprint nor a Secret of this scene")

    def redirect(self, location: str) -> str:
        parts = urlsplit(location)
        if not parts.hostname or parts.hostname not in self.hosts:
            return location
        netloc = self.hosts[parts.hostname] + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))


class Sink(Protocol):
    """Where checks are judged and evidence goes: the test's
    :class:`~harness.results.recorder.Recorder` (the ``evidence`` fixture)."""

    def add(self, label: str, data: Any) -> None: ...

    def check(
        self, label: str, *, claims: tuple[str, ...] | None = None, soft: bool = False
    ) -> AbstractContextManager[None]: ...

    def mutated(self, diff: str) -> None: ...


# --------------------------------------------------------------------------
# describing a row
# --------------------------------------------------------------------------


def target(exp: Expectation, scene: Scene) -> tuple[str, int]:
    rq = exp.request
    port = rq.port if rq.port is not None else DEFAULT_PORTS[rq.protocol]
    return rq.address or scene.address, port


def label(exp: Expectation, scene: Scene) -> str:
    """The short evidence label: ``/api -> api-svc``, ``SNI shop... -> cert``..."""
    if exp.label:
        return exp.label
    rq, rs = exp.request, exp.response
    if rq.protocol in ("tcp", "udp"):
        where = f"{rq.protocol.upper()} :{target(exp, scene)[1]}"
    else:
        where = rq.path if rq.host is None else f"{scene.host(rq.host)}{rq.path}"
    if rs.certificate == DEFAULT_CERTIFICATE:
        return f"SNI {scene.host(rq.sni or rq.host)} -> default certificate"
    if not rs.reached:
        return f"{where} not answered by {rs.backend or 'the pods'}"
    if rs.redirect:
        return f"{where} -> redirect"
    return f"{where} -> {rs.backend or rs.status}"


def describe(exp: Expectation, scene: Scene) -> str:
    """One line for the transcript's "what": request, target and expectation."""
    rq, rs = exp.request, exp.response
    address, port = target(exp, scene)
    host = scene.host(rq.host)
    if rq.protocol in ("tcp", "udp"):
        req = f"{rq.protocol.upper()} {address}:{port}"
    elif rq.protocol == "grpc":
        req = f"gRPC {rq.path} :authority={host or address} at {address}:{port}"
    else:
        req = f"{rq.method} {rq.protocol}://{host or address}{rq.path} at {address}:{port}"
        if rq.sni and rq.sni != rq.host:
            req += f" SNI={scene.host(rq.sni)}"
    wants = []
    if rs.certificate == DEFAULT_CERTIFICATE:
        wants.append(
            f"the default certificate ({scene.default_certificate_cn})"
            if scene.default_certificate_cn
            else "a refused handshake (no default certificate)"
        )
    elif rs.certificate:
        wants.append(f"certificate {rs.certificate}")
    if rs.redirect:
        wants.append(f"redirect to {scene.redirect(rs.redirect)}")
    if rs.backend or rs.pods:
        who = rs.backend or "the given pods"
        wants.append(f"{'not ' if not rs.reached else ''}answered by {who}")
    if rs.seen_path is not None:
        wants.append(f"backend sees path {rs.seen_path}")
    if rs.seen_host is not None:
        wants.append(f"backend sees host {scene.host(rs.seen_host)}")
    if rq.follow_redirects:
        req += " (following redirects)"
    if rs.backend_tls is False:
        wants.append("backend sees plain HTTP")
    elif rs.backend_tls:
        wants.append("backend terminates TLS")
    if not wants and rs.status is not None and rs.reached:
        wants.append(f"status {rs.status}")
    text = f"{req} -> {', '.join(wants) or 'an answer'}"
    return f"{scene.subject}: {text}" if scene.subject else text
