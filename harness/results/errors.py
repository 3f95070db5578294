"""The exceptions that decide a verdict, kept apart by what they mean.

- :class:`Observed`: something was observed that differs from what was
  expected (a wait that ran out, a probe that failed, a webhook that refused
  an object, a controller that rejected it). Whether that is evidence
  against the guide depends on *whose* object it was: inside a check of the
  guide's (or an article's) objects it becomes a :class:`CheckFailed`
  (``does not hold``); anywhere else it is a failure of the harness's own
  scaffolding (``error``). The checks layer raises its subclasses
  (``ProbeError``, ``WaitTimedOut``, ``AdmissionRejected``, ``GateRejected``).
- :class:`CheckFailed`: a check of an object under test did not hold; it
  carries the :class:`FailedCheck` as fields.
- :class:`HarnessError`: the harness itself could not do its job (a manifest
  it cannot read, a missing CRD, an unreachable API): always ``error``.

``Observed`` is an ``AssertionError`` so that a wait nested in a waited-on
condition counts as one failed attempt of the outer wait.
"""

from __future__ import annotations

from .model import FailedCheck, FailureKind, Seen, Transcript


class Observed(AssertionError):
    """An observation that differs from what was expected, as fields."""

    failure: FailureKind = FailureKind.ASSERTION  # what kind of failed check it makes

    def __init__(
        self,
        what: str,
        expected: str,
        seen: Seen,
        *,
        transcript: Transcript | None = None,
        hint: str = "",
        misroutes: tuple[Seen, ...] = (),
        failure: FailureKind | None = None,
    ) -> None:
        if failure is not None:
            self.failure = failure
        self.what = what
        self.expected = expected
        self.seen = seen
        self.transcript = transcript
        self.hint = hint
        self.misroutes = misroutes
        super().__init__(self.line())

    def line(self) -> str:
        want = f"expected {self.expected}; " if self.expected else ""
        text = f"{self.what}: {want}seen: {self.seen.text}"
        return text + (f"; look at: {self.hint}" if self.hint else "")

    def failed(self, claims: tuple[str, ...], what: str = "") -> FailedCheck:
        return FailedCheck(
            check=self.what or what,
            expected=self.expected,
            seen=self.seen,
            kind=self.failure,
            claims=claims,
            transcript=self.transcript,
            hint=self.hint,
            misroutes=self.misroutes,
        )


class CheckFailed(AssertionError):
    """A check of an object under test did not hold."""

    def __init__(self, failed: FailedCheck) -> None:
        self.failed = failed
        super().__init__(failed.reason)


class HarnessError(Exception):
    """The harness could not do its job; the message is one line naming what and where."""
