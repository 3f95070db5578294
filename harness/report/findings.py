"""Findings: what an editor must act on, derived from a report's results.

Each rule reads the report document (verdicts, the observations tests
recorded, the subjects' notices) and the catalog; nothing here is a
verdict of its own. Rules, in the order the report shows them:

- a claim that does not hold on a subject;
- risky YAML: a catalog entry's ``risk`` (an observation value that means the
  guide's snippet misbehaves) seen on a subject;
- behaviour that differs between subjects: the same observation topic with
  different values across subjects of one claim (a test records a failed
  check as the observation with ``evidence.observing(topic)``);
- staleness: a subject whose notice says it was retired upstream.

A finding about a claim carries the corrections the catalog has for it, with
their verdicts from the same run.
"""

from __future__ import annotations

import re
from typing import Any

from harness import claims as catalog
from harness.claims import Verdict


def _corrections(doc: dict[str, Any], claim_id: str) -> list[dict[str, Any]]:
    out = []
    for row in doc.get("corrections", []):
        if row.get("corrects") != claim_id:
            continue
        out.append(
            {
                "id": row["id"],
                "checks": row["checks"],
                "verdicts": {c["subject"]: c["verdict"] for c in row["results"]},
                "reasons": {c["subject"]: c["reason"] for c in row["results"] if c["reason"]},
                "observations": {c["subject"]: c.get("observations", {}) for c in row["results"]},
                "manifests": {s: m["path"] for s, m in row["manifests"].items()},
                "original": row["original"]["path"],
            }
        )
    return out


def _stable(text: str) -> str:
    from harness.report.document import _stable as stable

    return stable(text)


def _last_seen(reason: str) -> str:
    """The telling part of a failed check's reason ("status 400, wanted 200 from api-svc")."""
    m = re.search(r"last seen: (?:[A-Z]+ \S+: )?(.*)$", reason)
    return (m.group(1) if m else reason).strip()


def _known(cell: dict[str, Any]) -> str:
    return next((n.removeprefix("known refutation: ") for n in cell["notes"] if n.startswith("known refutation")), "")


def derive(doc: dict[str, Any]) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    rows = doc["claims"]

    # 1. claims that do not hold: one finding per failed check (subject and reason),
    #    naming every claim that rests on it
    failed: dict[tuple[str, str], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for row in rows:
        for cell in row["results"]:
            if cell["verdict"] == Verdict.DOES_NOT_HOLD.value:
                first = _last_seen(cell["reason"]).split("; ")[0]
                failed.setdefault((cell["subject"], first), []).append((row, cell))
    for (subject, _seen), hits in failed.items():
        row, cell = hits[0]
        known = _known(cell)
        also = [r["id"] for r, _ in hits[1:]]
        text = (
            f"The guide says “{row['quote']}”. Checked on {subject}: {row['checks']} "
            f"It does not hold: {_last_seen(cell['reason'])}."
        )
        if also:
            text += f" The same check also refutes, on {subject}: {', '.join(also)}."
        if known:
            text += f" Known since an earlier run: {known}"
        findings.append(
            {
                "kind": "does not hold",
                "title": f"Does not hold: {row['id']} on {subject}.",
                "text": text,
                "claim": row["id"],
                "claims": [r["id"] for r, _ in hits],
                "subjects": [subject],
                "corrections": _corrections(doc, row["id"]),
            }
        )

    # 2. risky YAML: an observation the catalog names as the snippet misbehaving
    for row in rows:
        risk = catalog.get(row["id"]).risk
        if not risk:
            continue
        risky: list[tuple[str, str]] = [
            (cell["subject"], topic)
            for cell in row["results"]
            for topic in risk["topics"]
            if cell.get("observations", {}).get(topic) == risk["equals"]
        ]
        if not risky:
            continue
        where = "; ".join(f"{s}: {t}" for s, t in risky)
        findings.append(
            {
                "kind": "risky YAML",
                "title": f"Risky YAML: {row['id']}.",
                "text": f"{' '.join(risk['says'].split())} Seen on this run ({risk['equals']!r}): {where}.",
                "claim": row["id"],
                "subjects": sorted({s for s, _ in risky}),
                "corrections": _corrections(doc, row["id"]),
            }
        )

    # 3. behaviour that differs between subjects: one finding per topic (a test
    #    checking several claims records its observations under each of them)
    done: set[str] = set()
    for row in rows:
        topics = sorted({t for cell in row["results"] for t in cell.get("observations", {})})
        for topic in topics:
            if topic in done:
                continue
            values: dict[str, str] = {}
            for cell in row["results"]:
                obs = cell.get("observations", {})
                if topic in obs:
                    values[cell["subject"]] = _stable(obs[topic])
            if len(set(values.values())) < 2:
                continue
            done.add(topic)
            listed = "; ".join(f"{s}: {v}" for s, v in values.items())
            findings.append(
                {
                    "kind": "controllers differ",
                    "title": f"Controllers differ: {topic}.",
                    "text": f"The guide's “{row['quote']}” ({row['id']}) behaves differently per controller. "
                    f"{topic}: {listed}. A reader following the guide gets one of these depending on the controller.",
                    "claim": row["id"],
                    "subjects": sorted(values),
                    "corrections": _corrections(doc, row["id"]),
                }
            )

    # 4. staleness: a subject retired upstream
    for subject, note in doc.get("subject_notes", {}).items():
        m = re.search(r"retired upstream in ([A-Z][a-z]+ \d{4})", note)
        if not m or subject not in doc["subjects"]:
            continue
        resting = sum(1 for row in rows for c in row["results"] if c["subject"] == subject)
        findings.append(
            {
                "kind": "stale",
                "title": f"Stale: {subject} was retired upstream in {m.group(1)}.",
                "text": f"{note.split(':')[0]}. The guide's YAML example and its NGINX recommendation target this "
                f"controller; {resting} verdict(s) in this report rest on it. An editor should say so, or point "
                "readers to a maintained controller (the other columns show how each behaves).",
                "claim": "",
                "subjects": [subject],
                "corrections": [],
            }
        )
    return findings
