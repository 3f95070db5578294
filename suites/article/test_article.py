"""Any Markdown article's YAML, checked as written: one test per chain of
snippets and subject (a controller of the matrix, or the cluster's
load-balancer implementation for a controller-independent snippet). A chain
is a lone snippet or the successive versions of one object, applied in
article order in one namespace, each step checked after its own apply.

Each step is recorded (harness/article/run.py) as the article's record of
that snippet on that subject, through the same recorder as the claims
suites'; the report of each article and the run's index are written at the
end of the run (harness/pytest/article.py). A check that does not hold is a
finding for the article, not a failed test: the test fails only when the
harness could not do its job (an error).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.article import batch, run
from harness.checks.forensics import dump_namespace
from harness.lab.addons import CONTROLLER_ADDONS, AddonUnavailable, BoundController, ensure_addons, rendered_config
from harness.pytest.article import Case, article_dir, cases
from harness.pytest.plugin import not_checkable, run_id, safe
from harness.results import store
from harness.results.model import Outcome, Verdict
from harness.results.recorder import Recorder


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        found = cases(metafunc.config)
        metafunc.parametrize("case", found, ids=[c.id for c in found])


def test_chain(case: Case, request: pytest.FixtureRequest, articles: list[batch.Article]) -> None:
    a = articles[case.article]
    unit = a.unit(case.key, case.subject)
    where = article_dir(request.config, a)
    rid = run_id(request.config)
    steps = a.plans(unit) if case.key != batch.READER else []

    def record(line: int, rec: Recorder, outcome: Outcome, **more: object) -> None:
        store.record(
            where,
            rid,
            rec.record(test=request.node.nodeid, subject=case.subject, outcome=outcome, line=line, **more),  # type: ignore[arg-type]
        )

    kube = request.getfixturevalue("kube")
    ctx = request.getfixturevalue("addon_context")
    subject: BoundController | None = None
    if case.subject in CONTROLLER_ADDONS:
        addon = CONTROLLER_ADDONS[case.subject]
        try:
            ensure_addons(ctx, [addon.name])
        except AddonUnavailable as exc:
            for sp, _ in steps:
                record(sp.snippet.line, Recorder(), Outcome.NOT_CHECKABLE, reason=str(exc))
            not_checkable(str(exc))
        subject = BoundController(addon, ctx)
    ns = request.getfixturevalue("ns")
    env = run.Env(
        kube,
        ns,
        subject,
        request.getfixturevalue("run_ca"),
        request.getfixturevalue("timeouts"),
        kubeconfig=kube.kubeconfig,
    )
    evidence_dir = f"evidence/{safe(request.node.nodeid)}/"
    if case.key == batch.READER:
        _reader(a, case, env, where, evidence_dir, record)
        return
    failed = False
    errors: list[str] = []

    def done(i: int, step: run.StepRun) -> None:
        nonlocal failed
        sp, plan = steps[i]
        setup = {
            **(step.result.setup if step.result else {}),
            "step": i + 1,
            "steps": len(steps),
            "seconds": round(step.seconds, 1),
            "ended": round(time.time(), 1),
        }
        bad = any(c.verdict in (Verdict.DOES_NOT_HOLD, Verdict.ERROR) for c in step.rec.checks)
        failed = failed or bad or bool(step.error)
        dump = evidence_dir if bad or step.error else ""
        if step.error:
            errors.append(f"line {sp.snippet.line}: {step.error}")
            record(sp.snippet.line, step.rec, Outcome.ERROR, reason=step.error, setup=setup, evidence_dir=dump)
        elif step.result is not None and step.result.bad:
            record(sp.snippet.line, step.rec, Outcome.NOT_CHECKABLE, reason=step.result.bad, setup=setup)
        else:
            record(sp.snippet.line, step.rec, Outcome.PASSED, setup=setup, evidence_dir=dump)
        errors.extend(
            f"line {sp.snippet.line}: {c.label}: {c.reason}" for c in step.rec.checks if c.verdict is Verdict.ERROR
        )

    def notes(i: int) -> list[str]:
        sp = steps[i][0]
        out = []
        if sp.step.chain:
            out.append(f"step {sp.step.step} of the versions from line {sp.step.chain} (applied as an update)")
        return out

    cleanup = run.run_chain([p for _, p in steps], env, done, notes=notes)
    if failed:
        dest = where / evidence_dir
        shutil.rmtree(dest, ignore_errors=True)
        dump_namespace(kube, ns, dest, extra_logs=subject.logs() if subject else {}, rendered=rendered_config(subject))
    errors += cleanup.problems
    assert not errors, "the harness could not make these checks: " + "; ".join(errors)


def _reader(
    a: batch.Article, case: Case, env: run.Env, where: Path, evidence_dir: str, record: Callable[..., None]
) -> None:
    """The article as a reader follows it: one record (line 0) with what the final state's checks found."""
    assert a.plan is not None
    reader = a.readers[case.subject]
    rec = Recorder()
    rec.generated(env.ns.rsplit("-", 1)[-1])
    for n in reader.final.notes:
        rec.note(n)
    for n in reader.left_out:
        rec.note(f"left out of the reader's path: {n}")
    lines = [a.plan.snippets[i].snippet.line for i in reader.steps]
    started = time.monotonic()
    try:
        cleanup = run.run_reader(reader.plans, lines, reader.final, env, rec)
    except Exception as exc:
        text = str(exc).strip().splitlines()
        record(batch.READER, rec, Outcome.ERROR, reason=f"harness error: {text[0] if text else type(exc).__name__}")
        raise
    setup = {"namespace": env.ns, "steps": lines, "seconds": round(time.monotonic() - started, 1)}
    bad = any(c.verdict in (Verdict.DOES_NOT_HOLD, Verdict.ERROR) for c in rec.checks)
    if bad:
        dest = where / evidence_dir
        shutil.rmtree(dest, ignore_errors=True)
        dump_namespace(env.kube, env.ns, dest, extra_logs=env.subject.logs() if env.subject else {})
    record(batch.READER, rec, Outcome.PASSED, setup=setup, evidence_dir=evidence_dir if bad else "")
    errors = [f"{c.label}: {c.reason}" for c in rec.checks if c.verdict is Verdict.ERROR] + cleanup.problems
    assert not errors, "the harness could not make these checks: " + "; ".join(errors)
