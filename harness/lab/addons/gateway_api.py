"""Gateway API: the CRDs (pinned release, read from the gateway-api Go
module's config/crd) and the conformance suite's echo server, which every
suite uses as its backend.

The experimental channel is a superset of the standard one (it adds TCPRoute,
UDPRoute and the x-k8s.io kinds); it is the default because the guide's
Gateway API claims are about multi-protocol routing. ``GATEWAY_API_CHANNEL``
selects the standard channel instead.
"""

from __future__ import annotations

import os

from harness.checks.consistency import eventually
from harness.checks.kube import Kube
from harness.checks.manifests import parse_manifest
from harness.lab.upstream import module_files


def wait_class_accepted(kube: Kube, name: str, *, hint: str) -> dict[str, str]:
    """Wait until the GatewayClass ``name`` says Accepted=True; its conditions (type -> status)."""

    def accepted() -> dict[str, str]:
        gc = kube.get("gateway.networking.k8s.io/v1", "GatewayClass", name) or {}
        conds = {c["type"]: c["status"] for c in gc.get("status", {}).get("conditions", [])}
        assert conds.get("Accepted") == "True", f"GatewayClass {name} conditions {conds}"
        return conds

    return eventually(
        accepted,
        what=f"GatewayClass {name} accepted",
        timeouts=kube.timeouts,
        deadline=kube.timeouts.addon_ready,
        hint=hint,
    )


MODULE = "sigs.k8s.io/gateway-api"
VERSION = "v1.6.1"  # the release Traefik v3.7 is built against
CHANNEL = os.environ.get("GATEWAY_API_CHANNEL", "experimental")

# The echo server of the Gateway API conformance suite, as its v1.6.1
# manifests reference it; built offline from the conformance module.
ECHO_MODULE = "sigs.k8s.io/gateway-api/conformance"
ECHO_VERSION = "v1.5.1"
ECHO_IMAGE = f"registry.k8s.io/gateway-api/echo-basic:{ECHO_VERSION}"
# The UDP backend: CoreDNS, as Kubernetes v1.34's kubeadm names it, so every
# node already holds it (the Gateway API conformance suite's UDP backend too).
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.1"


def crds(channel: str = CHANNEL) -> list[dict]:
    if channel not in ("standard", "experimental"):
        raise ValueError(f"GATEWAY_API_CHANNEL must be standard or experimental, not {channel!r}")
    docs: list[dict] = []
    for name, text in module_files(MODULE, VERSION, f"config/crd/{channel}").items():
        if name == "kustomization.yaml":
            continue
        docs.extend(parse_manifest(text, source=f"gateway-api {VERSION} {channel}/{name}", template=False))
    return docs


class GatewayAPI:
    name = "gateway_api"
    version = f"{VERSION} ({CHANNEL})"
    depends: tuple[str, ...] = ()

    def images(self) -> list[str]:
        return [ECHO_IMAGE]

    def present(self, ctx) -> bool:
        return (
            ctx.kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "httproutes.gateway.networking.k8s.io")
            is not None
        )

    def install(self, ctx) -> None:
        ctx.kube.apply(crds())

    def wait_ready(self, ctx) -> None:
        kube: Kube = ctx.kube
        names = [d["metadata"]["name"] for d in crds() if d["kind"] == "CustomResourceDefinition"]
        kube.wait_crds(names, deadline=kube.timeouts.addon_ready)


ADDON = GatewayAPI()
