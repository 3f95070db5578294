"""Why a snippet cannot be checked at all, told without a cluster:
malformed YAML (or an include that did not resolve), an unknown kind of a
built-in API group or of the Gateway API, and references the harness cannot
supply. The cluster adds one reason of its own ("CRD not installed")."""

from __future__ import annotations

from typing import Any

from harness.article import schema
from harness.article.extract import Snippet
from harness.article.model import (
    GATEWAY_API,
    ROUTE_KINDS,
    describe,
    is_gateway_api,
    is_ingress,
    is_kind,
    is_service,
    spec_of,
)
from harness.article.shape import shape_error


def bad_snippet(snippet: Snippet) -> str | None:
    """Why ``snippet`` cannot be checked, or None."""
    if snippet.error:
        return snippet.error
    for doc in snippet.docs:
        api_version, kind = str(doc["apiVersion"]), str(doc["kind"])
        why = shape_error(doc)
        if why:
            return f"{describe(doc)}: {why}"
        if schema.is_builtin_group(api_version) and schema.builtin_scope(api_version, kind) is None:
            group = schema.split_api_version(api_version)[0]
            served = next(
                (
                    f"{group}/{v}" if group else v
                    for v in ("v1", "v2", "v1beta1", "v1beta2", "v1alpha1")
                    if schema.builtin_scope(f"{group}/{v}" if group else v, kind)
                ),
                None,
            )
            if served and served != api_version:
                return (
                    f"{describe(doc)}: apiVersion {api_version} is not served by this Kubernetes (removed); "
                    f"the kind is {served}"
                )
            return f"unknown kind: {api_version} has no kind {kind!r} ({describe(doc)})"
        if api_version.startswith(GATEWAY_API) and not schema.known_gateway_kind(api_version, kind):
            return f"unknown kind: the Gateway API has no kind {kind!r} ({describe(doc)})"
        why = unsuppliable(doc, snippet.docs)
        if why:
            return f"{describe(doc)}: {why}"
    return None


def ingress_backends(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = spec_of(doc)
    out = [spec["defaultBackend"]] if isinstance(spec.get("defaultBackend"), dict) else []
    for rule in spec.get("rules") or []:
        for p in (rule.get("http") or {}).get("paths") or []:
            out.append(p.get("backend") or {})
    return out


def unsuppliable(doc: dict[str, Any], docs: list[dict[str, Any]]) -> str | None:
    """A reference of ``doc`` the harness cannot supply, said in one line."""
    if is_ingress(doc):
        for backend in ingress_backends(doc):
            if "resource" in backend:
                r = backend["resource"] or {}
                return (
                    f"backend resource {r.get('kind')} {r.get('name')} ({r.get('apiGroup') or 'core'}) cannot be "
                    "supplied: the harness provides Services only"
                )
            if "service" not in backend:
                if "serviceName" in backend:
                    return "a backend in the networking.k8s.io/v1beta1 form (serviceName/servicePort) in a v1 Ingress"
                return "a backend names neither a service nor a resource"
    if is_gateway_api(doc, *ROUTE_KINDS):
        own_ns = (doc.get("metadata") or {}).get("namespace")
        for rule in spec_of(doc).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") != "Service" or ref.get("group", "") not in ("", "core"):
                    return f"backendRef {ref.get('group', '')}/{ref.get('kind')} {ref.get('name')} cannot be supplied"
                if ref.get("namespace") and ref.get("namespace") != own_ns:
                    return (
                        f"backendRef {ref.get('name')} in namespace {ref['namespace']}: a cross-namespace reference "
                        "the harness cannot supply (each snippet runs in one namespace of its own)"
                    )
        for ref in spec_of(doc).get("parentRefs") or []:
            if ref.get("kind", "Gateway") != "Gateway":
                return f"parentRef {ref.get('kind')} {ref.get('name')} is not a Gateway: cannot be supplied"
    if is_service(doc):
        spec = spec_of(doc)
        if spec.get("type") == "ExternalName":
            return None
        if not spec.get("selector") and not any(is_kind(d, "EndpointSlice") or is_kind(d, "Endpoints") for d in docs):
            return "a Service without a selector: its endpoints cannot be supplied"
    return None
