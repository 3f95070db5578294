"""Gateway API: the guide's routing as Gateway + routes, multi-protocol
routing, and role-oriented design, on every Gateway API implementation of the
matrix (Traefik and Envoy Gateway).

> Consider Gateway API if you want role-oriented, multi-protocol routing and
> cleaner separation of duties. ... For richer multi-protocol control,
> evaluate Gateway API (HTTPRoute, GRPCRoute, TCPRoute, etc.). ... From
> Ingress to Gateway API: Perform a one-time conversion (Ingress ->
> HTTPRoute + Gateway/GatewayClass).

ingress-nginx and F5's controller implement no Gateway API here, so these
claims are checked on the implementations that do. Applying a Gateway or a
route waits on its status (harness/kube.py): its Accepted and ResolvedRefs
conditions join the evidence, and a rejection fails at once with them.
"""

from __future__ import annotations

import pytest

from harness.checks.expect import applied, throughout, verify, verify_all
from harness.checks.manifests import load_manifest, rename_hosts, unique_host
from harness.checks.rows import GRPC_UNIMPLEMENTED, Expectation, Request, Response, grpc, http, https
from harness.lab.backends import (
    UDP_WHOAMI,
    Backend,
    deploy_echo,
    deploy_grpc_echo,
    deploy_tcp_echo_pods,
    deploy_udp_echo,
    secret_cert_sha256,
    tls_secret,
)
from harness.pytest.plugin import not_checkable

from .conftest import gateway_scene, gateway_vars

pytestmark = pytest.mark.gateway_api

GW = "gateway.networking.k8s.io/v1"

# manifests/gateway/web-gateway.yaml: the guide's Ingress converted to a Gateway and an HTTPRoute
MIGRATED = [
    http("shop.example.com", "/api/users", backend="api-svc", seen_path="/"),
    http("shop.example.com", "/", backend="frontend-svc"),
]
# manifests/gateway/web-gateway-https.yaml: TLS at the HTTPS listener, plain HTTP redirected
WEB_HTTPS = [
    https("shop.example.com", "/api", backend="api-svc", certificate="shop-tls", backend_tls=False),
    https("shop.example.com", "/cart", backend="frontend-svc", certificate="shop-tls", backend_tls=False),
    http("shop.example.com", "/api", status=301, redirect="https://shop.example.com/api"),
]
# manifests/gateway/grpc-route.yaml: by service and method
GRPC_ECHO = "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"
TWO = {"x-echo-route": "two"}
GRPC_ROUTES = [
    grpc("grpc.example.com", f"{GRPC_ECHO}/Echo", backend="grpc-one", seen_path=f"{GRPC_ECHO}/Echo"),
    grpc("grpc.example.com", f"{GRPC_ECHO}/EchoTwo", headers=TWO, backend="grpc-two", seen_path=f"{GRPC_ECHO}/EchoTwo"),
]
# a method both backends implement, called without the header its rule matches: no rule takes it, so the
# Gateway refuses it (a gateway that forwarded it would get OK from the echo server)
GRPC_UNROUTED = grpc("grpc.example.com", f"{GRPC_ECHO}/EchoTwo", status=GRPC_UNIMPLEMENTED)
# manifests/gateway/tcp-route.yaml: a TCP listener on 9100 and a TCPRoute to tcp-app
TCP_ROUTE = Expectation(Request("tcp", port=9100), Response(backend="tcp-app"))
# manifests/gateway/udp-route.yaml: a UDP listener and a UDPRoute to the UDP echo
UDP_ROUTE = Expectation(Request("udp", port=5353, payload=UDP_WHOAMI), Response(backend="udp-echo"))


@pytest.mark.claim("gateway-ingress-migration")
def test_ingress_converted_to_httproute_routes_the_same(controller, kube, ns, timeouts, evidence):
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    hosts = {"shop.example.com": unique_host(ns, "shop.example.com")}
    docs = rename_hosts(load_manifest("gateway/web-gateway.yaml", **gateway_vars(controller)), hosts)
    applied(kube, docs, evidence, namespace=ns)
    scene = gateway_scene(controller, kube, timeouts, ns, "web-gateway", backends=backends, hosts=list(hosts))
    api, _ = verify_all(MIGRATED, scene, evidence)
    evidence.note(f"with the URLRewrite ReplaceFullPath '/' filter, api-svc received path {api.echo.get('path')!r}")


@pytest.mark.claim("faq-gateway-successor")
def test_web_gateway_with_tls_and_redirect(controller, kube, ns, run_ca, timeouts, evidence):
    """The guide's web-gateway as a Gateway with an HTTPS listener (TLS from
    a Secret) and host/path routes, and an HTTP listener that redirects."""
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    host = unique_host(ns, "shop.example.com")
    tls_secret(kube, ns, "shop-tls", run_ca.issue_cert(host))
    docs = load_manifest("gateway/web-gateway-https.yaml", **gateway_vars(controller))
    applied(kube, rename_hosts(docs, {"shop.example.com": host}), evidence, namespace=ns)
    scene = gateway_scene(
        controller,
        kube,
        timeouts,
        ns,
        "web-gateway",
        backends=backends,
        hosts=["shop.example.com"],
        run_ca=run_ca,
        certificates={"shop-tls": secret_cert_sha256(kube, ns, "shop-tls")},
    )
    verify_all(WEB_HTTPS, scene, evidence, hint=lambda: f"{controller.name} logs; Gateway and HTTPRoute status")


