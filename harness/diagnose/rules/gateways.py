"""Rules for the Gateway API: a GatewayClass nobody serves, a Gateway or
listener its implementation did not accept, a route not accepted or with
unresolved references, and the Services the route sends to. Written against
the API's conditions only, so they hold for any implementation."""

from __future__ import annotations

from typing import Any

from ..snapshot import Snapshot
from .findings import Finding, event_lines, md
from .services import backend
from .tls import tls_secret


def _conditions(obj_or_entry: dict[str, Any], generation: int | None = None) -> dict[str, dict[str, Any]]:
    conds = obj_or_entry.get("conditions") or []
    return {
        c["type"]: c for c in conds if generation is None or (c.get("observedGeneration") or generation) >= generation
    }


def _cond_text(c: dict[str, Any] | None) -> str:
    if c is None:
        return "absent"
    return f"{c.get('status')} {c.get('reason', '')}: {c.get('message', '')}".strip().rstrip(":")


def gateway(snap: Snapshot, gw: dict[str, Any], ns: str, via: str | None = None) -> list[Finding]:
    name = md(gw)["name"]
    subject = via or f"Gateway {ns}/{name}"
    cls = (gw.get("spec") or {}).get("gatewayClassName", "")
    if snap.known("GatewayClass", cls):
        gc = snap.get("GatewayClass", cls)
        if gc is None:
            return [
                Finding(
                    "gatewayclass-missing",
                    subject,
                    f"Gateway {ns}/{name} names GatewayClass {cls}, which does not exist: no implementation takes it",
                    (f"spec.gatewayClassName: {cls}", f"no GatewayClass {cls} in the cluster"),
                    "set spec.gatewayClassName to a GatewayClass whose Accepted condition is True "
                    "(kubectl get gatewayclass)",
                )
            ]
        accepted = _conditions(gc.get("status") or {}).get("Accepted")
        if (accepted or {}).get("status") != "True":
            controller = (gc.get("spec") or {}).get("controllerName")
            return [
                Finding(
                    "gatewayclass-not-accepted",
                    subject,
                    f"no controller serves GatewayClass {cls} ({controller}): Gateway {ns}/{name} is picked up by "
                    "nobody",
                    (
                        f"GatewayClass {cls}: controllerName {controller}",
                        f"GatewayClass {cls} Accepted: {_cond_text(accepted)}",
                    ),
                    f"install or start the implementation whose controllerName is {controller}, or use a "
                    "GatewayClass whose Accepted condition is True",
                )
            ]
    out = []
    generation = md(gw).get("generation")
    conds = _conditions(gw.get("status") or {}, generation)
    bad = {t: conds.get(t) for t in ("Accepted", "Programmed") if (conds.get(t) or {}).get("status") != "True"}
    if bad:
        out.append(
            Finding(
                "gateway-not-accepted",
                subject,
                f"Gateway {ns}/{name} is not "
                + " and ".join(t.lower() for t in bad)
                + " by its implementation: "
                + "; ".join(f"{t} {_cond_text(c)}" for t, c in bad.items()),
                tuple(f"status {t}: {_cond_text(c)}" for t, c in bad.items())
                + tuple(event_lines(snap.events("Gateway", name, ns), warnings_only=True)[-3:]),
                "do what the condition's reason says (listener ports and protocols the implementation supports, "
                "addresses, parameters), then check the implementation's logs",
            )
        )
    for listener in (gw.get("status") or {}).get("listeners") or []:
        lc = _conditions(listener, generation)
        wrong = {
            t: c for t, c in lc.items() if t in ("Accepted", "ResolvedRefs", "Programmed") and c.get("status") != "True"
        }
        if wrong:
            out.append(
                Finding(
                    "listener-not-valid",
                    subject,
                    f"listener {listener.get('name')} of Gateway {ns}/{name}: "
                    + "; ".join(f"{t} {_cond_text(c)}" for t, c in wrong.items()),
                    tuple(f"listener {listener.get('name')} {t}: {_cond_text(c)}" for t, c in wrong.items()),
                    "fix what the listener's condition names (its certificateRefs, protocol, port or allowed routes)",
                )
            )
    for spec_listener in (gw.get("spec") or {}).get("listeners") or []:
        for ref in ((spec_listener.get("tls") or {}).get("certificateRefs")) or []:
            if ref.get("kind", "Secret") == "Secret" and not ref.get("group"):
                out += tls_secret(
                    snap,
                    subject,
                    f"listener {spec_listener.get('name')} certificateRefs",
                    ref["name"],
                    ref.get("namespace") or ns,
                    [spec_listener["hostname"]] if spec_listener.get("hostname") else [],
                )
    return out


