"""The article report: per snippet, the line it starts on, its objects, and
per subject each check's verdict with its evidence; bad snippets with their
line and reason; and where a check backs a claim of the claims report for
the same objects and controller, whether the two verdicts agree, and why not
when they differ.

It is built from the same test records the claims report reads
(:mod:`harness.results.store`: article mode records one per snippet and
subject, with the snippet's line), beside the snippets' summaries the plan
gives without a cluster. Typed throughout; ``to_json`` writes
``article-report.json`` (schema v2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness import claims as catalog
from harness.checks.manifests import MANIFESTS, load_manifest
from harness.report.document import ClaimsReport, ReportError
from harness.report.text import MARK
from harness.results.model import VERDICT_RANK, CheckRecord, Json, Outcome, TestRecord, Verdict
from harness.results.verdicts import claim_verdicts

SCHEMA = "exposure-harness/article-report/v2"
COUNTED = (Verdict.HOLDS, Verdict.DOES_NOT_HOLD, Verdict.ERROR, Verdict.NOT_CHECKABLE)


@dataclass(frozen=True)
class SnippetSummary:
    """What the article's snippet is, without a cluster."""

    line: int
    source: str  # fenced, flattened, ...
    objects: tuple[str, ...]
    bad: str = ""  # why it cannot be checked at all (knowable without a cluster)
    subjects: tuple[str, ...] = ()
    guide: str | None = None  # the guide's own YAML (manifests/guide/...) when the snippet is exactly it
    claims: tuple[str, ...] = ()  # claims of the catalog its checks back

    def to_json(self) -> dict[str, Json]:
        return {
            "line": self.line,
            "source": self.source,
            "objects": list(self.objects),
            "bad": self.bad,
            "subjects": list(self.subjects),
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


@dataclass
class ArticleReport:
    article: str
    snippets: list[SnippetReport]
    comparison_source: str = ""
    comparison: list[Comparison] = field(default_factory=list)
    run: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[Verdict, int]:
        out = {v: 0 for v in COUNTED}
        for s in self.snippets:
            for r in s.results:
                for c in r.checks:
                    out[c.verdict] = out.get(c.verdict, 0) + 1
        return out

    @property
    def bad(self) -> int:
        return sum(1 for s in self.snippets if s.bad)

    def to_json(self) -> dict[str, Json]:
        return {
            "schema": SCHEMA,
            "article": self.article,
            "run": dict(self.run),
            "summary": {
                **{v.value: n for v, n in self.counts.items()},
                "bad snippets": self.bad,
                "snippets": len(self.snippets),
            },
            "snippets": [s.to_json() for s in self.snippets],
            "comparison": {"source": self.comparison_source, "rows": [c.to_json() for c in self.comparison]},
        }


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
    for r in records:
        if r.line is not None:
            by_line.setdefault(r.line, {})[r.subject] = r
    snippets = []
    comparison: list[Comparison] = []
    for s in summaries:
        recs = by_line.get(s.line, {})
        cluster_bad = next((r.reason for r in recs.values() if r.outcome is Outcome.NOT_CHECKABLE and not r.checks), "")
        if s.bad or cluster_bad:
            snippets.append(SnippetReport(s, bad=s.bad or cluster_bad))
            continue
        report = SnippetReport(s)
        for subject in s.subjects:
            rec = recs.get(subject)
            if rec is None:
                report.results.append(SubjectResult(subject, Outcome.ERROR, missing=True, reason="no result recorded"))
                continue
            report.results.append(
                SubjectResult(
                    subject=subject,
                    outcome=rec.outcome,
                    checks=list(rec.checks),
                    reason=rec.reason,
                    notes=list(rec.notes),
                    setup=rec.setup,
                    evidence_dir=rec.evidence_dir,
                )
            )
            if claims is not None and s.guide:
                for c in rec.checks:
                    for claim in c.claims:
                        comparison.append(_compare(s, subject, c, claim, claims.get((claim, subject))))
        snippets.append(report)
    if claims is not None:
        comparison.extend(_uncovered(summaries, claims))
    return ArticleReport(article, snippets, claims_source, comparison, dict(run or {}))


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
# Markdown
# --------------------------------------------------------------------------


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _short(data: Json, limit: int = 160) -> str:
    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _evidence(c: CheckRecord) -> str:
    parts = []
    for item in c.evidence:
        if item.transcript is not None:
            last = item.transcript.last[-1].detail if item.transcript.last else None
            parts.append(f"{item.label}: {item.transcript.attempts} observation(s), last {_short(last)}")
        else:
            parts.append(f"{item.label}: {_short(item.data)}")
    return "; ".join(parts)


def _why(c: CheckRecord) -> str:
    text = c.failed.reason if c.failed else (c.reason or _evidence(c))
    if c.diagnosis:
        text += " — diagnosis: " + "; ".join(c.diagnosis)
    return text


def render_markdown(doc: ArticleReport) -> str:
    n = doc.counts
    lines = [f"# Article report: {doc.article}", ""]
    lines.append(
        f"{len(doc.snippets)} snippet(s), {doc.bad} bad; checks: {n[Verdict.HOLDS]} hold, "
        f"{n[Verdict.DOES_NOT_HOLD]} do not hold, {n[Verdict.ERROR]} error, "
        f"{n[Verdict.NOT_CHECKABLE]} not checkable here."
    )
    if doc.run:
        lines += ["", "Run: " + ", ".join(f"{k} {v}" for k, v in doc.run.items())]
    lines += [
        "",
        "## Per snippet",
        "",
        "| line | objects | subject | check | verdict | evidence / reason |",
        "|---|---|---|---|---|---|",
    ]
    for snip in doc.snippets:
        objects = _cell(", ".join(snip.summary.objects) or "-")
        line = snip.summary.line
        if snip.bad:
            lines.append(f"| {line} | {objects} | - | the snippet | **bad snippet** | {_cell(snip.bad)} |")
            continue
        if not snip.results:
            lines.append(f"| {line} | {objects} | - | - | not checked | no subject checks it |")
        for r in snip.results:
            if r.missing:
                lines.append(f"| {line} | {objects} | {r.subject} | - | not run | {r.reason} |")
                continue
            if r.outcome is Outcome.ERROR:
                lines.append(f"| {line} | {objects} | {r.subject} | - | **ERROR** | {_cell(r.reason)} |")
            if r.outcome is Outcome.NOT_CHECKABLE and not r.checks:
                lines.append(f"| {line} | {objects} | {r.subject} | - | not checkable here | {_cell(r.reason)} |")
            for c in r.checks:
                lines.append(
                    f"| {line} | {objects} | {r.subject} | {_cell(c.label)} | {MARK[c.verdict]} | {_cell(_why(c))} |"
                )
    lines += ["", "## Notes per snippet", ""]
    for snip in doc.snippets:
        notes = []
        if snip.summary.source != "fenced":
            notes.append(f"YAML {snip.summary.source}: re-indented by the harness")
        if snip.summary.guide:
            notes.append(f"the guide's own YAML (manifests/{snip.summary.guide})")
        for r in snip.results:
            notes += [f"{r.subject}: {n}" for n in r.notes]
            hosts = r.setup.get("hosts") if isinstance(r.setup, dict) else None
            if hosts:
                notes.append(f"{r.subject}: hostnames made unique to the test: {hosts}")
        if notes:
            lines.append(f"- line {snip.summary.line}:")
            lines += [f"  - {_cell(n)}" for n in dict.fromkeys(notes)]
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


def write(report_dir: Path, doc: ArticleReport) -> tuple[Path, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / "article-report.json"
    md_path = report_dir / "article-report.md"
    json_path.write_text(json.dumps(doc.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(doc), encoding="utf-8")
    return json_path, md_path
