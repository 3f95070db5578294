"""Shared set-up of the suites: the guide's web-gateway on a controller, and
the scene its expectation rows resolve against."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.checks.expect import applied, probe
from harness.checks.manifests import load_manifest, rename_hosts, unique_host, with_ingress_class
from harness.checks.probes import ProbeError
from harness.checks.rows import Scene, http
from harness.checks.timeouts import Timeouts
from harness.lab.backends import Backend, deploy_echo, secret_cert_sha256, tls_secret

# The guide's YAML targets ingress-nginx (and Traefik's NGINX-annotation
# provider reads it unchanged); Traefik and F5's NGINX Ingress Controller get
# the same routing in their own idiom. A new controller is one entry here.
GUIDE_WEB_GATEWAY = "guide/web-gateway-ingress.yaml"
WEB_GATEWAY = {
    "nginx": GUIDE_WEB_GATEWAY,
    "nginx-inc": "ingress/web-gateway-nginx-inc.yaml",
    "traefik": "ingress/web-gateway-traefik.yaml",
    "traefik-nginx": GUIDE_WEB_GATEWAY,
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
    address: str | None = None,
) -> Scene:
    """The scene of one test on ``controller``: its address (or ``address``),
    the test's own names for the guide's ``hosts``, and the pods of ``backends``."""
    return Scene(
        address=address or controller.address,
        timeouts=timeouts,
        namespaces=(ns,),
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
        try:
            r = probe(http("shop.example.com", path, status=None), self.scene)()
        except ProbeError as exc:
            return f"plain HTTP {path}: {exc.kind} ({exc.detail})"
        if 300 <= r.status < 400:
            return f"plain HTTP {path}: {r.status} redirect to {r.headers.get('location')}"
        return f"plain HTTP {path}: {r.status}" + (f" from {r.echo.get('pod')}" if r.echo else "")


def deploy_web_gateway(
    controller, kube, ns, run_ca, timeouts, evidence, manifest: str, *, ingress_class: str | None = None
) -> WebGateway:
    """api-svc and frontend-svc behind ``manifest`` (host renamed for this
    test, and its class when ``ingress_class`` is given), with shop-tls from
    the run's CA. The Ingress is the object under test: refused by admission,
    it is a failed check of the test's claims."""
    host = unique_host(ns, "shop.example.com")
    backends = deploy_echo(kube, ns, "api-svc", "frontend-svc")
    tls_secret(kube, ns, "shop-tls", run_ca.issue_cert(host))
    docs = rename_hosts(load_manifest(manifest, namespace=ns), {"shop.example.com": host})
    if ingress_class:
        docs = with_ingress_class(docs, ingress_class)
    applied(kube, docs, evidence, namespace=ns)
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


@pytest.fixture
def web_gateway(controller, kube, ns, run_ca, timeouts, evidence) -> WebGateway:
    """The guide's web-gateway in the controller's idiom (the guide's YAML itself on the NGINX-class ones)."""
    return deploy_web_gateway(controller, kube, ns, run_ca, timeouts, evidence, WEB_GATEWAY[controller.name])


def gateway_vars(controller, **more) -> dict:
    """What a Gateway manifest needs from its implementation: the
    GatewayClass and the listener port for each protocol it serves."""
    ports = {
        f"{p}_port": controller.gateway_port(p)
        for p in ("http", "https", "tcp", "udp")
        if controller.supports_listener(p)
    }
    return {"gateway_class": controller.gateway_class, **ports, **more}


def gateway_scene(controller, kube, timeouts, ns: str, gateway: str, *, gateway_ns: str | None = None, **kw) -> Scene:
    """A scene addressed at a Gateway: where its status says it listens."""
    return scene_for(controller, timeouts, ns, address=controller.gateway_address(gateway_ns or ns, gateway), **kw)
