"""The images the Gateway API conformance suite's own manifests name beyond
what the e2e loads (``gateway_api`` already brings ``echo-basic:v1.5.1``).

Nothing is installed: the suite applies its manifests itself. As an addon it
gets what every addon gets: ``make images`` builds its images (recipes in
``images/recipes/gateway_conformance.py``) and an offline run loads them
into the nodes before the suite starts. Only ``python -m harness
conformance`` asks for it; the e2e never does.

The list is the suite's, read from its manifests at the pinned version
(``conformance/base/manifests.yaml`` and ``conformance/tests/*.yaml`` of
``sigs.k8s.io/gateway-api/conformance`` v1.6.1, every ``image:``), checked
again at run time by :func:`harness.conformance.gateway.suite_images`:

- ``echo-basic:v1.5.1``: base manifests (12 backends) and some TCPRoute and
  TLS tests; the gateway_api addon's image.
- ``echo-basic:v1.6.0-dev.3``: base manifests, ``infra-backend-v3`` (the
  retry tests' backend).
- ``echo-basic:v1.6.0-dev.2``: TCPRoute and UDPRoute tests only
  (GATEWAY-TCP, GATEWAY-UDP).
- ``coredns/coredns:v1.12.2``: base manifests, the UDP backend.
- ``echo-advanced:v1.5.1`` (``mesh/manifests.yaml``) is left out: it serves
  only the MESH profiles, which no implementation here claims.
"""

from __future__ import annotations

from harness.lab.addons import gateway_api

SUITE_MODULE = gateway_api.ECHO_MODULE  # sigs.k8s.io/gateway-api/conformance
SUITE_VERSION = gateway_api.VERSION  # the suite at the version of the installed CRDs

ECHO_DEV3_IMAGE = "registry.k8s.io/gateway-api/echo-basic:v1.6.0-dev.3"
ECHO_DEV2_IMAGE = "registry.k8s.io/gateway-api/echo-basic:v1.6.0-dev.2"
# Where the dev tags are built from. The Go module proxy serves tagged
# versions only. dev.3 was first named by commit a4dfe6f56 (2026-05-29);
# conformance/echo-basic there is the tree of v1.6.1 (git tree 9e788f51), so
# dev.3 is built from the module at v1.6.1. dev.2 was first named by commit
# 38b0998b4 (2026-05-19), whose echo-basic tree (c0bbeec0) no tagged version
# carries: it is built from the same v1.6.1 tree, a superset (it adds the
# retry simulation's TCP failure mode and serves h2c through net/http). Only
# the TCPRoute/UDPRoute tests use it.
ECHO_DEV_SOURCE_VERSION = "v1.6.1"
COREDNS_VERSION = "v1.12.2"
COREDNS_IMAGE = f"registry.k8s.io/coredns/coredns:{COREDNS_VERSION}"
# images the suite names that the harness deliberately does not build, and why
NOT_BUILT = {
    "registry.k8s.io/gateway-api/echo-advanced:v1.5.1": "mesh/manifests.yaml: MESH profiles only (not run here)",
}


class GatewayConformanceImages:
    name = "gateway_api_conformance"
    version = SUITE_VERSION
    depends: tuple[str, ...] = ("gateway_api",)

    def images(self) -> list[str]:
        return [ECHO_DEV3_IMAGE, ECHO_DEV2_IMAGE, COREDNS_IMAGE]

    def present(self, ctx) -> bool:
        return True  # nothing to install; an offline run loads the images before install

    def install(self, ctx) -> None:
        return None

    def wait_ready(self, ctx) -> None:
        return None


ADDON = GatewayConformanceImages()
