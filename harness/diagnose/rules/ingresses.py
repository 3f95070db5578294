"""Rules for an Ingress: "Ingress not picking up rules: ensure
ingressClassName or default class exists; check controller logs", its TLS
Secrets, and the Services it routes to."""

from __future__ import annotations

from typing import Any

from ..snapshot import Snapshot, ingress_backends
from .findings import Finding, has_address, is_ready, live_pods, md
from .services import backend, pod_state
from .tls import tls_secret

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


# Controllers whose controller name is built into their binary (not in their
# arguments): how to recognise their pods. Any other controller is recognised
# by its name appearing in a running pod's arguments (--controller-class=...).
KNOWN_CONTROLLERS: dict[str, tuple[tuple[str, str], ...]] = {
    # controller -> (image substring, flag the container must be given; "" for none)
    "traefik.io/ingress-controller": (("traefik", "--providers.kubernetesingress"),),
    "nginx.org/ingress-controller": (("nginx-ingress", ""), ("nginx-plus-ingress", "")),
    "k8s.io/ingress-nginx": (("ingress-nginx/controller", ""),),
}


def _has_flag(args: list[str], flag: str) -> bool:
    return any(a == flag or (a.startswith(flag + "=") and a != flag + "=false") for a in args)


def _serves(pod: dict[str, Any], controller: str) -> bool:
    """Whether ``pod`` runs a controller named ``controller``: the name in its
    arguments (``--controller-class=...``), or a known image and flag."""
    for c in (pod.get("spec") or {}).get("containers") or []:
        args = [a.lower() for a in (c.get("args") or []) + (c.get("command") or [])]
        if controller and any(controller.lower() in a for a in args):
            return True
        image = (c.get("image") or "").lower()
        if any(
            img in image and (not flag or _has_flag(args, flag)) for img, flag in KNOWN_CONTROLLERS.get(controller, ())
        ):
            return True
    return False


def ingress(snap: Snapshot, ing: dict[str, Any], ns: str) -> list[Finding]:
    name = md(ing)["name"]
    subject = f"Ingress {ns}/{name}"
    out = _ingress_class(snap, ing, subject)
    out += _ingress_tls(snap, ing, subject, ns)
    out += _ingress_backends(snap, ing, subject, ns)
    return out


