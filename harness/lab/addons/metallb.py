"""MetalLB: the load-balancer implementation of a kind cluster.

Installed from its native manifest at the pinned version (read from the
MetalLB Go module), with one IPAddressPool carved from the top of the docker
network the kind nodes sit on and an L2Advertisement, so every Service of
type LoadBalancer gets an address the machine running the tests can reach.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import subprocess

from harness.checks.kube import Kube
from harness.checks.manifests import ManifestError, parse_manifest
from harness.lab.upstream import module_file

MODULE = "go.universe.tf/metallb"
VERSION = "v0.15.3"
NAMESPACE = "metallb-system"
POOL = "exposure-harness"


def _manifest() -> list[dict]:
    return parse_manifest(
        module_file(MODULE, VERSION, "config/manifests/metallb-native.yaml"),
        source=f"metallb-native.yaml@{VERSION}",
        template=False,
    )


def images_in(docs: list[dict]) -> list[str]:
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "image" and isinstance(v, str):
                    found.add(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(docs)
    return sorted(found)


def docker_subnets(network: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """The subnets of a docker network, or None when docker cannot say."""
    out = subprocess.run(
        ["docker", "network", "inspect", network, "--format", "{{json .IPAM.Config}}"], capture_output=True, text=True
    )
    if out.returncode != 0:
        return None
    return [ipaddress.ip_network(c["Subnet"], strict=False) for c in json.loads(out.stdout or "[]") if c.get("Subnet")]


POOL_SIZE = 51


def pool_range(subnet: ipaddress.IPv4Network | ipaddress.IPv6Network, cluster: str) -> str:
    """51 addresses near the top of ``subnet``, away from the addresses
    docker hands out from the bottom. Clusters of other names on the same
    docker network (a kept cluster, a second checkout's run) get other
    slices of the top /24 when the subnet is that large, chosen by a hash of
    the name, so two clusters' MetalLB speakers rarely answer for one address."""
    top = subnet.broadcast_address - 5
    slices = 4 if subnet.num_addresses >= 1024 else 1
    slot = int(hashlib.sha256(cluster.encode()).hexdigest(), 16) % slices
    hi = top - slot * 60
    return f"{hi - (POOL_SIZE - 1)}-{hi}"


def docker_network_range(network: str, cluster: str) -> str:
    """The pool for ``cluster`` on the docker network its nodes sit on."""
    subnets = docker_subnets(network)
    if subnets is None:
        raise ManifestError(f"cannot read docker network {network}")
    for subnet in subnets:
        if subnet.version == 4 and subnet.num_addresses >= 64:
            return pool_range(subnet, cluster)
    raise ManifestError(f"docker network {network} has no IPv4 subnet large enough for a MetalLB pool")


def docker_network_of_nodes(kube: Kube) -> str | None:
    """For a cluster the harness did not create: the docker network whose
    subnet holds the nodes' InternalIPs (a kind cluster someone else made)."""
    ips = {
        ipaddress.ip_address(a.address)
        for n in kube.core.list_node().items
        for a in (n.status.addresses or [])
        if a.type == "InternalIP"
    }
    out = subprocess.run(["docker", "network", "ls", "--format", "{{.Name}}"], capture_output=True, text=True)
    for net in out.stdout.split() if out.returncode == 0 else []:
        if any(ip in subnet for subnet in docker_subnets(net) or [] for ip in ips):
            return net
    return None


class MetalLB:
    name = "metallb"
    version = VERSION
    depends: tuple[str, ...] = ()

    def images(self) -> list[str]:
        return images_in(_manifest())

    def present(self, ctx) -> bool:
        """Whether MetalLB's controller runs in the cluster. Only "not found"
        means no: a refused read (RBAC) or an unreachable API raises, so the
        harness never installs into a cluster it cannot see."""
        return ctx.kube.get("apps/v1", "Deployment", "controller", NAMESPACE) is not None

    def install(self, ctx) -> None:
        kube: Kube = ctx.kube
        network = ctx.cluster.docker_network or docker_network_of_nodes(kube)
        if not network:
            raise ManifestError(
                "cannot choose a MetalLB address pool: no docker network holds the cluster's nodes "
                "(install a load-balancer implementation in that cluster yourself)"
            )
        docs = parse_manifest(
            POOL_YAML,
            source="metallb pool",
            pool=POOL,
            namespace=NAMESPACE,
            addresses=docker_network_range(network, ctx.cluster.name),
        )
        kube.apply(_manifest())
        kube.wait_deployments(NAMESPACE, ["controller"], deadline=kube.timeouts.addon_ready)

        # The validating webhook answers only once its certificate is in place.
        kube.apply_when_admitted(
            docs, what="MetalLB address pool accepted", hint="metallb-system controller logs (webhook)"
        )

    def wait_ready(self, ctx) -> None:
        kube: Kube = ctx.kube
        kube.wait_deployments(NAMESPACE, ["controller"], deadline=kube.timeouts.addon_ready)
        kube.wait_daemonset(NAMESPACE, "speaker", deadline=kube.timeouts.addon_ready)

    def pool_addresses(self, kube: Kube) -> list[str]:
        pools = kube.list("metallb.io/v1beta1", "IPAddressPool", namespace=NAMESPACE)
        return sorted(a for p in pools for a in p.get("spec", {}).get("addresses", []))


POOL_YAML = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: ${pool}
  namespace: ${namespace}
spec:
  addresses:
  - ${addresses}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: ${pool}
  namespace: ${namespace}
spec:
  ipAddressPools:
  - ${pool}
"""

ADDON = MetalLB()
