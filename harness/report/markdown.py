"""The claims report in Markdown: compact, to fit a CI step summary (the
HTML report has the evidence)."""

from __future__ import annotations

from harness.conformance import render as conformance_render
from harness.options import L4_SUBJECT
from harness.report.document import ANY_SUBJECT, ClaimsReport
from harness.report.text import MARK, NOT_APPLICABLE, falsifiable, run_lines, short, status_lines
from harness.results import normalise
from harness.results.model import Verdict


def render_markdown(doc: ClaimsReport, *, html_link: str = "claims-report.html") -> str:
    subjects = list(doc.subjects)
    lines = [f"# Claims report: {doc.guide}", ""]
    status = status_lines(doc)
    if status:
        lines += [f"> **{status[0]}**", ">"] + [f"> - {x}" for x in status[1:]] + [""]
    lines += [f"{x}  " for x in run_lines(doc)] + [""]
    lines += [f"Full evidence per cell, versions and the latency plot: [{html_link}]({html_link}).", ""]
    lines += [f"## Findings ({len(doc.findings)})", ""]
    for i, f in enumerate(doc.findings, 1):
        lines.append(f"{i}. **{f.title}** {normalise.stable(f.text)}")
        for corr in f.corrections:
            verdicts = ", ".join(f"{s}: {MARK[v]}" for s, v in corr.verdicts.items()) or "not checked in this run"
            lines.append(f"   - Correction `{corr.id}` ({verdicts}): {', '.join(sorted(set(corr.manifests.values())))}")
    lines.append("")
    lines += ["## Matrix", "", ", ".join(f"{n} {v.value}" for v, n in doc.summary.items() if n), ""]
    proven = any(row.mutants for row in doc.claims)
    extra = " proven falsifiable |" if proven else ""
    lines += [
        "| claim | " + " | ".join(subjects) + " |" + extra,
        "|---|" + "---|" * (len(subjects) + (1 if proven else 0)),
    ]
    for row in doc.claims:
        by = {c.subject: c for c in row.cells}
        cells = [(MARK[by[x].verdict] if x in by else NOT_APPLICABLE) for x in subjects]
        if proven:
            cells.append(falsifiable(row))
        lines.append(f"| {row.id} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Columns: the controllers checked; {L4_SUBJECT} for claims about Services of type LoadBalancer; "
        f"{ANY_SUBJECT} for claims no local cluster can check. {NOT_APPLICABLE}: the claim is not about that column. "
        "ERROR: the harness could not check it (never evidence against the guide).",
        "",
    ]
    if doc.facts:
        lines += [
            "## Set-up facts",
            "",
            "What this environment shows of these sentences; no change to the objects under test could make them "
            "false, so they are observed, not verdicts.",
            "",
            "| fact | " + " | ".join(subjects) + " | why a fact |",
            "|---|" + "---|" * (len(subjects) + 1),
        ]
        for row in doc.facts:
            by = {c.subject: c for c in row.cells}
            cells = [(MARK[by[x].verdict] if x in by else NOT_APPLICABLE) for x in subjects]
            lines.append(f"| {row.id} | " + " | ".join(cells) + f" | {row.fact} |")
        lines.append("")
    if doc.latency:
        lines += ["## Latency (this run's cluster; cloud load balancers differ)", ""]
        lines += ["| subject | path | p50 ms | p95 ms | p99 ms | req/s | p50 vs L4 |", "|---|---|---|---|---|---|---|"]
        for subject, m in doc.latency.items():
            for p in m.paths:
                lines.append(
                    f"| {subject} | {p.label} | {p.p50_ms:.2f} | {p.p95_ms:.2f} | {p.p99_ms:.2f} | "
                    f"{p.requests_per_second:.0f} | x{p.p50_ratio} (+{p.p50_overhead_ms:.2f} ms) |"
                )
        lines.append("")
    shown = (Verdict.DOES_NOT_HOLD, Verdict.ERROR, Verdict.NOT_CHECKABLE)
    reasons = [(row.id, c) for row in doc.claims for c in row.cells if c.verdict in shown]
    if reasons:
        lines += ["## Reasons", ""]
        for cid, c in reasons:
            lines.append(f"- {cid} ({c.subject}): {MARK[c.verdict]}: {normalise.stable(short(c.reason))}")
        lines.append("")
    if doc.conformance:
        lines += ["", conformance_render.render_markdown(list(doc.conformance))]
    return "\n".join(lines).rstrip() + "\n"
