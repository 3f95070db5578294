"""The further images the Gateway API conformance suite's manifests name
(:mod:`harness.lab.addons.gateway_conformance`): echo-basic under its dev tags,
from the conformance module, and CoreDNS, from its Go module, as the node
image's own CoreDNS is built (images/node.py)."""

from __future__ import annotations

from harness.lab.addons import gateway_api, gateway_conformance

from . import recipe

ECHO_PINS = (gateway_conformance.SUITE_MODULE, gateway_conformance.ECHO_DEV_SOURCE_VERSION)


@recipe(gateway_conformance.ECHO_DEV3_IMAGE, gateway_conformance.ECHO_DEV2_IMAGE, key=ECHO_PINS)
def echo_dev_image(b, image: str) -> None:
    version = gateway_conformance.ECHO_DEV_SOURCE_VERSION
    module = gateway_conformance.SUITE_MODULE
    # the conformance module reaches gateway-api only through a replace: pin it (as echo.py does)
    d = b.go_binaries(
        module, version, [f"{module}/echo-basic=echo-basic"], extra_requires=(f"{gateway_api.MODULE}@{version}",)
    )
    b.docker_build(
        image,
        'FROM scratch\nCOPY echo-basic /echo-basic\nUSER 65532:65532\nENTRYPOINT ["/echo-basic"]\n',
        {"echo-basic": d / "echo-basic"},
    )


COREDNS_MODULE = "github.com/coredns/coredns"


@recipe(gateway_conformance.COREDNS_IMAGE, key=(COREDNS_MODULE, gateway_conformance.COREDNS_VERSION))
def coredns_image(b, image: str) -> None:
    d = b.go_binaries(COREDNS_MODULE, gateway_conformance.COREDNS_VERSION, [f"{COREDNS_MODULE}=coredns"])
    b.docker_build(
        image,
        'FROM scratch\nCOPY coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT ["/coredns"]\n',
        {"coredns": d / "coredns"},
    )
