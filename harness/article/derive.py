"""A snippet -> what it needs and what it promises, without a cluster.

For one snippet and one subject (a controller of the matrix, described as
data by :class:`Subject`) :func:`plan` says

- which objects to apply, with the class the article names mapped to the
  subject's when no controller of the matrix serves it (and a note saying
  so), and which it does not apply (cluster-scoped objects: the harness works
  in the test's namespace only);
- what the snippet needs but does not define: echo backends for every
  Service it names or selects (:class:`BackendNeed`, ports and protocols
  matching), Secrets for TLS sections (:class:`SecretNeed`, issued by the
  run's CA) and Gateways its routes name but it never defines
  (:class:`GatewayNeed`);
- the checks its objects promise (:class:`Check`), as expectation rows:
  every Ingress or HTTPRoute rule routes its host and path to its backend,
  with its path type honoured (an Exact path does not match a longer one, a
  Prefix matches by segment: ``/api`` takes ``/api`` and ``/api/x``, not
  ``/apix``), header matches, weighted backends (a bounded number of
  requests, within a stated tolerance), TLS sections serving their Secret's
  certificate, a LoadBalancer Service getting an address with each port
  answering in its protocol, TCPRoutes carrying TCP. What cannot be checked
  here is a check with ``not_checkable`` set, never left out.

:func:`bad_snippet` says why a snippet cannot be checked at all (the
reasons knowable without a cluster; the cluster adds "CRD not installed").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.article import schema
from harness.article.extract import Snippet
from harness.checks.expect import Expectation, Request, Response

GATEWAY_API = schema.GATEWAY_GROUP + "/"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job")
LB_SUBJECT = "metallb"  # controller-independent L4 checks (as in the claims report)
CLUSTER_SUBJECT = "cluster"  # a snippet with no routing object: checked once, on the cluster
PROBE_SUFFIX = "article-check"  # the sub-path and the segment probes append
WEIGHT_REQUESTS = 200  # requests a weighted rule is measured over
DEFAULT_LISTENER_PORTS = {"HTTP": 80, "HTTPS": 443, "TLS": 443, "TCP": 9100, "UDP": 9200}
HTTPISH = re.compile(r"^(http|https|web|h2c|grpc)(-.*)?$")


@dataclass(frozen=True)
class Subject:
    """A controller of the matrix, as the derivation needs it."""

    name: str
    ingress_class: str | None = None
    gateway_class: str | None = None
    # protocol -> (listener port it listens on, port reachable at its address); None: any port, as written
    gateway_ports: Mapping[str, tuple[int, int]] | None = None


@dataclass
class Check:
    """One promise of one object, and how it is checked."""

    object: str  # "Ingress web-gateway"
    kind: str  # routes, path-type, headers, weights, tls, lb-address, lb-port, tcp-route, applied
    text: str  # the promise, in one line
    rows: list[Expectation] = field(default_factory=list)
    target: str = "controller"  # where requests go: controller | lb:<Service> | gateway:<Gateway>
    weights: dict[str, int] | None = None  # Service -> weight (kind "weights")
    tolerance: str = ""
    not_checkable: str = ""
    claim: str | None = None  # the claim of the catalog the same check backs (for the comparison)

    @property
    def id(self) -> str:
        return f"{self.object}: {self.text}"


@dataclass(frozen=True)
class PortNeed:
    port: int
    name: str | None
    target: int | str  # targetPort as the Service has it (a number or a container port name)
    protocol: str  # TCP, UDP, SCTP
    mode: str  # http, tcp, udp (no echo backend), none


@dataclass
class BackendNeed:
    """Echo pods (and, when the snippet does not define it, the Service) for one Service."""

    service: str
    selector: dict[str, str]
    ports: list[PortNeed]
    define_service: bool
    served_by_article: str = ""  # a workload of the snippet the Service selects: the harness supplies no pods


@dataclass
class SecretNeed:
    name: str
    hosts: list[str]


@dataclass
class GatewayNeed:
    name: str
    listeners: list[tuple[str, str, int]]  # (name, protocol, port)


@dataclass
class Plan:
    subject: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    backends: list[BackendNeed] = field(default_factory=list)
    secrets: list[SecretNeed] = field(default_factory=list)
    gateways: list[GatewayNeed] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)  # "a or b" -> Services, for weighted rules
    checks: list[Check] = field(default_factory=list)
    not_checkable: str = ""  # the whole snippet on this subject


def name_of(doc: dict[str, Any]) -> str:
    return str((doc.get("metadata") or {}).get("name"))


def describe(doc: dict[str, Any]) -> str:
    return f"{doc.get('kind')} {name_of(doc)}"


def _is(doc: dict[str, Any], kind: str, group: str | None = None) -> bool:
    if doc.get("kind") != kind:
        return False
    g = schema.split_api_version(str(doc.get("apiVersion", "")))[0]
    if group is None:
        return True
    return g == group


def _gw(doc: dict[str, Any], *kinds: str) -> bool:
    return str(doc.get("apiVersion", "")).startswith(GATEWAY_API) and doc.get("kind") in kinds


def _ingress(doc: dict[str, Any]) -> bool:
    return _is(doc, "Ingress", "networking.k8s.io")


def _service(doc: dict[str, Any]) -> bool:
    return _is(doc, "Service", "")


# --------------------------------------------------------------------------
# bad snippets (what can be told without a cluster)
# --------------------------------------------------------------------------


def bad_snippet(snippet: Snippet) -> str | None:
    """Why ``snippet`` cannot be checked, or None. Cluster-free reasons:
    malformed YAML, an unknown kind of a built-in API group, and references
    the harness cannot supply."""
    if snippet.error:
        return snippet.error
    for doc in snippet.docs:
        api_version, kind = str(doc["apiVersion"]), str(doc["kind"])
        if schema.is_builtin_group(api_version) and schema.builtin_scope(api_version, kind) is None:
            return f"unknown kind: {api_version} has no kind {kind!r} ({describe(doc)})"
        if str(doc.get("apiVersion", "")).startswith(GATEWAY_API) and not schema.known_gateway_kind(api_version, kind):
            return f"unknown kind: the Gateway API has no kind {kind!r} ({describe(doc)})"
        why = unsuppliable(doc, snippet.docs)
        if why:
            return f"{describe(doc)}: {why}"
    return None


def unsuppliable(doc: dict[str, Any], docs: list[dict[str, Any]]) -> str | None:
    """A reference of ``doc`` the harness cannot supply, said in one line."""
    if _ingress(doc):
        for backend in _ingress_backends(doc):
            if "resource" in backend:
                r = backend["resource"]
                return (
                    f"backend resource {r.get('kind')} {r.get('name')} ({r.get('apiGroup') or 'core'}) cannot be "
                    "supplied: the harness provides Services only"
                )
            if "service" not in backend:
                return "a backend names neither a service nor a resource"
    if _gw(doc, *ROUTE_KINDS):
        own_ns = (doc.get("metadata") or {}).get("namespace")
        for rule in (doc.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") != "Service" or ref.get("group", "") not in ("", "core"):
                    return f"backendRef {ref.get('group', '')}/{ref.get('kind')} {ref.get('name')} cannot be supplied"
                if ref.get("namespace") and ref.get("namespace") != own_ns:
                    return (
                        f"backendRef {ref.get('name')} in namespace {ref['namespace']}: a cross-namespace reference "
                        "the harness cannot supply (each snippet runs in one namespace of its own)"
                    )
        for ref in (doc.get("spec") or {}).get("parentRefs") or []:
            if ref.get("kind", "Gateway") != "Gateway":
                return f"parentRef {ref.get('kind')} {ref.get('name')} is not a Gateway: cannot be supplied"
    if _service(doc):
        spec = doc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return None
        if not spec.get("selector") and not any(_is(d, "EndpointSlice") or _is(d, "Endpoints") for d in docs):
            return "a Service without a selector: its endpoints cannot be supplied"
    return None


# --------------------------------------------------------------------------
# which subjects check a snippet
# --------------------------------------------------------------------------


def ingress_class(doc: dict[str, Any]) -> str | None:
    spec = doc.get("spec") or {}
    ann = (doc.get("metadata") or {}).get("annotations") or {}
    return spec.get("ingressClassName") or ann.get("kubernetes.io/ingress.class")


def ingress_subjects(cls: str | None, matrix: list[Subject], known: Iterable[str]) -> tuple[list[Subject], bool, str]:
    """Subjects of the matrix an Ingress of class ``cls`` goes to: those
    serving that class; when none of the known controllers does (or no class
    is named), every subject with an Ingress class, mapped. Returns
    (subjects, mapped, why-none)."""
    serving = [s for s in matrix if s.ingress_class and s.ingress_class == cls]
    if serving:
        return serving, False, ""
    if cls and cls in set(known):
        return [], False, f"class {cls} belongs to a controller not selected in this run"
    return [s for s in matrix if s.ingress_class], True, ""


def gateway_subjects(cls: str | None, matrix: list[Subject], known: Iterable[str]) -> tuple[list[Subject], bool, str]:
    serving = [s for s in matrix if s.gateway_class and s.gateway_class == cls]
    if serving:
        return serving, False, ""
    if cls and cls in set(known):
        return [], False, f"GatewayClass {cls} belongs to a controller not selected in this run"
    gw = [s for s in matrix if s.gateway_class]
    if not gw:
        return [], False, "no controller of this run implements the Gateway API"
    return gw, True, ""


def _gateways(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name_of(d): d for d in docs if _gw(d, "Gateway")}


def subjects(snippet: Snippet, matrix: list[Subject], known: Mapping[str, Iterable[str]]) -> tuple[list[str], str]:
    """The subject names checking ``snippet`` (report order), and, when no
    subject of this run can, the reason. ``known`` holds every class the
    harness knows a controller for: ``{"ingress": [...], "gateway": [...]}``."""
    names: set[str] = set()
    reasons: list[str] = []
    routing = False
    gateways = _gateways(snippet.docs)
    for doc in snippet.docs:
        if _ingress(doc):
            routing = True
            subs, _, why = ingress_subjects(ingress_class(doc), matrix, known.get("ingress", ()))
        elif _gw(doc, "Gateway"):
            routing = True
            subs, _, why = gateway_subjects(
                (doc.get("spec") or {}).get("gatewayClassName"), matrix, known.get("gateway", ())
            )
        elif _gw(doc, *ROUTE_KINDS):
            routing = True
            parents = [p.get("name") for p in (doc.get("spec") or {}).get("parentRefs") or []]
            if any(p in gateways for p in parents):
                continue  # follows its Gateway
            subs, _, why = gateway_subjects(None, matrix, ())
        else:
            continue
        names.update(s.name for s in subs)
        if why:
            reasons.append(why)
    if not routing:
        return ([LB_SUBJECT] if any(_lb(d) for d in snippet.docs) else [CLUSTER_SUBJECT]), ""
    order = [s.name for s in matrix if s.name in names]
    return order, "; ".join(dict.fromkeys(reasons)) if not order else ""


def _lb(doc: dict[str, Any]) -> bool:
    return _service(doc) and (doc.get("spec") or {}).get("type") == "LoadBalancer"


# --------------------------------------------------------------------------
# path matching, as the APIs define it
# --------------------------------------------------------------------------


def prefix_matches(prefix: str, path: str) -> bool:
    """Prefix by path segment: /api takes /api and /api/x, not /apix."""
    p = prefix.rstrip("/")
    if not p:
        return True
    return path == p or path.startswith(p + "/")


@dataclass(frozen=True)
class Match:
    """One way a request can match a rule: path (Exact, Prefix,
    ImplementationSpecific or RegularExpression), headers, method, query."""

    path_type: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    method: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    def takes(self, path: str, headers: Mapping[str, str], method: str, query: Mapping[str, str]) -> bool:
        if self.path_type == "Exact" and path != self.path:
            return False
        if self.path_type in ("Prefix", "PathPrefix", "ImplementationSpecific") and not prefix_matches(self.path, path):
            return False
        if self.path_type == "RegularExpression":
            return False  # not modelled: such rules are not checkable here
        lower = {k.lower(): v for k, v in headers.items()}
        if any(lower.get(k.lower()) != v for k, v in self.headers):
            return False
        if self.method and self.method != method:
            return False
        return all(query.get(k) == v for k, v in self.query)

    def rank(self) -> tuple[int, int, int, int, int]:
        """Higher wins: Exact over prefix, longer prefix, method, more headers, more query params."""
        return (
            1 if self.path_type == "Exact" else 0,
            len(self.path.rstrip("/")),
            1 if self.method else 0,
            len(self.headers),
            len(self.query),
        )


@dataclass
class Rule:
    match: Match
    backends: dict[str, int]  # Service -> weight
    object: str
    redirect: int | None = None  # a RequestRedirect filter's status code
    sets_headers: dict[str, str] = field(default_factory=dict)  # RequestHeaderModifier set/add


def route(rules: list[Rule], path: str, headers: Mapping[str, str] | None = None, method: str = "GET") -> Rule | None:
    """The rule a request takes among ``rules`` of one host (earlier rules win ties)."""
    path_only, _, qs = path.partition("?")
    query = dict(p.split("=", 1) for p in qs.split("&") if "=" in p)
    best: Rule | None = None
    for r in rules:
        if r.match.takes(path_only, headers or {}, method, query) and (
            best is None or r.match.rank() > best.match.rank()
        ):
            best = r
    return best


def probe_paths(m: Match) -> list[tuple[str, str]]:
    """(path, what it shows) for the path-type semantics of ``m``."""
    p = m.path
    if m.path_type == "Exact":
        return [(p.rstrip("/") + "/" + PROBE_SUFFIX, "an Exact path does not match a longer one")]
    if m.path_type in ("Prefix", "PathPrefix"):
        base = p.rstrip("/")
        if not base:
            return [("/" + PROBE_SUFFIX, "the prefix / takes every path")]
        return [
            (base + "/" + PROBE_SUFFIX, "a Prefix matches a sub-path"),
            (base + "x", "a Prefix matches by segment, not by string"),
        ]
    return []


# --------------------------------------------------------------------------
# the plan of one snippet on one subject
# --------------------------------------------------------------------------


def plan(snippet: Snippet, subject: Subject | None, matrix: list[Subject], known: Mapping[str, Iterable[str]]) -> Plan:
    """What to provision, apply and check for ``snippet`` on ``subject``
    (None for the controller-independent subjects)."""
    docs = snippet.docs
    out = Plan(subject=subject.name if subject else (LB_SUBJECT if any(_lb(d) for d in docs) else CLUSTER_SUBJECT))
    gateways = _gateways(docs)
    defined_services = {name_of(d): d for d in docs if _service(d)}
    defined_secrets = {name_of(d) for d in docs if _is(d, "Secret", "")}
    refs: dict[str, dict[tuple[str | int, str], str]] = {}  # Service -> {(port, protocol): mode}

    def need_port(svc: str, port: Any, mode: str, protocol: str = "TCP") -> None:
        refs.setdefault(svc, {})[(port, protocol)] = mode

    # -- objects, with classes mapped ------------------------------------------------
    served_ingresses: list[dict[str, Any]] = []
    served_gateways: dict[str, dict[str, Any]] = {}
    for doc in docs:
        api_version, kind = str(doc["apiVersion"]), str(doc["kind"])
        scope = schema.builtin_scope(api_version, kind)
        if scope == "cluster" or (kind in ("GatewayClass",) and api_version.startswith(GATEWAY_API)):
            out.not_applied.append(
                f"{describe(doc)}: cluster-scoped, not applied (the harness applies only namespaced objects, in the "
                "test's own namespace)"
            )
            continue
        doc = _copy(doc)
        md = doc.setdefault("metadata", {})
        if md.get("namespace"):
            out.notes.append(f"{describe(doc)}: namespace {md['namespace']} replaced by the test's own")
            md.pop("namespace")
        if _ingress(doc) and subject is not None:
            cls = ingress_class(doc)
            subs, mapped, _ = ingress_subjects(cls, matrix, known.get("ingress", ()))
            if any(s.name == subject.name for s in subs):
                if mapped:
                    doc["spec"]["ingressClassName"] = subject.ingress_class
                    (md.get("annotations") or {}).pop("kubernetes.io/ingress.class", None)
                    out.notes.append(
                        f"{describe(doc)}: class {cls or '(none named)'} is served by no controller of the harness; "
                        f"the harness mapped it to {subject.name}'s class {subject.ingress_class}"
                    )
                served_ingresses.append(doc)
            else:
                out.notes.append(f"{describe(doc)}: class {cls} is not {subject.name}'s; applied, checked elsewhere")
        if _gw(doc, "Gateway") and subject is not None:
            cls = (doc.get("spec") or {}).get("gatewayClassName")
            subs, mapped, _ = gateway_subjects(cls, matrix, known.get("gateway", ()))
            if any(s.name == subject.name for s in subs):
                if mapped:
                    doc["spec"]["gatewayClassName"] = subject.gateway_class
                    out.notes.append(
                        f"{describe(doc)}: GatewayClass {cls} is served by no controller of the harness; the harness "
                        f"mapped it to {subject.name}'s class {subject.gateway_class}"
                    )
                for lst in doc["spec"].get("listeners") or []:
                    mapped_port = _listener_port(subject, str(lst.get("protocol")), lst.get("port"))
                    if mapped_port != lst.get("port"):
                        out.notes.append(
                            f"{describe(doc)}: listener {lst.get('name')} port {lst.get('port')} mapped to "
                            f"{mapped_port}, the port {subject.name} listens on for {lst.get('protocol')}"
                        )
                        lst["port"] = mapped_port
                served_gateways[name_of(doc)] = doc
        out.objects.append(doc)

    # -- Ingress rules ------------------------------------------------------------------
    for ing in served_ingresses:
        _plan_ingress(ing, out, need_port, defined_secrets)
    # -- Gateway API --------------------------------------------------------------------
    if subject is not None and (served_gateways or any(_gw(d, *ROUTE_KINDS) for d in docs)):
        _plan_gateway_api(docs, subject, gateways, served_gateways, out, need_port, defined_secrets)
    # -- Services the snippet defines ---------------------------------------------------
    for svc_doc in defined_services.values():
        _plan_service(svc_doc, out, refs, docs)
    # -- Services it only names ---------------------------------------------------------
    for svc, ports in refs.items():
        if svc in defined_services:
            continue
        needs = [
            PortNeed(
                port=port if isinstance(port, int) else 80 + n,
                name=port if isinstance(port, str) else None,
                target=(port if isinstance(port, int) else 80 + n) if mode != "udp" else 0,
                protocol=protocol,
                mode=mode,
            )
            for n, ((port, protocol), mode) in enumerate(sorted(ports.items(), key=lambda kv: str(kv[0])))
        ]
        needs = [replace_target(p) for p in needs]
        out.backends.append(BackendNeed(svc, {"app": svc}, needs, define_service=True))
        out.notes.append(f"Service {svc}: named but not defined by the snippet; the harness supplied it (echo pods)")
    for g in out.gateways:
        out.notes.append(
            f"Gateway {g.name}: named by a route but not defined by the snippet; the harness supplied it "
            f"({', '.join(f'{n} {p}/{port}' for n, p, port in g.listeners)})"
        )
    for s in out.secrets:
        out.notes.append(f"Secret {s.name}: issued by the run's CA for {', '.join(s.hosts) or 'no host'}")
    out.hosts = sorted({h for h in out.hosts if h})
    return out


def replace_target(p: PortNeed) -> PortNeed:
    """A supplied Service's port targets a container port of the same number
    (10000 + the port when it is below 1024)."""
    if p.mode == "udp":
        return PortNeed(p.port, p.name, p.port, p.protocol, p.mode)
    return PortNeed(p.port, p.name, p.port if p.port >= 1024 else 10000 + p.port, p.protocol, p.mode)


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    import copy

    return copy.deepcopy(doc)


def _listener_port(subject: Subject, protocol: str, port: Any) -> Any:
    ports = subject.gateway_ports
    if not ports or protocol not in ports:
        return port
    listens = {lp for lp, _ in ports.values()}
    return port if port in listens else ports[protocol][0]


def _ingress_backends(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec") or {}
    out = [spec["defaultBackend"]] if spec.get("defaultBackend") else []
    for rule in spec.get("rules") or []:
        for p in (rule.get("http") or {}).get("paths") or []:
            out.append(p.get("backend") or {})
    return out


def _svc_port(backend: dict[str, Any]) -> tuple[str, Any]:
    svc = backend.get("service") or {}
    port = svc.get("port") or {}
    return str(svc.get("name")), port.get("number", port.get("name", 80))


def _plan_ingress(ing: dict[str, Any], out: Plan, need_port: Any, defined_secrets: set[str]) -> None:
    obj = describe(ing)
    spec = ing.get("spec") or {}
    tls_hosts: dict[str, str | None] = {}
    for section in spec.get("tls") or []:
        for h in section.get("hosts") or []:
            tls_hosts[h] = section.get("secretName")
        secret = section.get("secretName")
        if secret and secret not in defined_secrets:
            existing = next((s for s in out.secrets if s.name == secret), None)
            if existing is None:
                out.secrets.append(SecretNeed(secret, list(section.get("hosts") or [])))
            else:
                existing.hosts.extend(h for h in section.get("hosts") or [] if h not in existing.hosts)
    for backend in _ingress_backends(ing):
        svc, port = _svc_port(backend)
        need_port(svc, port, "http")
    for rule in spec.get("rules") or []:
        host = rule.get("host")
        if host and "*" in host:
            out.checks.append(
                Check(
                    obj,
                    "routes",
                    f"{host}: rules",
                    not_checkable="a wildcard host: the harness probes named hosts only",
                )
            )
            continue
        out.hosts.append(host)
        protocol = "https" if host in tls_hosts else "http"
        rules = [
            Rule(
                Match(p.get("pathType", "ImplementationSpecific"), p.get("path") or "/"),
                {_svc_port(p.get("backend") or {})[0]: 1},
                obj,
            )
            for p in (rule.get("http") or {}).get("paths") or []
        ]
        for r in rules:
            _route_checks(out, obj, host, protocol, rules, r, target="controller", tls=host in tls_hosts)
    for host, secret in tls_hosts.items():
        if "*" in host:
            continue
        if not secret:
            out.checks.append(
                Check(obj, "tls", f"{host}: TLS", not_checkable="the TLS section names no Secret (controller default)")
            )
            continue
        rules_of_host = [
            Rule(
                Match(p.get("pathType", "Prefix"), p.get("path") or "/"), {_svc_port(p.get("backend") or {})[0]: 1}, obj
            )
            for r in spec.get("rules") or []
            if r.get("host") == host
            for p in (r.get("http") or {}).get("paths") or []
        ]
        path = rules_of_host[0].match.path if rules_of_host else "/"
        hit = route(rules_of_host, path)
        resp: dict[str, Any] = {"certificate": secret, "backend_tls": False}
        if hit is not None and len(hit.backends) == 1:
            resp["backend"] = next(iter(hit.backends))
        else:
            resp["status"] = None
            resp.pop("backend_tls")
        out.hosts.append(host)
        out.checks.append(
            Check(
                obj,
                "tls",
                f"{host} is served Secret {secret}'s certificate; TLS ends at the controller",
                rows=[Expectation(Request("https", host, path), Response(**resp), label=f"TLS {host}{path}")],
                claim="ingress-tls-termination",
            )
        )


def _expect(
    rule: Rule | None,
    own: Rule,
    protocol: str,
    host: str | None,
    path: str,
    why: str,
    out: Plan,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
) -> Expectation:
    rq = Request(protocol, host, path, headers=dict(headers or {}), method=method)
    where = f"{host or '(any host)'}{path}"
    if rule is None:
        own_backend = _backend_name(own, out)
        return Expectation(
            rq,
            Response(status=None, backend=own_backend, reached=False),
            label=f"{where} not answered by {own_backend} ({why})",
        )
    if rule.redirect is not None:
        return Expectation(rq, Response(status=rule.redirect), label=f"{where} -> redirect {rule.redirect} ({why})")
    backend = _backend_name(rule, out)
    return Expectation(
        rq, Response(backend=backend, seen_headers=dict(rule.sets_headers)), label=f"{where} -> {backend} ({why})"
    )


def _backend_name(rule: Rule, out: Plan) -> str:
    live = sorted(s for s, w in rule.backends.items() if w > 0)
    if len(live) == 1:
        return live[0]
    alias = " or ".join(live)
    out.aliases[alias] = live
    return alias


def _route_checks(
    out: Plan, obj: str, host: str | None, protocol: str, rules: list[Rule], r: Rule, *, target: str, tls: bool = False
) -> None:
    m = r.match
    what = f"{host or '(any host)'} {m.path_type} {m.path}"
    if m.path_type == "RegularExpression":
        out.checks.append(
            Check(
                obj,
                "routes",
                what,
                target=target,
                not_checkable="RegularExpression paths are implementation-specific; not modelled",
            )
        )
        return
    headers = dict(m.headers)
    own = route(rules, m.path, headers, m.method or "GET")
    path = m.path + ("?" + "&".join(f"{k}={v}" for k, v in m.query) if m.query else "")
    dest = ", ".join(f"{s}" for s in r.backends) if r.redirect is None else f"redirect {r.redirect}"
    out.checks.append(
        Check(
            obj,
            "routes",
            f"{what} -> {dest}" + (f" (headers {headers})" if headers else "") + (f" ({m.method})" if m.method else ""),
            rows=[_expect(own, r, protocol, host, path, "its own path", out, headers, m.method or "GET")],
            target=target,
            claim="ingress-host-path-routing" if obj.startswith("Ingress") and tls else None,
        )
    )
    semantic = []
    for p, why in probe_paths(m):
        semantic.append(
            _expect(
                route(rules, p, headers, m.method or "GET"), r, protocol, host, p, why, out, headers, m.method or "GET"
            )
        )
    if semantic:
        out.checks.append(Check(obj, "path-type", f"{what}: path type honoured", rows=semantic, target=target))
    if headers:
        out.checks.append(
            Check(
                obj,
                "headers",
                f"{what}: without headers {headers} the rule does not match",
                target=target,
                rows=[
                    _expect(
                        route(rules, m.path, {}, m.method or "GET"),
                        r,
                        protocol,
                        host,
                        path,
                        "header match required",
                        out,
                    )
                ],
            )
        )
    live = {s: w for s, w in r.backends.items()}
    if len(live) > 1 and r.redirect is None:
        total = sum(live.values())
        tol = ", ".join(f"{s} {w / total:.0%} ± {_tolerance(w / total):.0%}" for s, w in live.items()) if total else ""
        out.checks.append(
            Check(
                obj,
                "weights",
                f"{what}: weights {live} over {WEIGHT_REQUESTS} requests",
                target=target,
                rows=[_expect(own, r, protocol, host, path, "weighted", out, headers, m.method or "GET")],
                weights=live,
                tolerance=f"each share within max(5%, 3σ) of its weight: {tol}",
            )
        )


def _tolerance(p: float, n: int = WEIGHT_REQUESTS) -> float:
    """Allowed distance between a backend's measured share and its weight: 3σ of a binomial share, at least 5%."""
    return max(0.05, 3 * math.sqrt(p * (1 - p) / n))


