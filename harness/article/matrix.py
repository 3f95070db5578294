"""The subjects of a run as the derivation sees them (:class:`Subject`),
built from the controller addons, without a cluster: what ``--plan`` plans
for, and what the pytest plugin may build its matrix from."""

from __future__ import annotations

from typing import Any

from harness.article.model import Subject
from harness.lab.addons import CONTROLLER_ADDONS

# The controller string of the IngressClass / GatewayClass each controller serves whatever the class's
# name: an article's own class naming it is applied (renamed) and served. None: the controller serves
# its class by name only (F5 NGINX IC's -ingress-class), or the harness has not seen it serve another.
CONTROLLER_STRINGS: dict[str, tuple[str | None, str | None]] = {
    "nginx": ("k8s.io/ingress-nginx", None),
    "nginx-inc": (None, None),
    "traefik": ("traefik.io/ingress-controller", "traefik.io/gateway-controller"),
    "traefik-nginx": (None, None),
    "envoy-gateway": (None, "gateway.envoyproxy.io/gatewayclass-controller"),
}


def listener_ports(addon: Any) -> dict[str, tuple[int, int]] | None:
    """The addon's listener ports by Gateway API protocol name (HTTP, HTTPS,
    TLS, TCP, UDP): an HTTPS listener's port serves TLS passthrough too."""
    ports = getattr(addon, "gateway_ports", None)
    if not ports:
        return None
    out = {proto.upper(): pair for proto, pair in ports.items()}
    if "HTTPS" in out:
        out.setdefault("TLS", out["HTTPS"])
    return out


def subject_of(addon: Any) -> Subject:
    ingress_controller, gateway_controller = CONTROLLER_STRINGS.get(addon.controller, (None, None))
    return Subject(
        name=addon.controller,
        ingress_class=addon.ingress_class,
        gateway_class=addon.gateway_class,
        gateway_ports=listener_ports(addon),
        ingress_controller=ingress_controller if addon.ingress_class else None,
        gateway_controller=gateway_controller if addon.gateway_class else None,
    )


def matrix(controllers: list[str] | None = None) -> list[Subject]:
    names = controllers if controllers is not None else list(CONTROLLER_ADDONS)
    return [subject_of(CONTROLLER_ADDONS[n]) for n in names]


def known_classes() -> dict[str, list[str]]:
    return {
        "ingress": sorted({a.ingress_class for a in CONTROLLER_ADDONS.values() if a.ingress_class}),
        "gateway": sorted({a.gateway_class for a in CONTROLLER_ADDONS.values() if a.gateway_class}),
    }
