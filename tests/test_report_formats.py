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
from report_samples import CONTROLLERS, RETIRED, document, results

from harness.report import document as report
from harness.report.html import render_html
from harness.report.junit import render_junit


def test_same_results_give_byte_identical_json_and_markdown(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    report.write_documents(a, document())
    shuffled = results()
    random.Random(7).shuffle(shuffled)
    report.write_documents(
        b,
        report.build(
            shuffled,
            controllers=CONTROLLERS,
            run={"kind": "v0.30.0", "kubernetes": "v1.34.0", "addons": {"traefik": "v3.7.13"}},
            subject_notes={"nginx": RETIRED},
        ),
    )
    for name in ("claims-report.json", "claims-report.md", "claims-junit.xml", "claims-report.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_markdown_is_compact_and_opens_with_findings():
    md = report.render_markdown(document())
    assert len(md.encode()) < 60_000  # a GitHub step summary takes 1 MiB; this stays far below
    assert md.index("## Findings") < md.index("## Matrix") < md.index("## Latency")
    assert "[claims-report.html](claims-report.html)" in md
    assert "| nginx | L7 nginx, HTTP | 1.50 |" in md
    assert "api-svc-*" in md and "66d86c9c5f" not in md  # generated names are stable


def test_junit_has_a_case_per_cell():
    doc = document()
    suite = ET.fromstring(render_junit(doc))
    cases = suite.findall("testcase")
    assert len(cases) == sum(len(r["results"]) for r in [*doc["claims"], *doc["corrections"]])
    failed = [c for c in cases if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failed] == [("ingress-rewrite-target", "traefik-nginx")]
    assert suite.get("failures") == "1"
    skipped = {c.get("classname") for c in cases if c.find("skipped") is not None}
    assert "cloud-lb-types" in skipped and "gateway-roles" in skipped


def test_merge_joins_runs_into_one_report():
    def only(subject):
        rs = [r for r in results() if r.subject in (subject, "metallb")]
        return report.build(rs, controllers=[subject], run={"controllers": subject, "kubernetes": "v1.34.0"})

    docs = [only(s) for s in CONTROLLERS]
    merged = report.merge(docs)
    assert merged["subjects"][: len(CONTROLLERS)] == CONTROLLERS
    assert [r["controllers"] for r in merged["runs"]] == CONTROLLERS
    row = next(r for r in merged["claims"] if r["id"] == "ingress-rewrite-target")
    assert {c["subject"]: c["verdict"] for c in row["results"]}["traefik-nginx"] == "does not hold"
    assert {f["kind"] for f in merged["findings"]} >= {"does not hold", "risky YAML", "controllers differ"}
    # merging is idempotent and order-independent in its verdicts
    again = report.merge([merged])
    assert again["claims"] == merged["claims"]
    with pytest.raises(ValueError, match="schema"):
        report.merge([{"schema": "exposure-harness/claims-report/v1"}])


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
    doc["claims"][0]["quote"] = "<script>alert(1)</script>"
    assert "<script>alert(1)" not in render_html(doc)


def test_json_schema_is_versioned():
    doc = json.loads(json.dumps(document()))
    assert doc["schema"] == "exposure-harness/claims-report/v2"
    assert set(doc) >= {"status", "findings", "claims", "corrections", "measurements", "subjects", "runs"}