def tolerance(p: float, n: int = WEIGHT_REQUESTS) -> float:
    return _tolerance(p, n)


def _plan_gateway_api(
    docs: list[dict[str, Any]],
    subject: Subject,
    gateways: dict[str, dict[str, Any]],
    served: dict[str, dict[str, Any]],
    out: Plan,
    need_port: Any,
    defined_secrets: set[str],
) -> None:
    supplied: dict[str, GatewayNeed] = {}
    listen_proto = {"HTTPRoute": "HTTP", "GRPCRoute": "HTTP", "TCPRoute": "TCP", "UDPRoute": "UDP", "TLSRoute": "TLS"}
    # listeners of the Gateways this subject serves or the harness supplies:
    # (gateway, listener) -> (protocol, port, hostname)
    listeners: dict[tuple[str, str], tuple[str, int, str | None]] = {}
    for name, gw in served.items():
        for lst in (gw.get("spec") or {}).get("listeners") or []:
            listeners[(name, str(lst.get("name")))] = (str(lst.get("protocol")), lst.get("port"), lst.get("hostname"))
            tls = lst.get("tls") or {}
            for ref in tls.get("certificateRefs") or []:
                if ref.get("name") not in defined_secrets and not any(s.name == ref.get("name") for s in out.secrets):
                    out.secrets.append(
                        SecretNeed(str(ref.get("name")), [lst["hostname"]] if lst.get("hostname") else [])
                    )
    routes = [d for d in out.objects if _gw(d, *ROUTE_KINDS)]
    for rt in routes:
        proto = listen_proto[str(rt["kind"])]
        for ref in (rt.get("spec") or {}).get("parentRefs") or []:
            pname = str(ref.get("name"))
            if pname in gateways:
                continue
            section = ref.get("sectionName") or proto.lower()
            port = ref.get("port") or (subject.gateway_ports or {}).get(proto, (DEFAULT_LISTENER_PORTS[proto], 0))[0]
            g = supplied.setdefault(pname, GatewayNeed(pname, []))
            if not any(n == section for n, _, _ in g.listeners):
                g.listeners.append((section, proto, port))
                listeners[(pname, section)] = (proto, port, None)
    out.gateways.extend(supplied.values())
    # attach routes to listeners and derive their checks
    by_listener: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rt in routes:
        for ref in (rt.get("spec") or {}).get("parentRefs") or []:
            pname = str(ref.get("name"))
            if pname not in served and pname not in supplied:
                continue
            for (gname, lname), (proto, _, _) in listeners.items():
                if gname != pname or (ref.get("sectionName") and ref["sectionName"] != lname):
                    continue
                if _compatible(str(rt["kind"]), proto):
                    by_listener.setdefault((gname, lname), []).append(rt)
    for rt in routes:
        for rule in (rt.get("spec") or {}).get("rules") or []:
            for b in rule.get("backendRefs") or []:
                mode = {"TCPRoute": "tcp", "UDPRoute": "udp", "TLSRoute": "tcp"}.get(str(rt["kind"]), "http")
                need_port(str(b.get("name")), b.get("port", 80), mode, "UDP" if mode == "udp" else "TCP")
    for (gname, lname), attached in by_listener.items():
        proto, port, listener_host = listeners[(gname, lname)]
        target = f"gateway:{gname}:{lname}"
        for kind in ("HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute"):
            of_kind = [r for r in attached if r["kind"] == kind]
            if not of_kind:
                continue
            if kind == "HTTPRoute":
                _plan_http_routes(of_kind, proto, listener_host, target, out)
            elif kind == "TCPRoute":
                for rt in of_kind:
                    for rule in (rt.get("spec") or {}).get("rules") or []:
                        backends = {str(b.get("name")): int(b.get("weight", 1)) for b in rule.get("backendRefs") or []}
                        r = Rule(Match("PathPrefix", "/"), backends, describe(rt))
                        backend = _backend_name(r, out)
                        out.checks.append(
                            Check(
                                describe(rt),
                                "tcp-route",
                                f"TCP on listener {lname} -> {backend}",
                                target=target,
                                rows=[
                                    Expectation(
                                        Request("tcp", port=port),
                                        Response(backend=backend),
                                        label=f"TCP :{port} -> {backend}",
                                    )
                                ],
                                claim="gateway-multi-protocol",
                            )
                        )
            else:
                reason = {
                    "GRPCRoute": "article mode does not derive gRPC checks yet (it would need a gRPC echo backend "
                    "per rule; the claims suites check GRPCRoute: suites/test_gateway_api.py)",
                    "UDPRoute": "article mode does not derive UDP checks yet (the claims suites check UDPRoute with a "
                    "CoreDNS backend: suites/test_gateway_api.py)",
                    "TLSRoute": "TLSRoute checks are not derived yet",
                }[kind]
                for rt in of_kind:
                    out.checks.append(
                        Check(
                            describe(rt), "routes", f"{kind} on listener {lname}", target=target, not_checkable=reason
                        )
                    )


