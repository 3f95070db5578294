"""A test's outcome -> the verdict of the claim it is marked with.

:func:`decide` is the whole mapping as a pure function of the outcome (no
pytest objects), so it is tested on its own; the hooks below only gather
its inputs from pytest's report and apply its decision."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import pytest

from harness import claims as catalog
from harness.checks.probes import CheckFailed, ProbeError
from harness.lab.addons import AddonUnavailable
from harness.options import UsageError
from harness.pytest.fixtures import safe
from harness.pytest.plugin import CALL_REPORT, EVIDENCE, NOT_CHECKABLE, one_line, options, run_id
from harness.pytest.session import HARNESS_ERRORS
from harness.report import document as report

Verdict = catalog.Verdict
CHECK_ERRORS = (AssertionError, CheckFailed, ProbeError)  # a check that failed: the claim does not hold


@dataclass(frozen=True)
class Decision:
    """What a phase's outcome means. ``verdict`` None: not a verdict (setup
    that passed, an ordinary skip). ``outcome``/``longrepr``/``wasxfail``,
    when set, replace the pytest report's (known refutations)."""

    verdict: Verdict | None
    reason: str = ""
    notes: tuple[str, ...] = ()
    failed_check: dict[str, Any] | None = None
    outcome: str | None = None
    longrepr: str | None = None
    wasxfail: str | None = None


def decide(
    *,
    when: str,
    outcome: str,
    skip_message: str = "",
    error: BaseException | None = None,
    error_text: str = "",
    known: str | None = None,
    claim: str = "",
    subject: str = "",
    evidence_dir: str | None = None,
) -> Decision:
    """The verdict of one phase (``when``: setup, call, teardown) that ended
    in ``outcome`` (passed, failed, skipped).

    - passed call -> holds; a passed setup or a clean teardown -> no verdict;
    - skipped with ``not_checkable(reason)`` -> not checkable here, reason;
      any other skip -> no verdict;
    - a check that failed in the call (AssertionError, CheckFailed,
      ProbeError) -> does not hold, with its first line as the reason and
      its transcript; anything else -> not checkable here, "harness error";
    - ``known``: the claim is a listed refutation on this subject. A
      refutation then does not fail the run (reported xfail), and a pass
      fails it (the list is out of date).
    """
    if when == "setup" and outcome == "passed":
        return Decision(None)
    if when == "teardown" and outcome != "failed":
        return Decision(None)
    notes: list[str] = []
    failed_check = None
    if outcome == "skipped":
        msg = skip_message.removeprefix("Skipped: ")
        if not msg.startswith(NOT_CHECKABLE):
            return Decision(None)
        verdict, reason = Verdict.NOT_CHECKABLE, msg[len(NOT_CHECKABLE) :]
    elif outcome == "passed":
        verdict, reason = Verdict.HOLDS, ""
    elif when == "call" and isinstance(error, CHECK_ERRORS):
        verdict, reason = Verdict.DOES_NOT_HOLD, one_line(error)
        transcript = getattr(error, "transcript", None)
        if transcript is not None:
            failed_check = {"label": "failed check", "data": transcript.evidence()}
        if evidence_dir:
            notes.append(f"failure evidence (events, objects, logs): {evidence_dir}")
    else:
        verdict = Verdict.NOT_CHECKABLE
        reason = f"harness error during {when}: {one_line(error) if error else error_text[:200]}"
    if known and verdict is Verdict.DOES_NOT_HOLD:
        notes.append(f"known refutation: {known}")  # expected: the verdict stands, the run does not fail on it
        return Decision(
            verdict, reason, tuple(notes), failed_check, outcome="skipped", wasxfail=f"known refutation: {known}"
        )
    if known and verdict is Verdict.HOLDS:
        notes.append("listed as a known refutation, but the claim now holds: update suites/known-refutations.yaml")
        return Decision(
            verdict,
            reason,
            tuple(notes),
            failed_check,
            outcome="failed",
            longrepr=f"harness: {claim} on {subject} is listed as a known refutation but now holds; "
            "remove it from the known refutations",
        )
    return Decision(verdict, reason, tuple(notes), failed_check)


