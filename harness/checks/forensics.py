"""What a failure leaves to look at: pods that are not ready and why, the
namespace's events, pod logs, a command's output in pods (a controller's
rendered configuration), and all of it written to an evidence directory.
Evidence only: nothing here decides a verdict, and an API error becomes
the text rather than an exception."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import yaml
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ResourceNotFoundError


class Cluster(Protocol):
    """What these need of :class:`harness.checks.kube.Kube`."""

    core: k8s.CoreV1Api

    def list(self, api_version: str, kind: str, namespace: str | None = None, **kw: Any) -> list[dict[str, Any]]: ...


def pod_problems(kube: Cluster, namespace: str) -> str:
    """One line naming pods that are not ready, and why."""
    try:
        pods = kube.core.list_namespaced_pod(namespace).items
    except ApiException:
        return ""
    out = []
    for p in pods:
        reasons = []
        for cs in (p.status.container_statuses or []) + (p.status.init_container_statuses or []):
            if cs.state and cs.state.waiting and cs.state.waiting.reason:
                reasons.append(f"{cs.name}: {cs.state.waiting.reason}")
            elif cs.state and cs.state.terminated and cs.state.terminated.exit_code:
                reasons.append(f"{cs.name}: exited {cs.state.terminated.exit_code}")
            elif not cs.ready:
                reasons.append(f"{cs.name}: not ready")
        if p.status.phase == "Pending" and not reasons:
            conds = [c.message for c in (p.status.conditions or []) if c.status != "True" and c.message]
            reasons.append("Pending" + (f": {conds[0]}" if conds else ""))
        if reasons:
            out.append(f"{p.metadata.name} ({'; '.join(reasons)})")
    return ", ".join(out)


def event_lines(kube: Cluster, namespace: str, involved: str | None = None, limit: int = 20) -> list[str]:
    try:
        events = kube.core.list_namespaced_event(namespace).items
    except ApiException:
        return []
    rows = []
    for e in events:
        if involved and e.involved_object.name != involved:
            continue
        rows.append(f"{e.type} {e.involved_object.kind}/{e.involved_object.name} {e.reason}: {e.message}".strip())
    return rows[-limit:]


def pod_logs(kube: Cluster, namespace: str, label_selector: str, tail: int = 200) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        pods = kube.core.list_namespaced_pod(namespace, label_selector=label_selector).items
    except ApiException:
        return out
    for p in pods:
        for c in p.spec.containers:
            try:
                out[f"{p.metadata.name}/{c.name}"] = kube.core.read_namespaced_pod_log(
                    p.metadata.name, namespace, container=c.name, tail_lines=tail
                )
            except ApiException as exc:
                out[f"{p.metadata.name}/{c.name}"] = f"<no logs: {exc.reason}>"
    return out


def exec_in_pods(
    kube: Cluster,
    namespace: str,
    label_selector: str,
    command: Sequence[str],
    *,
    name: str,
    container: str | None = None,
) -> dict[str, str]:
    """Output of ``command`` run in each matching pod (evidence only: a
    controller's rendered configuration, say); errors become the text."""
    from kubernetes.stream import stream

    out: dict[str, str] = {}
    try:
        pods = kube.core.list_namespaced_pod(namespace, label_selector=label_selector).items
    except ApiException as exc:
        return {name: f"<cannot list pods: {exc.reason}>"}
    for p in pods:
        try:
            out[f"{p.metadata.name}/{name}"] = stream(
                kube.core.connect_get_namespaced_pod_exec,
                p.metadata.name,
                namespace,
                command=command,
                container=container or p.spec.containers[0].name,
                stderr=True,
                stdin=False,
                stdout=True,
                tty=False,
                _preload_content=True,
            )
        except ApiException as exc:
            out[f"{p.metadata.name}/{name}"] = f"<exec failed: {exc.reason}>"
    return out


def dump_namespace(
    kube: Cluster,
    namespace: str,
    dest: Path,
    extra_logs: dict[str, str] | None = None,
    rendered: dict[str, str] | None = None,
) -> Path:
    """Write what a person debugging a failure needs: events, every object
    of the usual kinds as YAML, pod logs, given controller logs, and the
    controller's rendered configuration (file name -> text)."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "events.txt").write_text("\n".join(event_lines(kube, namespace, limit=500)) + "\n")
    kinds = [
        ("v1", "Service"),
        ("v1", "Pod"),
        ("v1", "Endpoints"),
        ("apps/v1", "Deployment"),
        ("networking.k8s.io/v1", "Ingress"),
        ("gateway.networking.k8s.io/v1", "Gateway"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        ("gateway.networking.k8s.io/v1", "GRPCRoute"),
        ("gateway.networking.k8s.io/v1alpha2", "TCPRoute"),
        ("gateway.networking.k8s.io/v1alpha2", "UDPRoute"),
        ("gateway.networking.k8s.io/v1alpha2", "TLSRoute"),
    ]
    objects = []
    for api_version, kind in kinds:
        try:
            objects.extend(kube.list(api_version, kind, namespace=namespace))
        except (ApiException, ResourceNotFoundError):
            continue
    for o in objects:
        o.get("metadata", {}).pop("managedFields", None)
    (dest / "objects.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=True))
    for name, text in pod_logs(kube, namespace, label_selector="").items():
        (dest / f"log-{name.replace('/', '_')}.txt").write_text(text or "")
    for name, text in (extra_logs or {}).items():
        (dest / f"controller-{name.replace('/', '_')}.txt").write_text(text or "")
    for name, text in (rendered or {}).items():
        (dest / f"rendered-{name.replace('/', '_')}").write_text(text or "")
    return dest
