"""The article report: per snippet, the lines it appears on (identical
snippets once, with every line), where it comes from, its objects, its step
in a chain of versions, and per subject each check's verdict with its
evidence and, when it does not hold, ``diagnose``'s findings; bad snippets,
fragments that are not Kubernetes YAML and the harness's own planning
errors with their line; the page's includes (resolved, unresolved,
refused), kubectl commands not checked, problems of the page, and the
article's inconsistencies (a Service, Secret or Gateway two snippets name
differently); where a check backs a claim of the claims report for the same
objects and controller, whether the two verdicts agree, and why not.

Built from the test records article mode writes (one per step and subject,
with the step's line; :mod:`harness.results.store`) beside the article's
plan (:mod:`.article_plan`, no cluster). Typed throughout: ``to_json`` is the
``article-report.json`` document (schema v3); :func:`render_markdown` its
Markdown; :mod:`.html` and :mod:`.junit` the other formats, and
:mod:`.publish` writes them all, with the run's index (:mod:`.index`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness import claims as catalog
from harness.article.article_plan import ArticlePlan
from harness.article.batch import READER, Article
from harness.article.index import ArticleEntry, ArticleIndex, ArticleStatus
from harness.article.reader import Inconsistency, inconsistencies
from harness.checks.manifests import MANIFESTS, load_manifest
from harness.report.document import ClaimsReport, ReportError
from harness.report.text import MARK
from harness.results.model import VERDICT_RANK, CheckRecord, Json, Outcome, TestRecord, Verdict
from harness.results.verdicts import claim_verdicts

SCHEMA = "exposure-harness/article-report/v3"
COUNTED = (Verdict.HOLDS, Verdict.DOES_NOT_HOLD, Verdict.ERROR, Verdict.NOT_CHECKABLE, Verdict.NOT_RUN)
REPORT = "article-report"
NOTHING_TO_CHECK = "applied as written; its objects promise nothing the harness derives a check from"


@dataclass(frozen=True)
class SnippetSummary:
    """What the article's snippet is, without a cluster."""

    line: int
    source: str  # fenced, flattened, heredoc, include, command, ...
    objects: tuple[str, ...]
    bad: str = ""  # why it cannot be checked at all (knowable without a cluster)
    subjects: tuple[str, ...] = ()
    guide: str | None = None  # the guide's own YAML (manifests/guide/...) when the snippet is exactly it
    claims: tuple[str, ...] = ()  # claims of the catalog its checks back
    lines: tuple[int, ...] = ()  # every line an identical snippet starts on (empty: just ``line``)
    skipped: str = ""  # YAML that is not Kubernetes objects: nothing to check
    harness_error: str = ""  # the harness failed to plan it: an error of the harness
    why_no_subject: str = ""  # no subject of the run checks it, and why
    chain: int = 0  # the line of the first version of the objects it updates (0: no chain)
    step: int = 1  # its step in that chain
    updates: tuple[str, ...] = ()  # objects it changes ("HTTPRoute foo-route")
    includes: tuple[str, ...] = ()  # the includes its text came from, as messages
    notes: tuple[str, ...] = ()  # what extraction noted ($VAR left as written, ...)
    derived: int = 0  # checks derived from it over every subject

    @property
    def all_lines(self) -> tuple[int, ...]:
        return self.lines or (self.line,)

    def to_json(self) -> dict[str, Json]:
        return {
            "line": self.line,
            "lines": list(self.all_lines),
            "source": self.source,
            "objects": list(self.objects),
            "bad": self.bad,
            "skipped": self.skipped,
            "harness_error": self.harness_error,
            "subjects": list(self.subjects),
            "why_no_subject": self.why_no_subject,
            "chain": self.chain or None,
            "step": self.step,
            "updates": list(self.updates),
            "includes": list(self.includes),
            "notes": list(self.notes),
            "derived": self.derived,
            "guide": self.guide,
            "claims": list(self.claims),
        }


