"""Gateway API: the migration path and multi-protocol routing.

> From Ingress to Gateway API: Perform a one-time conversion (Ingress ->
> HTTPRoute + Gateway/GatewayClass). For richer multi-protocol control,
> evaluate Gateway API (HTTPRoute, GRPCRoute, TCPRoute, etc.).

ingress-nginx implements no Gateway API, so these claims are checked on the
controllers that do (the guide names Traefik). Applying a Gateway or a route
waits on its status (harness/kube.py): a rejected route fails at once with
the conditions the controller wrote.
"""

from __future__ import annotations

import pytest

from harness.backends import Backend, deploy_echo, deploy_tcp_echo_pods
from harness.expect import Expectation, Request, Response, http, verify, verify_all
from harness.kube import load_manifest, rename_hosts

from .conftest import scene_for

pytestmark = pytest.mark.controllers("traefik")

# manifests/gateway/web-gateway.yaml: the guide's Ingress converted to a Gateway and an HTTPRoute
MIGRATED = [
    http("shop.example.com", "/api/users", backend="api-svc"),
    http("shop.example.com", "/", backend="frontend-svc"),
]
# manifests/gateway/tcp-route.yaml: a TCP listener on 9100 and a TCPRoute to tcp-app
TCP_ROUTE = Expectation(Request("tcp", port=9100), Response(backend="tcp-app"))


@pytest.mark.claim("gateway-ingress-migration")
def test_ingress_converted_to_httproute_routes_the_same(controller, kube, ns, timeouts, evidence):
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    scene = scene_for(controller, timeouts, ns, backends=backends, hosts=["shop.example.com"])
    docs = load_manifest("gateway/web-gateway.yaml", gateway_class=controller.gateway_class)
    kube.apply(rename_hosts(docs, dict(scene.hosts)), namespace=ns)
    api, _ = verify_all(MIGRATED, scene, evidence)
    evidence.note(f"with the URLRewrite ReplaceFullPath '/' filter, api-svc received path {api.echo.get('path')!r}")


@pytest.mark.claim("gateway-multi-protocol")
def test_tcproute_carries_plain_tcp(controller, kube, ns, timeouts, evidence):
    deploy_tcp_echo_pods(kube, ns, "tcp-app", port=1883)
    kube.apply(load_manifest("gateway/tcp-route.yaml", gateway_class=controller.gateway_class), namespace=ns)
    pods = tuple(kube.wait_endpoints(ns, "tcp-app"))
    scene = scene_for(controller, timeouts, ns, backends={"tcp-app": Backend("tcp-app", ns, pods)})
    verify(TCP_ROUTE, scene, evidence, hint="Gateway/TCPRoute status; controller logs")
