"""Ingress (L7): host/path routing on one entry point.

> What you'll see: one public entry point routes by host/path to multiple
> Services; TLS terminates at the controller.
"""

from __future__ import annotations

import pytest

from harness.probes import consistently


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
