"""Status gates: what the harness reads from a Gateway's or a route's
status decides between waiting, going on and failing at once. The objects
are shaped as the API server returns them (Gateway API v1.x status)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.checks.gates import RejectionWatch, gate_state


def cond(type_: str, status: str, reason: str, generation: int = 1, message: str = "") -> dict[str, Any]:
    return {"type": type_, "status": status, "reason": reason, "observedGeneration": generation, "message": message}


def gateway(*conds: dict[str, Any], generation: int = 1) -> dict[str, Any]:
    return {
        "kind": "Gateway",
        "metadata": {"name": "web", "generation": generation},
        "status": {"conditions": list(conds)},
    }


def route(parents: list[dict[str, Any]], refs: list[dict[str, Any]] | None = None, generation: int = 1):
    refs = refs if refs is not None else [{"name": "web", "sectionName": "http"}]
    return {
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "generation": generation},
        "spec": {"parentRefs": refs},
        "status": {"parents": parents},
    }


def parent(*conds: dict[str, Any], name: str = "web", section: str | None = "http") -> dict[str, Any]:
    ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": name, "namespace": "t-1"}
    if section:
        ref["sectionName"] = section
    return {"parentRef": ref, "controllerName": "traefik.io/gateway-controller", "conditions": list(conds)}


def test_gateway_needs_accepted_and_programmed():
    assert gate_state(gateway())[0] == "waiting"
    assert gate_state(gateway(cond("Accepted", "Unknown", "Pending")))[0] == "waiting"
    state, why = gate_state(gateway(cond("Accepted", "True", "Accepted"), cond("Programmed", "False", "Pending")))
    assert state == "waiting" and "Programmed not True yet" in why
    state, seen = gate_state(gateway(cond("Accepted", "True", "Accepted"), cond("Programmed", "True", "Programmed")))
    assert state == "ready" and seen == {"Accepted": "True Accepted", "Programmed": "True Programmed"}


def test_gateway_rejection_is_final():
    state, why = gate_state(gateway(cond("Accepted", "False", "InvalidParameters", message="no such class params")))
    assert state == "rejected"
    assert why == "Gateway: Accepted=False InvalidParameters: no such class params"


def test_route_needs_every_parent_accepted_and_resolved():
    ok = parent(cond("Accepted", "True", "Accepted"), cond("ResolvedRefs", "True", "ResolvedRefs"))
    assert gate_state(route([]))[0] == "waiting"
    state, seen = gate_state(route([ok]))
    assert state == "ready" and seen == {"web/http": {"Accepted": "True Accepted", "ResolvedRefs": "True ResolvedRefs"}}
    two = [{"name": "web", "sectionName": "http"}, {"name": "other"}]
    state, why = gate_state(route([ok], refs=two))
    assert state == "waiting" and why == "parent other: no status from the controller yet"
    assert gate_state(route([ok, parent(*ok["conditions"], name="other", section=None)], refs=two))[0] == "ready"


@pytest.mark.parametrize("reason", ["NotAllowedByListeners", "NoMatchingParent", "UnsupportedValue"])
def test_route_not_accepted_for_good_fails_at_once(reason):
    state, why = gate_state(
        route([parent(cond("Accepted", "False", reason, message="listener http allows no routes"))])
    )
    assert state == "rejected" and why.startswith(f"parent web/http: Accepted=False {reason}")


@pytest.mark.parametrize("reason", ["RefNotPermitted", "BackendNotFound", "InvalidKind"])
def test_unresolved_refs_fail_at_once(reason):
    p = parent(cond("Accepted", "True", "Accepted"), cond("ResolvedRefs", "False", reason))
    assert gate_state(route([p])) == ("rejected", f"parent web/http: ResolvedRefs=False {reason}")


def test_pending_and_stale_conditions_are_waited_on():
    assert gate_state(route([parent(cond("Accepted", "False", "Pending"))]))[0] == "waiting"
    # a rejection of generation 1 says nothing about generation 2 (the fixed route)
    stale = parent(cond("Accepted", "False", "NoMatchingParent", generation=1))
    assert gate_state(route([stale], generation=2))[0] == "waiting"


def test_a_rejection_counts_once_it_settles():
    now = [0.0]
    watch = RejectionWatch(10.0, clock=lambda: now[0])
    backend_missing = "parent web/http: ResolvedRefs=False BackendNotFound: endpointslices not found"
    assert not watch.final("rejected", backend_missing)
    now[0] = 4.0
    assert not watch.final("ready", {})  # the controller corrected itself: start over
    now[0] = 5.0
    assert not watch.final("rejected", backend_missing)
    now[0] = 12.0
    assert not watch.final("rejected", "parent web/http: Accepted=False NoMatchingParent")  # another rejection
    now[0] = 22.0
    assert watch.final("rejected", "parent web/http: Accepted=False NoMatchingParent")
    assert not RejectionWatch(10.0).final("waiting", "no status yet")
