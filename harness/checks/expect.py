"""Expectations checked: each row of :mod:`.rows` (one request and what must
come back) probed against the scene and judged by :mod:`.compare`.

A suite states its checks as a table of :class:`~.rows.Expectation` rows and
hands each row, with the test's :class:`~.rows.Scene`, to :func:`verify` (it
must hold, N times in a row: the consistency rule) or :func:`throughout` (it
must keep holding for an observation window). The comparison happens inside
the consistency rule, so the evidence transcript is the one the probes have
always written; :func:`applied` applies the objects under test inside a
check block, so a refusal of them is a verdict, not an error.

The shape follows the Gateway API conformance suite's ``ExpectedResponse``
and its compare step. A gRPC row's ``path`` is the method
(``/package.Service/Method``), its ``host`` the ``:authority``; its
``status`` is the gRPC status code (0, OK, unless the row says otherwise)
and ``seen_path`` the method the backend says it served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from urllib.parse import urlsplit

from harness.checks.compare import compare, unreached
from harness.checks.consistency import consistently, never
from harness.checks.kube import Kube
from harness.checks.manifests import describe as describe_object
from harness.checks.mutate import mutate
from harness.checks.probes import (
    HttpResult,
    ProbeError,
    grpc_call,
    http_get,
    presented_certificate,
    tcp_exchange,
    udp_exchange,
)
from harness.checks.rows import (
    DEFAULT_CERTIFICATE,
    DEFAULT_PORTS,
    MAX_REDIRECTS,
    REDIRECTS,
    Expectation,
    Request,
    Scene,
    Sink,
    describe,
    label,
    target,
)
from harness.results.model import FailureKind, Transcript

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
            return grpc_call(
                address,
                port,
                rq.path,
                authority=scene.host(rq.host) or address,
                timeout=timeout,
                metadata=tuple((k.lower(), v) for k, v in rq.headers.items()),
            )
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
        result = http_get(
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
            verify_tls=rq.tls_verify,
        )
        return _follow(result, rq, scene, address, port, timeout) if rq.follow_redirects else result

    def check() -> Any:
        if not rs.reached:
            try:
                seen = send()
            except ProbeError as exc:
                return f"{exc.kind}: {exc.detail}"
            unreached(exp, scene, seen)
            return seen
        seen = send()
        compare(exp, scene, seen)
        return seen

    return check


def _follow(result: HttpResult, rq: Request, scene: Scene, address: str, port: int, timeout: float) -> HttpResult:
    """Follow ``result``'s redirects (see :class:`Request`); the last answer,
    with the hops taken in its ``redirects``. A relative Location stays on
    the same scheme, port and host."""
    hops: list[str] = []
    while result.status in REDIRECTS and len(hops) < MAX_REDIRECTS:
        location = result.headers.get("location")
        if not location:
            break
        to = urlsplit(location)
        was_https = result.url.startswith("https")
        https_next = (to.scheme or ("https" if was_https else "http")) == "https"
        if to.netloc:
            host = to.hostname or result.host
            port = to.port or DEFAULT_PORTS["https" if https_next else "http"]
        else:
            host = result.host
        path = (to.path or "/") + (f"?{to.query}" if to.query else "")
        hops.append(f"{result.status} {location}")
        result = http_get(
            address,
            port,
            path,
            host=host,
            https=https_next,
            sni=host if https_next else None,
            ca_pem=scene.ca_pem,
            timeout=timeout,
            headers=dict(rq.headers),
            method=rq.method,
            verify_tls=rq.tls_verify,
        )
    result.redirects = tuple(hops)
    return result


# --------------------------------------------------------------------------
# inside the consistency rule
# --------------------------------------------------------------------------


def _judged(
    evidence: Sink | None, what: str, claims: tuple[str, ...] | None, soft: bool = False
) -> AbstractContextManager[None]:
    """A check block of the test's recorder (or nothing, for a bare call)."""
    return evidence.check(what, claims=claims, soft=soft) if evidence is not None else nullcontext()


def verify(
    exp: Expectation,
    scene: Scene,
    evidence: Sink | None = None,
    *,
    claims: tuple[str, ...] | None = None,
    hint: str | Callable[[], str] = "",
    successes: int | None = None,
    settle: float = 0.0,
    soft: bool = False,
) -> Any:
    """The row must hold ``successes`` (the run's N) times in a row within
    the consistency deadline, and no other backend than the expected one may
    answer after ``settle`` seconds (give ``timeouts.update_settle`` after an
    update). It is a check of ``claims`` (default: all of the test's): a
    failure is a failed check, recorded with its transcript. The transcript
    of a success goes to ``evidence`` under the row's label. Returns the last
    thing seen (an HttpResult, say; None when a ``soft`` check failed: the
    failure is recorded and the test goes on to checks of other claims)."""
    seen = None
    with _judged(evidence, label(exp, scene), claims, soft):
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
    mutant = getattr(evidence, "mutant", None)
    if mutant is not None:  # a mutant of the test: its edits, on the objects under test only
        mutation = mutate(docs, mutant, getattr(evidence, "mutant_vars", {}))
        if mutation.diff:
            evidence.mutated(mutation.diff)
            docs = mutation.docs
    with evidence.check(what, claims=claims):
        return kube.apply(docs, namespace, gate=gate, sink=evidence)


def _summary(value: Any) -> Any:
    return value.summary() if hasattr(value, "summary") else value


__all__ = ["applied", "probe", "throughout", "verify", "verify_all"]
