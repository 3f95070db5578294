"""Reading the cluster: the objects relevant to one exposure, into a
:class:`Snapshot` of plain dicts the rules (``rules.py``) judge.

What is read, by target kind:

- Service: the Service, its EndpointSlices, the pods of its namespace, its
  events; for type LoadBalancer also every Service of the cluster (which
  load-balancer classes get addresses at all).
- Ingress: the Ingress, the IngressClasses, every Service it routes to (as
  above), its TLS Secrets (type, key names and certificate facts only: the
  key material never leaves this module), its events, and what shows that a
  controller serves a class (Ingresses of the cluster that got an address,
  the cluster's pods, for known controller images).
- Gateway: the Gateway, its GatewayClass, its listeners' certificate Secrets.
- Route (HTTP, GRPC, TLS, TCP, UDP): the route, each parent Gateway and its
  GatewayClass, each backend Service (as above).

Reads only. What cannot be read is recorded in ``unreadable`` with why.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from .source import KINDS, Source, Unreadable

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
TARGET_KINDS = ("Service", "Ingress", "Gateway", *ROUTE_KINDS)
_ALIASES = (
    {k.lower(): k for k in TARGET_KINDS}
    | {
        "svc": "Service",
        "services": "Service",
        "ing": "Ingress",
        "ingresses": "Ingress",
        "gtw": "Gateway",
        "gateways": "Gateway",
    }
    | {k.lower() + "s": k for k in ROUTE_KINDS}
)


class BadTarget(Exception):
    """The target cannot be diagnosed at all (missing, forbidden, bad name): one line."""


def parse_target(text: str) -> tuple[str, str]:
    """``KIND/NAME`` (kubectl's spelling: ``svc/shop``, ``ingress/web``, ``httproute/web``) -> (Kind, name)."""
    kind, sep, name = text.partition("/")
    if not sep or not name or "/" in name:
        raise BadTarget(f"target {text!r} is not KIND/NAME (e.g. service/shop, ingress/web-gateway, httproute/web)")
    if kind.lower() not in _ALIASES:
        raise BadTarget(f"cannot diagnose kind {kind!r}; choose from: {', '.join(TARGET_KINDS)}")
    return _ALIASES[kind.lower()], name


def key(kind: str, name: str, namespace: str | None = None) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


@dataclass
class Snapshot:
    kind: str
    name: str
    namespace: str
    objects: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # key() -> object, None: not found
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "Pod@ns", "Service@*" -> items
    unreadable: dict[str, str] = field(default_factory=dict)  # what -> why
    read: list[str] = field(default_factory=list)  # what was read, for "no problem found: checked ..."

    @property
    def target(self) -> dict[str, Any]:
        obj = self.objects.get(key(self.kind, self.name, self.namespace))
        assert obj is not None
        return obj

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        return self.objects.get(key(kind, name, namespace))

    def known(self, kind: str, name: str, namespace: str | None = None) -> bool:
        """Whether the object was read (found or found missing), as opposed to unreadable."""
        return key(kind, name, namespace) in self.objects

    def items(
        self, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, Any]] | None:
        """A list that was read, or None when it could not be."""
        return self.lists.get(f"{kind}@{namespace or '*'}" + (f"?{selector}" if selector else ""))

    def events(self, kind: str, name: str, namespace: str) -> list[dict[str, Any]]:
        """Events about one object (none when the namespace's events could not be read)."""
        return [
            e
            for e in self.items("Event", namespace) or []
            if (e.get("involvedObject") or {}).get("kind") == kind
            and (e.get("involvedObject") or {}).get("name") == name
        ]


