"""``python -m harness article PATH.md``: the article suite on a kind
cluster, with the options of the e2e; the report lands in
``<report-dir>/article-report.md``.

Exit status: 0 when every check holds or is not checkable here, 1 when a
check does not hold, and pytest's own status when the harness itself failed
(bad options, a cluster that does not come up)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from harness.options import CONTROLLERS, ROOT


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness article", description=__doc__.split("\n\n")[0])
    p.add_argument("article", help="the Markdown file")
    p.add_argument("--controllers", default=",".join(CONTROLLERS), help="comma-separated controllers to check")
    p.add_argument("--kubeconfig", help="use an existing cluster")
    p.add_argument("--keep-cluster", action="store_true", help="keep the kind cluster after the run")
    p.add_argument("--cluster-name", help="kind cluster name")
    p.add_argument("--images-dir", help="image archives from `make images` (offline)")
    p.add_argument("--report-dir", default="reports", help="where the report goes (default: reports)")
    p.add_argument("--workers", default="2", help="pytest-xdist workers (default 2)")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: more pytest arguments")
    return p


def command(a: argparse.Namespace) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "suites" / "article"),
        "-p",
        "no:cacheprovider",
        f"--article={Path(a.article).resolve()}",
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


def main(argv: list[str]) -> int:
    a = parser().parse_args(argv)
    if not Path(a.article).is_file():
        print(f"harness article: {a.article}: no such file", file=sys.stderr)
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
