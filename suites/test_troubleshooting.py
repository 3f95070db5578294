"""Troubleshooting pointers.

> Ingress not picking up rules: ensure ingressClassName or default class
> exists; check controller logs.
"""

from __future__ import annotations

import pytest

from harness.backends import deploy_echo
from harness.kube import unique_host
from harness.probes import http_get, never

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
