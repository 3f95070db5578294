"""Status gates: where a Gateway or a route stands, from its status alone,
and when a rejection is final."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness.results.errors import Observed
from harness.results.model import FailureKind

# Gateway API objects whose status the harness waits on after applying them.
GATEWAY_GROUP = "gateway.networking.k8s.io"
GATED_KINDS = ("Gateway", "HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute")
# Condition reasons (status False) that no amount of waiting changes: the
# controller read the object and said no. Anything else (Pending, no status
# yet) is waited on until the deadline.
FINAL_REJECTIONS = frozenset(
    {
        # Gateway: Accepted / Programmed
        "InvalidParameters",
        "UnsupportedAddress",
        "Invalid",
        "ListenersNotValid",
        # routes, per parent: Accepted
        "NotAllowedByListeners",
        "NoMatchingListenerHostname",
        "NoMatchingParent",
        "UnsupportedValue",
        "IncompatibleFilters",
        # routes, per parent: ResolvedRefs
        "RefNotPermitted",
        "InvalidKind",
        "BackendNotFound",
        "UnsupportedProtocol",
    }
)


def gate_state(obj: dict[str, Any]) -> tuple[str, Any]:
    """Where a Gateway API object stands, from its status alone:
    ``("ready", conditions)``, ``("waiting", why)`` or ``("rejected", why)``.

    Gateway: Accepted and Programmed True. Route: for every parentRef of
    its spec, a status entry with Accepted and ResolvedRefs True. Conditions
    of an older generation do not count either way."""
    generation = obj.get("metadata", {}).get("generation") or 0

    def current(conds: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {c["type"]: c for c in conds if (c.get("observedGeneration") or generation) >= generation}

    def judge(conds: dict[str, dict[str, Any]], wanted: tuple[str, ...], who: str) -> tuple[str, Any]:
        for t in wanted:
            c = conds.get(t)
            if c is not None and c.get("status") == "False" and c.get("reason") in FINAL_REJECTIONS:
                return "rejected", f"{who}: {t}=False {c.get('reason')}: {c.get('message', '')}".rstrip(": ")
        missing = [t for t in wanted if conds.get(t, {}).get("status") != "True"]
        if missing:
            seen = {t: f"{c.get('status')} {c.get('reason', '')}".strip() for t, c in conds.items()}
            return "waiting", f"{who}: {' and '.join(missing)} not True yet (seen {seen or 'no conditions'})"
        return "ready", {t: f"{c.get('status')} {c.get('reason', '')}".strip() for t, c in conds.items()}

    status = obj.get("status") or {}
    if obj.get("kind") == "Gateway":
        return judge(current(status.get("conditions") or []), ("Accepted", "Programmed"), "Gateway")
    parents = status.get("parents") or []
    out: dict[str, Any] = {}
    for ref in (obj.get("spec") or {}).get("parentRefs") or []:
        name = ref["name"] + (f"/{ref['sectionName']}" if ref.get("sectionName") else "")
        entry = next((p for p in parents if _same_parent(p.get("parentRef") or {}, ref)), None)
        if entry is None:
            return "waiting", f"parent {name}: no status from the controller yet"
        state, detail = judge(current(entry.get("conditions") or []), ("Accepted", "ResolvedRefs"), f"parent {name}")
        if state != "ready":
            return state, detail
        out[name] = detail
    return "ready", out


class RejectionWatch:
    """Turns gate observations into "rejected for good": a final-looking
    rejection counts once the same rejection has been seen for ``settle``
    seconds in a row (a controller may write BackendNotFound before the
    EndpointSlice of a new Service exists, then correct it)."""

    def __init__(self, settle: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle = settle
        self.clock = clock
        self.since: float | None = None
        self.detail: Any = None

    def final(self, state: str, detail: Any) -> bool:
        if state != "rejected":
            self.since, self.detail = None, None
            return False
        now = self.clock()
        if self.since is None or detail != self.detail:
            self.since, self.detail = now, detail
        return now - self.since >= self.settle


def _same_parent(seen: dict[str, Any], ref: dict[str, Any]) -> bool:
    return all(seen.get(k) == ref.get(k) for k in ("name", "sectionName", "port") if ref.get(k) is not None) and (
        not ref.get("namespace") or seen.get("namespace") == ref.get("namespace")
    )


class GateRejected(Observed):
    """A Gateway or route the controller rejected for good (see FINAL_REJECTIONS)."""

    failure = FailureKind.REJECTED
