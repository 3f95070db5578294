"""Traefik's NGINX-annotation provider as a controller of its own
("traefik-nginx"): the guide's ``ingressClassName: nginx`` YAML, annotations
included, served unchanged by a second Traefik that runs only its
kubernetesIngressNGINX provider (experimental in v3.7).

It exists because ingress-nginx itself cannot run offline and was retired
upstream; its verdicts are about Traefik's reading of the guide's YAML, not
about ingress-nginx, and the report says so beside each of them. It shares
IngressClass "nginx" with ingress-nginx when both are selected.
"""

from __future__ import annotations

from harness.checks.kube import Kube
from harness.checks.manifests import load_manifest
from harness.lab.addons.traefik import IMAGE, VERSION

NAMESPACE = "traefik-nginx"


class TraefikNginx:
    name = "traefik_nginx"
    controller = "traefik-nginx"
    version = VERSION
    depends: tuple[str, ...] = ("metallb",)
    ingress_class = "nginx"
    gateway_class = None
    default_certificate_cn = "TRAEFIK DEFAULT CERT"
    namespace = NAMESPACE
    service = "traefik-nginx"
    log_selector = "app=traefik-nginx"
    notice = (
        "checked on Traefik's kubernetesIngressNGINX provider (experimental), which reads the guide's "
        "nginx-class YAML and annotations: this is not ingress-nginx"
    )

    def images(self) -> list[str]:
        return [IMAGE]

    def present(self, ctx) -> bool:
        return ctx.kube.get("apps/v1", "Deployment", "traefik-nginx", NAMESPACE) is not None

    def install(self, ctx) -> None:
        ctx.kube.apply(load_manifest("addons/traefik-nginx.yaml", namespace=NAMESPACE, image=IMAGE))

    def wait_ready(self, ctx) -> None:
        kube: Kube = ctx.kube
        kube.wait_deployments(NAMESPACE, ["traefik-nginx"], deadline=kube.timeouts.addon_ready)
        kube.wait_load_balancer(NAMESPACE, self.service)


ADDON = TraefikNginx()
