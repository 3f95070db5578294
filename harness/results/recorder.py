"""What one test saw, recorded as it happens: the one recording path of the
claims suites and article mode.

A test gets a :class:`Recorder` (the ``evidence`` fixture; article mode
makes one per snippet and subject) and passes it explicitly to whatever
checks or applies something. Its :meth:`Recorder.check` blocks are where an
object under test is judged: an :class:`~harness.results.errors.Observed`
(or a plain ``assert``) raised inside one is a failed check of the claims
the block declares, recorded with what was expected and seen; the same
exception anywhere else is a failure of the harness's scaffolding. A block
declares the claims whose expectation it is (default: every claim of the
test, the one its marker names first).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from typing import Any

from . import normalise
from .errors import CheckFailed, HarnessError, Observed
from .model import (
    CheckRecord,
    EvidenceItem,
    FailedCheck,
    FailureKind,
    Json,
    Latency,
    Observation,
    Outcome,
    Seen,
    TestRecord,
    Transcript,
    Verdict,
)


def to_json(value: Any) -> Json:
    """Evidence data as JSON: a probe result's ``summary()``, a dataclass's
    fields, containers element by element, anything else as text."""
    if hasattr(value, "summary") and callable(value.summary):
        return to_json(value.summary())
    if hasattr(value, "to_json") and callable(value.to_json):
        return value.to_json()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in (sorted(value, key=str) if isinstance(value, set | frozenset) else value)]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Recorder:
    """Checks, evidence, notes and observations of one test."""

    def __init__(self, claims: tuple[str, ...] = (), *, suffixes: tuple[str, ...] = ()) -> None:
        self.claims = tuple(claims)
        self.suffixes = tuple(suffixes)
        self.checks: list[CheckRecord] = []
        self.items: list[EvidenceItem] = []
        self.notes: list[str] = []
        self.observations: list[Observation] = []
        self._open: list[list[EvidenceItem]] = []  # evidence of the check blocks being run (innermost last)

    # -- evidence ----------------------------------------------------------------

    def generated(self, suffix: str) -> None:
        """A suffix the test's generated names carry (its namespace's), normalised away in observations."""
        if suffix and suffix not in self.suffixes:
            self.suffixes = (*self.suffixes, suffix)

    def add(self, label: str, data: Any) -> None:
        """Evidence: inside a check block it belongs to that check (and so to
        the claims the check backs), outside to the whole test."""
        if isinstance(data, Transcript):
            item = EvidenceItem(label, transcript=data)
        elif isinstance(data, Latency):
            item = EvidenceItem(label, latency=data)
        else:
            item = EvidenceItem(label, data=to_json(data))
        (self._open[-1] if self._open else self.items).append(item)

    def note(self, text: str) -> None:
        """A fact worth printing beside the verdict (e.g. what path the backend saw)."""
        if text not in self.notes:
            self.notes.append(text)

    def observe(self, topic: str, value: str) -> None:
        """A behaviour seen, compared across subjects by the report's findings
        (name the topic the same way on every subject)."""
        self.observations = [o for o in self.observations if o.topic != topic]
        self.observations.append(Observation(topic, value, normalise.text(value, self.suffixes)))

    @contextmanager
    def observing(self, topic: str) -> Iterator[None]:
        """A check whose failure is itself the observation for ``topic``
        ("check failed: status 400"); the failure still propagates."""
        try:
            yield
        except CheckFailed as exc:
            self.observe(topic, f"check failed: {exc.failed.seen.text}")
            raise

    # -- checks ------------------------------------------------------------------

    def claims_of(self, claims: tuple[str, ...] | None) -> tuple[str, ...]:
        if claims is None:
            return self.claims
        if self.claims:
            unknown = [c for c in claims if c not in self.claims]
            if unknown:
                raise HarnessError(
                    f"a check declares claim(s) {', '.join(unknown)} that this test does not check "
                    f"(its claims: {', '.join(self.claims)}); list the test under them in harness/claims.yaml"
                )
        return tuple(claims)

    @contextmanager
    def check(
        self,
        label: str,
        *,
        claims: tuple[str, ...] | None = None,
        soft: bool = False,
        precondition: bool = False,
        object: str = "",
        kind: str = "",
    ) -> Iterator[None]:
        """Judge an object under test: an observation that differs from what
        was expected, raised inside, is a failed check of ``claims``
        (default: all of the test's), with the evidence added inside. With
        ``soft`` the failure (or a harness error) is recorded and the test
        goes on (article mode: one check of a snippet does not stop the
        next); otherwise :class:`CheckFailed` stops the test. A
        ``precondition`` (an object applied as written) is recorded only when
        it fails: meeting it is no verdict.

        A block inside another (a row ``verify``-ed within a check of an
        article's object) is part of the outer check: its evidence goes to
        the outer one, and its failure is the outer one's, recorded once."""
        backs = self.claims_of(claims)
        if self._open:
            try:
                yield
            except CheckFailed:
                raise
            except Observed as exc:
                raise CheckFailed(exc.failed(backs, label)) from None
            except AssertionError as exc:
                raise CheckFailed(FailedCheck(label, "", Seen(one_line(exc)), FailureKind.ASSERTION, backs)) from None
            return
        evidence: list[EvidenceItem] = []
        self._open.append(evidence)

        def done(verdict: Verdict, failed: FailedCheck | None = None, reason: str = "") -> None:
            self.checks.append(
                CheckRecord(
                    label,
                    backs,
                    verdict,
                    failed=failed,
                    reason=reason,
                    evidence=tuple(evidence),
                    object=object,
                    kind=kind,
                )
            )

        try:
            yield
        except CheckFailed as exc:
            self._open.remove(evidence)
            if not any(c.failed is exc.failed for c in self.checks):  # not judged by an inner block already
                done(Verdict.DOES_NOT_HOLD, exc.failed)
            if not soft:
                raise
            return
        except Observed as exc:
            self._open.remove(evidence)
            failed = exc.failed(backs, label)
        except AssertionError as exc:
            self._open.remove(evidence)
            failed = FailedCheck(label, "", Seen(one_line(exc)), FailureKind.ASSERTION, backs)
        except Exception as exc:
            self._open.remove(evidence)
            if not soft:
                raise
            done(Verdict.ERROR, reason=one_line(exc))
            return
        except BaseException:
            self._open.remove(evidence)
            raise
        else:
            self._open.remove(evidence)
            if precondition:
                self.items.extend(evidence)
            else:
                done(Verdict.HOLDS)
            return
        done(Verdict.DOES_NOT_HOLD, failed)
        if not soft:
            raise CheckFailed(failed) from None

    def not_checkable(
        self, label: str, reason: str, *, claims: tuple[str, ...] | None = None, object: str = "", kind: str = ""
    ) -> None:
        """A check this test cannot make here, with the reason (never a silent skip)."""
        self.checks.append(
            CheckRecord(label, self.claims_of(claims), Verdict.NOT_CHECKABLE, reason=reason, object=object, kind=kind)
        )

    # -- the record ----------------------------------------------------------------

    def record(
        self,
        *,
        test: str,
        subject: str,
        outcome: Outcome,
        reason: str = "",
        evidence_dir: str = "",
        line: int | None = None,
        setup: Json = None,
    ) -> TestRecord:
        return TestRecord(
            test=test,
            subject=subject,
            claims=self.claims,
            outcome=outcome,
            checks=list(self.checks),
            reason=reason,
            evidence=list(self.items),
            notes=list(self.notes),
            observations=sorted(self.observations, key=lambda o: o.topic),
            evidence_dir=evidence_dir,
            line=line,
            setup=setup,
        )
