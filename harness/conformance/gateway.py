"""The Gateway API conformance suite on an implementation built here.

The suite is the upstream Go module (``sigs.k8s.io/gateway-api/conformance``)
at the version of the CRDs the harness installs, run through the small Go
test module in ``conformance/gateway-api`` (go.mod and go.sum pinned there).
Its test binary is built once per pin (cached); ``go tool test2json`` turns
its output into events (:mod:`.events`), and each test's outcome comes from
those events, not from the suite's own report (see :mod:`.events`).

The flow for one implementation: the catalogue of the pinned suite
(:mod:`.catalogue`), the options (the implementation's upstream set-up,
:mod:`.setups`, as a ConformanceOptions YAML file the suite reads), the run,
then one :class:`~.model.ConformanceRun` per selected profile and level,
beside the implementation's published figures (:mod:`.published`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import paths
from harness.conformance import catalogue as cat
from harness.conformance import events as ev
from harness.conformance.model import Case, ConformanceRun, Outcome
from harness.conformance.published import REPORTS, claimed_profiles
from harness.conformance.setups import SETUPS, Prepared, SetUp
from harness.lab.addons import gateway_api, gateway_conformance
from harness.lab.upstream import CACHE, module_files

MODULE_DIR = paths.DATA / "conformance" / "gateway-api"  # the checkout's (not in the wheel)
SUITE_MODULE = gateway_conformance.SUITE_MODULE
PACKAGE = "exposure-harness.local/conformance/gateway-api"
RESULTS_SUBDIR = "gateway-api"  # under <report-dir>/conformance/: the suite's own files per implementation
DEFAULT_TIMEOUT_MIN = 90  # go test -timeout for one run (every claimed profile of one implementation)


class ConformanceError(Exception):
    """Bad input or a set-up that cannot run: the message is one line naming what and where."""


def say(msg: str) -> None:
    print(f"[conformance] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# the pinned suite
# ---------------------------------------------------------------------------


def pinned_version(module: str, go_mod: Path = MODULE_DIR / "go.mod") -> str:
    """The version ``go.mod`` requires ``module`` at."""
    try:
        text = go_mod.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConformanceError(f"cannot read {go_mod}: {exc.strerror}") from None
    m = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", text, re.M)
    if not m:
        raise ConformanceError(f"{go_mod} does not require {module}")
    return m.group(1)


def suite_version(go_mod: Path = MODULE_DIR / "go.mod") -> str:
    return pinned_version(SUITE_MODULE, go_mod)


def check_versions(go_mod: Path = MODULE_DIR / "go.mod", crds: str = gateway_api.VERSION) -> str:
    """The suite's version when it is the version of the CRDs the harness
    installs (and the API module it builds against is the same); else one line."""
    suite = suite_version(go_mod)
    api = pinned_version(gateway_api.MODULE, go_mod)
    if suite != crds:
        raise ConformanceError(
            f"CRD/suite version mismatch: {go_mod} pins {SUITE_MODULE} {suite} but the harness installs the "
            f"Gateway API CRDs {crds} (harness/lab/addons/gateway_api.py VERSION); pin the suite at {crds}"
        )
    if api != suite:
        raise ConformanceError(
            f"{go_mod} pins {gateway_api.MODULE} {api} beside {SUITE_MODULE} {suite}: they must be the same release"
        )
    return suite


def installed_crd_version(kube: Any) -> tuple[str, str] | None:
    """(bundle version, channel) of the Gateway API CRDs in a cluster, from
    their annotations (what the suite itself reads), or None when absent."""
    crd = kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "gateways.gateway.networking.k8s.io")
    if not crd:
        return None
    ann = crd.get("metadata", {}).get("annotations") or {}
    return ann.get("gateway.networking.k8s.io/bundle-version", "?"), ann.get("gateway.networking.k8s.io/channel", "?")


IMAGE_LINE = re.compile(r"^\s*(?:-\s*)?image:\s*['\"]?([^'\"\s#]+)", re.M)


def suite_images(version: str) -> dict[str, list[str]]:
    """Every image the suite's manifests name (base/, tests/, mesh/ of the
    conformance module at ``version``) -> the manifests that name it."""
    found: dict[str, list[str]] = {}
    for directory in ("base", "tests", "mesh"):
        for name, text in module_files(SUITE_MODULE, version, directory).items():
            for image in IMAGE_LINE.findall(text):
                found.setdefault(image, []).append(f"{directory}/{name}")
    return found


@dataclass(frozen=True)
class SuiteObjects:
    """What the suite's manifests create outside any namespace of a test's own:
    its namespaces and GatewayClasses (everything else lives in those namespaces)."""

    namespaces: tuple[str, ...]
    gateway_classes: tuple[str, ...]


def suite_objects(version: str) -> SuiteObjects:
    namespaces: set[str] = set()
    classes: set[str] = set()
    for directory in ("base", "tests"):
        for _name, text in module_files(SUITE_MODULE, version, directory).items():
            try:
                docs = list(yaml.safe_load_all(text))
            except yaml.YAMLError:
                continue
            for doc in docs:
                if not isinstance(doc, dict):
                    continue
                kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name")
                if kind == "Namespace" and name:
                    namespaces.add(str(name))
                elif kind == "GatewayClass" and name:
                    classes.add(str(name))
    return SuiteObjects(tuple(sorted(namespaces)), tuple(sorted(classes)))


def missing_suite_images(version: str, available: Iterable[str]) -> list[str]:
    """One line per image the suite's manifests name that is not available
    (and not knowingly left out), naming the manifests that need it."""
    have = set(available) | {i.removeprefix("docker.io/") for i in available}
    lines = []
    for image, where in sorted(suite_images(version).items()):
        if image in have or image in gateway_conformance.NOT_BUILT:
            continue
        lines.append(f"{image} (named by {SUITE_MODULE} {version} {shown(where)})")
    return lines


def shown(where: list[str]) -> str:
    return ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else "")


def module_key() -> str:
    import hashlib

    h = hashlib.sha256()
    for p in sorted(MODULE_DIR.iterdir()):
        if p.is_file() and (p.suffix == ".go" or p.name in ("go.mod", "go.sum")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def test_binary(cache: Path = CACHE) -> Path:
    """The suite's test binary, built once per pin of the module (go.mod,
    go.sum, its Go files); Go's own caches make rebuilds of other pins fast."""
    if not shutil.which("go"):
        raise ConformanceError(
            f"go is not on PATH: the Gateway API suite is the Go test module {MODULE_DIR} (Go 1.26 or later)"
        )
    binary = cache / "build" / "conformance" / f"gateway-api-{module_key()}" / "gateway-api.test"
    if binary.exists():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    tmp = binary.with_suffix(".part")
    say(f"building the suite's test binary from {MODULE_DIR.relative_to(paths.DATA)} (a few minutes the first time)")
    started = time.monotonic()
    res = subprocess.run(
        ["go", "test", "-c", "-trimpath", "-o", str(tmp), "."],
        cwd=MODULE_DIR,
        env={**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly"},
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ConformanceError(f"building {MODULE_DIR.relative_to(paths.DATA)} failed: {tail[0]}")
    tmp.replace(binary)
    say(f"test binary built in {time.monotonic() - started:.0f}s: {binary}")
    return binary


def load_catalogue(binary: Path, out: Path) -> cat.Catalogue:
    out.parent.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        [str(binary), "-test.run", "^TestCatalogue$", f"-catalogue-output={out}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if res.returncode != 0:
        last = (res.stdout + res.stderr).strip().splitlines()[-1:] or ["no output"]
        raise ConformanceError(f"the suite's catalogue could not be read ({binary.name}): {last[0]}")
    return cat.load(out)


# ---------------------------------------------------------------------------
# what to run
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Profiles to run, each at both levels or core only (``GATEWAY-HTTP:core``)."""

    profiles: tuple[tuple[str, tuple[cat.Level, ...]], ...]

    @property
    def names(self) -> list[str]:
        return [p for p, _ in self.profiles]

    def describe(self) -> str:
        return ", ".join(p + ("" if len(lv) == 2 else f" ({lv[0].value} only)") for p, lv in self.profiles)


def parse_selection(text: str, implementation: str, known_profiles: Iterable[str] | None = None) -> Selection:
    """``--profiles``: comma-separated profile names, each optionally ``:core``;
    empty means every profile the implementation's published report claims."""
    claimed = claimed_profiles(implementation)
    items = [s.strip() for s in text.split(",") if s.strip()] if text else list(claimed)
    out: list[tuple[str, tuple[cat.Level, ...]]] = []
    known = set(known_profiles) if known_profiles is not None else None
    for item in items:
        name, _, level = item.partition(":")
        name = name.upper()
        if known is not None and name not in known:
            raise ConformanceError(f"unknown profile {name!r}; the suite knows {', '.join(sorted(known))}")
        if name not in claimed:
            raise ConformanceError(
                f"{implementation} publishes no {name} conformance (claims: {', '.join(claimed) or 'none'}); "
                "nothing to compare a run with"
            )
        if level in ("", "all"):
            levels: tuple[cat.Level, ...] = (cat.Level.CORE, cat.Level.EXTENDED)
        elif level == "core":
            levels = (cat.Level.CORE,)
        else:
            raise ConformanceError(f"profile {item!r}: the level after ':' can only be 'core'")
        if name not in [p for p, _ in out]:
            out.append((name, levels))
    if not out:
        raise ConformanceError(f"no profile selected for {implementation}")
    return Selection(tuple(out))


def setup_for(implementation: str) -> SetUp:
    setup = SETUPS.get(implementation)
    if setup is None:
        from harness.options import CONTROLLERS

        what = (
            "a harness subject with no Gateway API conformance set-up (not a Gateway API implementation here)"
            if implementation in CONTROLLERS
            else "not a subject of the harness"
        )
        raise ConformanceError(
            f"unknown implementation {implementation!r}: {what}; Gateway API conformance runs on "
            f"{', '.join(SETUPS)} (set-ups in harness/conformance/setups.py)"
        )
    return setup


def check_setup(setup: SetUp, catalogue: cat.Catalogue) -> None:
    """Every feature and test the set-up names exists in the pinned suite."""
    known = set(catalogue.features)
    unknown = sorted((set(setup.supported_features) | set(setup.exempt_features)) - known)
    if unknown:
        raise ConformanceError(
            f"{setup.implementation}'s set-up names features the suite does not know: {', '.join(unknown)} "
            "(harness/conformance/setups.py)"
        )
    names = {t.name for t in catalogue.tests}
    missing = sorted(s.value for s in setup.skip_tests if s.value not in names)
    if missing:
        raise ConformanceError(
            f"{setup.implementation}'s set-up skips tests the suite does not have: {', '.join(missing)} "
            "(harness/conformance/setups.py)"
        )


def suite_features(setup: SetUp, catalogue: cat.Catalogue, selection: Selection) -> list[str]:
    """What the suite is told is supported: the implementation's set
    restricted to the features of the selected profiles and levels, so the
    run holds only their tests. A test of those profiles runs exactly when it
    would in a run of every profile (its features are all profile features)."""
    scope: set[str] = set()
    for name, levels in selection.profiles:
        profile = catalogue.profiles[name]
        scope |= profile.core
        if cat.Level.EXTENDED in levels:
            scope |= profile.extended
    return sorted(setup.supported(set(catalogue.features)) & scope)


def options_document(
    setup: SetUp,
    selection: Selection,
    features: list[str],
    prepared: Prepared,
    version: str,
) -> dict[str, Any]:
    """The suite's ConformanceOptions (``-conformance-options-file``)."""
    doc: dict[str, Any] = {
        "gatewayClassName": setup.gateway_class,
        "debug": setup.debug,
        "cleanupBaseResources": True,
        "cleanupTestResources": True,
        "supportedFeatures": features,
        "exemptFeatures": list(setup.exempt_features),
        "skipTests": [s.value for s in setup.skip_tests],
        "conformanceProfiles": selection.names,
        "mode": "default",
        "failFast": False,
        "implementation": {
            "organization": setup.organization,
            "project": setup.project,
            "url": setup.url,
            "version": version,
            "contact": list(setup.contact),
        },
    }
    if setup.timeouts:
        doc["timeoutConfig"] = {name: f"{seconds}s" for name, seconds in setup.timeouts}
    if prepared.usable_address:
        doc["usableNetworkAddresses"] = [{"type": "IPAddress", "value": prepared.usable_address}]
    if prepared.unusable_address:
        doc["unusableNetworkAddresses"] = [{"type": "Hostname", "value": prepared.unusable_address}]
    return doc


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------

PARENT = "TestGatewayAPIConformance"


@dataclass
class SuiteRun:
    events: ev.GoTestRun
    seconds: float
    returncode: int
    events_file: Path
    report_file: Path | None  # the suite's ConformanceReport YAML, when it wrote one
    timeout_min: int


def run_suite(
    binary: Path,
    kubeconfig: Path,
    options_file: Path,
    out_dir: Path,
    *,
    timeout_min: int = DEFAULT_TIMEOUT_MIN,
    on_process: Callable[[subprocess.Popen[str]], None] | None = None,
) -> SuiteRun:
    """Run the suite through test2json, writing its events to
    ``out_dir/go-test.jsonl`` and printing each test's end as it comes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    events_file = out_dir / "go-test.jsonl"
    report_file = out_dir / "report.yaml"
    report_file.unlink(missing_ok=True)
    cmd = [
        "go",
        "tool",
        "test2json",
        "-t",
        "-p",
        PACKAGE,
        str(binary),
        "-test.v=test2json",
        "-test.run",
        f"^{PARENT}$",
        f"-test.timeout={timeout_min}m",
        f"-conformance-options-file={options_file}",
        f"-report-output={report_file}",
    ]
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    started = time.monotonic()
    counts = {a: 0 for a in ev.Action}
    with events_file.open("w", encoding="utf-8") as log_fh:
        proc = subprocess.Popen(
            cmd, env=env, cwd=MODULE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if on_process:
            on_process(proc)
        assert proc.stdout is not None
        for line in proc.stdout:
            log_fh.write(line)
            _progress(line, counts)
        rc = proc.wait()
    seconds = round(time.monotonic() - started, 1)
    run = ev.read_file(events_file)
    say(
        f"go test ended in {seconds:.0f}s (exit {rc}): {counts[ev.Action.PASS]} passed, "
        f"{counts[ev.Action.FAIL]} failed, {counts[ev.Action.SKIP]} skipped"
    )
    return SuiteRun(run, seconds, rc, events_file, report_file if report_file.exists() else None, timeout_min)


def _progress(line: str, counts: dict[ev.Action, int]) -> None:
    try:
        e = json.loads(line)
    except ValueError:
        return
    name = e.get("Test") or ""
    action = e.get("Action")
    if name.count("/") != 1 or not name.startswith(PARENT + "/") or action not in ev.ENDS:
        if name == PARENT and action == "output" and "Test Setup:" in str(e.get("Output", "")):
            say("suite set-up: " + str(e["Output"]).split("Test Setup:", 1)[1].strip())
        return
    counts[ev.ENDS[action]] += 1
    if action != "skip":
        say(f"{name.split('/', 1)[1]} {'passed' if action == 'pass' else 'FAILED'} ({e.get('Elapsed', 0)}s)")


# ---------------------------------------------------------------------------
# outcomes
# ---------------------------------------------------------------------------

SKIP_LINE = re.compile(r"Skipping \S+: (.*)")
ERROR_LINE = re.compile(r"^\s*Error:\s*(.*)")


def _clean(lines: Iterable[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith(("=== ", "--- "))]


STACK_LINE = re.compile(r"^\S+\.(?:go|s):\d+$")
TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z:?\s*")


def failure_reason(output: list[str]) -> tuple[str, tuple[str, ...]]:
    """The first assertion message of a failed test (with its Messages line),
    and the last distinct lines before it as evidence."""
    lines = _clean(output)
    reason = ""
    at = len(lines)
    for i, line in enumerate(lines):
        m = ERROR_LINE.match(line)
        if m:
            at = i
            msg = m.group(1).strip()
            rest = lines[i + 1 : i + 6]
            detail = [x for x in rest if not x.startswith(("Test:", "Messages:", "Error Trace:"))][:1]
            said = [x.removeprefix("Messages:").strip() for x in rest if x.startswith("Messages:")][:1]
            reason = " ".join([msg, *detail]).strip()
            if said:
                reason += f" ({said[0]})"
            break
    if not reason:
        tail = [x for x in lines if "FAIL" not in x] or lines or ["no output"]
        reason = tail[-1]
    evidence: list[str] = []
    for line in lines[: at + 6]:
        if line.startswith("Error Trace:") or STACK_LINE.match(line):
            continue
        text = TIMESTAMP.sub("", line)[:300]
        if text not in evidence[-4:]:  # a poll repeats its lines hundreds of times
            evidence.append(text)
    return reason[:400], tuple(evidence[-12:])


def skip_reason(output: list[str]) -> str:
    for line in _clean(output):
        m = SKIP_LINE.search(line)
        if m:
            return m.group(1).strip()
    lines = _clean(output)
    return lines[-1][:300] if lines else "skipped"


# upstream tests that check what a guide claim says about Gateway API (harness/claims.yaml):
# a failure of one of them on an implementation is a finding linked to the claim.
PATH_AND_HOST = ("faq-gateway-successor", "gateway-ingress-migration")
ROLES = ("gateway-roles", "pick-gateway-roles")
CLAIMS: dict[str, tuple[str, ...]] = {
    # host/path routing on HTTPRoute (the guide's Ingress, as Gateway API; ingress2gateway's PathPrefix output)
    "HTTPRouteSimpleSameNamespace": PATH_AND_HOST,
    "HTTPRouteMatching": PATH_AND_HOST,
    "HTTPRouteExactPathMatching": PATH_AND_HOST,
    "HTTPRoutePathMatchOrder": PATH_AND_HOST,
    "HTTPRouteMatchingAcrossRoutes": PATH_AND_HOST,
    "HTTPRouteHostnameIntersection": PATH_AND_HOST,
    "HTTPRouteListenerHostnameMatching": PATH_AND_HOST,
    # TLS terminated on an HTTPS listener, plain HTTP redirected
    "HTTPRouteHTTPSListener": ("faq-gateway-successor",),
    "HTTPRouteRedirectScheme": ("faq-gateway-successor",),
    "HTTPRouteRedirectPortAndScheme": ("faq-gateway-successor",),
    # roles: allowedRoutes and ReferenceGrant
    "HTTPRouteCrossNamespace": ROLES,
    "HTTPRouteReferenceGrant": ROLES,
    "HTTPRouteInvalidCrossNamespaceBackendRef": ROLES,
    "HTTPRouteInvalidCrossNamespaceParentRef": ROLES,
    "HTTPRouteInvalidReferenceGrant": ROLES,
    "HTTPRoutePartiallyInvalidViaInvalidReferenceGrant": ROLES,
    "GatewaySecretReferenceGrantAllInNamespace": ROLES,
    "GatewaySecretReferenceGrantSpecific": ROLES,
    "GatewaySecretMissingReferenceGrant": ROLES,
    "GatewaySecretInvalidReferenceGrant": ROLES,
    "TLSRouteInvalidReferenceGrant": ROLES,
    # gRPC routed by service and method; routing beyond HTTP
    "GRPCExactMethodMatching": ("gateway-grpcroute", "h2h-gateway-beyond-http"),
    "GRPCRouteHeaderMatching": ("gateway-grpcroute", "h2h-gateway-beyond-http"),
    "GRPCRouteListenerHostnameMatching": ("gateway-grpcroute", "h2h-gateway-beyond-http"),
    "GRPCRouteWeight": ("gateway-grpcroute",),
    "TLSRouteSimpleSameNamespace": ("h2h-gateway-beyond-http",),
}


@dataclass
class RunContext:
    """What the records of one suite run need besides its events."""

    setup: SetUp
    selection: Selection
    catalogue: cat.Catalogue
    features: list[str]  # what the suite was told is supported
    version: str  # suite version
    implementation_version: str
    facts: list[str] = field(default_factory=list)  # the run's own set-up facts
    report_file: str = ""  # the suite's report, relative to the report dir


def outcome_of(test: cat.SuiteTest, result: ev.TestEvents | None, ctx: RunContext, run: SuiteRun) -> Case:
    setup = ctx.setup
    claims = CLAIMS.get(test.name, ())
    feature = ", ".join(test.features)
    skipped_by = {s.value: s.source for s in setup.skip_tests}
    unsupported = [f for f in test.features if f not in ctx.features and not _core_of_selected(f, ctx)]
    if result is None or result.ended is None:
        why = (
            f"go test's -test.timeout ({run.timeout_min}m) ended the run first"
            if any("panic: test timed out" in x for x in run.events.package_output + _parent_output(run))
            else f"go test ended (exit {run.returncode}) before this test finished"
        )
        return Case(test.name, Outcome.FAILED, reason=f"no result: {why}", feature=feature, claims=claims)
    if result.ended is ev.Action.PASS:
        return Case(test.name, Outcome.PASSED, feature=feature, claims=claims)
    if result.ended is ev.Action.FAIL:
        reason, evidence = failure_reason(run.events.descendants_output(result.name))
        return Case(test.name, Outcome.FAILED, reason=reason, evidence=evidence, feature=feature, claims=claims)
    said = skip_reason(result.output)
    # the suite's precedence (suite.Run): a test whose features are not all supported is "not
    # supported" (counted nowhere) even when a skip list names it too
    if unsupported:
        return Case(
            test.name,
            Outcome.NOT_APPLICABLE,
            reason=f"{setup.implementation} does not claim {', '.join(unsupported)} ({setup.features_source})",
            feature=feature,
            claims=claims,
        )
    if test.name in skipped_by:
        return Case(
            test.name,
            Outcome.SKIPPED,
            reason=f"skipped by {setup.implementation}'s own set-up ({skipped_by[test.name]})",
            feature=feature,
            claims=claims,
        )
    return Case(
        test.name,
        Outcome.SKIPPED,
        reason=f"the test skipped itself: {said} (the suite's report counts such a test as passed)",
        feature=feature,
        claims=claims,
    )


def _core_of_selected(feature: str, ctx: RunContext) -> bool:
    return any(feature in ctx.catalogue.profiles[p].core for p in ctx.selection.names)


def _parent_output(run: SuiteRun) -> list[str]:
    parent = run.events.tests.get(PARENT)
    return parent.output if parent else []


def setup_failure(run: SuiteRun) -> str | None:
    """Why the suite never got to its tests (its set-up failed, or the
    binary did not start), or None when it did."""
    if run.events.children(PARENT):
        return None
    reason, _ = failure_reason(_parent_output(run) + run.events.package_output)
    return f"the suite stopped before its tests (go test exit {run.returncode}): {reason}"


@dataclass(frozen=True)
class ReportFigures:
    """One profile and level of the suite's own ConformanceReport."""

    passed: int
    failed: int
    skipped: int


def report_figures(path: Path | None) -> dict[tuple[str, str], ReportFigures]:
    if path is None:
        return {}
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    out: dict[tuple[str, str], ReportFigures] = {}
    for prof in doc.get("profiles") or []:
        for level in ("core", "extended"):
            st = (prof.get(level) or {}).get("statistics")
            if st:
                out[(str(prof.get("name")), level)] = ReportFigures(
                    int(st.get("Passed", 0)), int(st.get("Failed", 0)), int(st.get("Skipped", 0))
                )
    return out


def records(run: SuiteRun, ctx: RunContext) -> list[ConformanceRun]:
    """One ConformanceRun per selected profile and level."""
    children = run.events.children(PARENT)
    suite_says = report_figures(run.report_file)
    published = REPORTS.get(ctx.setup.implementation)
    out = []
    for name, levels in ctx.selection.profiles:
        profile = ctx.catalogue.profiles[name]
        for level in levels:
            tests = ctx.catalogue.tests_of(profile, level)
            cases = tuple(outcome_of(t, children.get(t.name), ctx, run) for t in tests)
            notes = [*base_notes(ctx), *ctx.facts]
            notes.append(
                f"one go test run for {ctx.selection.describe()}: {run.seconds:.0f}s wall time "
                f"(-test.timeout {run.timeout_min}m, -test.parallel = GOMAXPROCS of this machine)"
            )
            counted = suite_says.get((name, level.value))
            mine = ReportFigures(
                sum(c.outcome is Outcome.PASSED for c in cases),
                sum(c.outcome is Outcome.FAILED for c in cases),
                sum(c.outcome is Outcome.SKIPPED for c in cases),
            )
            if counted is not None and counted != mine:
                notes.append(
                    f"the suite's own report counts {counted.passed} passed, {counted.failed} failed, "
                    f"{counted.skipped} skipped; go test's events say {mine.passed}/{mine.failed}/{mine.skipped} "
                    "(v1.6.1 counts a parallel test as passed before it runs, and a test that skips itself as "
                    "passed): the events are the outcome"
                )
            elif counted is None and run.report_file is None:
                notes.append("the suite wrote no ConformanceReport (the run ended before it)")
            out.append(
                ConformanceRun(
                    suite=f"gateway-api {ctx.version}",
                    implementation=ctx.setup.implementation,
                    profile=f"{name} {level.value}",
                    cases=cases,
                    published=published.published(name, level.value) if published else None,
                    seconds=run.seconds,
                    notes=tuple(notes),
                    report_file=ctx.report_file,
                )
            )
    return out


def base_notes(ctx: RunContext) -> list[str]:
    s = ctx.setup
    notes = [
        f"{s.implementation} {ctx.implementation_version} built here; GatewayClass {s.gateway_class}",
        f"supported features: {s.features_source}; given to the suite restricted to the selected profiles' "
        f"features ({len(ctx.features)}: {', '.join(ctx.features)})",
    ]
    if s.skip_tests:
        notes.append("skipped tests: " + "; ".join(f"{x.value} ({x.source})" for x in s.skip_tests))
    if s.timeouts:
        notes.append("timeouts: " + ", ".join(f"{n} {sec}s" for n, sec in s.timeouts) + f" ({s.timeouts_source})")
    else:
        notes.append(f"timeouts: {s.timeouts_source}")
    notes.extend(s.notes)
    return notes


def not_run(setup: SetUp, selection: Selection, version: str, why: str) -> list[ConformanceRun]:
    """The records of a run that could not be carried out: no case, the reason
    in the notes, so the report says "not run" rather than leaving it out."""
    published = REPORTS.get(setup.implementation)
    return [
        ConformanceRun(
            suite=f"gateway-api {version}",
            implementation=setup.implementation,
            profile=f"{name} {level.value}",
            cases=(),
            published=published.published(name, level.value) if published else None,
            not_run=why,
        )
        for name, levels in selection.profiles
        for level in levels
    ]
