"""make bench-article / make bench-articles: how long article mode takes on
a kind cluster, printed (never asserted).

- ``bench-article``: one typical article (default: the Kubernetes Ingress
  concept page of the real-article corpus, 14 snippets, 12 objects) on one
  controller with a kept cluster: the wall time of ``python -m harness
  article`` from the command to its verdicts, per round (the first round
  also creates the cluster and installs the addons when they are not there
  yet; ``--rounds 2`` shows the kept-cluster time);
- ``bench-articles``: a docs folder of ``--articles`` articles (the
  real-article corpus copied as many times as it takes) on one controller
  and one cluster: the wall time of the whole run and the time each
  article's checks took.

Both keep the cluster (``--cluster-name``); delete it with ``kind delete
cluster --name NAME`` when done.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.article.index import INDEX_FILE, ArticleIndex
from harness.paths import DATA as ROOT  # bench runs from the checkout
from harness.results.model import Verdict

CORPUS = ROOT / "tests" / "data" / "articles" / "real"
TYPICAL = CORPUS / "kubernetes-website" / "content" / "en" / "docs" / "concepts" / "services-networking" / "ingress.md"


def _run(args: argparse.Namespace, paths: list[Path], roots: list[Path], report_dir: Path) -> tuple[float, int]:
    cmd = [
        sys.executable,
        "-m",
        "harness",
        "article",
        *map(str, paths),
        *(f"--include-root={r}" for r in roots),
        f"--controllers={args.controllers}",
        f"--cluster-name={args.cluster_name}",
        "--keep-cluster",
        f"--report-dir={report_dir}",
        f"--workers={args.workers}",
    ]
    if args.images_dir:
        cmd.append(f"--images-dir={args.images_dir}")
    started = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=not args.verbose, text=True)
    took = time.monotonic() - started
    if out.returncode not in (0, 1):
        sys.stderr.write((out.stdout or "")[-3000:] + (out.stderr or "")[-2000:])
    return took, out.returncode


def _index(report_dir: Path) -> ArticleIndex | None:
    try:
        return ArticleIndex.from_json(json.loads((report_dir / "articles" / INDEX_FILE).read_text()))
    except (OSError, ValueError):
        return None


def _counts(index: ArticleIndex) -> str:
    total = {v: sum(e.counts.get(v, 0) for e in index.entries) for v in Verdict}
    return ", ".join(f"{n} {v.value}" for v, n in total.items() if n)


def one(args: argparse.Namespace) -> int:
    article = Path(args.article).resolve()
    roots = [Path(r).resolve() for r in args.include_root] or (
        [CORPUS / article.relative_to(CORPUS).parts[0]] if article.is_relative_to(CORPUS) else []
    )
    print(f"== one article on {args.controllers}, cluster {args.cluster_name} kept: {article.name}")
    for n in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory(prefix="bench-article-") as tmp:
            took, code = _run(args, [article], roots, Path(tmp))
            index = _index(Path(tmp))
            if index is None:
                print(f"  round {n}: {took:6.1f} s wall, no index (exit {code})")
                continue
            e = index.entries[0]
            print(
                f"  round {n}: {took:6.1f} s wall (command to verdicts), pytest session {index.seconds:.1f} s, "
                f"checks {e.seconds:.1f} s summed over tests; {_counts(index)}"
            )
    return 0


def many(args: argparse.Namespace) -> int:
    corpus = sorted(CORPUS.rglob("*.md"))
    with tempfile.TemporaryDirectory(prefix="bench-articles-") as tmp:
        docs = Path(tmp) / "docs"
        paths: list[Path] = []
        roots: list[Path] = []
        copy = 0
        while len(paths) < args.articles:
            copy += 1
            dest = docs / f"copy-{copy}"
            shutil.copytree(CORPUS, dest)
            roots += [d for d in sorted(dest.iterdir()) if d.is_dir()]
            paths += [dest / p.relative_to(CORPUS) for p in corpus]
        paths = paths[: args.articles]
        print(
            f"== {len(paths)} articles (the real-article corpus copied {copy} times) on {args.controllers}, "
            f"one cluster ({args.cluster_name}, kept), {args.workers} workers, {os.cpu_count()} cores"
        )
        report_dir = Path(tmp) / "reports"
        took, code = _run(args, paths, roots, report_dir)
        index = _index(report_dir)
        if index is None:
            print(f"  {took:.1f} s wall, no index (exit {code})")
            return 1
        seconds = [e.seconds for e in index.entries]
        print(f"  whole run: {took:.1f} s wall ({took / 60:.1f} min) from the command to the index; exit {code}")
        print(f"  pytest session: {index.seconds:.1f} s; {len(index.entries)} articles; {_counts(index)}")
        print(
            f"  checks per article (summed over its tests): median {statistics.median(seconds):.1f} s, "
            f"max {max(seconds):.1f} s, total {sum(seconds):.1f} s"
        )
        if args.keep_reports:
            shutil.copytree(report_dir, args.keep_reports, dirs_exist_ok=True)
            print(f"  reports kept in {args.keep_reports}")
    return 0


def table(args: argparse.Namespace) -> int:
    """The closing note of a run (``--reports DIR``): per article its numbers and each failure's diagnosis."""
    out = Path(args.reports) / "articles"
    index = _index(Path(args.reports))
    if index is None:
        print(f"no article index under {out}")
        return 1
    print(
        "| article | snippets | objects | includes resolved/unresolved | checks derived | hold | do not hold | "
        "not checkable | error | reader's path hold/do not hold | time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    failures = []
    for e in index.entries:
        doc = json.loads((out / e.report / "article-report.json").read_text())
        sm = doc["summary"]
        rd = doc["reader"]["summary"]
        print(
            f"| {e.path} | {sm['snippets']} ({sm['bad snippets']} bad, {sm['skipped']} not k8s) | {sm['objects']} | "
            f"{sm['includes']['resolved']}/{sm['includes']['unresolved']} | {sm['checks derived']} | {sm['holds']} | "
            f"{sm['does not hold']} | {sm['not checkable here']} | {sm['error']} | "
            f"{rd['holds']}/{rd['does not hold']} | {sm['seconds']:.0f} s |"
        )
        for s in doc["snippets"]:
            for r in s["results"]:
                for c in r["checks"]:
                    if c["verdict"] in ("does not hold", "error"):
                        diag = "; ".join(c.get("diagnosis") or []) or c.get("reason", "")
                        failures.append(f"{e.path} line {s['line']} ({r['subject']}): {c['label']} -> {diag}")
    if failures:
        print("\nfailures and their diagnosis:")
        for f in failures:
            print(f"- {f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make bench-article(s)")
    ap.add_argument("mode", choices=("one", "many", "table"))
    ap.add_argument("--reports", default="reports", help="table: the report directory of a run")
    ap.add_argument("--article", default=str(TYPICAL), help="one: the article (default: the Ingress concept page)")
    ap.add_argument("--include-root", action="append", default=[], help="one: its include root")
    ap.add_argument("--articles", type=int, default=50, help="many: how many articles (default 50)")
    ap.add_argument("--rounds", type=int, default=2, help="one: rounds (default 2: the second on the kept cluster)")
    ap.add_argument("--controllers", default="traefik")
    ap.add_argument("--cluster-name", default=os.environ.get("CLUSTER_NAME", "bench-article"))
    ap.add_argument("--images-dir", default=os.environ.get("IMAGES_DIR") or None)
    ap.add_argument("--workers", default="4")
    ap.add_argument("--keep-reports", type=Path, help="many: copy the reports here")
    ap.add_argument("--verbose", action="store_true", help="show the runs' own output")
    args = ap.parse_args(argv)
    if args.mode == "table":
        return table(args)
    return one(args) if args.mode == "one" else many(args)


if __name__ == "__main__":
    raise SystemExit(main())
