"""Expectations: one request and what must come back, as data.

A suite states its checks as a table of :class:`Expectation` rows (a
:class:`Request` and the :class:`Response` it must get) and hands each row,
with the test's :class:`Scene`, to :func:`verify` (it must hold, N times in a
row: :func:`probes.consistently`) or :func:`throughout` (it must keep
holding for an observation window: :func:`probes.never`). The comparison
happens inside the consistency rule, so the evidence transcript is the one
the probes have always written.

The shape follows the Gateway API conformance suite's ``ExpectedResponse``
and its compare step: status first, then redirect, certificate, which
backend answered and what that backend saw. Rows name things the way the
guide does (``shop.example.com``, the Service ``api-svc``, the Secret
``shop-tls``); the scene maps them to this test's hostnames, pods and
certificate fingerprints, so a table can sit at module level.

A gRPC row's ``path`` is the method (``/package.Service/Method``), its
``host`` the ``:authority``; its ``status`` is the gRPC status code (0, OK,
unless the row says otherwise) and ``seen_path`` the method the backend
says it served.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from harness.checks.consistency import Mismatch, Misrouted, consistently, never
from harness.checks.kube import Kube
from harness.checks.manifests import describe as describe_object
from harness.checks.probes import (
    GrpcResult,
    HttpResult,
    ProbeError,
    StreamResult,
    grpc_call,
    http_get,
    presented_certificate,
    tcp_exchange,
    udp_exchange,
)
from harness.checks.timeouts import Timeouts
from harness.results.errors import HarnessError
from harness.results.model import FailureKind, Seen, Transcript

PROTOCOLS = ("http", "https", "grpc", "tcp", "udp")
DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80}
DEFAULT_CERTIFICATE = "default"  # Response.certificate: the controller's own default certificate
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Request:
    """What to send. ``host`` is the Host header (and the SNI unless ``sni``
    is given); ``address``/``port`` default to the scene's address and the
    protocol's port (80, 443); TCP and UDP need a ``port``. ``payload`` is
    what TCP/UDP send; ``until`` ends a TCP read early when seen."""

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
      backend saw that value among the header's values);
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


def grpc(host: str | None, method: str, *, port: int | None = None, **response: Any) -> Expectation:
    """Shorthand for a gRPC row: ``grpc("grpc.example.com", "/pkg.Svc/Echo", backend="echo-one")``;
    the status is gRPC's (OK unless given)."""
    response.setdefault("status", GRPC_OK)
    return Expectation(Request("grpc", host, method, port=port), Response(**response))


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

    def at(self, address: str) -> Scene:
        return replace(self, address=address)

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
    if rs.backend_tls is False:
        wants.append("backend sees plain HTTP")
    elif rs.backend_tls:
        wants.append("backend terminates TLS")
    if not wants and rs.status is not None and rs.reached:
        wants.append(f"status {rs.status}")
    text = f"{req} -> {', '.join(wants) or 'an answer'}"
    return f"{scene.subject}: {text}" if scene.subject else text


# --------------------------------------------------------------------------
# probing and comparing
# --------------------------------------------------------------------------


def probe(exp: Expectation, scene: Scene) -> Callable[[], Any]:
    """The check for the consistency rule: one request, compared with the
    row; raises AssertionError (or ProbeError) when it does not match, and
    returns what was seen otherwise."""
    rq, rs = exp.request, exp.response
    scene.pods(rs)  # names the table uses must be known to the scene: a harness error, before any traffic
    if rs.certificate not in (None, DEFAULT_CERTIFICATE):
        scene.fingerprint(rs.certificate)
    address, port = target(exp, scene)
    timeout = scene.timeouts.request

    def send() -> Any:
        if rq.protocol == "tcp":
            return tcp_exchange(address, port, rq.payload, expect=rq.until, timeout=timeout)
        if rq.protocol == "udp":
            return udp_exchange(address, port, rq.payload, timeout=timeout)
        if rq.protocol == "grpc":
            return grpc_call(address, port, rq.path, authority=scene.host(rq.host) or address, timeout=timeout)
        if rs.certificate == DEFAULT_CERTIFICATE:
            sni = scene.host(rq.sni or rq.host)
            try:
                cert = presented_certificate(address, port, sni, timeout=timeout)
            except ProbeError as exc:
                if exc.kind != "tls":
                    raise
                # a controller with no default certificate refuses the handshake (F5's NIC)
                return {"sni": sni, "handshake": f"refused: {exc.detail}"}
            return {"sni": sni, "subject": cert.subject, "common_name": cert.common_name}
        return http_get(
            address,
            port,
            rq.path,
            host=scene.host(rq.host),
            https=rq.protocol == "https",
            sni=scene.host(rq.sni),
            ca_pem=scene.ca_pem,
            timeout=timeout,
            headers=dict(rq.headers),
            method=rq.method,
        )

    def check() -> Any:
        if not rs.reached:
            try:
                seen = send()
            except ProbeError as exc:
                return f"{exc.kind}: {exc.detail}"
            _unreached(exp, scene, seen)
            return seen
        seen = send()
        compare(exp, scene, seen)
        return seen

    return check


