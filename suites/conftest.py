"""Shared set-up of the suites: the guide's web-gateway on a controller, and
the scene its expectation rows resolve against."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.backends import Backend, deploy_echo, secret_cert_sha256, tls_secret
from harness.expect import Scene, http, probe
from harness.kube import load_manifest, rename_hosts, unique_host
from harness.probes import Timeouts

# The guide's YAML targets NGINX (and Traefik's NGINX-annotation provider
# reads it unchanged); Traefik gets the same routing in its own idiom. A new
# controller is one entry here.
WEB_GATEWAY = {
    "nginx": "guide/web-gateway-ingress.yaml",
    "traefik": "ingress/web-gateway-traefik.yaml",
    "traefik-nginx": "guide/web-gateway-ingress.yaml",
}


def scene_for(
    controller,
    timeouts: Timeouts,
    ns: str,
    *,
    backends: dict[str, Backend],
    hosts=(),
    run_ca=None,
    certificates: dict[str, str] | None = None,
) -> Scene:
    """The scene of one test on ``controller``: its address, the test's own
    names for the guide's ``hosts``, and the pods of ``backends``."""
    return Scene(
        address=controller.address,
        timeouts=timeouts,
        backends={name: b.pods for name, b in backends.items()},
        hosts={h: unique_host(ns, h) for h in hosts},
        certificates=certificates or {},
        ca_pem=run_ca.cert_pem.bytes() if run_ca is not None else None,
        default_certificate_cn=controller.default_certificate_cn,
        subject=controller.name,
    )


@dataclass
class WebGateway:
    host: str  # this test's shop.example.com
    address: str  # the controller's external address
    backends: dict[str, Backend]  # name -> Backend (pods)
    manifest: str
    scene: Scene  # shop.example.com, api-svc, frontend-svc and shop-tls of this test

    def plain_http(self, path: str) -> str:
        """What plain HTTP to the same host and path gets (one observation, for a note)."""
        r = probe(http("shop.example.com", path, status=None), self.scene)()
        if 300 <= r.status < 400:
            return f"plain HTTP {path}: {r.status} redirect to {r.headers.get('location')}"
        return f"plain HTTP {path}: {r.status}" + (f" from {r.echo.get('pod')}" if r.echo else "")


@pytest.fixture
def web_gateway(controller, kube, ns, run_ca, timeouts) -> WebGateway:
    """api-svc and frontend-svc behind the guide's web-gateway Ingress (host
    renamed for this test), with shop-tls from the run's CA."""
    host = unique_host(ns, "shop.example.com")
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    tls_secret(kube, ns, "shop-tls", run_ca.issue_cert(host))
    manifest = WEB_GATEWAY[controller.name]
    docs = rename_hosts(load_manifest(manifest, namespace=ns), {"shop.example.com": host})
    kube.apply(docs, namespace=ns)
    scene = scene_for(
        controller,
        timeouts,
        ns,
        backends=backends,
        hosts=["shop.example.com"],
        run_ca=run_ca,
        certificates={"shop-tls": secret_cert_sha256(kube, ns, "shop-tls")},
    )
    return WebGateway(host=host, address=controller.address, backends=backends, manifest=manifest, scene=scene)
