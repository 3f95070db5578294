"""Consolidation: one LB per Service versus one entry point for many routes.

> Many LoadBalancer Services can create many cloud LBs. Ingress can
> consolidate multiple routes behind one entry point (often one LB).
> "Ingress replaces load balancers." Not exactly. The controller typically
> runs on a Service that itself may be backed by a load balancer.
"""

from __future__ import annotations

import pytest

from harness.checks.expect import applied, verify, verify_all
from harness.checks.manifests import load_manifest, rename_hosts
from harness.checks.rows import Expectation, Request, Response, Scene, http, https
from harness.lab.backends import deploy_echo

from .conftest import scene_for

N_SERVICES = 3
HOSTS = ("shop.example.com", "blog.example.com", "docs.example.com")
# manifests/consolidation/many-apps-ingress.yaml, route by route
MANY_APPS = [
    http("shop.example.com", "/api", backend="shop-api"),
    http("shop.example.com", "/", backend="shop-web"),
    http("blog.example.com", "/", backend="blog"),
    http("docs.example.com", "/guide", backend="docs"),
]


@pytest.mark.claim("lb-one-per-service")
def test_each_load_balancer_service_takes_its_own_address(kube, ns, addon_context, timeouts, evidence):
    names = [f"web-{i}" for i in range(1, N_SERVICES + 1)]
    backends = deploy_echo(kube, ns, *names, service_type="LoadBalancer", under_test=evidence)
    with evidence.check(f"{N_SERVICES} LoadBalancer Services get {N_SERVICES} addresses"):
        addresses = {n: kube.wait_load_balancer(ns, n) for n in names}
        evidence.add("addresses", addresses)
        assert len(set(addresses.values())) == N_SERVICES, (
            f"{N_SERVICES} LoadBalancer Services share addresses: {addresses}"
        )
    scene = Scene(address="", timeouts=timeouts, namespaces=(ns,), backends={n: b.pods for n, b in backends.items()})
    for name, address in addresses.items():
        row = Expectation(
            Request("http", "any.example.com", address=address), Response(backend=name), label=f"{address} -> {name}"
        )
        verify(row, scene, evidence)


@pytest.mark.claim("ingress-consolidation")
def test_one_controller_address_serves_many_hosts_and_paths(controller, kube, ns, timeouts, evidence):
    backends = deploy_echo(kube, ns, "shop-api", "shop-web", "blog", "docs")
    scene = scene_for(controller, timeouts, ns, backends=backends, hosts=HOSTS)
    docs = load_manifest("consolidation/many-apps-ingress.yaml", ingress_class=controller.ingress_class)
    applied(kube, rename_hosts(docs, dict(scene.hosts)), evidence, namespace=ns)
    evidence.add("entry point", {"controller": controller.name, "address": scene.address, "routes": len(MANY_APPS)})
    verify_all(MANY_APPS, scene, evidence)


@pytest.mark.claim("ingress-controller-behind-lb")
def test_the_controller_itself_sits_behind_a_load_balancer_service(web_gateway, controller, kube, evidence):
    namespace, name = controller.service()
    svc = kube.core.read_namespaced_service(name, namespace)
    external = kube.load_balancer_address(namespace, name)
    evidence.add(
        "controller service",
        {
            "service": f"{namespace}/{name}",
            "type": svc.spec.type,
            "external address": external,
            "ports": [p.port for p in svc.spec.ports],
        },
    )
    with evidence.check(f"{controller.name} is exposed by a LoadBalancer Service with an external address"):
        assert svc.spec.type == "LoadBalancer", f"{controller.name} is exposed by a {svc.spec.type} Service"
        assert external, f"{namespace}/{name} has no external address"
    row = https("shop.example.com", "/", backend="frontend-svc")
    verify(
        Expectation(row.request, row.response, label="routed through the load balancer"),
        web_gateway.scene.at(external),
        evidence,
    )
