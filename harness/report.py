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
import re
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import claims as catalog
from .claims import Verdict

SCHEMA = "exposure-harness/claims-report/v1"
L4_SUBJECT = "metallb"
ANY_SUBJECT = "anywhere"  # claims no run of the harness can check (catalog reason)


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


def results_dir(report_dir: Path, run_id: str) -> Path:
    """Where one run's processes put their results (a run's own directory, so
    a run that checks no claim never touches another run's report)."""
    return report_dir / "results" / run_id


def record(report_dir: Path, run_id: str, result: Result) -> None:
    """Append one result; safe from several processes (one file per process)."""
    out = results_dir(report_dir, run_id)
    out.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(out / f"{worker}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(result), sort_keys=True) + "\n")


def load_results(report_dir: Path, run_id: str) -> list[Result]:
    out: list[Result] = []
    d = results_dir(report_dir, run_id)
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


def build(
    results: Iterable[Result],
    *,
    controllers: list[str],
    run: dict[str, Any],
    subject_notes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The report document. ``controllers`` is the matrix in display order;
    ``subject_notes`` are printed beside every result of that subject (e.g. the
    retirement notice of ingress-nginx)."""
    merged = _merge(results)
    subject_notes = subject_notes or {}
    rows: list[dict[str, Any]] = []
    for claim in catalog.CLAIMS:
        wanted = controllers if claim.per_controller else [L4_SUBJECT]
        cells: list[dict[str, Any]] = []
        if claim.not_checkable:
            cells.append(
                {
                    "subject": ANY_SUBJECT,
                    "verdict": Verdict.NOT_CHECKABLE.value,
                    "reason": claim.not_checkable,
                    "tests": "",
                    "notes": [],
                    "evidence": [],
                }
            )
            wanted = []
        for subject in wanted:
            r = merged.get((claim.id, subject))
            if r is None:
                continue
            notes = list(r.notes)
            if subject in subject_notes and subject_notes[subject] not in notes:
                notes.append(subject_notes[subject])
            cells.append(
                {
                    "subject": subject,
                    "verdict": r.verdict,
                    "reason": r.reason,
                    "tests": r.test,
                    "notes": notes,
                    "evidence": r.evidence,
                }
            )
        rows.append(
            {
                "id": claim.id,
                "area": claim.area,
                "quote": claim.quote,
                "checks": claim.checks,
                "results": cells,
            }
        )
    counts = {v.value: 0 for v in Verdict}
    for row in rows:
        for cell in row["results"]:
            counts[cell["verdict"]] += 1
    present = {cell["subject"] for row in rows for cell in row["results"]}
    return {
        "schema": SCHEMA,
        "guide": catalog.GUIDE,
        "subjects": [s for s in [*controllers, L4_SUBJECT, ANY_SUBJECT] if s in present],
        "run": run,
        "summary": counts,
        "claims": rows,
    }


_MARK = {
    Verdict.HOLDS.value: "holds",
    Verdict.DOES_NOT_HOLD.value: "DOES NOT HOLD",
    Verdict.NOT_CHECKABLE.value: "not checkable here",
}


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
    lines += [
        "",
        f"Columns: the Ingress controllers checked; {L4_SUBJECT} for claims about Services of type "
        f"LoadBalancer (MetalLB is this cluster's load balancer); {ANY_SUBJECT} for claims no local cluster can "
        "check. A blank cell: the claim is not about that column.",
        "",
    ]
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
            for item in cell["evidence"]:
                lines.append(f"  - {item['label']}: {_compact(item['data'])}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_POD_SUFFIX = re.compile(r"\b([a-z0-9-]+?)-[a-z0-9]{8,10}-[a-z0-9]{5}\b")
_TRUSTME_SERIAL = re.compile(r"(Testing (?:CA|cert)) #[A-Za-z0-9_-]{8,}")


def _stable(text: str) -> str:
    """Generated names lose their random parts (pod api-svc-7d9c6b5f4-x2x9k ->
    api-svc-*, the run CA's "Testing cert #wLXF..." -> "Testing cert #*"), so
    the Markdown report diffs cleanly between runs; the JSON report keeps
    everything as observed."""
    return _TRUSTME_SERIAL.sub(r"\1 #*", _POD_SUFFIX.sub(r"\1-*", text))


def _compact(data: Any) -> str:
    """One line per evidence item for the Markdown report (the JSON report
    keeps the full transcript)."""
    if isinstance(data, dict) and {"check", "attempts", "last"} <= data.keys():
        oks = [a for a in data["last"] if a.get("ok")]
        streak = 0
        for a in reversed(data["last"]):
            if not a.get("ok"):
                break
            streak += 1
        if not oks:
            seen = json.dumps(data["last"][-1]["detail"], sort_keys=True) if data["last"] else "nothing"
            return _stable(f"{data['check']}: never held in {data['attempts']} attempts; last seen: {seen}")
        last = json.dumps(oks[-1]["detail"], sort_keys=True)
        if "window_seconds" in data:
            return _stable(
                f"{data['check']}: held throughout a {data['window_seconds']:.0f}s observation; last: {last}"
            )
        return _stable(f"{data['check']}: held {streak} consecutive observation(s); last: {last}")
    return _stable(json.dumps(data, sort_keys=True))


def write_reports(
    report_dir: Path,
    run_id: str,
    *,
    controllers: list[str],
    run: dict[str, Any],
    subject_notes: dict[str, str] | None = None,
) -> tuple[Path, Path]:
    """Merge run ``run_id``'s results into the two reports; the raw results of
    earlier runs are removed."""
    doc = build(load_results(report_dir, run_id), controllers=controllers, run=run, subject_notes=subject_notes)
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / "claims-report.json"
    md_path = report_dir / "claims-report.md"
    json_path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(doc), encoding="utf-8")
    for old in (report_dir / "results").iterdir():
        if old.name != run_id:
            shutil.rmtree(old, ignore_errors=True)
    return json_path, md_path
