"""The article report: per snippet, the line it starts on, its objects, and
per subject each check's verdict with its evidence; bad snippets with their
line and reason; and where a check backs a claim of the claims report for
the same objects and controller, whether the two verdicts agree, and why
not when they differ.

Each test records one JSON file per (snippet, subject) under
``<report-dir>/article-results/<run-id>/``; the session-owning process
merges them into ``article-report.json`` and ``article-report.md``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from harness import claims as catalog
from harness.checks.kube import MANIFESTS, load_manifest
from harness.claims import Verdict

SCHEMA = "exposure-harness/article-report/v1"
_MARK = {
    Verdict.HOLDS.value: "holds",
    Verdict.DOES_NOT_HOLD.value: "DOES NOT HOLD",
    Verdict.NOT_CHECKABLE.value: "not checkable here",
}


def results_dir(report_dir: Path, run_id: str) -> Path:
    return report_dir / "article-results" / run_id


def record(report_dir: Path, run_id: str, key: str, data: dict[str, Any]) -> None:
    d = results_dir(report_dir, run_id)
    d.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)
    (d / f"{safe}.json").write_text(json.dumps(data, indent=1, sort_keys=True, default=str), encoding="utf-8")


def load(report_dir: Path, run_id: str) -> list[dict[str, Any]]:
    d = results_dir(report_dir, run_id)
    if not d.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.json"))]


def guide_manifest(doc: dict[str, Any]) -> str | None:
    """The file under manifests/guide/ holding exactly ``doc`` (the guide's
    own YAML), or None."""
    for path in sorted((MANIFESTS / "guide").glob("*.yaml")):
        if doc in load_manifest(path):
            return f"guide/{path.name}"
    return None


def claim_verdicts(report_dir: Path, run_results: list[Any] | None = None) -> tuple[dict[tuple[str, str], dict], str]:
    """(claim, subject) -> {verdict, reason} from this run's claim results, or
    else from an earlier claims report in ``report_dir``; and where they came from."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    if run_results:
        for r in run_results:
            out[(r.claim, r.subject)] = {"verdict": r.verdict, "reason": r.reason}
        return out, "this run's claims suites"
    path = report_dir / "claims-report.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return out, ""
    for row in doc.get("claims", []):
        for cell in row.get("results", []):
            out[(row["id"], cell["subject"])] = {"verdict": cell["verdict"], "reason": cell.get("reason", "")}
    return out, f"{path.name} of an earlier run"