def _compatible(route_kind: str, listener_protocol: str) -> bool:
    return {
        "HTTPRoute": ("HTTP", "HTTPS"),
        "GRPCRoute": ("HTTP", "HTTPS"),
        "TCPRoute": ("TCP",),
        "UDPRoute": ("UDP",),
        "TLSRoute": ("TLS",),
    }[route_kind].__contains__(listener_protocol)


def _plan_http_routes(
    routes: list[dict[str, Any]], proto: str, listener_host: str | None, target: str, out: Plan
) -> None:
    scheme = "https" if proto == "HTTPS" else "http"
    per_host: dict[str | None, list[Rule]] = {}
    for rt in routes:
        hosts = (rt.get("spec") or {}).get("hostnames") or ([listener_host] if listener_host else [None])
        for rule in (rt.get("spec") or {}).get("rules") or []:
            backends = {str(b.get("name")): int(b.get("weight", 1)) for b in rule.get("backendRefs") or []}
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
        if host and "*" in host:
            out.checks.append(
                Check(
                    rules[0].object,
                    "routes",
                    f"{host}: rules",
                    target=target,
                    not_checkable="a wildcard hostname: the harness probes named hosts only",
                )
            )
            continue
        if host:
            out.hosts.append(host)
        for r in rules:
            _route_checks(out, r.object, host, scheme, rules, r, target=target)


