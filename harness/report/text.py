"""What every rendering of the claims report says the same way: the verdict
labels, the status lines, the run lines, one line per evidence item."""

from __future__ import annotations

import json

from harness.report.document import ClaimsReport, RunState
from harness.results import normalise
from harness.results.model import EvidenceItem, Json, Transcript, Verdict

MARK = {
    Verdict.HOLDS: "holds",
    Verdict.DOES_NOT_HOLD: "DOES NOT HOLD",
    Verdict.ERROR: "ERROR",
    Verdict.NOT_CHECKABLE: "not checkable here",
    Verdict.NOT_RUN: "not run",
}
NOT_APPLICABLE = "–"


def status_lines(doc: ClaimsReport) -> list[str]:
    """What every format says first: errors of the harness, then a run that is not complete."""
    st = doc.status
    lines: list[str] = []
    if st.errors:
        lines.append(
            f"The harness could not do its job in {len(st.errors)} cell(s) (ERROR: not evidence against the guide; "
            "the run fails):"
        )
        lines += [f"{e.claim} on {e.subject}: {normalise.stable(short(e.why))}" for e in st.errors]
    if st.state is RunState.COMPLETE:
        if st.not_selected:
            lines.append(
                f"This run did not select {len(st.not_selected)} claim(s) (narrowed controllers or tests): "
                + ", ".join(st.not_selected)
            )
        return lines
    head = (
        "This run was INTERRUPTED: the report is partial."
        if st.state is RunState.INTERRUPTED
        else "This run is PARTIAL: some checks did not run."
    )
    lines.append(f"{head} {len(st.not_run)} check(s) did not run:")
    lines += [f"{e.claim} on {e.subject}: {e.why}" for e in st.not_run]
    if st.not_selected:
        lines.append(f"not selected in this run: {', '.join(st.not_selected)}")
    return lines


def run_lines(doc: ClaimsReport) -> list[str]:
    out = []
    for run in doc.runs:
        plain = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("controllers", run.controllers),
                ("kind", run.kind),
                ("kubernetes", run.kubernetes),
                ("node_image", run.node_image),
            )
            if v
        )
        nested = "; ".join(
            f"{k}: " + ", ".join(f"{kk} {vv}" for kk, vv in v.items())
            for k, v in (("addons", run.addons), ("client", run.client))
            if v
        )
        out.append("Run: " + plain + (f"; {nested}" if nested else ""))
    return out


def short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def transcript_line(t: Transcript) -> str:
    oks = [a for a in t.last if a.ok]
    streak = 0
    for a in reversed(t.last):
        if not a.ok:
            break
        streak += 1
    if not oks:
        seen = _json(t.last[-1].detail) if t.last else "nothing"
        return f"{t.check}: never held in {t.attempts} attempts; last seen: {seen}"
    last = _json(oks[-1].detail)
    if t.window_seconds is not None:
        return f"{t.check}: held throughout a {t.window_seconds:.0f}s observation; last: {last}"
    return f"{t.check}: held {streak} consecutive observation(s); last: {last}"


def evidence_line(item: EvidenceItem) -> str:
    """One line per evidence item (the HTML's summary; the JSON keeps everything)."""
    if item.transcript is not None:
        return normalise.stable(transcript_line(item.transcript))
    if item.latency is not None:
        paths = ", ".join(f"{p.label} p50 {p.p50_ms:.2f} ms" for p in item.latency.paths)
        return f"latency of {item.latency.subject}: {paths}"
    return normalise.stable(_json(item.data))


def _json(data: Json) -> str:
    return data if isinstance(data, str) else json.dumps(data, sort_keys=True, default=str)
