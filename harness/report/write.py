"""Writing the claims report: the four formats of one document into a directory."""

from __future__ import annotations

import json
from pathlib import Path

from harness.report.document import ClaimsReport
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown


def write_documents(report_dir: Path, doc: ClaimsReport, *, html_link: str = "claims-report.html") -> Path:
    """JSON, Markdown, HTML and JUnit of ``doc`` into ``report_dir``; returns the Markdown path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "claims-report.json").write_text(json.dumps(doc.to_json(), indent=2) + "\n", encoding="utf-8")
    md_path = report_dir / "claims-report.md"
    md_path.write_text(render_markdown(doc, html_link=html_link), encoding="utf-8")
    (report_dir / "claims-report.html").write_text(render_html(doc), encoding="utf-8")
    (report_dir / "claims-junit.xml").write_text(render_junit(doc), encoding="utf-8")
    return md_path
