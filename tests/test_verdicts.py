"""Verdicts for the right reason, without a cluster: a test's recorded
checks in, each claim's verdict out; errors of the harness kept apart from
refutations; known refutations matched on what was seen."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from kubernetes.client.rest import ApiException

from harness.checks.consistency import WaitTimedOut, eventually
from harness.checks.kube import AdmissionRejected, Kube, _admission_refusal
from harness.checks.timeouts import Timeouts
from harness.lab.addons import Context, _present
from harness.lab.addons import metallb as metallb_addon
from harness.pytest.plugin import NOT_CHECKABLE
from harness.pytest.verdicts import phase_outcome
from harness.report.build import build
from harness.report.document import FindingKind
from harness.results.errors import CheckFailed, HarnessError
from harness.results.known import KnownRefutation, KnownRefutationsError, judge, load
from harness.results.model import FailureKind, Outcome, Seen, Verdict
from harness.results.recorder import Recorder
from harness.results.verdicts import claim_verdicts

FAST = Timeouts(consistency=0.3, object_ready=0.3, probe_interval=0.05, request=0.5)


def _ended(rec: Recorder, exc: BaseException | None, *, subject: str = "nginx", test: str = "t"):
    outcome, reason = phase_outcome(when="call", outcome="failed" if exc else "passed", error=exc)
    assert outcome is not None
    return rec.record(test=test, subject=subject, outcome=outcome, reason=reason)


def _verdicts(record) -> dict[str, Verdict]:
    return {v.claim: v.verdict for v in claim_verdicts(record)}


def _endpoints_never_ready() -> None:
    """What ``Kube.wait_endpoints`` raises when echo pods never get ready."""

    def ready() -> None:
        raise AssertionError("service t-x/api-svc has no ready endpoints")

    eventually(ready, what="endpoints of t-x/api-svc", timeouts=FAST, hint="selector and targetPort of api-svc")


def test_a_scaffolding_timeout_is_an_error_not_a_refutation():
    rec = Recorder(("ingress-host-path-routing",))
    try:
        _endpoints_never_ready()  # the harness's own echo pods: outside any check
    except WaitTimedOut as exc:
        record = _ended(rec, exc)
    assert record.outcome is Outcome.ERROR
    (v,) = claim_verdicts(record)
    assert v.verdict is Verdict.ERROR and v.failed is None
    assert "endpoints of t-x/api-svc" in v.reason and "no ready endpoints" in v.reason
    # the same wait on an object under test (inside a check) is a refutation, with what was seen as fields
    rec = Recorder(("lb-external-address",))
    with pytest.raises(CheckFailed) as info:
        with rec.check("the guide's tcp-app Service gets an external address"):
            _endpoints_never_ready()
    record = _ended(rec, info.value, subject="metallb")
    (v,) = claim_verdicts(record)
    assert v.verdict is Verdict.DOES_NOT_HOLD and v.failed is info.value.failed
    assert v.failed.kind is FailureKind.WAIT and v.failed.seen.text == "service t-x/api-svc has no ready endpoints"


def test_phase_outcomes():
    assert phase_outcome(when="setup", outcome="passed") == (None, "")
    assert phase_outcome(when="teardown", outcome="passed") == (None, "")
    assert phase_outcome(when="call", outcome="skipped", skip_message="Skipped: deselected") == (None, "")
    nc = phase_outcome(when="setup", outcome="skipped", skip_message=f"Skipped: {NOT_CHECKABLE}no second controller")
    assert nc == (Outcome.NOT_CHECKABLE, "no second controller")
    assert phase_outcome(when="call", outcome="passed") == (Outcome.PASSED, "")
    outcome, reason = phase_outcome(when="call", outcome="failed", error=RuntimeError("kubeconfig vanished"))
    assert (outcome, reason) == (Outcome.ERROR, "harness error during call: kubeconfig vanished")
    outcome, reason = phase_outcome(when="teardown", outcome="failed", error_text="E   something broke in teardown")
    assert (outcome, reason) == (Outcome.ERROR, "harness error during teardown: E   something broke in teardown")
    # a plain assert outside a check block is the harness's (a tool under test, a fixture): error
    assert phase_outcome(when="call", outcome="failed", error=AssertionError("diagnosis named x"))[0] is (Outcome.ERROR)


# a denial as ingress-nginx's admission webhook answers it through the API server (recorded)
WEBHOOK_DENIAL = {
    "kind": "Status",
    "apiVersion": "v1",
    "status": "Failure",
    "message": 'admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: nginx.ingress.'
    "kubernetes.io/rewrite-target annotation contains invalid value",
    "reason": "BadRequest",
    "code": 400,
}


def _api_exception(status: int, body: dict) -> ApiException:
    exc = ApiException(status=status, reason="Bad Request")
    exc.body = json.dumps(body)
    return exc


def test_an_admission_rejection_of_the_guides_yaml_is_a_finding_with_the_webhooks_message():
    refusal = _admission_refusal(_api_exception(400, WEBHOOK_DENIAL)) or ""
    assert refusal == WEBHOOK_DENIAL["message"]
    assert _admission_refusal(_api_exception(403, {"message": "forbidden: User cannot create", "code": 403})) is None
    assert _admission_refusal(_api_exception(422, {"message": "spec.rules[0]: Invalid value", "reason": "Invalid"}))
    rec = Recorder(("ingress-rewrite-target",))
    with pytest.raises(CheckFailed) as info:
        with rec.check("applied and accepted: Ingress web-gateway"):
            raise AdmissionRejected("apply Ingress t/web-gateway", "the object admitted", Seen(refusal, status=400))
    record = _ended(rec, info.value)
    doc = build([record], controllers=["nginx"])
    (finding,) = [f for f in doc.findings if f.kind is FindingKind.DOES_NOT_HOLD]
    assert finding.claim == "ingress-rewrite-target" and finding.subjects == ("nginx",)
    assert 'admission webhook "validate.nginx.ingress.kubernetes.io" denied the request' in finding.text
    cell = doc.claims[[r.id for r in doc.claims].index("ingress-rewrite-target")].cell("nginx")
    assert cell is not None and cell.verdict is Verdict.DOES_NOT_HOLD
    assert cell.failed[0].kind is FailureKind.ADMISSION
    # the same refusal of the harness's own objects (echo pods, Secrets) is an error, never a finding
    rec = Recorder(("ingress-rewrite-target",))
    exc = AdmissionRejected("apply Secret t/shop-tls", "the object admitted", Seen(refusal, status=400))
    record = _ended(rec, exc)
    assert _verdicts(record) == {"ingress-rewrite-target": Verdict.ERROR}
    assert not build([record], controllers=["nginx"]).findings


def test_a_two_claim_test_failing_one_claims_expectation_pins_it_on_that_claim_only():
    rec = Recorder(("migrate-lb-to-ingress", "migrate-health-checks"))
    with rec.check("before: each Service gets its own address", claims=("migrate-lb-to-ingress",)):
        pass
    with pytest.raises(CheckFailed) as info:
        with rec.check("the unready pod gets no traffic", claims=("migrate-health-checks",)):
            raise AssertionError("answered by pod app-1-unready")
    record = _ended(rec, info.value)
    assert _verdicts(record) == {
        "migrate-lb-to-ingress": Verdict.NOT_RUN,  # the test stopped before its remaining checks
        "migrate-health-checks": Verdict.DOES_NOT_HOLD,
    }
    doc = build([record], controllers=["nginx"])
    (finding,) = [f for f in doc.findings if f.kind is FindingKind.DOES_NOT_HOLD]
    assert (finding.claim, finding.claims) == ("migrate-health-checks", ("migrate-health-checks",))
    # a test that passes holds for each claim its checks declared; a listed claim none declared is an error
    rec = Recorder(("migrate-lb-to-ingress", "migrate-health-checks"))
    with rec.check("the move", claims=("migrate-lb-to-ingress",)):
        pass
    assert _verdicts(_ended(rec, None)) == {
        "migrate-lb-to-ingress": Verdict.HOLDS,
        "migrate-health-checks": Verdict.ERROR,
    }
    # a check may not declare a claim its test does not check
    with pytest.raises(HarnessError, match="does not check"):
        with rec.check("x", claims=("lb-l4-reach",)):
            pass


def _refuted(status: int, path: str | None = None):
    rec = Recorder(("ingress-rewrite-target",))
    with pytest.raises(CheckFailed) as info:
        with rec.check("/api/users -> api-svc"):
            raise WaitTimedOut(
                "traefik-nginx: GET https://shop.example.com/api/users -> answered by api-svc",
                "3 consecutive successes within 60s",
                Seen(f"status {status}, wanted 200 from api-svc", status=status, path=path),
            )
    return claim_verdicts(_ended(rec, info.value, subject="traefik-nginx"))


KNOWN = KnownRefutation("ingress-rewrite-target", "traefik-nginx", "answers 400 for /api/users", status=400)


def test_a_known_refutation_matches_on_what_was_seen():
    j = judge(_refuted(400), [KNOWN])
    assert not j.fails_run and [k for _, k in j.known] == [KNOWN]
    # the same claim on the same subject, seen otherwise: a new failure
    j = judge(_refuted(404), [KNOWN])
    assert j.fails_run and [v.claim for v in j.new] == ["ingress-rewrite-target"] and not j.known
    # a listed refutation that now holds fails the run too
    rec = Recorder(("ingress-rewrite-target",))
    with rec.check("/api/users -> api-svc"):
        pass
    j = judge(claim_verdicts(_ended(rec, None, subject="traefik-nginx")), [KNOWN])
    assert j.fails_run and j.now_hold == (KNOWN,)
    # a reason pattern and a path match too
    by_path = KnownRefutation("ingress-rewrite-target", "traefik-nginx", "x", path="/x")
    assert judge(_refuted(200, path="/x"), [by_path]).known and judge(_refuted(200, path="/"), [by_path]).new
    by_reason = KnownRefutation("ingress-rewrite-target", "traefik-nginx", "x", reason=r"status 4\d\d")
    assert judge(_refuted(404), [by_reason]).known and judge(_refuted(500), [by_reason]).new


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {claim: ingress-rewrite-target, subject: traefik-nginx, why: x}", "entry 1: needs seen"),
        ("- {claim: made-up, subject: nginx, seen: {status: 400}, why: x}", "entry 1: unknown claim 'made-up'"),
        ("- {claim: lb-l4-reach, subject: haproxy, seen: {status: 1}, why: x}", "unknown subject 'haproxy'"),
        ("- {claim: lb-l4-reach, subject: metallb, seen: {colour: red}, why: x}", "seen must map some of"),
        ("- {claim: lb-l4-reach, subject: metallb, seen: {reason: '('}, why: x}", "not a regular expression"),
        ("claims: []", "must be a YAML list"),
        ("- [unclosed", "invalid YAML"),
    ],
)
def test_a_malformed_known_refutations_file_is_one_line_naming_file_and_entry(tmp_path, text, message):
    path = tmp_path / "known.yaml"
    path.write_text(text)
    with pytest.raises(KnownRefutationsError) as info:
        load(path, claims=["ingress-rewrite-target", "lb-l4-reach"], subjects=["nginx", "traefik-nginx", "metallb"])
    assert message in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_mistyped_known_refutations_path_is_an_error_not_none_known(tmp_path):
    with pytest.raises(KnownRefutationsError, match="cannot read it"):
        load(tmp_path / "knwon.yaml", claims=[], subjects=[])


class _Forbidden(BaseHTTPRequestHandler):
    """A Kubernetes API server that forbids everything (RBAC saying no)."""

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "reason": "Forbidden",
                "code": 403,
                "message": f'{self.path} is forbidden: User "viewer" cannot get resource',
            }
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_metallb_present_with_a_403_raises_instead_of_reading_as_not_installed(tmp_path: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forbidden)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
            f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{server.server_address[1]}'}}}}]\n"
            "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
        )
        ctx = Context(cluster=None, kube=Kube(kubeconfig, FAST), options=None)  # type: ignore[arg-type]
        with pytest.raises(ApiException) as info:
            metallb_addon.ADDON.present(ctx)
        assert info.value.status == 403
        with pytest.raises(HarnessError, match="cannot tell whether metallb is installed.*HTTP 403"):
            _present(ctx, metallb_addon.ADDON)
    finally:
        server.shutdown()
        server.server_close()


def test_a_check_inside_a_check_is_part_of_it_recorded_once():
    """An article's derived check runs its rows (each a verify, itself a check
    block) inside its own block: one record, with the rows' evidence, and a
    row's failure is the outer check's."""
    rec = Recorder()
    with rec.check("Ingress web: / -> web", soft=True):
        with rec.check("row 1"):
            rec.add("row 1", {"status": 200})
        with rec.check("row 2"):
            rec.add("row 2", {"status": 200})
    with rec.check("Ingress web: /api -> api", soft=True):
        with rec.check("row 3"):
            raise AssertionError("status 404")
    assert [(c.label, c.verdict) for c in rec.checks] == [
        ("Ingress web: / -> web", Verdict.HOLDS),
        ("Ingress web: /api -> api", Verdict.DOES_NOT_HOLD),
    ]
    assert [e.label for e in rec.checks[0].evidence] == ["row 1", "row 2"]
    assert rec.checks[1].failed is not None and rec.checks[1].failed.check == "row 3"
