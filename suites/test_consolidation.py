"""Consolidation: one LB per Service versus one entry point for many routes.

> Many LoadBalancer Services can create many cloud LBs. Ingress can
> consolidate multiple routes behind one entry point (often one LB).
> "Ingress replaces load balancers." Not exactly. The controller typically
> runs on a Service that itself may be backed by a load balancer.
"""

from __future__ import annotations

import pytest

from harness.backends import deploy_echo
from harness.kube import unique_host
from harness.probes import consistently, http_get

N_SERVICES = 3


def answered_by(address, host, path, pods, timeouts, port=80):
    def check():
        r = http_get(address, port, path, host=host, timeout=timeouts.request)
        assert r.status == 200 and r.echo is not None, f"GET {host}{path} at {address}: status {r.status}"
        assert r.echo.get("pod") in pods, f"GET {host}{path} at {address} answered by {r.echo.get('pod')}, wanted one of {sorted(pods)}"
        return r

    return check


@pytest.mark.claim("lb-one-per-service")
def test_each_load_balancer_service_takes_its_own_address(kube, ns, addon_context, timeouts, evidence):
    names = [f"web-{i}" for i in range(1, N_SERVICES + 1)]
    backends = deploy_echo(kube, ns, *names, service_type="LoadBalancer")
    addresses = {n: kube.wait_load_balancer(ns, n) for n in names}
    evidence.add("addresses", addresses)
    assert len(set(addresses.values())) == N_SERVICES, f"{N_SERVICES} LoadBalancer Services share addresses: {addresses}"
    for name, address in addresses.items():
        _, t = consistently(answered_by(address, "any.example.com", "/", set(backends[name].pods), timeouts),
                            what=f"{address} reaches only {name}", timeouts=timeouts)
        evidence.add(f"{address} -> {name}", t.evidence())


@pytest.mark.claim("ingress-consolidation")
def test_one_controller_address_serves_many_hosts_and_paths(controller, kube, ns, timeouts, evidence):
    names = ["shop-api", "shop-web", "blog", "docs"]
    backends = deploy_echo(kube, ns, *names)
    shop, blog, docs = (unique_host(ns, h) for h in ("shop.example.com", "blog.example.com", "docs.example.com"))
    routes = [(shop, "/api", "shop-api"), (shop, "/", "shop-web"), (blog, "/", "blog"), (docs, "/guide", "docs")]
    rules: dict[str, list] = {}
    for host, path, svc in routes:
        rules.setdefault(host, []).append({"path": path, "pathType": "Prefix",
                                           "backend": {"service": {"name": svc, "port": {"number": 80}}}})
    kube.apply([{
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "many-apps"},
        "spec": {"ingressClassName": controller.ingress_class,
                 "rules": [{"host": h, "http": {"paths": p}} for h, p in rules.items()]},
    }], namespace=ns)
    address = controller.address
    evidence.add("entry point", {"controller": controller.name, "address": address, "routes": len(routes)})
    for host, path, svc in routes:
        _, t = consistently(answered_by(address, host, path, set(backends[svc].pods), timeouts),
                            what=f"{controller.name}: {host}{path} -> {svc} on {address}", timeouts=timeouts)
        evidence.add(f"{host}{path} -> {svc}", t.evidence())


@pytest.mark.claim("ingress-controller-behind-lb")
def test_the_controller_itself_sits_behind_a_load_balancer_service(web_gateway, controller, kube, timeouts, evidence):
    namespace, name = controller.service()
    svc = kube.core.read_namespaced_service(name, namespace)
    external = kube.load_balancer_address(namespace, name)
    evidence.add("controller service", {"service": f"{namespace}/{name}", "type": svc.spec.type, "external address": external,
                                        "ports": [p.port for p in svc.spec.ports]})
    assert svc.spec.type == "LoadBalancer", f"{controller.name} is exposed by a {svc.spec.type} Service"
    assert external, f"{namespace}/{name} has no external address"
    gw = web_gateway
    _, t = consistently(gw.routes_to("/", "frontend-svc", timeouts, address=external),
                        what=f"the Ingress is served on the controller Service's external address {external}", timeouts=timeouts)
    evidence.add("routed through the load balancer", t.evidence())
