"""Gateway API objects -> their checks, on one subject: routes attach to
the listeners of the Gateways this subject serves or the harness supplies
(hostnames intersected, wildcards probed through a name they cover and the
domain they do not), and each kind of route promises what it routes:
HTTPRoute rules (paths, headers, methods, weights, redirects), GRPCRoute
method and header matches (a real gRPC call to the harness's gRPC echo),
TCPRoute and UDPRoute (a real connection or datagram answered by the
expected backend), HTTPS listeners serving their Secret's certificate. A
route no Gateway takes (no parentRefs, a sectionName no listener has) is a
check the plan already knows does not hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.article.matching import (
    GrpcMatch,
    GrpcRule,
    Match,
    Rule,
    covered_probe,
    grpc_route,
    intersect,
    is_wildcard,
    route,
    uncovered_probe,
)
from harness.article.model import (
    DEFAULT_LISTENER_PORTS,
    GRPC_ECHO_METHODS,
    GRPC_ECHO_SERVICE,
    GRPC_REFLECTION,
    ROUTE_KINDS,
    Check,
    GatewayNeed,
    Kind,
    Mode,
    Plan,
    SecretNeed,
    Subject,
    describe,
    is_gateway_api,
    spec_of,
)
from harness.article.rows import backend_name, route_checks, wildcard_checks
from harness.checks.rows import GRPC_OK, Expectation, Request, Response
from harness.lab.backends import UDP_WHOAMI

NeedPort = Callable[..., None]
LISTEN_PROTOCOL = {"HTTPRoute": "HTTP", "GRPCRoute": "HTTP", "TCPRoute": "TCP", "UDPRoute": "UDP", "TLSRoute": "TLS"}
COMPATIBLE = {
    "HTTPRoute": ("HTTP", "HTTPS"),
    "GRPCRoute": ("HTTP", "HTTPS"),
    "TCPRoute": ("TCP",),
    "UDPRoute": ("UDP",),
    "TLSRoute": ("TLS",),
}


@dataclass(frozen=True)
class Listener:
    gateway: str
    name: str
    protocol: str
    port: int
    hostname: str | None
    secret: str | None = None  # an HTTPS listener's first certificateRef


def plan_gateway_api(
    docs: list[dict[str, Any]],
    subject: Subject,
    gateways: dict[str, dict[str, Any]],
    served: dict[str, dict[str, Any]],
    out: Plan,
    need_port: NeedPort,
    defined_secrets: set[str],
    unservable: dict[tuple[str, str], str] | None = None,
) -> None:
    """Checks of the Gateway API objects on ``subject``; ``unservable`` names
    listeners of the article's Gateways the subject cannot serve, and why."""
    unservable = unservable or {}
    listeners: dict[tuple[str, str], Listener] = {}
    for name, gw in served.items():
        for lst in spec_of(gw).get("listeners") or []:
            refs = (lst.get("tls") or {}).get("certificateRefs") or []
            secret = str(refs[0].get("name")) if refs else None
            listeners[(name, str(lst.get("name")))] = Listener(
                name, str(lst.get("name")), str(lst.get("protocol")), lst.get("port"), lst.get("hostname"), secret
            )
            for ref in refs:
                if ref.get("name") not in defined_secrets and not any(s.name == ref.get("name") for s in out.secrets):
                    out.secrets.append(
                        SecretNeed(str(ref.get("name")), [lst["hostname"]] if lst.get("hostname") else [])
                    )
    routes = [d for d in out.objects if is_gateway_api(d, *ROUTE_KINDS)]
    supplied: dict[str, GatewayNeed] = {}
    unlistened: dict[str, str] = {}  # route -> why this subject cannot listen for it
    for rt in routes:
        proto = LISTEN_PROTOCOL[str(rt["kind"])]
        parents = spec_of(rt).get("parentRefs") or []
        if not parents:
            out.checks.append(
                Check(
                    describe(rt),
                    Kind.ATTACHED.value,
                    "is attached to a Gateway",
                    unmet="the route has no parentRefs: no Gateway takes it, so none of its rules routes anything",
                )
            )
            continue
        for ref in parents:
            pname = str(ref.get("name"))
            if pname in gateways:
                continue
            ports = subject.gateway_ports
            if ports is not None and proto not in ports:
                unlistened[describe(rt)] = f"{subject.name} has no {proto} listener for a Gateway"
                continue
            section = ref.get("sectionName") or proto.lower()
            port = ref.get("port") or (ports or {}).get(proto, (DEFAULT_LISTENER_PORTS[proto], 0))[0]
            g = supplied.setdefault(pname, GatewayNeed(pname, []))
            if not any(n == section for n, _, _ in g.listeners):
                g.listeners.append((section, proto, port))
                listeners[(pname, section)] = Listener(pname, section, proto, port, None)
    out.gateways.extend(supplied.values())
    # attach routes to listeners
    by_listener: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rt in routes:
        attached = False
        for ref in spec_of(rt).get("parentRefs") or []:
            pname = str(ref.get("name"))
            if pname not in served and pname not in supplied:
                continue
            section = ref.get("sectionName")
            found = [
                key
                for key, lst in listeners.items()
                if lst.gateway == pname
                and (not section or lst.name == section)
                and str(rt["kind"]) in _kinds_for(lst.protocol)
                and (not ref.get("port") or ref.get("port") == lst.port or pname in supplied)
            ]
            for key in found:
                by_listener.setdefault(key, []).append(rt)
                attached = True
            if not found and pname in served:
                out.checks.append(
                    Check(
                        describe(rt),
                        Kind.ATTACHED.value,
                        f"is attached to Gateway {pname}" + (f" listener {section}" if section else ""),
                        unmet=f"Gateway {pname} has no "
                        + (f"listener {section}" if section else f"listener for a {rt['kind']}")
                        + ": the route is not accepted there",
                    )
                )
        if not attached and describe(rt) in unlistened:
            out.checks.append(
                Check(describe(rt), Kind.ROUTES.value, f"{rt['kind']} rules", not_checkable=unlistened[describe(rt)])
            )
    for rt in routes:
        mode = {"TCPRoute": Mode.TCP, "UDPRoute": Mode.UDP, "TLSRoute": Mode.TCP, "GRPCRoute": Mode.GRPC}.get(
            str(rt["kind"]), Mode.HTTP
        )
        for rule in spec_of(rt).get("rules") or []:
            for b in rule.get("backendRefs") or []:
                need_port(str(b.get("name")), b.get("port", 80), mode.value, "UDP" if mode is Mode.UDP else "TCP")
    for key, attached_routes in by_listener.items():
        lst = listeners[key]
        need = next((x for x in out.secrets if lst.secret and x.name == lst.secret), None)
        if need is not None and lst.protocol == "HTTPS":  # the certificate must name what the routes serve
            for rt in attached_routes:
                need.hosts.extend(h for h in _route_hosts(rt, lst) if h and h not in need.hosts)
        target = f"gateway:{lst.gateway}:{lst.name}"
        why = unservable.get(key) or (
            f"{subject.name} has no {lst.protocol} listener for a Gateway"
            if subject.gateway_ports is not None and lst.protocol not in subject.gateway_ports
            else ""
        )
        if why:
            for rt in attached_routes:
                out.checks.append(
                    Check(
                        describe(rt),
                        Kind.ROUTES.value,
                        f"{rt['kind']} on listener {lst.name}",
                        target=target,
                        not_checkable=why,
                    )
                )
            continue
        for kind in ROUTE_KINDS:
            of_kind = [r for r in attached_routes if r["kind"] == kind]
            if not of_kind:
                continue
            if kind == "HTTPRoute":
                _http_routes(of_kind, lst, target, out)
            elif kind == "GRPCRoute":
                _grpc_routes(of_kind, lst, target, out)
            elif kind in ("TCPRoute", "UDPRoute"):
                _l4_routes(of_kind, lst, target, out)
            else:
                for rt in of_kind:
                    out.checks.append(
                        Check(
                            describe(rt),
                            Kind.ROUTES.value,
                            f"{kind} on listener {lst.name}",
                            target=target,
                            not_checkable="TLSRoute checks are not derived yet (TLS passthrough to a backend that "
                            "terminates TLS for the SNI)",
                        )
                    )


