"""The pytest plugin: options -> cluster -> addons -> per-test namespace ->
verdicts -> report.

Registered by the top-level ``conftest.py``. Tests ask for what they need:

- ``kube``/``cluster``: the run's cluster (created once, shared by workers);
- ``controller``: parametrizes a test over the selected Ingress controllers,
  installed and ready (or the test is reported "not checkable here");
- ``ns``: a fresh namespace, dumped as evidence when the test fails;
- ``evidence``: where a test puts the probe transcripts backing its verdict.

A test's outcome becomes the verdict of the claim it is marked with: passed
-> holds; failed on a check -> does not hold; ``not_checkable(reason)`` ->
not checkable here. A harness error (a manifest that does not apply, a
cluster that does not come up) is reported as not checkable *with that
reason* and fails the run.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from kubernetes.client.rest import ApiException

from . import claims as catalog
from . import cluster as clusters
from . import report
from .addons import CONTROLLER_ADDONS, BoundController, AddonUnavailable, Context, ensure_addons, subject_notices
from .kube import Kube, ManifestError, api_reason
from .options import ROOT, UsageError, add_options, from_config
from .probes import CheckFailed, ProbeError
from .upstream import UpstreamError

NOT_CHECKABLE = "not checkable here: "
HARNESS_ERRORS = (clusters.ClusterError, ManifestError, UpstreamError)


def not_checkable(reason: str) -> None:
    """End the test with the verdict "not checkable here" and its reason."""
    pytest.skip(NOT_CHECKABLE + reason)


# ---------------------------------------------------------------------------
# options and preflight
# ---------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id): the guide claim this test checks (harness/claims.py)")
    config.addinivalue_line("markers", "controllers(*names): restrict a test to these controllers")
    config._harness_options = from_config(config)  # type: ignore[attr-defined]


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _runs_suites(config: pytest.Config) -> bool:
    suites = ROOT / "suites"
    for arg in config.args:
        p = Path(arg.split("::")[0]).resolve()
        if p == suites or suites in p.parents or p == ROOT:
            return True
    return False


BASE_ADDONS = ["metallb", "gateway_api"]  # what every suite needs


def pytest_sessionstart(session: pytest.Session) -> None:
    """In the session-owning process, before any xdist worker starts: check
    the input, then create the cluster and install the addons with progress
    on the terminal. Bad input or a failed set-up stops the run with one line
    and leaves nothing behind. (Without this, e.g. when only a worker runs,
    the fixtures below do the same set-up behind the cluster lock.)"""
    config = session.config
    if _is_worker(config):
        return
    config._harness_started = time.monotonic()  # type: ignore[attr-defined]
    opts = config._harness_options  # type: ignore[attr-defined]
    if not _runs_suites(config) or config.option.collectonly:
        return
    try:  # preflight: nothing exists yet, so nothing to clean up on failure
        if opts.existing_cluster:
            clusters.check_kubeconfig(opts.kubeconfig)
        else:
            clusters.check_docker()
            clusters.find_kind(opts)
    except clusters.ClusterError as exc:
        raise UsageError(f"harness: {exc}") from None
    shutil.rmtree(opts.report_dir / "evidence", ignore_errors=True)  # evidence belongs to one run
    try:
        cluster = clusters.acquire(opts, _run_id(config))
        ctx = Context(cluster=cluster, kube=Kube(cluster.kubeconfig, opts.timeouts), options=opts)
        ensure_addons(ctx, BASE_ADDONS)
        for name in opts.controllers:
            try:
                ensure_addons(ctx, [CONTROLLER_ADDONS[name].name])
            except AddonUnavailable as exc:
                clusters.log(f"controller {name}: {exc}")
    except HARNESS_ERRORS + (CheckFailed, ApiException) as exc:
        clusters.release(opts)
        raise UsageError(f"harness: {_one_line(exc)}") from None
    except BaseException:
        clusters.release(opts)
        raise


def pytest_configure_node(node: Any) -> None:  # xdist hook: share the run id
    node.workerinput["harness_run_id"] = _run_id(node.config)


def _run_id(config: pytest.Config) -> str:
    if _is_worker(config):
        return config.workerinput["harness_run_id"]  # type: ignore[attr-defined]
    if not hasattr(config, "_harness_run_id"):
        config._harness_run_id = uuid.uuid4().hex[:6]  # type: ignore[attr-defined]
    return config._harness_run_id  # type: ignore[attr-defined]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "controller" not in metafunc.fixturenames:
        return
    for m in metafunc.definition.iter_markers("parametrize"):
        names = m.args[0] if m.args else m.kwargs.get("argnames", "")
        if "controller" in (names.replace(" ", "").split(",") if isinstance(names, str) else names):
            return  # the test names its controllers itself
    opts = metafunc.config._harness_options  # type: ignore[attr-defined]
    selected = list(opts.controllers)
    marker = metafunc.definition.get_closest_marker("controllers")
    if marker:
        selected = [c for c in selected if c in marker.args]
    metafunc.parametrize("controller", selected, indirect=True, ids=selected)


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def options(request: pytest.FixtureRequest):
    return request.config._harness_options  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def timeouts(options):
    return options.timeouts


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest, options):
    return clusters.acquire(options, _run_id(request.config))


@pytest.fixture(scope="session")
def kube(cluster, options) -> Kube:
    return Kube(cluster.kubeconfig, options.timeouts)


@pytest.fixture(scope="session")
def addon_context(cluster, kube, options) -> Context:
    """The cluster with what every suite needs: MetalLB, and the Gateway API
    CRDs with the conformance echo server every backend runs."""
    ctx = Context(cluster=cluster, kube=kube, options=options)
    ensure_addons(ctx, BASE_ADDONS)
    return ctx


@pytest.fixture(scope="session")
def run_ca():
    """The run's own CA (trustme): every certificate the suites serve chains to it."""
    import trustme

    return trustme.CA(organization_name="exposure-harness run CA")


