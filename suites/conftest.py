"""Shared set-up of the suites: the guide's web-gateway on a controller."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.backends import deploy_echo, tls_secret
from harness.kube import load_manifest, rename_hosts, unique_host

# The guide's YAML targets NGINX; Traefik gets the same routing in its own idiom.
WEB_GATEWAY = {
    "nginx": "guide/web-gateway-ingress.yaml",
    "traefik": "ingress/web-gateway-traefik.yaml",
}


@dataclass
class WebGateway:
    host: str          # this test's shop.example.com
    address: str       # the controller's external address
    backends: dict     # name -> Backend (pods)
    manifest: str


@pytest.fixture
def web_gateway(controller, kube, ns, run_ca) -> WebGateway:
    """api-svc and frontend-svc behind the guide's web-gateway Ingress (host
    renamed for this test), with shop-tls from the run's CA."""
    host = unique_host(ns, "shop.example.com")
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    tls_secret(kube, ns, "shop-tls", run_ca.issue_cert(host))
    manifest = WEB_GATEWAY[controller.name]
    docs = rename_hosts(load_manifest(manifest, namespace=ns), {"shop.example.com": host})
    kube.apply(docs, namespace=ns)
    return WebGateway(host=host, address=controller.address, backends=backends, manifest=manifest)