def subject_of(item: pytest.Item, claim: catalog.Claim) -> str:
    if not claim.per_controller:
        return report.L4_SUBJECT
    callspec = getattr(item, "callspec", None)
    if callspec and "controller" in callspec.params:
        return str(callspec.params["controller"])
    return report.L4_SUBJECT


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    rep = yield
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, (*HARNESS_ERRORS, AddonUnavailable)):
        rep.longrepr = f"harness: {one_line(error)}"  # bad input or a broken manifest: one clear line
    if rep.when == "call":
        item.stash[CALL_REPORT] = rep
    item_claims = claims_of(item)
    if not item_claims:
        return rep
    opts = options(item.config)
    subjects = {c.id: subject_of(item, c) for c in item_claims}
    known = next(
        (
            opts.known_refutations[(c.id, subjects[c.id])]
            for c in item_claims
            if (c.id, subjects[c.id]) in opts.known_refutations
        ),
        None,
    )
    first = item_claims[0]
    skip_message = ""
    if rep.skipped:
        skip_message = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
    d = decide(
        when=rep.when,
        outcome=rep.outcome,
        skip_message=skip_message,
        error=error,
        error_text=rep.longreprtext,
        known=known,
        claim=first.id,
        subject=subjects[first.id],
        evidence_dir=f"evidence/{safe(item.nodeid)}/" if "ns" in getattr(item, "fixturenames", ()) else None,
    )
    if d.verdict is None:
        return rep
    if d.outcome is not None:
        rep.outcome = d.outcome
    if d.wasxfail is not None:
        rep.wasxfail = d.wasxfail
    if d.longrepr is not None:
        rep.longrepr = d.longrepr
    ev = item.stash.get(EVIDENCE, None)
    items = list(ev.items) if ev else []
    if d.failed_check is not None:
        items.append(d.failed_check)
    notes = (list(ev.notes) if ev else []) + list(d.notes)
    for claim in item_claims:
        report.record(
            opts.report_dir,
            run_id(item.config),
            report.Result(
                claim=claim.id,
                subject=subjects[claim.id],
                verdict=d.verdict.value,
                test=item.nodeid,
                reason=d.reason,
                evidence=items,
                notes=notes,
                observations=dict(ev.observations) if ev else {},
            ),
        )
    return rep


MARKERS = ("claim", "correction")


def claims_of(item: pytest.Item) -> list[catalog.Claim]:
    """The claims ``item``'s outcome is the verdict of: the one its marker
    names, then every other catalog entry that lists the test."""
    out: list[catalog.Claim] = []
    for name in MARKERS:
        marker = item.get_closest_marker(name)
        if marker is not None and marker.args:
            out.append(catalog.get(marker.args[0]))
    for c in catalog.claims_for_test(item.nodeid):
        if c not in out:
            out.append(c)
    return out


def pytest_collection_finish(session: pytest.Session) -> None:
    """Write down which (claim, subject) cells this run means to check, so the
    report can say which of them did not run (an interrupted run, a crashed
    worker) instead of leaving them blank."""
    cells = []
    for item in session.items:
        try:
            item_claims = claims_of(item)
        except KeyError:
            continue  # an unknown claim: pytest_collection_modifyitems reports it
        for c in item_claims:
            callspec = getattr(item, "callspec", None)
            if c.per_controller and not (callspec and "controller" in callspec.params):
                continue  # no controller selected for it (an empty parameter set): not a cell
            cells.append({"claim": c.id, "subject": subject_of(item, c), "test": item.nodeid})
    if cells:
        report.record_expected(options(session.config).report_dir, run_id(session.config), cells)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
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
        for claim in claims_of(item):
            if claim.per_controller and "controller" not in getattr(item, "fixturenames", ()):
                raise UsageError(
                    f"{item.nodeid}: claim {claim.id} is checked per controller; the test must take `controller`"
                )
