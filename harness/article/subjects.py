"""Which subjects (controllers of the matrix, or the cluster's load-balancer
implementation) check a snippet, and how an article's classes map to
theirs: a class a controller of the matrix serves goes to it; a class the
snippet defines itself (an IngressClass or GatewayClass naming a
controller of the matrix) goes to that controller under a name unique to
the test; any other class, or none, is mapped to every subject's own class
(and the plan says so)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.article.extract import Snippet
from harness.article.model import (
    CLUSTER_SUBJECT,
    LB_SUBJECT,
    ROUTE_KINDS,
    Subject,
    annotations_of,
    is_gateway_api,
    is_ingress,
    is_kind,
    is_lb,
    name_of,
    spec_of,
)


def ingress_class(doc: dict[str, Any]) -> str | None:
    spec = spec_of(doc)
    ann = annotations_of(doc)
    return spec.get("ingressClassName") or ann.get("kubernetes.io/ingress.class")


def defined_ingress_classes(docs: list[dict[str, Any]]) -> dict[str, str]:
    """IngressClass name -> its controller, for the classes the snippet defines."""
    return {
        name_of(d): str(spec_of(d).get("controller", ""))
        for d in docs
        if is_kind(d, "IngressClass", "networking.k8s.io")
    }


def defined_gateway_classes(docs: list[dict[str, Any]]) -> dict[str, str]:
    return {name_of(d): str(spec_of(d).get("controllerName", "")) for d in docs if is_gateway_api(d, "GatewayClass")}


def ingress_subjects(
    cls: str | None, matrix: list[Subject], known: Iterable[str], defined: Mapping[str, str] | None = None
) -> tuple[list[Subject], bool, str]:
    """Subjects of the matrix an Ingress of class ``cls`` goes to: those
    serving that class (or, for a class the snippet defines, the controller
    it names); when none of the known controllers does (or no class is
    named), every subject with an Ingress class, mapped. Returns
    (subjects, mapped, why-none)."""
    if defined and cls is not None and cls in defined:
        own = [s for s in matrix if s.ingress_class and s.ingress_controller and s.ingress_controller == defined[cls]]
        if own:
            return own, False, ""
        return [s for s in matrix if s.ingress_class], True, ""
    serving = [s for s in matrix if s.ingress_class and s.ingress_class == cls]
    if serving:
        return serving, False, ""
    if cls and cls in set(known):
        return [], False, f"class {cls} belongs to a controller not selected in this run"
    return [s for s in matrix if s.ingress_class], True, ""


def gateway_subjects(
    cls: str | None, matrix: list[Subject], known: Iterable[str], defined: Mapping[str, str] | None = None
) -> tuple[list[Subject], bool, str]:
    if defined and cls is not None and cls in defined:
        own = [s for s in matrix if s.gateway_class and s.gateway_controller and s.gateway_controller == defined[cls]]
        if own:
            return own, False, ""
    else:
        serving = [s for s in matrix if s.gateway_class and s.gateway_class == cls]
        if serving:
            return serving, False, ""
        if cls and cls in set(known):
            return [], False, f"GatewayClass {cls} belongs to a controller not selected in this run"
    gw = [s for s in matrix if s.gateway_class]
    if not gw:
        return [], False, "no controller of this run implements the Gateway API"
    return gw, True, ""


def gateways(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name_of(d): d for d in docs if is_gateway_api(d, "Gateway")}


def subjects(snippet: Snippet, matrix: list[Subject], known: Mapping[str, Iterable[str]]) -> tuple[list[str], str]:
    """The subject names checking ``snippet`` (report order), and, when no
    subject of this run can, the reason. ``known`` holds every class the
    harness knows a controller for: ``{"ingress": [...], "gateway": [...]}``."""
    names: set[str] = set()
    reasons: list[str] = []
    routing = False
    gws = gateways(snippet.docs)
    own_ingress = defined_ingress_classes(snippet.docs)
    own_gateway = defined_gateway_classes(snippet.docs)
    for doc in snippet.docs:
        if is_kind(doc, "IngressClass", "networking.k8s.io") or is_gateway_api(doc, "GatewayClass"):
            ingress = doc["kind"] == "IngressClass"
            controller = spec_of(doc).get("controller" if ingress else "controllerName")
            serving = [
                s.name
                for s in matrix
                if controller and controller == (s.ingress_controller if ingress else s.gateway_controller)
            ]
            if serving:
                routing = True
                names.update(serving)
            continue
        if is_ingress(doc):
            routing = True
            subs, _, why = ingress_subjects(ingress_class(doc), matrix, known.get("ingress", ()), own_ingress)
        elif is_gateway_api(doc, "Gateway"):
            routing = True
            subs, _, why = gateway_subjects(
                spec_of(doc).get("gatewayClassName"), matrix, known.get("gateway", ()), own_gateway
            )
        elif is_gateway_api(doc, *ROUTE_KINDS):
            routing = True
            parents = [p.get("name") for p in spec_of(doc).get("parentRefs") or [] if isinstance(p, dict)]
            if any(p in gws for p in parents):
                continue  # follows its Gateway
            subs, _, why = gateway_subjects(None, matrix, ())
        else:
            continue
        names.update(s.name for s in subs)
        if why:
            reasons.append(why)
    if not routing:
        return ([LB_SUBJECT] if any(is_lb(d) for d in snippet.docs) else [CLUSTER_SUBJECT]), ""
    order = [s.name for s in matrix if s.name in names]
    return order, "; ".join(dict.fromkeys(reasons)) if not order else ""
