"""The consistency rule: single probes (or reads of the cluster) turned into
a judgement with a deadline.

- :func:`consistently`: N successes in a row within the deadline; a wrong
  backend answering after the settle window fails at once, whatever streak
  follows (a not-yet-routed answer before the streak is tolerated);
- :func:`eventually`: ``consistently`` with N = 1 (objects becoming ready);
- :func:`never`: keeps holding for a whole observation window (negative claims).

An answer from an echo pod of a namespace the test did not make
(:class:`Foreign`) is another test's object catching the request: "not yet"
while waiting, and :class:`Interference` (a harness error) if it lasts to the
deadline or comes inside a window, never a refutation.

Each keeps a transcript (:class:`Recording`) and, when it gives up, raises
:class:`WaitTimedOut` with what was expected and what was last seen as
fields. Whether that is a refutation or a harness error is decided where it
is caught (:meth:`harness.results.recorder.Recorder.check`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import tenacity

from harness.checks.timeouts import Timeouts
from harness.results.errors import HarnessError, Observed
from harness.results.model import Attempt, FailureKind, Seen, Transcript

T = TypeVar("T")

# --------------------------------------------------------------------------
# the consistency rule
# --------------------------------------------------------------------------


class Recording:
    """The live transcript of a waited-on check (the last ``keep`` attempts are kept)."""

    def __init__(self, what: str, *, keep: int = 12, window: float | None = None) -> None:
        self.what = what
        self.keep = keep
        self.window = window
        self.attempts = 0
        self.failures = 0
        self.last: list[Attempt] = []

    def record(self, ok: bool, detail: Any) -> None:
        self.attempts += 1
        self.failures += 0 if ok else 1
        self.last = [*self.last, Attempt(self.attempts, ok, detail)][-self.keep :]

    def transcript(self) -> Transcript:
        window = round(self.window, 1) if self.window is not None else None
        return Transcript(self.what, self.attempts, self.failures, tuple(self.last), window)


class Mismatch(AssertionError):
    """An answer that is not the expected one, with what was seen as fields."""

    def __init__(self, message: str, seen: Seen):
        super().__init__(message)
        self.seen = seen


class Misrouted(Mismatch):
    """The answer came from a backend other than the expected one."""


class Foreign(Mismatch):
    """An echo pod of a namespace the test did not make answered: another
    test's object (a catch-all, a host-less rule of the same IngressClass)
    caught the request. Not this test's routing: until its own route is in
    place it reads as "not yet", and if it lasts it is the harness's
    :class:`Interference`, never a refutation."""


class Interference(HarnessError):
    """Another test's objects answered this test's requests until its deadline."""


def _interference(what: str, seen: Seen, transcript: Transcript, until: str) -> Interference:
    return Interference(
        f"{what}: {seen.text} {until}: tests running beside this one share the controller "
        f"(or its IngressClass), so nothing was observed about this test's objects; see the "
        f"transcript ({transcript.attempts} attempts) and the other namespace's objects"
    )


class WaitTimedOut(Observed):
    """A waited-on condition did not come about (or stopped holding) within its deadline."""

    failure = FailureKind.WAIT


class _NotYet(Exception):
    pass


def _describe(exc: BaseException) -> str:
    """One line: an assertion's own message (without pytest's rewritten
    explanation), a probe error's classification, or the exception type."""
    if isinstance(exc, AssertionError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def _seen(exc: BaseException) -> Seen:
    seen = getattr(exc, "seen", None)
    if isinstance(seen, Seen):
        return seen if seen.text else Seen(_describe(exc), seen.status, seen.pod, seen.path, seen.error)
    return Seen(_describe(exc))


def _answer(exc: BaseException, seen: Seen) -> tuple[Any, ...]:
    """What makes two wrong answers the same one (the steady rule of :func:`consistently`)."""
    fields = (seen.status, seen.pod, seen.path, seen.error)
    if any(f is not None for f in fields):
        return (type(exc).__name__, *fields)
    return (type(exc).__name__, seen.text)


def consistently(
    check: Callable[[], T],
    *,
    what: str,
    timeouts: Timeouts,
    successes: int | None = None,
    deadline: float | None = None,
    hint: str | Callable[[], str] = "",
    describe: Callable[[T], Any] | None = None,
    failure: FailureKind = FailureKind.WAIT,
    settle: float = 0.0,
    steady: float | None = None,
) -> tuple[T, Transcript]:
    """Run ``check`` until it succeeds ``successes`` times in a row.

    ``check`` makes its own request and asserts on it (every assertion inside
    the loop). A failure resets the streak. A :class:`Misrouted` answer (a
    backend other than the expected one) seen after the first ``settle``
    seconds fails at once: a wrong backend is never made good by the right
    one answering afterwards (during ``settle`` it is recorded; updates use
    it while the old configuration drains). Past the deadline,
    :class:`WaitTimedOut` says what was expected, what was last seen and
    where to look.

    With ``steady`` (seconds; article mode gives ``timeouts.steady_wrong_answer``,
    the claims suites give none) the same wrong answer (same status, pod,
    path, probe error; or the same text when it has none of these) seen
    attempt after attempt for that long fails the check then, saying so,
    instead of at the deadline: a route that answers 404 steadily once its
    objects are accepted will not start routing by itself. Any success or a
    different answer starts the window again.
    """
    need = successes if successes is not None else timeouts.consistent_successes
    limit = deadline if deadline is not None else timeouts.consistency
    rec = Recording(what)
    started = time.monotonic()
    state: dict[str, Any] = {"streak": 0, "seen": None, "same": None, "since": 0.0, "foreign": False}
    misroutes: list[Seen] = []

    def where() -> str:
        return hint() if callable(hint) else hint

    def attempt() -> T:
        try:
            value = check()
        except (AssertionError, OSError) as exc:
            state["streak"] = 0
            state["seen"] = _seen(exc)
            rec.record(False, state["seen"].text)
            state["foreign"] = isinstance(exc, Foreign)
            if isinstance(exc, Misrouted):
                misroutes.append(state["seen"])
                if time.monotonic() - started >= settle:
                    raise WaitTimedOut(
                        what,
                        f"only the expected backend answering (settle window {settle:.0f}s)",
                        state["seen"],
                        transcript=rec.transcript(),
                        hint=where(),
                        misroutes=tuple(misroutes),
                        failure=FailureKind.MISROUTE,
                    ) from None
            if steady is not None and not state["foreign"]:
                key = _answer(exc, state["seen"])
                now = time.monotonic()
                if key != state["same"]:
                    state["same"], state["since"] = key, now
                elif now - state["since"] >= steady:
                    raise WaitTimedOut(
                        what,
                        f"{need} consecutive successes; the same wrong answer was seen steadily for "
                        f"{now - state['since']:.0f}s (settle window {steady:.0f}s, "
                        f"steady_wrong_answer), so the check failed then instead of waiting out its {limit:.0f}s",
                        state["seen"],
                        transcript=rec.transcript(),
                        hint=where(),
                        misroutes=tuple(misroutes),
                        failure=failure,
                    ) from None
            raise _NotYet() from exc
        state["same"] = None
        state["streak"] += 1
        rec.record(True, describe(value) if describe else _summary_of(value))
        if state["streak"] < need:
            raise _NotYet()
        return value

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(limit),
        wait=tenacity.wait_fixed(timeouts.probe_interval),
        retry=tenacity.retry_if_exception_type(_NotYet),
        reraise=True,
    )
    try:
        value = retrying(attempt)
    except _NotYet:
        seen = state["seen"] or Seen("no failure, but never enough consecutive successes")
        if state["foreign"]:
            raise _interference(what, seen, rec.transcript(), f"until the {limit:.0f}s deadline") from None
        raise WaitTimedOut(
            what,
            f"{need} consecutive successes within {limit:.0f}s ({rec.attempts} attempts, {rec.failures} failed)",
            seen,
            transcript=rec.transcript(),
            hint=where(),
            misroutes=tuple(misroutes),
            failure=failure,
        ) from None
    return value, rec.transcript()


