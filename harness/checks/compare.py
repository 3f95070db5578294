"""Judging what came back against a row: status first, then redirect,
certificate, which backend answered and what that backend saw (the order of
the Gateway API conformance suite's compare step). Raises a typed mismatch
(:class:`~harness.checks.consistency.Mismatch`, ``Misrouted``) the
consistency rule records; returns nothing when the row holds.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.checks.consistency import Foreign, Mismatch, Misrouted
from harness.checks.probes import (
    GrpcResult,
    HttpResult,
    StreamResult,
)
from harness.checks.rows import Expectation, Response, Scene
from harness.results.errors import HarnessError
from harness.results.model import Seen


def compare(exp: Expectation, scene: Scene, seen: Any) -> None:
    """Raise :class:`Mismatch` naming the first difference between the row
    and what ``seen`` (an HttpResult, GrpcResult, StreamResult or handshake)
    shows, with what was seen as fields; :class:`Misrouted` when another
    backend than the expected one answered; :class:`Foreign` first of all
    when an echo pod of a namespace the test did not make answered (whatever
    the row expects: another test's object caught the request)."""
    if isinstance(seen, HttpResult):
        _not_foreign(scene, seen.echo, seen.target, seen.status)
    elif isinstance(seen, GrpcResult):
        _not_foreign(scene, seen.echo, seen.target, seen.code)
    elif isinstance(seen, StreamResult):
        _not_foreign(scene, stream_json(seen), seen.target)
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


def _not_foreign(scene: Scene, reply: dict[str, Any] | None, target: str, status: int | None = None) -> None:
    where = scene.foreign(reply)
    if where is not None and reply is not None:
        text = f"answered by {reply.get('pod')} of namespace {where}, which this test did not make"
        raise Foreign(f"{target}: {text}", Seen(text, status=status, pod=reply.get("pod"), path=reply.get("path")))


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
    if rs.proto is not None and r.http_version != rs.proto:
        raise differ(f"the response came as {r.http_version or 'unknown'}, not {rs.proto}")
    for name, value in rs.headers.items():
        got = r.headers.get(name.lower())
        if got is None:
            raise differ(f"no {name} header in the response (headers: {', '.join(sorted(r.headers))})")
        if value != "*" and got != value:
            raise differ(f"response header {name}: {got!r}, wanted {value!r}")
    pods = scene.pods(rs)
    seen_any = (rs.seen_path, rs.seen_host, rs.seen_method, rs.seen_proto, rs.backend_tls)
    if pods is None and all(v is None for v in seen_any) and not rs.seen_headers:
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
    seen_wanted: tuple[tuple[str, str | None], ...] = (
        ("host", scene.host(rs.seen_host)),
        ("method", rs.seen_method),
        ("proto", rs.seen_proto),
    )
    for key, expected in seen_wanted:
        if expected is not None and r.echo.get(key) != expected:
            raise differ(f"the backend saw {key} {r.echo.get(key)!r}, wanted {expected!r}")
    seen_headers = {k.lower(): v for k, v in (r.echo.get("headers") or {}).items()}
    for name, value in rs.seen_headers.items():
        values = seen_headers.get(name.lower())
        if value == "*":
            if values is None:
                raise differ(f"the backend saw no {name} header")
            continue
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


def unreached(exp: Expectation, scene: Scene, seen: Any) -> None:
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
