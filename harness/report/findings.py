"""Findings: what an editor must act on, derived from a report's cells.

Each rule reads the report (verdicts, failed checks, the observations tests
recorded, the subjects' notices) and the catalog; nothing here is a verdict
of its own. Rules, in the order the report shows them:

- a check that does not hold on a subject: one finding per failed check,
  pinned on the claim whose expectation it is (the first the check
  declares) and naming every other claim resting on it;
- risky YAML: a catalog entry's ``risk`` (an observation value that means the
  guide's snippet misbehaves) seen on a subject;
- behaviour that differs between subjects: the same observation topic with
  different values across subjects (compared on the values with generated
  names and addresses normalised);
- staleness: a subject whose notice says it was retired upstream;
- upstream conformance: a test of an upstream conformance suite recorded
  beside the claims (Gateway API, SIG Network's Ingress features) that
  failed on a subject and checks what a claim of the guide says
  (:func:`harness.conformance.render.findings`): not a verdict of the
  guide's own objects, but what a reader of that claim meets on that
  implementation.

A finding about a claim carries the corrections the catalog has for it,
with their verdicts from the same run. Errors of the harness are never
findings: the report lists them apart, as what failed the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from harness import claims as catalog
from harness import mutants
from harness.conformance import render as conformance_render
from harness.report.document import ClaimsReport, CorrectionRef, Finding, FindingKind, Row
from harness.results import normalise
from harness.results.model import FailedCheck, Observation, Verdict
from harness.results.mutation import MutantOutcome


def _corrections(doc: ClaimsReport, claim_ids: list[str]) -> tuple[CorrectionRef, ...]:
    out = []
    for cid in claim_ids:
        for row in doc.corrections:
            if row.corrects != cid:
                continue
            out.append(
                CorrectionRef(
                    id=row.id,
                    checks=row.checks,
                    verdicts={c.subject: c.verdict for c in row.cells},
                    reasons={c.subject: c.reason for c in row.cells if c.reason},
                    manifests={s: m.path for s, m in row.manifests.items()},
                    original=row.original.path if row.original else "",
                )
            )
    return tuple(out)


def _failure_key(subject: str, f: FailedCheck) -> tuple[str, str, str]:
    return (subject, normalise.text(f.check), normalise.text(f.seen.text))


def derive(doc: ClaimsReport) -> list[Finding]:
    findings: list[Finding] = []
    rows = {r.id: r for r in doc.claims}

    # 1. checks that do not hold: one finding per failed check, pinned on the claim it declares first
    failed: dict[tuple[str, str, str], tuple[FailedCheck, list[str], dict[str, str]]] = {}
    for row in doc.claims:
        for cell in row.cells:
            if cell.verdict is not Verdict.DOES_NOT_HOLD:
                continue
            for f in cell.failed:
                key = _failure_key(cell.subject, f)
                entry = failed.setdefault(key, (f, [], {}))
                if row.id not in entry[1]:
                    entry[1].append(row.id)
                if f.known or cell.known:  # the refutation this failure matched (a cell merges tests)
                    entry[2].setdefault(row.id, f.known or cell.known)
    for (subject, _check, _seen), (f, resting, knowns) in failed.items():
        declared = [c for c in f.claims if c in rows]
        primary = declared[0] if declared else resting[0]
        known = knowns.get(primary, "")
        others = [c for c in dict.fromkeys([*declared, *resting]) if c != primary]
        row = rows[primary]
        text = f"The guide says “{row.quote}”. Checked on {subject}: {row.checks} It does not hold: {f.reason}."
        if others:
            text += f" The same check also refutes, on {subject}: {', '.join(others)}."
        if known:
            text += f" Known since an earlier run: {known}"
        findings.append(
            Finding(
                kind=FindingKind.DOES_NOT_HOLD,
                title=f"Does not hold: {primary} on {subject}.",
                text=text,
                claim=primary,
                claims=(primary, *others),
                subjects=(subject,),
                corrections=_corrections(doc, [primary, *others]),
            )
        )

    # 1b. checks a mutant survived: their ✔ is no evidence until they are strengthened
    for row in doc.rows():
        for survivor in row.mutants:
            if survivor.outcome is not MutantOutcome.SURVIVED:
                continue
            m = survivor
            mutant = mutants.BY_NAME.get(m.mutant)
            what = f" ({mutant.why}: {mutant.describe()})" if mutant else ""
            findings.append(
                Finding(
                    kind=FindingKind.CANNOT_FAIL,
                    title=f"This check cannot fail: {row.id} on {m.subject} (mutant {m.mutant}).",
                    text=f"The mutant {m.mutant}{what} changed what {m.test} applies, and {row.id} still held: its "
                    "check cannot see what the claim promises, so its ✔ is no evidence until the check is "
                    "strengthened.",
                    claim=row.id,
                    claims=(row.id,),
                    subjects=(m.subject,),
                )
            )

    # 2. risky YAML: an observation the catalog names as the snippet misbehaving
    for row in doc.claims:
        risk = catalog.get(row.id).risk
        if not risk:
            continue
        risky = [
            (cell.subject, o.topic)
            for cell in row.cells
            for o in cell.observations
            if o.topic in risk["topics"] and risk["equals"] in (o.comparable, o.value)
        ]
        if not risky:
            continue
        where = "; ".join(f"{s}: {t}" for s, t in risky)
        findings.append(
            Finding(
                kind=FindingKind.RISKY_YAML,
                title=f"Risky YAML: {row.id}.",
                text=f"{' '.join(risk['says'].split())} Seen on this run ({risk['equals']!r}): {where}.",
                claim=row.id,
                claims=(row.id,),
                subjects=tuple(sorted({s for s, _ in risky})),
                corrections=_corrections(doc, [row.id]),
            )
        )

    # 3. behaviour that differs between subjects: one finding per topic
    done: set[str] = set()
    for row in doc.claims:
        topics = sorted({o.topic for cell in row.cells for o in cell.observations})
        for topic in topics:
            if topic in done:
                continue
            values = {o_subject: o.comparable for o_subject, o in _observed(row, topic)}
            if len(set(values.values())) < 2:
                continue
            done.add(topic)
            listed = "; ".join(f"{s}: {v}" for s, v in values.items())
            findings.append(
                Finding(
                    kind=FindingKind.CONTROLLERS_DIFFER,
                    title=f"Controllers differ: {topic}.",
                    text=f"The guide's “{row.quote}” ({row.id}) behaves differently per controller. "
                    f"{topic}: {listed}. A reader following the guide gets one of these depending on the controller.",
                    claim=row.id,
                    claims=(row.id,),
                    subjects=tuple(sorted(values)),
                    corrections=_corrections(doc, [row.id]),
                )
            )

    # 4. staleness: a subject retired upstream
    for subject, note in doc.subject_notes.items():
        retired = re.search(r"retired upstream in ([A-Z][a-z]+ \d{4})", note)
        if not retired or subject not in doc.subjects:
            continue
        count = sum(1 for row in doc.claims for c in row.cells if c.subject == subject)
        findings.append(
            Finding(
                kind=FindingKind.STALE,
                title=f"Stale: {subject} was retired upstream in {retired.group(1)}.",
                text=f"{note.split(':')[0]}. The guide's YAML example and its NGINX recommendation target this "
                f"controller; {count} verdict(s) in this report rest on it. An editor should say so, or point "
                "readers to a maintained controller (the other columns show how each behaves).",
                claim="",
                subjects=(subject,),
            )
        )

    # 5. upstream conformance tests that failed and check what a claim says
    for cf in conformance_render.findings(doc.conformance, catalog.CLAIMS):
        findings.append(
            Finding(
                kind=FindingKind.UPSTREAM_CONFORMANCE,
                title=f"Upstream conformance: {cf.title}.",
                text=cf.text,
                claim=cf.claim,
                claims=cf.claims or (cf.claim,),
                subjects=(cf.implementation,),
            )
        )
    return findings


def _observed(row: Row, topic: str) -> Iterator[tuple[str, Observation]]:
    for cell in row.cells:
        for o in cell.observations:
            if o.topic == topic:
                yield cell.subject, o
