"""The claim catalog: what the guide says, in its own words, and what we check.

A claim is data: an id the suites mark their tests with
(``@pytest.mark.claim("lb-l4-reach")``), the guide's sentence, the area it
belongs to, and the concrete statement the harness checks. The catalog is the
report's row order, so two nightly reports line up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import yaml

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
    # Why no run of this harness can check the claim (a cloud it has no
    # account in, a price list). Such claims are reported "not checkable
    # here" with this reason in every report, never left out.
    not_checkable: str = ""


CLAIMS: tuple[Claim, ...] = (
    # --- Service type LoadBalancer (L4) -----------------------------------
    Claim(
        "lb-external-address",
        "loadbalancer",
        "A Service Type LoadBalancer asks your cloud to provision an external L4 load balancer for one Service "
        "endpoint.",
        "The guide's tcp-app Service (type LoadBalancer, port 1883) gets an external address from the cluster's "
        "load-balancer implementation (MetalLB here).",
        per_controller=False,
    ),
    Claim(
        "lb-l4-reach",
        "loadbalancer",
        "What you'll see: a cloud L4 LB with a public address that forwards to tcp-app pods.",
        "A TCP connection to the external address on port 1883 reaches a tcp-app pod (the pod names itself in the "
        "reply).",
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
    Claim(
        "lb-udp",
        "loadbalancer",
        "Service Type LoadBalancer: Protocols L4 (TCP/UDP).",
        "A UDP Service of type LoadBalancer gets an external address, and a UDP exchange to it is answered by one "
        "of its pods (the pod names itself in the reply).",
        per_controller=False,
    ),
    # --- Ingress (L7) -------------------------------------------------------
    Claim(
        "ingress-host-path-routing",
        "ingress",
        "What you'll see: one public entry point routes by host/path to multiple Services.",
        "On the controller's address, shop.example.com (over HTTPS: the guide's web-gateway Ingress terminates TLS "
        "for it) with path /api reaches api-svc and / reaches frontend-svc; the report notes what plain HTTP gets.",
    ),
    Claim(
        "ingress-rewrite-target",
        "ingress",
        "annotations: nginx.ingress.kubernetes.io/rewrite-target: /",
        "With the guide's rewrite-target: / annotation (or the controller's own equivalent), a request for "
        "/api/users still reaches api-svc; the report records the path the backend actually receives. On F5's "
        "NGINX Ingress Controller the guide's YAML is also applied verbatim with only its class renamed.",
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
        "chosen by SNI; a name with no certificate gets the controller's own default certificate (F5's NGINX "
        "Ingress Controller, which has none unless given one, refuses that handshake instead).",
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
        "On each Gateway API implementation, a TCPRoute attached to a TCP listener of a Gateway carries plain TCP "
        "to the tcp-app pods: routing that core Ingress has no field for.",
    ),
    Claim(
        "gateway-web-routing",
        "gateway",
        "Gateway API is the successor to Ingress for many cases and offers broader protocol coverage and "
        "role-oriented design.",
        "The guide's web-gateway as a Gateway and HTTPRoutes: host/path routing on an HTTPS listener that terminates "
        "TLS with the exact certificate of its Secret (the backend sees plain HTTP), and plain HTTP redirected to "
        "https by a RequestRedirect filter.",
    ),
    Claim(
        "gateway-grpc",
        "gateway",
        "For richer multi-protocol control, evaluate Gateway API (HTTPRoute, GRPCRoute, TCPRoute, etc.).",
        "A GRPCRoute routes real gRPC calls by service and method to the right backend (Echo to one, EchoTwo to "
        "another, as the backends report), and a method no rule matches is refused (UNIMPLEMENTED).",
    ),
    Claim(
        "gateway-udp",
        "gateway",
        "For multi-protocol, Gateway API generalizes routing beyond HTTP.",
        "A UDPRoute on a UDP listener carries a UDP exchange to the right pods; an implementation that has no UDP "
        "support is reported as such, with its GatewayClass's supported features as evidence.",
    ),
    Claim(
        "gateway-roles",
        "gateway",
        "Standardize multi-protocol routing with cleaner roles → Gateway API.",
        "A Gateway in an infrastructure namespace admits routes only from namespaces with a label (allowedRoutes): "
        "a route from another namespace is not attached (its status says NotAllowedByListeners) and not routed; a "
        "backend in a third namespace is refused (RefNotPermitted) until that namespace's ReferenceGrant allows it, "
        "then served.",
    ),
    # --- migration ------------------------------------------------------------
    Claim(
        "migration-lb-to-ingress",
        "migration",
        "From many LoadBalancer Services to one Ingress: Deploy an Ingress controller (e.g., NGINX, Traefik). "
        "Convert each public Service to a backend referenced by Ingress rules. Validate health checks. Consider "
        "HTTP-to-HTTPS redirects.",
        "N Services first exposed each by its own LoadBalancer Service, then by one Ingress: every host gives the "
        "same backend before and after; a pod failing readiness gets no traffic through either path; the N "
        "addresses are released once the Services are plain backends; what plain HTTP gets under a TLS Ingress "
        "(redirect or not) is recorded per controller.",
    ),
    Claim(
        "migration-incremental",
        "migration",
        "Many controllers support both; migration is incremental.",
        "On a controller that serves both, an Ingress for one host and an HTTPRoute for another are served side by "
        "side from the same entry point, each reaching its own Service.",
    ),
    # --- troubleshooting ----------------------------------------------------
    Claim(
        "troubleshoot-selector-targetport",
        "troubleshooting",
        "Connections reach the Service but not pods: check selectors and targetPorts; verify health checks.",
        "A LoadBalancer Service whose selector matches no pod, or whose targetPort no container listens on, still "
        "has its external address, but no pod answers there; fixing the selector or targetPort makes a pod answer. "
        "The same with a named targetPort the pods do not declare and with pods whose readiness probe fails; for "
        "each, `python -m harness diagnose` names the cause (selector, targetPort, health checks) before the fix.",
        per_controller=False,
    ),
    Claim(
        "troubleshoot-lb-class",
        "troubleshooting",
        "wrong LB type created: set the correct annotations/loadBalancerClass.",
        "A LoadBalancer Service with a loadBalancerClass no implementation here serves, or an annotation its "
        "implementation refuses (a MetalLB address pool that does not exist), stays pending; the diagnosis names the "
        "class or the refusal, and the Service re-created with the right class and annotations gets an address that "
        "reaches its pods.",
        per_controller=False,
    ),
    Claim(
        "troubleshoot-ingress-class",
        "troubleshooting",
        "Ingress not picking up rules: ensure ingressClassName or default class exists; check controller logs.",
        "An Ingress whose class no controller serves gets no address in its status and is not routed by any "
        "controller. Named with a class that does not exist, or one whose controller runs nowhere, the diagnosis "
        "says which; the Ingress given the controller's class is routed.",
    ),
    Claim(
        "troubleshoot-ingress-rules",
        "troubleshooting",
        "Ingress not picking up rules: ensure ingressClassName or default class exists; check controller logs.",
        "An Ingress of a served class whose backend names a Service port that does not exist, or whose TLS Secret "
        "is missing, is not served as written (no pod answers; the controller's default certificate, or a refused "
        "handshake); the diagnosis names the port or the Secret, and after the fix the pods answer (with the "
        "Secret's certificate).",
    ),
    Claim(
        "troubleshoot-gateway-class",
        "troubleshooting",
        "Introduce controllers that support Gateway API (e.g., Traefik, Istio, vendor controllers).",
        "A Gateway of a GatewayClass whose controllerName no running implementation has is never accepted and its "
        "HTTPRoute never served; the diagnosis names the GatewayClass nobody serves, and a Gateway of the "
        "controller's own GatewayClass serves the route.",
    ),
    # --- beyond any local cluster ----------------------------------------------
    Claim(
        "cloud-lb-types",
        "cloud",
        "In major clouds (e.g., AWS), an Ingress often results in an Application Load Balancer (ALB), while a "
        "LoadBalancer Service often yields a Network (or Classic) Load Balancer.",
        "Which cloud load balancer each object provisions.",
        per_controller=False,
        not_checkable="needs an AWS account and the AWS Load Balancer Controller; kind clusters have no cloud provider",
    ),
    Claim(
        "troubleshoot-aws-lb-type",
        "troubleshooting",
        "AWS: wrong LB type created: set the correct annotations/loadBalancerClass for ALB vs NLB under the AWS "
        "Load Balancer Controller.",
        "That the annotations or loadBalancerClass select ALB or NLB.",
        per_controller=False,
        not_checkable="needs AWS and the AWS Load Balancer Controller",
    ),
    Claim(
        "edge-tunnel",
        "cloud",
        "Use an edge provider (e.g., Cloudflare Tunnel) to avoid opening inbound ports and still expose Services "
        "via a managed edge.",
        "Exposure through Cloudflare's edge without inbound ports.",
        per_controller=False,
        not_checkable="needs a Cloudflare account and outbound internet, which this harness never uses",
    ),
    Claim(
        "cost-model",
        "cloud",
        "Many LoadBalancer Services can create many cloud LBs. ... reducing per-LB cost in some setups. "
        "(Exact pricing varies by provider.)",
        "The price of load balancers.",
        per_controller=False,
        not_checkable="prices come from providers' price lists, not from a cluster; the structure behind the claim "
        "(one address per LoadBalancer Service, many routes per Ingress address) is checked by "
        "lb-one-per-service and ingress-consolidation",
    ),
    Claim(
        "performance-l4-vs-l7",
        "performance",
        "LoadBalancer (e.g., AWS NLB) forwards at L4 with minimal overhead ... Ingress performs L7 inspection and "
        "TLS termination, adding flexibility with small overhead.",
        "Latency and throughput of cloud L4 and L7 load balancers.",
        per_controller=False,
        not_checkable="about cloud load balancers' latency; timings on one shared CI machine through MetalLB's L2 "
        "mode say nothing about them (`make bench-latency` prints this machine's L4 vs L7 numbers)",
    ),
)

BY_ID = {c.id: c for c in CLAIMS}


def load_known_refutations(path: Path) -> dict[tuple[str, str], str]:
    """(claim id, subject) -> why, from a YAML list of {claim, subject, why}."""
    try:
        entries = yaml.safe_load(path.read_text()) or []
    except OSError:
        return {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from None
    known: dict[tuple[str, str], str] = {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not {"claim", "subject", "why"} <= e.keys():
            raise ValueError(f"{path}: entry {i + 1} needs claim, subject and why")
        get(e["claim"])
        known[(e["claim"], e["subject"])] = " ".join(str(e["why"]).split())
    return known


def get(claim_id: str) -> Claim:
    try:
        return BY_ID[claim_id]
    except KeyError:
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(sorted(BY_ID))}") from None
