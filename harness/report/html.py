"""The claims report as one self-contained HTML page an editor reads in a
browser: the run's status, findings (each with its corrected snippet beside
the original and the corrections' verdicts), the claim x subject matrix with
each cell's evidence on demand (``<details>``), the latency table and plot,
and the versions of everything installed. Inline CSS, the plot inline as a
``data:`` URI: the page fetches nothing."""

from __future__ import annotations

import base64
import json
from html import escape

from harness.conformance import render as conformance_render
from harness.report.document import SCHEMA, ClaimsReport, Finding, Manifest, Row
from harness.report.document import Cell as ReportCell
from harness.report.text import MARK, NOT_APPLICABLE, evidence_line, run_lines, status_lines
from harness.results.model import FailedCheck, Verdict

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;
color:#1b1f24;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
.status{border:2px solid #cf222e;background:#ffebe9;padding:.6em 1em;border-radius:6px}
.status.ok{border-color:#1a7f37;background:#dafbe1}
.finding{border-left:4px solid #bf8700;background:#fff8c5;padding:.5em 1em;margin:.8em 0;border-radius:0 6px 6px 0}
.finding.does-not-hold{border-color:#cf222e;background:#ffebe9}.finding.stale{border-color:#8250df;background:#fbefff}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:12px;border-radius:6px;margin:.3em 0}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 6px;
vertical-align:top;text-align:left}th{background:#f6f8fa;position:sticky;top:0}
td.v-holds{background:#dafbe1}td.v-does-not-hold{background:#ffcecb;font-weight:600}
td.v-error{background:#d8b9ff;font-weight:600}td.v-not-checkable-here{background:#eaeef2}td.v-not-run{background:#ffd8b5}
td.na{color:#8c959f;text-align:center}summary{cursor:pointer}details ul{margin:.3em 0;padding-left:1.2em}
.quote{color:#57606a;font-style:italic}.small{font-size:12px;color:#57606a}img{max-width:100%}
"""


def _cls(verdict: Verdict) -> str:
    return "v-" + verdict.value.replace(" ", "-")


def _failed_html(f: FailedCheck) -> str:
    parts = [
        f"<li><b>failed check</b> ({escape(f.kind.value)}): {escape(f.check)}</li>",
        f"<li>expected: {escape(f.expected)}</li>" if f.expected else "",
        f"<li>seen: {escape(f.seen.text)}</li>",
        f"<li>claims resting on it: {escape(', '.join(f.claims))}</li>" if f.claims else "",
        f"<li>look at: {escape(f.hint)}</li>" if f.hint else "",
    ]
    parts += [f"<li>misroute: {escape(m.text)}</li>" for m in f.misroutes]
    if f.transcript is not None:
        shown = "".join(
            f"<li>#{a.n} {'ok' if a.ok else 'failed'}: {escape(json.dumps(a.detail, sort_keys=True, default=str))}</li>"
            for a in f.transcript.last
        )
        parts.append(f"<li>transcript ({f.transcript.attempts} attempts):<ul>{shown}</ul></li>")
    return "<ul>" + "".join(parts) + "</ul>"


def _cell_html(cell: ReportCell) -> str:
    mark = escape(MARK[cell.verdict])
    body = []
    if cell.reason:
        body.append(f"<p>{escape(cell.reason)}</p>")
    body += [_failed_html(f) for f in cell.failed]
    if cell.observations:
        body.append(
            "<ul>"
            + "".join(f"<li><b>{escape(o.topic)}</b>: {escape(o.value)}</li>" for o in cell.observations)
            + "</ul>"
        )
    if cell.notes:
        body.append("<ul>" + "".join(f"<li>note: {escape(n)}</li>" for n in cell.notes) + "</ul>")
    if cell.evidence:
        body.append(
            "<ul>" + "".join(f"<li>{escape(e.label)}: {escape(evidence_line(e))}</li>" for e in cell.evidence) + "</ul>"
        )
    if cell.evidence_dirs:
        body.append(f"<p class='small'>failure evidence: {escape(', '.join(cell.evidence_dirs))}</p>")
    if cell.tests:
        body.append(f"<p class='small'>tests: {escape(', '.join(cell.tests))}</p>")
    if not body:
        return f"<td class='{_cls(cell.verdict)}'>{mark}</td>"
    return f"<td class='{_cls(cell.verdict)}'><details><summary>{mark}</summary>{''.join(body)}</details></td>"


def _plot(doc: ClaimsReport) -> str:
    lat = doc.latency
    if not lat:
        return "<p>No latency was measured in this run (the performance suite did not run).</p>"
    from harness.checks.latency import plot_png

    rows = "".join(
        f"<tr><td>{escape(s)}</td><td>{escape(p.label)}</td><td>{p.p50_ms:.2f}</td><td>{p.p95_ms:.2f}</td>"
        f"<td>{p.p99_ms:.2f}</td><td>{p.requests_per_second:.0f}</td><td>x{p.p50_ratio} "
        f"(+{p.p50_overhead_ms:.2f} ms)</td></tr>"
        for s, m in lat.items()
        for p in m.paths
    )
    png = base64.b64encode(plot_png(lat)).decode()
    threshold = next((r.threshold for r in doc.claims if r.threshold), None)
    th = (
        f"<p>Threshold for “small overhead” (from the catalog): p50 at most {threshold['p50_overhead_ms']} ms above "
        f"L4. {escape(' '.join(str(threshold.get('why', '')).split()))}</p>"
        if threshold
        else ""
    )
    return (
        "<p>Measured on this run's kind cluster (MetalLB L2, one machine): the same echo pods through their "
        "LoadBalancer Service (L4) and through each controller. Cloud load balancers' numbers differ.</p>"
        + th
        + "<table><tr><th>subject</th><th>path</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>req/s</th>"
        "<th>p50 vs L4</th></tr>"
        + rows
        + f"</table><p><img alt='latency per subject and path (p50 bars, p95 ticks)' src='data:image/png;base64,{png}'>"
        "</p>"
    )


def _finding(f: Finding, doc: ClaimsReport) -> str:
    kind = f.kind.value.replace(" ", "-")
    out = [f"<div class='finding {kind}'><p><b>{escape(f.title)}</b> {escape(f.text)}</p>"]
    corr_rows = {r.id: r for r in doc.corrections}
    for c in f.corrections:
        row = corr_rows.get(c.id)
        if row is None:
            continue
        verdicts = ", ".join(f"{s}: {MARK[v]}" for s, v in c.verdicts.items())
        out.append(f"<p>Correction <code>{escape(c.id)}</code>: {escape(c.checks)} Verdicts: {escape(verdicts)}.</p>")
        original = row.original or Manifest("", "")
        for text, subjects in _by_text(row.manifests).items():
            marks = ", ".join(MARK[c.verdicts.get(s, Verdict.NOT_RUN)] + " on " + s for s in subjects)
            out.append(
                "<div class='pair'><div><b>original</b> "
                f"(<code>{escape(original.path)}</code>)<pre>{escape(original.text)}</pre></div>"
                f"<div><b>corrected for {escape(', '.join(subjects))}</b> ({escape(marks)})"
                f"<pre>{escape(text)}</pre></div></div>"
            )
    out.append("</div>")
    return "".join(out)


def _by_text(manifests: dict[str, Manifest]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for subject, m in manifests.items():
        out.setdefault(m.text, []).append(subject)
    return out


def _versions(doc: ClaimsReport) -> str:
    rows = []
    for line in run_lines(doc):
        rows.append(f"<tr><td colspan='2'>{escape(line)}</td></tr>")
    for run in doc.runs:
        for group, versions in (("addons", run.addons), ("client", run.client)):
            rows += [
                f"<tr><td>{escape(group)}: {escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in versions.items()
            ]
    notes = "".join(f"<li><b>{escape(s)}</b>: {escape(n)}</li>" for s, n in doc.subject_notes.items())
    return f"<table>{''.join(rows)}</table><ul>{notes}</ul>"


def _mutants_html(row: Row) -> str:
    """The claim's mutants: each one's edit as a diff, and the failed check that killed it."""
    if not row.mutants:
        return f"<td class='na'>{NOT_APPLICABLE}</td>"
    killed, total = row.falsifiable
    cls = "v-holds" if killed == total else "v-does-not-hold"
    items = []
    for m in row.mutants:
        kill = _failed_html(m.failed) if m.failed is not None else ""
        items.append(
            f"<li><b>{escape(m.mutant)}</b> on {escape(m.subject)}: {escape(m.outcome.value)}. "
            f"{escape(m.reason)}<pre>{escape(m.diff)}</pre>{kill}</li>"
        )
    return (
        f"<td class='{cls}'><details><summary>{killed}/{total} killed</summary><ul>{''.join(items)}</ul></details></td>"
    )


def _matrix_row(row: Row, subjects: list[str], proven: bool) -> str:
    by = {c.subject: c for c in row.cells}
    cells = "".join(_cell_html(by[s]) if s in by else f"<td class='na'>{NOT_APPLICABLE}</td>" for s in subjects)
    if proven:
        cells += _mutants_html(row)
    return (
        f"<tr id='claim-{escape(row.id)}'><td><b>{escape(row.id)}</b><br><span class='small'>"
        f"{escape(row.section)}</span></td><td><span class='quote'>“{escape(row.quote)}”</span><br>"
        f"<span class='small'>checked: {escape(row.checks)}</span></td>{cells}</tr>"
    )


def render_html(doc: ClaimsReport) -> str:
    subjects = list(doc.subjects)
    status = status_lines(doc)
    if status and (doc.status.errors or doc.status.state.value != "complete"):
        st = (
            f"<div class='status' id='status'><b>{escape(status[0])}</b><ul>"
            + "".join(f"<li>{escape(x)}</li>" for x in status[1:])
            + "</ul></div>"
        )
    else:
        st = (
            "<div class='status ok' id='status'><b>Complete run: every selected check ran.</b>"
            + "".join(f"<p>{escape(x)}</p>" for x in status)
            + "</div>"
        )
    findings = "".join(_finding(f, doc) for f in doc.findings) or "<p>Nothing to act on.</p>"
    proven = any(row.mutants for row in doc.claims)
    head = (
        "<tr><th>claim</th><th>guide says</th>"
        + "".join(f"<th>{escape(s)}</th>" for s in subjects)
        + ("<th>proven falsifiable</th>" if proven else "")
        + "</tr>"
    )
    body = "".join(_matrix_row(row, subjects, proven) for row in doc.claims)
    facts = (
        "<h2 id='facts'>Set-up facts</h2><p>What this environment shows of these sentences; no change to the "
        "objects under test could make them false, so they are observed, not verdicts.</p>"
        "<table id='facts-table'><tr><th>fact</th><th>guide says</th>"
        + "".join(f"<th>{escape(s)}</th>" for s in subjects)
        + f"</tr>{''.join(_matrix_row(r, subjects, False) for r in doc.facts)}</table>"
        if doc.facts
        else ""
    )
    summary = ", ".join(f"{n} {escape(v.value)}" for v, n in doc.summary.items() if n)
    runs = "".join(f"<p class='small'>{escape(x)}</p>" for x in run_lines(doc))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Claims report: {escape(doc.guide)}</title><style>{CSS}</style></head><body>"
        f"<h1>Claims report</h1><p class='quote'>{escape(doc.guide)}</p>{st}{runs}"
        f"<h2 id='findings'>Findings ({len(doc.findings)})</h2>{findings}"
        f"<h2 id='matrix'>Claims × subjects</h2><p>{summary}. Click a verdict for its evidence. "
        f"{NOT_APPLICABLE}: the claim is not about that column. ERROR: the harness could not check it "
        "(never evidence against the guide).</p>"
        f"<table id='matrix-table'>{head}{body}</table>{facts}"
        f"<h2 id='latency'>Latency: L4 against L7</h2>{_plot(doc)}"
        f"{conformance_render.render_html(list(doc.conformance)) if doc.conformance else ''}"
        f"<h2 id='versions'>Versions</h2>{_versions(doc)}"
        f"<script type='application/json' id='report-schema'>{escape(json.dumps(SCHEMA))}</script>"
        "</body></html>\n"
    )
