"""Where an article run's reports go: per article ``article-report.json``
(schema v3), ``.md``, ``.html`` and ``junit.xml``; for the run, ``index.json``
(schema ``exposure-harness/article-index/v1``), ``index.md``, ``index.html``
and ``junit.xml`` with one suite per article."""

from __future__ import annotations

import json
from pathlib import Path

from harness.article.html import render_article, render_index
from harness.article.index import INDEX_FILE, ArticleIndex
from harness.article.junit import render_junit
from harness.article.report import REPORT, ArticleReport, render_index_markdown, render_markdown


def write(report_dir: Path, doc: ArticleReport) -> tuple[Path, Path]:
    """``article-report.json``, ``.md``, ``.html`` and ``junit.xml`` of one article in ``report_dir``."""
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / f"{REPORT}.json"
    md_path = report_dir / f"{REPORT}.md"
    json_path.write_text(json.dumps(doc.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(doc), encoding="utf-8")
    (report_dir / f"{REPORT}.html").write_text(render_article(doc), encoding="utf-8")
    (report_dir / "junit.xml").write_text(render_junit([doc]), encoding="utf-8")
    return json_path, md_path


def write_index(out: Path, index: ArticleIndex, docs: list[ArticleReport]) -> Path:
    """``index.json`` (schema article-index/v1), ``index.md``, ``index.html``
    and ``junit.xml`` (one suite per article) in ``out``; returns the Markdown's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / INDEX_FILE).write_text(json.dumps(index.to_json(), indent=2) + "\n", encoding="utf-8")
    md = out / "index.md"
    md.write_text(render_index_markdown(index, docs), encoding="utf-8")
    (out / "index.html").write_text(render_index(index, docs), encoding="utf-8")
    (out / "junit.xml").write_text(render_junit(docs), encoding="utf-8")
    return md
