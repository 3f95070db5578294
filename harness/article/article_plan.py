"""A whole article, planned without a cluster: what ``python -m harness
article --plan`` prints (text, or JSON with ``--json``).

Per snippet: the line it starts on (and every line an identical snippet
appears on), where it comes from, its objects with their lines, the
includes its text came from, its step in a chain of versions, and per
subject what the harness would supply and the checks it derives; for the
article: every include (resolved, unresolved, refused), every kubectl
command not checked, and the page's problems, each with its line.

The JSON document (schema ``exposure-harness/article-plan/v1``)::

    {"schema": "exposure-harness/article-plan/v1",
     "article": PATH, "include_root": PATH,
     "environment": {"pools": [NAME...], "addresses": "FIRST-LAST"},
     "summary": {"snippets": N, "bad snippets": N, "skipped": N, "objects": N,
                 "checks": {KIND: N}, "checkable": N, "not checkable": N, "unmet": N,
                 "includes": {"resolved": N, "unresolved": N, "refused": N},
                 "commands not checked": N, "problems": N, "harness errors": N},
     "snippets": [{"line": N, "lines": [N...], "origin": ORIGIN, "command": STR,
                   "objects": [{"kind": K, "name": N, "line": N}], "includes": [INCLUDE...],
                   "notes": [STR...], "chain": N|null, "step": N, "updates": [STR...],
                   "bad": STR, "skipped": STR, "harness_error": STR, "subjects": [STR...], "why_no_subject": STR,
                   "plans": [{"subject": STR, "objects": [STR...], "not_applied": [STR...],
                              "cluster_objects": [{"object", "applied", "reason", "subject"}],
                              "notes": [STR...], "hosts": [STR...],
                              "renames": [{"what", "name"}], "mapped_addresses": {REQUESTED: ADDRESS},
                              "supplied": {"backends": [{"service", "selector", "define_service",
                                                         "served_by_article", "pods_from",
                                                         "ports": [{"port", "name", "target", "protocol", "mode"}]}],
                                           "secrets": [{"name", "hosts"}],
                                           "gateways": [{"name", "listeners": [{"name", "protocol", "port"}]}],
                                           "pools": [{"name", "addresses"}]},
                              "checks": [CHECK...]}]}],
     "includes": [INCLUDE...], "commands": [{"line", "command", "reason"}],
     "problems": [{"line", "message"}]}

    INCLUDE = {"form", "path", "line", "status": "resolved"|"unresolved"|"refused", "file", "reason"}
    CHECK = {"object", "kind", "text", "target", "claim", "not_checkable", "unmet",
             "weights", "tolerance", "address": {"address", "among", "pool"}|null, "services",
             "rows": [{"label", "request": {"protocol", "host", "path", "method", "headers", "port",
                                             "payload_hex"?, "until_hex"?},
                       "response": {"status", "backend", "reached", "certificate", "seen_path",
                                    "seen_headers", "backend_tls", "redirect"}}]}

Fields are only added in later versions of the schema, never renamed or removed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.article import derive
from harness.article.environment import Allocator, Environment, default_environment
from harness.article.extract import CommandNote, Problem, Snippet, scan_file
from harness.article.includes import Include, Status, repository_root
from harness.article.model import Check, Plan, Subject, describe
from harness.article.steps import Step, steps
from harness.checks.rows import Expectation

SCHEMA = "exposure-harness/article-plan/v1"


@dataclass
class SnippetPlan:
    step: Step
    bad: str = ""
    skipped: str = ""  # YAML that is not Kubernetes objects (a fragment, Helm values): nothing to check
    harness_error: str = ""  # the derivation itself failed: an error of the harness, not of the article
    subjects: list[str] = field(default_factory=list)
    why_no_subject: str = ""
    plans: list[Plan] = field(default_factory=list)

    @property
    def snippet(self) -> Snippet:
        return self.step.snippet


@dataclass
class ArticlePlan:
    article: str
    include_root: str
    environment: Environment
    snippets: list[SnippetPlan] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    commands: list[CommandNote] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def checks(self) -> list[Check]:
        return [c for sp in self.snippets for p in sp.plans for c in p.checks]

    def include_counts(self) -> dict[str, int]:
        counts = Counter(i.status.value for i in self.includes)
        return {s.value: counts.get(s.value, 0) for s in Status}


def plan_article(
    path: Path,
    matrix: list[Subject],
    known: Mapping[str, Iterable[str]],
    *,
    include_root: Path | None = None,
    env: Environment | None = None,
) -> ArticlePlan:
    root = include_root if include_root is not None else repository_root(path)
    found = scan_file(path, root)
    environment = env if env is not None else default_environment()
    alloc = Allocator(environment)
    out = ArticlePlan(
        str(path),
        str(root),
        environment,
        includes=found.includes,
        commands=found.commands,
        problems=found.problems,
    )
    for st in steps(found.snippets):
        sp = SnippetPlan(st)
        out.snippets.append(sp)
        s = st.planned
        if not st.snippet.kubernetes:
            sp.skipped = st.snippet.error or "not Kubernetes YAML"
            continue
        bad = derive.bad_snippet(st.snippet) or (derive.bad_snippet(s) if s is not st.snippet else None)
        if bad:
            sp.bad = bad
            continue
        names, why = derive.subjects(s, matrix, known)
        sp.subjects, sp.why_no_subject = names, why
        for name in names:
            subject = next((m for m in matrix if m.name == name), None)
            try:
                sp.plans.append(derive.plan(s, subject, matrix, known, alloc, scope=f"L{st.chain or st.snippet.line}"))
            except Exception as exc:  # noqa: BLE001 - a harness error is said as such, never blamed on the article
                sp.harness_error = f"the harness failed to plan this snippet on {name}: {type(exc).__name__}: {exc}"
    return out


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------


def _include(i: Include) -> dict[str, Any]:
    return {
        "form": i.form.value,
        "path": i.path,
        "line": i.line,
        "status": i.status.value,
        "file": i.file,
        "reason": i.reason,
    }


def _row(e: Expectation) -> dict[str, Any]:
    rq, rs = e.request, e.response
    request: dict[str, Any] = {
        "protocol": rq.protocol,
        "host": rq.host,
        "path": rq.path,
        "method": rq.method,
        "headers": dict(rq.headers),
        "port": rq.port,
    }
    if rq.protocol in ("tcp", "udp"):
        request["payload_hex"] = rq.payload.hex()
        request["until_hex"] = rq.until.hex() if rq.until is not None else None
    status = list(rs.status) if isinstance(rs.status, tuple) else rs.status
    return {
        "label": e.label,
        "request": request,
        "response": {
            "status": status,
            "backend": rs.backend,
            "reached": rs.reached,
            "certificate": rs.certificate,
            "seen_path": rs.seen_path,
            "seen_headers": dict(rs.seen_headers),
            "backend_tls": rs.backend_tls,
            "redirect": rs.redirect,
        },
    }


def _check(c: Check) -> dict[str, Any]:
    return {
        "object": c.object,
        "kind": c.kind,
        "text": c.text,
        "target": c.target,
        "claim": c.claim,
        "not_checkable": c.not_checkable,
        "unmet": c.unmet,
        "weights": c.weights,
        "tolerance": c.tolerance,
        "address": (
            {"address": c.address.address, "among": list(c.address.among), "pool": c.address.pool}
            if c.address
            else None
        ),
        "services": list(c.services),
        "rows": [_row(r) for r in c.rows],
    }


def _plan(p: Plan) -> dict[str, Any]:
    return {
        "subject": p.subject,
        "objects": [describe(d) for d in p.objects],
        "not_applied": list(p.not_applied),
        "cluster_objects": [
            {"object": c.object, "applied": c.applied, "reason": c.reason, "subject": c.subject}
            for c in p.cluster_objects
        ],
        "notes": list(p.notes),
        "hosts": list(p.hosts),
        "renames": [{"what": r.what, "name": r.name} for r in p.renames],
        "mapped_addresses": dict(p.mapped_addresses),
        "supplied": {
            "backends": [
                {
                    "service": b.service,
                    "selector": dict(b.selector),
                    "define_service": b.define_service,
                    "served_by_article": b.served_by_article,
                    "pods_from": b.pods_from,
                    "ports": [
                        {"port": x.port, "name": x.name, "target": x.target, "protocol": x.protocol, "mode": x.mode}
                        for x in b.ports
                    ],
                }
                for b in p.backends
            ],
            "secrets": [{"name": s.name, "hosts": list(s.hosts)} for s in p.secrets],
            "gateways": [
                {"name": g.name, "listeners": [{"name": n, "protocol": pr, "port": po} for n, pr, po in g.listeners]}
                for g in p.gateways
            ],
            "pools": [{"name": x.name, "addresses": list(x.addresses)} for x in p.pools],
        },
        "checks": [_check(c) for c in p.checks],
    }


def _snippet(sp: SnippetPlan) -> dict[str, Any]:
    s, st = sp.snippet, sp.step
    lines = s.doc_lines or [s.line] * len(s.docs)
    return {
        "line": s.line,
        "lines": list(st.lines),
        "origin": s.origin.value,
        "command": s.command,
        "objects": [
            {"kind": str(d.get("kind")), "name": str((d.get("metadata") or {}).get("name")), "line": n}
            for d, n in zip(s.docs, lines, strict=False)
            if isinstance(d, dict) and s.kubernetes
        ],
        "includes": [_include(i) for i in s.includes],
        "notes": list(s.notes),
        "chain": st.chain or None,
        "step": st.step,
        "updates": list(st.updates),
        "bad": sp.bad,
        "skipped": sp.skipped,
        "harness_error": sp.harness_error,
        "subjects": list(sp.subjects),
        "why_no_subject": sp.why_no_subject,
        "plans": [_plan(p) for p in sp.plans],
    }


def summary(ap: ArticlePlan) -> dict[str, Any]:
    checks = ap.checks()
    return {
        "snippets": len(ap.snippets),
        "bad snippets": sum(1 for sp in ap.snippets if sp.bad),
        "skipped": sum(1 for sp in ap.snippets if sp.skipped),
        "objects": sum(len(sp.snippet.docs) for sp in ap.snippets if not sp.bad and not sp.skipped),
        "checks": dict(sorted(Counter(c.kind for c in checks).items())),
        "checkable": sum(1 for c in checks if not c.not_checkable and not c.unmet),
        "not checkable": sum(1 for c in checks if c.not_checkable),
        "unmet": sum(1 for c in checks if c.unmet),
        "includes": ap.include_counts(),
        "commands not checked": len(ap.commands),
        "problems": len(ap.problems),
        "harness errors": sum(1 for sp in ap.snippets if sp.harness_error),
    }


def as_json(ap: ArticlePlan) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "article": ap.article,
        "include_root": ap.include_root,
        "environment": {"pools": list(ap.environment.pools), "addresses": ap.environment.addresses},
        "summary": summary(ap),
        "snippets": [_snippet(sp) for sp in ap.snippets],
        "includes": [_include(i) for i in ap.includes],
        "commands": [{"line": c.line, "command": c.command, "reason": c.reason} for c in ap.commands],
        "problems": [{"line": p.line, "message": p.message} for p in ap.problems],
    }


# --------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------


def render(ap: ArticlePlan) -> str:
    sm = summary(ap)
    inc = sm["includes"]
    out = [
        f"plan of {ap.article} (include root {ap.include_root}; nothing is created)",
        f"{sm['snippets']} snippet(s), {sm['bad snippets']} bad, {sm['skipped']} not Kubernetes YAML; "
        f"{sm['objects']} object(s); "
        f"{len(ap.checks())} check(s): {sm['checkable']} checkable, {sm['not checkable']} not checkable here, "
        f"{sm['unmet']} known not to hold; includes: {inc['resolved']} resolved, {inc['unresolved']} unresolved, "
        f"{inc['refused']} refused; {sm['commands not checked']} command(s) not checked",
    ]
    for problem in ap.problems:
        out.append(f"line {problem.line}: {problem.message}")
    for sp in ap.snippets:
        s, st = sp.snippet, sp.step
        where = f"line {s.line}" + (f" (also {', '.join(map(str, st.lines[1:]))})" if len(st.lines) > 1 else "")
        chain = f", step {st.step} of the versions from line {st.chain}" if st.chain else ""
        out.append("")
        objects = ", ".join(s.objects()) if s.kubernetes else ""
        out.append(f"{where}: {s.origin.value}{chain}: {objects or '-'}")
        if s.command:
            out.append(f"  command: {' '.join(s.command.split())}")
        for i in s.includes:
            out.append(f"  {i.message()}")
        if st.updates:
            out.append(f"  updates: {', '.join(st.updates)}")
        for n in s.notes:
            out.append(f"  note: {n}")
        if sp.skipped:
            out.append(f"  skipped: {sp.skipped}")
            continue
        if sp.bad:
            out.append(f"  bad snippet: {sp.bad}")
            continue
        if sp.harness_error:
            out.append(f"  HARNESS ERROR: {sp.harness_error}")
        if not sp.subjects:
            out.append(f"  not checkable here: {sp.why_no_subject}")
        for p in sp.plans:
            out.append(f"  on {p.subject}:")
            supplied = [f"echo pods for {b.service}" for b in p.backends if not b.served_by_article and not b.pods_from]
            supplied += [f"Secret {x.name}" for x in p.secrets]
            supplied += [f"Gateway {g.name}" for g in p.gateways]
            supplied += [f"pool {x.name} ({', '.join(x.addresses)})" for x in p.pools]
            if supplied:
                out.append(f"    supplies: {', '.join(supplied)}")
            for n in p.not_applied:
                out.append(f"    not applied: {n}")
            for n in p.notes:
                out.append(f"    note: {n}")
            for c in p.checks:
                state = (
                    f" [not checkable: {c.not_checkable}]"
                    if c.not_checkable
                    else f" [does not hold: {c.unmet}]"
                    if c.unmet
                    else ""
                )
                out.append(f"    {c.kind}: {c.object}: {c.text}{state}")
                for r in c.rows:
                    out.append(f"      - {r.label or r.request.path}")
    for i in ap.includes:
        if i.status is not Status.RESOLVED:
            out.append(i.message())
    if ap.commands:
        out.append("")
        for note in ap.commands:
            out.append(f"line {note.line}: command not checked: {' '.join(note.command.split())} ({note.reason})")
    return "\n".join(out) + "\n"