def _plan_service(
    svc: dict[str, Any], out: Plan, refs: dict[str, dict[tuple[Any, str], str]], docs: list[dict[str, Any]]
) -> None:
    name = name_of(svc)
    spec = svc.get("spec") or {}
    selector = dict(spec.get("selector") or {})
    referenced = refs.get(name, {})
    ports: list[PortNeed] = []
    for p in spec.get("ports") or []:
        protocol = str(p.get("protocol", "TCP"))
        number = int(p.get("port"))
        by_ref = referenced.get((number, protocol)) or (
            referenced.get((p.get("name"), protocol)) if p.get("name") else None
        )
        if protocol == "UDP":
            mode = "udp"
        elif protocol != "TCP":
            mode = "none"
        elif by_ref:
            mode = by_ref
        elif HTTPISH.match(str(p.get("name") or "")) or str(p.get("appProtocol") or "").startswith(
            ("http", "kubernetes.io/h2c")
        ):
            mode = "http"
        else:
            mode = "tcp"
        ports.append(PortNeed(number, p.get("name"), p.get("targetPort", number), protocol, mode))
    served_by = next(
        (describe(d) for d in docs if d.get("kind") in WORKLOAD_KINDS and selector and _selects(selector, d)), ""
    )
    if selector:
        out.backends.append(BackendNeed(name, selector, ports, define_service=False, served_by_article=served_by))
    if spec.get("type") == "LoadBalancer":
        _plan_lb(svc, ports, out, served_by)


