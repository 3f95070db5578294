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

from ..snapshot import ROUTE_KINDS, Snapshot
from .findings import CAUSES, Finding
from .gateways import gateway, route
from .ingresses import ingress
from .services import service


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


__all__ = ["CAUSES", "Finding", "find"]
