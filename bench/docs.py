"""make bench-docs: a docs folder of 50 articles (the real-article corpus,
tests/data/articles/real, repeated: each copy of a source repository a git
repository of its own, so includes resolve as in its docs checkout) checked
the way a docs team would.

- always: ``article --plan`` of the whole folder in one process (what the
  pull-request check does before it creates anything), timed;
- with ``--cluster``: the run over the folder on one cluster
  (``article PATH...`` with ``--report-dir``), timed end to end, with the
  per-article seconds from the run's index (``articles/index.json``). The
  issue's goal: under 20 minutes on 2 cores, one controller.

Numbers are printed, never asserted. Everything it creates goes in a
temporary directory, removed at the end (the reports too, unless
``--keep-reports DIR``)."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.article.index import INDEX_FILE, ArticleIndex, IndexError_

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "articles" / "real"
GOAL_SECONDS = 20 * 60


def corpus() -> list[tuple[str, str]]:
    """(article, include root) of each real article, relative to the corpus."""
    rows = csv.reader((CORPUS / "SOURCES.tsv").read_text().splitlines(), delimiter="\t")
    return [(r[0], r[1]) for r in rows if r and not r[0].startswith("#") and r[0] != "article"]


def docs_folder(root: Path, count: int) -> list[Path]:
    """``count`` articles under ``root``: copy k of each source repository in
    ``round-k/``, as many rounds as it takes; each copy ``git init``-ed."""
    articles = corpus()
    chosen: list[Path] = []
    k = 0
    while len(chosen) < count:
        k += 1
        for article, include_root in articles:
            if len(chosen) == count:
                break
            dest = root / f"round-{k:02d}" / include_root
            if not dest.exists():
                shutil.copytree(CORPUS / include_root, dest)
                subprocess.run(["git", "init", "-q", str(dest)], check=True)
            chosen.append(root / f"round-{k:02d}" / article)
    return chosen


def harness(*args: str, cwd: Path) -> tuple[int, float, str, str]:
    started = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True)
    return r.returncode, time.perf_counter() - started, r.stdout, r.stderr


def bench_plan(folder: Path, articles: list[Path], controllers: str) -> None:
    rel = [str(a.relative_to(folder)) for a in articles]
    code, seconds, out, err = harness("article", "--plan", "--json", f"--controllers={controllers}", *rel, cwd=folder)
    if code not in (0, 1):
        print(f"plan: exit {code}: {err.strip().splitlines()[-1] if err.strip() else '?'}")
        return
    plans = json.loads(out)
    plans = plans if isinstance(plans, list) else [plans]
    snippets = sum(p["summary"]["snippets"] for p in plans)
    checks = sum(p["summary"]["checkable"] for p in plans)
    print(
        f"plan of {len(plans)} articles ({snippets} snippets, {checks} checkable checks on {controllers}): "
        f"{seconds:.1f} s in one process, {seconds / len(plans) * 1000:.0f} ms per article"
    )


def bench_run(folder: Path, articles: list[Path], a: argparse.Namespace, reports: Path) -> int:
    rel = [str(x.relative_to(folder)) for x in articles]
    args = ["article", f"--controllers={a.controllers}", "--report-dir", str(reports), f"--workers={a.workers}"]
    if a.images_dir:
        args += ["--images-dir", str(Path(a.images_dir).resolve())]
    if a.cluster_name:
        args += ["--cluster-name", a.cluster_name]
    if a.kubeconfig:
        args += ["--kubeconfig", str(Path(a.kubeconfig).resolve())]
    if a.keep_cluster:
        args.append("--keep-cluster")
    print(f"run of {len(rel)} articles on one cluster ({a.controllers}); progress is the harness's own (stderr)")
    started = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "harness", *args, *rel], cwd=folder)
    seconds = time.perf_counter() - started
    try:
        index = ArticleIndex.from_json(json.loads((reports / "articles" / INDEX_FILE).read_text()))
    except (OSError, ValueError, IndexError_) as exc:
        print(f"run: exit {r.returncode} after {seconds:.0f} s and no index ({exc}): the multi-article run side")
        print("(article PATH... on one cluster, writing articles/index.json) is not in this harness, or it failed")
        return 1
    times = sorted(e.seconds for e in index.entries)
    print(
        f"run: exit {r.returncode}, {len(index.entries)} articles in {seconds:.0f} s "
        f"({seconds / 60:.1f} min; goal {GOAL_SECONDS // 60} min: {'met' if seconds < GOAL_SECONDS else 'NOT met'})"
    )
    if times:
        print(
            f"per article: median {statistics.median(times):.1f} s, max {times[-1]:.1f} s, "
            f"sum {sum(times):.0f} s (the index's seconds)"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make bench-docs", description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=50, help="articles in the folder (default 50)")
    ap.add_argument("--controllers", default="traefik", help="controllers (default traefik: one controller)")
    ap.add_argument("--cluster", action="store_true", help="also run the folder on one kind cluster")
    ap.add_argument("--images-dir", help="image archives from `make images` (offline)")
    ap.add_argument("--cluster-name", help="kind cluster name")
    ap.add_argument("--kubeconfig", help="an existing cluster")
    ap.add_argument("--keep-cluster", action="store_true")
    ap.add_argument("--workers", default="2")
    ap.add_argument("--keep-reports", help="copy the run's reports here")
    a = ap.parse_args(argv)
    if a.articles < 1:
        print("make bench-docs: --articles must be at least 1", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-docs.") as tmp:
        folder = Path(tmp) / "docs"
        started = time.perf_counter()
        articles = docs_folder(folder, a.articles)
        print(
            f"docs folder: {len(articles)} articles ({len(corpus())} real ones, repeated) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        bench_plan(folder, articles, a.controllers)
        if not a.cluster:
            print("no cluster run (make bench-docs CLUSTER=1 [IMAGES_DIR=...] runs the folder on one cluster)")
            return 0
        reports = Path(tmp) / "reports"
        code = bench_run(folder, articles, a, reports)
        if a.keep_reports and reports.exists():
            shutil.copytree(reports, a.keep_reports, dirs_exist_ok=True)
        return code


if __name__ == "__main__":
    raise SystemExit(main())
