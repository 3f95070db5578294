"""Claim marking and the report, through a real pytest run (pytester)."""

from __future__ import annotations

import json

import pytest

from harness import claims
from harness.report.build import build
from harness.results.errors import CheckFailed
from harness.results.model import Outcome, TestRecord, Verdict
from harness.results.recorder import Recorder

pytest_plugins = ["pytester"]


def test_catalog_ids_unique_and_areas_known():
    ids = [c.id for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    assert {c.area for c in claims.CLAIMS} <= {
        "loadbalancer",
        "ingress",
        "tls",
        "consolidation",
        "troubleshooting",
        "migration",
        "gateway",
        "cloud",
        "performance",
        "advice",
        "editorial",
    }
    with pytest.raises(KeyError, match="unknown claim"):
        claims.get("no-such-claim")


def _run(pytester, body: str, *args: str):
    pytester.makeconftest('pytest_plugins = ["harness.pytest.plugin"]\n')
    pytester.makepyfile(test_claims=body)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--report-dir={pytester.path / 'out'}", *args)


BODY = """
import pytest
from harness.pytest.plugin import not_checkable

@pytest.mark.claim("lb-l4-reach")
def test_holds(evidence):
    with evidence.check("tcp-app answers"):
        evidence.add("probe", {"status": 200})

@pytest.mark.claim("ingress-host-path-routing")
@pytest.mark.parametrize("controller", ["nginx", "traefik"])
def test_per_controller(controller, evidence):
    evidence.note("seen by " + controller)
    with evidence.check("/api -> api-svc"):
        assert controller == "traefik", "nginx routed /api to frontend-svc"

@pytest.mark.claim("lb-external-address")
def test_checks_nothing(evidence):
    evidence.note("a test that declares no check of its claim cannot read 'holds'")

@pytest.mark.claim("lb-one-per-service")
def test_cannot():
    not_checkable("no second controller here")

@pytest.mark.claim("lb-needs-implementation")
def test_harness_breaks():
    raise RuntimeError("kubeconfig vanished")

def test_unmarked():
    pass
"""


def test_outcomes_become_verdicts(pytester):
    result = _run(pytester, BODY)
    result.assert_outcomes(passed=3, failed=3, skipped=1)
    doc = json.loads((pytester.path / "out" / "claims-report.json").read_text())
    cells = {(row["id"], c["subject"]): c for row in doc["claims"] for c in row["results"]}
    assert cells[("lb-l4-reach", "metallb")]["verdict"] == "holds"
    assert cells[("lb-l4-reach", "metallb")]["evidence"] == [{"label": "probe", "data": {"status": 200}}]
    nothing = cells[("lb-external-address", "metallb")]
    assert nothing["verdict"] == "error" and "declares no check of lb-external-address" in nothing["reason"]
    assert cells[("ingress-host-path-routing", "traefik")]["verdict"] == "holds"
    nginx = cells[("ingress-host-path-routing", "nginx")]
    assert nginx["verdict"] == "does not hold"
    assert "nginx routed /api to frontend-svc" in nginx["reason"]
    (failed,) = nginx["failed"]
    assert failed["check"] == "/api -> api-svc" and failed["seen"]["text"] == "nginx routed /api to frontend-svc"
    assert failed["claims"] == ["ingress-host-path-routing"]
    assert "seen by nginx" in nginx["notes"]
    # the retirement notice stands beside every nginx result
    assert any("retired" in n for n in nginx["notes"])
    assert cells[("lb-one-per-service", "metallb")]["verdict"] == "not checkable here"
    assert cells[("lb-one-per-service", "metallb")]["reason"] == "no second controller here"
    broken = cells[("lb-needs-implementation", "metallb")]
    assert broken["verdict"] == "error" and broken["reason"] == "harness error during call: kubeconfig vanished"
    # claims no local cluster can check are always listed, with their reason
    uncheckable = [c for c in claims.CLAIMS if c.not_checkable]
    for c in uncheckable:
        cell = cells[(c.id, "anywhere")]
        assert cell["verdict"] == "not checkable here" and cell["reason"] == c.not_checkable
    assert doc["summary"]["holds"] == 2 and doc["summary"]["does not hold"] == 1 and doc["summary"]["error"] == 2
    assert doc["summary"]["not checkable here"] == 1 + len(uncheckable)
    assert doc["schema"] == "exposure-harness/claims-report/v3"
    assert doc["status"]["state"] == "complete"
    assert {(e["claim"], e["subject"]) for e in doc["status"]["errors"]} == {
        ("lb-needs-implementation", "metallb"),
        ("lb-external-address", "metallb"),
    }
    # claims no test of this run selected have no cells: listed apart, never shown as checked
    assert not [k for k in cells if k[0] == "ingress-tls-termination"]
    assert "ingress-tls-termination" in doc["status"]["not_selected"]
    md = (pytester.path / "out" / "claims-report.md").read_text()
    assert "| claim | nginx | traefik | metallb | anywhere |" in md  # the subjects this run checked
    assert "| ingress-host-path-routing | DOES NOT HOLD | holds | – | – |" in md
    assert "Does not hold: ingress-host-path-routing on nginx." in md


def test_reports_are_deterministic(pytester):
    _run(pytester, BODY)
    first = (pytester.path / "out" / "claims-report.json").read_text()
    first_md = (pytester.path / "out" / "claims-report.md").read_text()
    _run(pytester, BODY, "-p", "xdist", "-n", "2")
    assert (pytester.path / "out" / "claims-report.json").read_text() == first
    assert (pytester.path / "out" / "claims-report.md").read_text() == first_md


def test_unknown_claim_is_a_usage_error(pytester):
    result = _run(pytester, 'import pytest\n@pytest.mark.claim("made-up")\ndef test_x():\n    pass\n')
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*unknown claim 'made-up'*"])


def test_per_controller_claim_needs_the_controller_fixture(pytester):
    result = _run(pytester, 'import pytest\n@pytest.mark.claim("ingress-consolidation")\ndef test_x():\n    pass\n')
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*claim ingress-consolidation is checked per controller*"])


def test_unknown_controller_is_one_line(pytester):
    result = _run(pytester, "def test_x():\n    pass\n", "--controllers=haproxy")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["ERROR: unknown controller haproxy; choose from: nginx, nginx-inc, traefik, traefik-nginx, envoy-gateway"]
    )


