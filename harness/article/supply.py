"""What the run side makes from a plan, without a cluster (pure functions
building objects):

- :func:`echo_objects`: the echo pods for a :class:`BackendNeed`, every mode
  (HTTP and TCP echo containers; the gRPC echo; the UDP echo, CoreDNS, which
  also answers a TCP port of the same number) and, when the snippet does
  not define it, the Service; nothing for a need whose pods another need
  makes (``pods_from``);
- :func:`pool_objects`: the address pools a plan makes (:class:`PoolNeed`);
- :func:`localize`: the plan's objects as one test applies them: hostnames
  made unique to its namespace (wildcards kept valid), and the names the plan
  lists in ``renames`` (its own IngressClass/GatewayClass and the references
  to them, pools, sharing keys) suffixed with the namespace's suffix; plus
  the cluster-scoped objects it applies under those names.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import yaml

from harness.article.environment import POOL_ANNOTATIONS, SHARE_ANNOTATIONS
from harness.article.model import BackendNeed, Mode, Plan, PoolNeed, is_gateway_api, is_ingress, is_kind
from harness.checks.manifests import MANIFESTS, load_manifest, rename_hosts, unique_host
from harness.lab.addons.gateway_api import COREDNS_IMAGE, ECHO_IMAGE

READY_PORT = 8181  # the UDP echo's readiness port (CoreDNS's ready plugin)


def _fragment(path: str, **variables: Any) -> dict[str, Any]:
    text = string.Template((MANIFESTS / Path(path)).read_text(encoding="utf-8")).substitute(
        {k: str(v) for k, v in variables.items()}
    )
    return yaml.safe_load(text)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def echo_objects(need: BackendNeed) -> list[dict[str, Any]]:
    """The Deployment (one echo container per targeted port; one CoreDNS
    container for every UDP port and the TCP ports sharing their numbers)
    and, when the snippet does not define it, the Service for ``need``."""
    containers: list[dict[str, Any]] = []
    served = need.pod_ports or need.ports
    used = {p.target for p in served if isinstance(p.target, int)}
    named: dict[str, int] = {}
    next_free = 8080
    dns_ports: dict[int, str] = {}  # port number -> its name in the pod
    for p in served:
        if p.mode in (Mode.UDP.value, Mode.DNS_TCP.value):
            if isinstance(p.target, int) and p.target not in dns_ports:
                dns_ports[p.target] = f"dns{p.target}"[:15]
            continue
        if p.mode not in (Mode.HTTP.value, Mode.TCP.value, Mode.GRPC.value):
            continue
        if isinstance(p.target, str):
            if p.target in named:
                continue
            while next_free in used:
                next_free += 1
            named[p.target] = next_free
            used.add(next_free)
            number, port_name = next_free, p.target
        else:
            number, port_name = int(p.target), f"p{int(p.target)}"
            if any(c["ports"][0]["containerPort"] == number for c in containers):
                continue
        n = len(containers)
        common = {"name": f"echo-{n}", "image": ECHO_IMAGE, "port": number, "port_name": port_name[:15]}
        if p.mode == Mode.HTTP.value:
            containers.append(
                _fragment("article/echo-http-container.yaml", service=need.service, h2c_port=30000 + n, **common)
            )
        elif p.mode == Mode.GRPC.value:
            containers.append(_fragment("article/echo-grpc-container.yaml", service=need.service, **common))
        else:
            containers.append(_fragment("article/echo-tcp-container.yaml", tls_port=31000 + n, **common))
    out: list[dict[str, Any]] = []
    name = f"echo-{need.service}"[:63]
    pod_extra: dict[str, Any] = {}
    if dns_ports and not need.pods_from:
        config = f"{name}-dns"[:63]
        out += load_manifest("article/udp-echo-config.yaml", name=config, corefile=_json(corefile(sorted(dns_ports))))
        ports = []
        for number, port_name in sorted(dns_ports.items()):
            protocols = {p.protocol for p in served if p.target == number}
            ports += [{"containerPort": number, "protocol": "UDP", "name": port_name}]
            if "TCP" in protocols:
                ports += [{"containerPort": number, "protocol": "TCP", "name": f"t{port_name}"[:15]}]
        containers.append(
            _fragment("article/udp-echo-container.yaml", image=COREDNS_IMAGE, ports=_json(ports), ready_port=READY_PORT)
        )
        pod_extra = {
            "volumes": [{"name": "udp-echo-config", "configMap": {"name": config}}],
            # CoreDNS runs as a non-root user: let it bind the ports below 1024 an article names (53)
            "securityContext": {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]},
        }
    if containers and not need.pods_from:
        deployment = load_manifest(
            "article/echo-pods.yaml",
            name=name,
            labels=_json({**need.selector, "exposure-harness/echo": name}),
            containers=_json(containers),
        )
        deployment[0]["spec"]["template"]["spec"].update(pod_extra)
        out += deployment
    if need.define_service:
        ports = []
        for p in need.ports:
            port: dict[str, Any] = {"port": p.port, "protocol": p.protocol, "targetPort": p.target}
            if p.name:
                port["name"] = p.name
            ports.append(port)
        if len(ports) > 1:
            for i, port in enumerate(ports):
                port.setdefault("name", f"p{port['port']}-{i}")
        out += load_manifest(
            "article/echo-service.yaml", name=need.service, selector=_json(need.selector), ports=_json(ports)
        )
    return out


def corefile(ports: list[int]) -> str:
    """One CoreDNS server block per port answering whoami.harness. with the pod's name; readiness on one."""
    blocks = []
    for i, port in enumerate(ports):
        ready = f"\n    ready :{READY_PORT}" if i == 0 else ""
        blocks.append(
            f".:{port} {{\n    template IN TXT whoami.harness {{\n"
            f'        answer "{{{{ .Name }}}} 0 IN TXT pod={{$POD_NAME}}"\n    }}{ready}\n}}'
        )
    return "\n".join(blocks) + "\n"


