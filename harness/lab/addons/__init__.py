"""Addons: what the harness installs into the cluster, one module each.

Every addon has a pinned version, an idempotent ``install``, a real readiness
wait (``wait_ready``), a ``present`` check used on clusters the harness did
not create, and the list of images it needs (``images``), which is what
``make images`` builds and what an offline run loads into the nodes.

Cluster-wide set-up happens once per run behind the cluster's file lock; the
addons each run completed are recorded in the cluster's state so the other
workers only re-check readiness.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kubernetes.client.rest import ApiException

from harness.checks.consistency import eventually
from harness.checks.forensics import pod_logs
from harness.checks.kube import Kube, api_reason
from harness.lab import cluster as clusters
from harness.lab.cluster import Cluster, log
from harness.options import Options
from harness.results.errors import HarnessError


class AddonUnavailable(Exception):
    """The addon cannot be had on this run (e.g. its images cannot be built
    offline); tests that need it are reported "not checkable here"."""


@dataclass
class Context:
    cluster: Cluster
    kube: Kube
    options: Options


class Addon(Protocol):
    name: str
    version: str
    depends: tuple[str, ...]

    def images(self) -> list[str]: ...
    def install(self, ctx: Context) -> None: ...
    def wait_ready(self, ctx: Context) -> None: ...
    def present(self, ctx: Context) -> bool: ...


def _present(ctx: Context, addon: Addon) -> bool:
    """``addon.present`` on a cluster the harness did not make: only "not
    found" reads as absent; anything else the API says is one line."""
    try:
        return addon.present(ctx)
    except ApiException as exc:
        raise HarnessError(
            f"cannot tell whether {addon.name} is installed in the cluster: Kubernetes API {api_reason(exc)}"
        ) from None


class BoundController:
    """A controller addon bound to the run's cluster: what a test needs to
    point probes at it and to collect its logs."""

    def __init__(self, addon: ControllerAddon, ctx: Context):
        self.addon = addon
        self.ctx = ctx
        self.name = addon.controller
        self.ingress_class = addon.ingress_class
        self.gateway_class = addon.gateway_class
        self.default_certificate_cn = addon.default_certificate_cn
        self._address: str | None = None

    @property
    def address(self) -> str:
        """The external (MetalLB) address of the controller's LoadBalancer Service."""
        if self._address is None:
            self._address = self.ctx.kube.wait_load_balancer(self.addon.namespace, self.addon.service)
        return self._address

    def service(self) -> tuple[str, str]:
        return self.addon.namespace, self.addon.service

    def gateway_port(self, protocol: str) -> int:
        """The listener port a Gateway of this implementation declares for
        ``protocol`` (http, https, tcp, udp)."""
        return self._ports(protocol)[0]

    def probe_port(self, protocol: str) -> int:
        """The port a client reaches that listener on, at the Gateway's address."""
        return self._ports(protocol)[1]

    def supports_listener(self, protocol: str) -> bool:
        return protocol in getattr(self.addon, "gateway_ports", {})

    def _ports(self, protocol: str) -> tuple[int, int]:
        ports = getattr(self.addon, "gateway_ports", {})
        if protocol not in ports:
            raise KeyError(f"{self.name} has no {protocol} listener port configured")
        return ports[protocol]

    def gateway_address(self, namespace: str, gateway: str) -> str:
        """The address a Gateway's status reports (its implementation's LoadBalancer address)."""
        kube = self.ctx.kube

        def addressed() -> str:
            gw = kube.get("gateway.networking.k8s.io/v1", "Gateway", gateway, namespace) or {}
            values = [a.get("value") for a in gw.get("status", {}).get("addresses", []) if a.get("value")]
            assert values, f"Gateway {namespace}/{gateway} reports no address yet"
            return str(values[0])

        return eventually(
            addressed,
            what=f"address of Gateway {namespace}/{gateway}",
            timeouts=kube.timeouts,
            deadline=kube.timeouts.load_balancer_address,
            hint=f"{self.name} logs; the Gateway's status; MetalLB for its Service",
        )

    def logs(self, tail: int = 300) -> dict[str, str]:
        return pod_logs(self.ctx.kube, self.addon.namespace, self.addon.log_selector, tail=tail)

    def __repr__(self) -> str:
        return f"<controller {self.name}>"


class ControllerAddon(Addon, Protocol):
    controller: str
    ingress_class: str | None  # None: not an Ingress controller
    gateway_class: str | None  # None: no Gateway API implementation
    default_certificate_cn: str | None  # what it presents for names it has no certificate for (None: refuses)
    namespace: str
    service: str
    log_selector: str
    notice: str | None


# ---------------------------------------------------------------------------
# offline images
# ---------------------------------------------------------------------------


