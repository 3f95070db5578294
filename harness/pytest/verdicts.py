"""A test's recorded checks -> the verdicts of its claims, recorded for the
report, and what they mean for the run.

:func:`phase_outcome` maps how a pytest phase ended to how the test ended as
the verdict pipeline sees it (a pure function, tested on its own); the
per-claim verdicts are :func:`harness.results.verdicts.claim_verdicts` of the
test's record, and the run's pass or fail is
:func:`harness.results.known.judge` against the known refutations:

- a failed check of an object under test -> its claims do not hold; the run
  fails unless a known refutation lists that claim and subject *with what was
  seen* (then it is reported xfail);
- anything else that stops a test -> error (the run fails; never evidence
  against the guide);
- a known refutation whose claim now holds fails the run (the list is stale).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from harness.lab.addons import AddonUnavailable
from harness.pytest.marks import claims_of, subject_of, validate
from harness.pytest.plugin import CALL_REPORT, EVIDENCE, NOT_CHECKABLE, one_line, options, run_id, safe
from harness.results import store
from harness.results.errors import CheckFailed, HarnessError
from harness.results.known import judge
from harness.results.model import Outcome
from harness.results.recorder import Recorder
from harness.results.verdicts import claim_verdicts


def phase_outcome(
    *, when: str, outcome: str, skip_message: str = "", error: BaseException | None = None, error_text: str = ""
) -> tuple[Outcome | None, str]:
    """How a phase (setup, call, teardown) that ended in ``outcome``
    (passed, failed, skipped) ends the test; ``None``: it does not (setup
    that passed, a clean teardown, an ordinary skip)."""
    if when == "setup" and outcome == "passed":
        return None, ""
    if when == "teardown" and outcome != "failed":
        return None, ""
    if outcome == "skipped":
        msg = skip_message.removeprefix("Skipped: ")
        if not msg.startswith(NOT_CHECKABLE):
            return None, ""
        return Outcome.NOT_CHECKABLE, msg[len(NOT_CHECKABLE) :]
    if outcome == "passed":
        return Outcome.PASSED, ""
    if isinstance(error, CheckFailed) and when != "teardown":
        return Outcome.FAILED, error.failed.reason
    cause = one_line(error) if error is not None else (error_text.strip().splitlines() or ["unknown"])[0][:300]
    return Outcome.ERROR, f"harness error during {when}: {cause}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    rep = yield
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, HarnessError | AddonUnavailable):
        rep.longrepr = f"harness: {one_line(error)}"  # bad input or a broken manifest: one clear line
    if rep.when == "call":
        item.stash[CALL_REPORT] = rep
    found = claims_of(item)
    subject = subject_of(item, found) if found else None
    if subject is None:
        return rep
    skip_message = ""
    if rep.skipped:
        skip_message = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
    outcome, reason = phase_outcome(
        when=rep.when, outcome=rep.outcome, skip_message=skip_message, error=error, error_text=rep.longreprtext
    )
    if outcome is None:
        return rep
    opts = options(item.config)
    recorder = item.stash.get(EVIDENCE, None) or Recorder(tuple(c.id for c in found))
    dumped = outcome in (Outcome.FAILED, Outcome.ERROR) and "ns" in getattr(item, "fixturenames", ())
    rec = recorder.record(
        test=item.nodeid,
        subject=subject,
        outcome=outcome,
        reason=reason,
        evidence_dir=f"evidence/{safe(item.nodeid)}/" if dumped else "",
    )
    verdicts = claim_verdicts(rec)
    j = judge(verdicts, opts.known_refutations)
    rec.known = {v.claim: k.why for v, k in j.known}
    if rep.failed and outcome is Outcome.FAILED and j.known and not j.fails_run:
        rep.outcome = "skipped"  # reported xfail: the project knows this refutation, seen this way
        rep.wasxfail = "known refutation: " + "; ".join(dict.fromkeys(k.describe() for _, k in j.known))
    if j.now_hold:
        rep.outcome = "failed"
        rep.longrepr = "harness: " + "; ".join(
            f"{k.claim} on {k.subject} is listed as a known refutation but now holds; remove it from the known "
            "refutations"
            for k in j.now_hold
        )
    elif rep.passed and j.errors:
        rep.outcome = "failed"
        rep.longrepr = "harness: " + "; ".join(v.reason for v in j.errors)
    elif rep.failed and j.new and outcome is Outcome.FAILED and opts.known_refutations:
        listed = [k for k in opts.known_refutations if any((k.claim, k.subject) == (v.claim, v.subject) for v in j.new)]
        if listed:
            rep.longrepr = (
                f"{rep.longreprtext}\nharness: a known refutation of the same claim on {subject} was seen otherwise "
                f"({'; '.join(k.describe() for k in listed)}): this is a new failure"
            )
    store.record(opts.report_dir, run_id(item.config), rec)
    return rep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Write down which (claim, subject) cells this run means to check, so the
    report can say which of them did not run (an interrupted run, a crashed
    worker) instead of leaving them blank. A test parametrised away (no
    controller of the run serves it) makes no cell."""
    cells: list[store.ExpectedCell] = []
    for item in session.items:
        try:
            found = claims_of(item)
        except KeyError:
            continue  # an unknown claim: pytest_collection_modifyitems reports it
        subject = subject_of(item, found) if found else None
        if subject is None:
            continue
        cells.extend(store.ExpectedCell(c.id, subject, item.nodeid) for c in found)
    if cells:
        store.record_expected(options(session.config).report_dir, run_id(session.config), cells)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        validate(item)
