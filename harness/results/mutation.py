"""A mutant's run -> what it proved, per claim it must kill (a pure function).

- killed: the claim reads "does not hold" under the mutant, on the kind of
  failed check the mutant targets (when it names one);
- survived: the claim still holds: the check cannot see what the claim
  promises (the run fails, and the report says so as a finding);
- mutant error: the mutant did not apply (no object it edits was applied
  by the test), or the run ended in an error of the harness, stopped before
  checking the claim, or failed another check than the one targeted: no
  evidence either way (the run fails).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from harness.mutants import Mutant
from harness.results.model import FailedCheck, Json, TestRecord, Verdict
from harness.results.verdicts import claim_verdicts


class MutantOutcome(str, Enum):
    KILLED = "killed"
    SURVIVED = "survived"
    ERROR = "mutant error"


@dataclass(frozen=True)
class MutantResult:
    mutant: str
    claim: str
    subject: str
    outcome: MutantOutcome
    reason: str = ""
    failed: FailedCheck | None = None  # the failed check that killed it
    diff: str = ""  # what the mutant changed
    test: str = ""

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {
            "mutant": self.mutant,
            "claim": self.claim,
            "subject": self.subject,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "diff": self.diff,
            "test": self.test,
        }
        if self.failed is not None:
            out["failed"] = self.failed.to_json()
        return out

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> MutantResult:
        return cls(
            mutant=str(d["mutant"]),
            claim=str(d["claim"]),
            subject=str(d["subject"]),
            outcome=MutantOutcome(d["outcome"]),
            reason=str(d.get("reason", "")),
            failed=FailedCheck.from_json(d["failed"]) if d.get("failed") else None,
            diff=str(d.get("diff", "")),
            test=str(d.get("test", "")),
        )


def mutant_results(rec: TestRecord, mutant: Mutant) -> list[MutantResult]:
    """What the run ``rec`` of ``mutant`` proved for each claim it must kill."""
    out = []
    verdicts = {v.claim: v for v in claim_verdicts(rec)}
    for claim in mutant.kills:
        v = verdicts.get(claim)

        def result(
            outcome: MutantOutcome, reason: str, failed: FailedCheck | None = None, claim: str = claim
        ) -> MutantResult:
            return MutantResult(mutant.name, claim, rec.subject, outcome, reason, failed, rec.mutation, rec.test)

        if not rec.mutation:
            out.append(result(MutantOutcome.ERROR, "the mutant did not apply: the test applied no object it edits"))
        elif v is None:
            out.append(result(MutantOutcome.ERROR, f"{rec.test} gives no verdict of {claim}"))
        elif v.verdict is Verdict.HOLDS:
            out.append(
                result(
                    MutantOutcome.SURVIVED,
                    f"{claim} still holds under the mutant ({mutant.why}): this check cannot fail",
                )
            )
        elif v.verdict is Verdict.DOES_NOT_HOLD and v.failed is not None:
            if mutant.fails and v.failed.kind.value != mutant.fails:
                out.append(
                    result(
                        MutantOutcome.ERROR,
                        f"failed on another check than the one the mutant targets ({v.failed.kind.value}, not "
                        f"{mutant.fails}): {v.failed.reason}",
                        v.failed,
                    )
                )
            else:
                out.append(result(MutantOutcome.KILLED, v.failed.reason, v.failed))
        else:
            out.append(result(MutantOutcome.ERROR, f"{v.verdict.value}: {v.reason}"))
    return out
