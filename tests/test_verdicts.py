"""The verdict mapping on its own: outcome in, verdict out (harness.pytest.verdicts.decide)."""

from __future__ import annotations

import pytest

from harness.checks.probes import ProbeError
from harness.claims import Verdict
from harness.pytest.plugin import NOT_CHECKABLE
from harness.pytest.verdicts import decide
from harness.results.errors import CheckFailed
from harness.results.model import Transcript


def test_passing_setup_and_clean_teardown_are_no_verdict():
    assert decide(when="setup", outcome="passed").verdict is None
    assert decide(when="teardown", outcome="passed").verdict is None
    assert decide(when="teardown", outcome="skipped", skip_message="Skipped: x").verdict is None


def test_a_passed_call_holds():
    d = decide(when="call", outcome="passed")
    assert (d.verdict, d.reason, d.notes, d.outcome) == (Verdict.HOLDS, "", (), None)


@pytest.mark.parametrize(
    "error",
    [
        AssertionError("nginx routed /api to frontend-svc\nassert 1 == 2"),
        ProbeError("refused", "10.0.0.1:80", "connection refused"),
    ],
)
def test_a_failed_check_does_not_hold_with_its_first_line(error):
    d = decide(when="call", outcome="failed", error=error, evidence_dir="evidence/x/")
    assert d.verdict is Verdict.DOES_NOT_HOLD
    assert d.reason == str(error).splitlines()[0]
    assert d.notes == ("failure evidence (events, objects, logs): evidence/x/",)


def test_the_failed_checks_transcript_becomes_evidence():
    t = Transcript("route")
    t.record(False, "status 404")
    d = decide(when="call", outcome="failed", error=CheckFailed("route: expected 3", t))
    assert d.failed_check == {"label": "failed check", "data": t.evidence()}
    assert d.notes == ()  # no namespace, no dump to point at


def test_not_checkable_keeps_its_reason_and_other_skips_are_no_verdict():
    d = decide(when="setup", outcome="skipped", skip_message=f"Skipped: {NOT_CHECKABLE}no second controller")
    assert (d.verdict, d.reason) == (Verdict.NOT_CHECKABLE, "no second controller")
    assert decide(when="setup", outcome="skipped", skip_message="Skipped: deselected").verdict is None


def test_anything_else_is_a_harness_error_not_a_refutation():
    d = decide(when="call", outcome="failed", error=RuntimeError("kubeconfig vanished"))
    assert (d.verdict, d.reason) == (Verdict.NOT_CHECKABLE, "harness error during call: kubeconfig vanished")
    d = decide(when="setup", outcome="failed", error=AssertionError("deployment not ready"))
    assert d.verdict is Verdict.NOT_CHECKABLE and d.reason == "harness error during setup: deployment not ready"
    d = decide(when="teardown", outcome="failed", error_text="E   something broke in teardown")
    assert d.reason == "harness error during teardown: E   something broke in teardown"


def test_a_known_refutation_is_reported_but_does_not_fail_the_run():
    d = decide(
        when="call",
        outcome="failed",
        error=AssertionError("400 for /api/users"),
        known="seen 400",
        claim="ingress-rewrite-target",
        subject="traefik-nginx",
    )
    assert d.verdict is Verdict.DOES_NOT_HOLD
    assert (d.outcome, d.wasxfail) == ("skipped", "known refutation: seen 400")
    assert "known refutation: seen 400" in d.notes


def test_a_known_refutation_that_now_holds_fails_the_run():
    d = decide(when="call", outcome="passed", known="seen 400", claim="ingress-rewrite-target", subject="traefik")
    assert d.verdict is Verdict.HOLDS and d.outcome == "failed"
    assert d.longrepr == (
        "harness: ingress-rewrite-target on traefik is listed as a known refutation but now holds; "
        "remove it from the known refutations"
    )
    # a known refutation that turns into a harness error is neither: the error stands
    d = decide(when="call", outcome="failed", error=RuntimeError("x"), known="seen 400")
    assert d.verdict is Verdict.NOT_CHECKABLE and d.outcome is None
