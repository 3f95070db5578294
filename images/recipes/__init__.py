"""How each addon image is built offline: one small module per image family.

A recipe is ``fn(builder, image)`` registered for the image references it
builds with :func:`recipe`; those references are exactly the ones the addons'
manifests use (``harness/addons/*``), so nothing forks between online and
offline runs. Each recipe builds from pinned inputs the machine can reach:
a Go module from the module proxy, a wheel from PyPI, Debian packages, or a
pinned source archive (:mod:`harness.lab.sources`). A recipe's optional ``key``
names further inputs that should rebuild it when they change; its own source
file is always part of its key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Recipe = Callable[[Any, str], None]  # (images.builder.Builder, image reference)
RECIPES: dict[str, Recipe] = {}


def recipe(*images: str, key: object = ""):
    def register(fn: Recipe) -> Recipe:
        fn.key = key  # type: ignore[attr-defined]
        for image in images:
            if image in RECIPES:
                raise ValueError(f"two recipes build {image}")
            RECIPES[image] = fn
        return fn

    return register


# the recipe modules register themselves on import
from . import echo, envoy_gateway, gateway_conformance, ingress_nginx, metallb, nginx_inc, traefik  # noqa: E402,F401
