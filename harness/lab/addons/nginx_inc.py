"""F5's NGINX Ingress Controller ("nginx-inc"): the NGINX controller the
guide's docs.nginx.com link leads to. A different product from ingress-nginx:
its annotations are ``nginx.org/*``, and it is still maintained.

Installed from upstream's static manifests of the pinned release (namespace,
RBAC, ConfigMap, IngressClass, Deployment, LoadBalancer Service), read from
the pinned source archive when it is at hand, else from the release tag
upstream. What the harness changes, each for a stated reason:

- its IngressClass is ``nginx-inc`` (upstream names it ``nginx``, which is
  ingress-nginx's, so the two can sit in one cluster), and the controller is
  told that class;
- ``-enable-custom-resources=false``: the guide is about Ingress, so its
  VirtualServer CRDs are not installed;
- ``-enable-telemetry-reporting=false``: on by default, it dials F5's
  endpoint, and a test run sends traffic nowhere but its own cluster;
- ``-enable-config-safety``: one Ingress nginx rejects (NIC renders some,
  e.g. nginx.org/rewrite-target on an Exact path, into an invalid rewrite)
  then drops only that Ingress, instead of failing every reload for every
  test sharing the controller.

Offline,
``make images`` builds its image from the same archive on Debian trixie's
nginx with the njs and stream modules, and the report says so.
"""

from __future__ import annotations

import copy

from harness.checks.forensics import exec_in_pods
from harness.checks.kube import Kube
from harness.checks.manifests import parse_manifest
from harness.lab.sources import Archive
from harness.lab.upstream import url_text

VERSION = "v5.5.4"
SOURCE = Archive(
    "kubernetes-ingress",
    VERSION,
    "b3a9dd235433b950a94630d99a2ec40ad1f03f752220afaf5904dc138b4139c4",
    "github.com/nginx/kubernetes-ingress",
)
IMAGE = "nginx/nginx-ingress:5.5.4"
NAMESPACE = "nginx-ingress"
INGRESS_CLASS = "nginx-inc"
MANIFESTS = (
    "deployments/common/ns-and-sa.yaml",
    "deployments/rbac/rbac.yaml",
    "deployments/common/nginx-config.yaml",
    "deployments/common/ingress-class.yaml",
    "deployments/deployment/nginx-ingress.yaml",
    "deployments/service/loadbalancer.yaml",
)


def manifest() -> list[dict]:
    docs: list[dict] = []
    for path in MANIFESTS:
        if SOURCE.available():
            text = SOURCE.read(path)
        else:
            text = url_text(f"https://raw.githubusercontent.com/nginx/kubernetes-ingress/{VERSION}/{path}")
        docs.extend(parse_manifest(text, source=f"kubernetes-ingress {VERSION} {path}", template=False))
    return [_own_class(d) for d in docs]


def _own_class(doc: dict) -> dict:
    """Upstream's IngressClass renamed, and the controller's flags set (see the module docstring)."""
    doc = copy.deepcopy(doc)
    if doc["kind"] == "IngressClass":
        doc["metadata"]["name"] = INGRESS_CLASS
    if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "nginx-ingress":
        container = doc["spec"]["template"]["spec"]["containers"][0]
        ours = {
            "-ingress-class": INGRESS_CLASS,
            "-enable-custom-resources": "false",
            "-enable-telemetry-reporting": "false",
            "-enable-config-safety": "true",
        }
        container["args"] = [a for a in container.get("args", []) if a.split("=", 1)[0] not in ours]
        container["args"] += [f"{k}={v}" for k, v in ours.items()]
    return doc


class NginxInc:
    name = "nginx_inc"
    controller = "nginx-inc"
    version = VERSION
    depends: tuple[str, ...] = ("metallb",)
    ingress_class = INGRESS_CLASS
    gateway_class = None
    # With no -default-server-tls-secret its default server rejects the TLS
    # handshake for a name it has no certificate for: no certificate at all.
    default_certificate_cn = None
    namespace = NAMESPACE
    service = "nginx-ingress"
    log_selector = "app=nginx-ingress"
    notice = (
        "F5 NGINX Ingress Controller (nginx.org/* annotations), not ingress-nginx: the guide's "
        "nginx.ingress.kubernetes.io/* annotations are not its own"
    )
    offline_notice = (
        "image built here from the v5.5.4 source on Debian trixie's nginx 1.26.3 with njs 0.8.9, not "
        "upstream's nginx.org packages"
    )

    def images(self) -> list[str]:
        return [IMAGE]

    def present(self, ctx) -> bool:
        return ctx.kube.get("apps/v1", "Deployment", "nginx-ingress", NAMESPACE) is not None

    def install(self, ctx) -> None:
        ctx.kube.apply(manifest())

    def wait_ready(self, ctx) -> None:
        kube: Kube = ctx.kube
        kube.wait_deployments(NAMESPACE, ["nginx-ingress"], deadline=kube.timeouts.addon_ready)
        kube.wait_load_balancer(NAMESPACE, self.service)

    def rendered_config(self, ctx) -> dict[str, str]:
        """nginx.conf and the per-Ingress files the controller wrote (failure evidence)."""
        return exec_in_pods(
            ctx.kube,
            NAMESPACE,
            self.log_selector,
            ["sh", "-c", "cat /etc/nginx/nginx.conf /etc/nginx/conf.d/*.conf"],
            name="nginx-config",
        )


ADDON = NginxInc()
