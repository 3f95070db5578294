"""kubectl one-liners that make objects -> the objects, where their meaning
is unambiguous; every other command that changes the cluster -> the reason
it is not checked.

Turned into objects (as kubectl itself would build them):

- ``kubectl create deployment NAME --image=IMAGE [--port=N] [--replicas=N]``:
  a Deployment labelled and selected by ``app: NAME``;
- ``kubectl create service clusterip|nodeport|loadbalancer NAME
  --tcp=PORT[:TARGET][,...]``: a Service selecting ``app: NAME``, ports named
  ``PORT-TARGET``;
- ``kubectl expose KIND NAME --port=N [--target-port=T] [--type=T]
  [--name=N] [--protocol=P] [--selector=k=v]``: a Service whose selector is
  the ``--selector`` given, or the one of the object it exposes when the
  article defines that object (in YAML or by an earlier command);
- ``kubectl create ingress NAME --rule=HOST/PATH=SVC:PORT[,tls[=SECRET]]
  [--class=C] [--default-backend=SVC:PORT] [--annotation=k=v]``: an Ingress
  (a path ending in ``*`` is a Prefix path, any other Exact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.article.shell import KubectlCommand, kubectl_verb

_EXPOSABLE = {
    "deployment": "Deployment",
    "deployments": "Deployment",
    "deploy": "Deployment",
    "service": "Service",
    "services": "Service",
    "svc": "Service",
    "pod": "Pod",
    "pods": "Pod",
    "po": "Pod",
    "replicaset": "ReplicaSet",
    "replicasets": "ReplicaSet",
    "rs": "ReplicaSet",
    "replicationcontroller": "ReplicationController",
    "rc": "ReplicationController",
    "statefulset": "StatefulSet",
    "sts": "StatefulSet",
}


@dataclass
class Made:
    """What one command makes: objects, or the reason it is not checked."""

    command: KubectlCommand
    docs: list[dict[str, Any]] = field(default_factory=list)
    not_checked: str = ""


def _options(args: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Positional arguments and --flag values (``--a=b``, ``--a b``, ``-a b``)."""
    positional: list[str] = []
    flags: dict[str, list[str]] = {}
    i = 0
    boolean = {"--dry-run", "--save-config", "--record", "--overwrite", "--all", "--force", "--wait"}
    while i < len(args):
        a = args[i]
        if a == "--":
            positional.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            key, eq, value = a.partition("=")
            if eq:
                flags.setdefault(key, []).append(value)
            elif key in boolean or i + 1 >= len(args) or args[i + 1].startswith("-"):
                flags.setdefault(key, []).append("true")
            else:
                flags.setdefault(key, []).append(args[i + 1])
                i += 1
        elif a.startswith("-") and len(a) > 1:
            key = a[:2]
            value = a[2:].lstrip("=")
            if not value and i + 1 < len(args):
                value = args[i + 1]
                i += 1
            flags.setdefault(key, []).append(value)
        else:
            positional.append(a)
        i += 1
    return positional, flags


def _flag(flags: dict[str, list[str]], *names: str) -> str | None:
    for n in names:
        if n in flags:
            return flags[n][-1]
    return None


def _image_name(image: str) -> str:
    """The container name kubectl gives an image: its last path part, without tag or digest."""
    base = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-") or "container"


