"""``python -m harness article PATH.md``: the article suite on a kind
cluster, with the options of the e2e; the report lands in
``<report-dir>/article-report.md``.

``python -m harness article --plan PATH... [--json] [--include-root DIR]``
creates nothing and needs no Docker: it prints what would be checked (per
snippet its lines, objects, includes, what the harness would supply, the
checks derived; :mod:`.article_plan`), as text or as the JSON document of
schema ``exposure-harness/article-plan/v1`` (a JSON list of them for several
articles).

Exit status: 0 when every check holds or is not checkable here, 1 when a
check does not hold, and pytest's own status when the harness itself failed
(bad options, a cluster that does not come up); with ``--plan``, 0 once
planned, 1 when the harness failed to plan a snippet (its own error, said
per snippet), 2 for an article that cannot be read."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.options import CONTROLLERS, ROOT


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
    p.add_argument("article", nargs="+", help="the Markdown file (several with --plan)")
    p.add_argument("--plan", action="store_true", help="print what would be checked; create nothing")
    p.add_argument("--json", action="store_true", help="with --plan: the plan as JSON")
    p.add_argument(
        "--include-root",
        help="where includes resolve: the docs repository's checkout (default: the article's repository root)",
    )
    p.add_argument("--controllers", default=",".join(CONTROLLERS), help="comma-separated controllers to check")
    p.add_argument("--kubeconfig", help="use an existing cluster")
    p.add_argument("--keep-cluster", action="store_true", help="keep the kind cluster after the run")
    p.add_argument("--cluster-name", help="kind cluster name")
    p.add_argument("--images-dir", help="image archives from `make images` (offline)")
    p.add_argument("--report-dir", default="reports", help="where the report goes (default: reports)")
    p.add_argument("--workers", default="2", help="pytest-xdist workers (default 2)")
    p.epilog = "Arguments after -- go to pytest."
    return p


def command(a: argparse.Namespace) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "suites" / "article"),
        "-p",
        "no:cacheprovider",
        f"--article={Path(a.article[0]).resolve()}",
        f"--controllers={a.controllers}",
        f"--report-dir={a.report_dir}",
    ]
    if a.workers and a.workers != "0":
        cmd += ["-n", a.workers]
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


def plan(a: argparse.Namespace) -> int:
    from harness.article.article_plan import as_json, plan_article, render
    from harness.article.matrix import known_classes, matrix

    controllers = [c for c in a.controllers.split(",") if c]
    unknown = [c for c in controllers if c not in CONTROLLERS]
    if unknown:
        print(f"harness article: unknown controller(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    root = Path(a.include_root) if a.include_root else None
    if root is not None and not root.is_dir():
        print(f"harness article: --include-root {a.include_root}: no such directory", file=sys.stderr)
        return 2
    subjects, known = matrix(controllers), known_classes()
    docs = []
    failed = 0
    for path in a.article:
        try:
            ap = plan_article(Path(path), subjects, known, include_root=root)
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


def main(argv: list[str]) -> int:
    a = parser().parse_args(argv)
    missing = [p for p in a.article if not Path(p).is_file()]
    if missing:
        print(f"harness article: {missing[0]}: no such file", file=sys.stderr)
        return 2
    if a.plan:
        return plan(a)
    if len(a.article) > 1:
        print("harness article: one article at a time on a cluster (several only with --plan)", file=sys.stderr)
        return 2
    code = subprocess.run(command(a), cwd=ROOT).returncode
    if code != 0:
        return code
    report = Path(a.report_dir)
    report = report if report.is_absolute() else ROOT / report
    try:
        doc = json.loads((report / "article-report.json").read_text())
    except (OSError, ValueError):
        return code
    return 1 if doc.get("summary", {}).get("does not hold") else 0
