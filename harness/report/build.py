"""A run's test records -> the claims report; several reports -> one.

Every catalog claim is a row; every cell the run meant to check has a
verdict ("not run" when the run did not get to it, never blank). Each test
record gives each of its claims the verdict of the checks that declare it
(:func:`harness.results.verdicts.claim_verdicts`); when several tests check
the same claim on the same subject, the weakest verdict wins and their
evidence adds up. A test's observations belong to the claim its marker
names (where a finding about them is pinned). The body holds no timestamps
and is ordered by the catalog and the subject columns, so two runs with the
same results give byte-identical JSON and Markdown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from harness import claims as catalog
from harness import mutants
from harness.checks.manifests import MANIFESTS
from harness.conformance.model import ConformanceRun, run_key
from harness.options import L4_SUBJECT
from harness.report.document import (
    ANY_SUBJECT,
    Cell,
    CellRef,
    ClaimsReport,
    Manifest,
    Row,
    Run,
    RunState,
    Status,
)
from harness.report.findings import derive
from harness.results.model import (
    VERDICT_RANK,
    EvidenceItem,
    FailedCheck,
    Latency,
    Observation,
    TestRecord,
    Verdict,
)
from harness.results.mutation import MutantOutcome, MutantResult, mutant_results
from harness.results.store import ExpectedCell
from harness.results.verdicts import claim_verdicts


@dataclass
class _Part:
    """What one test says of one (claim, subject)."""

    verdict: Verdict
    reason: str = ""
    tests: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    failed: list[FailedCheck] = field(default_factory=list)
    known: str = ""
    evidence_dirs: list[str] = field(default_factory=list)

    def add(self, other: _Part) -> None:
        if VERDICT_RANK[other.verdict] < VERDICT_RANK[self.verdict]:
            self.verdict, self.reason = other.verdict, other.reason
        elif other.verdict == self.verdict and other.reason and other.reason not in self.reason:
            self.reason = "; ".join(filter(None, [self.reason, other.reason]))
        self.tests = sorted(set(self.tests) | set(other.tests))
        self.notes += [n for n in other.notes if n not in self.notes]
        self.evidence += [e for e in other.evidence if e not in self.evidence]
        topics = {o.topic for o in other.observations}
        self.observations = [o for o in self.observations if o.topic not in topics] + list(other.observations)
        self.failed += [f for f in other.failed if f not in self.failed]
        self.known = self.known or other.known
        self.evidence_dirs += [d for d in other.evidence_dirs if d not in self.evidence_dirs]

    def cell(self, subject: str) -> Cell:
        return Cell(
            subject=subject,
            verdict=self.verdict,
            reason=self.reason,
            tests=tuple(self.tests),
            notes=tuple(self.notes),
            evidence=tuple(self.evidence),
            observations=tuple(sorted(self.observations, key=lambda o: o.topic)),
            failed=tuple(self.failed),
            known=self.known,
            evidence_dirs=tuple(self.evidence_dirs),
        )


def _parts(records: Iterable[TestRecord]) -> dict[tuple[str, str], _Part]:
    merged: dict[tuple[str, str], _Part] = {}
    for rec in sorted(records, key=lambda r: (r.test, r.subject)):
        if not rec.claims or rec.mutant:
            continue  # article mode's records give no claim verdicts; a mutant's run is no evidence of the guide
        primary = rec.claims[0]
        for v in claim_verdicts(rec):
            known = rec.known.get(v.claim, "") if v.verdict is Verdict.DOES_NOT_HOLD else ""
            part = _Part(
                verdict=v.verdict,
                reason=v.reason,
                tests=[rec.test],
                notes=list(rec.notes),
                evidence=[*rec.evidence, *(e for c in rec.checks if v.claim in c.claims for e in c.evidence)],
                observations=list(rec.observations) if v.claim == primary else [],
                # the failure keeps the known refutation it matched: a cell merges tests, each its own
                failed=[replace(v.failed, known=known)] if v.failed is not None else [],
                known=known,
                evidence_dirs=[rec.evidence_dir] if rec.evidence_dir else [],
            )
            key = (v.claim, v.subject)
            if key in merged:
                merged[key].add(part)
            else:
                merged[key] = part
    return merged


def _columns(controllers: Iterable[str], seen: Iterable[str]) -> list[str]:
    """Columns: the run's controllers in their order, then any other subject a
    result names (a Gateway implementation added later needs no code here),
    then the L4 implementation, then "anywhere"."""
    fixed = list(controllers)
    extra = sorted({s for s in seen if s not in fixed and s not in (L4_SUBJECT, ANY_SUBJECT)})
    return [*fixed, *extra, L4_SUBJECT, ANY_SUBJECT]


def _manifest(rel: str) -> Manifest:
    """The manifest as a reader would write it ("$$" is the harness's escape of "$")."""
    try:
        return Manifest(rel, (MANIFESTS / rel).read_text(encoding="utf-8").replace("$$", "$"))
    except OSError:
        return Manifest(rel, "")


def _rows(
    entries: Iterable[catalog.Claim],
    parts: dict[tuple[str, str], _Part],
    expected: set[tuple[str, str]],
    controllers: list[str],
    subject_notes: dict[str, str],
    not_run_why: str,
) -> list[Row]:
    rows = []
    for claim in entries:
        cells: list[Cell] = []
        if claim.not_checkable:
            cells.append(Cell(ANY_SUBJECT, Verdict.NOT_CHECKABLE, claim.not_checkable))
        else:
            # only the cells the run meant to check (or checked): a claim no test of the run selected has none
            subjects = {s for (cid, s) in expected if cid == claim.id} | {s for (cid, s) in parts if cid == claim.id}
            why = not_run_why
            for subject in _columns(controllers, subjects):
                if subject not in subjects:
                    continue
                part = parts.get((claim.id, subject))
                if part is None:
                    cells.append(Cell(subject, Verdict.NOT_RUN, why))
                    continue
                cell = part.cell(subject)
                notes = list(cell.notes)
                if cell.known:
                    notes.append(f"known refutation: {cell.known}")
                if subject in subject_notes and subject_notes[subject] not in notes:
                    notes.append(subject_notes[subject])
                cell.notes = tuple(notes)
                cells.append(cell)
        row = Row(
            id=claim.id,
            section=claim.section,
            area=claim.area,
            quote=claim.quote,
            checks=claim.checks,
            cells=cells,
            kind=claim.kind,
            threshold=dict(claim.threshold),
            fact=claim.fact,
        )
        if claim.kind == "correction":
            row.corrects = claim.corrects
            row.original = _manifest(claim.original)
            row.manifests = {s: _manifest(p) for s, p in sorted(claim.manifests.items())}
        rows.append(row)
    return rows


def _mutant_results(records: Iterable[TestRecord]) -> dict[str, list[MutantResult]]:
    """claim -> what the run's mutants proved of it, in a stable order."""
    out: dict[str, list[MutantResult]] = {}
    for rec in records:
        if rec.mutant and rec.mutant in mutants.BY_NAME:
            for r in mutant_results(rec, mutants.BY_NAME[rec.mutant]):
                out.setdefault(r.claim, []).append(r)
    return {c: sorted(rs, key=lambda r: (r.mutant, r.subject)) for c, rs in out.items()}


def _status(rows: list[Row], interrupted: bool) -> Status:
    """complete: every check the run selected ran; partial: some did not
    (listed, with why); interrupted: the run was stopped. Claims the run did
    not select at all (a narrowed controller list, -k) are listed apart, and
    so are the cells where the harness could not do its job."""
    cells = [(row.id, c) for row in rows for c in row.cells]
    not_run = tuple(CellRef(cid, c.subject, c.reason) for cid, c in cells if c.verdict is Verdict.NOT_RUN)
    not_selected = tuple(sorted(row.id for row in rows if not row.cells))
    errors = tuple(CellRef(cid, c.subject, c.reason) for cid, c in cells if c.verdict is Verdict.ERROR)
    bad_mutants = tuple(
        CellRef(row.id, m.subject, f"mutant {m.mutant} {m.outcome.value}: {m.reason}")
        for row in rows
        for m in row.mutants
        if m.outcome is not MutantOutcome.KILLED
    )
    state = RunState.INTERRUPTED if interrupted else (RunState.PARTIAL if not_run else RunState.COMPLETE)
    return Status(state, not_run, not_selected, errors, bad_mutants)


def _latency(rows: list[Row]) -> dict[str, Latency]:
    """subject -> the latency measured (from the evidence of the cells that carry one)."""
    out: dict[str, Latency] = {}
    for row in rows:
        for cell in row.cells:
            for item in cell.evidence:
                if item.latency is not None:
                    out.setdefault(cell.subject, item.latency)
    return dict(sorted(out.items()))


def _assemble(
    parts: dict[tuple[str, str], _Part],
    proved: dict[str, list[MutantResult]],
    *,
    controllers: list[str],
    runs: list[Run],
    subject_notes: dict[str, str],
    expected: set[tuple[str, str]],
    interrupted: bool,
    conformance: Iterable[ConformanceRun] = (),
) -> ClaimsReport:
    why = (
        "the run was interrupted before this check ran"
        if interrupted
        else "this check did not run (its worker stopped, or the run ended early)"
    )
    rows = _rows([c for c in catalog.CLAIMS if not c.fact], parts, expected, controllers, subject_notes, why)
    corrections = _rows(catalog.CORRECTIONS, parts, expected, controllers, subject_notes, why)
    facts = _rows([c for c in catalog.CLAIMS if c.fact], parts, expected, controllers, subject_notes, why)
    for row in [*rows, *corrections]:
        row.mutants = proved.get(row.id, [])
    seen = {c.subject for row in [*rows, *corrections, *facts] for c in row.cells}
    doc = ClaimsReport(
        guide=catalog.GUIDE,
        status=_status([*rows, *corrections, *facts], interrupted),
        subjects=tuple(s for s in _columns(controllers, seen) if s in seen),
        claims=rows,
        corrections=corrections,
        facts=facts,
        runs=runs,
        subject_notes=dict(sorted(subject_notes.items())),
        latency=_latency(rows),
        conformance=_conformance(conformance),
    )
    doc.findings = derive(doc)
    return doc


def _conformance(runs: Iterable[ConformanceRun]) -> list[ConformanceRun]:
    """One record per (suite, implementation, profile), the last given winning, in that key's order."""
    latest = {run_key(r): r for r in runs}
    return [latest[k] for k in sorted(latest)]


def with_conformance(doc: ClaimsReport, runs: Iterable[ConformanceRun]) -> ClaimsReport:
    """``doc`` with these conformance records beside it (replacing its own of the same key), findings derived anew."""
    out = replace(doc, conformance=_conformance([*doc.conformance, *runs]))
    out.findings = derive(out)
    return out


def build(
    records: Iterable[TestRecord],
    *,
    controllers: list[str],
    run: Run | None = None,
    subject_notes: dict[str, str] | None = None,
    expected: Iterable[ExpectedCell] = (),
    interrupted: bool = False,
    conformance: Iterable[ConformanceRun] = (),
) -> ClaimsReport:
    """The report of one run. ``controllers`` is the matrix in display order;
    ``subject_notes`` are printed beside every result of that subject (e.g.
    the retirement notice of ingress-nginx); ``expected`` the cells the run
    meant to check (those without a result read "not run"); ``conformance``
    the upstream conformance records of the same report directory."""
    records = list(records)
    return _assemble(
        _parts(records),
        _mutant_results(records),
        controllers=controllers,
        runs=[run] if run else [],
        subject_notes=subject_notes or {},
        expected={(e.claim, e.subject) for e in expected},
        interrupted=interrupted,
        conformance=conformance,
    )


def merge(docs: list[ClaimsReport]) -> ClaimsReport:
    """One report from several (each a cell of the nightly matrix: one
    controller on one Kubernetes minor). A subject checked on several runs
    keeps the weakest verdict with every run's evidence; cells no run got to
    stay "not run"."""
    parts: dict[tuple[str, str], _Part] = {}
    expected: set[tuple[str, str]] = set()
    controllers: list[str] = []
    runs: list[Run] = []
    notes: dict[str, str] = {}
    interrupted = False
    proved: dict[str, list[MutantResult]] = {}
    conformance: list[ConformanceRun] = []
    for doc in docs:
        runs.extend(doc.runs)
        conformance.extend(doc.conformance)
        notes.update(doc.subject_notes)
        interrupted = interrupted or doc.status.state is RunState.INTERRUPTED
        for s in doc.subjects:
            if s not in controllers and s not in (L4_SUBJECT, ANY_SUBJECT):
                controllers.append(s)
        for row in doc.rows():
            if row.id not in catalog.BY_ID:
                continue  # a claim this catalog no longer has
            have = proved.setdefault(row.id, [])
            have += [m for m in row.mutants if m not in have]
            for c in row.cells:
                if c.subject == ANY_SUBJECT:
                    continue
                expected.add((row.id, c.subject))
                if c.verdict is Verdict.NOT_RUN:
                    continue
                part = _Part(
                    verdict=c.verdict,
                    reason=c.reason,
                    tests=list(c.tests),
                    notes=[n for n in c.notes if n not in doc.subject_notes.values() and not n.startswith("known ")],
                    evidence=list(c.evidence),
                    observations=list(c.observations),
                    failed=list(c.failed),
                    known=c.known,
                    evidence_dirs=list(c.evidence_dirs),
                )
                key = (row.id, c.subject)
                if key in parts:
                    parts[key].add(part)
                else:
                    parts[key] = part
    # columns in name order: the same whatever order the cells' reports were found in
    return _assemble(
        parts,
        {c: sorted(rs, key=lambda r: (r.mutant, r.subject)) for c, rs in proved.items()},
        controllers=sorted(controllers),
        runs=runs,
        subject_notes=notes,
        expected=expected,
        interrupted=interrupted,
        conformance=conformance,
    )
