"""Service Type LoadBalancer (L4): the guide's tcp-app example.

> A Service Type LoadBalancer asks your cloud to provision an external L4
> load balancer for one Service endpoint.
"""

from __future__ import annotations

import ipaddress

import pytest

from harness.checks.consistency import never
from harness.checks.expect import applied, verify
from harness.checks.manifests import load_manifest
from harness.checks.rows import Expectation, Request, Response, Scene
from harness.lab.addons import metallb
from harness.lab.backends import UDP_WHOAMI, deploy_tcp_echo_pods, deploy_udp_echo

TCP_APP_PORT = 1883
TCP_APP_REPLICAS = 2
# Plain TCP: the echo server in TCP mode greets, and answers TEST with one JSON line naming the pod.
REACHES_TCP_APP = Expectation(Request("tcp", port=TCP_APP_PORT), Response(backend="tcp-app"), label="tcp probe")


def tcp_app(kube, ns, evidence) -> str:
    """The guide's tcp-app Service verbatim (the object under test), echo
    pods behind it on 1883; returns its external address."""
    deploy_tcp_echo_pods(kube, ns, "tcp-app", port=TCP_APP_PORT, replicas=TCP_APP_REPLICAS)
    applied(kube, load_manifest("guide/tcp-app-service.yaml"), evidence, namespace=ns)
    with evidence.check("the guide's tcp-app Service gets an external address"):
        return kube.wait_load_balancer(ns, "tcp-app")


@pytest.mark.claim("lb-external-address")
def test_tcp_app_gets_an_external_address(kube, ns, addon_context, evidence):
    address = tcp_app(kube, ns, evidence)
    pool = metallb.ADDON.pool_addresses(kube)  # as configured in the cluster
    evidence.add("service", {"name": "tcp-app", "external address": address, "load-balancer pool": pool})
    with evidence.check("the address comes from the load-balancer implementation's pool"):
        assert any(ipaddress.ip_address(address) in net for net in _networks(pool)), (
            f"tcp-app got {address}, outside the MetalLB pool {pool}"
        )


@pytest.mark.claim("lb-l4-reach")
def test_tcp_to_external_address_reaches_tcp_app_pods(kube, ns, timeouts, evidence):
    address = tcp_app(kube, ns, evidence)
    scene = Scene(
        address=address,
        timeouts=timeouts,
        namespaces=(ns,),
        backends={"tcp-app": kube.wait_pods_ready(ns, "app=tcp-app", count=TCP_APP_REPLICAS)},
    )
    verify(REACHES_TCP_APP, scene, evidence, hint=f"kubectl -n {ns} get endpointslices; MetalLB speaker logs")


# UDP: a DNS TXT query the UDP echo (CoreDNS) answers with its pod's name
REACHES_UDP_ECHO = Expectation(
    Request("udp", port=53, payload=UDP_WHOAMI), Response(backend="udp-echo"), label="udp probe"
)


@pytest.mark.claim("table-lb-udp")
def test_udp_load_balancer_service(kube, ns, timeouts, evidence):
    udp = deploy_udp_echo(kube, ns, "udp-echo", replicas=2, service_type="LoadBalancer", under_test=evidence)
    with evidence.check("the UDP LoadBalancer Service gets an external address"):
        address = kube.wait_load_balancer(ns, "udp-echo")
    evidence.add("service", {"name": "udp-echo", "external address": address, "port": "53/UDP"})
    scene = Scene(address=address, timeouts=timeouts, namespaces=(ns,), backends={"udp-echo": udp.pods})
    verify(REACHES_UDP_ECHO, scene, evidence, hint=f"kubectl -n {ns} get endpointslices; MetalLB speaker logs")


@pytest.mark.claim("lb-needs-implementation")
def test_without_an_implementation_the_service_stays_pending(kube, ns, timeouts, evidence):
    # control: the guide's Service, served by MetalLB, gets an address
    served = tcp_app(kube, ns, evidence)
    evidence.add("control", {"tcp-app (served by MetalLB)": served})
    # The same Service asking for a load-balancer class nothing in this cluster implements.
    applied(kube, load_manifest("loadbalancer/tcp-app-unserved.yaml"), evidence, namespace=ns)

    def still_pending():
        addr = kube.load_balancer_address(ns, "tcp-app-unserved")
        assert addr is None, f"tcp-app-unserved got address {addr}"
        return "pending: no status.loadBalancer.ingress"

    with evidence.check("tcp-app-unserved stays without an external address"):
        transcript = never(still_pending, what="tcp-app-unserved stays without an external address", timeouts=timeouts)
        evidence.add("observation", transcript)


def _networks(pool: list[str]):
    for entry in pool:
        if "-" in entry:
            lo, hi = (ipaddress.ip_address(x.strip()) for x in entry.split("-"))
            yield from ipaddress.summarize_address_range(lo, hi)
        else:
            yield ipaddress.ip_network(entry, strict=False)


@pytest.mark.claim("def-lb-node-ports")
def test_tcp_app_node_port_reaches_tcp_app_pods(kube, ns, timeouts, evidence):
    tcp_app(kube, ns, evidence)
    port = kube.core.read_namespaced_service("tcp-app", ns).spec.ports[0].node_port
    with evidence.check("tcp-app (type LoadBalancer) has a node port"):
        assert port, "tcp-app (type LoadBalancer) was given no node port"
    nodes = kube.core.list_node().items
    address = next(a.address for a in nodes[0].status.addresses if a.type == "InternalIP")
    evidence.add("node port", {"service": "tcp-app", "node": nodes[0].metadata.name, "address": address, "port": port})
    scene = Scene(
        address=address,
        timeouts=timeouts,
        namespaces=(ns,),
        backends={"tcp-app": kube.wait_pods_ready(ns, "app=tcp-app", count=TCP_APP_REPLICAS)},
    )
    row = Expectation(Request("tcp", port=port), Response(backend="tcp-app"), label="node port probe")
    verify(row, scene, evidence, hint=f"kubectl -n {ns} get svc tcp-app; kube-proxy logs")
