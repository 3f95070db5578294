"""make bench-article-plan: how long planning the real-article corpus takes
without a cluster (extraction, includes, shell blocks, versions, checks on
every controller of the matrix), printed per article and in total."""

from __future__ import annotations

import argparse
import csv
import time

from harness.article.article_plan import plan_article, summary
from harness.article.matrix import known_classes, matrix
from harness.options import ROOT

CORPUS = ROOT / "tests" / "data" / "articles" / "real"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make bench-article-plan")
    ap.add_argument("--rounds", type=int, default=5, help="times the whole corpus is planned (default 5)")
    args = ap.parse_args(argv)
    rows = [
        r
        for r in csv.reader((CORPUS / "SOURCES.tsv").read_text().splitlines(), delimiter="\t")
        if r and not r[0].startswith("#") and r[0] != "article"
    ]
    subjects, known = matrix(), known_classes()
    started = time.perf_counter()
    plan_article(CORPUS / rows[0][0], subjects, known, include_root=CORPUS / rows[0][1])  # imports, caches
    print(f"first article (imports and schema caches included): {time.perf_counter() - started:.2f} s")
    best: dict[str, float] = {}
    totals = []
    for _ in range(args.rounds):
        round_start = time.perf_counter()
        for article, root, *_ in rows:
            t = time.perf_counter()
            ap_ = plan_article(CORPUS / article, subjects, known, include_root=CORPUS / root)
            best[article] = min(best.get(article, float("inf")), time.perf_counter() - t)
            summary(ap_)
        totals.append(time.perf_counter() - round_start)
    for article, seconds in best.items():
        print(f"{seconds * 1000:8.1f} ms  {article}")
    print(
        f"corpus of {len(rows)} articles: best {min(totals):.2f} s, worst {max(totals):.2f} s over {args.rounds} rounds"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
