"""``python -m harness report merge DIR... [--out DIR]``: one report (JSON,
Markdown, HTML, JUnit) from the reports of several runs, e.g. the cells of
the nightly matrix downloaded as artifacts. Each DIR is searched for
``claims-report.json`` files (a DIR with none is an error) and for upstream
conformance records (``conformance/*.json``), which join the report's
conformance section.

``python -m harness report refresh DIR``: the claims report in DIR written
again with the conformance records DIR holds now (after ``make conformance``
ran beside an e2e into the same report directory)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.conformance.model import RESULTS_DIR, ConformanceRun, load_all
from harness.report.build import merge, with_conformance
from harness.report.document import ClaimsReport, ReportError
from harness.report.write import write_documents


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness report")
    sub = ap.add_subparsers(dest="command", required=True)
    m = sub.add_parser("merge", help="merge several runs' claims-report.json into one report")
    m.add_argument("dirs", nargs="+", type=Path, help="directories holding claims-report.json (searched recursively)")
    m.add_argument("--out", type=Path, default=Path("reports/merged"), help="where to write (default reports/merged)")
    m.add_argument("--html-link", default="claims-report.html", help="the HTML report's URL for the Markdown's link")
    r = sub.add_parser("refresh", help="write DIR's claims report again with the conformance records DIR holds")
    r.add_argument("dir", type=Path, help="a report directory holding claims-report.json")
    args = ap.parse_args(argv)
    if args.command == "refresh":
        return _refresh(args.dir)
    docs = []
    conformance: list[ConformanceRun] = []
    for d in args.dirs:
        found = sorted(d.rglob("claims-report.json")) if d.is_dir() else []
        if not found:
            print(f"report merge: no claims-report.json under {d}", file=sys.stderr)
            return 2
        for path in found:
            if args.out.resolve() in path.resolve().parents:
                continue  # an earlier merge's output
            try:
                docs.append(ClaimsReport.from_json(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError) as exc:
                print(f"report merge: {path}: {exc}".splitlines()[0], file=sys.stderr)
                return 2
        for path in sorted(d.rglob(f"{RESULTS_DIR}/*.json")):
            if args.out.resolve() in path.resolve().parents:
                continue
            try:
                conformance.append(ConformanceRun.from_json(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                print(f"report merge: {path}: {exc}".splitlines()[0], file=sys.stderr)
                return 2
    try:
        doc = with_conformance(merge(docs), conformance)
    except (ReportError, KeyError) as exc:
        print(f"report merge: {exc}", file=sys.stderr)
        return 2
    md = write_documents(args.out, doc, html_link=args.html_link)
    print(f"merged {len(docs)} report(s) into {md} (and .json, .html, claims-junit.xml)")
    return 0


def _refresh(report_dir: Path) -> int:
    path = report_dir / "claims-report.json"
    try:
        doc = ClaimsReport.from_json(json.loads(path.read_text(encoding="utf-8")))
        runs = load_all(report_dir)
    except FileNotFoundError:
        print(f"report refresh: no claims report in {report_dir} (run make e2e into it first)", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"report refresh: {path}: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    md = write_documents(report_dir, with_conformance(doc, runs))
    print(f"rewrote {md} (and .json, .html, claims-junit.xml) with {len(runs)} conformance record(s)")
    return 0
