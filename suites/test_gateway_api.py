"""Gateway API: the migration path and multi-protocol routing.

> From Ingress to Gateway API: Perform a one-time conversion (Ingress ->
> HTTPRoute + Gateway/GatewayClass). For richer multi-protocol control,
> evaluate Gateway API (HTTPRoute, GRPCRoute, TCPRoute, etc.).

ingress-nginx implements no Gateway API, so these claims are checked on the
controllers that do (the guide names Traefik).
"""

from __future__ import annotations

import json

import pytest

from harness.backends import deploy_echo, deploy_tcp_echo_pods
from harness.kube import load_manifest, rename_hosts, unique_host
from harness.probes import consistently, eventually, http_get, tcp_exchange

pytestmark = pytest.mark.controllers("traefik")


def gateway_programmed(kube, ns, name, timeouts):
    def programmed():
        gw = kube.get("gateway.networking.k8s.io/v1", "Gateway", name, ns) or {}
        conds = {c["type"]: c["status"] for c in gw.get("status", {}).get("conditions", [])}
        assert conds.get("Accepted") == "True" and conds.get("Programmed") == "True", f"Gateway {name} conditions {conds}"
        return conds

    return eventually(programmed, what=f"Gateway {ns}/{name} accepted and programmed", timeouts=timeouts,
                      deadline=timeouts.object_ready, hint="controller logs (kubernetesGateway provider)")


@pytest.mark.claim("gateway-ingress-migration")
def test_ingress_converted_to_httproute_routes_the_same(controller, kube, ns, timeouts, evidence):
    host = unique_host(ns, "shop.example.com")
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    docs = rename_hosts(load_manifest("gateway/web-gateway.yaml", gateway_class=controller.gateway_class),
                        {"shop.example.com": host})
    kube.apply(docs, namespace=ns)
    evidence.add("gateway", gateway_programmed(kube, ns, "web-gateway", timeouts))
    for path, service in (("/api/users", "api-svc"), ("/", "frontend-svc")):
        pods = set(backends[service].pods)

        def routed(path=path, service=service, pods=pods):
            r = http_get(controller.address, 80, path, host=host, timeout=timeouts.request)
            assert r.status == 200 and r.echo, f"GET {host}{path}: status {r.status}"
            assert r.echo.get("pod") in pods, f"GET {host}{path} answered by {r.echo.get('pod')}, wanted {service}"
            return r

        r, t = consistently(routed, what=f"{controller.name}: HTTPRoute {host}{path} -> {service}", timeouts=timeouts)
        evidence.add(f"{path} -> {service}", t.evidence())
        if path == "/api/users":
            evidence.note(f"with the URLRewrite ReplaceFullPath '/' filter, api-svc received path {r.echo.get('path')!r}")


@pytest.mark.claim("gateway-multi-protocol")
def test_tcproute_carries_plain_tcp(controller, kube, ns, timeouts, evidence):
    deploy_tcp_echo_pods(kube, ns, "tcp-app", port=1883)
    kube.apply(load_manifest("gateway/tcp-route.yaml", gateway_class=controller.gateway_class), namespace=ns)
    evidence.add("gateway", gateway_programmed(kube, ns, "l4-gateway", timeouts))
    pods = set(kube.wait_endpoints(ns, "tcp-app"))

    def reaches_tcp_app():
        r = tcp_exchange(controller.address, 9100, b"TEST\n", expect=b"}\n", timeout=timeouts.request)
        reply = next((json.loads(l) for l in r.received.decode("utf-8", "replace").splitlines() if l.startswith("{")), None)
        assert reply is not None, f"no JSON reply to TEST on {controller.address}:9100: {r.received[:120]!r}"
        assert reply.get("pod") in pods, f"answered by {reply.get('pod')!r}, not a tcp-app pod"
        return r

    _, t = consistently(reaches_tcp_app, what=f"{controller.name}: TCP {controller.address}:9100 -> TCPRoute -> tcp-app",
                        timeouts=timeouts, hint="Gateway/TCPRoute status; controller logs")
    evidence.add("tcp probe", t.evidence())
