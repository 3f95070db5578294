"""Mutants without a cluster: the edits on real manifests of the project,
what a mutant's run proves per claim, and the report's "proven falsifiable"."""

from __future__ import annotations

import pytest

from harness import mutants
from harness.checks.consistency import WaitTimedOut
from harness.checks.manifests import load_manifest
from harness.checks.mutate import mutate
from harness.report.build import build
from harness.report.document import FindingKind
from harness.report.markdown import render_markdown
from harness.results.errors import CheckFailed
from harness.results.model import FailureKind, Outcome, Seen
from harness.results.mutation import MutantOutcome, mutant_results
from harness.results.recorder import Recorder

GUIDE = load_manifest("guide/web-gateway-ingress.yaml")


def _backends(doc) -> list[str]:
    return [p["backend"]["service"]["name"] for r in doc["spec"]["rules"] for p in r["http"]["paths"]]


def test_every_mutant_changes_what_its_test_applies():
    """Each mutant's edits change at least one manifest its test applies as under test
    (checked here on the manifests, as the tests fill them in)."""
    m = mutants.BY_NAME["routing-backends-swapped"]
    out = mutate(GUIDE, m)
    assert _backends(out.docs[0]) == ["frontend-svc", "api-svc"] and _backends(GUIDE[0]) == ["api-svc", "frontend-svc"]
    assert "-            name: api-svc" in out.diff and "+            name: frontend-svc" in out.diff
    dropped = mutate(GUIDE, mutants.BY_NAME["rewrite-annotation-dropped"]).docs[0]
    assert "nginx.ingress.kubernetes.io/rewrite-target" not in dropped["metadata"].get("annotations", {})
    # ${ingress_class}: the subject's own class, from the test's controller
    orphan = load_manifest("troubleshooting/orphan-ingress.yaml")
    served = mutate(orphan, mutants.BY_NAME["unserved-ingress-given-the-class"], {"ingress_class": "traefik"})
    assert served.docs[0]["spec"]["ingressClassName"] == "traefik"
    # ${...} in what a replace matches too: only the fixed Ingress (the subject's class) is broken, not the typo
    for cls, want in (("nginx", "nothing-serves-this"), ("nginx-typo", "nginx-typo")):
        shop = load_manifest("troubleshooting/shop-ingress.yaml", ingress_class=cls)
        fixed = mutate(shop, mutants.BY_NAME["typo-fix-unserved"], {"ingress_class": "nginx"})
        assert fixed.docs[0]["spec"]["ingressClassName"] == want
    # numbers compared as written: the fixed Service's targetPort 3000
    svc = load_manifest("troubleshooting/echo-lb-service.yaml", name="x", selector="shop", target_port=3000)
    assert mutate(svc, mutants.BY_NAME["l4-fix-wrong-port"]).docs[0]["spec"]["ports"][0]["targetPort"] == 3999
    # an object the mutant does not name is left as it is: no diff, the mutant did not apply
    assert mutate(svc, mutants.BY_NAME["routing-backends-swapped"]).diff == ""


def _run(mutant: str, claims: tuple[str, ...], *, fail: FailureKind | None, subject: str = "nginx"):
    m = mutants.BY_NAME[mutant]
    rec = Recorder(claims, mutant=m)
    rec.mutated(mutate(GUIDE, m).diff)
    outcome = Outcome.PASSED
    try:
        with rec.check("/api -> api-svc"):
            if fail is not None:
                raise WaitTimedOut("GET /api", "api-svc", Seen("answered by frontend-svc-pod"), failure=fail)
    except CheckFailed:
        outcome = Outcome.FAILED
    return rec.record(test=f"{m.test}[{subject}-mutant-{mutant}]", subject=subject, outcome=outcome)


def test_a_mutant_is_killed_survived_or_an_error():
    m = mutants.BY_NAME["routing-backends-swapped"]
    claims = ("ingress-host-path-routing", "def-ingress-features")
    killed = mutant_results(_run(m.name, claims, fail=FailureKind.MISROUTE), m)
    assert {r.outcome for r in killed if r.claim in claims} == {MutantOutcome.KILLED}
    assert all("answered by frontend-svc-pod" in r.reason and r.diff for r in killed if r.claim in claims)
    survived = mutant_results(_run(m.name, claims, fail=None), m)
    assert {r.outcome for r in survived if r.claim in claims} == {MutantOutcome.SURVIVED}
    # a failure of another kind than the one targeted is no kill
    other = mutant_results(_run(m.name, claims, fail=FailureKind.WAIT), m)
    assert {r.outcome for r in other if r.claim in claims} == {MutantOutcome.ERROR}
    # a claim the run gave no verdict of, or a mutant that changed nothing: no evidence either way
    rec = Recorder(claims, mutant=m)
    with rec.check("/api -> api-svc"):
        pass
    nothing = mutant_results(rec.record(test="t", subject="nginx", outcome=Outcome.PASSED), m)
    assert all(r.outcome is MutantOutcome.ERROR and "did not apply" in r.reason for r in nothing)


def test_the_report_says_how_each_claim_was_proven_falsifiable_and_a_survivor_is_a_finding():
    claims = tuple(mutants.BY_NAME["routing-backends-swapped"].kills)
    records = [
        _run("routing-backends-swapped", claims, fail=FailureKind.MISROUTE),
        _run("routing-backends-swapped", claims, fail=None, subject="traefik"),
    ]
    doc = build(records, controllers=["nginx", "traefik"])
    row = next(r for r in doc.claims if r.id == "ingress-host-path-routing")
    assert row.falsifiable == (1, 2) and not row.cells  # mutant runs are no verdict of the guide
    survivors = [f for f in doc.findings if f.kind is FindingKind.CANNOT_FAIL]
    assert {(f.claim, f.subjects) for f in survivors} >= {("ingress-host-path-routing", ("traefik",))}
    assert "the Ingress sends /api to the frontend" in survivors[0].text
    md = render_markdown(doc)
    assert "proven falsifiable" in md and "1/2 killed (routing-backends-swapped)" in md
    assert any("mutant routing-backends-swapped survived" in e.why for e in doc.status.mutants)


@pytest.mark.parametrize("name", [m.name for m in mutants.MUTANTS])
def test_each_mutant_kills_only_claims_its_test_checks(name):
    from harness import claims

    m = mutants.BY_NAME[name]
    for cid in m.kills:
        assert m.test in claims.get(cid).tests
