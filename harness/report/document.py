"""The claims report: one JSON document (schema v2) and its renderings
(Markdown for a CI step summary, a self-contained HTML page, JUnit XML).

Results arrive one per (claim, subject, test) from any xdist worker as JSON
lines in ``<report dir>/results/<run>/``, beside the cells the run meant to
check (``expected-*.jsonl``, written at collection). :func:`build` merges
them into the document: every catalog claim is a row; every cell has a
verdict, "not run" when the run did not get to it (never blank); findings
come first (:mod:`harness.report.findings`). The body holds no timestamps and is
ordered by the catalog and the subject columns, so two runs with the same
results give byte-identical JSON and Markdown. :func:`merge` joins reports
of several runs (the nightly matrix) into one.
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

from harness import claims as catalog
from harness.checks.kube import MANIFESTS
from harness.claims import Verdict

SCHEMA = "exposure-harness/claims-report/v2"
L4_SUBJECT = "metallb"
ANY_SUBJECT = "anywhere"  # claims no run of the harness can check (catalog reason), or not checked yet
REPORT_FILES = ("claims-report.json", "claims-report.md", "claims-report.html", "claims-junit.xml")


@dataclass
class Result:
    claim: str
    subject: str  # a controller name, or "metallb" for L4 claims
    verdict: str
    test: str
    reason: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    observations: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        catalog.get(self.claim)  # unknown claim ids fail loudly
        Verdict(self.verdict)


def results_dir(report_dir: Path, run_id: str) -> Path:
    """Where one run's processes put their results (a run's own directory, so
    a run that checks no claim never touches another run's report)."""
    return report_dir / "results" / run_id


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def record(report_dir: Path, run_id: str, result: Result) -> None:
    """Append one result; safe from several processes (one file per process)."""
    out = results_dir(report_dir, run_id)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"{_worker()}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(result), sort_keys=True) + "\n")


def record_expected(report_dir: Path, run_id: str, cells: list[dict[str, str]]) -> None:
    """The (claim, subject, test) cells this process collected to check."""
    out = results_dir(report_dir, run_id)
    out.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(c, sort_keys=True) + "\n" for c in cells)
    (out / f"expected-{_worker()}.jsonl").write_text(text, encoding="utf-8")