def _kinds_for(protocol: str) -> tuple[str, ...]:
    return tuple(k for k, protos in COMPATIBLE.items() if protocol in protos)


def _route_hosts(rt: dict[str, Any], lst: Listener) -> list[str | None]:
    """The hostnames ``rt`` is served under on ``lst`` (None: any)."""
    names = spec_of(rt).get("hostnames") or [None]
    out: list[str | None] = []
    for h in names:
        met = intersect(h, lst.hostname)
        if met is not False and met not in out:
            out.append(met if isinstance(met, str) else None)
    return out


def _backends(rule: dict[str, Any]) -> dict[str, int]:
    return {str(b.get("name")): int(b.get("weight", 1)) for b in rule.get("backendRefs") or []}


# --------------------------------------------------------------------------
# HTTPRoute
# --------------------------------------------------------------------------


def _http_routes(routes: list[dict[str, Any]], lst: Listener, target: str, out: Plan) -> None:
    scheme = "https" if lst.protocol == "HTTPS" else "http"
    per_host: dict[str | None, list[Rule]] = {}
    for rt in routes:
        hosts = _route_hosts(rt, lst)
        if not hosts:
            out.checks.append(
                Check(
                    describe(rt),
                    Kind.ATTACHED.value,
                    f"is attached to listener {lst.name}",
                    target=target,
                    unmet=f"none of its hostnames meets the listener's hostname {lst.hostname}",
                )
            )
            continue
        for rule in spec_of(rt).get("rules") or []:
            backends = _backends(rule)
            redirect = None
            sets: dict[str, str] = {}
            for f in rule.get("filters") or []:
                if f.get("type") == "RequestRedirect":
                    redirect = int((f.get("requestRedirect") or {}).get("statusCode", 302))
                if f.get("type") == "RequestHeaderModifier":
                    mod = f.get("requestHeaderModifier") or {}
                    for h in (mod.get("set") or []) + (mod.get("add") or []):
                        sets[str(h.get("name"))] = str(h.get("value"))
            for m in rule.get("matches") or [{}]:
                path = m.get("path") or {}
                match = Match(
                    str(path.get("type", "PathPrefix")),
                    str(path.get("value", "/")),
                    tuple(
                        (str(h["name"]), str(h["value"]))
                        for h in m.get("headers") or []
                        if h.get("type", "Exact") == "Exact"
                    ),
                    m.get("method"),
                    tuple(
                        (str(q["name"]), str(q["value"]))
                        for q in m.get("queryParams") or []
                        if q.get("type", "Exact") == "Exact"
                    ),
                )
                for h in hosts:
                    per_host.setdefault(h, []).append(Rule(match, backends, describe(rt), redirect, sets))
    for host, rules in per_host.items():
        if host and is_wildcard(host):
            apex = uncovered_probe(host)
            uncovered = _uncovered_rules(per_host, apex, lst)
            probe = wildcard_checks(out, rules[0].object, host, scheme, rules, target=target, uncovered_rules=uncovered)
            for r in rules:
                route_checks(out, r.object, probe, scheme, rules, r, target=target, shown=host)
            _listener_tls(lst, probe, rules, target, out)
            continue
        if host:
            out.hosts.append(host)
        for r in rules:
            route_checks(out, r.object, host, scheme, rules, r, target=target)
        if host:
            _listener_tls(lst, host, rules, target, out)


