"""Ingress (L7): host/path routing on one entry point.

> What you'll see: one public entry point routes by host/path to multiple
> Services; TLS terminates at the controller.
"""

from __future__ import annotations

import pytest

from harness.probes import consistently

from .conftest import GUIDE_WEB_GATEWAY, deploy_web_gateway


@pytest.mark.claim("ingress-host-path-routing")
def test_host_and_path_reach_their_services(web_gateway, controller, timeouts, evidence):
    gw = web_gateway
    evidence.add("setup", {"controller": controller.name, "address": gw.address, "manifest": gw.manifest, "host": gw.host})
    for path, service in (("/api", "api-svc"), ("/", "frontend-svc"), ("/cart", "frontend-svc")):
        _, t = consistently(gw.routes_to(path, service, timeouts), what=f"{controller.name}: {gw.host}{path} -> {service}",
                            timeouts=timeouts, hint=lambda: f"{controller.name} controller logs; Ingress status")
        evidence.add(f"{path} -> {service}", t.evidence())
    # the Ingress has a tls section: what does plain HTTP get? (the guide: "Consider HTTP-to-HTTPS redirects")
    evidence.note(gw.plain_http("/api", timeouts))


@pytest.mark.claim("ingress-rewrite-target")
def test_rewrite_target_and_what_the_backend_sees(web_gateway, controller, timeouts, evidence):
    gw = web_gateway
    r, t = consistently(gw.routes_to("/api/users", "api-svc", timeouts),
                        what=f"{controller.name}: {gw.host}/api/users -> api-svc", timeouts=timeouts)
    seen = r.echo.get("path")
    evidence.add("/api/users -> api-svc", t.evidence())
    evidence.note(f"api-svc received path {seen!r} for a request to /api/users "
                  f"({'the sub-path is lost: rewrite-target: / replaces the whole path' if seen == '/' else 'sub-path kept'})")


@pytest.mark.claim("ingress-rewrite-target")
@pytest.mark.controllers("nginx-inc")
def test_guide_yaml_with_its_class_renamed(controller, kube, ns, run_ca, timeouts, evidence):
    """What a reader gets who applies the guide's YAML, annotation and all, to
    a controller whose annotations are not nginx.ingress.kubernetes.io/*
    (F5's NGINX Ingress Controller): only the class is changed."""
    gw = deploy_web_gateway(controller, kube, ns, run_ca, GUIDE_WEB_GATEWAY, ingress_class=controller.ingress_class)
    r, t = consistently(gw.routes_to("/api/users", "api-svc", timeouts),
                        what=f"{controller.name}: the guide's YAML (class {controller.ingress_class}): "
                             f"{gw.host}/api/users -> api-svc", timeouts=timeouts)
    seen = r.echo.get("path")
    evidence.add("guide's YAML verbatim, class renamed: /api/users -> api-svc", t.evidence())
    evidence.note(f"the guide's YAML verbatim (class renamed to {controller.ingress_class}): api-svc received path "
                  f"{seen!r} for /api/users ("
                  + ("nginx.ingress.kubernetes.io/rewrite-target is ignored: it is not this controller's annotation"
                     if seen == "/api/users" else "the annotation took effect") + ")")