def suffix_of(ns: str) -> str:
    return ns.rsplit("-", 1)[-1]


def unique_name(ns: str, name: str) -> str:
    """A cluster-wide name made unique to the test of namespace ``ns``."""
    return f"{name}-{suffix_of(ns)}"[:253]


def pool_objects(pool: PoolNeed, ns: str, namespace: str = "metallb-system") -> list[dict[str, Any]]:
    return load_manifest(
        "article/address-pool.yaml",
        name=unique_name(ns, pool.name),
        namespace=namespace,
        addresses=_json(pool.addresses),
    )


def localize(plan: Plan, ns: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(cluster-scoped objects to apply first, the plan's objects) as the
    test of namespace ``ns`` applies them."""
    hosts = {h: unique_host(ns, h) for h in plan.hosts}
    names = {(r.what, r.name): unique_name(ns, r.name) for r in plan.renames}
    cluster: list[dict[str, Any]] = []
    for co in plan.cluster_objects:
        if not co.applied:
            continue
        doc = json.loads(json.dumps(co.doc))
        what = "ingress-class" if co.doc.get("kind") == "IngressClass" else "gateway-class"
        doc["metadata"]["name"] = names.get((what, doc["metadata"]["name"]), doc["metadata"]["name"])
        cluster.append(doc)
    objects = rename_hosts(plan.objects, hosts)

    def renamed(what: str, value: Any) -> str | None:
        return names.get((what, str(value))) if value is not None else None

    for d in objects:
        spec: dict[str, Any] = d["spec"] if isinstance(d.get("spec"), dict) else {}
        md = d.get("metadata") or {}
        ann: dict[str, Any] = md["annotations"] if isinstance(md.get("annotations"), dict) else {}
        if is_ingress(d):
            for key, holder in (("ingressClassName", spec), ("kubernetes.io/ingress.class", ann)):
                new = renamed("ingress-class", holder.get(key))
                if new:
                    holder[key] = new
        if is_gateway_api(d, "Gateway"):
            new = renamed("gateway-class", spec.get("gatewayClassName"))
            if new:
                spec["gatewayClassName"] = new
        if is_kind(d, "Service", ""):
            for keys, what in ((POOL_ANNOTATIONS, "pool"), (SHARE_ANNOTATIONS, "sharing-key")):
                for key in keys:
                    new = renamed(what, ann.get(key))
                    if new:
                        ann[key] = new
    return cluster, objects
