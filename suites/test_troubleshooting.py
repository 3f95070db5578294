"""Troubleshooting pointers.

> Ingress not picking up rules: ensure ingressClassName or default class
> exists; check controller logs.
"""

from __future__ import annotations

import pytest

from harness.backends import deploy_echo
from harness.kube import unique_host
from harness.probes import ProbeError, consistently, http_get, never

UNSERVED_CLASS = "no-controller-serves-this"


@pytest.mark.claim("troubleshoot-ingress-class")
def test_ingress_with_unserved_class_gets_no_address_and_no_route(controller, kube, ns, timeouts, evidence):
    backend = deploy_echo(kube, ns, "orphan-svc")["orphan-svc"]
    host = unique_host(ns, "orphan.example.com")
    kube.apply([{
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "orphan"},
        "spec": {"ingressClassName": UNSERVED_CLASS,
                 "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                            "backend": {"service": {"name": "orphan-svc", "port": {"number": 80}}}}]}}]},
    }], namespace=ns)
    address = controller.address
    pods = set(backend.pods)

    def unrouted():
        ing = kube.networking.read_namespaced_ingress("orphan", ns)
        lb = (ing.status.load_balancer.ingress if ing.status and ing.status.load_balancer else None) or []
        assert not lb, f"Ingress orphan got an address: {[i.ip or i.hostname for i in lb]}"
        r = http_get(address, 80, "/", host=host, timeout=timeouts.request)
        assert not (r.echo and r.echo.get("pod") in pods), f"{controller.name} routed {host} to {r.echo.get('pod')}"
        return {"status address": None, "GET / status": r.status}

    transcript = never(unrouted, what=f"{controller.name} leaves the class-{UNSERVED_CLASS} Ingress alone", timeouts=timeouts)
    evidence.add("observation", transcript.evidence())


def _echo_lb_service(name: str, selector: str, target_port: int) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "LoadBalancer", "selector": {"app": selector},
                     "ports": [{"name": "http", "port": 80, "targetPort": target_port}]}}


@pytest.mark.claim("troubleshoot-selector-targetport")
def test_service_reached_but_no_pod_answers_until_fixed(kube, ns, timeouts, evidence):
    shop = deploy_echo(kube, ns, "shop")["shop"]  # pods listen on 3000, labelled app=shop
    pods = set(shop.pods)
    broken = {
        "wrong-selector": _echo_lb_service("wrong-selector", "shopp", 3000),
        "wrong-targetport": _echo_lb_service("wrong-targetport", "shop", 8080),
    }
    kube.apply(list(broken.values()), namespace=ns)
    addresses = {name: kube.wait_load_balancer(ns, name) for name in broken}
    evidence.add("external addresses", addresses)

    for name, address in addresses.items():
        def no_pod_answers(address=address):
            try:
                r = http_get(address, 80, "/", host="shop.example.com", timeout=timeouts.request)
            except ProbeError as exc:
                return f"{exc.kind}: {exc.detail}"
            assert not (r.echo and r.echo.get("pod") in pods), f"{address} answered by pod {r.echo.get('pod')}"
            return f"status {r.status} without a pod"

        transcript = never(no_pod_answers, what=f"{name}: the address takes connections to the Service, no pod answers",
                           timeouts=timeouts)
        evidence.add(name, transcript.evidence())
        evidence.add(f"{name} endpoints", kube.endpoint_addresses(ns, name) or "none")

    # the fix the guide points at: selector and targetPort
    kube.apply([_echo_lb_service("wrong-selector", "shop", 3000), _echo_lb_service("wrong-targetport", "shop", 3000)],
               namespace=ns)
    for name, address in addresses.items():
        def pod_answers(address=address):
            r = http_get(address, 80, "/", host="shop.example.com", timeout=timeouts.request)
            assert r.echo and r.echo.get("pod") in pods, f"{address}: status {r.status}, no shop pod answered"
            return r

        _, t = consistently(pod_answers, what=f"{name} after fixing selector/targetPort", timeouts=timeouts)
        evidence.add(f"{name} fixed", t.evidence())

