"""A test's record -> the verdict of each claim it checks (a pure function).

A test checks several claims when the catalog lists it under several; each
claim's verdict comes from the checks that declare it, never from the order
of the catalog:

- a failed check declaring the claim -> does not hold, with that check;
- the test could not do its job -> error, with the cause (never evidence
  against the guide), except for claims a failed check already refuted;
- the test ended not checkable here -> not checkable here, with the reason;
- the test passed -> holds for each claim at least one of its checks
  declared; a claim the test lists but no check of it declared is an error
  of the test (it would otherwise read "holds" on nothing);
- the test stopped at a failed check of other claims -> not run for the
  rest ("stopped before checking it"), since their checks did not all run;
- article-style soft checks: every check recorded counts; a claim whose
  checks all held holds, one with an error is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import CheckRecord, FailedCheck, Outcome, TestRecord, Verdict


@dataclass(frozen=True)
class ClaimVerdict:
    claim: str
    subject: str
    verdict: Verdict
    test: str
    reason: str = ""
    failed: FailedCheck | None = None


def claim_verdicts(rec: TestRecord) -> list[ClaimVerdict]:
    out = []
    for claim in rec.claims:
        mine = [c for c in rec.checks if claim in c.claims]
        out.append(_one(rec, claim, mine))
    return out


def _one(rec: TestRecord, claim: str, mine: list[CheckRecord]) -> ClaimVerdict:
    def verdict(v: Verdict, reason: str = "", failed: FailedCheck | None = None) -> ClaimVerdict:
        return ClaimVerdict(claim, rec.subject, v, rec.test, reason, failed)

    refuted = next((c for c in mine if c.verdict is Verdict.DOES_NOT_HOLD), None)
    if refuted is not None:
        failed = refuted.failed
        return verdict(Verdict.DOES_NOT_HOLD, failed.reason if failed else refuted.reason, failed)
    errored = next((c for c in mine if c.verdict is Verdict.ERROR), None)
    if errored is not None:
        return verdict(Verdict.ERROR, errored.reason)
    if rec.outcome is Outcome.ERROR:
        return verdict(Verdict.ERROR, rec.reason)
    if rec.outcome is Outcome.NOT_CHECKABLE:
        return verdict(Verdict.NOT_CHECKABLE, rec.reason)
    if rec.outcome is Outcome.FAILED:
        stopper = next((c for c in rec.checks if c.verdict is Verdict.DOES_NOT_HOLD), None)
        what = stopper.failed.check if stopper and stopper.failed else "a failed check"
        return verdict(
            Verdict.NOT_RUN, f"the test stopped at a failed check of other claims before checking this one ({what})"
        )
    if not mine:
        return verdict(
            Verdict.ERROR,
            f"{rec.test} declares no check of {claim}: harness/claims.yaml lists the test under it, "
            "but none of its checks backs it",
        )
    if all(c.verdict is Verdict.NOT_CHECKABLE for c in mine):
        return verdict(Verdict.NOT_CHECKABLE, "; ".join(dict.fromkeys(c.reason for c in mine)))
    return verdict(Verdict.HOLDS)
