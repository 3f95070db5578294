"""Findings are derived from the results: refutations, risky YAML, controllers
that differ, staleness, each with the corrections checked on the same run."""

from __future__ import annotations

from report_samples import CONTROLLERS, PLAIN, REWRITE_TEST, document, record, results

from harness.report.build import build
from harness.report.document import Finding, FindingKind
from harness.report.markdown import render_markdown
from harness.results.model import Seen, Verdict


def _by_kind(doc) -> dict[FindingKind, list[Finding]]:
    out: dict[FindingKind, list[Finding]] = {}
    for f in doc.findings:
        out.setdefault(f.kind, []).append(f)
    return out


def test_findings_come_from_the_results():
    doc = document()
    kinds = _by_kind(doc)
    (refuted,) = kinds[FindingKind.DOES_NOT_HOLD]
    assert refuted.subjects == ("traefik-nginx",) and "status 400, wanted 200" in refuted.text
    assert refuted.claim == "ingress-rewrite-target" and "answers 400 for /api/users" in refuted.text
    # the correction of the claim whose expectation failed is attached to the refutation
    assert [c.id for c in refuted.corrections] == ["rewrite-keep-subpath"]
    (risky,) = kinds[FindingKind.RISKY_YAML]
    assert risky.subjects == ("nginx", "nginx-inc", "traefik")
    (correction,) = risky.corrections
    assert correction.verdicts == {s: Verdict.HOLDS for s in CONTROLLERS}
    assert correction.manifests["nginx-inc"] == "corrections/rewrite-keep-subpath-nginx-inc.yaml"
    differ = {f.title for f in kinds[FindingKind.CONTROLLERS_DIFFER]}
    assert differ == {
        "Controllers differ: path api-svc receives for /api/users, the guide's YAML.",
        "Controllers differ: plain HTTP to the guide's TLS host (/api).",
    }
    guide_yaml = next(f for f in kinds[FindingKind.CONTROLLERS_DIFFER] if "guide's YAML" in f.title)
    assert "nginx: /;" in guide_yaml.text and "traefik-nginx: check failed: status 400" in guide_yaml.text
    # compared with the generated host names normalised: nginx and traefik-nginx both redirect to the same place
    plain = next(f for f in kinds[FindingKind.CONTROLLERS_DIFFER] if PLAIN in f.title)
    assert "nginx: 308 redirect to https://shop.example.com/api;" in plain.text
    assert "traefik-nginx: 308 redirect to https://shop.example.com/api" in plain.text
    (stale,) = kinds[FindingKind.STALE]
    assert stale.title == "Stale: nginx was retired upstream in March 2026."
    # findings come first: refutations, then risky YAML, then differences, then staleness
    assert doc.findings[0].kind is FindingKind.DOES_NOT_HOLD and doc.findings[-1].kind is FindingKind.STALE


def test_one_failure_on_two_controllers_is_not_a_difference():
    """The same refusal seen through each test's own host name and address is
    one behaviour: normalised before controllers are compared."""
    topic = "plain HTTP to the guide's TLS host (/api)"
    recs = [
        record(
            "ingress-host-path-routing",
            "nginx",
            "h",
            suffix="1a2b3",
            observations={topic: "308 redirect to https://shop-1a2b3.example.com/api from 172.18.255.200"},
        ),
        record(
            "ingress-host-path-routing",
            "traefik",
            "h",
            suffix="9f8e7",
            observations={topic: "308 redirect to https://shop-9f8e7.example.com/api from 172.18.255.201"},
        ),
    ]
    doc = build(recs, controllers=["nginx", "traefik"])
    assert not [f for f in doc.findings if f.kind is FindingKind.CONTROLLERS_DIFFER]


def test_no_finding_without_the_result_behind_it():
    """The rules read results: when every controller behaves the same and
    nothing is refuted, the same catalog gives no such findings."""
    same = [
        record(r.claims[0], r.subject, r.test)
        if r.claims[0] in ("ingress-rewrite-target", "ingress-host-path-routing")
        else r
        for r in results()
    ]
    doc = build(same, controllers=CONTROLLERS)
    assert doc.findings == []


def test_a_failing_correction_shows_its_verdict():
    rs = [
        record("rewrite-keep-subpath", "traefik-nginx", "c", refused=Seen("status 404", status=404))
        if r.claims[0] == "rewrite-keep-subpath" and r.subject == "traefik-nginx"
        else r
        for r in results()
    ]
    doc = build(rs, controllers=CONTROLLERS)
    risky = next(f for f in doc.findings if f.kind is FindingKind.RISKY_YAML)
    assert risky.corrections[0].verdicts["traefik-nginx"] is Verdict.DOES_NOT_HOLD
    md = render_markdown(doc)
    assert "traefik-nginx: DOES NOT HOLD" in md
    assert REWRITE_TEST


def test_each_refutation_in_a_merged_cell_keeps_its_own_known_reason():
    """Two tests of one claim on one subject refuted differently (the guide's
    YAML verbatim, the controller's own idiom), each matching its own known
    refutation: each finding says its own reason, not the first test's (CI
    showed the verbatim reason under the idiom's failure), in the document and
    after a JSON round trip."""
    from harness.report.document import ClaimsReport

    verbatim = "the annotation is not this controller's: api-svc receives /api/users"
    idiom = "its own rewrite replaces the whole path: api-svc receives /"
    records = [
        record(
            "ingress-rewrite-target",
            "nginx-inc",
            "suites/test_ingress_routing.py::test_guide_yaml_verbatim",
            refused=Seen("the backend saw path '/api/users', wanted '/users'", path="/api/users"),
            known=verbatim,
        ),
        record(
            "ingress-rewrite-target",
            "nginx-inc",
            REWRITE_TEST,
            refused=Seen("the backend saw path '/', wanted '/users'", path="/"),
            known=idiom,
        ),
    ]
    doc = build(records, controllers=["nginx-inc"])
    for d in (doc, ClaimsReport.from_json(doc.to_json())):
        refuted = _by_kind(d)[FindingKind.DOES_NOT_HOLD]
        reasons = {("'/api/users'" in f.text, "'/', wanted" in f.text): f.text for f in refuted}
        assert set(reasons) == {(True, False), (False, True)}
        assert reasons[(True, False)].endswith(f"Known since an earlier run: {verbatim}")
        assert reasons[(False, True)].endswith(f"Known since an earlier run: {idiom}")
