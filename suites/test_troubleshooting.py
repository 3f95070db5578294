"""Troubleshooting pointers.

> Ingress not picking up rules: ensure ingressClassName or default class
> exists; check controller logs.
"""

from __future__ import annotations

import pytest

from harness.checks.expect import applied, throughout, verify
from harness.checks.manifests import load_manifest, rename_hosts
from harness.checks.rows import Expectation, Request, Response, Scene, http
from harness.lab.backends import deploy_echo

from .conftest import scene_for

# manifests/troubleshooting/orphan-ingress.yaml names a class no controller serves
UNROUTED = http("orphan.example.com", status=None, backend="orphan-svc", reached=False)
# LoadBalancer Services in front of the shop pods (app=shop, port 3000): selector, targetPort
BROKEN = {"wrong-selector": ("shopp", 3000), "wrong-targetport": ("shop", 8080)}
FIXED = {"wrong-selector": ("shop", 3000), "wrong-targetport": ("shop", 3000)}


def _through(address: str, label: str, *, reached: bool) -> Expectation:
    return Expectation(
        Request("http", "shop.example.com", address=address),
        Response(status=200 if reached else None, backend="shop", reached=reached),
        label=label,
    )


def positive_control(controller, kube, ns: str, scene: Scene, service: str, evidence) -> None:
    """Before a window in which an Ingress must stay unrouted: an Ingress of
    the controller's class applied after it is routed, so the controller has
    had its chance at what came before (a window that began before it had
    reconciled would pass whatever it then did). The control is the
    harness's own object: its failure is an error, never a verdict."""
    kube.apply(
        rename_hosts(
            load_manifest(
                "troubleshooting/control-ingress.yaml", ingress_class=controller.ingress_class, service=service
            ),
            dict(scene.hosts),
        ),
        namespace=ns,
    )
    row = http("control.example.com", backend=service, label="positive control: control.example.com")
    seen = verify(row, scene)  # no recorder: the control is the harness's, its failure an error
    evidence.add("positive control (the controller has read what was applied before it)", seen)


def _lb_services(kube, ns, spec: dict[str, tuple[str, int]], evidence) -> None:
    for name, (selector, port) in spec.items():
        applied(
            kube,
            load_manifest("troubleshooting/echo-lb-service.yaml", name=name, selector=selector, target_port=port),
            evidence,
            namespace=ns,
        )


@pytest.mark.claim("troubleshoot-ingress-class")
def test_ingress_with_unserved_class_gets_no_address_and_no_route(controller, kube, ns, timeouts, evidence):
    backends = deploy_echo(kube, ns, "orphan-svc")
    scene = scene_for(controller, timeouts, ns, backends=backends, hosts=["orphan.example.com"])
    applied(
        kube,
        rename_hosts(load_manifest("troubleshooting/orphan-ingress.yaml"), dict(scene.hosts)),
        evidence,
        namespace=ns,
    )

    def no_address():
        ing = kube.networking.read_namespaced_ingress("orphan", ns)
        lb = (ing.status.load_balancer.ingress if ing.status and ing.status.load_balancer else None) or []
        assert not lb, f"Ingress orphan got an address: {[i.ip or i.hostname for i in lb]}"
        return {"status address": None}

    throughout(UNROUTED, scene, evidence, also=no_address)


@pytest.mark.claim("troubleshoot-selector-targetport")
def test_service_reached_but_no_pod_answers_until_fixed(kube, ns, timeouts, evidence):
    shop = deploy_echo(kube, ns, "shop")  # pods listen on 3000, labelled app=shop
    scene = Scene(address="", timeouts=timeouts, namespaces=(ns,), backends={"shop": shop["shop"].pods})
    _lb_services(kube, ns, BROKEN, evidence)
    with evidence.check("the broken Services get external addresses"):
        addresses = {name: kube.wait_load_balancer(ns, name) for name in BROKEN}
    evidence.add("external addresses", addresses)
    for name, address in addresses.items():
        throughout(_through(address, name, reached=False), scene, evidence)
        evidence.add(f"{name} endpoints", kube.endpoint_addresses(ns, name) or "none")
    # the fix the guide points at: selector and targetPort
    _lb_services(kube, ns, FIXED, evidence)
    for name, address in addresses.items():
        verify(_through(address, f"{name} fixed", reached=True), scene, evidence)