def load_results(report_dir: Path, run_id: str) -> list[Result]:
    out: list[Result] = []
    d = results_dir(report_dir, run_id)
    if not d.is_dir():
        return out
    for path in sorted(d.glob("*.jsonl")):
        if path.name.startswith("expected-"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(Result(**json.loads(line)))
    return out


def load_expected(report_dir: Path, run_id: str) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for path in sorted(results_dir(report_dir, run_id).glob("expected-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                e = json.loads(line)
                out.add((e["claim"], e["subject"]))
    return out


_VERDICT_RANK = {
    Verdict.DOES_NOT_HOLD.value: 0,
    Verdict.NOT_CHECKABLE.value: 1,
    Verdict.NOT_RUN.value: 2,
    Verdict.PENDING.value: 3,
    Verdict.HOLDS.value: 4,
}


def _merge(results: Iterable[Result]) -> dict[tuple[str, str], Result]:
    """One result per (claim, subject). When several tests check the same
    claim on the same subject, the weakest verdict wins and evidence adds up."""
    merged: dict[tuple[str, str], Result] = {}
    for r in sorted(results, key=lambda r: (r.claim, r.subject, r.test)):
        key = (r.claim, r.subject)
        if key not in merged:
            merged[key] = Result(
                **{
                    **asdict(r),
                    "evidence": list(r.evidence),
                    "notes": list(r.notes),
                    "observations": dict(r.observations),
                }
            )
            continue
        m = merged[key]
        if _VERDICT_RANK[r.verdict] < _VERDICT_RANK[m.verdict]:
            m.verdict, m.reason = r.verdict, r.reason
        elif r.reason and r.verdict == m.verdict and r.reason not in m.reason:
            m.reason = "; ".join(filter(None, [m.reason, r.reason]))
        m.test = ", ".join(sorted(set(m.test.split(", ")) | set(r.test.split(", "))))
        m.evidence.extend(e for e in r.evidence if e not in m.evidence)
        m.notes.extend(n for n in r.notes if n not in m.notes)
        m.observations.update(r.observations)
    return merged


def _subjects(controllers: list[str], seen: Iterable[str]) -> list[str]:
    """Columns: the run's controllers in their order, then any other subject a
    result names (a Gateway implementation added later needs no code here),
    then the L4 implementation, then "anywhere"."""
    fixed = [*controllers]
    extra = sorted({s for s in seen if s not in fixed and s not in (L4_SUBJECT, ANY_SUBJECT)})
    return [*fixed, *extra, L4_SUBJECT, ANY_SUBJECT]


def _cell(subject: str, verdict: str, reason: str = "", **more: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "verdict": verdict,
        "reason": reason,
        "tests": more.get("tests", ""),
        "notes": more.get("notes", []),
        "evidence": more.get("evidence", []),
        "observations": more.get("observations", {}),
    }


def _rows(
    entries: Iterable[catalog.Claim],
    merged: dict[tuple[str, str], Result],
    expected: set[tuple[str, str]],
    controllers: list[str],
    subject_notes: dict[str, str],
    not_run_why: str,
) -> list[dict[str, Any]]:
    rows = []
    for claim in entries:
        cells: list[dict[str, Any]] = []
        if claim.not_checkable:
            cells.append(_cell(ANY_SUBJECT, Verdict.NOT_CHECKABLE.value, claim.not_checkable))
        elif claim.pending:
            cells.append(_cell(ANY_SUBJECT, Verdict.PENDING.value, f"planned: {claim.pending}"))
        else:
            subjects = {s for (cid, s) in expected if cid == claim.id} | {s for (cid, s) in merged if cid == claim.id}
            why = not_run_why
            if not subjects:
                subjects = set(controllers) if claim.per_controller else {L4_SUBJECT}
                why = NOT_SELECTED
            for subject in _subjects(controllers, subjects):
                if subject not in subjects:
                    continue
                r = merged.get((claim.id, subject))
                if r is None:
                    cells.append(_cell(subject, Verdict.NOT_RUN.value, why))
                    continue
                notes = list(r.notes)
                if subject in subject_notes and subject_notes[subject] not in notes:
                    notes.append(subject_notes[subject])
                cells.append(
                    _cell(
                        subject,
                        r.verdict,
                        r.reason,
                        tests=r.test,
                        notes=notes,
                        evidence=r.evidence,
                        observations=dict(sorted(r.observations.items())),
                    )
                )
        row: dict[str, Any] = {
            "id": claim.id,
            "section": claim.section,
            "area": claim.area,
            "quote": claim.quote,
            "checks": claim.checks,
            "results": cells,
        }
        if claim.threshold:
            row["threshold"] = claim.threshold
        if claim.kind == "correction":
            row["corrects"] = claim.corrects
            row["original"] = {"path": claim.original, "text": _manifest_text(claim.original)}
            row["manifests"] = {s: {"path": p, "text": _manifest_text(p)} for s, p in sorted(claim.manifests.items())}
        rows.append(row)
    return rows


def _manifest_text(rel: str) -> str:
    """The manifest as a reader would write it ("$$" is the harness's escape of "$")."""
    try:
        return (MANIFESTS / rel).read_text(encoding="utf-8").replace("$$", "$")
    except OSError:
        return ""


def build(
    results: Iterable[Result],
    *,
    controllers: list[str],
    run: dict[str, Any],
    subject_notes: dict[str, str] | None = None,
    expected: set[tuple[str, str]] | None = None,
    interrupted: bool = False,
) -> dict[str, Any]:
    """The report document. ``controllers`` is the matrix in display order;
    ``subject_notes`` are printed beside every result of that subject (e.g.
    the retirement notice of ingress-nginx); ``expected`` the cells the run
    meant to check (those without a result read "not run")."""
    from harness.report.findings import derive

    merged = _merge(results)
    subject_notes = subject_notes or {}
    expected = set(expected or ())
    why = (
        "the run was interrupted before this check ran"
        if interrupted
        else "this check did not run (its worker stopped, or the run ended early)"
    )
    rows = _rows(catalog.CLAIMS, merged, expected, controllers, subject_notes, why)
    corrections = _rows(catalog.CORRECTIONS, merged, expected, controllers, subject_notes, why)
    seen = {c["subject"] for row in [*rows, *corrections] for c in row["results"]}
    subjects = [s for s in _subjects(controllers, seen) if s in seen]
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "guide": catalog.GUIDE,
        "status": _status(rows, corrections, interrupted),
        "runs": [run] if run else [],
        "subject_notes": dict(sorted(subject_notes.items())),
        "subjects": subjects,
        "summary": _counts(rows),
        "findings": [],
        "claims": rows,
        "corrections": corrections,
        "measurements": {"latency": _latency(rows)},
    }
    doc["findings"] = derive(doc)
    return doc


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {v.value: 0 for v in Verdict}
    for row in rows:
        for cell in row["results"]:
            counts[cell["verdict"]] += 1
    return counts


NOT_SELECTED = "no test of this claim was selected in this run"


def _status(rows: list[dict[str, Any]], corrections: list[dict[str, Any]], interrupted: bool) -> dict[str, Any]:
    """complete: every check the run selected ran; partial: some did not
    (listed, with why); interrupted: the run was stopped. Claims the run did
    not select at all (a narrowed controller list, -k) are listed apart."""
    cells = [(row["id"], c) for row in [*rows, *corrections] for c in row["results"]]
    not_run = [
        {"claim": cid, "subject": c["subject"], "why": c["reason"]}
        for cid, c in cells
        if c["verdict"] == Verdict.NOT_RUN.value and c["reason"] != NOT_SELECTED
    ]
    not_selected = sorted(
        {cid for cid, c in cells if c["verdict"] == Verdict.NOT_RUN.value and c["reason"] == NOT_SELECTED}
    )
    state = "interrupted" if interrupted else ("partial" if not_run else "complete")
    return {"state": state, "not_run": not_run, "not_selected": not_selected}


def _latency(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """subject -> the measured paths (from the performance claim's evidence)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        for cell in row["results"]:
            for item in cell["evidence"]:
                if item.get("label") == "latency" and isinstance(item.get("data"), dict):
                    out.setdefault(cell["subject"], item["data"]["paths"])
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------
# merging several runs' reports (the nightly matrix)
# ---------------------------------------------------------------------------


def merge(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from several (each a cell of the nightly matrix: one
    controller on one Kubernetes minor). A subject checked on several runs
    keeps the weakest verdict with every run's evidence; cells no run got to
    stay "not run"."""
    results: list[Result] = []
    expected: set[tuple[str, str]] = set()
    controllers: list[str] = []
    runs: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    interrupted = False
    for doc in docs:
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"cannot merge a report of schema {doc.get('schema')!r}; this merges {SCHEMA}")
        runs.extend(doc.get("runs", []))
        notes.update(doc.get("subject_notes", {}))
        interrupted = interrupted or doc["status"]["state"] == "interrupted"
        for s in doc["subjects"]:
            if s not in controllers and s not in (L4_SUBJECT, ANY_SUBJECT):
                controllers.append(s)
        for row in [*doc["claims"], *doc.get("corrections", [])]:
            if row["id"] not in catalog.BY_ID:
                continue  # a claim this catalog no longer has
            for c in row["results"]:
                if c["subject"] == ANY_SUBJECT:
                    continue
                expected.add((row["id"], c["subject"]))
                if c["verdict"] in (Verdict.NOT_RUN.value, Verdict.PENDING.value):
                    continue
                results.append(
                    Result(
                        claim=row["id"],
                        subject=c["subject"],
                        verdict=c["verdict"],
                        test=c["tests"],
                        reason=c["reason"],
                        evidence=c["evidence"],
                        notes=[n for n in c["notes"] if n not in notes.values()],
                        observations=c.get("observations", {}),
                    )
                )
    # columns in name order: the same whatever order the cells' reports were found in
    merged = build(results, controllers=sorted(controllers), run={}, subject_notes=notes, expected=expected)
    merged["runs"] = runs
    if interrupted and merged["status"]["state"] != "interrupted":
        merged["status"]["state"] = "interrupted"
    return merged


# ---------------------------------------------------------------------------
# Markdown (compact: fits a GitHub step summary; the HTML has the evidence)
# ---------------------------------------------------------------------------

_MARK = {
    Verdict.HOLDS.value: "holds",
    Verdict.DOES_NOT_HOLD.value: "DOES NOT HOLD",
    Verdict.NOT_CHECKABLE.value: "not checkable here",
    Verdict.PENDING.value: "not checked yet",
    Verdict.NOT_RUN.value: "not run",
}
NOT_APPLICABLE = "–"


def status_lines(doc: dict[str, Any]) -> list[str]:
    """What every format says first when the run is not complete."""
    st = doc["status"]
    if st["state"] == "complete":
        if st.get("not_selected"):
            return [
                f"This run did not select {len(st['not_selected'])} claim(s) (narrowed controllers or tests): "
                + ", ".join(st["not_selected"])
            ]
        return []
    head = (
        "This run was INTERRUPTED: the report is partial."
        if st["state"] == "interrupted"
        else "This run is PARTIAL: some checks did not run."
    )
    lines = [f"{head} {len(st['not_run'])} check(s) did not run:"]
    for e in st["not_run"]:
        lines.append(f"{e['claim']} on {e['subject']}: {e['why']}")
    if st.get("not_selected"):
        lines.append(f"not selected in this run: {', '.join(st['not_selected'])}")
    return lines


def _run_lines(doc: dict[str, Any]) -> list[str]:
    out = []
    for run in doc.get("runs", []):
        plain = ", ".join(f"{k} {v}" for k, v in run.items() if not isinstance(v, dict))
        nested = "; ".join(
            f"{k}: " + ", ".join(f"{kk} {vv}" for kk, vv in v.items()) for k, v in run.items() if isinstance(v, dict)
        )
        out.append("Run: " + plain + (f"; {nested}" if nested else ""))
    return out


def render_markdown(doc: dict[str, Any], *, html_link: str = "claims-report.html") -> str:
    subjects: list[str] = doc["subjects"]
    lines = [f"# Claims report: {doc['guide']}", ""]
    status = status_lines(doc)
    if status:
        lines += [f"> **{status[0]}**", ">"] + [f"> - {x}" for x in status[1:]] + [""]
    lines += [f"{x}  " for x in _run_lines(doc)] + [""]
    lines += [f"Full evidence per cell, versions and the latency plot: [{html_link}]({html_link}).", ""]
    findings = doc["findings"]
    lines += [f"## Findings ({len(findings)})", ""]
    for i, f in enumerate(findings, 1):
        lines.append(f"{i}. **{f['title']}** {_stable(f['text'])}")
        for c in f.get("corrections", []):
            verdicts = ", ".join(f"{s}: {_MARK[v]}" for s, v in c["verdicts"].items())
            lines.append(f"   - Correction `{c['id']}` ({verdicts}): {', '.join(sorted(set(c['manifests'].values())))}")
    lines.append("")
    s = doc["summary"]
    lines += ["## Matrix", "", ", ".join(f"{n} {k}" for k, n in s.items() if n), ""]
    lines += ["| claim | " + " | ".join(subjects) + " |", "|---|" + "---|" * len(subjects)]
    for row in doc["claims"]:
        by = {c["subject"]: c for c in row["results"]}
        cells = [(_MARK[by[x]["verdict"]] if x in by else NOT_APPLICABLE) for x in subjects]
        lines.append(f"| {row['id']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Columns: the controllers checked; {L4_SUBJECT} for claims about Services of type LoadBalancer; "
        f"{ANY_SUBJECT} for claims no local cluster can check or not checked yet. {NOT_APPLICABLE}: the claim is not "
        "about that column.",
        "",
    ]
    lat = doc["measurements"]["latency"]
    if lat:
        lines += ["## Latency (this run's cluster; cloud load balancers differ)", ""]
        lines += ["| subject | path | p50 ms | p95 ms | p99 ms | req/s | p50 vs L4 |", "|---|---|---|---|---|---|---|"]
        for subject, paths in lat.items():
            for p in paths:
                lines.append(
                    f"| {subject} | {p['label']} | {p['p50_ms']:.2f} | {p['p95_ms']:.2f} | {p['p99_ms']:.2f} | "
                    f"{p['requests_per_second']:.0f} | x{p['p50_ratio']} (+{p['p50_overhead_ms']:.2f} ms) |"
                )
        lines.append("")
    reasons = [
        (row["id"], c)
        for row in doc["claims"]
        for c in row["results"]
        if c["verdict"] in (Verdict.DOES_NOT_HOLD.value, Verdict.NOT_CHECKABLE.value, Verdict.PENDING.value)
    ]
    if reasons:
        lines += ["## Reasons", ""]
        for cid, c in reasons:
            lines.append(f"- {cid} ({c['subject']}): {_MARK[c['verdict']]}: {_stable(_short(c['reason']))}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Kubernetes' generated suffixes use an alphabet without vowels (so words like "multiple-hosts" stay)
_POD_SUFFIX = re.compile(r"\b([a-z0-9-]+?)-[bcdfghjklmnpqrstvwxz2456789]{8,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\b")
_TRUSTME_SERIAL = re.compile(r"(Testing (?:CA|cert)) #[A-Za-z0-9_-]{8,}")


def _stable(text: str) -> str:
    """Generated names lose their random parts (pod api-svc-7d9c6b5f4-x2x9k ->
    api-svc-*, the run CA's "Testing cert #wLXF..." -> "Testing cert #*"), so
    the Markdown report diffs cleanly between runs; the JSON report keeps
    everything as observed."""
    return _TRUSTME_SERIAL.sub(r"\1 #*", _POD_SUFFIX.sub(r"\1-*", text))


def compact(data: Any) -> str:
    """One line per evidence item (the HTML's summary of a transcript; the
    JSON report keeps the full transcript)."""
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


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def write_documents(report_dir: Path, doc: dict[str, Any], *, html_link: str = "claims-report.html") -> Path:
    """The four formats of ``doc`` into ``report_dir``; returns the Markdown path."""
    from harness.report.html import render_html
    from harness.report.junit import render_junit

    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "claims-report.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    md_path = report_dir / "claims-report.md"
    md_path.write_text(render_markdown(doc, html_link=html_link), encoding="utf-8")
    (report_dir / "claims-report.html").write_text(render_html(doc), encoding="utf-8")
    (report_dir / "claims-junit.xml").write_text(render_junit(doc), encoding="utf-8")
    return md_path


def write_reports(
    report_dir: Path,
    run_id: str,
    *,
    controllers: list[str],
    run: dict[str, Any],
    subject_notes: dict[str, str] | None = None,
    interrupted: bool = False,
) -> tuple[Path, Path]:
    """Merge run ``run_id``'s results into the reports; the raw results of
    earlier runs are removed."""
    doc = build(
        load_results(report_dir, run_id),
        controllers=controllers,
        run=run,
        subject_notes=subject_notes,
        expected=load_expected(report_dir, run_id),
        interrupted=interrupted,
    )
    md_path = write_documents(report_dir, doc)
    for old in (report_dir / "results").iterdir():
        if old.name != run_id:
            shutil.rmtree(old, ignore_errors=True)
    return report_dir / "claims-report.json", md_path