@pytest.fixture
def controller(request: pytest.FixtureRequest, addon_context: Context):
    """The Ingress controller under test, installed and ready."""
    name = request.param
    addon = CONTROLLER_ADDONS[name]
    try:
        ensure_addons(addon_context, [addon.name])
    except AddonUnavailable as exc:
        not_checkable(str(exc))
    return BoundController(addon, addon_context)


@pytest.fixture
def ns(request: pytest.FixtureRequest, kube: Kube, addon_context: Context, options) -> Iterator[str]:
    """A namespace of the test's own; evidence is dumped before it is deleted
    when the test fails."""
    # named after the test (stable across runs, so reports diff cleanly)
    base = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{base}-{hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:5]}"
    kube.create_namespace(name, labels={"exposure-harness/test": "true"})
    yield name
    rep = getattr(request.node, "_harness_call_report", None)
    if rep is not None and rep.failed:
        dest = options.report_dir / "evidence" / _safe(request.node.nodeid)
        extra = {}
        ctrl = request.node.funcargs.get("controller")
        if ctrl is not None:
            extra = ctrl.logs()
        shutil.rmtree(dest, ignore_errors=True)  # an earlier run's dump of the same test
        kube.dump_namespace(name, dest, extra_logs=extra)
    kube.delete_namespace(name, wait=False)


