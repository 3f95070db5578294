"""The report's formats: deterministic JSON and Markdown, JUnit XML, the merge
of several runs, and the HTML page rendered by a real headless browser
(Debian's chromium)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_samples import CONTROLLERS, RETIRED, RUN, document, results

from harness.report.build import build, merge
from harness.report.document import SCHEMA, ClaimsReport, FindingKind, ReportError, Run
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.write import write_documents
from harness.results.model import Verdict


def test_same_results_give_byte_identical_json_and_markdown(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_documents(a, document())
    shuffled = results()
    random.Random(7).shuffle(shuffled)
    write_documents(b, build(shuffled, controllers=CONTROLLERS, run=RUN, subject_notes={"nginx": RETIRED}))
    for name in ("claims-report.json", "claims-report.md", "claims-junit.xml", "claims-report.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_markdown_is_compact_and_opens_with_findings():
    md = render_markdown(document())
    assert len(md.encode()) < 60_000  # a GitHub step summary takes 1 MiB; this stays far below
    assert md.index("## Findings") < md.index("## Matrix") < md.index("## Latency")
    assert "[claims-report.html](claims-report.html)" in md
    assert "| nginx | L7 nginx, HTTP | 1.50 |" in md
    assert "api-svc-*" in md and "66d86c9c5f" not in md  # generated names are stable


def test_junit_has_a_case_per_cell():
    doc = document()
    suite = ET.fromstring(render_junit(doc))
    cases = suite.findall("testcase")
    assert len(cases) == sum(len(r.cells) for r in doc.rows())
    failed = [c for c in cases if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failed] == [("ingress-rewrite-target", "traefik-nginx")]
    assert suite.get("failures") == "1"
    skipped = {c.get("classname") for c in cases if c.find("skipped") is not None}
    assert "cloud-lb-types" in skipped and "gateway-roles" not in {c.get("classname") for c in cases}
    # an error of the harness is an <error>, never a <failure> of the guide
    next(r for r in doc.claims if r.id == "lb-l4-reach").cells[0].verdict = Verdict.ERROR
    suite = ET.fromstring(render_junit(doc))
    assert suite.get("errors") == "1" and suite.find("testcase/error") is not None


def test_merge_joins_runs_into_one_report():
    def only(subject):
        rs = [r for r in results() if r.subject in (subject, "metallb")]
        return build(rs, controllers=[subject], run=Run(controllers=subject, kubernetes="v1.34.0"))

    docs = [ClaimsReport.from_json(json.loads(json.dumps(only(s).to_json()))) for s in CONTROLLERS]
    merged = merge(docs)
    assert list(merged.subjects[: len(CONTROLLERS)]) == sorted(CONTROLLERS)
    assert [r.controllers for r in merged.runs] == CONTROLLERS
    row = next(r for r in merged.claims if r.id == "ingress-rewrite-target")
    assert {c.subject: c.verdict for c in row.cells}["traefik-nginx"] is Verdict.DOES_NOT_HOLD
    kinds = {f.kind for f in merged.findings}
    assert kinds >= {FindingKind.DOES_NOT_HOLD, FindingKind.RISKY_YAML, FindingKind.CONTROLLERS_DIFFER}
    # merging is idempotent and order-independent in its verdicts
    again = merge([merged])
    assert again.claims == merged.claims
    with pytest.raises(ReportError, match="schema"):
        ClaimsReport.from_json({"schema": "exposure-harness/claims-report/v2"})


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (the HTML report is checked in it)")
    return path


def _browse(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        timeout=120,
    )


def test_html_report_renders_in_headless_chromium(tmp_path):
    doc = document(expected={("ingress-tls-termination", "nginx")}, interrupted=True)
    next(r for r in doc.claims if r.id == "lb-l4-reach").cells[0].verdict = Verdict.ERROR  # error cells render too
    page = tmp_path / "claims-report.html"
    page.write_text(render_html(doc), encoding="utf-8")
    html = page.read_text()
    assert "<link" not in html and "src='http" not in html and 'src="http' not in html  # fetches nothing

    dom = _browse(tmp_path, page, "--dump-dom", "--virtual-time-budget=2000")
    assert dom.returncode == 0, dom.stderr.decode()[-500:]
    text = dom.stdout.decode()
    assert "This run was INTERRUPTED" in text
    assert "ingress-tls-termination on nginx: the run was interrupted before this check ran" in text
    assert "Findings (" in text and "Risky YAML: ingress-rewrite-target." in text
    assert "corrected for nginx, traefik-nginx" in text and "nginx.ingress.kubernetes.io/use-regex" in text
    assert text.count("<details>") >= 10  # evidence on demand per cell
    assert "data:image/png;base64," in text

    shot = tmp_path / "shot.png"
    r = _browse(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars")
    assert r.returncode == 0 and shot.exists(), r.stderr.decode()[-500:]
    _assert_not_blank(shot.read_bytes())


def _assert_not_blank(png: bytes) -> None:
    """The screenshot shows something: many distinct colours (text, the red
    status box, the verdict cells), not one flat page."""
    import io

    from matplotlib import image

    pixels = image.imread(io.BytesIO(png), format="png")
    h, w = pixels.shape[:2]
    assert (h, w) == (2000, 1280)
    flat = pixels.reshape(-1, pixels.shape[2])[::97]
    colours = {tuple(round(float(c), 2) for c in px[:3]) for px in flat}
    assert len(colours) > 20, f"screenshot looks blank ({len(colours)} colours)"
    # the interrupted banner's red-tinted background is on the page
    assert any(r > 0.95 and 0.88 < g < 0.95 and 0.88 < b < 0.95 for r, g, b in colours)


def test_html_escapes_what_it_shows():
    doc = document()
    doc.claims[0].quote = "<script>alert(1)</script>"
    assert "<script>alert(1)" not in render_html(doc)


def test_json_schema_is_versioned_and_reads_back():
    doc = document()
    data = json.loads(json.dumps(doc.to_json()))
    assert data["schema"] == SCHEMA == "exposure-harness/claims-report/v3"
    assert set(data) >= {"status", "findings", "claims", "corrections", "measurements", "subjects", "runs"}
    again = ClaimsReport.from_json(data)
    assert again == doc and again.to_json() == data