def compare(exp: Expectation, scene: Scene, seen: Any) -> None:
    """Raise :class:`Mismatch` naming the first difference between the row
    and what ``seen`` (an HttpResult, GrpcResult, StreamResult or handshake)
    shows, with what was seen as fields; :class:`Misrouted` when another
    backend than the expected one answered."""
    if isinstance(seen, HttpResult):
        _compare_http(exp, scene, seen)
    elif isinstance(seen, GrpcResult):
        _compare_grpc(exp, scene, seen)
    elif isinstance(seen, StreamResult):
        _compare_stream(exp, scene, seen)
    else:
        _compare_handshake(scene, seen)


def _compare_handshake(scene: Scene, seen: dict[str, Any]) -> None:
    want = scene.default_certificate_cn

    def differ(text: str, error: str | None = None) -> Mismatch:
        return Mismatch(text, Seen(text, error=error))

    if want is None:  # the controller has no default certificate: the handshake must be refused
        if "handshake" not in seen:
            raise differ(
                f"SNI {seen['sni']} was served {seen['subject']}; {scene.subject or 'the controller'} has no default "
                "certificate and should refuse the handshake"
            )
        return
    if "handshake" in seen:
        raise differ(f"SNI {seen['sni']}: handshake {seen['handshake']}, not the default ({want})", "tls")
    if seen["common_name"] != want:
        raise differ(f"SNI {seen['sni']} was served {seen['subject']}, not the default ({want})")


def _not_of(pod: Any, pods: set[str], rs: Response) -> bool:
    """Whether ``pod`` answering means another backend answered (a misroute).
    A pod of the expected Service's own Deployment missing from the scene
    (the harness read the pods before all replicas were ready) is the
    harness's mistake, said as such, never a misroute."""
    if pod in pods:
        return False
    if rs.backend and isinstance(pod, str) and _SAME_DEPLOYMENT.match(pod.removeprefix(rs.backend)):
        raise HarnessError(
            f"{pod} answered for {rs.backend}: a pod of its own Deployment that the scene does not list "
            f"({sorted(pods)}): the harness read the pods before all of them were ready"
        )
    return True


# what a Deployment's pod names add to its name: -<ReplicaSet hash>-<suffix>, from an alphabet without vowels
_SAME_DEPLOYMENT = re.compile(r"^-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$")


def _http_seen(r: HttpResult | GrpcResult, text: str) -> Seen:
    echo = r.echo or {}
    status = r.status if isinstance(r, HttpResult) else r.code
    return Seen(text, status=status, pod=echo.get("pod"), path=echo.get("path"))