@dataclass
class SubjectResult:
    subject: str
    outcome: Outcome
    checks: list[CheckRecord] = field(default_factory=list)
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    setup: Json = None
    evidence_dir: str = ""
    missing: bool = False  # the run recorded nothing for it (the test did not run)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Json]:
        return {
            "subject": self.subject,
            "outcome": self.outcome.value,
            "checks": [c.to_json() for c in self.checks],
            "reason": self.reason,
            "notes": list(self.notes),
            "setup": self.setup,
            "evidence_dir": self.evidence_dir,
            "missing": self.missing,
            "seconds": self.seconds,
        }


@dataclass
class SnippetReport:
    summary: SnippetSummary
    results: list[SubjectResult] = field(default_factory=list)
    bad: str = ""

    def to_json(self) -> dict[str, Json]:
        return {**self.summary.to_json(), "bad": self.bad, "results": [r.to_json() for r in self.results]}


@dataclass(frozen=True)
class Comparison:
    line: int
    subject: str
    claim: str
    check: str
    article: Verdict | None  # None: not checked in article mode on that subject
    claims: Verdict | None  # None: the claims suites did not check it
    why: str = ""

    @property
    def agrees(self) -> bool | None:
        return None if self.article is None or self.claims is None else self.article is self.claims

    def to_json(self) -> dict[str, Json]:
        return {
            "line": self.line,
            "subject": self.subject,
            "claim": self.claim,
            "check": self.check,
            "article": self.article.value if self.article else None,
            "claims": self.claims.value if self.claims else None,
            "agrees": self.agrees,
            "why": self.why,
        }


@dataclass(frozen=True)
class IncludeRow:
    form: str
    path: str
    line: int
    status: str  # resolved, unresolved, refused
    file: str = ""
    reason: str = ""

    def to_json(self) -> dict[str, Json]:
        return dict(vars(self))


@dataclass(frozen=True)
class Noted:
    """A line of the page and what is said about it (a command not checked, a problem of the page)."""

    line: int
    text: str
    reason: str = ""

    def to_json(self) -> dict[str, Json]:
        return dict(vars(self))