def make(cmd: KubectlCommand, known: dict[tuple[str, str], dict[str, Any]]) -> Made:
    """The objects ``cmd`` makes; ``known`` holds the article's objects so
    far by (kind, name), for ``kubectl expose``."""
    kv = kubectl_verb(cmd.argv)
    if kv is None:
        return Made(cmd, not_checked="not a kubectl command")
    index, verb = kv
    args = cmd.argv[index + 1 :]
    positional, flags = _options(args)
    if "--dry-run" in flags and flags["--dry-run"][-1] not in ("none", "false"):
        return Made(cmd, not_checked="a dry run: it makes nothing")
    try:
        if verb == "create" and positional[:1] == ["deployment"] and len(positional) >= 2:
            return Made(cmd, [_deployment(positional[1], flags)])
        if verb == "create" and positional[:1] in (["service"], ["svc"]) and len(positional) >= 3:
            return Made(cmd, [_service(positional[1], positional[2], flags)])
        if verb == "create" and positional[:1] in (["ingress"], ["ing"]) and len(positional) >= 2:
            return Made(cmd, [_ingress(positional[1], flags)])
        if verb == "expose" and positional:
            return _expose(cmd, positional, flags, known)
    except _Unclear as exc:
        return Made(cmd, not_checked=str(exc))
    if verb in ("apply", "create", "replace") and ("-f" in flags or "--filename" in flags):
        names = flags.get("-f", []) + flags.get("--filename", [])
        where = ", ".join(names)
        if any(n.startswith(("http://", "https://")) for n in names):
            return Made(cmd, not_checked=f"applies a manifest from the network ({where}): not part of the article")
        return Made(cmd, not_checked=f"applies {where}, a file the article does not show")
    return Made(cmd, not_checked=f"kubectl {verb}: the harness does not turn this command into objects")


class _Unclear(Exception):
    pass


def _deployment(name: str, flags: dict[str, list[str]]) -> dict[str, Any]:
    images = flags.get("--image", [])
    if not images:
        raise _Unclear("kubectl create deployment without --image")
    container: dict[str, Any] = {"name": _image_name(images[0]), "image": images[0]}
    port = _flag(flags, "--port")
    if port:
        container["ports"] = [{"containerPort": _int(port, "--port")}]
    containers = [container] + [{"name": _image_name(i), "image": i} for i in images[1:]]
    labels = {"app": name}
    spec: dict[str, Any] = {
        "replicas": _int(_flag(flags, "--replicas", "-r") or "1", "--replicas"),
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": spec,
    }


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _Unclear(f"{what}={value}: not a number (a variable the reader fills in?)") from None


def _service(kind: str, name: str, flags: dict[str, list[str]]) -> dict[str, Any]:
    types = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer"}
    if kind not in types:
        raise _Unclear(f"kubectl create service {kind}: not a Service with pods behind it")
    ports = []
    for spec in ",".join(flags.get("--tcp", [])).split(","):
        if not spec:
            continue
        port, _, target = spec.partition(":")
        ports.append(
            {
                "name": f"{port}-{target or port}",
                "port": _int(port, "--tcp"),
                "targetPort": _int(target or port, "--tcp"),
            }
        )
    if not ports:
        raise _Unclear("kubectl create service without --tcp ports")
    svc: dict[str, Any] = {"type": types[kind], "selector": {"app": name}, "ports": ports}
    if kind == "clusterip" and _flag(flags, "--clusterip") == "None":
        svc["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}}, "spec": svc}


def _selector_of(doc: dict[str, Any]) -> dict[str, str] | None:
    spec = doc.get("spec") or {}
    if doc.get("kind") == "Service":
        return dict(spec.get("selector") or {}) or None
    if doc.get("kind") == "Pod":
        return dict((doc.get("metadata") or {}).get("labels") or {}) or None
    match = (spec.get("selector") or {}).get("matchLabels")
    if match and not (spec.get("selector") or {}).get("matchExpressions"):
        return dict(match)
    return None


def _expose(
    cmd: KubectlCommand,
    positional: list[str],
    flags: dict[str, list[str]],
    known: dict[tuple[str, str], dict[str, Any]],
) -> Made:
    target = positional[0]
    if "/" in target:
        kind_word, _, name = target.partition("/")
    elif len(positional) >= 2:
        kind_word, name = positional[0], positional[1]
    else:
        raise _Unclear("kubectl expose without the object to expose")
    kind = _EXPOSABLE.get(kind_word.lower())
    if kind is None:
        raise _Unclear(f"kubectl expose {kind_word}: not a kind the harness knows how to expose")
    selector_flag = _flag(flags, "--selector", "-l")
    if selector_flag:
        selector = dict(p.split("=", 1) for p in selector_flag.split(",") if "=" in p)
    else:
        exposed = known.get((kind, name))
        if exposed is None:
            raise _Unclear(
                f"exposes {kind} {name}, which the article does not define: its selector cannot be known from the page"
            )
        found = _selector_of(exposed)
        if not found:
            raise _Unclear(f"{kind} {name} has no plain label selector to copy")
        selector = found
    port = _flag(flags, "--port")
    exposed_doc = known.get((kind, name))
    if not port and exposed_doc is not None:
        port = _container_port(exposed_doc)
    if not port:
        raise _Unclear("kubectl expose without --port, and the exposed object declares no port")
    target_port = _flag(flags, "--target-port") or port
    protocol = _flag(flags, "--protocol") or "TCP"
    entry: dict[str, Any] = {"port": _int(port, "--port"), "protocol": protocol}
    entry["targetPort"] = int(target_port) if target_port.isdigit() else target_port
    spec: dict[str, Any] = {"selector": selector, "ports": [entry]}
    service_type = _flag(flags, "--type")
    if service_type:
        spec["type"] = service_type
    lb_ip = _flag(flags, "--load-balancer-ip")
    if lb_ip:
        spec["loadBalancerIP"] = lb_ip
    name = _flag(flags, "--name") or name
    return Made(cmd, [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}])