def _selects(selector: dict[str, str], workload: dict[str, Any]) -> bool:
    if workload.get("kind") == "Pod":
        labels = (workload.get("metadata") or {}).get("labels") or {}
    else:
        labels = (((workload.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _plan_lb(svc: dict[str, Any], ports: list[PortNeed], out: Plan, served_by: str) -> None:
    obj = describe(svc)
    name = name_of(svc)
    spec = svc.get("spec") or {}
    cls = spec.get("loadBalancerClass")
    if cls:
        out.checks.append(
            Check(
                obj,
                "lb-address",
                "gets an external address",
                target=f"lb:{name}",
                not_checkable=f"loadBalancerClass {cls} is not implemented in this cluster "
                "(MetalLB serves Services without a class)",
            )
        )
        return
    ann = (svc.get("metadata") or {}).get("annotations") or {}
    cloud = sorted(k for k in ann if "aws" in k or "azure" in k or "gcp" in k or "cloud.google" in k)
    if cloud:
        out.notes.append(f"{obj}: cloud-specific annotations {', '.join(cloud)} have no effect on this cluster")
    out.checks.append(
        Check(
            obj,
            "lb-address",
            "gets an external address from the load-balancer implementation",
            target=f"lb:{name}",
            claim="lb-external-address",
        )
    )
    for p in ports:
        what = f"port {p.port}/{p.protocol} answers"
        if served_by:
            out.checks.append(
                Check(
                    obj,
                    "lb-port",
                    what,
                    target=f"lb:{name}",
                    not_checkable=f"served by the snippet's own {served_by}: the harness identifies "
                    "answering pods on its echo backends only",
                )
            )
        elif p.mode == "udp":
            out.checks.append(
                Check(
                    obj,
                    "lb-port",
                    what,
                    target=f"lb:{name}",
                    not_checkable="article mode does not derive UDP checks yet (suites/test_loadbalancer.py checks UDP "
                    "through a LoadBalancer Service with a CoreDNS backend)",
                )
            )
        elif p.mode == "none":
            out.checks.append(
                Check(
                    obj,
                    "lb-port",
                    what,
                    target=f"lb:{name}",
                    not_checkable=f"protocol {p.protocol} is not probed by the harness",
                )
            )
        elif p.mode == "http":
            out.checks.append(
                Check(
                    obj,
                    "lb-port",
                    f"port {p.port} answers HTTP from {name}",
                    target=f"lb:{name}",
                    rows=[
                        Expectation(
                            Request("http", None, "/", port=p.port),
                            Response(backend=name),
                            label=f"HTTP :{p.port} -> {name}",
                        )
                    ],
                )
            )
        else:
            out.checks.append(
                Check(
                    obj,
                    "lb-port",
                    f"port {p.port}/TCP reaches {name}'s pods",
                    target=f"lb:{name}",
                    rows=[
                        Expectation(
                            Request("tcp", port=p.port), Response(backend=name), label=f"TCP :{p.port} -> {name}"
                        )
                    ],
                    claim="lb-l4-reach",
                )
            )
