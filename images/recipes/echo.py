"""echo-basic, the Gateway API conformance echo server every suite routes to."""

from __future__ import annotations

from harness.lab.addons import gateway_api

from . import recipe


@recipe(gateway_api.ECHO_IMAGE)
def echo_image(b, image: str) -> None:
    version = gateway_api.ECHO_VERSION
    pkg = f"{gateway_api.ECHO_MODULE}/echo-basic"
    # the conformance module reaches gateway-api only through a replace: pin it
    d = b.go_binaries(
        gateway_api.ECHO_MODULE, version, [f"{pkg}=echo-basic"], extra_requires=(f"{gateway_api.MODULE}@{version}",)
    )
    b.docker_build(
        image,
        'FROM scratch\nCOPY echo-basic /echo-basic\nUSER 65532:65532\nENTRYPOINT ["/echo-basic"]\n',
        {"echo-basic": d / "echo-basic"},
    )