def _uncovered_rules(per_host: dict[str | None, list[Rule]], apex: str, lst: Listener) -> list[Rule] | None:
    """What serves the wildcard's domain on this listener, from the snippet:
    its own rules, or the host-less ones; None when the listener itself
    does not take the domain and something else of the cluster may."""
    if apex in per_host:
        return per_host[apex]
    if None in per_host:
        return per_host[None]
    return []


def _listener_tls(lst: Listener, host: str, rules: list[Rule], target: str, out: Plan) -> None:
    if lst.protocol != "HTTPS" or not lst.secret:
        return
    first = rules[0]
    path = first.match.path if first.match.path_type not in ("RegularExpression",) else "/"
    hit = route(rules, path, dict(first.match.headers), first.match.method or "GET")
    response: dict[str, Any] = {"certificate": lst.secret}
    if hit is not None and hit.redirect is None:
        response["backend"] = backend_name(hit, out)
        response["backend_tls"] = False
    else:
        response["status"] = None
    out.checks.append(
        Check(
            f"Gateway {lst.gateway}",
            Kind.TLS.value,
            f"listener {lst.name} serves Secret {lst.secret}'s certificate for {host}",
            rows=[
                Expectation(
                    Request("https", host, path, headers=dict(first.match.headers)),
                    Response(**response),
                    label=f"TLS {host}{path}",
                )
            ],
            target=target,
        )
    )


