"""The rules: pure functions from a :class:`Snapshot` to :class:`Finding`s,
each a cause in the guide's vocabulary with its evidence and the fix.

The guide's troubleshooting section names the causes: "Connections reach the
Service but not pods: check selectors and targetPorts; verify health checks",
"Ingress not picking up rules: ensure ingressClassName or default class
exists; check controller logs", "wrong LB type created: set the correct
annotations/loadBalancerClass". The rules name those, and the neighbours an
operator meets on the way (a TLS Secret that is missing or unusable, a
backend port that does not exist, a Gateway or route a controller rejected).

A rule that lacks what it needs (a list RBAC forbade) says nothing: the
snapshot's ``unreadable`` says what could not be read, nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from .snapshot import ROUTE_KINDS, Snapshot, ingress_backends
from .source import selector_matches

# cause id -> the cause in the guide's vocabulary
CAUSES = {
    "selector-matches-no-pod": "selector matches no pod",
    "targetport-not-declared": "targetPort not declared by the pods",
    "pods-not-ready": "pods not ready (health checks)",
    "no-endpoints": "Service without selector has no endpoints",
    "no-ingressclass": "no IngressClass named in the Ingress exists",
    "no-default-class": "no default IngressClass and the Ingress names none",
    "class-not-set": "the Ingress names no class and the default was not applied to it",
    "class-not-served": "no controller serves the Ingress's class",
    "tls-secret-missing": "TLS Secret missing",
    "tls-secret-wrong-type": "TLS Secret of the wrong type",
    "tls-secret-unreadable": "TLS Secret unreadable",
    "tls-host-not-covered": "TLS certificate does not cover the host",
    "backend-service-missing": "backend Service does not exist",
    "backend-port-missing": "backend Service port does not exist",
    "lb-allocation-failed": "the load-balancer implementation refused the Service",
    "lb-class-unserved": "loadBalancerClass nobody serves",
    "no-lb-implementation": "no LoadBalancer implementation",
    "gatewayclass-missing": "no GatewayClass of that name",
    "gatewayclass-not-accepted": "no controller serves the GatewayClass",
    "gateway-not-accepted": "Gateway not accepted",
    "listener-not-valid": "Gateway listener not valid",
    "parent-gateway-missing": "parent Gateway does not exist",
    "route-not-accepted": "route not accepted",
    "route-refs-unresolved": "route references not resolved",
    "route-not-processed": "no controller processed the route",
}

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class Finding:
    cause: str  # a key of CAUSES
    subject: str  # the object it is about: "Service shop/web"
    summary: str  # one line, in the guide's vocabulary, with the specifics
    evidence: tuple[str, ...]
    fix: str

    @property
    def title(self) -> str:
        return CAUSES[self.cause]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "title": self.title, "evidence": list(self.evidence)}


def find(snap: Snapshot) -> list[Finding]:
    """Every cause the snapshot shows for its target, most fundamental first."""
    target = snap.target
    ns = snap.namespace
    if snap.kind == "Service":
        return service(snap, snap.name, ns)
    if snap.kind == "Ingress":
        return ingress(snap, target, ns)
    if snap.kind == "Gateway":
        return gateway(snap, target, ns)
    if snap.kind in ROUTE_KINDS:
        return route(snap, target, ns)
    raise ValueError(f"no rules for {snap.kind}")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _md(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _ready(pod: dict[str, Any]) -> bool:
    conds = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def _live(pods: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        p
        for p in pods
        if not _md(p).get("deletionTimestamp") and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]


def _selector_text(selector: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _container_ports(pods: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [cp for p in pods for c in (p.get("spec") or {}).get("containers") or [] for cp in c.get("ports") or []]


def _ports_text(ports: list[dict[str, Any]]) -> str:
    seen = sorted({(cp.get("name") or "", cp["containerPort"]) for cp in ports}, key=lambda x: x[1])
    return ", ".join(f"{n}={p}" if n else str(p) for n, p in seen) or "none"


def _event_lines(events: list[dict[str, Any]], warnings_only: bool = False) -> list[str]:
    out = []
    for e in events:
        if warnings_only and e.get("type") != "Warning":
            continue
        who = (e.get("source") or {}).get("component") or e.get("reportingComponent") or e.get("reportingController")
        count = f" (x{e['count']})" if (e.get("count") or 1) > 1 else ""
        out.append(f"event {e.get('type')} {e.get('reason')}{count} from {who or 'unknown'}: {e.get('message', '')}")
    return out


def _has_address(obj: dict[str, Any]) -> bool:
    lb = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return any(i.get("ip") or i.get("hostname") for i in lb)


def _address(obj: dict[str, Any]) -> str:
    lb = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ", ".join(i.get("ip") or i.get("hostname") for i in lb if i.get("ip") or i.get("hostname"))


# --------------------------------------------------------------------------
# Service: selectors, targetPorts, health checks, load balancer
# --------------------------------------------------------------------------


def service(snap: Snapshot, name: str, ns: str) -> list[Finding]:
    svc = snap.get("Service", name, ns)
    if svc is None:
        return []
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return []
    subject = f"Service {ns}/{name}"
    out = _pods_behind(snap, svc, subject, ns)
    if spec.get("type") == "LoadBalancer":
        out += _load_balancer(snap, svc, subject, ns)
    return out


def _pods_behind(snap: Snapshot, svc: dict[str, Any], subject: str, ns: str) -> list[Finding]:
    spec = svc.get("spec") or {}
    selector = spec.get("selector") or {}
    if not selector:
        slices = snap.items("EndpointSlice", ns, f"kubernetes.io/service-name={_md(svc)['name']}")
        if slices is not None and not any(s.get("endpoints") for s in slices):
            return [
                Finding(
                    "no-endpoints",
                    subject,
                    f"{subject} has no selector and no endpoints: nothing receives its traffic",
                    ("spec.selector: none", "EndpointSlices: none with endpoints"),
                    "give the Service a selector matching the pods' labels, or create its EndpointSlice",
                )
            ]
        return []
    pods = snap.items("Pod", ns)
    if pods is None:
        return []
    live = _live(pods)
    matched = [p for p in live if selector_matches(selector, _md(p).get("labels"))]
    sel = _selector_text(selector)
    if not matched:
        near = sorted(
            {
                f"{k}={_md(p).get('labels', {}).get(k)}"
                for p in live
                for k in selector
                if k in (_md(p).get("labels") or {})
            }
        )
        evidence = [f"spec.selector: {sel}", f"{len(live)} running pods in {ns}, none labelled {sel}"]
        if near:
            evidence.append(f"labels the pods do carry under those keys: {', '.join(near)}")
        return [
            Finding(
                "selector-matches-no-pod",
                subject,
                f"the selector of {subject} ({sel}) matches no pod: the Service has no endpoints",
                tuple(evidence),
                "set spec.selector to the labels of the pods that should serve it"
                + (f" (e.g. {near[0]})" if near else "")
                + f": kubectl -n {ns} get pods --show-labels",
            )
        ]
    out = []
    declared = _container_ports(matched)
    for port in spec.get("ports") or []:
        tp = port.get("targetPort", port.get("port"))
        label = f"port {port.get('name') + ' ' if port.get('name') else ''}{port.get('port')} -> targetPort {tp!r}"
        if isinstance(tp, str):
            names = {cp.get("name") for cp in declared}
            if tp not in names:
                out.append(
                    Finding(
                        "targetport-not-declared",
                        subject,
                        f"{subject} {label}: no container port of its pods is named {tp!r}, so no pod is an endpoint "
                        "for it",
                        (f"spec.ports: {label}", f"ports the selected pods declare: {_ports_text(declared)}"),
                        f"set targetPort to a port name or number the pods declare ({_ports_text(declared)}), or name "
                        f"the container port {tp!r}",
                    )
                )
        elif declared and tp not in {cp["containerPort"] for cp in declared}:
            out.append(
                Finding(
                    "targetport-not-declared",
                    subject,
                    f"{subject} {label}: the pods declare no port {tp}, so connections reach the pods on a port "
                    "they do not listen on",
                    (f"spec.ports: {label}", f"ports the selected pods declare: {_ports_text(declared)}"),
                    f"set targetPort to the port the container listens on ({_ports_text(declared)})",
                )
            )
    ready = [p for p in matched if _ready(p)]
    if not ready:
        evidence = [f"{len(matched)} pods match {sel}, none is Ready"]
        for p in matched[:5]:
            evidence.append(f"pod {_md(p)['name']}: {_pod_state(p)}")
            evidence += _event_lines(snap.events("Pod", _md(p)["name"], ns), warnings_only=True)[-2:]
        out.append(
            Finding(
                "pods-not-ready",
                subject,
                f"the pods behind {subject} are not ready (health checks): no ready endpoint receives traffic",
                tuple(evidence),
                "make the readiness probe match what the container serves (path, port, scheme), or fix the "
                f"container it reports on: kubectl -n {ns} describe pod {_md(matched[0])['name']}",
            )
        )
    return out


def _pod_state(pod: dict[str, Any]) -> str:
    status = pod.get("status") or {}
    parts = [status.get("phase") or "unknown phase"]
    for cs in status.get("containerStatuses") or []:
        st = cs.get("state") or {}
        if st.get("waiting"):
            parts.append(f"{cs['name']} waiting: {st['waiting'].get('reason')}")
        elif st.get("terminated"):
            parts.append(f"{cs['name']} terminated: {st['terminated'].get('reason')}")
        elif not cs.get("ready"):
            parts.append(f"{cs['name']} running, not ready")
        if cs.get("restartCount"):
            parts.append(f"{cs['restartCount']} restarts")
    for c in (pod.get("spec") or {}).get("containers") or []:
        rp = c.get("readinessProbe")
        if rp:
            how = next((k for k in ("httpGet", "tcpSocket", "exec", "grpc") if k in rp), "probe")
            detail = rp.get(how) or {}
            where = f"{detail.get('path', '')} port {detail.get('port')}" if isinstance(detail, dict) else ""
            parts.append(f"readinessProbe {how} {where}".strip())
    return "; ".join(parts)


def _load_balancer(snap: Snapshot, svc: dict[str, Any], subject: str, ns: str) -> list[Finding]:
    if _has_address(svc):
        return []
    name = _md(svc)["name"]
    cls = (svc.get("spec") or {}).get("loadBalancerClass")
    warnings = _event_lines(snap.events("Service", name, ns), warnings_only=True)
    if warnings:
        return [
            Finding(
                "lb-allocation-failed",
                subject,
                f"{subject} is pending: the load-balancer implementation did not give it an address",
                ("status.loadBalancer: no address", *warnings[-3:]),
                "do what the event says (the address pool the Service's annotations name, the address it requests, "
                "a pool with free addresses), then the implementation retries by itself",
            )
        ]
    everything = snap.items("Service")
    if everything is None:
        return []
    lbs = [s for s in everything if (s.get("spec") or {}).get("type") == "LoadBalancer"]
    served_classes = {(s.get("spec") or {}).get("loadBalancerClass") for s in lbs if _has_address(s)}
    classless = [s for s in lbs if _has_address(s) and not (s.get("spec") or {}).get("loadBalancerClass")]
    if cls:
        if cls in served_classes:
            return []
        evidence = [
            f"spec.loadBalancerClass: {cls}",
            "status.loadBalancer: no address, and no event from a load-balancer implementation",
            f"no Service of class {cls} in the cluster has an address",
        ]
        if classless:
            evidence.append(
                f"{len(classless)} LoadBalancer Services without a class do (e.g. "
                f"{_md(classless[0]).get('namespace')}/{_md(classless[0])['name']}: {_address(classless[0])}): "
                "an implementation runs, for the default class"
            )
        return [
            Finding(
                "lb-class-unserved",
                subject,
                f"{subject} asks for loadBalancerClass {cls}, which no load-balancer implementation in the cluster "
                "serves: it stays pending",
                tuple(evidence),
                "loadBalancerClass cannot be changed: delete the Service and create it without loadBalancerClass (or "
                f"with a class an implementation serves), or install the implementation of {cls}",
            )
        ]
    if served_classes - {None} or classless:
        return []  # an implementation serves the default class; it may simply not have got to this one yet
    return [
        Finding(
            "no-lb-implementation",
            subject,
            f"{subject} is pending: no load-balancer implementation runs in this cluster",
            (
                "status.loadBalancer: no address, and no event from a load-balancer implementation",
                f"none of the {len(lbs)} LoadBalancer Services of the cluster has an address",
            ),
            "install a load-balancer implementation (the cloud provider's controller, or MetalLB, kube-vip, ... on "
            "bare metal and kind), or expose the Service another way (NodePort, an Ingress)",
        )
    ]


# --------------------------------------------------------------------------
# Ingress: class, controller, TLS, backends
# --------------------------------------------------------------------------

# Controllers whose controller name is built into their binary (not in their
# arguments): how to recognise their pods. Any other controller is recognised
# by its name appearing in a running pod's arguments (--controller-class=...).
KNOWN_CONTROLLERS: dict[str, tuple[tuple[str, str], ...]] = {
    # controller -> (image substring, flag the container must be given; "" for none)
    "traefik.io/ingress-controller": (("traefik", "--providers.kubernetesingress"),),
    "nginx.org/ingress-controller": (("nginx-ingress", ""), ("nginx-plus-ingress", "")),
    "k8s.io/ingress-nginx": (("ingress-nginx/controller", ""),),
}


def _has_flag(args: list[str], flag: str) -> bool:
    return any(a == flag or (a.startswith(flag + "=") and a != flag + "=false") for a in args)


def _serves(pod: dict[str, Any], controller: str) -> bool:
    """Whether ``pod`` runs a controller named ``controller``: the name in its
    arguments (``--controller-class=...``), or a known image and flag."""
    for c in (pod.get("spec") or {}).get("containers") or []:
        args = [a.lower() for a in (c.get("args") or []) + (c.get("command") or [])]
        if controller and any(controller.lower() in a for a in args):
            return True
        image = (c.get("image") or "").lower()
        if any(
            img in image and (not flag or _has_flag(args, flag)) for img, flag in KNOWN_CONTROLLERS.get(controller, ())
        ):
            return True
    return False


def ingress(snap: Snapshot, ing: dict[str, Any], ns: str) -> list[Finding]:
    name = _md(ing)["name"]
    subject = f"Ingress {ns}/{name}"
    out = _ingress_class(snap, ing, subject)
    out += _ingress_tls(snap, ing, subject, ns)
    out += _ingress_backends(snap, ing, subject, ns)
    return out


def _ingress_class(snap: Snapshot, ing: dict[str, Any], subject: str) -> list[Finding]:
    spec = ing.get("spec") or {}
    by_annotation = (_md(ing).get("annotations") or {}).get(INGRESS_CLASS_ANNOTATION)
    wanted = spec.get("ingressClassName") or by_annotation
    classes = snap.items("IngressClass")
    if classes is None:
        return []
    by_name = {_md(c)["name"]: c for c in classes}
    listing = ", ".join(f"{n} ({(c.get('spec') or {}).get('controller')})" for n, c in sorted(by_name.items()))
    field = "spec.ingressClassName" if spec.get("ingressClassName") else f"annotation {INGRESS_CLASS_ANNOTATION}"
    if wanted and wanted not in by_name:
        if _has_address(ing):
            return []  # a controller serves the class by name (legacy --ingress-class), without an IngressClass
        return [
            Finding(
                "no-ingressclass",
                subject,
                f"{subject} names class {wanted!r}, and no IngressClass of that name exists: no controller picks up "
                "its rules",
                (f"{field}: {wanted}", f"IngressClasses in the cluster: {listing or 'none'}"),
                "set spec.ingressClassName to the class of a controller that runs "
                f"({', '.join(sorted(by_name)) or 'none'}); it can be changed in place",
            )
        ]
    defaults = sorted(
        n for n, c in by_name.items() if (_md(c).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    )
    if not wanted:
        if _has_address(ing):
            return []
        if not defaults:
            return [
                Finding(
                    "no-default-class",
                    subject,
                    f"{subject} names no IngressClass and the cluster has no default class: no controller picks up "
                    "its rules",
                    ("spec.ingressClassName: not set", f"IngressClasses: {listing or 'none'}, none marked default"),
                    f"set spec.ingressClassName (one of: {', '.join(sorted(by_name)) or 'none'}), or mark a class "
                    f'default with the annotation {DEFAULT_CLASS_ANNOTATION}: "true" and re-create the Ingress (the '
                    "default is filled in when an Ingress is created)",
                )
            ]
        return [
            Finding(
                "class-not-set",
                subject,
                f"{subject} names no IngressClass; the default class {defaults[0]} is filled in only when an Ingress "
                "is created, and controllers skip class-less Ingresses unless told to watch them",
                ("spec.ingressClassName: not set", f"default IngressClass now: {', '.join(defaults)}"),
                f"set spec.ingressClassName: {defaults[0]}",
            )
        ]
    return _class_served(snap, ing, subject, wanted, by_name[wanted] if wanted in by_name else None)


def _class_served(
    snap: Snapshot, ing: dict[str, Any], subject: str, cls: str, ingress_class: dict[str, Any] | None
) -> list[Finding]:
    if _has_address(ing) or ingress_class is None:
        return []
    ns = _md(ing).get("namespace") or snap.namespace
    controller = (ingress_class.get("spec") or {}).get("controller", "")
    evidence = [f"IngressClass {cls}: controller {controller}", "status.loadBalancer: no address"]
    others = snap.items("Ingress")
    if others is not None:
        served = [
            o
            for o in others
            if _has_address(o)
            and (
                (o.get("spec") or {}).get("ingressClassName")
                or (_md(o).get("annotations") or {}).get(INGRESS_CLASS_ANNOTATION)
            )
            == cls
        ]
        if served:
            return []
        evidence.append(f"no Ingress of class {cls} in the cluster has an address")
    events = snap.events("Ingress", _md(ing)["name"], ns)
    if events:
        return []  # a controller wrote about it: it sees the Ingress
    evidence.append("no controller wrote an event about this Ingress")
    pods = snap.items("Pod")
    if pods is None:
        return []  # cannot look for the controller's pods: say nothing rather than guess
    running = [p for p in _live(pods) if _serves(p, controller)]
    if any(_ready(p) for p in running):
        return []
    if running:
        evidence.append(
            "pods of controller "
            + controller
            + " exist but none is ready: "
            + ", ".join(f"{_md(p).get('namespace')}/{_md(p)['name']} ({_pod_state(p)})" for p in running[:3])
        )
    else:
        evidence.append(f"no running pod of the cluster is a controller for {controller}")
    served_classes = sorted(
        _md(c)["name"]
        for c in snap.items("IngressClass") or []
        if any(_ready(p) and _serves(p, (c.get("spec") or {}).get("controller", "")) for p in _live(pods))
    )
    return [
        Finding(
            "class-not-served",
            subject,
            f"no controller serves class {cls} ({controller}): {subject}'s rules are picked up by nobody",
            tuple(evidence),
            f"install or start the controller for {controller}, or set spec.ingressClassName to a class a running "
            f"controller serves ({', '.join(served_classes) or 'none found'}); then check that controller's logs",
        )
    ]


def _ingress_tls(snap: Snapshot, ing: dict[str, Any], subject: str, ns: str) -> list[Finding]:
    out = []
    for i, tls in enumerate((ing.get("spec") or {}).get("tls") or []):
        secret = tls.get("secretName")
        if secret:
            out += tls_secret(snap, subject, f"spec.tls[{i}].secretName", secret, ns, tls.get("hosts") or [])
    return out


def tls_secret(snap: Snapshot, subject: str, field: str, name: str, ns: str, hosts: list[str]) -> list[Finding]:
    if not snap.known("Secret", name, ns):
        return []
    s = snap.get("Secret", name, ns)
    where = f"{field}: {name}"
    if s is None:
        return [
            Finding(
                "tls-secret-missing",
                subject,
                f"TLS Secret {name} of {subject} does not exist in namespace {ns}: the controller serves its default "
                "certificate (or refuses the handshake) for " + (", ".join(hosts) or "its hosts"),
                (where, f"no Secret {name} in namespace {ns} (a Secret of another namespace is not used)"),
                f"create it in {ns}: kubectl -n {ns} create secret tls {name} --cert=CERT.pem --key=KEY.pem",
            )
        ]
    keys = s.get("keys") or []
    if s.get("type") != "kubernetes.io/tls" and not {"tls.crt", "tls.key"} <= set(keys):
        return [
            Finding(
                "tls-secret-wrong-type",
                subject,
                f"Secret {ns}/{name} of {subject} is not a TLS Secret (type {s.get('type')}, keys "
                f"{', '.join(keys) or 'none'}): controllers read tls.crt and tls.key",
                (where, f"type: {s.get('type')}", f"keys: {', '.join(keys) or 'none'}"),
                f"re-create it as a TLS Secret: kubectl -n {ns} delete secret {name}; kubectl -n {ns} create secret "
                f"tls {name} --cert=CERT.pem --key=KEY.pem",
            )
        ]
    cert = s.get("certificate") or {}
    problems = []
    if "tls.key" not in keys:
        problems.append("it has no tls.key")
    if cert.get("error"):
        problems.append(cert["error"])
    if cert.get("key_error"):
        problems.append(cert["key_error"])
    if cert.get("key_matches") is False:
        problems.append("tls.key is not the key of the certificate in tls.crt")
    if problems:
        return [
            Finding(
                "tls-secret-unreadable",
                subject,
                f"TLS Secret {ns}/{name} of {subject} cannot be used: {'; '.join(problems)}",
                (where, *problems),
                f"put a PEM certificate chain in tls.crt and its unencrypted PEM key in tls.key: kubectl -n {ns} "
                f"create secret tls {name} --cert=CERT.pem --key=KEY.pem --dry-run=client -o yaml | kubectl apply -f -",
            )
        ]
    names = cert.get("dns_names") or []
    uncovered = [h for h in hosts if not any(_covers(n, h) for n in names)]
    if uncovered:
        return [
            Finding(
                "tls-host-not-covered",
                subject,
                f"the certificate in {ns}/{name} does not cover {', '.join(uncovered)}: clients reject it",
                (where, f"certificate names: {', '.join(names) or 'none'} ({cert.get('subject')})"),
                f"issue a certificate for {', '.join(uncovered)} and put it in Secret {name}",
            )
        ]
    return []


def _covers(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest.lower() == pattern[2:].lower()
    return pattern.lower() == host.lower()


def _ingress_backends(snap: Snapshot, ing: dict[str, Any], subject: str, ns: str) -> list[Finding]:
    out: list[Finding] = []
    judged: set[str] = set()
    for b in ingress_backends(ing):
        ref = b.get("service")
        if not ref:
            continue
        port = ref.get("port") or {}
        out += backend(snap, subject, ref["name"], ns, port.get("number") or port.get("name"), judged)
    return out


def backend(
    snap: Snapshot, subject: str, name: str, ns: str, port: int | str | None, judged: set[str]
) -> list[Finding]:
    """A Service an Ingress or route sends to: exists, has the port, has pods behind it."""
    if not snap.known("Service", name, ns):
        return []
    svc = snap.get("Service", name, ns)
    if svc is None:
        if f"missing {name}" in judged:
            return []
        judged.add(f"missing {name}")
        return [
            Finding(
                "backend-service-missing",
                subject,
                f"{subject} sends to Service {name}, which does not exist in namespace {ns}",
                (f"backend: {name} port {port}", f"no Service {name} in {ns}"),
                f"create Service {name} in {ns}, or point the backend at an existing Service",
            )
        ]
    out = []
    ports = (svc.get("spec") or {}).get("ports") or []
    has = [p.get("port") for p in ports] if isinstance(port, int) else [p.get("name") for p in ports]
    if port is not None and port not in has and f"port {name} {port}" not in judged:
        judged.add(f"port {name} {port}")
        listing = ", ".join(f"{p.get('name')}={p.get('port')}" if p.get("name") else str(p.get("port")) for p in ports)
        by = "number" if isinstance(port, int) else "name"
        out.append(
            Finding(
                "backend-port-missing",
                subject,
                f"{subject} sends to port {port!r} of Service {name}, which has no port of that {by}",
                (f"backend: {name} port {by} {port!r}", f"ports of Service {name}: {listing or 'none'}"),
                f"point the backend at a port the Service has ({listing or 'none'}), or add that port to the Service",
            )
        )
    if name not in judged:
        judged.add(name)
        out += service(snap, name, ns)
    return out


# --------------------------------------------------------------------------
# Gateway API
# --------------------------------------------------------------------------


def _conditions(obj_or_entry: dict[str, Any], generation: int | None = None) -> dict[str, dict[str, Any]]:
    conds = obj_or_entry.get("conditions") or []
    return {
        c["type"]: c for c in conds if generation is None or (c.get("observedGeneration") or generation) >= generation
    }


def _cond_text(c: dict[str, Any] | None) -> str:
    if c is None:
        return "absent"
    return f"{c.get('status')} {c.get('reason', '')}: {c.get('message', '')}".strip().rstrip(":")


def gateway(snap: Snapshot, gw: dict[str, Any], ns: str, via: str | None = None) -> list[Finding]:
    name = _md(gw)["name"]
    subject = via or f"Gateway {ns}/{name}"
    cls = (gw.get("spec") or {}).get("gatewayClassName", "")
    if snap.known("GatewayClass", cls):
        gc = snap.get("GatewayClass", cls)
        if gc is None:
            return [
                Finding(
                    "gatewayclass-missing",
                    subject,
                    f"Gateway {ns}/{name} names GatewayClass {cls}, which does not exist: no implementation takes it",
                    (f"spec.gatewayClassName: {cls}", f"no GatewayClass {cls} in the cluster"),
                    "set spec.gatewayClassName to a GatewayClass whose Accepted condition is True "
                    "(kubectl get gatewayclass)",
                )
            ]
        accepted = _conditions(gc.get("status") or {}).get("Accepted")
        if (accepted or {}).get("status") != "True":
            controller = (gc.get("spec") or {}).get("controllerName")
            return [
                Finding(
                    "gatewayclass-not-accepted",
                    subject,
                    f"no controller serves GatewayClass {cls} ({controller}): Gateway {ns}/{name} is picked up by "
                    "nobody",
                    (
                        f"GatewayClass {cls}: controllerName {controller}",
                        f"GatewayClass {cls} Accepted: {_cond_text(accepted)}",
                    ),
                    f"install or start the implementation whose controllerName is {controller}, or use a "
                    "GatewayClass whose Accepted condition is True",
                )
            ]
    out = []
    generation = _md(gw).get("generation")
    conds = _conditions(gw.get("status") or {}, generation)
    bad = {t: conds.get(t) for t in ("Accepted", "Programmed") if (conds.get(t) or {}).get("status") != "True"}
    if bad:
        out.append(
            Finding(
                "gateway-not-accepted",
                subject,
                f"Gateway {ns}/{name} is not "
                + " and ".join(t.lower() for t in bad)
                + " by its implementation: "
                + "; ".join(f"{t} {_cond_text(c)}" for t, c in bad.items()),
                tuple(f"status {t}: {_cond_text(c)}" for t, c in bad.items())
                + tuple(_event_lines(snap.events("Gateway", name, ns), warnings_only=True)[-3:]),
                "do what the condition's reason says (listener ports and protocols the implementation supports, "
                "addresses, parameters), then check the implementation's logs",
            )
        )
    for listener in (gw.get("status") or {}).get("listeners") or []:
        lc = _conditions(listener, generation)
        wrong = {
            t: c for t, c in lc.items() if t in ("Accepted", "ResolvedRefs", "Programmed") and c.get("status") != "True"
        }
        if wrong:
            out.append(
                Finding(
                    "listener-not-valid",
                    subject,
                    f"listener {listener.get('name')} of Gateway {ns}/{name}: "
                    + "; ".join(f"{t} {_cond_text(c)}" for t, c in wrong.items()),
                    tuple(f"listener {listener.get('name')} {t}: {_cond_text(c)}" for t, c in wrong.items()),
                    "fix what the listener's condition names (its certificateRefs, protocol, port or allowed routes)",
                )
            )
    for spec_listener in (gw.get("spec") or {}).get("listeners") or []:
        for ref in ((spec_listener.get("tls") or {}).get("certificateRefs")) or []:
            if ref.get("kind", "Secret") == "Secret" and not ref.get("group"):
                out += tls_secret(
                    snap,
                    subject,
                    f"listener {spec_listener.get('name')} certificateRefs",
                    ref["name"],
                    ref.get("namespace") or ns,
                    [spec_listener["hostname"]] if spec_listener.get("hostname") else [],
                )
    return out


def route(snap: Snapshot, rt: dict[str, Any], ns: str) -> list[Finding]:
    kind, name = rt["kind"], _md(rt)["name"]
    subject = f"{kind} {ns}/{name}"
    generation = _md(rt).get("generation")
    out: list[Finding] = []
    parents = (rt.get("status") or {}).get("parents") or []
    for ref in (rt.get("spec") or {}).get("parentRefs") or []:
        if ref.get("kind", "Gateway") != "Gateway":
            continue
        gns = ref.get("namespace") or ns
        pname = ref["name"] + (f"/{ref['sectionName']}" if ref.get("sectionName") else "")
        if not snap.known("Gateway", ref["name"], gns):
            continue
        gw = snap.get("Gateway", ref["name"], gns)
        if gw is None:
            out.append(
                Finding(
                    "parent-gateway-missing",
                    subject,
                    f"{subject} attaches to Gateway {gns}/{ref['name']}, which does not exist",
                    (f"spec.parentRefs: {pname}", f"no Gateway {ref['name']} in {gns}"),
                    "create the Gateway, or point parentRefs at an existing one (kubectl get gateways -A)",
                )
            )
            continue
        upstream = gateway(snap, gw, gns)
        out += upstream
        if any(f.cause in ("gatewayclass-missing", "gatewayclass-not-accepted") for f in upstream):
            continue  # nobody serves the parent: the route's own status says nothing more
        entry = next((p for p in parents if _same_parent(p.get("parentRef") or {}, ref, ns)), None)
        if entry is None:
            out.append(
                Finding(
                    "route-not-processed",
                    subject,
                    f"no controller has written status for {subject} under parent {pname}: the Gateway's "
                    "implementation has not taken the route",
                    (f"spec.parentRefs: {pname}", "status.parents: no entry for it"),
                    "check that the Gateway's listeners allow this route kind and namespace, and the "
                    "implementation's logs",
                )
            )
            continue
        conds = _conditions(entry, generation)
        acc, refs = conds.get("Accepted"), conds.get("ResolvedRefs")
        if acc is not None and acc.get("status") != "True":
            out.append(
                Finding(
                    "route-not-accepted",
                    subject,
                    f"{subject} is not accepted by parent {pname}: {acc.get('reason')}: {acc.get('message', '')}",
                    (f"parent {pname} Accepted: {_cond_text(acc)}",),
                    "make the route fit a listener of the Gateway (hostname, sectionName, port, allowedRoutes kinds "
                    "and namespaces)",
                )
            )
        if refs is not None and refs.get("status") != "True":
            out.append(
                Finding(
                    "route-refs-unresolved",
                    subject,
                    f"{subject} has unresolved references under parent {pname}: {refs.get('reason')}: "
                    f"{refs.get('message', '')}",
                    (f"parent {pname} ResolvedRefs: {_cond_text(refs)}",),
                    "point backendRefs at Services that exist, with the port they have (a ReferenceGrant for "
                    "another namespace)",
                )
            )
    judged: set[str] = set()
    for rule in (rt.get("spec") or {}).get("rules") or []:
        for b in rule.get("backendRefs") or []:
            if b.get("kind", "Service") == "Service" and not b.get("group"):
                out += backend(snap, subject, b["name"], b.get("namespace") or ns, b.get("port"), judged)
    return _dedupe(out)


def _same_parent(seen: dict[str, Any], ref: dict[str, Any], ns: str) -> bool:
    return (
        seen.get("name") == ref.get("name")
        and (seen.get("namespace") or ns) == (ref.get("namespace") or ns)
        and all(seen.get(k) == ref.get(k) for k in ("sectionName", "port") if ref.get(k) is not None)
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        if (f.cause, f.summary) not in seen:
            seen.add((f.cause, f.summary))
            out.append(f)
    return out