class Reader:
    def __init__(self, source: Source, snap: Snapshot) -> None:
        self.source = source
        self.snap = snap

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        k = key(kind, name, namespace)
        if k in self.snap.objects:
            return self.snap.objects[k]
        try:
            obj = self.source.get(kind, name, namespace)
        except Unreadable as exc:
            self.snap.unreadable[exc.what] = exc.why
            return None
        if obj is not None and kind == "Secret":
            obj = secret_facts(obj)
        if obj is not None:
            obj.get("metadata", {}).pop("managedFields", None)
        self.snap.objects[k] = obj
        self.snap.read.append(f"{kind} {namespace + '/' if namespace else ''}{name}")
        return obj

    def list(self, kind: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict] | None:
        k = f"{kind}@{namespace or '*'}" + (f"?{label_selector}" if label_selector else "")
        if k in self.snap.lists:
            return self.snap.lists[k]
        try:
            items = self.source.list(kind, namespace, label_selector)
        except Unreadable as exc:
            self.snap.unreadable[exc.what] = exc.why
            return None
        for i in items:
            i.get("metadata", {}).pop("managedFields", None)
        self.snap.lists[k] = items
        plural = KINDS[kind][3]
        self.snap.read.append(f"{plural} in {namespace}" if namespace else f"{plural} of the cluster")
        return items

    # -- per kind ---------------------------------------------------------------

    def service(self, name: str, namespace: str) -> None:
        svc = self.get("Service", name, namespace)
        if svc is None:
            return
        self.list("EndpointSlice", namespace, f"kubernetes.io/service-name={name}")
        self.list("Pod", namespace)
        self.list("Event", namespace)
        if (svc.get("spec") or {}).get("type") == "LoadBalancer":
            self.list("Service")

    def ingress(self, ing: dict[str, Any], namespace: str) -> None:
        self.list("IngressClass")
        for svc in sorted({b["service"]["name"] for b in ingress_backends(ing) if b.get("service")}):
            self.service(svc, namespace)
        for tls in (ing.get("spec") or {}).get("tls") or []:
            if tls.get("secretName"):
                self.get("Secret", tls["secretName"], namespace)
        self.list("Event", namespace)
        self.list("Ingress")
        self.list("Pod")

    def gateway(self, gw: dict[str, Any], namespace: str) -> None:
        cls = (gw.get("spec") or {}).get("gatewayClassName")
        if cls:
            self.get("GatewayClass", cls)
        for listener in (gw.get("spec") or {}).get("listeners") or []:
            for ref in ((listener.get("tls") or {}).get("certificateRefs")) or []:
                if ref.get("kind", "Secret") == "Secret" and not ref.get("group"):
                    self.get("Secret", ref["name"], ref.get("namespace") or namespace)
        self.list("Event", namespace)

    def route(self, route: dict[str, Any], namespace: str) -> None:
        for ref in (route.get("spec") or {}).get("parentRefs") or []:
            if ref.get("kind", "Gateway") == "Gateway":
                gw = self.get("Gateway", ref["name"], ref.get("namespace") or namespace)
                if gw is not None:
                    self.gateway(gw, ref.get("namespace") or namespace)
        for rule in (route.get("spec") or {}).get("rules") or []:
            for b in rule.get("backendRefs") or []:
                if b.get("kind", "Service") == "Service" and not b.get("group"):
                    self.service(b["name"], b.get("namespace") or namespace)
        self.list("Event", namespace)


def read(source: Source, kind: str, name: str, namespace: str) -> Snapshot:
    """The snapshot of ``kind/name`` in ``namespace``; BadTarget when the
    target itself cannot be read (missing object or namespace, forbidden)."""
    snap = Snapshot(kind, name, namespace)
    r = Reader(source, snap)
    try:
        target = source.get(kind, name, namespace)
    except Unreadable as exc:
        raise BadTarget(str(exc)) from None
    if target is None:
        try:
            ns_exists = source.get("Namespace", namespace) is not None
        except Unreadable:
            ns_exists = True  # cannot tell; say what is known
        if not ns_exists:
            raise BadTarget(f"namespace {namespace} does not exist")
        raise BadTarget(f"{kind} {name} not found in namespace {namespace}")
    target.get("metadata", {}).pop("managedFields", None)
    target.setdefault("kind", kind)
    snap.objects[key(kind, name, namespace)] = target
    snap.read.append(f"{kind} {namespace}/{name}")
    if kind == "Service":
        r.service(name, namespace)
    elif kind == "Ingress":
        r.ingress(target, namespace)
    elif kind == "Gateway":
        r.gateway(target, namespace)
    else:
        r.route(target, namespace)
    return snap


def ingress_backends(ing: dict[str, Any]) -> list[dict[str, Any]]:
    """Every backend of an Ingress (default backend first), as in its spec."""
    spec = ing.get("spec") or {}
    out = [spec["defaultBackend"]] if spec.get("defaultBackend") else []
    for rule in spec.get("rules") or []:
        for p in (rule.get("http") or {}).get("paths") or []:
            if p.get("backend"):
                out.append(p["backend"])
    return out


def secret_facts(secret: dict[str, Any]) -> dict[str, Any]:
    """What the rules may know of a Secret: its type, its key names and, for
    a TLS Secret, facts about the certificate and key (never the data)."""
    data = secret.get("data") or {}
    md = secret.get("metadata") or {}
    facts: dict[str, Any] = {
        "kind": "Secret",
        "metadata": {"name": md.get("name"), "namespace": md.get("namespace")},
        "type": secret.get("type", "Opaque"),
        "keys": sorted(data),
    }
    if "tls.crt" in data:
        facts["certificate"] = certificate_facts(data.get("tls.crt") or "", data.get("tls.key") or "")
    return facts


def certificate_facts(crt_b64: str, key_b64: str) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    out: dict[str, Any] = {}
    try:
        cert = x509.load_pem_x509_certificate(base64.b64decode(crt_b64))
    except ValueError as exc:
        return {"error": f"tls.crt is not a PEM certificate ({str(exc).splitlines()[0][:80]})"}
    out["subject"] = cert.subject.rfc4514_string()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        out["dns_names"] = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        out["dns_names"] = []
    out["not_after"] = cert.not_valid_after_utc.isoformat()
    if key_b64:
        try:
            key = serialization.load_pem_private_key(base64.b64decode(key_b64), password=None)
        except (ValueError, TypeError) as exc:
            out["key_error"] = f"tls.key is not an unencrypted PEM private key ({str(exc).splitlines()[0][:80]})"
        else:
            fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            out["key_matches"] = key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)
    return out