# --------------------------------------------------------------------------
# GRPCRoute
# --------------------------------------------------------------------------


def _grpc_rules(rt: dict[str, Any]) -> list[GrpcRule]:
    out = []
    for rule in spec_of(rt).get("rules") or []:
        backends = _backends(rule)
        for m in rule.get("matches") or [{}]:
            method = m.get("method") or {}
            out.append(
                GrpcRule(
                    GrpcMatch(
                        method.get("service"),
                        method.get("method"),
                        tuple(
                            (str(h["name"]), str(h["value"]))
                            for h in m.get("headers") or []
                            if h.get("type", "Exact") == "Exact"
                        ),
                        regex=method.get("type") == "RegularExpression"
                        or any(h.get("type") == "RegularExpression" for h in m.get("headers") or []),
                    ),
                    backends,
                    describe(rt),
                )
            )
    return out


def _grpc_routes(routes: list[dict[str, Any]], lst: Listener, target: str, out: Plan) -> None:
    per_host: dict[str | None, list[GrpcRule]] = {}
    for rt in routes:
        for h in _route_hosts(rt, lst):
            per_host.setdefault(h, []).extend(_grpc_rules(rt))
    for host, rules in per_host.items():
        probe = covered_probe(host) if host and is_wildcard(host) else host
        if host:
            out.hosts.extend([host, probe] if probe else [host])
        for r in rules:
            _grpc_check(r, rules, host, probe, lst, target, out)


REFLECTION_SERVICES = ("grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")


def _grpc_row(
    rules: list[GrpcRule],
    own: GrpcRule,
    host: str | None,
    service: str,
    method: str,
    headers: dict[str, str],
    out: Plan,
) -> Expectation:
    path = f"/{service}/{method}"
    hit = grpc_route(rules, service, method, headers)
    rq = Request("grpc", host, path, headers=headers)
    where = f"{host or '(any host)'}{path}" + (f" with {headers}" if headers else "")
    if hit is None:
        name = backend_name(Rule(Match("PathPrefix", "/"), own.backends, own.object), out)
        return Expectation(
            rq, Response(status=None, backend=name, reached=False), label=f"{where} not answered by {name}"
        )
    name = backend_name(Rule(Match("PathPrefix", "/"), hit.backends, hit.object), out)
    return Expectation(rq, Response(status=GRPC_OK, backend=name, seen_path=path), label=f"{where} -> {name}")


