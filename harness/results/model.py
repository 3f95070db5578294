"""The typed verdict model: what a check saw, as data, from the probe to the
renderer.

Everything a report shows is one of these dataclasses; none is a dict with
string keys, and nothing formatted for a person is parsed back. Each type
has ``to_json`` and a ``from_json`` that reads back exactly what
``to_json`` wrote (the reports' JSON and the per-process result files are
both made of them).

- :class:`Verdict`: the five values a cell can have;
- :class:`Transcript`: what a waited-on check saw, attempt by attempt;
- :class:`Seen`: what was last seen, as fields (status, pod, path the backend
  saw, how a probe failed) beside the line a person reads;
- :class:`FailedCheck`: a check of the guide's (or an article's) objects that
  did not hold: what was checked, what was expected, what was seen, and the
  claims whose expectation it is;
- :class:`Observation`: a behaviour recorded for comparison across subjects,
  with its value normalised for generated names and addresses;
- :class:`EvidenceItem`: a labelled piece of evidence (a transcript, a
  latency measurement or plain JSON data);
- :class:`CheckRecord` and :class:`TestRecord`: what one test recorded, the
  unit both the claims suites and article mode write
  (:mod:`harness.results.store`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, TypeAlias

Json: TypeAlias = Any  # a JSON value: None, bool, int, float, str, list of Json, dict of str -> Json


class Verdict(str, Enum):
    HOLDS = "holds"
    DOES_NOT_HOLD = "does not hold"  # an object of the guide (or article, or a correction) behaved otherwise
    ERROR = "error"  # the harness could not do its job: never evidence against the guide
    NOT_CHECKABLE = "not checkable here"  # with the reason
    NOT_RUN = "not run"  # the run did not get to it (interrupted, stopped early, deselected)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


# how a verdict weighs when several tests check the same claim on the same subject: the weakest wins
VERDICT_RANK = {
    Verdict.ERROR: 0,
    Verdict.DOES_NOT_HOLD: 1,
    Verdict.NOT_RUN: 2,
    Verdict.NOT_CHECKABLE: 3,
    Verdict.HOLDS: 4,
}


@dataclass(frozen=True)
class Attempt:
    n: int
    ok: bool
    detail: Json

    def to_json(self) -> dict[str, Json]:
        return {"n": self.n, "ok": self.ok, "detail": self.detail}

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Attempt:
        return cls(int(d["n"]), bool(d["ok"]), d.get("detail"))


@dataclass(frozen=True)
class Transcript:
    """What a waited-on check saw (the last ``len(last)`` of ``attempts``)."""

    check: str
    attempts: int
    failures: int
    last: tuple[Attempt, ...]
    window_seconds: float | None = None  # set for negative observations (held throughout a window)

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {
            "check": self.check,
            "attempts": self.attempts,
            "failures": self.failures,
            "last": [a.to_json() for a in self.last],
        }
        if self.window_seconds is not None:
            out["window_seconds"] = self.window_seconds
        return out

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Transcript:
        return cls(
            check=str(d["check"]),
            attempts=int(d["attempts"]),
            failures=int(d["failures"]),
            last=tuple(Attempt.from_json(a) for a in d.get("last", [])),
            window_seconds=d.get("window_seconds"),
        )


@dataclass(frozen=True)
class Seen:
    """What was last seen: ``text`` for a person, the rest as fields a
    known refutation or a finding can match on."""

    text: str
    status: int | None = None  # HTTP status or gRPC code
    pod: str | None = None  # the pod that answered
    path: str | None = None  # the path (or gRPC method) the backend saw
    error: str | None = None  # how a probe failed: refused, timeout, tls, tls-verify, reset, ...

    def to_json(self) -> dict[str, Json]:
        return {k: v for k, v in vars(self).items() if v is not None}

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Seen:
        return cls(
            text=str(d.get("text", "")),
            status=d.get("status"),
            pod=d.get("pod"),
            path=d.get("path"),
            error=d.get("error"),
        )


class FailureKind(str, Enum):
    TRAFFIC = "traffic"  # requests did not get the expected answers within the deadline
    MISROUTE = "misroute"  # a backend other than the expected one answered
    UNEXPECTED_ANSWER = "unexpected answer"  # a negative check: something answered that must not
    WAIT = "wait"  # an object of the guide did not reach the expected state (an address, a status)
    ADMISSION = "admission"  # the API server or a webhook refused the object
    REJECTED = "rejected"  # the controller rejected the object in its status
    ASSERTION = "assertion"  # a fact about the object read from the API was not as claimed
    PROBE = "probe"  # one probe failed (refused, timeout, TLS)


@dataclass(frozen=True)
class FailedCheck:
    """A check that did not hold, with the claims whose expectation it is
    (the first is the one a finding is pinned on)."""

    check: str  # what was checked: the request and its expectation, the object and its state
    expected: str
    seen: Seen
    kind: FailureKind
    claims: tuple[str, ...] = ()
    transcript: Transcript | None = None
    hint: str = ""  # where to look
    misroutes: tuple[Seen, ...] = ()  # wrong backends seen during the check's window
    known: str = ""  # why the project already knows this failure (the known refutation it matched)

    @property
    def reason(self) -> str:
        """One line: what was checked, what was expected, what was seen."""
        head = f"{self.check}: " if self.check else ""
        want = f"expected {self.expected}; " if self.expected else ""
        return f"{head}{want}seen: {self.seen.text}"

    def with_claims(self, claims: tuple[str, ...]) -> FailedCheck:
        return replace(self, claims=claims)

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {
            "check": self.check,
            "expected": self.expected,
            "seen": self.seen.to_json(),
            "kind": self.kind.value,
            "claims": list(self.claims),
        }
        if self.transcript is not None:
            out["transcript"] = self.transcript.to_json()
        if self.hint:
            out["hint"] = self.hint
        if self.misroutes:
            out["misroutes"] = [m.to_json() for m in self.misroutes]
        if self.known:
            out["known"] = self.known
        return out

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> FailedCheck:
        return cls(
            check=str(d["check"]),
            expected=str(d.get("expected", "")),
            seen=Seen.from_json(d["seen"]),
            kind=FailureKind(d["kind"]),
            claims=tuple(d.get("claims", ())),
            transcript=Transcript.from_json(d["transcript"]) if d.get("transcript") else None,
            hint=str(d.get("hint", "")),
            misroutes=tuple(Seen.from_json(m) for m in d.get("misroutes", ())),
            known=str(d.get("known", "")),
        )


@dataclass(frozen=True)
class Observation:
    """A behaviour seen (topic "path api-svc receives for /api/users", value
    "/"), compared across subjects on ``comparable``: the value with the
    test's generated host names, pod suffixes and addresses normalised."""

    topic: str
    value: str
    comparable: str

    def to_json(self) -> dict[str, Json]:
        return {"topic": self.topic, "value": self.value, "comparable": self.comparable}

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Observation:
        return cls(str(d["topic"]), str(d["value"]), str(d.get("comparable", d["value"])))