class Evidence:
    """Probe transcripts and observations backing one test's verdict."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def add(self, label: str, data: Any) -> None:
        self.items.append({"label": label, "data": data})

    def note(self, text: str) -> None:
        """A finding worth printing beside the verdict (e.g. what path the backend saw)."""
        if text not in self.notes:
            self.notes.append(text)


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    ev = Evidence()
    request.node._harness_evidence = ev
    return ev


# ---------------------------------------------------------------------------
# outcome -> verdict
# ---------------------------------------------------------------------------


def _safe(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")


def _subject(item: pytest.Item, claim: catalog.Claim) -> str:
    if not claim.per_controller:
        return report.L4_SUBJECT
    callspec = getattr(item, "callspec", None)
    if callspec and "controller" in callspec.params:
        return callspec.params["controller"]
    return report.L4_SUBJECT


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ApiException):
        return f"Kubernetes API {api_reason(exc)}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, HARNESS_ERRORS + (AddonUnavailable,)):
        # bad input or a broken manifest: one clear line, not a traceback
        rep.longrepr = f"harness: {_one_line(call.excinfo.value)}"
    if rep.when == "call":
        item._harness_call_report = rep  # type: ignore[attr-defined]
    marker = item.get_closest_marker("claim")
    if marker is None:
        return rep
    if rep.when == "setup" and rep.passed:
        return rep
    if rep.when == "teardown" and not rep.failed:
        return rep
    claim = catalog.get(marker.args[0])
    ev: Evidence | None = getattr(item, "_harness_evidence", None)
    items = list(ev.items) if ev else []
    notes = list(ev.notes) if ev else []
    reason = ""
    if rep.skipped:
        msg = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        msg = msg.removeprefix("Skipped: ")
        if not msg.startswith(NOT_CHECKABLE):
            return rep  # an ordinary skip (deselected controller etc.) is not a verdict
        verdict, reason = catalog.Verdict.NOT_CHECKABLE, msg[len(NOT_CHECKABLE):]
    elif rep.passed:
        verdict = catalog.Verdict.HOLDS
    else:
        exc = call.excinfo.value if call.excinfo else None
        if rep.when == "call" and isinstance(exc, (AssertionError, CheckFailed, ProbeError)):
            verdict, reason = catalog.Verdict.DOES_NOT_HOLD, _one_line(exc)
            transcript = getattr(exc, "transcript", None)
            if transcript is not None:
                items.append({"label": "failed check", "data": transcript.evidence()})
            if "ns" in getattr(item, "fixturenames", ()):
                notes.append(f"failure evidence (events, objects, logs): evidence/{_safe(item.nodeid)}/")
        else:
            verdict = catalog.Verdict.NOT_CHECKABLE
            reason = f"harness error during {rep.when}: {_one_line(exc) if exc else rep.longreprtext[:200]}"
    opts = item.config._harness_options  # type: ignore[attr-defined]
    subject = _subject(item, claim)
    known = opts.known_refutations.get((claim.id, subject))
    if known and verdict is catalog.Verdict.DOES_NOT_HOLD:
        # expected: the verdict stands, the run does not fail on it
        notes.append(f"known refutation: {known}")
        rep.outcome, rep.wasxfail = "skipped", f"known refutation: {known}"
    elif known and verdict is catalog.Verdict.HOLDS:
        notes.append("listed as a known refutation, but the claim now holds: update suites/known-refutations.yaml")
        rep.outcome = "failed"
        rep.longrepr = (f"harness: {claim.id} on {subject} is listed as a known refutation but now holds; "
                        "remove it from the known refutations")
    report.record(opts.report_dir, _run_id(item.config), report.Result(
        claim=claim.id, subject=subject, verdict=verdict.value,
        test=item.nodeid, reason=reason, evidence=items, notes=notes,
    ))
    return rep


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("claim")
        if marker is not None:
            if not marker.args:
                raise UsageError(f"{item.nodeid}: @pytest.mark.claim needs a claim id")
            try:
                claim = catalog.get(marker.args[0])
            except KeyError as exc:
                raise UsageError(f"{item.nodeid}: {exc.args[0]}") from None
            if claim.per_controller and "controller" not in getattr(item, "fixturenames", ()):
                raise UsageError(f"{item.nodeid}: claim {claim.id} is checked per controller; the test must take `controller`")


# ---------------------------------------------------------------------------
# end of run: report, then cluster teardown
# ---------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        return
    opts = config._harness_options  # type: ignore[attr-defined]
    run_id = _run_id(config)
    if not report.results_dir(opts.report_dir, run_id).is_dir():
        if _runs_suites(config):
            clusters.release(opts)
        return  # this run checked no claim: leave any earlier report alone
    run: dict[str, Any] = {"controllers": ",".join(opts.controllers), "kind": clusters.KIND_VERSION}
    state = clusters.read_state(opts)
    if state:
        run["kubernetes"] = state.get("kubernetes", "")
        run["node_image"] = state.get("node_image", "")
        if state.get("addons"):
            run["addons"] = {k: v for k, v in sorted(state["addons"].items())}
    notes = subject_notices(opts)
    json_path, md_path = report.write_reports(opts.report_dir, run_id, controllers=list(opts.controllers),
                                              run=run, subject_notes=notes)
    config._harness_report = md_path  # type: ignore[attr-defined]
    # timings stay out of the report body (it must diff cleanly): own file
    timings = {"session_seconds": round(time.monotonic() - config._harness_started, 1)}  # type: ignore[attr-defined]
    if state.get("create_seconds") is not None:
        timings["cluster_create_seconds"] = state["create_seconds"]
    if state.get("addon_seconds"):
        timings["addon_ready_seconds"] = state["addon_seconds"]
    (opts.report_dir / "timings.json").write_text(json.dumps(timings, indent=1, sort_keys=True) + "\n")
    if _runs_suites(config):
        clusters.release(opts)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    md = getattr(config, "_harness_report", None)
    if md:
        terminalreporter.write_sep("-", "claims report")
        terminalreporter.write_line(f"{md} (and {md.with_suffix('.json').name})")


__all__ = ["not_checkable", "Evidence"]
