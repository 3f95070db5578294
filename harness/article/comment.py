"""What a pull request's editors read: the step summary and the one
pull-request comment of the article check, rendered from the run's index
(:class:`harness.article.index.ArticleIndex`), never from its Markdown.

- :func:`summary_markdown` the job's step summary: every article, its
  verdict and its counts of checks;
- :func:`comment_body` the pull-request comment: the same verdicts, compact,
  problems first, with the link to the reports' artifact (each article's
  HTML report is ``articles/<its report directory>/article-report.html``
  in it); it
  starts with :data:`MARKER`, the hidden line by which the Action finds its
  previous comment and updates it instead of adding another;
- :func:`no_articles_markdown` and :func:`no_index_markdown`: a change with
  no article to check (the check passes), and a run that stopped before
  writing its index (the harness failed: see the job's log).

``exposure-harness pr summary|comment ...`` prints them (the Action's steps
call it; ``--help`` says how).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.article.index import INDEX_FILE, ArticleEntry, ArticleIndex, ArticleStatus, IndexError_
from harness.results.model import Verdict

MARKER = "<!-- exposure-harness:article-check -->"
INDEX_DIR = "articles"  # the index's directory in the report directory (and the artifact); entries' reports are in it
REPORT_HTML = "article-report.html"
TITLE = "Article check"
# GitHub refuses a comment over 65536 characters: rows past this budget are summed up in one line
COMMENT_BUDGET = 60000
HEADS = {
    Verdict.DOES_NOT_HOLD: "does not hold",
    Verdict.ERROR: "error",
    Verdict.HOLDS: "holds",
    Verdict.NOT_CHECKABLE: "not checkable here",
}


def article_verdict(e: ArticleEntry) -> str:
    """One article's verdict, in the report's words (for reading only)."""
    if e.status is ArticleStatus.ERROR:
        return "**ERROR**"
    if e.status is ArticleStatus.NOT_RUN:
        return "not run"
    if e.status is ArticleStatus.NO_YAML:
        return "no YAML"
    if e.counts.get(Verdict.DOES_NOT_HOLD):
        return "**DOES NOT HOLD**"
    if e.counts.get(Verdict.ERROR):
        return "**ERROR**"
    if e.counts.get(Verdict.HOLDS):
        return "holds"
    if e.counts.get(Verdict.NOT_CHECKABLE):
        return "not checkable here"
    return "nothing checked"


def _rank(e: ArticleEntry) -> int:
    """Problems first: does not hold, error, not run, then the rest."""
    if e.counts.get(Verdict.DOES_NOT_HOLD):
        return 0
    if e.status is ArticleStatus.ERROR or e.counts.get(Verdict.ERROR):
        return 1
    if e.status is ArticleStatus.NOT_RUN:
        return 2
    return 3


def _code(text: str) -> str:
    """``text`` as an inline code span that survives backticks and pipes in it."""
    text = text.replace("\n", " ").replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _in_artifact(e: ArticleEntry) -> str:
    """The article's report directory from the report directory's root (the artifact's)."""
    return f"{INDEX_DIR}/{e.report}"


def _cell(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def _checks(e: ArticleEntry) -> str:
    parts = [f"{e.counts[v]} {head}" for v, head in HEADS.items() if e.counts.get(v)]
    if e.bad:
        parts.append(f"{e.bad} bad snippet(s)")
    if e.reason and e.status in (ArticleStatus.ERROR, ArticleStatus.NOT_RUN):
        parts.append(e.reason)
    return _cell(", ".join(parts) or "-")


def headline(index: ArticleIndex) -> str:
    """``3 article(s): 1 does not hold, 2 hold`` (articles, by their verdict)."""
    n = len(index.entries)
    tally: dict[str, int] = {}
    for e in sorted(index.entries, key=_rank):
        word = article_verdict(e).strip("*")
        word = word.lower() if word.isupper() else word
        tally[word] = tally.get(word, 0) + 1
    return f"{n} article(s): " + ", ".join(f"{k} {w}" for w, k in tally.items()) if n else "no article"


def _run_line(index: ArticleIndex) -> str:
    parts = [f"{k} {v}" for k, v in index.run.items() if v]
    if index.seconds:
        parts.append(f"{_duration(index.seconds)} in all")
    return "Run: " + ", ".join(parts) if parts else ""


def summary_markdown(index: ArticleIndex) -> str:
    """The step summary: one row per article, in the run's order."""
    lines = [f"## {TITLE}: {headline(index)}", ""]
    if run := _run_line(index):
        lines += [run, ""]
    if not index.entries:
        return "\n".join([*lines, "No article was checked.", ""])
    lines += [
        "| article | verdict | snippets | holds | does not hold | error | not checkable here | bad snippets | report |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in index.entries:
        n = e.counts
        verdict = article_verdict(e) + (f": {_cell(e.reason)}" if e.reason else "")
        lines.append(
            f"| {_code(e.path)} | {verdict} | {e.snippets} | {n.get(Verdict.HOLDS, 0)} | "
            f"{n.get(Verdict.DOES_NOT_HOLD, 0)} | {n.get(Verdict.ERROR, 0)} | {n.get(Verdict.NOT_CHECKABLE, 0)} | "
            f"{e.bad} | {_code(_in_artifact(e) + '/')} |"
        )
    lines.append("")
    return "\n".join(lines)


def comment_body(index: ArticleIndex, artifact_url: str, *, run_url: str = "") -> str:
    """The pull-request comment: the marker, the headline, one row per
    article (problems first), and where the reports are."""
    lines = [MARKER, f"### {TITLE}: {headline(index)}", ""]
    if run := _run_line(index):
        lines += [run, ""]
    where = (
        f"[the reports' artifact]({artifact_url})"
        if artifact_url
        else (f"[the run]({run_url})" if run_url else "the run's artifact")
    )
    tail = [
        "",
        f"Each article's report is `{INDEX_DIR}/<article>/{REPORT_HTML}` (also Markdown, JSON, JUnit) in {where}"
        + (f"; the job log: [run]({run_url})." if run_url and artifact_url else "."),
        "",
        "Verdicts come from a real kind cluster: each snippet applied as written and its promises checked "
        "(`exposure-harness article`).",
        "",
    ]
    if not index.entries:
        return "\n".join([*lines, "No article was checked.", *tail])
    lines += ["| article | verdict | checks | report |", "|---|---|---|---|"]
    budget = COMMENT_BUDGET - sum(len(x) + 1 for x in lines + tail)
    ordered = sorted(index.entries, key=_rank)
    for i, e in enumerate(ordered):
        row = (
            f"| {_code(e.path)} | {article_verdict(e)} | {_checks(e)} | {_code(_in_artifact(e) + '/' + REPORT_HTML)} |"
        )
        if len(row) + 1 > budget - 200:
            rest = ordered[i:]
            lines += [
                "",
                f"... and {len(rest)} more article(s) ({headline(ArticleIndex(rest))}): see the step summary.",
            ]
            break
        lines.append(row)
        budget -= len(row) + 1
    return "\n".join([*lines, *tail])


def no_articles_markdown(ref: str, *, comment: bool = False) -> str:
    """A change that touches no article: said, and the check passes."""
    text = f"No changed Markdown article since `{ref}`: nothing to check."
    return "\n".join([MARKER, f"### {TITLE}: no changed article", "", text, ""]) if comment else text + "\n"


def no_index_markdown(exit_code: int, *, run_url: str = "", comment: bool = False) -> str:
    """The run stopped before it wrote its index: the harness failed (its own
    error, never a verdict on an article)."""
    where = f"the job's log: [run]({run_url})" if run_url else "the job's log"
    text = (
        f"The article check did not finish: the harness stopped (exit {exit_code}) before writing its index, "
        f"so no article has a verdict. What stopped it is in {where}."
    )
    head = [MARKER, f"### {TITLE}: ERROR", ""] if comment else [f"## {TITLE}: ERROR", ""]
    return "\n".join([*head, text, ""])


def load(path: Path) -> ArticleIndex:
    """The index at ``path`` (the file, or a report directory holding ``articles/index.json``)."""
    if path.is_dir():
        path = path / INDEX_DIR / INDEX_FILE
    return ArticleIndex.from_json(json.loads(path.read_text(encoding="utf-8")))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="exposure-harness pr",
        description="Render the article check's step summary or pull-request comment from its index.",
    )
    p.add_argument("what", choices=("summary", "comment"), help="the step summary, or the pull-request comment")
    p.add_argument("--index", type=Path, help="the run's index.json, or its report directory")
    p.add_argument("--exit-code", type=int, default=0, help="the run's exit status (said when it wrote no index)")
    p.add_argument("--artifact-url", default="", help="the reports' artifact (comment)")
    p.add_argument("--run-url", default="", help="the workflow run (comment, and when there is no index)")
    p.add_argument("--no-articles", metavar="REF", help="the change touched no article since REF: say so")
    a = p.parse_args(argv)
    comment = a.what == "comment"
    if a.no_articles is not None:
        sys.stdout.write(no_articles_markdown(a.no_articles, comment=comment))
        return 0
    if a.index is None:
        p.error("--index is required (or --no-articles REF)")
    target = a.index / INDEX_DIR / INDEX_FILE if a.index.is_dir() else a.index
    if not target.is_file():
        sys.stdout.write(no_index_markdown(a.exit_code, run_url=a.run_url, comment=comment))
        return 0
    try:
        index = load(target)
    except (OSError, ValueError, IndexError_) as exc:
        print(f"exposure-harness pr: {target}: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(comment_body(index, a.artifact_url, run_url=a.run_url) if comment else summary_markdown(index))
    return 0
