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
from harness.article import report as article_report
from harness.claims import Verdict
from harness.lab.addons import CONTROLLER_ADDONS, AddonUnavailable, BoundController, ensure_addons
from harness.pytest.article import Case, cases, known_classes, matrix
from harness.pytest.fixtures import rendered_config, safe
from harness.pytest.plugin import not_checkable, options, run_id


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        found = cases(metafunc.config)
        metafunc.parametrize("case", found, ids=[c.id for c in found])


def _record(request: pytest.FixtureRequest, case: Case, **data) -> None:
    opts = options(request.config)
    article_report.record(
        opts.report_dir,
        run_id(request.config),
        case.id,
        {"line": case.snippet.line, "subject": case.subject, "test": request.node.nodeid, **data},
    )


def test_snippet(case: Case, request: pytest.FixtureRequest) -> None:
    if case.bad:
        _record(request, case, bad=case.bad)
        not_checkable(case.bad)
    kube = request.getfixturevalue("kube")
    ctx = request.getfixturevalue("addon_context")
    subject: BoundController | None = None
    if case.subject in CONTROLLER_ADDONS:
        addon = CONTROLLER_ADDONS[case.subject]
        try:
            ensure_addons(ctx, [addon.name])
        except AddonUnavailable as exc:
            _record(request, case, not_checkable=str(exc), outcomes=[])
            not_checkable(str(exc))
        subject = BoundController(addon, ctx)
    subjects = matrix(request.config)
    plan = derive.plan(
        case.snippet, next((s for s in subjects if s.name == case.subject), None), subjects, known_classes()
    )
    ns = request.getfixturevalue("ns")
    result = run.run_plan(
        plan, kube, ns, subject, request.getfixturevalue("run_ca"), request.getfixturevalue("timeouts")
    )
    if result.bad:
        _record(request, case, bad=result.bad)
        not_checkable(result.bad)
    failed = [o for o in result.outcomes if o.verdict == Verdict.DOES_NOT_HOLD.value]
    evidence_dir = None
    if failed:
        dest = options(request.config).report_dir / "evidence" / safe(request.node.nodeid)
        kube.dump_namespace(ns, dest, extra_logs=subject.logs() if subject else {}, rendered=rendered_config(subject))
        evidence_dir = f"evidence/{dest.name}/"
    _record(
        request,
        case,
        notes=plan.notes,
        not_applied=plan.not_applied,
        setup=result.setup,
        outcomes=[o.as_dict() for o in result.outcomes],
        evidence_dir=evidence_dir,
    )
