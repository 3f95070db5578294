"""Shared set-up of the suites: the guide's web-gateway on a controller."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.backends import deploy_echo, tls_secret
from harness.kube import load_manifest, rename_hosts, unique_host, with_ingress_class
from harness.probes import http_get

# The guide's YAML targets ingress-nginx (and Traefik's NGINX-annotation
# provider reads it unchanged); Traefik and F5's NGINX Ingress Controller get
# the same routing in their own idiom.
GUIDE_WEB_GATEWAY = "guide/web-gateway-ingress.yaml"
WEB_GATEWAY = {
    "nginx": GUIDE_WEB_GATEWAY,
    "nginx-inc": "ingress/web-gateway-nginx-inc.yaml",
    "traefik": "ingress/web-gateway-traefik.yaml",
    "traefik-nginx": GUIDE_WEB_GATEWAY,
}


@dataclass
class WebGateway:
    host: str          # this test's shop.example.com
    address: str       # the controller's external address
    backends: dict     # name -> Backend (pods)
    manifest: str
    ca_pem: bytes      # the run's CA, which issued shop-tls

    def routes_to(self, path: str, service: str, timeouts, *, address: str | None = None):
        """A check: HTTPS GET ``path`` for this host (the guide's Ingress
        terminates TLS for it) reaches a pod of ``service``."""
        pods = set(self.backends[service].pods)
        target = address or self.address

        def check():
            r = http_get(target, 443, path, host=self.host, https=True, ca_pem=self.ca_pem, timeout=timeouts.request)
            assert r.status == 200, f"GET https://{self.host}{path}: status {r.status}, wanted 200 from {service}"
            assert r.echo is not None, f"GET {path}: reply is not the echo server's JSON: {r.body[:120]!r}"
            assert r.echo.get("pod") in pods, f"GET {path} answered by {r.echo.get('pod')}, wanted a pod of {service} {sorted(pods)}"
            return r

        return check

    def plain_http(self, path: str, timeouts) -> str:
        """What plain HTTP to the same host and path gets (one observation)."""
        r = http_get(self.address, 80, path, host=self.host, timeout=timeouts.request)
        if 300 <= r.status < 400:
            return f"plain HTTP {path}: {r.status} redirect to {r.headers.get('location')}"
        return f"plain HTTP {path}: {r.status}" + (f" from {r.echo.get('pod')}" if r.echo else "")


def deploy_web_gateway(controller, kube, ns, run_ca, manifest: str, *, ingress_class: str | None = None) -> WebGateway:
    """api-svc and frontend-svc behind ``manifest`` (host renamed for this
    test, and its class when ``ingress_class`` is given), with shop-tls from
    the run's CA."""
    host = unique_host(ns, "shop.example.com")
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    tls_secret(kube, ns, "shop-tls", run_ca.issue_cert(host))
    docs = rename_hosts(load_manifest(manifest, namespace=ns), {"shop.example.com": host})
    if ingress_class:
        docs = with_ingress_class(docs, ingress_class)
    kube.apply(docs, namespace=ns)
    return WebGateway(host=host, address=controller.address, backends=backends, manifest=manifest,
                      ca_pem=run_ca.cert_pem.bytes())


@pytest.fixture
def web_gateway(controller, kube, ns, run_ca) -> WebGateway:
    """The guide's web-gateway in the controller's idiom (the guide's YAML itself on the NGINX-class ones)."""
    return deploy_web_gateway(controller, kube, ns, run_ca, WEB_GATEWAY[controller.name])
