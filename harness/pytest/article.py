"""Article mode in the pytest plugin: the ``--article`` option (env
``ARTICLE``), the (snippet, subject) cases the suite ``suites/article/`` is
parametrised with, and the article report at the end of the run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.article import derive, extract
from harness.article import report as article_report
from harness.lab.addons import CONTROLLER_ADDONS
from harness.options import UsageError
from harness.pytest.plugin import is_worker, options, run_id
from harness.results import store

ARTICLE = pytest.StashKey[Path | None]()
CASES = pytest.StashKey[list["Case"]]()
WRITTEN = pytest.StashKey[Path]()


@dataclass
class Case:
    snippet: extract.Snippet
    subject: str  # a controller, derive.LB_SUBJECT, derive.CLUSTER_SUBJECT, or "-" for a bad snippet
    bad: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.snippet.id}-{self.subject}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("exposure-harness").addoption(
        "--article",
        default=os.environ.get("ARTICLE") or None,
        help="a Markdown article whose YAML snippets to check as written (env ARTICLE); "
        "suites/article runs them, writing article-report.md",
    )


def pytest_configure(config: pytest.Config) -> None:
    raw = config.getoption("article", None)
    path = Path(raw).resolve() if raw else None
    if path is not None and not path.is_file():
        raise UsageError(f"--article {raw}: no such file")
    config.stash[ARTICLE] = path


def article_path(config: pytest.Config) -> Path | None:
    return config.stash.get(ARTICLE, None)


def matrix(config: pytest.Config) -> list[derive.Subject]:
    return [subject_of(CONTROLLER_ADDONS[name]) for name in options(config).controllers]


def subject_of(addon: Any) -> derive.Subject:
    return derive.Subject(
        name=addon.controller,
        ingress_class=addon.ingress_class,
        gateway_class=addon.gateway_class,
        gateway_ports=listener_ports(addon),
    )


def listener_ports(addon: Any) -> dict[str, tuple[int, int]] | None:
    """The addon's listener ports by Gateway API protocol name (HTTP, HTTPS,
    TLS, TCP, UDP): an HTTPS listener's port serves TLS passthrough too."""
    ports = getattr(addon, "gateway_ports", None)
    if not ports:
        return None
    out = {proto.upper(): pair for proto, pair in ports.items()}
    if "HTTPS" in out:
        out.setdefault("TLS", out["HTTPS"])
    return out


def known_classes() -> dict[str, list[str]]:
    return {
        "ingress": sorted({a.ingress_class for a in CONTROLLER_ADDONS.values() if a.ingress_class}),
        "gateway": sorted({a.gateway_class for a in CONTROLLER_ADDONS.values() if a.gateway_class}),
    }


def cases(config: pytest.Config) -> list[Case]:
    """Every snippet of the article on every subject that checks it; a bad
    snippet once, with its reason."""
    if CASES not in config.stash:
        path = article_path(config)
        config.stash[CASES] = article_cases(path, matrix(config)) if path is not None else []
    return config.stash[CASES]


def article_cases(path: Path, subjects: list[derive.Subject]) -> list[Case]:
    out: list[Case] = []
    for s in extract.extract_file(path):
        bad = derive.bad_snippet(s)
        if bad:
            out.append(Case(s, "-", bad=bad))
            continue
        names, why = derive.subjects(s, subjects, known_classes())
        if not names:
            out.append(Case(s, "-", bad=f"not checkable here: {why}"))
            continue
        out.extend(Case(s, n) for n in names)
    return out


def snippet_summaries(config: pytest.Config) -> list[article_report.SnippetSummary]:
    return summarize(cases(config), matrix(config))


def summarize(found: list[Case], subjects: list[derive.Subject]) -> list[article_report.SnippetSummary]:
    """Per snippet of the article: what the report prints besides the results."""
    by_line: dict[int, dict[str, Any]] = {}
    for c in found:
        entry = by_line.setdefault(
            c.snippet.line,
            {"snippet": c.snippet, "bad": c.bad, "subjects": [], "guide": None, "claims": set()},
        )
        if c.bad:
            continue
        entry["subjects"].append(c.subject)
        guide = sorted({g for g in (article_report.guide_manifest(d) for d in c.snippet.docs) if g})
        entry["guide"] = ", ".join(guide) if guide and len(guide) == len(c.snippet.docs) else None
        sub = next((m for m in subjects if m.name == c.subject), None)
        plan = derive.plan(c.snippet, sub, subjects, known_classes())
        entry["claims"] |= {ch.claim for ch in plan.checks if ch.claim}
    return [
        article_report.SnippetSummary(
            line=line,
            source=e["snippet"].source,
            objects=tuple(e["snippet"].objects()),
            bad=e["bad"],
            subjects=tuple(e["subjects"]),
            guide=e["guide"],
            claims=tuple(sorted(e["claims"])),
        )
        for line, e in sorted(by_line.items())
    ]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    path = article_path(config)
    if is_worker(config) or path is None:
        return
    opts = options(config)
    records = store.load(opts.report_dir, run_id(config))
    if not any(r.line is not None for r in records):
        return  # the suite did not run (collection only, or deselected)
    verdicts, source = article_report.claim_verdicts_of(records, opts.report_dir)
    doc = article_report.build(
        str(_display(path, Path(config.rootpath))),
        snippet_summaries(config),
        records,
        claims=verdicts if source else None,
        claims_source=source,
        run={"controllers": ",".join(opts.controllers)},
    )
    _, md = article_report.write(opts.report_dir, doc)
    config.stash[WRITTEN] = md


def _display(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    md = config.stash.get(WRITTEN, None)
    if md:
        terminalreporter.write_sep("-", "article report")
        terminalreporter.write_line(f"{md} (and {md.with_suffix('.json').name})")
