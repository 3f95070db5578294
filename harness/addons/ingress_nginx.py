"""ingress-nginx: the controller the guide's YAML targets
(``ingressClassName: nginx``, ``nginx.ingress.kubernetes.io/rewrite-target``).

Installed unchanged from its kind provider manifest at the last release,
which exposes the controller through a Service of type LoadBalancer: like
every controller here, NGINX gets its own MetalLB address.

Upstream retired the project in March 2026 (last release controller-v1.15.1):
the report prints that beside every claim checked on it. Its controller image
needs an OpenResty build of nginx (lua-nginx-module, stream-lua and about ten
lua-resty libraries) that neither Debian nor any other reachable package
source provides, so it cannot be built offline; on an offline run every NGINX
claim is reported "not checkable here" with that reason.
"""

from __future__ import annotations

from ..kube import Kube, parse_manifest
from ..upstream import url_text

VERSION = "controller-v1.15.1"
MANIFEST_URL = f"https://raw.githubusercontent.com/kubernetes/ingress-nginx/{VERSION}/deploy/static/provider/kind/deploy.yaml"
NAMESPACE = "ingress-nginx"
# as referenced (by tag; the manifest adds digests) by the manifest above
IMAGES = [
    "registry.k8s.io/ingress-nginx/controller:v1.15.1",
    "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9",
]


def _manifest() -> list[dict]:
    return parse_manifest(url_text(MANIFEST_URL), source=f"ingress-nginx {VERSION} kind provider")


class IngressNginx:
    name = "ingress_nginx"
    controller = "nginx"
    version = VERSION
    depends: tuple[str, ...] = ("metallb",)
    ingress_class = "nginx"
    gateway_class = None  # ingress-nginx implements no Gateway API
    default_certificate_cn = "Kubernetes Ingress Controller Fake Certificate"
    namespace = NAMESPACE
    service = "ingress-nginx-controller"
    log_selector = "app.kubernetes.io/component=controller"
    notice = ("ingress-nginx was retired upstream in March 2026 (last release controller-v1.15.1): "
              "this verdict describes a controller that no longer receives fixes")
    offline_reason = ("its controller image needs an OpenResty nginx (lua-nginx-module, stream-lua, lua-resty-*) "
                      "that no reachable package source provides")

    def images(self) -> list[str]:
        return list(IMAGES)

    def present(self, ctx) -> bool:
        return ctx.kube.get("networking.k8s.io/v1", "IngressClass", "nginx") is not None

    def install(self, ctx) -> None:
        ctx.kube.apply(_manifest())

    def wait_ready(self, ctx) -> None:
        kube: Kube = ctx.kube
        # the admission webhook (failurePolicy Fail) rejects every Ingress
        # until these jobs have made and patched in its certificate
        kube.wait_jobs(NAMESPACE, ["ingress-nginx-admission-create", "ingress-nginx-admission-patch"],
                       deadline=kube.timeouts.addon_ready)
        kube.wait_deployments(NAMESPACE, ["ingress-nginx-controller"], deadline=kube.timeouts.addon_ready)
        kube.wait_load_balancer(NAMESPACE, self.service)


ADDON = IngressNginx()
