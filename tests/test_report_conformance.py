"""The upstream conformance records in the claims report: carried in its JSON,
rendered in its Markdown and HTML, their failures that touch a claim as
findings of their own kind, joined by ``report merge`` and ``report refresh``
(real subprocesses on reports written by the report module)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from report_samples import document

from harness.conformance.model import Case, ConformanceRun, Outcome, Published, write
from harness.report.build import build, with_conformance
from harness.report.document import ClaimsReport, FindingKind, Run
from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.report.write import write_documents

ROOT = Path(__file__).resolve().parent.parent
CLAIM = "gateway-ingress-migration"


def _run(outcome: Outcome, *, implementation: str = "traefik", profile: str = "GATEWAY-HTTP core") -> ConformanceRun:
    reason = "" if outcome is Outcome.PASSED else "expected status 404, got 200 from infra-backend-v1"
    return ConformanceRun(
        suite="gateway-api v1.6.1",
        implementation=implementation,
        profile=profile,
        cases=(
            Case("HTTPRouteExactPathMatching", outcome, reason=reason, claims=(CLAIM,)),
            Case("HTTPRouteHostnameIntersection", Outcome.PASSED),
        ),
        published=Published(source="conformance/reports/v1.6.1/traefik/report.yaml", version="v3.7.10", passed=2),
        seconds=12.0,
    )


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_failed_upstream_test_touching_a_claim_is_a_finding_beside_the_verdicts():
    plain = document()
    doc = with_conformance(plain, [_run(Outcome.FAILED)])
    extra = [f for f in doc.findings if f.kind is FindingKind.UPSTREAM_CONFORMANCE]
    assert [(f.claim, f.subjects) for f in extra] == [(CLAIM, ("traefik",))]
    assert "HTTPRouteExactPathMatching" in extra[0].text and "expected status 404" in extra[0].text
    # the verdicts are the run's own: conformance changes no cell
    assert doc.cell_verdicts() == plain.cell_verdicts()
    # a passing record: in the report, no finding
    passing = with_conformance(plain, [_run(Outcome.PASSED)])
    assert not [f for f in passing.findings if f.kind is FindingKind.UPSTREAM_CONFORMANCE]
    assert len(passing.conformance) == 1


def test_a_later_record_of_the_same_suite_implementation_and_profile_replaces_the_earlier():
    doc = with_conformance(document(), [_run(Outcome.FAILED)])
    doc = with_conformance(doc, [_run(Outcome.PASSED), _run(Outcome.PASSED, profile="GATEWAY-TLS core")])
    assert [(r.profile, r.count(Outcome.FAILED)) for r in doc.conformance] == [
        ("GATEWAY-HTTP core", 0),
        ("GATEWAY-TLS core", 0),
    ]


def test_the_json_round_trips_and_the_renderers_show_the_section():
    doc = with_conformance(document(), [_run(Outcome.FAILED)])
    back = ClaimsReport.from_json(json.loads(json.dumps(doc.to_json())))
    assert back.conformance == doc.conformance and back.findings == doc.findings
    md = render_markdown(doc)
    assert "## Conformance: upstream suites on the implementations built here" in md
    assert "### traefik: gateway-api v1.6.1" in md and "Upstream conformance: traefik fails" in md
    page = render_html(doc)
    assert '<section id="conformance"' in page and "HTTPRouteExactPathMatching" in page
    # a report without records has no section (and an older report without the key still reads)
    assert "## Conformance" not in render_markdown(document())
    old = document().to_json()
    del old["conformance"]
    assert ClaimsReport.from_json(old).conformance == []


def test_refresh_rewrites_the_claims_report_with_the_records_beside_it(tmp_path):
    write_documents(tmp_path, build([], controllers=["traefik"], run=Run(controllers="traefik")))
    write(tmp_path, _run(Outcome.FAILED))
    r = _harness("report", "refresh", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "with 1 conformance record(s)" in r.stdout
    doc = json.loads((tmp_path / "claims-report.json").read_text())
    assert [c["implementation"] for c in doc["conformance"]] == ["traefik"]
    assert any(f["kind"] == "upstream conformance" for f in doc["findings"])
    assert "### traefik: gateway-api v1.6.1" in (tmp_path / "claims-report.md").read_text()


def test_refresh_and_merge_bad_input_is_one_line(tmp_path):
    r = _harness("report", "refresh", str(tmp_path))
    assert r.returncode == 2 and r.stderr.strip() == (
        f"report refresh: no claims report in {tmp_path} (run make e2e into it first)"
    )
    write_documents(tmp_path / "cell", build([], controllers=["traefik"], run=Run(controllers="traefik")))
    bad = tmp_path / "cell" / "conformance" / "broken.json"
    bad.parent.mkdir()
    bad.write_text('{"schema": "something else"}')
    r = _harness("report", "merge", str(tmp_path / "cell"), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "broken.json" in r.stderr
    assert not (tmp_path / "out").exists()


def test_merge_joins_the_conformance_jobs_records_with_the_matrix_cells(tmp_path):
    write_documents(tmp_path / "cells" / "claims-traefik", build([], controllers=["traefik"], run=Run()))
    write(tmp_path / "cells" / "conformance-traefik", _run(Outcome.FAILED))  # a job with no claims report
    write(tmp_path / "cells" / "conformance-eg", _run(Outcome.PASSED, implementation="envoy-gateway"))
    r = _harness("report", "merge", str(tmp_path / "cells"), "--out", str(tmp_path / "merged"))
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "merged" / "claims-report.json").read_text())
    assert sorted(c["implementation"] for c in doc["conformance"]) == ["envoy-gateway", "traefik"]
    assert [f["subjects"] for f in doc["findings"] if f["kind"] == "upstream conformance"] == [["traefik"]]
