"""The claims report: one JSON document and its Markdown rendering.

Results arrive one per (claim, subject) from any xdist worker as JSON lines
in ``<report dir>/results/``; :func:`write_reports` merges them into
``claims-report.json`` and ``claims-report.md``. The body holds no timestamps
and is ordered by the claim catalog and the controller matrix, so two nightly
reports diff cleanly.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import claims as catalog
from .claims import Verdict

SCHEMA = "exposure-harness/claims-report/v1"
L4_SUBJECT = "metallb"


@dataclass
class Result:
    claim: str
    subject: str  # a controller name, or "metallb" for L4 claims
    verdict: str
    test: str
    reason: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        catalog.get(self.claim)  # unknown claim ids fail loudly
        Verdict(self.verdict)


def results_dir(report_dir: Path) -> Path:
    return report_dir / "results"


def record(report_dir: Path, result: Result) -> None:
    """Append one result; safe from several processes (one file per process)."""
    out = results_dir(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(out / f"{worker}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(result), sort_keys=True) + "\n")


def load_results(report_dir: Path) -> list[Result]:
    out: list[Result] = []
    d = results_dir(report_dir)
    if not d.is_dir():
        return out
    for path in sorted(d.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(Result(**json.loads(line)))
    return out


_VERDICT_RANK = {Verdict.DOES_NOT_HOLD.value: 0, Verdict.NOT_CHECKABLE.value: 1, Verdict.HOLDS.value: 2}


def _merge(results: Iterable[Result]) -> dict[tuple[str, str], Result]:
    """One result per (claim, subject). When several tests check the same
    claim on the same subject, the weakest verdict wins and evidence adds up."""
    merged: dict[tuple[str, str], Result] = {}
    for r in sorted(results, key=lambda r: (r.claim, r.subject, r.test)):
        key = (r.claim, r.subject)
        if key not in merged:
            merged[key] = Result(**{**asdict(r), "evidence": list(r.evidence), "notes": list(r.notes)})
            continue
        m = merged[key]
        if _VERDICT_RANK[r.verdict] < _VERDICT_RANK[m.verdict]:
            m.verdict, m.reason = r.verdict, r.reason
        elif r.reason and r.verdict == m.verdict and r.reason not in m.reason:
            m.reason = "; ".join(filter(None, [m.reason, r.reason]))
        m.test = ", ".join(sorted(set(m.test.split(", ")) | {r.test}))
        m.evidence.extend(r.evidence)
        m.notes.extend(n for n in r.notes if n not in m.notes)
    return merged


def build(results: Iterable[Result], *, controllers: list[str], run: dict[str, Any],
          subject_notes: dict[str, str] | None = None) -> dict[str, Any]:
    """The report document. ``controllers`` is the matrix in display order;
    ``subject_notes`` are printed beside every result of that subject (e.g. the
    retirement notice of ingress-nginx)."""
    merged = _merge(results)
    subject_notes = subject_notes or {}
    rows = []
    for claim in catalog.CLAIMS:
        wanted = controllers if claim.per_controller else [L4_SUBJECT]
        cells = []
        for subject in wanted:
            r = merged.get((claim.id, subject))
            if r is None:
                continue
            notes = list(r.notes)
            if subject in subject_notes and subject_notes[subject] not in notes:
                notes.append(subject_notes[subject])
            cells.append({
                "subject": subject,
                "verdict": r.verdict,
                "reason": r.reason,
                "tests": r.test,
                "notes": notes,
                "evidence": r.evidence,
            })
        rows.append({
            "id": claim.id,
            "area": claim.area,
            "quote": claim.quote,
            "checks": claim.checks,
            "results": cells,
        })
    counts = {v.value: 0 for v in Verdict}
    for row in rows:
        for cell in row["results"]:
            counts[cell["verdict"]] += 1
    present = {cell["subject"] for row in rows for cell in row["results"]}
    return {
        "schema": SCHEMA,
        "guide": catalog.GUIDE,
        "subjects": [s for s in [*controllers, L4_SUBJECT] if s in present],
        "run": run,
        "summary": counts,
        "claims": rows,
    }


_MARK = {Verdict.HOLDS.value: "holds", Verdict.DOES_NOT_HOLD.value: "DOES NOT HOLD",
         Verdict.NOT_CHECKABLE.value: "not checkable here"}


def render_markdown(doc: dict[str, Any]) -> str:
    subjects: list[str] = doc["subjects"]
    lines = [f"# Claims report: {doc['guide']}", ""]
    run = doc.get("run", {})
    if run:
        lines.append("Run: " + ", ".join(f"{k} {v}" for k, v in run.items() if not isinstance(v, dict)))
        for k, v in run.items():
            if isinstance(v, dict):
                lines.append(f"{k}: " + ", ".join(f"{kk} {vv}" for kk, vv in v.items()))
        lines.append("")
    s = doc["summary"]
    lines.append(", ".join(f"{n} {k}" for k, n in s.items()))
    lines += ["", "| claim | " + " | ".join(subjects) + " |", "|---|" + "---|" * len(subjects)]
    for row in doc["claims"]:
        by = {c["subject"]: c for c in row["results"]}
        cells = [(_MARK[by[x]["verdict"]] if x in by else "") for x in subjects]
        lines.append(f"| {row['id']} | " + " | ".join(cells) + " |")
    lines.append("")
    for row in doc["claims"]:
        lines += [f"## {row['id']} ({row['area']})", "", f"> {row['quote']}", "", f"Checked: {row['checks']}", ""]
        if not row["results"]:
            lines += ["Not run in this run (no test selected it).", ""]
        for cell in row["results"]:
            head = f"- **{cell['subject']}**: {_MARK[cell['verdict']]}"
            if cell["reason"]:
                head += f" ({cell['reason']})"
            lines.append(head)
            for note in cell["notes"]:
                lines.append(f"  - note: {note}")
            if cell["evidence"]:
                lines.append("")
                lines.append("  ```json")
                for ln in json.dumps(cell["evidence"], indent=1, sort_keys=True).splitlines():
                    lines.append("  " + ln)
                lines.append("  ```")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_reports(report_dir: Path, *, controllers: list[str], run: dict[str, Any],
                  subject_notes: dict[str, str] | None = None) -> tuple[Path, Path]:
    doc = build(load_results(report_dir), controllers=controllers, run=run, subject_notes=subject_notes)
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / "claims-report.json"
    md_path = report_dir / "claims-report.md"
    json_path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(doc), encoding="utf-8")
    return json_path, md_path