@pytest.mark.claim("gateway-grpcroute")
def test_grpcroute_routes_by_service_and_method(controller, kube, ns, timeouts, evidence):
    backends = deploy_grpc_echo(kube, ns, "grpc-one", "grpc-two")
    host = unique_host(ns, "grpc.example.com")
    docs = load_manifest("gateway/grpc-route.yaml", **gateway_vars(controller))
    applied(kube, rename_hosts(docs, {"grpc.example.com": host}), evidence, namespace=ns)
    scene = gateway_scene(controller, kube, timeouts, ns, "grpc-gateway", backends=backends, hosts=["grpc.example.com"])
    verify_all(GRPC_ROUTES, scene, evidence)
    r = verify(GRPC_UNROUTED, scene, evidence)
    evidence.note(
        f"a call no rule matches ({GRPC_UNROUTED.request.path.rsplit('/', 1)[1]} without its header) is refused: "
        f"{r.code_name} ({r.details[:80]})"
    )


@pytest.mark.claim("gateway-multi-protocol")
def test_tcproute_carries_plain_tcp(controller, kube, ns, timeouts, evidence):
    deploy_tcp_echo_pods(kube, ns, "tcp-app", port=1883)
    applied(kube, load_manifest("gateway/tcp-route.yaml", **gateway_vars(controller)), evidence, namespace=ns)
    pods = tuple(kube.wait_endpoints(ns, "tcp-app"))
    scene = gateway_scene(
        controller, kube, timeouts, ns, "l4-gateway", backends={"tcp-app": Backend("tcp-app", ns, pods)}
    )
    verify(TCP_ROUTE, scene, evidence, hint="Gateway/TCPRoute status; controller logs")


@pytest.mark.claim("h2h-gateway-beyond-http")
def test_udproute_carries_udp(controller, kube, ns, timeouts, evidence):
    gc = kube.get(GW, "GatewayClass", controller.gateway_class) or {}
    features = sorted(f.get("name", "") for f in gc.get("status", {}).get("supportedFeatures") or [])
    evidence.add(f"GatewayClass {controller.gateway_class} supportedFeatures", features or "none listed")
    if not controller.supports_listener("udp"):
        not_checkable(
            f"not supported by this implementation: {controller.name} has no UDP listener for a "
            f"Gateway, and its GatewayClass lists {'UDPRoute' if 'UDPRoute' in features else 'no UDPRoute'} "
            "among its supported features"
        )
    udp = deploy_udp_echo(kube, ns, "udp-echo")
    applied(kube, load_manifest("gateway/udp-route.yaml", **gateway_vars(controller)), evidence, namespace=ns)
    scene = gateway_scene(controller, kube, timeouts, ns, "udp-gateway", backends={"udp-echo": udp})
    verify(UDP_ROUTE, scene, evidence, hint="Gateway/UDPRoute status; controller logs")


@pytest.mark.claim("gateway-roles")
def test_roles_allowed_routes_and_reference_grants(controller, kube, ns, namespaces, timeouts, evidence):
    """The platform's Gateway admits routes only from labelled namespaces;
    a backend in another namespace needs that namespace's ReferenceGrant."""
    infra = namespaces.make("infra")
    granted = namespaces.make("app", labels={"exposure-harness/gateway-access": "granted"})
    denied = namespaces.make("other")
    shared = namespaces.make("shared")
    hosts = {h: unique_host(ns, h) for h in ("team.example.com", "rogue.example.com", "cross.example.com")}
    pods = {
        **{n: b.pods for n, b in deploy_echo(kube, granted, "team-svc").items()},
        **{n: b.pods for n, b in deploy_echo(kube, denied, "rogue-svc").items()},
        **{n: b.pods for n, b in deploy_echo(kube, shared, "shared-svc").items()},
    }
    backends = {n: Backend(n, "", p) for n, p in pods.items()}
    applied(
        kube, load_manifest("gateway/roles/shared-gateway.yaml", **gateway_vars(controller, infra_ns=infra)), evidence
    )
    scene = gateway_scene(
        controller, kube, timeouts, ns, "shared-gateway", gateway_ns=infra, backends=backends, hosts=list(hosts)
    )

    def route(name: str, app_ns: str, host: str, backend: str, backend_ns: str) -> list[dict]:
        return load_manifest(
            "gateway/roles/app-route.yaml",
            name=name,
            app_ns=app_ns,
            infra_ns=infra,
            host=hosts[host],
            backend=backend,
            backend_ns=backend_ns,
        )

    # a team in a granted namespace attaches its route and is served
    applied(kube, route("team", granted, "team.example.com", "team-svc", granted), evidence)
    verify(http("team.example.com", backend="team-svc"), scene, evidence)
    # a namespace without the label: the route is not attached (status says why) and not routed
    applied(kube, route("rogue", denied, "rogue.example.com", "rogue-svc", denied), evidence, gate=False)
    with evidence.check("a route from an unlabelled namespace is not attached (NotAllowedByListeners)"):
        kube.wait_rejected(GW, "HTTPRoute", "rogue", denied, "NotAllowedByListeners", sink=evidence)
    throughout(http("rogue.example.com", status=None, backend="rogue-svc", reached=False), scene, evidence)
    # a backend in another namespace: refused until that namespace grants the reference
    applied(kube, route("cross", granted, "cross.example.com", "shared-svc", shared), evidence, gate=False)
    with evidence.check("a backend in another namespace is refused (RefNotPermitted)"):
        kube.wait_rejected(GW, "HTTPRoute", "cross", granted, "RefNotPermitted", sink=evidence)
    throughout(http("cross.example.com", status=None, backend="shared-svc", reached=False), scene, evidence)
    applied(kube, load_manifest("gateway/roles/reference-grant.yaml", app_ns=granted, backend_ns=shared), evidence)
    with evidence.check("the ReferenceGrant lets the route resolve its backend"):
        kube.wait_accepted(GW, "HTTPRoute", "cross", granted, sink=evidence)
    verify(http("cross.example.com", backend="shared-svc"), scene, evidence, settle=timeouts.update_settle)