def route(snap: Snapshot, rt: dict[str, Any], ns: str) -> list[Finding]:
    kind, name = rt["kind"], md(rt)["name"]
    subject = f"{kind} {ns}/{name}"
    generation = md(rt).get("generation")
    out: list[Finding] = []
    parents = (rt.get("status") or {}).get("parents") or []
    if not (rt.get("spec") or {}).get("parentRefs"):
        out.append(
            Finding(
                "route-no-parent",
                subject,
                f"{subject} names no parentRefs: no Gateway takes it, so none of its rules routes anything",
                ("spec.parentRefs: none", f"status.parents: {len(parents)} entries"),
                "add parentRefs naming the Gateway (and the sectionName of its listener) the route is for "
                "(kubectl get gateways -A)",
            )
        )
    for ref in (rt.get("spec") or {}).get("parentRefs") or []:
        if ref.get("kind", "Gateway") != "Gateway":
            continue
        gns = ref.get("namespace") or ns
        pname = ref["name"] + (f"/{ref['sectionName']}" if ref.get("sectionName") else "")
        if not snap.known("Gateway", ref["name"], gns):
            continue
        gw = snap.get("Gateway", ref["name"], gns)
        if gw is None:
            out.append(
                Finding(
                    "parent-gateway-missing",
                    subject,
                    f"{subject} attaches to Gateway {gns}/{ref['name']}, which does not exist",
                    (f"spec.parentRefs: {pname}", f"no Gateway {ref['name']} in {gns}"),
                    "create the Gateway, or point parentRefs at an existing one (kubectl get gateways -A)",
                )
            )
            continue
        upstream = gateway(snap, gw, gns)
        out += upstream
        if any(f.cause in ("gatewayclass-missing", "gatewayclass-not-accepted") for f in upstream):
            continue  # nobody serves the parent: the route's own status says nothing more
        entry = next((p for p in parents if _same_parent(p.get("parentRef") or {}, ref, ns)), None)
        if entry is None:
            out.append(
                Finding(
                    "route-not-processed",
                    subject,
                    f"no controller has written status for {subject} under parent {pname}: the Gateway's "
                    "implementation has not taken the route",
                    (f"spec.parentRefs: {pname}", "status.parents: no entry for it"),
                    "check that the Gateway's listeners allow this route kind and namespace, and the "
                    "implementation's logs",
                )
            )
            continue
        conds = _conditions(entry, generation)
        acc, refs = conds.get("Accepted"), conds.get("ResolvedRefs")
        if acc is not None and acc.get("status") != "True":
            out.append(
                Finding(
                    "route-not-accepted",
                    subject,
                    f"{subject} is not accepted by parent {pname}: {acc.get('reason')}: {acc.get('message', '')}",
                    (f"parent {pname} Accepted: {_cond_text(acc)}",),
                    "make the route fit a listener of the Gateway (hostname, sectionName, port, allowedRoutes kinds "
                    "and namespaces)",
                )
            )
        if refs is not None and refs.get("status") != "True":
            out.append(
                Finding(
                    "route-refs-unresolved",
                    subject,
                    f"{subject} has unresolved references under parent {pname}: {refs.get('reason')}: "
                    f"{refs.get('message', '')}",
                    (f"parent {pname} ResolvedRefs: {_cond_text(refs)}",),
                    "point backendRefs at Services that exist, with the port they have (a ReferenceGrant for "
                    "another namespace)",
                )
            )
    judged: set[str] = set()
    for rule in (rt.get("spec") or {}).get("rules") or []:
        for b in rule.get("backendRefs") or []:
            if b.get("kind", "Service") == "Service" and not b.get("group"):
                out += backend(snap, subject, b["name"], b.get("namespace") or ns, b.get("port"), judged)
    return _dedupe(out)


def _same_parent(seen: dict[str, Any], ref: dict[str, Any], ns: str) -> bool:
    return (
        seen.get("name") == ref.get("name")
        and (seen.get("namespace") or ns) == (ref.get("namespace") or ns)
        and all(seen.get(k) == ref.get(k) for k in ("sectionName", "port") if ref.get(k) is not None)
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        if (f.cause, f.summary) not in seen:
            seen.add((f.cause, f.summary))
            out.append(f)
    return out