@dataclass
class ArticleReport:
    article: str
    snippets: list[SnippetReport]
    comparison_source: str = ""
    comparison: list[Comparison] = field(default_factory=list)
    run: dict[str, str] = field(default_factory=dict)
    include_root: str = ""
    includes: list[IncludeRow] = field(default_factory=list)
    commands: list[Noted] = field(default_factory=list)  # kubectl commands not checked
    problems: list[Noted] = field(default_factory=list)  # of the page (unclosed quote, no YAML, ...)
    inconsistencies: list[Inconsistency] = field(default_factory=list)
    reader: list[SubjectResult] = field(default_factory=list)  # the article as a reader follows it, per subject
    environment: str = ""  # the addresses set aside for what it requests
    error: str = ""  # the article could not be read at all
    interrupted: bool = False

    @property
    def counts(self) -> dict[Verdict, int]:
        """Checks by verdict; a step the harness failed (or a snippet it
        failed to plan) counts as one error, a test that did not run as not run."""
        out = {v: 0 for v in COUNTED}
        for s in self.snippets:
            if s.summary.harness_error:
                out[Verdict.ERROR] += 1
            _count_results(s.results, out)
        if self.error:
            out[Verdict.ERROR] += 1
        return out

    @property
    def reader_counts(self) -> dict[Verdict, int]:
        """The reader's path's checks by verdict (apart: they check the same objects again, together)."""
        out = {v: 0 for v in COUNTED}
        _count_results(self.reader, out)
        return out

    @property
    def bad(self) -> int:
        return sum(1 for s in self.snippets if s.bad)

    @property
    def objects(self) -> int:
        return sum(len(s.summary.objects) for s in self.snippets if not s.bad and not s.summary.skipped)

    @property
    def derived(self) -> int:
        return sum(s.summary.derived for s in self.snippets)

    @property
    def include_counts(self) -> dict[str, int]:
        out = {"resolved": 0, "unresolved": 0, "refused": 0}
        for i in self.includes:
            out[i.status] = out.get(i.status, 0) + 1
        return out

    @property
    def seconds(self) -> float:
        """Time the checks of the article took (its tests' steps, added up)."""
        return round(sum(_seconds(r) for s in self.snippets for r in s.results) + sum(map(_seconds, self.reader)), 1)

    @property
    def status(self) -> ArticleStatus:
        if self.error:
            return ArticleStatus.ERROR
        if not self.snippets:
            return ArticleStatus.NO_YAML
        results = [r for s in self.snippets for r in s.results]
        if results and all(r.missing for r in results):
            return ArticleStatus.NOT_RUN
        return ArticleStatus.CHECKED

    def to_json(self) -> dict[str, Json]:
        n = self.counts
        return {
            "schema": SCHEMA,
            "article": self.article,
            "status": self.status.value,
            "run": dict(self.run),
            "interrupted": self.interrupted,
            "error": self.error,
            "include_root": self.include_root,
            "environment": self.environment,
            "summary": {
                **{v.value: n[v] for v in COUNTED},
                "bad snippets": self.bad,
                "snippets": len(self.snippets),
                "skipped": sum(1 for s in self.snippets if s.summary.skipped),
                "objects": self.objects,
                "checks derived": self.derived,
                "includes": self.include_counts,
                "commands not checked": len(self.commands),
                "problems": len(self.problems),
                "inconsistencies": len(self.inconsistencies),
                "harness errors in planning": sum(1 for s in self.snippets if s.summary.harness_error),
                "seconds": self.seconds,
            },
            "snippets": [s.to_json() for s in self.snippets],
            "includes": [i.to_json() for i in self.includes],
            "commands": [c.to_json() for c in self.commands],
            "problems": [p.to_json() for p in self.problems],
            "inconsistencies": [i.to_json() for i in self.inconsistencies],
            "reader": {
                "summary": {v.value: n for v, n in self.reader_counts.items()},
                "results": [r.to_json() for r in self.reader],
            },
            "comparison": {"source": self.comparison_source, "rows": [c.to_json() for c in self.comparison]},
        }


def _count_results(results: list[SubjectResult], out: dict[Verdict, int]) -> None:
    """Add each result's checks to ``out`` by verdict: a test that did not run counts as not run, and a test that
    failed before any check said error counts one error."""
    for r in results:
        if r.missing:
            out[Verdict.NOT_RUN] += 1
            continue
        if r.outcome is Outcome.ERROR and not any(c.verdict is Verdict.ERROR for c in r.checks):
            out[Verdict.ERROR] += 1
        for c in r.checks:
            out[c.verdict] = out.get(c.verdict, 0) + 1


def _seconds(r: SubjectResult) -> float:
    if r.seconds:
        return r.seconds
    if isinstance(r.setup, dict) and isinstance(r.setup.get("seconds"), int | float):
        return float(r.setup["seconds"])
    return 0.0


def guide_manifest(doc: dict[str, Json]) -> str | None:
    """The file under manifests/guide/ holding exactly ``doc`` (the guide's
    own YAML), or None."""
    for path in sorted((MANIFESTS / "guide").glob("*.yaml")):
        if doc in load_manifest(path):
            return f"guide/{path.name}"
    return None


ClaimVerdicts = dict[tuple[str, str], tuple[Verdict, str]]


def claim_verdicts_of(records: Iterable[TestRecord], report_dir: Path) -> tuple[ClaimVerdicts, str]:
    """(claim, subject) -> (verdict, reason) from this run's claims records,
    or else from an earlier claims report in ``report_dir``; and where they came from."""
    out: ClaimVerdicts = {}
    for rec in records:
        if not rec.claims:
            continue
        for v in claim_verdicts(rec):
            key = (v.claim, v.subject)
            if key not in out or VERDICT_RANK[v.verdict] < VERDICT_RANK[out[key][0]]:
                out[key] = (v.verdict, v.reason)
    if out:
        return out, "this run's claims suites"
    path = report_dir / "claims-report.json"
    try:
        doc = ClaimsReport.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ReportError):
        return out, ""
    for row in doc.claims:
        for cell in row.cells:
            out[(row.id, cell.subject)] = (cell.verdict, cell.reason)
    return out, f"{path.name} of an earlier run"


