"""ingress-nginx: the controller the guide's YAML targets
(``ingressClassName: nginx``, ``nginx.ingress.kubernetes.io/rewrite-target``).

Installed unchanged from upstream's static manifest for clusters with a
load-balancer implementation (``deploy/static/provider/cloud``) at the last
release: the controller is exposed by a Service of type LoadBalancer, which
MetalLB gives its own address, like every controller here. The manifest is
read from the pinned source archive when it is at hand (see
:mod:`harness.lab.sources`), else from the release tag upstream; both are the same
file.

Upstream retired the project in March 2026 (last release controller-v1.15.1):
the report prints that beside every claim checked on it. Offline, ``make
images`` builds its images from that source archive on Debian trixie's nginx
(1.26.3 with Debian's Lua modules, not upstream's OpenResty-patched 1.27.1),
and the report says so beside every verdict of such a run.
"""

from __future__ import annotations

import re

from harness.checks.forensics import exec_in_pods, pod_problems
from harness.checks.kube import Kube
from harness.checks.manifests import load_manifest, parse_manifest
from harness.lab.sources import Archive
from harness.lab.upstream import url_text

VERSION = "controller-v1.15.1"
SOURCE = Archive(
    "ingress-nginx",
    VERSION,
    "fab58df8086de25672960e32b0a5757a03a8b7d7d388ef1c0ae8a1ef6ceac399",
    "github.com/kubernetes/ingress-nginx",
)
MANIFEST = "deploy/static/provider/cloud/deploy.yaml"
MANIFEST_URL = f"https://raw.githubusercontent.com/kubernetes/ingress-nginx/{VERSION}/{MANIFEST}"
NAMESPACE = "ingress-nginx"
CONTROLLER_IMAGE = "registry.k8s.io/ingress-nginx/controller:v1.15.1"
CERTGEN_IMAGE = "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9"
_DIGEST = re.compile(r"(image:\s*\S+?)@sha256:[0-9a-f]{64}")


def manifest(*, local_images: bool = False) -> list[dict]:
    """Upstream's manifest; with ``local_images`` the ``@sha256`` digests go,
    since no image built here can match them (names and tags stay)."""
    text = SOURCE.read(MANIFEST) if SOURCE.available() else url_text(MANIFEST_URL)
    if local_images:
        text = _DIGEST.sub(r"\1", text)
    return parse_manifest(text, source=f"ingress-nginx {VERSION} {MANIFEST}", template=False)


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
    notice = (
        "ingress-nginx was retired upstream in March 2026 (last release controller-v1.15.1): "
        "this verdict describes a controller that no longer receives fixes"
    )
    offline_notice = (
        "image built here from the controller-v1.15.1 source on Debian trixie's nginx 1.26.3 with "
        "Debian's Lua modules, not upstream's OpenResty-patched nginx 1.27.1"
    )

    def images(self) -> list[str]:
        return [CONTROLLER_IMAGE, CERTGEN_IMAGE]

    def present(self, ctx) -> bool:
        return ctx.kube.get("apps/v1", "Deployment", self.service, NAMESPACE) is not None

    def install(self, ctx) -> None:
        ctx.kube.apply(manifest(local_images=ctx.options.images_dir is not None))

    def wait_ready(self, ctx) -> None:
        kube: Kube = ctx.kube
        kube.wait_deployments(NAMESPACE, [self.service], deadline=kube.timeouts.addon_ready)
        # The admission webhook (failurePolicy Fail) rejects every Ingress of
        # the cluster until its jobs (deleted once done: ttlSecondsAfterFinished
        # 0) have made and patched in its certificate and the controller
        # serves it. Ready means: it admits an Ingress (dry run, nothing kept).
        probe = load_manifest("addons/ingress-nginx-webhook-probe.yaml", namespace=NAMESPACE)

        kube.apply_when_admitted(
            probe,
            dry_run=True,
            what="the ingress-nginx admission webhook admits an Ingress",
            hint=lambda: (
                f"pods in {NAMESPACE}: {pod_problems(kube, NAMESPACE) or 'none unhealthy'}; "
                "ValidatingWebhookConfiguration ingress-nginx-admission (caBundle); controller logs"
            ),
        )
        kube.wait_load_balancer(NAMESPACE, self.service)

    def rendered_config(self, ctx) -> dict[str, str]:
        """The nginx.conf the controller wrote (failure evidence)."""
        return exec_in_pods(ctx.kube, NAMESPACE, self.log_selector, ["cat", "/etc/nginx/nginx.conf"], name="nginx.conf")


ADDON = IngressNginx()
