"""Where the diagnosis reads objects from: a live cluster (``ClusterSource``,
through the API server, read-only) or recorded objects (``RecordedSource``,
a list of dicts as the API server returns them: the unit tests' fixtures).

Both answer the same two questions (get one object, list objects) with plain dicts, and both raise :class:`Unreadable`
when the answer cannot be had (RBAC forbids it, the API is not served), so the
rules can say "could not read X" instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

# kind -> (group, versions in the order tried, namespaced, plural)
KINDS: dict[str, tuple[str, tuple[str, ...], bool, str]] = {
    "Service": ("", ("v1",), True, "services"),
    "Pod": ("", ("v1",), True, "pods"),
    "Secret": ("", ("v1",), True, "secrets"),
    "Event": ("", ("v1",), True, "events"),
    "Namespace": ("", ("v1",), False, "namespaces"),
    "EndpointSlice": ("discovery.k8s.io", ("v1",), True, "endpointslices"),
    "Ingress": ("networking.k8s.io", ("v1",), True, "ingresses"),
    "IngressClass": ("networking.k8s.io", ("v1",), False, "ingressclasses"),
    "GatewayClass": ("gateway.networking.k8s.io", ("v1", "v1beta1"), False, "gatewayclasses"),
    "Gateway": ("gateway.networking.k8s.io", ("v1", "v1beta1"), True, "gateways"),
    "HTTPRoute": ("gateway.networking.k8s.io", ("v1", "v1beta1"), True, "httproutes"),
    "GRPCRoute": ("gateway.networking.k8s.io", ("v1", "v1alpha2"), True, "grpcroutes"),
    "TLSRoute": ("gateway.networking.k8s.io", ("v1", "v1alpha3", "v1alpha2"), True, "tlsroutes"),
    "TCPRoute": ("gateway.networking.k8s.io", ("v1alpha2",), True, "tcproutes"),
    "UDPRoute": ("gateway.networking.k8s.io", ("v1alpha2",), True, "udproutes"),
}


class Unreadable(Exception):
    """Something the diagnosis needs cannot be read; ``what`` names it, the
    message says why (forbidden, not served by this cluster, unreachable)."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"could not read {what}: {why}")
        self.what = what
        self.why = why


class Unreachable(Exception):
    """The API server cannot be reached at all (one line)."""


class Source(Protocol):
    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None: ...
    def list(
        self, kind: str, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]: ...


def _what(kind: str, namespace: str | None, name: str | None = None) -> str:
    plural = KINDS[kind][3] if kind in KINDS else kind
    where = f" in namespace {namespace}" if namespace else (" (all namespaces)" if KINDS[kind][2] else "")
    return f"{kind} {name}{where}" if name else f"{plural}{where}"