def build(
    article: str,
    summaries: list[SnippetSummary],
    records: Iterable[TestRecord],
    *,
    claims: ClaimVerdicts | None = None,
    claims_source: str = "",
    run: dict[str, str] | None = None,
) -> ArticleReport:
    """The report. ``summaries``: every snippet of the article in article
    order; ``records``: what the tests recorded (those with a line)."""
    by_line: dict[int, dict[str, TestRecord]] = {}
    reader: list[SubjectResult] = []
    for r in records:
        if r.line == READER:
            reader.append(_result(r.subject, r))
        elif r.line is not None:
            by_line.setdefault(r.line, {})[r.subject] = r
    snippets = []
    comparison: list[Comparison] = []
    for s in summaries:
        recs = by_line.get(s.line, {})
        cluster_bad = next((r.reason for r in recs.values() if r.outcome is Outcome.NOT_CHECKABLE and not r.checks), "")
        if s.bad or (cluster_bad and len(recs) == len(s.subjects) and all(not r.checks for r in recs.values())):
            snippets.append(SnippetReport(s, bad=s.bad or cluster_bad))
            continue
        report = SnippetReport(s)
        for subject in s.subjects:
            rec = recs.get(subject)
            if rec is None:
                report.results.append(SubjectResult(subject, Outcome.ERROR, missing=True, reason="no result recorded"))
                continue
            report.results.append(_result(subject, rec))
            if claims is not None and s.guide:
                for c in rec.checks:
                    for claim in c.claims:
                        comparison.append(_compare(s, subject, c, claim, claims.get((claim, subject))))
        snippets.append(report)
    if claims is not None:
        comparison.extend(_uncovered(summaries, claims))
    doc = ArticleReport(article, snippets, claims_source, comparison, dict(run or {}))
    doc.reader = sorted(reader, key=lambda r: r.subject)
    return doc


def _result(subject: str, rec: TestRecord) -> SubjectResult:
    seconds = rec.setup.get("seconds") if isinstance(rec.setup, dict) else None
    return SubjectResult(
        subject=subject,
        outcome=rec.outcome,
        checks=list(rec.checks),
        reason=rec.reason,
        notes=list(rec.notes),
        setup=rec.setup,
        evidence_dir=rec.evidence_dir,
        seconds=float(seconds) if isinstance(seconds, int | float) else 0.0,
    )


def summaries_of(ap: ArticlePlan) -> list[SnippetSummary]:
    """Per snippet of a planned article: what the report prints besides results."""
    out = []
    for sp in ap.snippets:
        s, st = sp.snippet, sp.step
        guide = None
        if s.kubernetes and s.docs and not sp.bad:
            found = [guide_manifest(d) for d in s.docs]
            if all(found):
                guide = ", ".join(sorted({g for g in found if g}))
        out.append(
            SnippetSummary(
                line=s.line,
                source=s.source,
                objects=tuple(s.objects()) if s.kubernetes else (),
                bad=sp.bad,
                subjects=tuple(p.subject for p in sp.plans),
                guide=guide,
                claims=tuple(sorted({c.claim for p in sp.plans for c in p.checks if c.claim})),
                lines=tuple(st.lines),
                skipped=sp.skipped,
                harness_error=sp.harness_error,
                why_no_subject=sp.why_no_subject if not sp.plans and not sp.bad and not sp.skipped else "",
                chain=st.chain,
                step=st.step,
                updates=tuple(st.updates),
                includes=tuple(i.message() for i in s.includes),
                notes=tuple(s.notes),
                derived=sum(len(p.checks) for p in sp.plans),
            )
        )
    return out