@dataclass(frozen=True)
class LatencyPath:
    label: str  # "L4 LoadBalancer Service, HTTP", "L7 nginx, HTTPS terminated", ...
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests_per_second: float
    p50_ratio: float = 1.0
    p95_ratio: float = 1.0
    p99_ratio: float = 1.0
    rps_ratio: float = 1.0
    p50_overhead_ms: float = 0.0

    def to_json(self) -> dict[str, Json]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> LatencyPath:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class Latency:
    """One subject's latency measurement: the same pods through L4 and L7."""

    subject: str
    paths: tuple[LatencyPath, ...]
    details: Json = None  # how it was measured (rounds, connections, paired differences)

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"subject": self.subject, "paths": [p.to_json() for p in self.paths]}
        if self.details is not None:
            out["details"] = self.details
        return out

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Latency:
        return cls(str(d["subject"]), tuple(LatencyPath.from_json(p) for p in d["paths"]), d.get("details"))


@dataclass(frozen=True)
class EvidenceItem:
    """A labelled piece of evidence: exactly one of a transcript, a latency
    measurement or plain JSON ``data``."""

    label: str
    data: Json = None
    transcript: Transcript | None = None
    latency: Latency | None = None

    def to_json(self) -> dict[str, Json]:
        if self.transcript is not None:
            return {"label": self.label, "transcript": self.transcript.to_json()}
        if self.latency is not None:
            return {"label": self.label, "latency": self.latency.to_json()}
        return {"label": self.label, "data": self.data}

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> EvidenceItem:
        if "transcript" in d:
            return cls(str(d["label"]), transcript=Transcript.from_json(d["transcript"]))
        if "latency" in d:
            return cls(str(d["label"]), latency=Latency.from_json(d["latency"]))
        return cls(str(d["label"]), data=d.get("data"))


