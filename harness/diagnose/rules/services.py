"""Rules for a Service: "Connections reach the Service but not pods: check
selectors and targetPorts; verify health checks", and for type LoadBalancer
"set the correct annotations/loadBalancerClass" (or have an implementation
at all). Also the checks every backend of an Ingress or route gets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..snapshot import Snapshot
from ..source import selector_matches
from .findings import Finding, address, event_lines, has_address, is_ready, live_pods, md, selector_text


def _container_ports(pods: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [cp for p in pods for c in (p.get("spec") or {}).get("containers") or [] for cp in c.get("ports") or []]


def _ports_text(ports: list[dict[str, Any]]) -> str:
    seen = sorted({(cp.get("name") or "", cp["containerPort"]) for cp in ports}, key=lambda x: x[1])
    return ", ".join(f"{n}={p}" if n else str(p) for n, p in seen) or "none"


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
        slices = snap.items("EndpointSlice", ns, f"kubernetes.io/service-name={md(svc)['name']}")
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
    live = live_pods(pods)
    matched = [p for p in live if selector_matches(selector, md(p).get("labels"))]
    sel = selector_text(selector)
    if not matched:
        near = sorted(
            {
                f"{k}={md(p).get('labels', {}).get(k)}"
                for p in live
                for k in selector
                if k in (md(p).get("labels") or {})
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
    ready = [p for p in matched if is_ready(p)]
    if not ready:
        evidence = [f"{len(matched)} pods match {sel}, none is Ready"]
        for p in matched[:5]:
            evidence.append(f"pod {md(p)['name']}: {pod_state(p)}")
            evidence += event_lines(snap.events("Pod", md(p)["name"], ns), warnings_only=True)[-2:]
        out.append(
            Finding(
                "pods-not-ready",
                subject,
                f"the pods behind {subject} are not ready (health checks): no ready endpoint receives traffic",
                tuple(evidence),
                "make the readiness probe match what the container serves (path, port, scheme), or fix the "
                f"container it reports on: kubectl -n {ns} describe pod {md(matched[0])['name']}",
            )
        )
    return out


def pod_state(pod: dict[str, Any]) -> str:
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
            where = (
                " ".join(x for x in (detail.get("path"), f"port {detail.get('port')}") if x)
                if isinstance(detail, dict)
                else ""
            )
            parts.append(f"readinessProbe {how} {where}".strip())
    return "; ".join(parts)


def _load_balancer(snap: Snapshot, svc: dict[str, Any], subject: str, ns: str) -> list[Finding]:
    if has_address(svc):
        return []
    name = md(svc)["name"]
    cls = (svc.get("spec") or {}).get("loadBalancerClass")
    warnings = event_lines(snap.events("Service", name, ns), warnings_only=True)
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
    served_classes = {(s.get("spec") or {}).get("loadBalancerClass") for s in lbs if has_address(s)}
    classless = [s for s in lbs if has_address(s) and not (s.get("spec") or {}).get("loadBalancerClass")]
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
                f"{md(classless[0]).get('namespace')}/{md(classless[0])['name']}: {address(classless[0])}): "
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