def build_article(
    a: Article,
    records: Iterable[TestRecord],
    *,
    claims: ClaimVerdicts | None = None,
    claims_source: str = "",
    run: dict[str, str] | None = None,
    interrupted: bool = False,
) -> ArticleReport:
    """The report of one article of a run."""
    if a.plan is None:
        return ArticleReport(a.display, [], run=dict(run or {}), error=a.error or "not planned")
    ap = a.plan
    doc = build(a.display, summaries_of(ap), records, claims=claims, claims_source=claims_source, run=run)
    doc.include_root = str(ap.include_root)
    doc.environment = a.env.addresses if a.env is not None and a.env.range() else ""
    doc.includes = [
        IncludeRow(i.form.value, i.path, i.line, i.status.value, i.file or "", i.reason or "") for i in ap.includes
    ]
    doc.commands = [Noted(c.line, " ".join(c.command.split()), c.reason) for c in ap.commands]
    doc.problems = [Noted(p.line, p.message) for p in ap.problems]
    doc.inconsistencies = inconsistencies(ap)
    done = {r.subject for r in doc.reader}
    doc.reader += [
        SubjectResult(subject, Outcome.ERROR, missing=True, reason="no result recorded")
        for subject in a.readers
        if subject not in done
    ]
    doc.interrupted = interrupted
    return doc


def _compare(
    s: SnippetSummary, subject: str, c: CheckRecord, claim_id: str, theirs: tuple[Verdict, str] | None
) -> Comparison:
    claim = catalog.get(claim_id)
    if theirs is None:
        return Comparison(s.line, subject, claim_id, c.label, c.verdict, None, "the claims suites did not check this")
    verdict, reason = theirs
    why = ""
    if verdict is not c.verdict:
        mine = c.failed.reason if c.failed else c.reason
        why = (
            f"the claims suite checks: {claim.checks} ({verdict.value}: {reason or 'no reason given'}); "
            f"this check: {c.label} ({c.verdict.value}: {mine or 'no reason given'})"
        )
    return Comparison(s.line, subject, claim_id, c.label, c.verdict, verdict, why)


def _uncovered(summaries: list[SnippetSummary], claims: ClaimVerdicts) -> list[Comparison]:
    """Subjects the claims suites checked for a guide snippet's claims that the
    article run did not (another class, say): said, with the reason."""
    out = []
    for s in summaries:
        if not s.guide or s.bad:
            continue
        for (claim, subject), (verdict, _) in sorted(claims.items()):
            if claim in s.claims and subject not in s.subjects:
                out.append(
                    Comparison(
                        s.line,
                        subject,
                        claim,
                        "-",
                        None,
                        verdict,
                        f"not checked in article mode on {subject}: the snippet maps to "
                        f"{', '.join(s.subjects) or 'no subject'}; the claims suites check {subject} with the "
                        "guide's routing in its own idiom (suites/conftest.py WEB_GATEWAY)",
                    )
                )
    return out


# --------------------------------------------------------------------------
# what every format says the same way
# --------------------------------------------------------------------------


def short(data: Json, limit: int = 160) -> str:
    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _evidence(c: CheckRecord) -> str:
    parts = []
    for item in c.evidence:
        if item.transcript is not None:
            last = item.transcript.last[-1].detail if item.transcript.last else None
            parts.append(f"{item.label}: {item.transcript.attempts} observation(s), last {short(last)}")
        else:
            parts.append(f"{item.label}: {short(item.data)}")
    return "; ".join(parts)


def why(c: CheckRecord) -> str:
    """One line: what failed and was seen, or the reason, or the evidence."""
    return c.failed.reason if c.failed else (c.reason or _evidence(c))


_why = why