def _ingress_class(snap: Snapshot, ing: dict[str, Any], subject: str) -> list[Finding]:
    spec = ing.get("spec") or {}
    by_annotation = (md(ing).get("annotations") or {}).get(INGRESS_CLASS_ANNOTATION)
    wanted = spec.get("ingressClassName") or by_annotation
    classes = snap.items("IngressClass")
    if classes is None:
        return []
    by_name = {md(c)["name"]: c for c in classes}
    listing = ", ".join(f"{n} ({(c.get('spec') or {}).get('controller')})" for n, c in sorted(by_name.items()))
    field = "spec.ingressClassName" if spec.get("ingressClassName") else f"annotation {INGRESS_CLASS_ANNOTATION}"
    if wanted and wanted not in by_name:
        if has_address(ing):
            return []  # a controller serves the class by name (legacy --ingress-class), without an IngressClass
        return [
            Finding(
                "no-ingressclass",
                subject,
                f"{subject} names class {wanted!r}, and no IngressClass of that name exists: no controller picks up "
                "its rules",
                (f"{field}: {wanted}", f"IngressClasses in the cluster: {listing or 'none'}"),
                "set spec.ingressClassName to the class of a controller that runs "
                f"({', '.join(sorted(by_name)) or 'none'}); it can be changed in place",
            )
        ]
    defaults = sorted(
        n for n, c in by_name.items() if (md(c).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    )
    if not wanted:
        if has_address(ing):
            return []
        if not defaults:
            return [
                Finding(
                    "no-default-class",
                    subject,
                    f"{subject} names no IngressClass and the cluster has no default class: no controller picks up "
                    "its rules",
                    ("spec.ingressClassName: not set", f"IngressClasses: {listing or 'none'}, none marked default"),
                    f"set spec.ingressClassName (one of: {', '.join(sorted(by_name)) or 'none'}), or mark a class "
                    f'default with the annotation {DEFAULT_CLASS_ANNOTATION}: "true" and re-create the Ingress (the '
                    "default is filled in when an Ingress is created)",
                )
            ]
        return [
            Finding(
                "class-not-set",
                subject,
                f"{subject} names no IngressClass; the default class {defaults[0]} is filled in only when an Ingress "
                "is created, and controllers skip class-less Ingresses unless told to watch them",
                ("spec.ingressClassName: not set", f"default IngressClass now: {', '.join(defaults)}"),
                f"set spec.ingressClassName: {defaults[0]}",
            )
        ]
    return _class_served(snap, ing, subject, wanted, by_name[wanted] if wanted in by_name else None)


def _class_served(
    snap: Snapshot, ing: dict[str, Any], subject: str, cls: str, ingress_class: dict[str, Any] | None
) -> list[Finding]:
    if has_address(ing) or ingress_class is None:
        return []
    ns = md(ing).get("namespace") or snap.namespace
    controller = (ingress_class.get("spec") or {}).get("controller", "")
    evidence = [f"IngressClass {cls}: controller {controller}", "status.loadBalancer: no address"]
    others = snap.items("Ingress")
    if others is not None:
        served = [
            o
            for o in others
            if has_address(o)
            and (
                (o.get("spec") or {}).get("ingressClassName")
                or (md(o).get("annotations") or {}).get(INGRESS_CLASS_ANNOTATION)
            )
            == cls
        ]
        if served:
            return []
        evidence.append(f"no Ingress of class {cls} in the cluster has an address")
    events = snap.events("Ingress", md(ing)["name"], ns)
    if events:
        return []  # a controller wrote about it: it sees the Ingress
    evidence.append("no controller wrote an event about this Ingress")
    pods = snap.items("Pod")
    if pods is None:
        return []  # cannot look for the controller's pods: say nothing rather than guess
    running = [p for p in live_pods(pods) if _serves(p, controller)]
    if any(is_ready(p) for p in running):
        return []
    if running:
        evidence.append(
            "pods of controller "
            + controller
            + " exist but none is ready: "
            + ", ".join(f"{md(p).get('namespace')}/{md(p)['name']} ({pod_state(p)})" for p in running[:3])
        )
    else:
        evidence.append(f"no running pod of the cluster is a controller for {controller}")
    served_classes = sorted(
        md(c)["name"]
        for c in snap.items("IngressClass") or []
        if any(is_ready(p) and _serves(p, (c.get("spec") or {}).get("controller", "")) for p in live_pods(pods))
    )
    return [
        Finding(
            "class-not-served",
            subject,
            f"no controller serves class {cls} ({controller}): {subject}'s rules are picked up by nobody",
            tuple(evidence),
            f"install or start the controller for {controller}, or set spec.ingressClassName to a class a running "
            f"controller serves ({', '.join(served_classes) or 'none found'}); then check that controller's logs",
        )
    ]


def _ingress_tls(snap: Snapshot, ing: dict[str, Any], subject: str, ns: str) -> list[Finding]:
    out = []
    for i, tls in enumerate((ing.get("spec") or {}).get("tls") or []):
        secret = tls.get("secretName")
        if secret:
            out += tls_secret(snap, subject, f"spec.tls[{i}].secretName", secret, ns, tls.get("hosts") or [])
    return out


def _ingress_backends(snap: Snapshot, ing: dict[str, Any], subject: str, ns: str) -> list[Finding]:
    out: list[Finding] = []
    judged: set[str] = set()
    for b in ingress_backends(ing):
        ref = b.get("service")
        if not ref:
            continue
        port = ref.get("port") or {}
        out += backend(snap, subject, ref["name"], ns, port.get("number") or port.get("name"), judged)
    return out
