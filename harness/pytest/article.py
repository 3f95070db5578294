"""Article mode in the pytest plugin: the ``--article`` option (files,
directories, globs; repeatable; env ``ARTICLE``) and ``--article-include-root``,
the tests the suite ``suites/article/`` is parametrised with (one per chain
of snippets and subject, :class:`harness.article.batch.Unit`), where their
records go (one store per article), and at the end of the run one report
per article plus the index of the run.

Layout of ``<report-dir>``::

    articles/index.json  index.md  index.html  junit.xml   the run (schema article-index/v1)
    articles/<slug>/article-report.json .md .html junit.xml   one article
    articles/<slug>/evidence/...                              its failures' namespace dumps
    article-report.json .md .html                           a run of one article: its report again
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.article import batch, publish
from harness.article import report as article_report
from harness.article.index import INDEX_FILE, ArticleIndex
from harness.article.matrix import known_classes, matrix
from harness.options import UsageError
from harness.pytest.plugin import is_worker, options, run_id
from harness.results import store

ARTICLES = pytest.StashKey[list[Path]]()
ROOTS = pytest.StashKey[list[Path]]()
PLANNED = pytest.StashKey[dict[tuple[str, ...], list[batch.Article]]]()
WRITTEN = pytest.StashKey[Path]()
CHECKED = pytest.StashKey[bool]()
PLACEHOLDER = [str(ipaddress.ip_address(int(ipaddress.ip_address("10.254.0.1")) + i)) for i in range(256)]


@dataclass(frozen=True)
class Case:
    article: int
    key: int
    subject: str
    id: str


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("exposure-harness")
    g.addoption(
        "--article",
        action="append",
        default=None,
        help="a Markdown article (or a directory of them, or a glob) whose YAML snippets to check as written; "
        "repeatable (env ARTICLE: one); suites/article runs them, writing a report per article and an index",
    )
    g.addoption(
        "--article-include-root",
        action="append",
        default=None,
        help="where an article's includes resolve (its docs repository's checkout; repeatable: each article "
        "takes the deepest root holding it; default: the article's repository root)",
    )


def pytest_configure(config: pytest.Config) -> None:
    raw = config.getoption("article", None) or ([os.environ["ARTICLE"]] if os.environ.get("ARTICLE") else [])
    here = Path(config.invocation_params.dir)
    try:
        paths = batch.select(list(raw), cwd=here) if raw else []
    except batch.SelectionError as exc:
        raise UsageError(f"--article {exc}") from None
    roots = []
    for r in config.getoption("article_include_root", None) or []:
        p = Path(r) if Path(r).is_absolute() else here / r
        if not p.is_dir():
            raise UsageError(f"--article-include-root {r}: no such directory")
        roots.append(p.resolve())
    config.stash[ARTICLES] = paths
    config.stash[ROOTS] = roots


def article_paths(config: pytest.Config) -> list[Path]:
    return config.stash.get(ARTICLES, [])


def article_path(config: pytest.Config) -> Path | None:
    """The first article of the run (None: article mode is off)."""
    paths = article_paths(config)
    return paths[0] if paths else None


def subjects(config: pytest.Config) -> list[Any]:
    return matrix(list(options(config).controllers))


def planned(config: pytest.Config, reserved: list[str] | None = None) -> list[batch.Article]:
    """Every article of the run planned (cached per process); ``reserved``:
    the addresses the cluster sets aside for what articles request (before
    the cluster is known, a placeholder: the tests are the same)."""
    key = tuple(reserved) if reserved is not None else ("placeholder",)
    cache = config.stash.setdefault(PLANNED, {})
    if key not in cache:
        from harness.lab.addons.metallb import POOL

        cache[key] = batch.plan_run(
            article_paths(config),
            config.stash.get(ROOTS, []),
            subjects(config),
            known_classes(),
            reserved=list(reserved) if reserved is not None else PLACEHOLDER,
            pools=(POOL,),
            base=Path(config.invocation_params.dir),
        )
    return cache[key]


def cases(config: pytest.Config) -> list[Case]:
    """One test per chain of snippets and subject; the costliest first (the
    reader's paths, long chains), so that side by side the run ends sooner."""
    found = []
    for a in planned(config):
        for u in a.units:
            found.append((cost(a, u), Case(a.index, u.key, u.subject, f"{a.slug}-{u.id}")))
    return [c for _, c in sorted(found, key=lambda x: -x[0])]


def cost(a: batch.Article, u: batch.Unit) -> int:
    """A rough weight of a test: steps applied and checks made."""
    if u.key == batch.READER:
        r = a.readers[u.subject]
        return 2 * len(r.plans) + len(r.final.checks) + 10
    return sum(2 + len(p.checks) for _, p in a.plans(u))


def article_dir(config: pytest.Config, a: batch.Article) -> Path:
    return options(config).report_dir / "articles" / a.slug


# --------------------------------------------------------------------------
# the end of the run: a report per article and the index
# --------------------------------------------------------------------------


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if is_worker(config) or not article_paths(config):
        return
    config.stash[CHECKED] = not config.option.collectonly


@pytest.hookimpl(tryfirst=True)  # before the cluster is released (harness.pytest.session)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if is_worker(config) or not article_paths(config) or config.option.collectonly:
        return
    from harness.pytest.session import runs_suites

    if not runs_suites(config):
        return
    opts = options(config)
    rid = run_id(config)
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    articles = planned(config)
    verdicts, source = article_report.claim_verdicts_of(store.load(opts.report_dir, rid), opts.report_dir)
    run = {"controllers": ",".join(opts.controllers), "run": rid}
    docs = []
    for a in articles:
        d = article_dir(config, a)
        try:
            doc = article_report.build_article(
                a,
                store.load(d, rid),
                claims=verdicts if source else None,
                claims_source=source,
                run=run,
                interrupted=interrupted,
            )
        except Exception as exc:  # noqa: BLE001 - one article's report must not cost the others theirs
            text = f"the harness could not build this article's report: {type(exc).__name__}: {exc}"
            doc = article_report.ArticleReport(a.display, [], run=dict(run), error=text.splitlines()[0])
        publish.write(d, doc)
        shutil.rmtree(d / "results", ignore_errors=True)  # raw results: the report holds them now
        docs.append((a, doc))
    index = article_report.index_of(docs, run=run, seconds=time.monotonic() - _started(config))
    written = publish.write_index(opts.report_dir / "articles", index, [doc for _, doc in docs])
    if len(docs) == 1:
        publish.write(opts.report_dir, docs[0][1])  # a run of one article: also where it always went
        written = opts.report_dir / "article-report.md"
    config.stash[WRITTEN] = written
    _remove_reserved_pool(config)


def _started(config: pytest.Config) -> float:
    from harness.pytest.plugin import STARTED

    return config.stash.get(STARTED, time.monotonic())


def _remove_reserved_pool(config: pytest.Config) -> None:
    """The reserved pool the tests made (suites/article/conftest.py) goes with the run."""
    from harness.lab import cluster as clusters

    opts = options(config)
    state = clusters.read_state(opts)
    kubeconfig = opts.kubeconfig or (Path(str(state["kubeconfig"])) if state and state.get("kubeconfig") else None)
    if kubeconfig is None or not Path(kubeconfig).is_file():
        return
    try:
        from harness.checks.kube import Kube

        kube = Kube(Path(kubeconfig), opts.timeouts)
        kube.delete(batch.reserved_pool_objects(["127.0.0.1"]))
    except Exception as exc:  # noqa: BLE001 - the cluster may be gone already
        print(f"[harness] could not remove the article pool {batch.RESERVED_POOL}: {exc}".splitlines()[0])


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    written = config.stash.get(WRITTEN, None)
    if written:
        terminalreporter.write_sep("-", "article report")
        index = options(config).report_dir / "articles" / INDEX_FILE
        terminalreporter.write_line(f"{written} (and .json, .html); the run's index: {index}")
        try:
            import json

            doc = ArticleIndex.from_json(json.loads(index.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return
        for line in article_report.index_lines(doc):
            terminalreporter.write_line(line)