def _grpc_check(
    r: GrpcRule,
    rules: list[GrpcRule],
    host: str | None,
    probe: str | None,
    lst: Listener,
    target: str,
    out: Plan,
) -> None:
    m = r.match
    shown = f"{host or '(any host)'} {m.service or '*'}/{m.method or '*'}" + (
        f" (headers {dict(m.headers)})" if m.headers else ""
    )
    dest = ", ".join(r.backends)
    check = Check(r.object, Kind.GRPC.value, f"{shown} -> {dest}", target=target, claim="gateway-grpcroute")
    out.checks.append(check)
    if m.regex:
        check.not_checkable = "RegularExpression gRPC matches are not modelled"
        return
    if m.service in REFLECTION_SERVICES:
        check.not_checkable = (
            f"{m.service} is server reflection, a streaming call: the harness's gRPC probe makes unary calls "
            "(it uses reflection itself, v1alpha, to learn message types)"
        )
        return
    service = m.service or GRPC_ECHO_SERVICE
    method = m.method or GRPC_ECHO_METHODS[0]
    headers = dict(m.headers)
    check.rows.append(_grpc_row(rules, r, probe, service, method, headers, out))
    if m.method and service == GRPC_ECHO_SERVICE:
        other = next(x for x in GRPC_ECHO_METHODS if x != method) if method in GRPC_ECHO_METHODS else None
        if other:
            check.rows.append(_grpc_row(rules, r, probe, service, other, headers, out))
    if m.headers:
        check.rows.append(_grpc_row(rules, r, probe, service, method, {}, out))
    if service != GRPC_ECHO_SERVICE or method not in GRPC_ECHO_METHODS:
        check.not_checkable = (
            f"the call /{service}/{method} would reach the harness's gRPC echo (the Gateway API echo server), "
            f"which serves only {GRPC_ECHO_SERVICE} ({', '.join(GRPC_ECHO_METHODS)}): its refusal names no pod, "
            "so the backend that got it cannot be told"
        )
        return
    if lst.protocol == "HTTPS":
        check.not_checkable = "gRPC over TLS: the harness's gRPC probe speaks plaintext HTTP/2 only"
        return
    if grpc_route(rules, *GRPC_REFLECTION, {}) is None:
        check.not_checkable = (
            f"{host or 'the route'} routes no {GRPC_REFLECTION[0]}: the harness's gRPC probe learns the "
            "message types through server reflection (v1alpha), through the same route"
        )


# --------------------------------------------------------------------------
# TCPRoute, UDPRoute
# --------------------------------------------------------------------------


def _l4_routes(routes: list[dict[str, Any]], lst: Listener, target: str, out: Plan) -> None:
    for rt in routes:
        udp = rt["kind"] == "UDPRoute"
        for rule in spec_of(rt).get("rules") or []:
            r = Rule(Match("PathPrefix", "/"), _backends(rule), describe(rt))
            backend = backend_name(r, out)
            if udp:
                row = Expectation(
                    Request("udp", port=lst.port, payload=UDP_WHOAMI),
                    Response(backend=backend),
                    label=f"UDP :{lst.port} -> {backend}",
                )
            else:
                row = Expectation(
                    Request("tcp", port=lst.port), Response(backend=backend), label=f"TCP :{lst.port} -> {backend}"
                )
            out.checks.append(
                Check(
                    describe(rt),
                    (Kind.UDP_ROUTE if udp else Kind.TCP_ROUTE).value,
                    f"{'UDP' if udp else 'TCP'} on listener {lst.name} -> {backend}",
                    target=target,
                    rows=[row],
                    claim="h2h-gateway-beyond-http" if udp else "gateway-multi-protocol",
                )
            )


def listener_port(subject: Subject, protocol: str, port: Any) -> Any:
    """The port an article's listener gets on ``subject`` (the one it listens on for the protocol)."""
    ports = subject.gateway_ports
    if not ports or protocol not in ports:
        return port
    listens = {lp for lp, _ in ports.values()}
    return port if port in listens else ports[protocol][0]
