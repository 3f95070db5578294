"""MetalLB controller and speaker from the MetalLB Go module."""

from __future__ import annotations

from harness.lab.addons import metallb

from . import recipe


@recipe(*metallb.ADDON.images())
def metallb_image(b, image: str) -> None:
    component = image.rsplit("/", 1)[1].split(":")[0]  # controller | speaker
    d = b.go_binaries(metallb.MODULE, metallb.VERSION, [f"{metallb.MODULE}/{component}={component}"])
    b.docker_build(
        image, f'FROM scratch\nCOPY {component} /{component}\nENTRYPOINT ["/{component}"]\n', {component: d / component}
    )