def _compare_http(exp: Expectation, scene: Scene, r: HttpResult) -> None:
    rq, rs = exp.request, exp.response
    what = f"{rq.method} {rq.protocol}://{r.host}{rq.path}"
    wanted_from = f" from {rs.backend}" if rs.backend else ""

    def differ(text: str, cls: type[Mismatch] = Mismatch) -> Mismatch:
        return cls(f"{what}: {text}", _http_seen(r, text))

    if rs.status is not None:
        allowed = rs.status if isinstance(rs.status, tuple) else (rs.status,)
        if r.status not in allowed:
            raise differ(f"status {r.status}, wanted {_either(allowed)}{wanted_from}")
    if rs.redirect is not None:
        location, want = r.headers.get("location"), scene.redirect(rs.redirect)
        if location != want:
            raise differ(f"redirected to {location!r}, wanted {want!r}")
    if rs.certificate is not None:
        if r.certificate is None:
            raise differ("no certificate captured")
        if r.certificate.sha256 != scene.fingerprint(rs.certificate):
            raise differ(
                f"SNI {r.sni} was served {r.certificate.subject} ({', '.join(r.certificate.sans)}), "
                f"not the certificate {rs.certificate}"
            )
    pods = scene.pods(rs)
    if pods is None and rs.seen_path is None and not rs.seen_headers and rs.backend_tls is None:
        return
    if r.echo is None:
        raise differ(f"status {r.status}, the reply is not the echo server's JSON: {r.body[:120]!r}")
    if pods is not None:
        pod = r.echo.get("pod")
        if _not_of(pod, pods, rs):
            raise differ(f"answered by {pod}, wanted a pod of {rs.backend or 'the set'} {sorted(pods)}", Misrouted)
    if rs.seen_path is not None:
        seen_path = r.echo.get("path")
        if seen_path != rs.seen_path:
            raise differ(f"the backend saw path {seen_path!r}, wanted {rs.seen_path!r}")
    seen_headers = {k.lower(): v for k, v in (r.echo.get("headers") or {}).items()}
    for name, value in rs.seen_headers.items():
        values = seen_headers.get(name.lower())
        values = values if isinstance(values, list) else [values]
        if value not in values:
            raise differ(f"the backend saw {name}: {values}, wanted {value!r}")
    if rs.backend_tls is False and "tls" in r.echo:
        raise differ(f"the backend saw TLS ({r.echo.get('tls')}): TLS did not end in front of it")
    if rs.backend_tls:
        server_name = (r.echo.get("tls") or {}).get("serverName")
        if server_name != r.sni:
            raise differ(f"the backend did not terminate TLS itself for {r.sni}: {r.echo.get('tls')}")


def _compare_grpc(exp: Expectation, scene: Scene, r: GrpcResult) -> None:
    rs = exp.response
    what = f"gRPC {r.method} :authority={r.authority}"

    def differ(text: str, cls: type[Mismatch] = Mismatch) -> Mismatch:
        return cls(f"{what}: {text}", _http_seen(r, text))

    if rs.status is not None:
        allowed = rs.status if isinstance(rs.status, tuple) else (rs.status,)
        if r.code not in allowed:
            raise differ(f"status {r.code_name} ({r.details[:100]}), wanted code {_either(allowed)}")
    pods = scene.pods(rs)
    if pods is None and rs.seen_path is None:
        return
    if r.echo is None:
        raise differ(f"{r.code_name}, no reply from the echo server")
    if pods is not None and _not_of(r.echo.get("pod"), pods, rs):
        raise differ(f"answered by {r.echo.get('pod')}, wanted a pod of {rs.backend}", Misrouted)
    if rs.seen_path is not None and r.echo.get("path") != rs.seen_path:
        raise differ(f"the backend served {r.echo.get('path')!r}, wanted {rs.seen_path!r}")


def _compare_stream(exp: Expectation, scene: Scene, r: StreamResult) -> None:
    rs = exp.response
    if rs.reply is not None and rs.reply not in r.received:
        text = f"reply {r.received[:120]!r} lacks {rs.reply!r}"
        raise Mismatch(f"{r.target}: {text}", Seen(text))
    pods = scene.pods(rs)
    if pods is not None:
        reply = stream_json(r)
        if reply is None:
            text = f"no JSON reply to {r.sent!r}: {r.received[:120]!r}"
            raise Mismatch(f"{r.target}: {text}", Seen(text))
        if _not_of(reply.get("pod"), pods, rs):
            text = f"answered by {reply.get('pod')!r}, not one of the {rs.backend or 'expected'} pods {sorted(pods)}"
            raise Misrouted(f"{r.target}: {text}", Seen(text, pod=reply.get("pod")))


def _unreached(exp: Expectation, scene: Scene, seen: Any) -> None:
    pods = scene.pods(exp.response) or set()
    who = exp.response.backend or "the set"
    if isinstance(seen, HttpResult | GrpcResult):
        pod = seen.echo.get("pod") if seen.echo else None
        if pod in pods:
            raise Mismatch(f"{seen.target} answered by pod {pod} of {who}", _http_seen(seen, f"answered by {pod}"))
    elif isinstance(seen, StreamResult):
        pod = (stream_json(seen) or {}).get("pod")
        if pod in pods:
            raise Mismatch(f"{seen.target} answered by pod {pod}", Seen(f"answered by {pod}", pod=pod))


_POD_TXT = re.compile(rb"pod=([a-z0-9][a-z0-9.-]*)")


