"""The article report and the index of a run as self-contained HTML pages
(inline CSS, nothing fetched): per snippet its lines, origin and objects,
its place among the versions of an object (the versions as steps), and per
subject each check's verdict with its evidence, the failed check's
expectation and what was seen, and ``diagnose``'s findings, on demand
(``<details>``)."""

from __future__ import annotations

import json
from html import escape

from harness.article.index import ArticleIndex, ArticleStatus
from harness.article.report import (
    NOTHING_TO_CHECK,
    REPORT,
    ArticleReport,
    SnippetReport,
    headline,
    status_of,
    step_label,
    where,
    why,
)
from harness.report.text import MARK
from harness.results.model import CheckRecord, FailedCheck, Outcome, Verdict

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;
color:#1b1f24;background:#fff}
h1{font-size:1.5em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
.status{border:2px solid #cf222e;background:#ffebe9;padding:.6em 1em;border-radius:6px}
.status.ok{border-color:#1a7f37;background:#dafbe1}.status.info{border-color:#8c959f;background:#f6f8fa}
.snippet{border:1px solid #d0d7de;border-radius:6px;padding:.2em 1em .8em;margin:1em 0}
.snippet.step{border-left:5px solid #0969da}
.steps{list-style:none;padding-left:0}.steps li{margin:.2em 0}
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:12px;border-radius:6px;margin:.3em 0}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 6px;
vertical-align:top;text-align:left}th{background:#f6f8fa}
td.v-holds{background:#dafbe1}td.v-does-not-hold{background:#ffcecb;font-weight:600}
td.v-error{background:#d8b9ff;font-weight:600}td.v-not-checkable-here{background:#eaeef2}td.v-not-run{background:#ffd8b5}
summary{cursor:pointer}details ul{margin:.3em 0;padding-left:1.2em}.small{font-size:12px;color:#57606a}
.diagnosis{border-left:4px solid #bf8700;background:#fff8c5;padding:.2em .8em;margin:.3em 0}
"""


def _cls(verdict: Verdict) -> str:
    return "v-" + verdict.value.replace(" ", "-")


def _json(value: object) -> str:
    return escape(json.dumps(value, sort_keys=True, default=str))


def _failed(f: FailedCheck) -> str:
    parts = [
        f"<li><b>failed check</b> ({escape(f.kind.value)}): {escape(f.check)}</li>",
        f"<li>expected: {escape(f.expected)}</li>" if f.expected else "",
        f"<li>seen: {escape(f.seen.text)}</li>",
        f"<li>look at: {escape(f.hint)}</li>" if f.hint else "",
    ]
    seen_misroutes = [m.text for m in f.misroutes]
    parts += [
        f"<li>misroute: {escape(text)}"
        + (f" ({seen_misroutes.count(text)} times)" if seen_misroutes.count(text) > 1 else "")
        + "</li>"
        for text in dict.fromkeys(seen_misroutes)
    ]
    if f.transcript is not None:
        shown = "".join(f"<li>#{a.n} {'ok' if a.ok else 'failed'}: {_json(a.detail)}</li>" for a in f.transcript.last)
        parts.append(f"<li>transcript ({f.transcript.attempts} attempts):<ul>{shown}</ul></li>")
    return "<ul>" + "".join(parts) + "</ul>"


def _evidence(c: CheckRecord) -> str:
    items = []
    for e in c.evidence:
        if e.transcript is not None:
            t = e.transcript
            last = "".join(f"<li>#{a.n} {'ok' if a.ok else 'failed'}: {_json(a.detail)}</li>" for a in t.last)
            items.append(f"<li>{escape(e.label)}: {t.attempts} observation(s), {t.failures} failed<ul>{last}</ul></li>")
        else:
            items.append(f"<li>{escape(e.label)}: <code>{_json(e.data)}</code></li>")
    return "<ul>" + "".join(items) + "</ul>" if items else ""


def _check_row(subject: str, c: CheckRecord) -> str:
    details = []
    if c.diagnosis:
        details.append(
            "<div class='diagnosis'><b>diagnosis</b><ul>"
            + "".join(f"<li>{escape(d)}</li>" for d in c.diagnosis)
            + "</ul></div>"
        )
    if c.failed is not None:
        details.append(_failed(c.failed))
    ev = _evidence(c)
    if ev:
        details.append(f"<details><summary>evidence</summary>{ev}</details>")
    claims = f" <span class='small'>(claim {escape(', '.join(c.claims))})</span>" if c.claims else ""
    return (
        f"<tr><td>{escape(subject)}</td><td>{escape(c.label)}{claims}</td>"
        f"<td class='{_cls(c.verdict)}'>{escape(MARK[c.verdict])}</td>"
        f"<td>{escape(why(c))}{''.join(details)}</td></tr>"
    )


def _snippet(snip: SnippetReport) -> str:
    s = snip.summary
    step = step_label(s)
    head = f"{escape(where(s))}: {escape(s.source)}"
    if s.objects:
        head += f" — {escape(', '.join(s.objects))}"
    out = [f"<div class='snippet{' step' if s.chain else ''}' id='L{s.line}'><h3>{head}</h3>"]
    if step:
        out.append(f"<p><b>{escape(step)}</b>: applied on top of the earlier steps, in one namespace</p>")
    notes = list(s.includes) + list(s.notes)
    if s.guide:
        notes.append(f"the guide's own YAML (manifests/{s.guide})")
    if notes:
        out.append("<ul class='small'>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    state = status_of(snip)
    if state or not snip.results:
        cls = "status" if s.harness_error else "status info"
        out.append(f"<p class='{cls}'>{escape(state or 'no result')}</p></div>")
        return "".join(out)
    rows = []
    subject_notes: list[str] = []
    for r in snip.results:
        if r.missing:
            rows.append(
                f"<tr><td>{escape(r.subject)}</td><td>-</td><td class='{_cls(Verdict.NOT_RUN)}'>not run</td>"
                f"<td>{escape(r.reason)}</td></tr>"
            )
            continue
        if r.outcome is Outcome.ERROR:
            rows.append(
                f"<tr><td>{escape(r.subject)}</td><td>-</td><td class='{_cls(Verdict.ERROR)}'>ERROR</td>"
                f"<td>{escape(r.reason)}</td></tr>"
            )
        if r.outcome is Outcome.NOT_CHECKABLE and not r.checks:
            rows.append(
                f"<tr><td>{escape(r.subject)}</td><td>-</td><td class='{_cls(Verdict.NOT_CHECKABLE)}'>"
                f"not checkable here</td><td>{escape(r.reason)}</td></tr>"
            )
        if r.outcome is Outcome.PASSED and not r.checks:
            rows.append(f"<tr><td>{escape(r.subject)}</td><td>-</td><td>-</td><td>{escape(NOTHING_TO_CHECK)}</td></tr>")
        rows += [_check_row(r.subject, c) for c in r.checks]
        subject_notes += [f"{r.subject}: {n}" for n in r.notes]
        if r.evidence_dir:
            subject_notes.append(f"{r.subject}: evidence (events, objects, logs) in {r.evidence_dir}")
        if r.seconds:
            subject_notes.append(f"{r.subject}: {r.seconds:.1f} s")
    out.append(
        "<table><tr><th>subject</th><th>check</th><th>verdict</th><th>what was seen / why</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    if subject_notes:
        out.append(
            "<details><summary>what the harness supplied and mapped</summary><ul class='small'>"
            + "".join(f"<li>{escape(n)}</li>" for n in dict.fromkeys(subject_notes))
            + "</ul></details>"
        )
    out.append("</div>")
    return "".join(out)


def _versions(doc: ArticleReport) -> str:
    chains: dict[int, list[SnippetReport]] = {}
    for snip in doc.snippets:
        if snip.summary.chain:
            chains.setdefault(snip.summary.chain, []).append(snip)
    if not chains:
        return ""
    out = ["<h2>Versions as steps</h2>"]
    for first, steps in chains.items():
        names = sorted({o for s in steps for o in s.summary.objects})
        out.append(f"<p>{escape(', '.join(names))}: {len(steps)} versions from line {first}</p><ol class='steps'>")
        for snip in steps:
            verdicts = [c.verdict for r in snip.results for c in r.checks]
            tally = ", ".join(f"{sum(1 for v in verdicts if v is x)} {MARK[x]}" for x in Verdict if x in verdicts)
            out.append(
                f"<li><a href='#L{snip.summary.line}'>step {snip.summary.step}, line {snip.summary.line}</a>"
                + (f" (updates {escape(', '.join(snip.summary.updates))})" if snip.summary.updates else "")
                + f": {escape(tally or status_of(snip) or 'no check')}</li>"
            )
        out.append("</ol>")
    return "".join(out)


def render_article(doc: ArticleReport) -> str:
    n = doc.counts
    failing = n[Verdict.DOES_NOT_HOLD] + n[Verdict.ERROR]
    cls = "status ok" if not failing and doc.status is not ArticleStatus.ERROR else "status"
    if doc.status is ArticleStatus.NO_YAML:
        cls = "status info"
    body = [
        f"<h1>Article report: {escape(doc.article)}</h1>",
        f"<p class='{cls}'>{escape(headline(doc))}</p>",
    ]
    if doc.interrupted:
        body.append("<p class='status'>This run was INTERRUPTED: the report is partial.</p>")
    if doc.error:
        body.append(f"<p class='status'>The harness could not read this article: {escape(doc.error)}</p>")
    if doc.status is ArticleStatus.NO_YAML:
        body.append("<p class='status info'><b>No YAML in this article</b>: nothing to check.</p>")
    facts = [f"{k}: {v}" for k, v in doc.run.items()]
    if doc.include_root:
        facts.append(f"include root: {doc.include_root}")
    if doc.environment:
        facts.append(f"addresses set aside for what it requests: {doc.environment}")
    if facts:
        body.append("<p class='small'>" + escape("; ".join(facts)) + "</p>")
    if doc.problems:
        body.append(
            "<h2>Problems of the page</h2><ul>"
            + "".join(f"<li>line {p.line}: {escape(p.text)}</li>" for p in doc.problems)
            + "</ul>"
        )
    if doc.inconsistencies or doc.reader:
        body.append(
            "<h2>The article as a reader follows it</h2><p class='small'>Every snippet applied in article order in "
            "one namespace, later ones updating earlier objects; then the checks of the state the article ends in "
            "(counted apart from the snippets' own).</p>"
        )
    if doc.inconsistencies:
        body.append(
            "<h3>Inconsistencies of the article</h3><ul>"
            + "".join(
                f"<li>{escape(i.kind)} {escape(i.name)} (lines {escape(', '.join(map(str, i.lines)))}): "
                f"{escape(i.text)}</li>"
                for i in doc.inconsistencies
            )
            + "</ul>"
        )
    if doc.reader:
        n = doc.reader_counts
        rows = []
        for r in doc.reader:
            if r.missing or r.outcome is Outcome.ERROR:
                v = Verdict.NOT_RUN if r.missing else Verdict.ERROR
                rows.append(
                    f"<tr><td>{escape(r.subject)}</td><td>-</td><td class='{_cls(v)}'>{escape(MARK[v])}</td>"
                    f"<td>{escape(r.reason)}</td></tr>"
                )
            rows += [_check_row(r.subject, c) for c in r.checks]
        body.append(
            f"<h3>Reader's path: {n[Verdict.HOLDS]} hold, {n[Verdict.DOES_NOT_HOLD]} do not hold, "
            f"{n[Verdict.NOT_CHECKABLE]} not checkable here, {n[Verdict.ERROR]} error</h3>"
            "<table><tr><th>subject</th><th>check</th><th>verdict</th><th>what was seen / why</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    body.append(_versions(doc))
    body.append("<h2>Snippets</h2>")
    body += [_snippet(s) for s in doc.snippets]
    if doc.commands:
        body.append(
            "<h2>Commands not checked</h2><ul>"
            + "".join(
                f"<li>line {c.line}: <code>{escape(c.text)}</code> ({escape(c.reason)})</li>" for c in doc.commands
            )
            + "</ul>"
        )
    if doc.includes:
        body.append(
            "<h2>Includes</h2><ul>"
            + "".join(
                f"<li>line {i.line}: {escape(i.form)} {escape(i.path)}: <b>{escape(i.status)}</b>"
                + (f" → {escape(i.file)}" if i.file else "")
                + (f" ({escape(i.reason)})" if i.reason else "")
                + "</li>"
                for i in doc.includes
            )
            + "</ul>"
        )
    if doc.comparison:
        compared = "".join(
            f"<tr><td>{c.line}</td><td>{escape(c.subject)}</td><td>{escape(c.claim)}</td><td>{escape(c.check)}</td>"
            f"<td>{escape(c.article.value if c.article else '-')}</td>"
            f"<td>{escape(c.claims.value if c.claims else '-')}</td>"
            f"<td>{ {True: 'yes', False: '<b>no</b>', None: '-'}[c.agrees] }</td><td>{escape(c.why)}</td></tr>"
            for c in doc.comparison
        )
        body.append(
            f"<h2>Against the claims report</h2><p>Claims verdicts from {escape(doc.comparison_source)}.</p>"
            "<table><tr><th>line</th><th>subject</th><th>claim</th><th>check</th><th>article</th><th>claims</th>"
            f"<th>agrees</th><th>why they differ</th></tr>{compared}</table>"
        )
    return _page(f"Article report: {doc.article}", "".join(body))


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def render_index(index: ArticleIndex, docs: list[ArticleReport]) -> str:
    by_path = {d.article: d for d in docs}
    rows = []
    for e in index.entries:
        d = by_path.get(e.path)
        n = e.counts
        inc = d.include_counts if d else {"resolved": 0, "unresolved": 0}
        bad = n.get(Verdict.DOES_NOT_HOLD, 0) + n.get(Verdict.ERROR, 0)
        if bad or e.status is ArticleStatus.ERROR:
            cls = _cls(Verdict.DOES_NOT_HOLD)
        elif e.status is ArticleStatus.CHECKED and n.get(Verdict.HOLDS, 0):
            cls = _cls(Verdict.HOLDS)  # something held and nothing failed
        else:
            cls = _cls(Verdict.NOT_CHECKABLE)  # nothing checked: no YAML, nothing derived, not checkable, not run
        link = escape(f"{e.report}{REPORT}.html")
        rows.append(
            f"<tr><td><a href='{link}'>{escape(e.path)}</a></td><td class='{cls}'>{escape(e.status.value)}</td>"
            f"<td>{e.snippets} ({e.bad} bad)</td><td>{d.objects if d else 0}</td>"
            f"<td>{inc['resolved']}/{inc['unresolved']}</td><td>{d.derived if d else 0}</td>"
            f"<td>{n.get(Verdict.HOLDS, 0)}</td><td>{n.get(Verdict.DOES_NOT_HOLD, 0)}</td>"
            f"<td>{n.get(Verdict.NOT_CHECKABLE, 0)}</td><td>{n.get(Verdict.ERROR, 0)}</td>"
            f"<td>{e.seconds:.0f} s</td><td>{escape(e.reason)}</td></tr>"
        )
    held = sum(1 for e in index.entries if e.holds)
    run = "; ".join(f"{k}: {v}" for k, v in index.run.items())
    body = (
        "<h1>Articles checked</h1>"
        f"<p class='status {'ok' if held == len(index.entries) else ''}'>{len(index.entries)} article(s), {held} "
        f"without a failure, in {index.seconds:.0f} s.</p><p class='small'>{escape(run)}</p>"
        "<table><tr><th>article</th><th>status</th><th>snippets</th><th>objects</th>"
        "<th>includes resolved/unresolved</th><th>checks derived</th><th>hold</th><th>do not hold</th>"
        "<th>not checkable</th><th>error</th><th>time</th><th>reason</th></tr>" + "".join(rows) + "</table>"
    )
    return _page("Articles checked", body)
