"""``python -m harness article PATH...``: articles checked on one kind
cluster, with the options of the e2e. ``PATH`` is a Markdown file, a
directory (its Markdown files) or a glob; ``--changed-since REF`` keeps only
the Markdown files that changed since that git ref. Articles are checked
side by side (pytest-xdist workers) in namespaces of their own; each gets a
report in ``<report-dir>/articles/<slug>/`` and the run an index
(``articles/index.json``, ``.md``, ``.html``, ``junit.xml``); a run of one
article also writes ``<report-dir>/article-report.md`` (and ``.json``, ``.html``).

``python -m harness article --plan PATH... [--json] [--include-root DIR]``
creates nothing and needs no Docker: it prints what would be checked (per
snippet its lines, objects, includes, what the harness would supply, the
checks derived; :mod:`.article_plan`), as text or as the JSON document of
schema ``exposure-harness/article-plan/v1`` (a JSON list of them for several
articles).

Exit status: 0 when every check holds or is not checkable here (or nothing
changed since ``--changed-since``), 1 when a check does not hold or the
harness failed on a snippet, 2 for bad input (a path that matches no
Markdown file, a git ref that does not exist, an unknown controller), and
pytest's own status when the harness itself failed (a cluster that does not
come up); with ``--plan``, 0 once planned, 1 when the harness failed to plan
a snippet (its own error, said per snippet), 2 for an article that cannot be
read."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness import paths
from harness.options import CONTROLLERS


class _Parser(argparse.ArgumentParser):
    """Arguments after ``--`` go to pytest as they are (``pytest_args``); the rest are this command's."""

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        own = list(sys.argv[1:] if args is None else args)
        extra: list[str] = []
        if "--" in own:
            i = own.index("--")
            own, extra = own[:i], own[i + 1 :]
        ns = super().parse_args(own, namespace)
        ns.pytest_args = extra
        return ns


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m harness article", description=__doc__.split("\n\n")[0])
    p.add_argument("article", nargs="*", help="Markdown files, directories of them, or globs")
    p.add_argument("--changed-since", metavar="REF", help="only the Markdown files that changed since this git ref")
    p.add_argument("--plan", action="store_true", help="print what would be checked; create nothing")
    p.add_argument("--json", action="store_true", help="with --plan: the plan as JSON")
    p.add_argument(
        "--include-root",
        action="append",
        default=[],
        help="where includes resolve: the docs repository's checkout (repeatable: each article takes the deepest "
        "root holding it; default: the article's repository root)",
    )
    p.add_argument("--controllers", default=",".join(CONTROLLERS), help="comma-separated controllers to check")
    p.add_argument("--kubeconfig", help="use an existing cluster")
    p.add_argument("--keep-cluster", action="store_true", help="keep the kind cluster after the run")
    p.add_argument("--cluster-name", help="kind cluster name")
    p.add_argument("--images-dir", help="image archives from `make images` (offline)")
    p.add_argument("--report-dir", default="reports", help="where the reports go (default: reports)")
    p.add_argument("--workers", default="4", help="pytest-xdist workers: tests run side by side (default 4)")
    p.epilog = "Arguments after -- go to pytest."
    return p


def command(a: argparse.Namespace, articles: list[Path] | None = None) -> list[str]:
    files = articles if articles is not None else [Path(x) for x in a.article]
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(paths.ARTICLE_SUITE),
        # the suites' settings and conftest (the checkout's, or the installed package's copy);
        # what the run writes goes under the work root (the checkout, or the current directory)
        "-c",
        str(paths.PYTEST_SETTINGS),
        f"--rootdir={paths.work_root()}",
        "-p",
        "no:cacheprovider",
        *(f"--article={Path(f).resolve()}" for f in files),
        *(f"--article-include-root={Path(r).resolve()}" for r in a.include_root),
        f"--controllers={a.controllers}",
        f"--report-dir={a.report_dir}",
    ]
    if a.workers and a.workers != "0":
        cmd += ["-n", a.workers, "--dist", "worksteal"]  # tests of very different lengths: idle workers take more
    if a.kubeconfig:
        cmd.append(f"--kubeconfig={Path(a.kubeconfig).resolve()}")
    if a.keep_cluster:
        cmd.append("--keep-cluster")
    if a.cluster_name:
        cmd.append(f"--cluster-name={a.cluster_name}")
    if a.images_dir:
        cmd.append(f"--images-dir={Path(a.images_dir).resolve()}")
    extra = [x for x in a.pytest_args if x != "--"]
    return cmd + extra