def stream_json(r: StreamResult) -> dict[str, Any] | None:
    """Who answered a TCP/UDP probe: the first JSON line of the reply (the
    echo server's TCP mode answers TEST with one), or a ``pod=NAME`` string
    in it (the UDP backend's DNS TXT answer)."""
    for line in r.received.decode("utf-8", "replace").splitlines():
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            return value if isinstance(value, dict) else None
    m = _POD_TXT.search(r.received)
    return {"pod": m.group(1).decode()} if m else None


def _either(values: tuple[int, ...]) -> str:
    return " or ".join(str(v) for v in values)


# --------------------------------------------------------------------------
# inside the consistency rule
# --------------------------------------------------------------------------


def _judged(evidence: Sink | None, what: str, claims: tuple[str, ...] | None) -> AbstractContextManager[None]:
    """A check block of the test's recorder (or nothing, for a bare call)."""
    return evidence.check(what, claims=claims) if evidence is not None else nullcontext()


def verify(
    exp: Expectation,
    scene: Scene,
    evidence: Sink | None = None,
    *,
    claims: tuple[str, ...] | None = None,
    hint: str | Callable[[], str] = "",
    successes: int | None = None,
    settle: float = 0.0,
) -> Any:
    """The row must hold ``successes`` (the run's N) times in a row within
    the consistency deadline, and no other backend than the expected one may
    answer after ``settle`` seconds (give ``timeouts.update_settle`` after an
    update). It is a check of ``claims`` (default: all of the test's): a
    failure is a failed check, recorded with its transcript. The transcript
    of a success goes to ``evidence`` under the row's label. Returns the last
    thing seen (an HttpResult, say)."""
    with _judged(evidence, label(exp, scene), claims):
        seen, transcript = consistently(
            probe(exp, scene),
            what=describe(exp, scene),
            timeouts=scene.timeouts,
            successes=successes,
            hint=hint,
            failure=FailureKind.TRAFFIC,
            settle=settle,
        )
        if evidence is not None:
            evidence.add(label(exp, scene), transcript)
    return seen


def verify_all(rows: Iterable[Expectation], scene: Scene, evidence: Sink | None = None, **kw: Any) -> list[Any]:
    """:func:`verify` for each row of a table, in order."""
    return [verify(exp, scene, evidence, **kw) for exp in rows]


def throughout(
    exp: Expectation,
    scene: Scene,
    evidence: Sink | None = None,
    *,
    claims: tuple[str, ...] | None = None,
    window: float | None = None,
    also: Callable[[], Any] | None = None,
) -> Transcript:
    """The row must keep holding for the whole observation window (negative
    claims: "no pod answers"); ``also`` is checked beside it on every
    observation (e.g. "the Ingress still has no address"). A check of
    ``claims``, like :func:`verify`."""
    check = probe(exp, scene)

    def observe() -> Any:
        extra = also() if also is not None else None
        seen = check()
        return {"also": extra, "seen": _summary(seen)} if also is not None else seen

    with _judged(evidence, label(exp, scene), claims):
        transcript = never(observe, what=describe(exp, scene), timeouts=scene.timeouts, window=window)
        if evidence is not None:
            evidence.add(label(exp, scene), transcript)
    return transcript


def applied(
    kube: Kube,
    docs: list[dict[str, Any]],
    evidence: Sink,
    *,
    namespace: str | None = None,
    claims: tuple[str, ...] | None = None,
    gate: bool = True,
) -> list[dict[str, Any]]:
    """Objects under test (the guide's YAML, an article's, a correction, the
    controller's idiom of the guide's routing) applied as written: a
    validation or webhook refusal, a controller's rejection of a Gateway or
    route, or a status that never comes is a failed check of ``claims``
    (what a reader applying them would meet), recorded with what was seen.
    The harness's own objects are applied with ``kube.apply``: there the same
    failure is an error of the harness."""
    what = "applied and accepted: " + ", ".join(describe_object(d) for d in docs)
    with evidence.check(what, claims=claims):
        return kube.apply(docs, namespace, gate=gate, sink=evidence)


def _summary(value: Any) -> Any:
    return value.summary() if hasattr(value, "summary") else value


__all__ = [
    "DEFAULT_CERTIFICATE",
    "Expectation",
    "grpc",
    "Request",
    "Response",
    "Scene",
    "compare",
    "describe",
    "http",
    "https",
    "label",
    "probe",
    "stream_json",
    "throughout",
    "verify",
    "verify_all",
    "Mismatch",
    "Misrouted",
    "applied",
]
