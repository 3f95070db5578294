"""The "conformance" section of the reports, from :class:`~.model.ConformanceRun`
records alone (pure functions: no cluster, no files).

Per implementation and suite: each profile (or feature file) with what passed,
failed and was skipped here, beside the figures the implementation publishes
for the same suite version; every test that differs from the published
report, with its reason and evidence; the run's set-up and where each flag
comes from. :func:`findings` turns a failure that touches a claim of the guide
into a finding linked to that claim.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from harness.conformance.model import Case, ConformanceRun, Outcome

SCHEMA = "exposure-harness/conformance-report/v1"


class ClaimLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def quote(self) -> str: ...


@dataclass(frozen=True)
class ConformanceFinding:
    title: str
    text: str
    claim: str  # the claim id (harness/claims.yaml) the finding is pinned on: the first the tests touch
    implementation: str
    cases: tuple[str, ...]  # upstream test or scenario names
    claims: tuple[str, ...] = ()  # every claim those tests touch, ``claim`` first


@dataclass(frozen=True)
class Difference:
    case: str
    here: str  # what happened here, with the reason
    published: str  # what the published report says of it
    evidence: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# what differs
# ---------------------------------------------------------------------------


def counts(run: ConformanceRun) -> tuple[int, int, int, int]:
    return (
        run.count(Outcome.PASSED),
        run.count(Outcome.FAILED),
        run.count(Outcome.SKIPPED),
        run.count(Outcome.NOT_APPLICABLE),
    )


def differences(run: ConformanceRun) -> list[Difference]:
    """The cases that differ from the published report (with no published
    report: the cases that failed or were skipped here)."""
    pub = run.published
    out: list[Difference] = []
    for c in run.cases:
        if pub is None:
            if c.outcome in (Outcome.FAILED, Outcome.SKIPPED):
                out.append(Difference(c.name, _here(c), "no published report", c.evidence))
            continue
        if c.outcome is Outcome.FAILED and c.name not in pub.failed_tests:
            said = "skipped" if c.name in pub.skipped_tests else "not failed (counted passed)"
            out.append(Difference(c.name, _here(c), said, c.evidence))
        elif c.outcome is Outcome.SKIPPED and c.name not in pub.skipped_tests:
            said = "failed" if c.name in pub.failed_tests else "not skipped (counted passed)"
            out.append(Difference(c.name, _here(c), said, c.evidence))
        elif c.outcome is Outcome.PASSED and (c.name in pub.failed_tests or c.name in pub.skipped_tests):
            said = "failed" if c.name in pub.failed_tests else "skipped"
            out.append(Difference(c.name, _here(c), said, c.evidence))
    return out


def count_gap(run: ConformanceRun) -> str:
    """The published figures against ours when they differ, else ''."""
    pub = run.published
    if pub is None or not run.cases:
        return ""
    passed, failed, skipped, _ = counts(run)
    if (passed, failed, skipped) == (pub.passed, pub.failed, pub.skipped):
        return ""
    return (
        f"here {passed} passed, {failed} failed, {skipped} skipped; published ({pub.version}) "
        f"{pub.passed} passed, {pub.failed} failed, {pub.skipped} skipped"
    )


def verdict(run: ConformanceRun) -> str:
    if run.not_run:
        return f"not run: {run.not_run}"
    if not run.cases:
        return "no test recorded"
    if run.cases and all(c.outcome is Outcome.NOT_APPLICABLE for c in run.cases) and run.published is None:
        return "not claimed: no test of it ran"
    if run.published is None:
        return "no published report" + (f"; {run.count(Outcome.FAILED)} failed" if run.count(Outcome.FAILED) else "")
    n = len(differences(run))
    if n == 0 and not count_gap(run):
        return "as published"
    return f"differs ({n} test{'s' if n != 1 else ''})" if n else "differs (counts)"


def _here(c: Case) -> str:
    return c.outcome.value + (f": {c.reason}" if c.reason else "")


def _groups(runs: Iterable[ConformanceRun]) -> list[tuple[tuple[str, str], list[ConformanceRun]]]:
    groups: dict[tuple[str, str], list[ConformanceRun]] = {}
    for r in runs:
        groups.setdefault((r.implementation, r.suite), []).append(r)
    return [(k, groups[k]) for k in sorted(groups)]


def _published_cell(run: ConformanceRun) -> str:
    p = run.published
    if p is None:
        return "none"
    return f"{p.passed} / {p.failed} / {p.skipped} ({p.version})"


# ---------------------------------------------------------------------------
# findings
# ---------------------------------------------------------------------------


def findings(runs: Iterable[ConformanceRun], catalog_claims: Iterable[ClaimLike]) -> list[ConformanceFinding]:
    """One finding per implementation and set of guide claims that failed
    upstream tests touch (the tests' ``claims``), naming every such test and
    pinned on the first claim: one failure touching three claims is one
    finding that names the three, not three findings."""
    quotes = {c.id: c.quote for c in catalog_claims}
    grouped: dict[tuple[str, tuple[str, ...]], list[tuple[ConformanceRun, Case]]] = {}
    for run in runs:
        for case in run.cases:
            if case.outcome is Outcome.FAILED and case.claims:
                grouped.setdefault((run.implementation, tuple(case.claims)), []).append((run, case))
    out = []
    for (impl, claims), hits in sorted(grouped.items()):
        claim, others = claims[0], claims[1:]
        names = tuple(dict.fromkeys(c.name for _, c in hits))
        suites = ", ".join(sorted({r.suite for r, _ in hits}))
        quote = quotes.get(claim)
        said = f"The guide says “{quote}”" if quote else f"Claim {claim} (not in the catalog)"
        reasons = "; ".join(f"{c.name} ({r.profile}): {c.reason}" for r, c in hits)
        also = f" The same tests also check: {', '.join(others)}." if others else ""
        out.append(
            ConformanceFinding(
                title=f"{impl} fails upstream conformance tests that check claim {claim}",
                text=f"{said}. Upstream's conformance suite ({suites}) fails on {impl}: {reasons}.{also}",
                claim=claim,
                implementation=impl,
                cases=names,
                claims=claims,
            )
        )
    return out


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(runs: list[ConformanceRun]) -> str:
    lines = ["## Conformance: upstream suites on the implementations built here", ""]
    if not runs:
        return "\n".join([*lines, "No conformance run recorded.", ""])
    for (impl, suite), group in _groups(runs):
        lines += [f"### {impl}: {suite}", ""]
        pubs = {r.published.source for r in group if r.published}
        if pubs:
            lines += ["Published: " + "; ".join(sorted(pubs)), ""]
        lines += [
            "| profile | passed | failed | skipped | not applicable | published: passed / failed / skipped | "
            "time | compared |",
            "|---|---:|---:|---:|---:|---|---:|---|",
        ]
        for r in group:
            n_pass, n_fail, n_skip, n_na = counts(r)
            lines.append(
                f"| {_md(r.profile)} | {n_pass} | {n_fail} | {n_skip} | {n_na} | {_published_cell(r)} | "
                f"{r.seconds:.0f} s | {verdict(r)} |"
            )
        lines.append("")
        diffs = [(r, d) for r in group for d in differences(r)]
        gaps = [(r, count_gap(r)) for r in group if count_gap(r)]
        if diffs or gaps:
            lines += ["Differences from the published report:", ""]
            for r, d in diffs:
                ev = f" Evidence: `{_md(' / '.join(d.evidence[-3:]))}`" if d.evidence else ""
                lines.append(f"- **{_md(d.case)}** ({_md(r.profile)}): {_md(d.here)}; published: {d.published}.{ev}")
            for r, gap in gaps:
                lines.append(f"- {_md(r.profile)} counts: {gap}")
            lines.append("")
        elif not any(r.not_run for r in group):
            lines += ["Every test as published.", ""]
        not_run = [r for r in group if r.not_run]
        if not_run:
            lines += [f"- {_md(r.profile)}: not run: {_md(r.not_run)}" for r in not_run]
            lines.append("")
        not_applicable = [(r, c) for r in group for c in r.cases if c.outcome is Outcome.NOT_APPLICABLE]
        if not_applicable:
            reasons = sorted({c.reason for _, c in not_applicable})
            lines += [
                f"Not applicable ({len(not_applicable)}): not claimed by the implementation, so not run by the suite.",
                "",
            ]
            lines += [f"- {_md(x)}" for x in reasons[:6]]
            lines.append("")
        notes = list(dict.fromkeys(n for r in group for n in r.notes))
        files = sorted({r.report_file for r in group if r.report_file})
        lines += ["<details><summary>Set-up and sources</summary>", ""]
        lines += [f"- {_md(n)}" for n in notes]
        lines += [f"- the suite's own report: `{f}`" for f in files]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# HTML (a fragment: one section, inline styles, no external assets)
# ---------------------------------------------------------------------------

_TABLE = "border-collapse:collapse;margin:0.5em 0;font-size:0.95em"
_CELL = "border:1px solid #bbb;padding:0.25em 0.5em;text-align:left;vertical-align:top"
_NUM = _CELL + ";text-align:right"
_OK = "background:#e6f4ea"
_BAD = "background:#fce8e6"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(runs: list[ConformanceRun]) -> str:
    out = [
        '<section id="conformance" style="margin:1.5em 0">',
        "<h2>Conformance: upstream suites on the implementations built here</h2>",
    ]
    if not runs:
        out += ["<p>No conformance run recorded.</p>", "</section>"]
        return "\n".join(out)
    for (impl, suite), group in _groups(runs):
        out.append(f"<h3>{_e(impl)}: {_e(suite)}</h3>")
        pubs = sorted({r.published.source for r in group if r.published})
        if pubs:
            out.append(f"<p>Published: {_e('; '.join(pubs))}</p>")
        head = (
            "profile",
            "passed",
            "failed",
            "skipped",
            "not applicable",
            "published: passed / failed / skipped",
            "time",
            "compared",
        )
        out.append(f'<table style="{_TABLE}"><thead><tr>')
        out += [f'<th style="{_CELL};background:#f2f2f2">{_e(h)}</th>' for h in head]
        out.append("</tr></thead><tbody>")
        for r in group:
            figures = counts(r)
            v = verdict(r)
            tone = _OK if v == "as published" else _BAD if (figures[1] or v.startswith("differs")) else ""
            out.append(f'<tr style="{tone}">')
            out.append(f'<td style="{_CELL}">{_e(r.profile)}</td>')
            out += [f'<td style="{_NUM}">{n}</td>' for n in figures]
            out.append(f'<td style="{_CELL}">{_e(_published_cell(r))}</td>')
            out.append(f'<td style="{_NUM}">{r.seconds:.0f} s</td>')
            out.append(f'<td style="{_CELL}">{_e(v)}</td></tr>')
        out.append("</tbody></table>")
        diffs = [(r, d) for r in group for d in differences(r)]
        gaps = [(r, count_gap(r)) for r in group if count_gap(r)]
        if diffs or gaps:
            out.append("<p>Differences from the published report:</p><ul>")
            for r, d in diffs:
                ev = ""
                if d.evidence:
                    ev = (
                        '<details><summary>evidence</summary><pre style="white-space:pre-wrap;font-size:0.85em">'
                        + _e("\n".join(d.evidence))
                        + "</pre></details>"
                    )
                out.append(
                    f"<li><strong>{_e(d.case)}</strong> ({_e(r.profile)}): {_e(d.here)}; "
                    f"published: {_e(d.published)}.{ev}</li>"
                )
            out += [f"<li>{_e(r.profile)} counts: {_e(gap)}</li>" for r, gap in gaps]
            out.append("</ul>")
        elif not any(r.not_run for r in group):
            out.append("<p>Every test as published.</p>")
        not_run = [r for r in group if r.not_run]
        if not_run:
            out.append("<ul>")
            out += [f"<li>{_e(r.profile)}: not run: {_e(r.not_run)}</li>" for r in not_run]
            out.append("</ul>")
        notes = list(dict.fromkeys(n for r in group for n in r.notes))
        files = sorted({r.report_file for r in group if r.report_file})
        out.append("<details><summary>Set-up and sources</summary><ul>")
        out += [f"<li>{_e(n)}</li>" for n in notes]
        out += [f"<li>the suite's own report: <code>{_e(f)}</code></li>" for f in files]
        out.append("</ul></details>")
    out.append("</section>")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def report_json(runs: list[ConformanceRun], catalog_claims: Iterable[ClaimLike]) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda r: (r.implementation, r.suite, r.profile))
    return {
        "schema": SCHEMA,
        "runs": [
            {
                **r.to_json(),
                "compared": verdict(r),
                "differences": [asdict(d) for d in differences(r)],
            }
            for r in ordered
        ],
        "findings": [asdict(f) for f in findings(ordered, catalog_claims)],
    }
