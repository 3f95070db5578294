"""Parametrisation over the selected controllers, and the fixtures tests ask
for: the run's cluster and client, the controller under test, a namespace of
the test's own (dumped as evidence when the test fails), the evidence the
verdict rests on, and the run's CA."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator

import pytest
import trustme

from harness import mutants
from harness.checks.forensics import dump_namespace
from harness.checks.kube import Kube
from harness.checks.timeouts import Timeouts
from harness.lab import cluster as clusters
from harness.lab.addons import (
    CONTROLLER_ADDONS,
    AddonUnavailable,
    BoundController,
    Context,
    ensure_addons,
    rendered_config,
)
from harness.mutants import Mutant
from harness.options import Options
from harness.pytest.marks import claims_of
from harness.pytest.plugin import CALL_REPORT, EVIDENCE, not_checkable, run_id, safe
from harness.pytest.plugin import options as options_of
from harness.pytest.session import BASE_ADDONS
from harness.results.recorder import Recorder


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    opts = options_of(metafunc.config)
    if opts.mutants and "mutant" in metafunc.fixturenames:
        found = mutants.for_test(metafunc.definition.nodeid)
        if found:  # once as written, once per mutant (harness/mutants.yaml)
            names = [None, *(m.name for m in found)]
            metafunc.parametrize(
                "mutant", names, indirect=True, ids=[f"mutant-{n}" if n else "as-written" for n in names]
            )
    if "controller" not in metafunc.fixturenames:
        return
    for m in metafunc.definition.iter_markers("parametrize"):
        names = m.args[0] if m.args else m.kwargs.get("argnames", "")
        if "controller" in (names.replace(" ", "").split(",") if isinstance(names, str) else names):
            return  # the test names its controllers itself
    selected = list(options_of(metafunc.config).controllers)
    marker = metafunc.definition.get_closest_marker("controllers")
    if marker:
        selected = [c for c in selected if c in marker.args]
    # a Gateway API test runs on the implementations of the matrix, any other on its Ingress controllers
    role = "gateway_class" if metafunc.definition.get_closest_marker("gateway_api") else "ingress_class"
    selected = [c for c in selected if getattr(CONTROLLER_ADDONS[c], role)]
    metafunc.parametrize("controller", selected, indirect=True, ids=selected)


@pytest.fixture(scope="session")
def options(request: pytest.FixtureRequest) -> Options:
    return options_of(request.config)


@pytest.fixture(scope="session")
def timeouts(options: Options) -> Timeouts:
    return options.timeouts


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest, options: Options) -> clusters.Cluster:
    return clusters.acquire(options, run_id(request.config))


@pytest.fixture(scope="session")
def kube(cluster: clusters.Cluster, options: Options) -> Kube:
    return Kube(cluster.kubeconfig, options.timeouts)


@pytest.fixture(scope="session")
def addon_context(cluster: clusters.Cluster, kube: Kube, options: Options) -> Context:
    """The cluster with what every suite needs: MetalLB, and the Gateway API
    CRDs with the conformance echo server every backend runs."""
    ctx = Context(cluster=cluster, kube=kube, options=options)
    ensure_addons(ctx, BASE_ADDONS)
    return ctx


@pytest.fixture(scope="session")
def run_ca() -> trustme.CA:
    """The run's own CA (trustme): every certificate the suites serve chains to it."""
    return trustme.CA(organization_name="exposure-harness run CA")


@pytest.fixture
def controller(request: pytest.FixtureRequest, addon_context: Context) -> BoundController:
    """The Ingress controller under test, installed and ready."""
    addon = CONTROLLER_ADDONS[request.param]
    try:
        ensure_addons(addon_context, [addon.name])
    except AddonUnavailable as exc:
        not_checkable(str(exc))
    return BoundController(addon, addon_context)


@pytest.fixture
def other_controller(addon_context: Context, options: Options):
    """Another controller of the run, bound and ready, by name (``None`` when
    it is not in the matrix or not available): for a check that compares
    two controllers, e.g. a converted Gateway against ingress-nginx."""

    def bind(name: str) -> BoundController | None:
        if name not in options.controllers:
            return None
        addon = CONTROLLER_ADDONS[name]
        try:
            ensure_addons(addon_context, [addon.name])
        except AddonUnavailable:
            return None
        return BoundController(addon, addon_context)

    return bind


@pytest.fixture(autouse=True)
def mutant(request: pytest.FixtureRequest) -> Mutant | None:
    """The mutant this run of the test applies to its objects under test (None: as written)."""
    name = getattr(request, "param", None)
    return mutants.BY_NAME[name] if name else None


@pytest.fixture
def evidence(request: pytest.FixtureRequest, mutant: Mutant | None) -> Recorder:
    """The test's recorder: its checks (each backing the test's claims), the
    evidence, notes and observations its verdicts rest on, and the mutant of
    this run. Passed explicitly to whatever checks or applies something."""
    rec = Recorder(tuple(c.id for c in claims_of(request.node)), mutant=mutant)
    if mutant is not None and "controller" in request.fixturenames:
        ctrl = request.getfixturevalue("controller")
        rec.mutant_vars = {"ingress_class": ctrl.ingress_class or "", "gateway_class": ctrl.gateway_class or ""}
    request.node.stash[EVIDENCE] = rec
    return rec


@pytest.fixture
def ns(
    request: pytest.FixtureRequest, kube: Kube, addon_context: Context, options: Options, evidence: Recorder
) -> Iterator[str]:
    """A namespace of the test's own (its generated suffix is normalised away
    in the test's observations); when the test fails, events, objects, logs
    and the controller's rendered configuration are dumped before it is
    deleted."""
    # named after the test (stable across runs, so reports diff cleanly)
    base = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{base}-{hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:5]}"
    kube.create_namespace(name, labels={"exposure-harness/test": "true"})
    evidence.generated(name.rsplit("-", 1)[-1])
    yield name
    rep = request.node.stash.get(CALL_REPORT, None)
    if rep is not None and rep.failed:
        dest = options.report_dir / "evidence" / safe(request.node.nodeid)
        ctrl = getattr(request.node, "funcargs", {}).get("controller")
        logs = ctrl.logs() if ctrl is not None else {}
        shutil.rmtree(dest, ignore_errors=True)  # an earlier run's dump of the same test
        dump_namespace(kube, name, dest, extra_logs=logs, rendered=rendered_config(ctrl))
    kube.delete_namespace(name, wait=False)


class Namespaces:
    """More namespaces for one test (a Gateway in an infrastructure namespace,
    routes in application namespaces...), named after the test's own and
    treated like it: a dump when it fails, deletion afterwards."""

    def __init__(self, kube: Kube, base: str) -> None:
        self.kube, self.base = kube, base
        self.made: list[str] = []

    def make(self, role: str, labels: dict[str, str] | None = None) -> str:
        name = f"{self.base[: 62 - len(role)]}-{role}"
        self.kube.create_namespace(name, labels={"exposure-harness/test": "true", **(labels or {})})
        self.made.append(name)
        return name


@pytest.fixture
def namespaces(request: pytest.FixtureRequest, kube: Kube, ns: str, options: Options) -> Iterator[Namespaces]:
    made = Namespaces(kube, ns)
    yield made
    rep = request.node.stash.get(CALL_REPORT, None)
    for name in made.made:
        if rep is not None and rep.failed:
            dest = options.report_dir / "evidence" / safe(request.node.nodeid) / name
            shutil.rmtree(dest, ignore_errors=True)
            dump_namespace(kube, name, dest)
        kube.delete_namespace(name, wait=False)
