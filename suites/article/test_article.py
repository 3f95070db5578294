"""Any Markdown article's YAML, checked as written: one test per snippet and
subject (a controller of the matrix, or the cluster's load-balancer
implementation for a controller-independent snippet).

The test provisions what the snippet needs but does not define, applies the
snippet in its own namespace and records each check's verdict with its
evidence for the article report (harness/article/report.py). A check that
does not hold is a finding for the article, written to the report; the test
itself fails only when the harness could not do its job. A bad snippet is
recorded with its line and reason and skipped ("not checkable here").
"""

from __future__ import annotations

import pytest

from harness.article import derive, run
from harness.lab.addons import CONTROLLER_ADDONS, AddonUnavailable, BoundController, ensure_addons
from harness.pytest.article import Case, cases, known_classes, matrix
from harness.pytest.fixtures import rendered_config
from harness.pytest.plugin import not_checkable, options, run_id, safe
from harness.results import store
from harness.results.model import Outcome, Verdict
from harness.results.recorder import Recorder


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        found = cases(metafunc.config)
        metafunc.parametrize("case", found, ids=[c.id for c in found])


def _record(request: pytest.FixtureRequest, case: Case, rec: Recorder, outcome: Outcome, **more) -> None:
    store.record(
        options(request.config).report_dir,
        run_id(request.config),
        rec.record(test=request.node.nodeid, subject=case.subject, outcome=outcome, line=case.snippet.line, **more),
    )


def test_snippet(case: Case, request: pytest.FixtureRequest) -> None:
    rec = Recorder()
    if case.bad:
        _record(request, case, rec, Outcome.NOT_CHECKABLE, reason=case.bad)
        not_checkable(case.bad)
    kube = request.getfixturevalue("kube")
    ctx = request.getfixturevalue("addon_context")
    subject: BoundController | None = None
    if case.subject in CONTROLLER_ADDONS:
        addon = CONTROLLER_ADDONS[case.subject]
        try:
            ensure_addons(ctx, [addon.name])
        except AddonUnavailable as exc:
            _record(request, case, rec, Outcome.NOT_CHECKABLE, reason=str(exc))
            not_checkable(str(exc))
        subject = BoundController(addon, ctx)
    subjects = matrix(request.config)
    plan = derive.plan(
        case.snippet, next((s for s in subjects if s.name == case.subject), None), subjects, known_classes()
    )
    for note in plan.notes:
        rec.note(note)
    for what in plan.not_applied:
        rec.note(f"not applied: {what}")
    ns = request.getfixturevalue("ns")
    rec.generated(ns.rsplit("-", 1)[-1])
    try:
        result = run.run_plan(
            plan, kube, ns, subject, request.getfixturevalue("run_ca"), request.getfixturevalue("timeouts"), rec
        )
    except Exception as exc:
        _record(
            request,
            case,
            rec,
            Outcome.ERROR,
            reason=f"harness error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
        )
        raise
    if result.bad:
        _record(request, case, rec, Outcome.NOT_CHECKABLE, reason=result.bad)
        not_checkable(result.bad)
    evidence_dir = ""
    if any(c.verdict in (Verdict.DOES_NOT_HOLD, Verdict.ERROR) for c in rec.checks):
        dest = options(request.config).report_dir / "evidence" / safe(request.node.nodeid)
        kube.dump_namespace(ns, dest, extra_logs=subject.logs() if subject else {}, rendered=rendered_config(subject))
        evidence_dir = f"evidence/{dest.name}/"
    _record(request, case, rec, Outcome.PASSED, setup=result.setup, evidence_dir=evidence_dir)
    errors = [c for c in rec.checks if c.verdict is Verdict.ERROR]
    assert not errors, "the harness could not make these checks: " + "; ".join(f"{c.label}: {c.reason}" for c in errors)
