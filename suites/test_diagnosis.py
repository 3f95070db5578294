"""Troubleshooting as a tool: break, observe, diagnose, fix, observe.

> Connections reach the Service but not pods: check selectors and
> targetPorts; verify health checks.
> Ingress not picking up rules: ensure ingressClassName or default class
> exists; check controller logs.
> wrong LB type created: set the correct annotations/loadBalancerClass.

Each scenario breaks an exposure the way operators do (the manifests in
manifests/troubleshooting/ say where each comes from), observes the symptom
with expectation rows, runs the diagnosis (harness.diagnose, the code behind
``python -m harness diagnose``) on the cluster and checks the cause it names,
applies the fix and observes the recovery. The evidence of each carries
``symptom``, ``diagnosis`` and ``recovery``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from harness import paths
from harness.checks.consistency import eventually, never
from harness.checks.expect import applied, throughout, verify
from harness.checks.manifests import load_manifest, rename_hosts, unique_host
from harness.checks.rows import DEFAULT_CERTIFICATE, Expectation, Request, Response, Scene, http, https
from harness.diagnose import ClusterSource, Diagnosis, diagnose
from harness.lab.addons.gateway_api import ECHO_IMAGE
from harness.lab.backends import Backend, deploy_echo, deploy_tcp_echo_pods, secret_cert_sha256, tls_secret

from .conftest import gateway_scene, gateway_vars, scene_for
from .test_troubleshooting import positive_control

GW = "gateway.networking.k8s.io/v1"

# through the controller: the shop pods answer shop.example.com, or must not
ROUTED = replace(http("shop.example.com", backend="shop"), label="recovery")
UNROUTED = replace(http("shop.example.com", status=None, backend="shop", reached=False), label="symptom")
# TLS: the controller's default certificate (or a refused handshake) until the Secret exists
NO_CERTIFICATE = replace(https("shop.example.com", status=None, certificate=DEFAULT_CERTIFICATE), label="symptom")
SECURED = replace(https("shop.example.com", backend="shop", certificate="shop-tls"), label="recovery")
# L4: straight to a LoadBalancer Service's address
THROUGH_LB = Expectation(Request("http", "shop.example.com"), Response(backend="shop"), label="recovery")
NOT_THROUGH_LB = Expectation(
    Request("http", "shop.example.com"),
    Response(status=None, backend="shop", reached=False),
    label="symptom",
)
TCP_APP = Expectation(Request("tcp", port=1883), Response(backend="tcp-app"), label="recovery")
# the broken LoadBalancer Services of the L4 scenarios: (manifest, selector, targetPort) -> cause
L4_BREAKS = {
    "wrong-selector": ("shopp", 3000, "selector-matches-no-pod"),
    "wrong-targetport": ("shop", 8080, "targetport-not-declared"),
    "unknown-port-name": ("shop", "web", "targetport-not-declared"),
}


def diagnosed(kube, target: str, ns: str, timeouts, evidence, *causes: str, label: str = "diagnosis") -> Diagnosis:
    """The diagnosis of ``target`` once it names exactly ``causes`` (none:
    "no problem found"); events and status settle, so it is waited on. Its
    text joins the evidence under ``label`` ("diagnosis", or "recovery" for
    the clean bill after the fix)."""
    source = ClusterSource(kube.kubeconfig)
    want = list(causes)

    def names() -> Diagnosis:
        d = diagnose(source, target, ns)
        assert d.causes == want, f"the diagnosis named {d.causes or 'no cause'}, wanted {want or 'none'}: {d.text()}"
        return d

    d = eventually(
        names,
        what=f"diagnosis of {target} in {ns} names {', '.join(want) or 'no problem'}",
        timeouts=timeouts,
        deadline=timeouts.object_ready,
        hint=f"python -m harness diagnose {target} -n {ns}",
    )
    evidence.add(label, d.text())
    return d


def cli(kube, target: str, ns: str) -> tuple[int, dict]:
    """``python -m harness diagnose ... --json`` against the run's cluster."""
    res = subprocess.run(
        [sys.executable, "-m", "harness", "diagnose", target, "-n", ns, f"--kubeconfig={kube.kubeconfig}", "--json"],
        cwd=paths.work_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.stdout, f"python -m harness diagnose printed nothing (exit {res.returncode}): {res.stderr}"
    return res.returncode, json.loads(res.stdout)


@pytest.fixture
def cluster_scoped(kube):
    """Cluster-scoped objects a test applies (an IngressClass), deleted after it."""
    made: list[dict] = []
    yield made
    kube.delete(made)


def _shop(kube, ns) -> dict[str, Backend]:
    return deploy_echo(kube, ns, "shop")


def _ingress(controller, scene, manifest: str, **values) -> list[dict]:
    docs = load_manifest(manifest, **{"ingress_class": controller.ingress_class, **values})
    return rename_hosts(docs, dict(scene.hosts))


# --------------------------------------------------------------------------
# Ingress not picking up rules (per controller)
# --------------------------------------------------------------------------


@pytest.mark.claim("troubleshoot-ingress-class")
def test_ingress_class_typo_is_named_and_fixed(controller, kube, ns, timeouts, evidence):
    scene = scene_for(
        controller, timeouts, ns, backends=_shop(kube, ns), hosts=["shop.example.com", "control.example.com"]
    )
    typo = f"{controller.ingress_class}-typo"
    applied(
        kube,
        _ingress(controller, scene, "troubleshooting/shop-ingress.yaml", ingress_class=typo),
        evidence,
        namespace=ns,
    )
    positive_control(controller, kube, ns, scene, "shop", evidence)
    throughout(UNROUTED, scene, evidence)
    d = diagnosed(kube, "ingress/shop", ns, timeouts, evidence, "no-ingressclass")
    evidence.note(f"diagnosis: {d.findings[0].summary}")
    applied(kube, _ingress(controller, scene, "troubleshooting/shop-ingress.yaml"), evidence, namespace=ns)
    verify(ROUTED, scene, evidence)
    diagnosed(kube, "ingress/shop", ns, timeouts, evidence, label="recovery")


@pytest.mark.claim("troubleshoot-ingress-class")
def test_ingress_class_no_controller_serves_is_named_and_fixed(
    controller, kube, ns, timeouts, evidence, cluster_scoped
):
    scene = scene_for(
        controller, timeouts, ns, backends=_shop(kube, ns), hosts=["shop.example.com", "control.example.com"]
    )
    orphan = load_manifest("troubleshooting/unserved-ingressclass.yaml", name=f"unserved-{ns.rsplit('-', 1)[-1]}")
    cluster_scoped.extend(orphan)
    kube.apply(orphan)
    applied(
        kube,
        _ingress(controller, scene, "troubleshooting/shop-ingress.yaml", ingress_class=orphan[0]["metadata"]["name"]),
        evidence,
        namespace=ns,
    )
    positive_control(controller, kube, ns, scene, "shop", evidence)
    throughout(UNROUTED, scene, evidence)
    d = diagnosed(kube, "ingress/shop", ns, timeouts, evidence, "class-not-served")
    evidence.note(f"diagnosis: {d.findings[0].summary}")
    applied(kube, _ingress(controller, scene, "troubleshooting/shop-ingress.yaml"), evidence, namespace=ns)
    verify(ROUTED, scene, evidence)
    diagnosed(kube, "ingress/shop", ns, timeouts, evidence, label="recovery")


@pytest.mark.claim("troubleshoot-ingress-rules")
def test_ingress_backend_port_name_is_named_and_fixed(controller, kube, ns, timeouts, evidence):
    scene = scene_for(controller, timeouts, ns, backends=_shop(kube, ns), hosts=["shop.example.com"])
    applied(
        kube,
        _ingress(controller, scene, "troubleshooting/shop-ingress-port-name.yaml", port_name="web"),
        evidence,
        namespace=ns,
    )
    throughout(UNROUTED, scene, evidence)
    # the command itself, on the run's cluster: exit status 1 and the cause as data
    status, data = cli(kube, "ingress/shop", ns)
    evidence.add("diagnosis", data)
    assert status == 1 and [f["cause"] for f in data["findings"]] == ["backend-port-missing"], data
    evidence.note(f"diagnosis: {data['findings'][0]['summary']}")
    applied(
        kube,
        _ingress(controller, scene, "troubleshooting/shop-ingress-port-name.yaml", port_name="http"),
        evidence,
        namespace=ns,
    )
    verify(ROUTED, scene, evidence)
    status, data = cli(kube, "ingress/shop", ns)
    evidence.add("recovery", data)
    assert status == 0 and not data["findings"], data


@pytest.mark.claim("troubleshoot-ingress-rules")
def test_ingress_tls_secret_missing_is_named_and_fixed(controller, kube, ns, run_ca, timeouts, evidence):
    base = scene_for(controller, timeouts, ns, backends=_shop(kube, ns), hosts=["shop.example.com"], run_ca=run_ca)
    applied(kube, _ingress(controller, base, "troubleshooting/shop-ingress-tls.yaml"), evidence, namespace=ns)
    verify(NO_CERTIFICATE, base, evidence)
    d = diagnosed(kube, "ingress/shop", ns, timeouts, evidence, "tls-secret-missing")
    evidence.note(f"diagnosis: {d.findings[0].summary}")
    tls_secret(kube, ns, "shop-tls", run_ca.issue_cert(base.host("shop.example.com")))
    scene = replace(base, certificates={"shop-tls": secret_cert_sha256(kube, ns, "shop-tls")})
    verify(SECURED, scene, evidence)
    diagnosed(kube, "ingress/shop", ns, timeouts, evidence, label="recovery")


# --------------------------------------------------------------------------
# Connections reach the Service but not pods (L4, MetalLB)
# --------------------------------------------------------------------------


@pytest.mark.claim("troubleshoot-selector-targetport")
@pytest.mark.parametrize("name", list(L4_BREAKS))
def test_service_selector_and_targetport_are_named_and_fixed(name, kube, ns, addon_context, timeouts, evidence):
    selector, port, cause = L4_BREAKS[name]
    shop = _shop(kube, ns)
    applied(
        kube,
        load_manifest("troubleshooting/echo-lb-service.yaml", name=name, selector=selector, target_port=port),
        evidence,
        namespace=ns,
    )
    with evidence.check(f"{name} gets an external address"):
        address = kube.wait_load_balancer(ns, name)
    scene = Scene(address=address, timeouts=timeouts, namespaces=(ns,), backends={"shop": shop["shop"].pods})
    throughout(NOT_THROUGH_LB, scene, evidence)
    d = diagnosed(kube, f"service/{name}", ns, timeouts, evidence, cause)
    evidence.note(f"{name}: {d.findings[0].summary}")
    applied(
        kube,
        load_manifest("troubleshooting/echo-lb-service.yaml", name=name, selector="shop", target_port="3000"),
        evidence,
        namespace=ns,
    )
    verify(THROUGH_LB, scene, evidence)
    diagnosed(kube, f"service/{name}", ns, timeouts, evidence, label="recovery")


@pytest.mark.claim("troubleshoot-selector-targetport")
def test_failing_readiness_probe_is_named_and_fixed(kube, ns, addon_context, timeouts, evidence):
    applied(
        kube,
        load_manifest("troubleshooting/shop-readiness.yaml", image=ECHO_IMAGE, probe_port=3999),
        evidence,
        namespace=ns,
    )
    with evidence.check("shop-lb gets an external address"):
        address = kube.wait_load_balancer(ns, "shop-lb")

    def pods() -> tuple[str, ...]:
        names = tuple(p.metadata.name for p in kube.core.list_namespaced_pod(ns, label_selector="app=shop").items)
        assert names, "no shop pod yet"
        return names

    scene = Scene(
        address=address,
        timeouts=timeouts,
        namespaces=(ns,),
        backends={"shop": eventually(pods, what="shop pods created", timeouts=timeouts)},
    )
    throughout(NOT_THROUGH_LB, scene, evidence)
    d = diagnosed(kube, "service/shop-lb", ns, timeouts, evidence, "pods-not-ready")
    evidence.note(f"diagnosis: {d.findings[0].summary}")
    applied(
        kube,
        load_manifest("troubleshooting/shop-readiness.yaml", image=ECHO_IMAGE, probe_port=3000),
        evidence,
        namespace=ns,
    )
    with evidence.check("the fixed shop pods become ready endpoints of shop-lb"):
        kube.wait_deployments(ns, ["shop"])
        ready = kube.wait_endpoints(ns, "shop-lb")
    verify(THROUGH_LB, replace(scene, backends={"shop": ready}), evidence)
    diagnosed(kube, "service/shop-lb", ns, timeouts, evidence, label="recovery")


# --------------------------------------------------------------------------
# wrong LB type: loadBalancerClass and annotations (L4, MetalLB)
# --------------------------------------------------------------------------


@pytest.mark.claim("troubleshoot-lb-class")
@pytest.mark.parametrize(
    "manifest, cause",
    [
        ("troubleshooting/tcp-app-lb-class.yaml", "lb-class-unserved"),
        ("troubleshooting/tcp-app-lb-pool.yaml", "lb-allocation-failed"),
    ],
    ids=["unserved-class", "unknown-pool"],
)
def test_load_balancer_class_and_annotations_are_named_and_fixed(
    manifest, cause, kube, ns, addon_context, timeouts, evidence
):
    deploy_tcp_echo_pods(kube, ns, "tcp-app", port=1883)
    broken = load_manifest(manifest)
    applied(kube, broken, evidence, namespace=ns)

    def pending():
        addr = kube.load_balancer_address(ns, "tcp-app-lb")
        assert addr is None, f"tcp-app-lb got address {addr}"
        return "pending: no status.loadBalancer.ingress"

    with evidence.check("symptom: tcp-app-lb stays without an address"):
        evidence.add("symptom", never(pending, what="tcp-app-lb stays without an address", timeouts=timeouts))
    d = diagnosed(kube, "service/tcp-app-lb", ns, timeouts, evidence, cause)
    evidence.note(f"diagnosis: {d.findings[0].summary}")
    if cause == "lb-class-unserved":
        kube.delete(broken, namespace=ns)  # loadBalancerClass is immutable: the fix is a new Service
    applied(kube, load_manifest("troubleshooting/tcp-app-lb.yaml"), evidence, namespace=ns)
    with evidence.check("the fixed tcp-app-lb gets an external address"):
        address = kube.wait_load_balancer(ns, "tcp-app-lb")
    scene = Scene(
        address=address,
        timeouts=timeouts,
        namespaces=(ns,),
        backends={"tcp-app": kube.wait_endpoints(ns, "tcp-app-lb")},
    )
    verify(TCP_APP, scene, evidence)
    diagnosed(kube, "service/tcp-app-lb", ns, timeouts, evidence, label="recovery")


# --------------------------------------------------------------------------
# Gateway API: a GatewayClass no implementation serves (any implementation)
# --------------------------------------------------------------------------


@pytest.mark.gateway_api
@pytest.mark.claim("troubleshoot-gateway-class")
def test_gateway_class_no_controller_serves_is_named_and_fixed(
    controller, kube, ns, timeouts, evidence, cluster_scoped
):
    shop = _shop(kube, ns)
    hosts = {"shop.example.com": unique_host(ns, "shop.example.com")}
    orphan = load_manifest("troubleshooting/unserved-gatewayclass.yaml", name=f"unserved-{ns.rsplit('-', 1)[-1]}")
    cluster_scoped.extend(orphan)
    kube.apply(orphan, gate=False)
    unserved = gateway_vars(controller, gateway_class=orphan[0]["metadata"]["name"])
    broken = rename_hosts(load_manifest("troubleshooting/shop-gateway.yaml", **unserved), hosts)
    applied(kube, broken, evidence, namespace=ns, gate=False)  # nobody will accept it: no status gate

    def unserved_gateway():
        gw = kube.get(GW, "Gateway", "shop", ns) or {}
        status = gw.get("status") or {}
        accepted: dict = next((c for c in status.get("conditions") or [] if c.get("type") == "Accepted"), {})
        assert accepted.get("status") != "True", f"Gateway shop was accepted: {accepted}"
        assert not status.get("addresses"), f"Gateway shop got addresses {status.get('addresses')}"
        return f"Accepted {accepted.get('status')} {accepted.get('reason')}; no address"

    with evidence.check("symptom: Gateway shop stays unaccepted, without an address"):
        symptom = never(unserved_gateway, what="Gateway shop stays unaccepted, without an address", timeouts=timeouts)
        evidence.add("symptom", symptom)
    d = diagnosed(kube, "httproute/shop", ns, timeouts, evidence, "gatewayclass-not-accepted")
    evidence.note(f"diagnosis: {d.findings[0].summary}")
    kube.delete(broken[:1], namespace=ns)  # a new Gateway of the served class (not an edit of the class name)
    fixed = load_manifest("troubleshooting/shop-gateway.yaml", **gateway_vars(controller))
    applied(kube, rename_hosts(fixed, hosts), evidence, namespace=ns)
    scene = gateway_scene(controller, kube, timeouts, ns, "shop", backends=shop, hosts=list(hosts))
    verify(ROUTED, scene, evidence)
    diagnosed(kube, "httproute/shop", ns, timeouts, evidence, label="recovery")
