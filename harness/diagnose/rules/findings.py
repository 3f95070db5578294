"""A finding: one cause, in the guide's vocabulary, with its evidence and
the fix; and the small readers of object fields every rule module shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

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
    "route-no-parent": "route names no parent Gateway",
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


def md(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def is_ready(pod: dict[str, Any]) -> bool:
    conds = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def live_pods(pods: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        p
        for p in pods
        if not md(p).get("deletionTimestamp") and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]


def selector_text(selector: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def event_lines(events: list[dict[str, Any]], warnings_only: bool = False) -> list[str]:
    out = []
    for e in events:
        if warnings_only and e.get("type") != "Warning":
            continue
        who = (e.get("source") or {}).get("component") or e.get("reportingComponent") or e.get("reportingController")
        count = f" (x{e['count']})" if (e.get("count") or 1) > 1 else ""
        out.append(f"event {e.get('type')} {e.get('reason')}{count} from {who or 'unknown'}: {e.get('message', '')}")
    return out


def has_address(obj: dict[str, Any]) -> bool:
    lb = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return any(i.get("ip") or i.get("hostname") for i in lb)


def address(obj: dict[str, Any]) -> str:
    lb = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ", ".join(i.get("ip") or i.get("hostname") for i in lb if i.get("ip") or i.get("hostname"))