def _roots(a: argparse.Namespace) -> list[Path] | None:
    roots = [Path(r) for r in a.include_root]
    for r in roots:
        if not r.is_dir():
            print(f"harness article: --include-root {r}: no such directory", file=sys.stderr)
            return None
    return roots


def plan(a: argparse.Namespace, articles: list[Path], roots: list[Path]) -> int:
    from harness.article.article_plan import as_json, plan_article, render
    from harness.article.batch import include_root_for
    from harness.article.matrix import known_classes, matrix

    subjects, known = matrix([c for c in a.controllers.split(",") if c]), known_classes()
    docs = []
    failed = 0
    for path in articles:
        try:
            ap = plan_article(path, subjects, known, include_root=include_root_for(path, roots))
        except (OSError, UnicodeDecodeError) as exc:
            print(f"harness article: {path}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
            return 2
        failed += sum(1 for sp in ap.snippets if sp.harness_error)
        if a.json:
            docs.append(as_json(ap))
        else:
            sys.stdout.write(render(ap))
    if a.json:
        json.dump(docs[0] if len(docs) == 1 else docs, sys.stdout, indent=1)
        sys.stdout.write("\n")
    if failed:
        print(f"harness article: the harness failed to plan {failed} snippet(s) (see above)", file=sys.stderr)
        return 1
    return 0


def _report_dir(a: argparse.Namespace) -> Path:
    report = Path(a.report_dir)
    return report if report.is_absolute() else paths.work_root() / report


def _nothing_changed(a: argparse.Namespace) -> int:
    """No article to check: an empty index says so (a pull request that changed no article)."""
    from harness.article.index import INDEX_FILE, ArticleIndex

    out = _report_dir(a) / "articles"
    out.mkdir(parents=True, exist_ok=True)
    index = ArticleIndex([], run={"changed since": a.changed_since or "", "controllers": a.controllers})
    (out / INDEX_FILE).write_text(json.dumps(index.to_json(), indent=2) + "\n", encoding="utf-8")
    print(f"harness article: no Markdown file changed since {a.changed_since}; nothing to check ({out / INDEX_FILE})")
    return 0


def main(argv: list[str]) -> int:
    from harness.article.batch import SelectionError, select

    a = parser().parse_args(argv)
    lost = paths.missing()
    if lost:
        print(
            f"harness article: the harness's data are missing ({lost[0]}): reinstall it from its wheel", file=sys.stderr
        )
        return 2
    controllers = [c for c in a.controllers.split(",") if c]
    unknown = [c for c in controllers if c not in CONTROLLERS]
    if unknown:
        print(f"harness article: unknown controller(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    if not a.article and not a.changed_since:
        print("harness article: name a Markdown file, a directory or a glob (or --changed-since REF)", file=sys.stderr)
        return 2
    roots = _roots(a)
    if roots is None:
        return 2
    try:
        articles = select(list(a.article), changed_since=a.changed_since)
    except SelectionError as exc:
        print(f"harness article: {exc}", file=sys.stderr)
        return 2
    if not articles:
        return _nothing_changed(a)
    if a.plan:
        return plan(a, articles, roots)
    print(f"harness article: {len(articles)} article(s) on {', '.join(controllers)}", flush=True)
    code = subprocess.run(command(a, articles), cwd=paths.work_root()).returncode
    if code != 0:
        return code
    from harness.article.index import INDEX_FILE, ArticleIndex, IndexError_

    try:
        index = ArticleIndex.from_json(json.loads((_report_dir(a) / "articles" / INDEX_FILE).read_text()))
    except (OSError, ValueError, IndexError_):
        return code
    return 0 if all(e.holds for e in index.entries) else 1