@dataclass(frozen=True)
class CheckRecord:
    """One check a test ran: the claims it backs and how it ended."""

    label: str
    claims: tuple[str, ...]
    verdict: Verdict  # holds, does not hold, not checkable here, error
    failed: FailedCheck | None = None
    reason: str = ""  # not checkable / error: why
    evidence: tuple[EvidenceItem, ...] = ()
    diagnosis: tuple[str, ...] = ()  # what `diagnose` names for the objects involved, when it failed
    object: str = ""  # article mode: the object whose promise this is ("Ingress web-gateway")
    kind: str = ""  # article mode: routes, path-type, tls, lb-address, ...

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"label": self.label, "claims": list(self.claims), "verdict": self.verdict.value}
        if self.failed is not None:
            out["failed"] = self.failed.to_json()
        for name in ("reason", "object", "kind"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.evidence:
            out["evidence"] = [e.to_json() for e in self.evidence]
        if self.diagnosis:
            out["diagnosis"] = list(self.diagnosis)
        return out

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> CheckRecord:
        return cls(
            label=str(d["label"]),
            claims=tuple(d.get("claims", ())),
            verdict=Verdict(d["verdict"]),
            failed=FailedCheck.from_json(d["failed"]) if d.get("failed") else None,
            reason=str(d.get("reason", "")),
            evidence=tuple(EvidenceItem.from_json(e) for e in d.get("evidence", ())),
            diagnosis=tuple(d.get("diagnosis", ())),
            object=str(d.get("object", "")),
            kind=str(d.get("kind", "")),
        )


class Outcome(str, Enum):
    """How a test ended, as the recording path sees it."""

    PASSED = "passed"  # every check it ran held
    FAILED = "failed"  # a check did not hold (and stopped the test)
    ERROR = "error"  # the harness could not do its job
    NOT_CHECKABLE = "not checkable here"


@dataclass
class TestRecord:
    """What one test on one subject recorded: the unit of the one recording
    path (claims suites and article mode alike)."""

    __test__ = False  # not a pytest test class

    test: str  # the pytest node id
    subject: str  # a controller, a Gateway implementation, or "metallb"
    claims: tuple[str, ...]  # every claim whose verdict this test gives
    outcome: Outcome
    checks: list[CheckRecord] = field(default_factory=list)
    reason: str = ""  # error / not checkable: one line
    evidence: list[EvidenceItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    evidence_dir: str = ""  # where the failure dump went, relative to the report dir
    line: int | None = None  # article mode: the snippet's line
    setup: Json = None  # article mode: what the harness supplied and mapped
    known: dict[str, str] = field(default_factory=dict)  # claim -> why: refutations the project already knows
    mutant: str = ""  # the mutant this run applied ("" for the objects as written)
    mutation: str = ""  # the diff the mutant made to the objects the test applied

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {
            "test": self.test,
            "subject": self.subject,
            "claims": list(self.claims),
            "outcome": self.outcome.value,
            "checks": [c.to_json() for c in self.checks],
        }
        if self.reason:
            out["reason"] = self.reason
        if self.evidence:
            out["evidence"] = [e.to_json() for e in self.evidence]
        if self.notes:
            out["notes"] = list(self.notes)
        if self.observations:
            out["observations"] = [o.to_json() for o in self.observations]
        if self.evidence_dir:
            out["evidence_dir"] = self.evidence_dir
        if self.line is not None:
            out["line"] = self.line
        if self.setup is not None:
            out["setup"] = self.setup
        if self.known:
            out["known"] = dict(sorted(self.known.items()))
        if self.mutant:
            out["mutant"] = self.mutant
            out["mutation"] = self.mutation
        return out

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> TestRecord:
        return cls(
            test=str(d["test"]),
            subject=str(d["subject"]),
            claims=tuple(d.get("claims", ())),
            outcome=Outcome(d["outcome"]),
            checks=[CheckRecord.from_json(c) for c in d.get("checks", ())],
            reason=str(d.get("reason", "")),
            evidence=[EvidenceItem.from_json(e) for e in d.get("evidence", ())],
            notes=list(d.get("notes", ())),
            observations=[Observation.from_json(o) for o in d.get("observations", ())],
            evidence_dir=str(d.get("evidence_dir", "")),
            line=d.get("line"),
            setup=d.get("setup"),
            known=dict(d.get("known", {})),
            mutant=str(d.get("mutant", "")),
            mutation=str(d.get("mutation", "")),
        )
