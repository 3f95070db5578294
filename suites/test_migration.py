"""Migration notes: from many LoadBalancer Services to one Ingress, from
Ingress to Gateway API (ingress2gateway), and both APIs side by side.

> From many LoadBalancer Services to one Ingress: Deploy an Ingress
> controller (e.g., NGINX, Traefik). Convert each public Service to a backend
> referenced by Ingress rules. Validate health checks. Consider HTTP-to-HTTPS
> redirects.
> From Ingress to Gateway API: Perform a one-time conversion (Ingress ->
> HTTPRoute + Gateway/GatewayClass).
> Many controllers support both; migration is incremental.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.checks.consistency import eventually
from harness.checks.expect import applied, throughout, verify
from harness.checks.manifests import load_manifest, rename_hosts, unique_host
from harness.checks.rows import http, https
from harness.lab.addons.gateway_api import ECHO_IMAGE
from harness.lab.backends import Backend, deploy_echo, secret_cert_sha256, tls_secret
from harness.lab.ingress2gateway import ToolError, adapt, convert
from harness.pytest.plugin import not_checkable

from .conftest import GUIDE_WEB_GATEWAY, gateway_scene, gateway_vars, scene_for

APPS = ("app-1", "app-2", "app-3")
# after the move, the Ingress: each host to its app, TLS at the controller
ONE_INGRESS = [https(f"app-{i}.example.com", backend=f"app-{i}", certificate="apps-tls") for i in (1, 2, 3)]
# the guide's web-gateway, compared Ingress (ingress-nginx) vs converted Gateway API
GUIDE_ROWS = [
    https("shop.example.com", "/api/users", backend="api-svc"),
    https("shop.example.com", "/", backend="frontend-svc"),
    http("shop.example.com", "/api", status=None),
]


@pytest.mark.claim("migrate-lb-to-ingress")
def test_many_load_balancers_to_one_ingress(controller, kube, ns, run_ca, timeouts, evidence):
    moved = ("migrate-lb-to-ingress",)  # the move itself; the unready pod's checks are migrate-health-checks'
    health = ("migrate-health-checks",)
    for app in APPS:
        applied(
            kube,
            load_manifest("migration/many-apps.yaml", name=app, image=ECHO_IMAGE, service_type="LoadBalancer"),
            evidence,
            namespace=ns,
            claims=moved,
        )
    # the scenario's pod that fails its readiness probe: what the health-check claim is about
    applied(
        kube,
        load_manifest("migration/unready-pod.yaml", app="app-1", image=ECHO_IMAGE),
        evidence,
        namespace=ns,
        claims=health,
    )
    # each app's own Deployment's pods (the unready pod of app-1 is another Deployment behind the same Service)
    ready = {app: tuple(kube.wait_pods_ready(ns, f"app={app},variant!=unready")) for app in APPS}
    unready = {p["metadata"]["name"] for p in kube.list("v1", "Pod", ns, label_selector="variant=unready")}
    assert unready, "the unready pod of app-1 was not created"
    backends = {app: Backend(app, ns, pods) for app, pods in ready.items()}
    # before: one address per Service
    with evidence.check("before: each Service gets its own load-balancer address", claims=moved):
        before = {app: kube.wait_load_balancer(ns, app) for app in APPS}
    evidence.add("before: one load-balancer address per Service", before)
    for app, address in before.items():
        scene = scene_for(controller, timeouts, ns, backends=backends, address=address)
        row = http("any.example.com", backend=app, label=f"before: {address} -> {app}")
        verify(row, scene, evidence, claims=moved, soft=True)  # the health check below is judged either way
    lb_scene = scene_for(
        controller, timeouts, ns, backends={"unready": Backend("unready", ns, tuple(unready))}, address=before["app-1"]
    )
    throughout(
        http("any.example.com", status=None, pods=frozenset(unready), reached=False), lb_scene, evidence, claims=health
    )
    # after: one Ingress, one entry point
    hosts = {h: unique_host(ns, h) for h in ("app-1.example.com", "app-2.example.com", "app-3.example.com")}
    tls_secret(kube, ns, "apps-tls", run_ca.issue_cert(*hosts.values()))
    docs = load_manifest("migration/one-ingress.yaml", ingress_class=controller.ingress_class)
    applied(kube, rename_hosts(docs, hosts), evidence, namespace=ns, claims=moved)
    scene = scene_for(
        controller,
        timeouts,
        ns,
        backends=backends,
        hosts=list(hosts),
        run_ca=run_ca,
        certificates={"apps-tls": secret_cert_sha256(kube, ns, "apps-tls")},
    )
    for row in ONE_INGRESS:
        verify(row, scene, evidence, claims=moved)
    through_ingress = replace(scene, backends={"unready": tuple(unready)})
    throughout(
        https("app-1.example.com", status=None, pods=frozenset(unready), reached=False),
        through_ingress,
        evidence,
        claims=health,
    )
    plain = verify(http("app-1.example.com", status=None), scene, evidence, claims=moved)
    location = plain.headers.get("location")
    evidence.note(
        f"{controller.name}: plain HTTP to a host with a TLS section gets {plain.status}"
        + (f", a redirect to {location}" if location else " (no redirect unless configured)")
    )
    # the Services become plain backends: their addresses go back to the pool
    for app in APPS:
        applied(
            kube,
            load_manifest("migration/many-apps.yaml", name=app, image=ECHO_IMAGE, service_type="ClusterIP"),
            evidence,
            namespace=ns,
            claims=moved,
        )

    def released() -> dict[str, str]:
        # only this test's Services: another test's Service may take a freed address, rightly
        still = {app: a for app, a in before.items() if kube.load_balancer_address(ns, app)}
        assert not still, f"the Services still hold their load-balancer addresses: {still}"
        return {app: f"{a} released" for app, a in before.items()}

    with evidence.check("the N Services, now plain backends, give their addresses back", claims=moved):
        evidence.add(
            "after: the Services' addresses",
            eventually(
                released, what="the N addresses are released", timeouts=timeouts, deadline=timeouts.object_ready
            ),
        )
    for row in ONE_INGRESS:
        verify(row, scene, evidence, claims=moved)


@pytest.mark.claim("faq-incremental-migration")
@pytest.mark.gateway_api
@pytest.mark.controllers("traefik")
def test_ingress_and_httproute_side_by_side(controller, kube, ns, timeouts, evidence):
    backends = deploy_echo(kube, ns, "old-svc", "new-svc")
    hosts = {h: unique_host(ns, h) for h in ("old.example.com", "new.example.com")}
    docs = load_manifest(
        "migration/incremental.yaml", ingress_class=controller.ingress_class, **gateway_vars(controller)
    )
    applied(kube, rename_hosts(docs, hosts), evidence, namespace=ns)
    gateway_at = controller.gateway_address(ns, "new-hosts")
    with evidence.check("the Gateway and the Ingress share one entry point"):
        assert gateway_at == controller.address, (
            f"the Gateway reports {gateway_at}, the Ingress is at {controller.address}"
        )
    scene = scene_for(controller, timeouts, ns, backends=backends, hosts=list(hosts))
    verify(http("old.example.com", backend="old-svc", label="Ingress: old.example.com -> old-svc"), scene, evidence)
    verify(http("new.example.com", backend="new-svc", label="HTTPRoute: new.example.com -> new-svc"), scene, evidence)
    evidence.note(f"one entry point {controller.address}: the Ingress and the Gateway's HTTPRoute both served there")


@pytest.mark.claim("gateway-ingress-migration")
@pytest.mark.gateway_api
def test_ingress2gateway_conversion_of_the_guides_ingress(
    controller, kube, ns, run_ca, timeouts, evidence, other_controller
):
    """The guide's Ingress converted by ingress2gateway (ingress-nginx
    provider), applied on this implementation, answers like the Ingress
    itself does on ingress-nginx."""
    nginx = other_controller("nginx")
    if nginx is None:
        not_checkable("the comparison is with ingress-nginx, which this run does not include")
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    host = unique_host(ns, "shop.example.com")
    tls_secret(kube, ns, "shop-tls", run_ca.issue_cert(host))
    guide = rename_hosts(load_manifest(GUIDE_WEB_GATEWAY), {"shop.example.com": host})
    try:
        converted, notes = convert(guide)
    except ToolError as exc:
        not_checkable(str(exc))
    evidence.add("ingress2gateway output (kinds)", [f"{d['kind']}/{d['metadata']['name']}" for d in converted])
    for line in notes:
        evidence.note(f"ingress2gateway: {line}")
    adapted, changes = adapt(converted, controller)
    for change in changes:
        evidence.note(f"the harness adapted the converted YAML: {change}")
    applied(kube, adapted, evidence, namespace=ns)
    applied(kube, guide, evidence, namespace=ns)  # the Ingress itself, for ingress-nginx
    certs = {"shop-tls": secret_cert_sha256(kube, ns, "shop-tls")}
    gw_name = next(d["metadata"]["name"] for d in adapted if d["kind"] == "Gateway")
    on_gateway = gateway_scene(
        controller,
        kube,
        timeouts,
        ns,
        gw_name,
        backends=backends,
        hosts=["shop.example.com"],
        run_ca=run_ca,
        certificates=certs,
    )
    on_nginx = scene_for(
        nginx, timeouts, ns, backends=backends, hosts=["shop.example.com"], run_ca=run_ca, certificates=certs
    )
    differences = []
    for row in GUIDE_ROWS:
        a = verify(row, on_nginx, evidence)
        b = verify(row, on_gateway, evidence)
        seen = [(r.status, r.headers.get("location"), (r.echo or {}).get("path")) for r in (a, b)]
        if seen[0] != seen[1]:
            differences.append(
                f"{row.request.protocol} {row.request.path}: ingress-nginx {seen[0]}, "
                f"{controller.name} {seen[1]} (status, redirect, path the backend saw)"
            )
        else:
            evidence.note(f"{row.request.protocol} {row.request.path}: both {seen[0]} (status, redirect, backend path)")
    with evidence.check("the converted objects answer as the Ingress does on ingress-nginx"):
        assert not differences, "the converted Gateway API objects answer differently: " + "; ".join(differences)