def _record(test: str, failure: str | None) -> TestRecord:
    rec = Recorder(("lb-l4-reach",))
    try:
        with rec.check("tcp-app answers"):
            assert failure is None, failure
    except CheckFailed:
        pass
    return rec.record(test=test, subject="metallb", outcome=Outcome.FAILED if failure else Outcome.PASSED)


def test_merge_keeps_weakest_verdict():
    doc = build([_record("t1", None), _record("t2", "refused")], controllers=["traefik"])
    cell = doc.claims[[c.id for c in claims.CLAIMS].index("lb-l4-reach")].cell("metallb")
    assert doc.status.state.value == "complete" and cell is not None
    assert cell.verdict is Verdict.DOES_NOT_HOLD and cell.reason == "tcp-app answers: seen: refused"
    assert cell.tests == ("t1", "t2")


KNOWN = """
import pytest

from harness.results.model import Seen
from harness.checks.consistency import WaitTimedOut

@pytest.mark.claim("ingress-rewrite-target")
@pytest.mark.parametrize("controller", ["nginx", "traefik"])
def test_rewrite(controller, evidence):
    with evidence.check("/api/users -> api-svc"):
        if controller != "traefik":
            raise WaitTimedOut("GET /api/users", "200 from api-svc", Seen("status 400", status=400))
"""


def test_known_refutation_is_reported_but_does_not_fail_the_run(pytester):
    known = pytester.path / "known.yaml"
    entry = "- claim: ingress-rewrite-target\n  subject: nginx\n  seen: {status: %d}\n  why: seen 400 for /api/users\n"
    known.write_text(entry % 400)
    result = _run(pytester, KNOWN, f"--known-refutations={known}")
    result.assert_outcomes(passed=1, xfailed=1)
    assert result.ret == 0
    doc = json.loads((pytester.path / "out" / "claims-report.json").read_text())
    (row,) = [r for r in doc["claims"] if r["id"] == "ingress-rewrite-target"]
    nginx = next(c for c in row["results"] if c["subject"] == "nginx")
    assert nginx["verdict"] == "does not hold"
    assert "known refutation: seen 400 for /api/users" in nginx["notes"] and nginx["known"]
    # the same claim on the same subject, seen otherwise (a 404 is listed, a 400 came): a new failure
    known.write_text(entry % 404)
    result = _run(pytester, KNOWN, f"--known-refutations={known}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*a known refutation of the same claim on nginx was seen otherwise*"])


def test_known_refutation_that_now_holds_fails_the_run(pytester):
    known = pytester.path / "known.yaml"
    known.write_text(
        "- claim: ingress-rewrite-target\n  subject: traefik\n  seen: {status: 400}\n  why: was refuted once\n"
    )
    result = _run(pytester, KNOWN, f"--known-refutations={known}")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*ingress-rewrite-target on traefik is listed as a known refutation but now holds*"])


def test_known_refutations_file_is_validated(pytester):
    known = pytester.path / "known.yaml"
    known.write_text("- claim: no-such-claim\n  subject: nginx\n  seen: {status: 400}\n  why: x\n")
    result = _run(pytester, "def test_x():\n    pass\n", f"--known-refutations={known}")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*unknown claim 'no-such-claim'*"])