def image_index(images_dir: Path) -> dict[str, str]:
    """``index.json`` written by ``make images``: image reference -> archive
    file; empty when nothing was built there yet. A file that is there but
    cannot be read is one line, not "nothing built"."""
    path = images_dir / "index.json"
    if not path.exists():
        return {}
    try:
        images = json.loads(path.read_text())["images"]
        if not isinstance(images, dict):
            raise ValueError("'images' is not a mapping")
        return {str(k): str(v) for k, v in images.items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HarnessError(
            f"the image index {path} is unreadable ({type(exc).__name__}: {exc}); remove it and run `make images`"
        ) from None


def load_images(ctx: Context, addon: Addon) -> None:
    """Offline runs: put the addon's images into the nodes from local
    archives; an image that was not built makes the addon unavailable."""
    if ctx.options.images_dir is None or not ctx.cluster.created_by_harness:
        return
    index = image_index(ctx.options.images_dir)
    missing = [i for i in addon.images() if i not in index]
    if missing:
        raise AddonUnavailable(
            f"{addon.name} is not available offline: {', '.join(missing)} not in "
            f"{ctx.options.images_dir} (build it with `make images`)"
        )
    present = ctx.cluster.node_images()
    for image in addon.images():
        if image in present or f"docker.io/{image}" in present:
            continue
        started = time.monotonic()
        ctx.cluster.load_image_archive(ctx.options.images_dir / index[image])
        log(f"loaded {image} into the nodes in {time.monotonic() - started:.1f}s")


# ---------------------------------------------------------------------------
# install once per run
# ---------------------------------------------------------------------------


def _registry() -> dict[str, Addon]:
    from harness.lab.addons import (
        envoy_gateway,
        gateway_api,
        gateway_conformance,
        ingress_nginx,
        metallb,
        nginx_inc,
        traefik,
        traefik_nginx,
    )

    addons: list[Addon] = [
        metallb.ADDON,
        gateway_api.ADDON,
        gateway_conformance.ADDON,
        ingress_nginx.ADDON,
        nginx_inc.ADDON,
        traefik.ADDON,
        traefik_nginx.ADDON,
        envoy_gateway.ADDON,
    ]
    return {a.name: a for a in addons}


ADDONS: dict[str, Addon] = _registry()
CONTROLLER_ADDONS: dict[str, Any] = {a.controller: a for a in ADDONS.values() if hasattr(a, "controller")}


def subject_notices(options: Options) -> dict[str, str]:
    """What the report prints beside every verdict of a controller: its own
    notice (a retirement, say) and, when its images were built here rather
    than pulled, how they differ from upstream's (``offline_notice``)."""
    out: dict[str, str] = {}
    for name, addon in CONTROLLER_ADDONS.items():
        parts = [addon.notice] if addon.notice else []
        offline = getattr(addon, "offline_notice", None)
        if offline and options.images_dir is not None:
            parts.append(offline)
        if parts:
            out[name] = "; ".join(parts)
    return out


def install_order(names: list[str]) -> list[str]:
    """``names`` with every addon they depend on, each after its dependencies."""
    out: list[str] = []

    def visit(n: str) -> None:
        for d in ADDONS[n].depends:
            visit(d)
        if n not in out:
            out.append(n)

    for n in names:
        visit(n)
    return out


def ensure_addons(ctx: Context, names: list[str]) -> None:
    """Install (once per run, under the cluster lock) and wait for ``names``
    and what they depend on. An addon that failed earlier in the run fails
    again at once with the same reason instead of being retried per test."""
    opts = ctx.options
    for name in install_order(names):
        addon = ADDONS[name]
        state = clusters.read_state(opts)
        done = state.get("addons", {})
        failed = state.get("addon_failures", {})
        if name in failed:
            raise AddonUnavailable(failed[name])
        if done.get(name) == addon.version:
            continue
        with clusters.locked(opts):
            state = clusters.read_state(opts)
            if name in state.get("addon_failures", {}):
                raise AddonUnavailable(state["addon_failures"][name])
            if state.get("addons", {}).get(name) == addon.version:
                continue
            if not ctx.cluster.created_by_harness and _present(ctx, addon):
                log(f"{name} is already installed in the existing cluster; leaving it as it is")
                addon.wait_ready(ctx)
                continue
            started = time.monotonic()
            try:
                load_images(ctx, addon)
                log(f"installing {name} {addon.version}")
                addon.install(ctx)
                addon.wait_ready(ctx)
            except AddonUnavailable as exc:
                clusters.update_state(opts, addon_failures={name: str(exc)})
                raise
            except Exception as exc:
                first = (str(exc).splitlines() or [type(exc).__name__])[0]
                clusters.update_state(opts, addon_failures={name: f"{name} failed to install: {first}"})
                raise
            log(f"{name} ready in {time.monotonic() - started:.0f}s")
            clusters.update_state(
                opts, addons={name: addon.version}, addon_seconds={name: round(time.monotonic() - started, 1)}
            )


def rendered_config(ctrl: BoundController | None) -> dict[str, str]:
    """The controller's rendered configuration, when its addon offers
    ``rendered_config(ctx) -> dict[str, str]``; evidence only, so a failure
    to render is written down instead of raised."""
    render = getattr(ctrl.addon, "rendered_config", None) if ctrl is not None else None
    if ctrl is None or not callable(render):
        return {}
    try:
        return dict(render(ctrl.ctx))
    except Exception as exc:  # noqa: BLE001 - evidence must not mask the test's own failure
        return {"error.txt": f"rendered_config failed: {type(exc).__name__}: {exc}\n"}