def eventually(
    check: Callable[[], T],
    *,
    what: str,
    timeouts: Timeouts,
    deadline: float | None = None,
    hint: str | Callable[[], str] = "",
    failure: FailureKind = FailureKind.WAIT,
) -> T:
    """``consistently`` with N=1: wait until ``check`` passes once."""
    value, _ = consistently(
        check, what=what, timeouts=timeouts, successes=1, deadline=deadline, hint=hint, failure=failure
    )
    return value


def never(
    check: Callable[[], Any],
    *,
    what: str,
    timeouts: Timeouts,
    window: float | None = None,
    failure: FailureKind = FailureKind.UNEXPECTED_ANSWER,
) -> Transcript:
    """Observe for ``window`` seconds that ``check`` keeps holding (e.g. "still
    no address"); fails as soon as it does not. Used for negative claims, where
    the observation window is part of the evidence."""
    limit = window if window is not None else timeouts.negative_observation
    rec = Recording(what, window=limit)
    end = time.monotonic() + limit

    def attempt() -> None:
        try:
            detail = check()
        except (AssertionError, OSError) as exc:
            seen = _seen(exc)
            rec.record(False, seen.text)
            if isinstance(exc, Foreign):
                raise _interference(what, seen, rec.transcript(), f"during the {limit:.0f}s window") from None
            raise WaitTimedOut(
                what,
                f"to hold throughout {limit:.0f}s; it stopped after {rec.attempts} observations",
                seen,
                transcript=rec.transcript(),
                failure=failure,
            ) from None
        rec.record(True, _summary_of(detail))
        if time.monotonic() < end:
            raise _NotYet()

    tenacity.Retrying(
        stop=tenacity.stop_after_delay(limit * 2 + 5),
        wait=tenacity.wait_fixed(timeouts.probe_interval),
        retry=tenacity.retry_if_exception_type(_NotYet),
        reraise=True,
    )(attempt)
    return rec.transcript()


def _summary_of(value: Any) -> Any:
    if hasattr(value, "summary"):
        return value.summary()
    if isinstance(value, (str, int, float, bool, type(None), dict, list, tuple)):
        return value
    return repr(value)
