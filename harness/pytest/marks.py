"""Which claims a test checks, and on which subject: from its marker and the
catalog, validated at collection (an unknown claim stops the run before
anything is created)."""

from __future__ import annotations

import pytest

from harness import claims as catalog
from harness.options import CONTROLLERS, L4_SUBJECT, UsageError

MARKERS = ("claim", "correction")


def claims_of(item: pytest.Item) -> list[catalog.Claim]:
    """The claims ``item``'s checks give the verdict of: the one its marker
    names first (a failed check is pinned on it unless the check declares
    otherwise), then every other catalog entry that lists the test."""
    out: list[catalog.Claim] = []
    for name in MARKERS:
        marker = item.get_closest_marker(name)
        if marker is not None and marker.args:
            out.append(catalog.get(marker.args[0]))
    for c in catalog.claims_for_test(item.nodeid):
        if c not in out:
            out.append(c)
    return out


def subject_of(item: pytest.Item, claims: list[catalog.Claim]) -> str | None:
    """The subject ``item`` checks: its controller, or the load-balancer
    implementation for L4 claims. None when the test was parametrised away
    (an empty controller set: pytest's placeholder is not a subject)."""
    if not any(c.per_controller for c in claims):
        return L4_SUBJECT
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get("controller") if callspec else None
    return value if isinstance(value, str) and value in CONTROLLERS else None


def validate(item: pytest.Item) -> None:
    """One line for a marker without a claim, an unknown claim, a per-controller
    claim on a test without the ``controller`` fixture, or a test mixing L4
    and per-controller claims (its verdicts would need two subjects)."""
    for name in MARKERS:
        marker = item.get_closest_marker(name)
        if marker is None:
            continue
        if not marker.args:
            raise UsageError(f"{item.nodeid}: @pytest.mark.{name} needs a claim id")
        try:
            catalog.get(marker.args[0])
        except KeyError as exc:
            raise UsageError(f"{item.nodeid}: {exc.args[0]}") from None
    found = claims_of(item)
    for claim in found:
        if claim.per_controller and "controller" not in getattr(item, "fixturenames", ()):
            raise UsageError(
                f"{item.nodeid}: claim {claim.id} is checked per controller; the test must take `controller`"
            )
    kinds = {c.per_controller for c in found}
    if len(kinds) > 1:
        raise UsageError(
            f"{item.nodeid}: checks both L4 claims and per-controller claims "
            f"({', '.join(c.id for c in found)}); split the test"
        )
