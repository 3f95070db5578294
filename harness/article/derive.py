"""A snippet -> what it needs and what it promises, without a cluster.

For one snippet and one subject (a controller of the matrix, described as
data by :class:`Subject`) :func:`plan` says

- which objects to apply, with the class the article names mapped to the
  subject's when no controller of the matrix serves it (and a note saying
  so); cluster-scoped objects: an IngressClass or GatewayClass naming a
  controller of the matrix is applied under a name unique to the test (its
  references renamed with it, :class:`Rename`), any other is not applied,
  with the reason (:class:`ClusterObject`);
- what the snippet needs but does not define: echo backends for every
  Service it names or selects (:class:`BackendNeed`: HTTP, TCP, gRPC, UDP,
  ports and protocols matching, one pod set per selector), Secrets for TLS
  sections (:class:`SecretNeed`, issued by the run's CA), Gateways its
  routes name but it never defines (:class:`GatewayNeed`), address pools it
  names that the run lacks (:class:`PoolNeed`);
- what it asks of the environment, mapped into the run's (a requested
  address, a pool, a sharing key: :mod:`.environment`), with a note for each;
- the checks its objects promise (:class:`Check`), as expectation rows:
  Ingress rules (:mod:`.ingress`), Gateway API routes (:mod:`.gateway`:
  HTTP, gRPC, TCP, UDP; wildcards through a name they cover and one they do
  not), LoadBalancer Services (:mod:`.services`). What cannot be checked
  here is a check with ``not_checkable`` set, never left out; what the YAML
  alone shows cannot hold (a route no Gateway takes) is a check with
  ``unmet`` set.

:func:`bad_snippet` (:mod:`.bad`) says why a snippet cannot be checked at
all; :func:`subjects` (:mod:`.subjects`) which subjects check it. The names
below are this package's public API (the run side imports them from here).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from harness.article import schema
from harness.article.bad import bad_snippet, ingress_backends, unsuppliable
from harness.article.environment import Allocator, Environment
from harness.article.extract import Snippet
from harness.article.gateway import listener_port, plan_gateway_api
from harness.article.ingress import plan_ingresses
from harness.article.matching import (
    GrpcMatch,
    GrpcRule,
    Match,
    Rule,
    covers,
    grpc_route,
    prefix_matches,
    probe_paths,
    route,
    tolerance,
)
from harness.article.model import (
    CLUSTER_SUBJECT,
    DEFAULT_LISTENER_PORTS,
    GATEWAY_API,
    HTTPISH,
    LB_SUBJECT,
    PROBE_SUFFIX,
    ROUTE_KINDS,
    WEIGHT_REQUESTS,
    WORKLOAD_KINDS,
    AddressWant,
    BackendNeed,
    Check,
    ClusterObject,
    GatewayNeed,
    Kind,
    Mode,
    Plan,
    PoolNeed,
    PortNeed,
    Rename,
    SecretNeed,
    Subject,
    annotations_of,
    describe,
    is_gateway_api,
    is_ingress,
    is_kind,
    is_lb,
    is_service,
    name_of,
    spec_of,
)
from harness.article.services import lb_checks, replace_target, service_need, share_pods, shared_checks, supplied_needs
from harness.article.subjects import (
    defined_gateway_classes,
    defined_ingress_classes,
    gateway_subjects,
    gateways,
    ingress_class,
    ingress_subjects,
    subjects,
)

__all__ = [
    "CLUSTER_SUBJECT",
    "DEFAULT_LISTENER_PORTS",
    "GATEWAY_API",
    "HTTPISH",
    "LB_SUBJECT",
    "PROBE_SUFFIX",
    "ROUTE_KINDS",
    "WEIGHT_REQUESTS",
    "WORKLOAD_KINDS",
    "AddressWant",
    "Allocator",
    "BackendNeed",
    "Check",
    "ClusterObject",
    "Environment",
    "GatewayNeed",
    "GrpcMatch",
    "GrpcRule",
    "Kind",
    "Match",
    "Mode",
    "Plan",
    "PoolNeed",
    "PortNeed",
    "Rename",
    "Rule",
    "SecretNeed",
    "Subject",
    "bad_snippet",
    "covers",
    "describe",
    "gateway_subjects",
    "grpc_route",
    "ingress_backends",
    "ingress_class",
    "ingress_subjects",
    "name_of",
    "plan",
    "prefix_matches",
    "probe_paths",
    "replace_target",
    "route",
    "subjects",
    "tolerance",
    "unsuppliable",
]

DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


def plan(
    snippet: Snippet,
    subject: Subject | None,
    matrix: list[Subject],
    known: Mapping[str, Iterable[str]],
    addresses: Allocator | None = None,
    scope: str | None = None,
) -> Plan:
    """What to provision, apply and check for ``snippet`` on ``subject``
    (None for the controller-independent subjects). ``addresses`` maps what
    the snippet asks of the load-balancer environment into the run's; without
    it such checks are not checkable. ``scope`` names the test the plan is
    for (default: the snippet's line): within one scope a requested address
    always maps to the same address of the run (versions of one object share
    the scope of their chain)."""
    docs = snippet.docs
    out = Plan(subject=subject.name if subject else (LB_SUBJECT if any(is_lb(d) for d in docs) else CLUSTER_SUBJECT))
    scope = f"{scope or snippet.id}-{out.subject}"
    all_gateways = gateways(docs)
    defined_services = {name_of(d) for d in docs if is_service(d)}
    defined_secrets = {name_of(d) for d in docs if is_kind(d, "Secret", "")}
    own_ingress = defined_ingress_classes(docs)
    own_gateway = defined_gateway_classes(docs)
    refs: dict[str, dict[tuple[Any, str], str]] = {}  # Service -> {(port, protocol): mode}

    def need_port(svc: str, port: Any, mode: str, protocol: str = "TCP") -> None:
        refs.setdefault(svc, {})[(port, protocol)] = mode

    # -- objects, with classes mapped -----------------------------------------------------
    served_ingresses: list[dict[str, Any]] = []
    served_gateways: dict[str, dict[str, Any]] = {}
    applied_classes: set[tuple[str, str]] = set()
    unservable: dict[tuple[str, str], str] = {}  # (Gateway, listener) -> why this subject cannot serve it
    for doc in docs:
        if _cluster_scoped(doc):
            co = _cluster_object(doc, subject, matrix)
            out.cluster_objects.append(co)
            if co.applied:
                what = "ingress-class" if doc["kind"] == "IngressClass" else "gateway-class"
                out.renames.append(Rename(what, name_of(doc)))
                applied_classes.add((str(doc["kind"]), name_of(doc)))
                out.notes.append(f"{describe(doc)}: applied under a name unique to the test (served by {co.subject})")
                if doc["kind"] == "GatewayClass":
                    out.checks.append(
                        Check(
                            describe(doc),
                            Kind.CLASS.value,
                            f"is accepted by {co.subject}'s controller (status Accepted)",
                            target=f"gatewayclass:{name_of(doc)}",
                        )
                    )
            else:
                out.not_applied.append(f"{describe(doc)}: {co.reason}")
            continue
        doc = copy.deepcopy(doc)
        if not isinstance(doc.get("spec"), dict) and "spec" in doc:
            doc["spec"] = {}  # spec: null
        md = doc.setdefault("metadata", {})
        if md.get("namespace"):
            out.notes.append(f"{describe(doc)}: namespace {md['namespace']} replaced by the test's own")
            md.pop("namespace")
        if is_ingress(doc) and subject is not None:
            cls = ingress_class(doc)
            subs, mapped, _ = ingress_subjects(cls, matrix, known.get("ingress", ()), own_ingress)
            if any(s.name == subject.name for s in subs):
                if mapped:
                    doc.setdefault("spec", {})["ingressClassName"] = subject.ingress_class
                    (md.get("annotations") or {}).pop("kubernetes.io/ingress.class", None)
                    out.notes.append(
                        f"{describe(doc)}: class {cls or '(none named)'} is served by no controller of the harness; "
                        f"the harness mapped it to {subject.name}'s class {subject.ingress_class}"
                    )
                served_ingresses.append(doc)
            else:
                out.notes.append(f"{describe(doc)}: class {cls} is not {subject.name}'s; applied, checked elsewhere")
        if is_gateway_api(doc, "Gateway") and subject is not None:
            cls = spec_of(doc).get("gatewayClassName")
            subs, mapped, _ = gateway_subjects(cls, matrix, known.get("gateway", ()), own_gateway)
            if any(s.name == subject.name for s in subs):
                if mapped:
                    doc.setdefault("spec", {})["gatewayClassName"] = subject.gateway_class
                    out.notes.append(
                        f"{describe(doc)}: GatewayClass {cls} is served by no controller of the harness; the harness "
                        f"mapped it to {subject.name}'s class {subject.gateway_class}"
                    )
                taken: dict[tuple[Any, str, Any], str] = {}  # (port, protocol, hostname) -> listener
                for lst in spec_of(doc).get("listeners") or []:
                    mapped_port = listener_port(subject, str(lst.get("protocol")), lst.get("port"))
                    key = (mapped_port, str(lst.get("protocol")), lst.get("hostname"))
                    if key in taken and mapped_port != lst.get("port"):
                        unservable[(name_of(doc), str(lst.get("name")))] = (
                            f"{subject.name} listens for {lst.get('protocol')} on port {mapped_port} only, which "
                            f"listener {taken[key]} of the same Gateway takes"
                        )
                        continue
                    taken[key] = str(lst.get("name"))
                    if mapped_port != lst.get("port"):
                        out.notes.append(
                            f"{describe(doc)}: listener {lst.get('name')} port {lst.get('port')} mapped to "
                            f"{mapped_port}, the port {subject.name} listens on for {lst.get('protocol')}"
                        )
                        lst["port"] = mapped_port
                served_gateways[name_of(doc)] = doc
        out.objects.append(doc)

    # -- routing ----------------------------------------------------------------------------
    plan_ingresses(served_ingresses, out, need_port, defined_secrets)
    if subject is not None and (served_gateways or any(is_gateway_api(d, *ROUTE_KINDS) for d in docs)):
        plan_gateway_api(docs, subject, all_gateways, served_gateways, out, need_port, defined_secrets, unservable)
    # -- Services: the snippet's, then those it only names; one pod set per selector -----------
    copies = [d for d in out.objects if is_service(d)]
    needs = {name_of(d): service_need(d, refs, docs) for d in copies}
    supplied = supplied_needs(refs, defined_services)
    all_needs = [n for n in needs.values() if n.selector] + supplied
    share_pods(all_needs)
    out.backends.extend(all_needs)
    for d in copies:
        if is_lb(d):
            lb_checks(d, needs[name_of(d)], out, addresses, scope)
    shared_checks([d for d in copies if is_lb(d)], out)
    for n in supplied:
        out.notes.append(
            f"Service {n.service}: named but not defined by the snippet; the harness supplied it (echo pods)"
        )
    for n in all_needs:
        if n.pods_from:
            out.notes.append(f"Service {n.service}: selects the pods of Service {n.pods_from} (same selector)")
    for g in out.gateways:
        out.notes.append(
            f"Gateway {g.name}: named by a route but not defined by the snippet; the harness supplied it "
            f"({', '.join(f'{n} {p}/{port}' for n, p, port in g.listeners)})"
        )
    for s in out.secrets:
        out.notes.append(f"Secret {s.name}: issued by the run's CA for {', '.join(s.hosts) or 'no host'}")
    out.hosts = sorted({h for h in out.hosts + _hostnames(out.objects) if h})
    return out


def _cluster_scoped(doc: dict[str, Any]) -> bool:
    api_version, kind = str(doc["apiVersion"]), str(doc["kind"])
    return schema.builtin_scope(api_version, kind) == "cluster" or (
        kind == "GatewayClass" and api_version.startswith(GATEWAY_API)
    )


def _cluster_object(doc: dict[str, Any], subject: Subject | None, matrix: list[Subject]) -> ClusterObject:
    obj = describe(doc)
    spec = spec_of(doc)
    if is_kind(doc, "IngressClass", "networking.k8s.io") or is_gateway_api(doc, "GatewayClass"):
        ingress = doc["kind"] == "IngressClass"
        controller = str(spec.get("controller" if ingress else "controllerName", ""))
        if ingress and str(annotations_of(doc).get(DEFAULT_CLASS_ANNOTATION, "")).lower() == "true":
            return ClusterObject(
                obj,
                doc,
                False,
                "cluster-scoped, not applied: it marks itself the cluster's default class, and on a cluster other "
                "tests share that would change every Ingress that names no class (its Ingresses are mapped like a "
                "class no controller serves)",
            )
        serving = [
            s
            for s in matrix
            if controller and controller == (s.ingress_controller if ingress else s.gateway_controller)
        ]
        if subject is not None and subject in serving:
            return ClusterObject(obj, doc, True, subject=subject.name)
        if serving:
            return ClusterObject(
                obj, doc, False, f"cluster-scoped, not applied here: controller {controller} is {serving[0].name}'s"
            )
        return ClusterObject(
            obj,
            doc,
            False,
            f"cluster-scoped, not applied: its controller {controller or '(none)'} is no controller of this run "
            "(the objects naming it are mapped to each controller's own class)",
        )
    return ClusterObject(
        obj,
        doc,
        False,
        "cluster-scoped, not applied (the harness applies only namespaced objects, in the test's own namespace)",
    )


def _hostnames(objects: list[dict[str, Any]]) -> list[str]:
    """Every hostname the objects carry (made unique to the test by the run)."""
    out: list[str] = []
    for d in objects:
        spec = spec_of(d)
        if is_ingress(d):
            out += [str(r.get("host")) for r in spec.get("rules") or [] if r.get("host")]
            out += [str(h) for t in spec.get("tls") or [] for h in t.get("hosts") or []]
        elif is_gateway_api(d, "Gateway"):
            out += [str(lst.get("hostname")) for lst in spec.get("listeners") or [] if lst.get("hostname")]
        elif is_gateway_api(d, *ROUTE_KINDS):
            out += [str(h) for h in spec.get("hostnames") or []]
    return out