def headline(doc: ArticleReport) -> str:
    """The article's numbers in one sentence (every format starts with it)."""
    n = doc.counts
    inc = doc.include_counts
    parts = [
        f"{len(doc.snippets)} snippet(s) ({doc.bad} bad, "
        f"{sum(1 for s in doc.snippets if s.summary.skipped)} not Kubernetes YAML)",
        f"{doc.objects} object(s)",
        f"includes {inc['resolved']} resolved, {inc['unresolved']} unresolved, {inc['refused']} refused",
        f"{doc.derived} check(s) derived",
        f"{n[Verdict.HOLDS]} hold, {n[Verdict.DOES_NOT_HOLD]} do not hold, "
        f"{n[Verdict.NOT_CHECKABLE]} not checkable here, {n[Verdict.ERROR]} error"
        + (f", {n[Verdict.NOT_RUN]} not run" if n[Verdict.NOT_RUN] else ""),
        f"{doc.seconds:.0f} s of checks",
    ]
    return "; ".join(parts) + "."


def step_label(s: SnippetSummary) -> str:
    """``step 2 of the versions from line 52 (updates HTTPRoute foo-route)``, or ""."""
    if not s.chain:
        return ""
    text = f"step {s.step} of the versions from line {s.chain}"
    if s.updates:
        text += f" (updates {', '.join(s.updates)})"
    return text


def where(s: SnippetSummary) -> str:
    lines = s.all_lines
    text = f"line {lines[0]}"
    if len(lines) > 1:
        text += f" (identical at line{'s' if len(lines) > 2 else ''} {', '.join(map(str, lines[1:]))})"
    return text