def selector_matches(selector: str | dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    """Equality-based selector ("a=b,c=d" or a dict) against ``labels``."""
    if not selector:
        return True
    pairs = dict(p.split("=", 1) for p in selector.split(",") if p) if isinstance(selector, str) else dict(selector)
    labels = labels or {}
    return all(labels.get(k) == v for k, v in pairs.items())


class RecordedSource:
    """Objects recorded from a cluster (plain dicts). ``forbidden`` lists
    kinds (``"Pod"``) or namespaced kinds (``"Pod@ingress-nginx"``,
    ``"Pod@*"`` for the cluster-wide list) whose reads fail as RBAC would."""

    def __init__(self, objects: Iterable[dict[str, Any]], forbidden: Iterable[str] = ()) -> None:
        self.objects = [o for o in objects if o]
        self.forbidden = set(forbidden)

    def _check(self, kind: str, namespace: str | None, name: str | None = None) -> None:
        if kind in self.forbidden or f"{kind}@{namespace or '*'}" in self.forbidden:
            raise Unreadable(_what(kind, namespace, name), "forbidden (RBAC)")
        if kind not in KINDS:
            raise Unreadable(_what(kind, namespace, name), "not served by this cluster")

    def _of(self, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        return [
            o
            for o in self.objects
            if o.get("kind") == kind
            and (namespace is None or not KINDS[kind][2] or o.get("metadata", {}).get("namespace") == namespace)
        ]

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        self._check(kind, namespace, name)
        return next((o for o in self._of(kind, namespace) if o["metadata"]["name"] == name), None)

    def list(self, kind: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict[str, Any]]:
        self._check(kind, namespace)
        return [o for o in self._of(kind, namespace) if selector_matches(label_selector, o["metadata"].get("labels"))]


class ClusterSource:
    """A live cluster, read through the API server (get and list only)."""

    def __init__(self, kubeconfig: str | Path | None = None, context: str | None = None, timeout: float = 15.0):
        from kubernetes import config as k8s_config

        try:
            if kubeconfig is None:
                self.api = k8s_config.new_client_from_config(context=context)
            else:
                self.api = k8s_config.new_client_from_config(config_file=str(kubeconfig), context=context)
        except Exception as exc:  # the client raises several unrelated types here
            where = kubeconfig or "the default kubeconfig"
            raise Unreachable(f"kubeconfig {where} is unusable: {exc}".splitlines()[0]) from None
        self.api.configuration.retries = 0
        self.timeout = timeout
        self.host = self.api.configuration.host
        self._discovered: dict[str, set[str]] = {}
        self._dyn: Any = None  # "group/version" -> resource names served

    @property
    def dyn(self) -> Any:
        """The dynamic client (made on first use: it reads the cluster's discovery)."""
        if self._dyn is None:
            from kubernetes.dynamic import DynamicClient

            self._dyn = self._guard("the API discovery", lambda: DynamicClient(self.api))
        return self._dyn

    def _guard(self, what: str, call: Any) -> Any:
        """``call()``, with API errors turned into Unreadable/None and
        connection errors into Unreachable."""
        from kubernetes.client.rest import ApiException
        from kubernetes.dynamic.exceptions import DynamicApiError

        try:
            return call()
        except (ApiException, DynamicApiError) as exc:
            status = getattr(exc, "status", None)
            if status == 404:
                return None
            if status in (401, 403):
                raise Unreadable(what, "forbidden (RBAC)" if status == 403 else "unauthorized") from None
            raise Unreadable(what, f"HTTP {status} {getattr(exc, 'reason', '')}".strip()) from None
        except Exception as exc:  # urllib3 connection errors: the cluster is not there
            reason = getattr(exc, "reason", None) or exc
            raise Unreachable(f"cluster at {self.host} is unreachable: {str(reason).splitlines()[0]}") from None

    def _call(self, what: str, path: str, query: list[tuple[str, str]]) -> dict[str, Any] | None:
        resp = self._guard(
            what, lambda: self.dyn.request("get", path, query_params=list(query), _request_timeout=self.timeout)
        )
        if resp is None:
            return None
        data = resp.to_dict() if hasattr(resp, "to_dict") else resp
        return data if isinstance(data, dict) else None

    def _paths(self, kind: str, namespace: str | None, name: str | None) -> list[str]:
        group, versions, namespaced, plural = KINDS[kind]
        out = []
        for v in versions:
            base = f"/api/{v}" if not group else f"/apis/{group}/{v}"
            ns = f"/namespaces/{namespace}" if namespaced and namespace else ""
            out.append(f"{base}{ns}/{plural}" + (f"/{name}" if name else ""))
        return out

    def _served(self, kind: str, namespace: str | None, name: str | None) -> list[str]:
        """The paths of ``kind`` whose API version the cluster serves (a
        missing CRD is "not served", not "object missing")."""
        group, versions, _, plural = KINDS[kind]
        served = []
        for v, path in zip(versions, self._paths(kind, namespace, name), strict=True):
            gv = f"{group}/{v}" if group else v
            if gv not in self._discovered:
                disc = self._call(f"API {gv}", f"/apis/{gv}" if group else f"/api/{v}", []) or {}
                self._discovered[gv] = {r.get("name") for r in disc.get("resources", [])}
            if plural in self._discovered[gv]:
                served.append(path)
        if not served:
            raise Unreadable(_what(kind, namespace, name), f"this cluster does not serve {kind} (missing CRD?)")
        return served

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        path = self._served(kind, namespace, name)[0]
        obj = self._call(_what(kind, namespace, name), path, [])
        if obj is not None:
            obj.setdefault("kind", kind)
        return obj

    def list(self, kind: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict[str, Any]]:
        path = self._served(kind, namespace, None)[0]
        query = [("labelSelector", label_selector)] if label_selector else []
        data = self._call(_what(kind, namespace), path, query) or {}
        items = data.get("items") or []
        for i in items:
            i.setdefault("kind", kind)
        return items
