"""The claim catalog: what the guide says, in its own words, and what we check.

A claim is data: an id the suites mark their tests with
(``@pytest.mark.claim("lb-l4-reach")``), the guide's sentence, the area it
belongs to, and the concrete statement the harness checks. The catalog is the
report's row order, so two nightly reports line up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

GUIDE = "Kubernetes Ingress vs Load Balancer: When to Use Each"


class Verdict(str, Enum):
    HOLDS = "holds"
    DOES_NOT_HOLD = "does not hold"
    NOT_CHECKABLE = "not checkable here"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass(frozen=True)
class Claim:
    id: str
    area: str
    quote: str
    checks: str
    # L4 claims rest on the load-balancer implementation, not on an Ingress
    # controller; they are reported once, under "metallb".
    per_controller: bool = True


CLAIMS: tuple[Claim, ...] = (
    # --- Service type LoadBalancer (L4) -----------------------------------
    Claim(
        "lb-external-address",
        "loadbalancer",
        "A Service Type LoadBalancer asks your cloud to provision an external L4 load balancer for one Service endpoint.",
        "The guide's tcp-app Service (type LoadBalancer, port 1883) gets an external address from the cluster's "
        "load-balancer implementation (MetalLB here).",
        per_controller=False,
    ),
    Claim(
        "lb-l4-reach",
        "loadbalancer",
        "What you'll see: a cloud L4 LB with a public address that forwards to tcp-app pods.",
        "A TCP connection to the external address on port 1883 reaches a tcp-app pod (the pod names itself in the reply).",
        per_controller=False,
    ),
    Claim(
        "lb-needs-implementation",
        "loadbalancer",
        "A Kubernetes Service that, when supported by the environment, provisions a cloud load balancer ... "
        "LoadBalancer depends on cloud/provider capabilities.",
        "With no load-balancer implementation for its class, a type LoadBalancer Service stays pending: no external "
        "address appears.",
        per_controller=False,
    ),
    Claim(
        "lb-one-per-service",
        "consolidation",
        "Many LoadBalancer Services can create many cloud LBs. ... One Service per LB.",
        "N Services of type LoadBalancer take N distinct external addresses, each reaching only its own Service.",
        per_controller=False,
    ),
    Claim(
        "lb-tls-passthrough",
        "tls",
        "LoadBalancer: TLS often pass-through; TLS usually handled by app or external LB.",
        "Through a type LoadBalancer Service in front of a TLS application, the client sees the application's own "
        "certificate: the load balancer does not terminate TLS.",
        per_controller=False,
    ),
    # --- Ingress (L7) -------------------------------------------------------
    Claim(
        "ingress-host-path-routing",
        "ingress",
        "What you'll see: one public entry point routes by host/path to multiple Services.",
        "On the controller's address, Host shop.example.com with path /api reaches api-svc and / reaches "
        "frontend-svc (the guide's web-gateway Ingress).",
    ),
    Claim(
        "ingress-rewrite-target",
        "ingress",
        "annotations: nginx.ingress.kubernetes.io/rewrite-target: /",
        "With the guide's rewrite-target: / annotation, a request for /api/users still reaches api-svc; the report "
        "records the path the backend actually receives.",
    ),
    Claim(
        "ingress-tls-termination",
        "tls",
        "TLS terminates at the controller.",
        "HTTPS to the controller with SNI shop.example.com is answered with the certificate from secret shop-tls, "
        "and the backend receives plain HTTP.",
    ),
    Claim(
        "ingress-sni-multiple-hosts",
        "tls",
        "Termination at controller; SNI, cert mgmt.",
        "A second host with its own certificate on the same controller address is served its own certificate, "
        "chosen by SNI.",
    ),
    Claim(
        "ingress-consolidation",
        "consolidation",
        "Ingress can consolidate multiple routes behind one entry point (often one LB).",
        "One controller address serves several hosts and paths, each reaching its own Service.",
    ),
    Claim(
        "ingress-controller-behind-lb",
        "consolidation",
        "Not exactly. The controller typically runs on a Service that itself may be backed by a load balancer.",
        "The controller is itself exposed by a type LoadBalancer Service, and the Ingress is served on that "
        "Service's external address.",
    ),
    # --- Gateway API -----------------------------------------------------------
    Claim(
        "gateway-ingress-migration",
        "gateway",
        "From Ingress to Gateway API: Perform a one-time conversion (Ingress -> HTTPRoute + Gateway/GatewayClass). "
        "Introduce controllers that support Gateway API (e.g., Traefik, Istio, vendor controllers).",
        "The guide's web-gateway, converted to a Gateway of the controller's GatewayClass and an HTTPRoute, routes "
        "shop.example.com /api to api-svc and / to frontend-svc, like the Ingress did.",
    ),
    Claim(
        "gateway-multi-protocol",
        "gateway",
        "For richer multi-protocol control, evaluate Gateway API (HTTPRoute, GRPCRoute, TCPRoute, etc.).",
        "On the same controller, a TCPRoute attached to a TCP listener of a Gateway carries plain TCP to the "
        "tcp-app pods: routing that core Ingress has no field for.",
    ),
    # --- troubleshooting ----------------------------------------------------
    Claim(
        "troubleshoot-ingress-class",
        "troubleshooting",
        "Ingress not picking up rules: ensure ingressClassName or default class exists; check controller logs.",
        "An Ingress whose class no controller serves gets no address in its status and is not routed by any "
        "controller.",
    ),
)

BY_ID = {c.id: c for c in CLAIMS}


def get(claim_id: str) -> Claim:
    try:
        return BY_ID[claim_id]
    except KeyError:
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(sorted(BY_ID))}") from None