def status_of(s: SnippetReport) -> str:
    """What a snippet without results is."""
    if s.bad:
        return f"bad snippet: {s.bad}"
    if s.summary.skipped:
        return f"skipped: {s.summary.skipped}"
    if s.summary.harness_error:
        return f"ERROR of the harness: {s.summary.harness_error}"
    if not s.summary.subjects:
        return f"not checkable here: {s.summary.why_no_subject or 'no subject of this run checks it'}"
    return ""


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: ArticleReport) -> str:
    lines = [f"# Article report: {doc.article}", ""]
    if doc.interrupted:
        lines += ["**This run was INTERRUPTED: the report is partial (checks that did not run read 'not run').**", ""]
    if doc.error:
        lines += [f"**The harness could not read this article: {doc.error}**", ""]
    lines.append(headline(doc))
    if doc.status is ArticleStatus.NO_YAML:
        lines += [
            "",
            "**No YAML in this article**: nothing to check (no YAML block, no manifest piped to kubectl, "
            "no include of a manifest).",
        ]
    if doc.run:
        lines += ["", "Run: " + ", ".join(f"{k} {v}" for k, v in doc.run.items())]
    if doc.include_root:
        lines += ["", f"Include root: `{doc.include_root}`"]
    if doc.environment:
        lines += ["", f"Addresses set aside for what the article requests: {doc.environment}"]
    if doc.problems:
        lines += ["", "## Problems of the page", ""]
        lines += [f"- line {p.line}: {_cell(p.text)}" for p in doc.problems]
    if doc.inconsistencies or doc.reader:
        lines += ["", "## The article as a reader follows it", ""]
        lines.append(
            "Every snippet applied in article order in one namespace, later ones updating earlier objects; then the "
            "checks of the state the article ends in (counted apart from the snippets' own)."
        )
        if doc.inconsistencies:
            lines += ["", "Inconsistencies of the article:", ""]
            lines += [
                f"- {i.kind} {i.name} (lines {', '.join(map(str, i.lines))}): {_cell(i.text)}"
                for i in doc.inconsistencies
            ]
        if doc.reader:
            n = doc.reader_counts
            lines += [
                "",
                f"Reader's path: {n[Verdict.HOLDS]} hold, {n[Verdict.DOES_NOT_HOLD]} do not hold, "
                f"{n[Verdict.NOT_CHECKABLE]} not checkable here, {n[Verdict.ERROR]} error"
                + (f", {n[Verdict.NOT_RUN]} not run" if n[Verdict.NOT_RUN] else "")
                + ".",
                "",
                "| subject | check | verdict | evidence / reason |",
                "|---|---|---|---|",
            ]
            for r in doc.reader:
                if r.missing:
                    lines.append(f"| {r.subject} | - | not run | {_cell(r.reason)} |")
                    continue
                if r.outcome is Outcome.ERROR:
                    lines.append(f"| {r.subject} | - | **ERROR** | {_cell(r.reason)} |")
                for c in r.checks:
                    text = why(c) + (" — diagnosis: " + "; ".join(c.diagnosis) if c.diagnosis else "")
                    lines.append(f"| {r.subject} | {_cell(c.label)} | {MARK[c.verdict]} | {_cell(text)} |")
    lines += [
        "",
        "## Per snippet",
        "",
        "| line | objects | step | subject | check | verdict | evidence / reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for snip in doc.snippets:
        s = snip.summary
        objects = _cell(", ".join(s.objects) or "-")
        line = _cell(where(s))
        step = _cell(step_label(s) or "-")
        state = status_of(snip)
        if state or not snip.results:
            verdict = {True: "**ERROR**", False: "-"}[bool(s.harness_error)]
            lines.append(f"| {line} | {objects} | {step} | - | the snippet | {verdict} | {_cell(state or '-')} |")
            continue
        for r in snip.results:
            if r.missing:
                lines.append(f"| {line} | {objects} | {step} | {r.subject} | - | not run | {_cell(r.reason)} |")
                continue
            if r.outcome is Outcome.ERROR:
                lines.append(f"| {line} | {objects} | {step} | {r.subject} | - | **ERROR** | {_cell(r.reason)} |")
            if r.outcome is Outcome.NOT_CHECKABLE and not r.checks:
                lines.append(
                    f"| {line} | {objects} | {step} | {r.subject} | - | not checkable here | {_cell(r.reason)} |"
                )
            if r.outcome is Outcome.PASSED and not r.checks:
                lines.append(f"| {line} | {objects} | {step} | {r.subject} | - | - | {NOTHING_TO_CHECK} |")
            for c in r.checks:
                text = why(c)
                if c.diagnosis:
                    text += " — diagnosis: " + "; ".join(c.diagnosis)
                lines.append(
                    f"| {line} | {objects} | {step} | {r.subject} | {_cell(c.label)} | {MARK[c.verdict]} | "
                    f"{_cell(text)} |"
                )
    lines += ["", "## Notes per snippet", ""]
    for snip in doc.snippets:
        notes = [f"YAML {snip.summary.source}"] if snip.summary.source not in ("fenced",) else []
        notes += list(snip.summary.includes) + list(snip.summary.notes)
        if snip.summary.guide:
            notes.append(f"the guide's own YAML (manifests/{snip.summary.guide})")
        for r in snip.results:
            notes += [f"{r.subject}: {n}" for n in r.notes]
            hosts = r.setup.get("hosts") if isinstance(r.setup, dict) else None
            if hosts:
                notes.append(f"{r.subject}: hostnames made unique to the test: {hosts}")
            if r.evidence_dir:
                notes.append(f"{r.subject}: evidence (events, objects, logs) in {r.evidence_dir}")
        if notes:
            lines.append(f"- {where(snip.summary)}:")
            lines += [f"  - {_cell(n)}" for n in dict.fromkeys(notes)]
    if doc.commands:
        lines += ["", "## Commands not checked", ""]
        lines += [f"- line {c.line}: `{_cell(c.text)}` ({_cell(c.reason)})" for c in doc.commands]
    if doc.includes:
        lines += ["", "## Includes", ""]
        lines += [
            f"- line {i.line}: {i.form} {i.path}: {i.status}"
            + (f" -> {i.file}" if i.file else "")
            + (f" ({i.reason})" if i.reason else "")
            for i in doc.includes
        ]
    lines += ["", "## Against the claims report", ""]
    if not doc.comparison:
        lines.append(
            "No comparison: "
            + (
                "no snippet is the guide's own YAML."
                if doc.comparison_source
                else "no claims results (run the claims suites in the same run, or keep an earlier claims-report.json)."
            )
        )
    else:
        lines += [
            f"Claims verdicts from {doc.comparison_source}.",
            "",
            "| line | subject | claim | check | article | claims | agrees | why they differ |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for cmp in doc.comparison:
            agrees = {True: "yes", False: "**no**", None: "-"}[cmp.agrees]
            mine = cmp.article.value if cmp.article else "-"
            theirs = cmp.claims.value if cmp.claims else "-"
            lines.append(
                f"| {cmp.line} | {cmp.subject} | {cmp.claim} | {_cell(cmp.check)} | {mine} | {theirs} | {agrees} | "
                f"{_cell(cmp.why)} |"
            )
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# the index of a run
# --------------------------------------------------------------------------


def entry(doc: ArticleReport, report: str) -> ArticleEntry:
    n = doc.counts
    return ArticleEntry(
        path=doc.article,
        report=report,
        status=doc.status,
        snippets=len(doc.snippets),
        bad=doc.bad,
        counts={v: n[v] for v in COUNTED if n.get(v)},
        seconds=doc.seconds,
        reason=doc.error or ("interrupted before its checks ran" if doc.status is ArticleStatus.NOT_RUN else ""),
    )


def index_of(docs: list[tuple[Article, ArticleReport]], *, run: dict[str, str], seconds: float) -> ArticleIndex:
    """The index of a run: one entry per article, its report directory beside the index."""
    entries = [entry(doc, f"{a.slug}/") for a, doc in docs]
    return ArticleIndex(entries, run=dict(run), seconds=round(seconds, 1))


def index_lines(index: ArticleIndex) -> list[str]:
    """One line per article (the terminal, the closing note)."""
    out = []
    for e in index.entries:
        n = e.counts
        out.append(
            f"{e.path}: {e.status.value}; {e.snippets} snippet(s), {e.bad} bad; "
            f"{n.get(Verdict.HOLDS, 0)} hold, {n.get(Verdict.DOES_NOT_HOLD, 0)} do not hold, "
            f"{n.get(Verdict.NOT_CHECKABLE, 0)} not checkable, {n.get(Verdict.ERROR, 0)} error; {e.seconds:.0f} s"
            + (f" ({e.reason})" if e.reason else "")
        )
    out.append(f"{len(index.entries)} article(s) in {index.seconds:.0f} s")
    return out


def render_index_markdown(index: ArticleIndex, docs: list[ArticleReport]) -> str:
    lines = ["# Articles checked", ""]
    if index.run:
        lines += ["Run: " + ", ".join(f"{k} {v}" for k, v in index.run.items()), ""]
    held = sum(1 for e in index.entries if e.holds)
    lines += [f"{len(index.entries)} article(s), {held} without a failure, in {index.seconds:.0f} s.", ""]
    lines += [
        "| article | status | snippets | objects | includes (resolved/unresolved) | checks derived | hold | "
        "do not hold | not checkable | error | time | report |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_path = {d.article: d for d in docs}
    for e in index.entries:
        d = by_path.get(e.path)
        n = e.counts
        inc = d.include_counts if d else {"resolved": 0, "unresolved": 0}
        lines.append(
            f"| {_cell(e.path)} | {e.status.value} | {e.snippets} ({e.bad} bad) | {d.objects if d else 0} | "
            f"{inc['resolved']}/{inc['unresolved']} | {d.derived if d else 0} | {n.get(Verdict.HOLDS, 0)} | "
            f"{n.get(Verdict.DOES_NOT_HOLD, 0)} | {n.get(Verdict.NOT_CHECKABLE, 0)} | {n.get(Verdict.ERROR, 0)} | "
            f"{e.seconds:.0f} s | [{e.report}{REPORT}.md]({e.report}{REPORT}.md) |"
        )
    lines.append("")
    return "\n".join(lines)