def _container_port(doc: dict[str, Any]) -> str | None:
    pod = doc.get("spec") or {}
    if doc.get("kind") != "Pod":
        pod = ((pod.get("template") or {}).get("spec")) or {}
    for c in pod.get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("containerPort"):
                return str(p["containerPort"])
    return None


_RULE = re.compile(
    r"^(?P<host>[^/=]*)(?P<path>/[^=]*)?=(?P<svc>[^:,]+):(?P<port>[^,]+)(?:,(?P<tls>tls(?:=(?P<secret>.+))?))?$"
)


def _ingress(name: str, flags: dict[str, list[str]]) -> dict[str, Any]:
    rules: dict[str, list[dict[str, Any]]] = {}
    tls: dict[str | None, list[str]] = {}
    for rule in flags.get("--rule", []):
        m = _RULE.match(rule)
        if not m:
            raise _Unclear(f"--rule={rule}: not of the form host/path=service:port[,tls[=secret]]")
        host = m.group("host") or ""
        path = m.group("path") or "/"
        path_type = "Prefix" if path.endswith("*") else "Exact"
        path = path.rstrip("*") or "/"
        rules.setdefault(host, []).append(
            {"path": path, "pathType": path_type, "backend": {"service": _backend(m.group("svc"), m.group("port"))}}
        )
        if m.group("tls"):
            if not host:
                raise _Unclear(f"--rule={rule}: TLS for a rule with no host")
            tls.setdefault(m.group("secret"), []).append(host)
    spec: dict[str, Any] = {}
    cls = _flag(flags, "--class")
    if cls:
        spec["ingressClassName"] = cls
    default = _flag(flags, "--default-backend")
    if default:
        svc, _, port = default.partition(":")
        spec["defaultBackend"] = {"service": _backend(svc, port or "80")}
    if rules:
        spec["rules"] = [({"host": h} if h else {}) | {"http": {"paths": paths}} for h, paths in rules.items()]
    if tls:
        spec["tls"] = [({"secretName": s} if s else {}) | {"hosts": hosts} for s, hosts in tls.items()]
    if not rules and not default:
        raise _Unclear("kubectl create ingress without --rule or --default-backend")
    md: dict[str, Any] = {"name": name}
    annotations = dict(a.split("=", 1) for a in flags.get("--annotation", []) if "=" in a)
    if annotations:
        md["annotations"] = annotations
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": md, "spec": spec}


def _backend(svc: str, port: str) -> dict[str, Any]:
    return {"name": svc, "port": {"number": int(port)} if port.isdigit() else {"name": port}}
