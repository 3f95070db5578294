"""The claims report as a typed document (schema v3): rows of the catalog,
a cell per subject with its verdict and evidence, findings first, the run's
status and versions, the latency measured.

Only types and their JSON live here; :mod:`harness.report.build` makes a
document from a run's test records (or merges several documents), the
renderers (:mod:`~harness.report.markdown`, :mod:`~harness.report.html`,
:mod:`~harness.report.junit`) read it. ``from_json(to_json(doc)) == doc``.

Schema v3 against v2 (migration note): verdicts gain ``error`` (the harness
could not do its job; it fails the run and is never counted against the
guide) and lose ``not checked yet``; a cell's failed checks are structured
(``failed``: check, expected, seen with status/pod/path, the claims it
backs, transcript) instead of a transcript inside ``evidence``; evidence
items carry ``transcript``, ``latency`` or ``data``; observations are a list
of {topic, value, comparable}; the known refutation is ``known`` beside the
notes; findings name the claim whose expectation failed (``claim``) and every
claim resting on it (``claims``); ``measurements.latency`` is the typed
measurement; ``status`` lists ``errors``. ``python -m harness report merge``
reads v3 only: regenerate older reports with the run that made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from harness.conformance.model import ConformanceRun
from harness.conformance.model import run_key as conformance_key
from harness.results.model import EvidenceItem, FailedCheck, Json, Latency, Observation, Verdict
from harness.results.mutation import MutantOutcome, MutantResult

SCHEMA = "exposure-harness/claims-report/v3"
ANY_SUBJECT = "anywhere"  # claims no run of the harness can check (the catalog's reason)
REPORT_FILES = ("claims-report.json", "claims-report.md", "claims-report.html", "claims-junit.xml")


class ReportError(ValueError):
    """A report document that cannot be read; one line."""


@dataclass
class Cell:
    """One claim on one subject."""

    subject: str
    verdict: Verdict
    reason: str = ""
    tests: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    evidence: tuple[EvidenceItem, ...] = ()
    observations: tuple[Observation, ...] = ()
    failed: tuple[FailedCheck, ...] = ()
    known: str = ""  # a refutation the project already knows: why
    evidence_dirs: tuple[str, ...] = ()  # failure dumps (events, objects, logs), relative to the report

    def to_json(self) -> dict[str, Json]:
        return {
            "subject": self.subject,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "tests": list(self.tests),
            "notes": list(self.notes),
            "evidence": [e.to_json() for e in self.evidence],
            "observations": [o.to_json() for o in self.observations],
            "failed": [f.to_json() for f in self.failed],
            "known": self.known,
            "evidence_dirs": list(self.evidence_dirs),
        }

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Cell:
        return cls(
            subject=str(d["subject"]),
            verdict=Verdict(d["verdict"]),
            reason=str(d.get("reason", "")),
            tests=tuple(d.get("tests", ())),
            notes=tuple(d.get("notes", ())),
            evidence=tuple(EvidenceItem.from_json(e) for e in d.get("evidence", ())),
            observations=tuple(Observation.from_json(o) for o in d.get("observations", ())),
            failed=tuple(FailedCheck.from_json(f) for f in d.get("failed", ())),
            known=str(d.get("known", "")),
            evidence_dirs=tuple(d.get("evidence_dirs", ())),
        )


@dataclass(frozen=True)
class Manifest:
    path: str
    text: str


@dataclass
class Row:
    """A catalog entry (a claim of the guide, or a correction of one) and its cells."""

    id: str
    section: str
    area: str
    quote: str
    checks: str
    cells: list[Cell]
    kind: str = "claim"  # or "correction"
    threshold: dict[str, Json] = field(default_factory=dict)
    fact: str = ""  # a set-up fact: why it is one
    corrects: str = ""  # corrections: the claim whose snippet they correct
    original: Manifest | None = None
    manifests: dict[str, Manifest] = field(default_factory=dict)  # corrections: subject -> manifest
    mutants: list[MutantResult] = field(default_factory=list)  # what this run's mutants proved of the claim

    @property
    def falsifiable(self) -> tuple[int, int]:
        """(mutants killed, mutants run) for the claim."""
        return sum(1 for m in self.mutants if m.outcome is MutantOutcome.KILLED), len(self.mutants)

    def cell(self, subject: str) -> Cell | None:
        return next((c for c in self.cells if c.subject == subject), None)

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {
            "id": self.id,
            "section": self.section,
            "area": self.area,
            "quote": self.quote,
            "checks": self.checks,
            "kind": self.kind,
            "results": [c.to_json() for c in self.cells],
        }
        if self.threshold:
            out["threshold"] = self.threshold
        if self.fact:
            out["fact"] = self.fact
        if self.mutants:
            out["mutants"] = [m.to_json() for m in self.mutants]
        if self.kind == "correction":
            out["corrects"] = self.corrects
            out["original"] = vars(self.original) if self.original else None
            out["manifests"] = {s: vars(m) for s, m in sorted(self.manifests.items())}
        return out

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Row:
        return cls(
            id=str(d["id"]),
            section=str(d.get("section", "")),
            area=str(d.get("area", "")),
            quote=str(d.get("quote", "")),
            checks=str(d.get("checks", "")),
            cells=[Cell.from_json(c) for c in d.get("results", ())],
            kind=str(d.get("kind", "claim")),
            threshold=dict(d.get("threshold") or {}),
            fact=str(d.get("fact", "")),
            corrects=str(d.get("corrects", "")),
            original=Manifest(**d["original"]) if d.get("original") else None,
            manifests={s: Manifest(**m) for s, m in (d.get("manifests") or {}).items()},
            mutants=[MutantResult.from_json(m) for m in d.get("mutants", ())],
        )


@dataclass(frozen=True)
class CorrectionRef:
    """A correction as a finding shows it: its verdict per subject from the same run."""

    id: str
    checks: str
    verdicts: dict[str, Verdict]
    reasons: dict[str, str]
    manifests: dict[str, str]  # subject -> manifest path
    original: str

    def to_json(self) -> dict[str, Json]:
        return {
            "id": self.id,
            "checks": self.checks,
            "verdicts": {s: v.value for s, v in self.verdicts.items()},
            "reasons": dict(self.reasons),
            "manifests": dict(self.manifests),
            "original": self.original,
        }

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> CorrectionRef:
        return cls(
            id=str(d["id"]),
            checks=str(d.get("checks", "")),
            verdicts={s: Verdict(v) for s, v in d.get("verdicts", {}).items()},
            reasons=dict(d.get("reasons", {})),
            manifests=dict(d.get("manifests", {})),
            original=str(d.get("original", "")),
        )


class FindingKind(str, Enum):
    DOES_NOT_HOLD = "does not hold"
    CANNOT_FAIL = "this check cannot fail"
    RISKY_YAML = "risky YAML"
    CONTROLLERS_DIFFER = "controllers differ"
    STALE = "stale"
    UPSTREAM_CONFORMANCE = "upstream conformance"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    title: str
    text: str
    claim: str  # the claim the finding is pinned on ("" for staleness)
    claims: tuple[str, ...] = ()  # every claim resting on the same observation
    subjects: tuple[str, ...] = ()
    corrections: tuple[CorrectionRef, ...] = ()

    def to_json(self) -> dict[str, Json]:
        return {
            "kind": self.kind.value,
            "title": self.title,
            "text": self.text,
            "claim": self.claim,
            "claims": list(self.claims),
            "subjects": list(self.subjects),
            "corrections": [c.to_json() for c in self.corrections],
        }

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Finding:
        return cls(
            kind=FindingKind(d["kind"]),
            title=str(d["title"]),
            text=str(d["text"]),
            claim=str(d.get("claim", "")),
            claims=tuple(d.get("claims", ())),
            subjects=tuple(d.get("subjects", ())),
            corrections=tuple(CorrectionRef.from_json(c) for c in d.get("corrections", ())),
        )


@dataclass(frozen=True)
class CellRef:
    """A cell named in the status: not run, or an error of the harness."""

    claim: str
    subject: str
    why: str


class RunState(str, Enum):
    COMPLETE = "complete"  # every selected check ran
    PARTIAL = "partial"  # some did not (listed with why)
    INTERRUPTED = "interrupted"  # the run was stopped


@dataclass(frozen=True)
class Status:
    state: RunState
    not_run: tuple[CellRef, ...] = ()
    not_selected: tuple[str, ...] = ()  # claims the run did not select at all (narrowed controllers, -k)
    errors: tuple[CellRef, ...] = ()  # cells where the harness could not do its job: the run fails
    mutants: tuple[CellRef, ...] = ()  # mutants that survived or proved nothing: the run fails
    stale_known: tuple[CellRef, ...] = ()  # listed known refutations whose claim now holds: the run fails

    def to_json(self) -> dict[str, Json]:
        return {
            "state": self.state.value,
            "not_run": [vars(c) for c in self.not_run],
            "not_selected": list(self.not_selected),
            "errors": [vars(c) for c in self.errors],
            "mutants": [vars(c) for c in self.mutants],
            "stale_known": [vars(c) for c in self.stale_known],
        }

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Status:
        return cls(
            state=RunState(d["state"]),
            not_run=tuple(CellRef(**c) for c in d.get("not_run", ())),
            not_selected=tuple(d.get("not_selected", ())),
            errors=tuple(CellRef(**c) for c in d.get("errors", ())),
            mutants=tuple(CellRef(**c) for c in d.get("mutants", ())),
            stale_known=tuple(CellRef(**c) for c in d.get("stale_known", ())),
        )


@dataclass(frozen=True)
class Run:
    """What one run ran on: the matrix, kind, Kubernetes, the addons' and the client's versions."""

    controllers: str = ""
    kind: str = ""
    kubernetes: str = ""
    node_image: str = ""
    addons: dict[str, str] = field(default_factory=dict)
    client: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {k: v for k, v in vars(self).items() if v}
        return out

    @classmethod
    def from_json(cls, d: dict[str, Json]) -> Run:
        return cls(
            controllers=str(d.get("controllers", "")),
            kind=str(d.get("kind", "")),
            kubernetes=str(d.get("kubernetes", "")),
            node_image=str(d.get("node_image", "")),
            addons=dict(d.get("addons", {})),
            client=dict(d.get("client", {})),
        )


@dataclass
class ClaimsReport:
    guide: str
    status: Status
    subjects: tuple[str, ...]
    claims: list[Row]
    corrections: list[Row] = field(default_factory=list)
    facts: list[Row] = field(default_factory=list)  # set-up facts: what this environment shows, not verdicts
    findings: list[Finding] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    subject_notes: dict[str, str] = field(default_factory=dict)
    latency: dict[str, Latency] = field(default_factory=dict)
    # upstream conformance runs recorded beside the claims (Gateway API suite, Ingress features): not verdicts
    # of the guide; their failures that touch a claim are findings of their own (harness.conformance.render)
    conformance: list[ConformanceRun] = field(default_factory=list)

    def cell_verdicts(self) -> dict[tuple[str, str], Verdict]:
        return {(row.id, c.subject): c.verdict for row in self.rows() for c in row.cells}

    @property
    def summary(self) -> dict[Verdict, int]:
        counts = {v: 0 for v in Verdict}
        for row in self.claims:
            for cell in row.cells:
                counts[cell.verdict] += 1
        return counts

    def rows(self) -> list[Row]:
        return [*self.claims, *self.corrections, *self.facts]

    def to_json(self) -> dict[str, Json]:
        return {
            "schema": SCHEMA,
            "guide": self.guide,
            "status": self.status.to_json(),
            "runs": [r.to_json() for r in self.runs],
            "subject_notes": dict(sorted(self.subject_notes.items())),
            "subjects": list(self.subjects),
            "summary": {v.value: n for v, n in self.summary.items()},
            "findings": [f.to_json() for f in self.findings],
            "claims": [r.to_json() for r in self.claims],
            "corrections": [r.to_json() for r in self.corrections],
            "facts": [r.to_json() for r in self.facts],
            "measurements": {"latency": {s: m.to_json() for s, m in sorted(self.latency.items())}},
            "conformance": [r.to_json() for r in sorted(self.conformance, key=conformance_key)],
        }

    @classmethod
    def from_json(cls, d: Any) -> ClaimsReport:
        if not isinstance(d, dict) or d.get("schema") != SCHEMA:
            found = d.get("schema") if isinstance(d, dict) else type(d).__name__
            raise ReportError(
                f"not a claims report of schema {SCHEMA} (found {found!r}); regenerate it with this harness"
            )
        try:
            return cls(
                guide=str(d["guide"]),
                status=Status.from_json(d["status"]),
                subjects=tuple(d["subjects"]),
                claims=[Row.from_json(r) for r in d["claims"]],
                corrections=[Row.from_json(r) for r in d.get("corrections", ())],
                facts=[Row.from_json(r) for r in d.get("facts", ())],
                findings=[Finding.from_json(f) for f in d.get("findings", ())],
                runs=[Run.from_json(r) for r in d.get("runs", ())],
                subject_notes=dict(d.get("subject_notes", {})),
                latency={s: Latency.from_json(m) for s, m in d.get("measurements", {}).get("latency", {}).items()},
                conformance=[ConformanceRun.from_json(r) for r in d.get("conformance", ())],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportError(f"malformed claims report: {type(exc).__name__}: {exc}") from None
