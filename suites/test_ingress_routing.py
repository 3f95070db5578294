"""Ingress (L7): host/path routing on one entry point.

> What you'll see: one public entry point routes by host/path to multiple
> Services; TLS terminates at the controller.
"""

from __future__ import annotations

import pytest

from harness.probes import consistently, http_get


def routes_to(gw, path, service, timeouts, *, https=False, ca_pem=None):
    """A check: GET path on the controller address reaches a pod of service."""
    pods = set(gw.backends[service].pods)

    def check():
        r = http_get(gw.address, 443 if https else 80, path, host=gw.host, https=https, ca_pem=ca_pem,
                     timeout=timeouts.request)
        assert r.status == 200, f"GET {path} Host={gw.host}: status {r.status}, wanted 200 from {service}"
        assert r.echo is not None, f"GET {path}: reply is not the echo server's JSON: {r.body[:120]!r}"
        assert r.echo.get("pod") in pods, f"GET {path} answered by {r.echo.get('pod')}, wanted a pod of {service} {sorted(pods)}"
        return r

    return check


@pytest.mark.claim("ingress-host-path-routing")
def test_host_and_path_reach_their_services(web_gateway, controller, timeouts, evidence):
    gw = web_gateway
    evidence.add("setup", {"controller": controller.name, "address": gw.address, "manifest": gw.manifest, "host": gw.host})
    for path, service in (("/api", "api-svc"), ("/", "frontend-svc"), ("/cart", "frontend-svc")):
        _, t = consistently(routes_to(gw, path, service, timeouts), what=f"{controller.name}: {gw.host}{path} -> {service}",
                            timeouts=timeouts, hint=lambda: f"{controller.name} controller logs; Ingress status")
        evidence.add(f"{path} -> {service}", t.evidence())


@pytest.mark.claim("ingress-rewrite-target")
def test_rewrite_target_and_what_the_backend_sees(web_gateway, controller, timeouts, evidence):
    gw = web_gateway
    r, t = consistently(routes_to(gw, "/api/users", "api-svc", timeouts),
                        what=f"{controller.name}: {gw.host}/api/users -> api-svc", timeouts=timeouts)
    seen = r.echo.get("path")
    evidence.add("/api/users -> api-svc", t.evidence())
    evidence.note(f"api-svc received path {seen!r} for a request to /api/users "
                  f"({'the sub-path is lost: rewrite-target: / replaces the whole path' if seen == '/' else 'sub-path kept'})")