def build(
    article: str,
    snippets: list[dict[str, Any]],
    records: list[dict[str, Any]],
    *,
    claims: dict[tuple[str, str], dict[str, Any]] | None = None,
    claims_source: str = "",
    run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report document. ``snippets`` are every snippet of the article
    (``Snippet.as_dict()`` plus ``bad``, ``subjects`` and ``guide``), in
    article order; ``records`` what the tests recorded."""
    by_line: dict[int, dict[str, dict[str, Any]]] = {}
    for r in records:
        by_line.setdefault(int(r["line"]), {})[r["subject"]] = r
    counts = {v.value: 0 for v in (Verdict.HOLDS, Verdict.DOES_NOT_HOLD, Verdict.NOT_CHECKABLE)}
    bad = 0
    rows = []
    comparison = []
    for s in snippets:
        entry = dict(s)
        recs = by_line.get(int(s["line"]), {})
        cluster_bad = next((r["bad"] for r in recs.values() if r.get("bad")), "")
        if s.get("bad") or cluster_bad:
            entry["bad"] = s.get("bad") or cluster_bad
            entry["results"] = {}
            bad += 1
            rows.append(entry)
            continue
        entry["results"] = {}
        for subject in s.get("subjects", []):
            rec = recs.get(subject)
            if rec is None:
                entry["results"][subject] = {"missing": "no result recorded (the test did not run)"}
                continue
            entry["results"][subject] = {
                "notes": rec.get("notes", []),
                "not_applied": rec.get("not_applied", []),
                "setup": rec.get("setup", {}),
                "outcomes": rec.get("outcomes", []),
                "not_checkable": rec.get("not_checkable", ""),
            }
            for o in rec.get("outcomes", []):
                counts[o["verdict"]] = counts.get(o["verdict"], 0) + 1
                if claims is not None and s.get("guide") and o.get("claim"):
                    c = claims.get((o["claim"], subject))
                    comparison.append(_compare(s, subject, o, c))
        rows.append(entry)
    if claims is not None:
        comparison.extend(_uncovered(snippets, claims))
    return {
        "schema": SCHEMA,
        "article": article,
        "run": run or {},
        "summary": {**counts, "bad snippets": bad, "snippets": len(snippets)},
        "snippets": rows,
        "comparison": {"source": claims_source, "rows": comparison},
    }


def _compare(s: dict[str, Any], subject: str, o: dict[str, Any], c: dict[str, Any] | None) -> dict[str, Any]:
    claim = catalog.get(o["claim"])
    row = {"line": s["line"], "subject": subject, "check": o["check"], "article": o["verdict"], "claim": claim.id}
    if c is None:
        row.update(claims="-", agrees=None, why="the claims suites did not check this claim on this subject")
        return row
    row["claims"] = c["verdict"]
    row["agrees"] = c["verdict"] == o["verdict"]
    if not row["agrees"]:
        row["why"] = (
            f"the claims suite checks: {claim.checks} ({c['verdict']}: {c.get('reason') or 'no reason given'}); "
            f"this check: {o['check']} ({o['verdict']}: {o.get('reason') or 'no reason given'})"
        )
    return row


def _uncovered(snippets: list[dict[str, Any]], claims: dict[tuple[str, str], dict[str, Any]]) -> list[dict]:
    """Subjects the claims suites checked for a guide snippet's claims that the
    article run did not (another class, say): said, with the reason."""
    out = []
    for s in snippets:
        if not s.get("guide") or s.get("bad"):
            continue
        wanted = set(s.get("claims", []))
        for (claim, subject), c in sorted(claims.items()):
            if claim in wanted and subject not in s.get("subjects", []):
                out.append(
                    {
                        "line": s["line"],
                        "subject": subject,
                        "check": "-",
                        "article": "-",
                        "claim": claim,
                        "claims": c["verdict"],
                        "agrees": None,
                        "why": (
                            f"not checked in article mode on {subject}: the snippet maps to "
                            f"{', '.join(s.get('subjects', [])) or 'no subject'}; the claims suites check {subject} "
                            "with the guide's routing in its own idiom (suites/conftest.py WEB_GATEWAY)"
                        ),
                    }
                )
    return out


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _evidence(o: dict[str, Any]) -> str:
    parts = []
    for item in o.get("evidence", []):
        data = item.get("data")
        if isinstance(data, dict) and "check" in data and "attempts" in data:
            shown = data.get("last") or []
            last = shown[-1].get("detail") if shown else None
            parts.append(f"{item['label']}: {data.get('attempts')} observation(s), last {_short(last)}")
        else:
            parts.append(f"{item['label']}: {_short(data)}")
    return "; ".join(parts)


def _short(data: Any, limit: int = 160) -> str:
    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_markdown(doc: dict[str, Any]) -> str:
    lines = [f"# Article report: {doc['article']}", ""]
    s = doc["summary"]
    lines.append(
        f"{s['snippets']} snippet(s), {s['bad snippets']} bad; checks: {s.get('holds', 0)} hold, "
        f"{s.get('does not hold', 0)} do not hold, {s.get('not checkable here', 0)} not checkable here."
    )
    if doc.get("run"):
        lines.append("")
        lines.append("Run: " + ", ".join(f"{k} {v}" for k, v in doc["run"].items() if not isinstance(v, dict)))
    lines += [
        "",
        "## Per snippet",
        "",
        "| line | objects | subject | check | verdict | evidence / reason |",
        "|---|---|---|---|---|---|",
    ]
    for snip in doc["snippets"]:
        objects = ", ".join(snip.get("objects") or []) or "-"
        if snip.get("bad"):
            lines.append(
                f"| {snip['line']} | {_cell(objects)} | - | the snippet | **bad snippet** | {_cell(snip['bad'])} |"
            )
            continue
        if not snip["results"]:
            lines.append(
                f"| {snip['line']} | {_cell(objects)} | - | - | not checked | {_cell(snip.get('why_none', ''))} |"
            )
        for subject, r in snip["results"].items():
            if "missing" in r:
                lines.append(f"| {snip['line']} | {_cell(objects)} | {subject} | - | not checked | {r['missing']} |")
                continue
            for o in r["outcomes"]:
                why = o.get("reason") or _evidence(o)
                if o.get("diagnosis"):
                    why += f" — diagnosis: {o['diagnosis']}"
                lines.append(
                    f"| {snip['line']} | {_cell(objects)} | {subject} | {_cell(o['check'])} | "
                    f"{_MARK.get(o['verdict'], o['verdict'])} | {_cell(why)} |"
                )
    lines += ["", "## Notes per snippet", ""]
    for snip in doc["snippets"]:
        notes = []
        if snip.get("source") != "fenced":
            notes.append(f"YAML {snip.get('source')}: re-indented by the harness")
        if snip.get("guide"):
            notes.append(f"the guide's own YAML (manifests/{snip['guide']})")
        for subject, r in snip.get("results", {}).items():
            for n in r.get("notes", []) + r.get("not_applied", []):
                notes.append(f"{subject}: {n}")
            if r.get("setup", {}).get("hosts"):
                notes.append(f"{subject}: hostnames made unique to the test: {r['setup']['hosts']}")
        if notes:
            lines.append(f"- line {snip['line']}:")
            lines += [f"  - {_cell(n)}" for n in dict.fromkeys(notes)]
    comp = doc.get("comparison", {})
    lines += ["", "## Against the claims report", ""]
    if not comp.get("rows"):
        lines.append(
            "No comparison: "
            + (
                "no snippet is the guide's own YAML."
                if comp.get("source")
                else "no claims results (run the claims suites in the same run, or keep an earlier claims-report.json)."
            )
        )
    else:
        lines += [
            f"Claims verdicts from {comp['source']}.",
            "",
            "| line | subject | claim | check | article | claims | agrees | why they differ |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in comp["rows"]:
            agrees = {True: "yes", False: "**no**", None: "-"}[c["agrees"]]
            lines.append(
                f"| {c['line']} | {c['subject']} | {c['claim']} | {_cell(c['check'])} | {c['article']} | "
                f"{c['claims']} | {agrees} | {_cell(c.get('why', ''))} |"
            )
    lines.append("")
    return "\n".join(lines)


def write(report_dir: Path, run_id: str, doc: dict[str, Any]) -> tuple[Path, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / "article-report.json"
    md_path = report_dir / "article-report.md"
    json_path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(doc), encoding="utf-8")
    base = report_dir / "article-results"
    for old in base.iterdir() if base.is_dir() else []:
        if old.name != run_id:
            shutil.rmtree(old, ignore_errors=True)
    return json_path, md_path
