"""Upstream conformance suites in the harness's pytest run.

``--conformance=ingress`` (env ``CONFORMANCE``; ``make e2e CONFORMANCE=ingress``,
``make conformance-ingress``) collects ``suites/conformance``: SIG Network's
Ingress controller conformance features, read from the pinned archive
(checked before anything runs: a missing or altered archive is one line), on
the Ingress controllers of ``--controllers``. Without it that directory
contributes nothing.

Each scenario is a test; its result is a :class:`model.Case` of the
:class:`model.ConformanceRun` of its (controller, feature file), written with
:func:`model.write` at the end of the run (``reports/conformance/``), with a
summary in ``reports/conformance-ingress.md`` and on the terminal. These are
not claims of the guide (no claim marker): a Case names the guide claims it
touches in ``Case.claims``.

pytest outcomes: a scenario that passes passes; one that fails on the
controller fails, unless ``suites/conformance/known-deviations.yaml`` lists it
with its cause (then it is reported xfail, and a listed one that passes
fails the run: the list is out of date); one that cannot apply as written is
skipped with the reason; a harness error (API, echo pods) fails the test as
``harness: ...`` and records no Case (the run's notes say which scenario).

Scenarios of one IngressClass run on one xdist worker, in file order (this
plugin's scheduler, :func:`pytest_xdist_make_scheduler`): a feature's
catch-all default backend must not overlap another feature's 404s on the
same class, and a worker keeps one feature's set-up at a time. The tests of
another controller serving that class (traefik-nginx's beside the features
on nginx) join the same worker, for the same reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Generator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import paths
from harness.conformance import ingress
from harness.conformance.model import RESULTS_DIR, Case, ConformanceRun, Outcome, write
from harness.lab.sources import SourceError
from harness.options import UsageError
from harness.pytest.plugin import is_worker, one_line, options, run_id

SUITES = ("ingress",)  # what --conformance accepts
REQUESTED = pytest.StashKey[frozenset[str]]()
ON = pytest.StashKey[frozenset[str]]()  # the controllers the suites run on (--conformance-controllers)
KNOWN = pytest.StashKey[tuple["KnownDeviation", ...]]()
RUNNER = pytest.StashKey[Any]()  # the item's ScenarioRunner (set by suites/conformance's fixture)
SETUP_SECONDS = pytest.StashKey[float]()
KNOWN_DEVIATIONS = paths.SUITES / "conformance" / "known-deviations.yaml"
SUMMARY = "conformance-ingress.md"
NOT_APPLICABLE = "not applicable: "
_FEATURES: list[ingress.FeatureSpec] = []


def features() -> list[ingress.FeatureSpec]:
    """The pinned archive's features, parsed once per process."""
    if not _FEATURES:
        _FEATURES.extend(ingress.load())
    return _FEATURES


class Cause(str, Enum):
    BUILD = "build"  # a difference of the image built here from upstream's: to fix
    ENVIRONMENT = "environment"  # a limit of this machine or cluster
    BEHAVIOUR = "behaviour"  # what the controller does, as released: a finding


@dataclass(frozen=True)
class KnownDeviation:
    controller: str
    feature: str
    scenario: str  # a scenario's title (all its examples) or a Case name
    cause: Cause
    why: str

    def matches(self, controller: str, spec: ingress.ScenarioSpec) -> bool:
        return (
            controller == self.controller and spec.feature == self.feature and self.scenario in (spec.title, spec.name)
        )


def load_known(path: Path, scenarios: list[ingress.FeatureSpec]) -> tuple[KnownDeviation, ...]:
    """The list, every entry naming a controller, a feature and a scenario that exist."""
    from harness.options import CONTROLLERS

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"known deviations {path}: {exc}".splitlines()[0]) from None
    if not isinstance(raw, list):
        raise UsageError(f"known deviations {path}: expected a list of entries")
    out = []
    for i, e in enumerate(raw, 1):
        where = f"known deviations {path.name} entry {i}"
        if not isinstance(e, dict) or set(e) != {"controller", "feature", "scenario", "cause", "why"}:
            raise UsageError(f"{where}: needs exactly controller, feature, scenario, cause, why")
        if e["controller"] not in CONTROLLERS:
            raise UsageError(f"{where}: unknown controller {e['controller']!r}")
        try:
            cause = Cause(e["cause"])
        except ValueError:
            raise UsageError(f"{where}: cause must be one of {', '.join(c.value for c in Cause)}") from None
        feature = next((f for f in scenarios if f.file == e["feature"]), None)
        if feature is None:
            raise UsageError(f"{where}: unknown feature {e['feature']!r}")
        if not any(e["scenario"] in (s.title, s.name) for s in feature.scenarios):
            raise UsageError(f"{where}: {e['feature']} has no scenario {e['scenario']!r}")
        out.append(KnownDeviation(e["controller"], e["feature"], e["scenario"], cause, str(e["why"]).strip()))
    return tuple(out)


def requested(config: pytest.Config) -> frozenset[str]:
    return config.stash.get(REQUESTED, frozenset())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("exposure-harness").addoption(
        "--conformance",
        default=os.environ.get("CONFORMANCE", ""),
        help="upstream conformance suites to run beside the claims (env CONFORMANCE): "
        f"{', '.join(SUITES)} (SIG Network's Ingress features on the Ingress controllers)",
    )
    parser.getgroup("exposure-harness").addoption(
        "--conformance-controllers",
        default=os.environ.get("CONFORMANCE_CONTROLLERS", ""),
        help="run the conformance suites on these controllers of --controllers only (env CONFORMANCE_CONTROLLERS; "
        "default: all of them), e.g. the claims on all and the features on nginx",
    )


@pytest.hookimpl(trylast=True)  # after harness.pytest.session has read the run's options
def pytest_configure(config: pytest.Config) -> None:
    names = frozenset(n.strip() for n in str(config.getoption("conformance") or "").split(",") if n.strip())
    unknown = sorted(names - set(SUITES))
    if unknown:
        raise UsageError(f"--conformance: unknown suite {', '.join(unknown)}; choose from: {', '.join(SUITES)}")
    config.stash[REQUESTED] = names
    on = frozenset(c.strip() for c in str(config.getoption("conformance_controllers") or "").split(",") if c.strip())
    outside = sorted(on - set(options(config).controllers))
    if outside:
        raise UsageError(f"--conformance-controllers: {', '.join(outside)} not among --controllers")
    config.stash[ON] = on or frozenset(options(config).controllers)
    if "ingress" not in names:
        return
    try:
        config.stash[KNOWN] = load_known(KNOWN_DEVIATIONS, features())
    except SourceError as exc:  # missing or altered archive: before anything is created
        raise UsageError(f"--conformance=ingress: {exc}") from None


# ---------------------------------------------------------------------------
# collection and scheduling: one worker per IngressClass, each controller's scenarios in file order
# ---------------------------------------------------------------------------


def scheduling_group(nodeid: str, on: frozenset[str] = frozenset()) -> str | None:
    """The group a test is scheduled with. A scenario: its controller's
    IngressClass. A test of another controller that serves the same class as
    a controller the features run on (traefik-nginx beside nginx): the same
    group, so it never runs while a feature's objects are in place: the
    default-backend feature's class-wide catch-all would answer its requests
    (and its Ingresses the features'). Anything else: None (its own unit)."""
    from harness.lab.addons import CONTROLLER_ADDONS

    if not nodeid.endswith("]") or "[" not in nodeid:
        return None
    ident = nodeid[nodeid.index("[") + 1 : -1]
    names = sorted(CONTROLLER_ADDONS, key=len, reverse=True)  # nginx-inc and traefik-nginx before nginx
    if "suites/conformance/" in nodeid.replace("\\", "/"):
        for name in names:
            if ident == name or ident.startswith(f"{name}-"):
                return f"ingress-conformance-{CONTROLLER_ADDONS[name].ingress_class}"
        return None
    subject = next((n for n in names if ident == n or ident.endswith(f"-{n}")), None)
    cls = CONTROLLER_ADDONS[subject].ingress_class if subject else None
    if subject is None or cls is None or subject in on:
        return None
    if any(CONTROLLER_ADDONS[c].ingress_class == cls for c in on if c in CONTROLLER_ADDONS):
        return f"ingress-conformance-{cls}"
    return None


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With the Ingress features in the run: load scheduling, but a scenario's
    test goes with the others of its IngressClass, as one unit, in collection
    order. (xdist's own ``--dist loadgroup`` would do it by mark, but it
    renames node ids through an attribute pytest 9 no longer reads.)"""
    if "ingress" not in requested(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByIngressClass(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scheduling_group(nodeid, config.stash.get(ON, frozenset())) or nodeid

    return ByIngressClass(config, log)


def _is_scenario(item: pytest.Item) -> bool:
    return "suites/conformance/" in item.nodeid.replace("\\", "/") and "controller" in getattr(
        getattr(item, "callspec", None), "params", {}
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "ingress" not in requested(config):
        return
    from harness.options import CONTROLLERS

    on = config.stash[ON]
    off = [item for item in items if _is_scenario(item) and item.callspec.params["controller"] not in on]  # type: ignore[attr-defined]
    if off:
        config.hook.pytest_deselected(items=off)
        items[:] = [item for item in items if item not in off]
    mine = [(i, item) for i, item in enumerate(items) if _is_scenario(item)]
    if not mine:
        return
    order = sorted(mine, key=lambda p: (CONTROLLERS.index(p[1].callspec.params["controller"]), p[0]))  # type: ignore[attr-defined]
    for (slot, _), (_, item) in zip(mine, order, strict=True):
        items[slot] = item


# ---------------------------------------------------------------------------
# each scenario -> a Case
# ---------------------------------------------------------------------------


def _fragments(config: pytest.Config) -> Path:
    return options(config).report_dir / RESULTS_DIR / f".ingress-{run_id(config)}"


def _record(item: pytest.Item, data: dict[str, Any]) -> None:
    d = _fragments(item.config)
    d.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
    (d / f"{name}.json").write_text(json.dumps(data, sort_keys=True) + "\n", encoding="utf-8")


def _case_json(case: Case) -> dict[str, Any]:
    return {
        "name": case.name,
        "outcome": case.outcome.value,
        "reason": case.reason,
        "evidence": list(case.evidence),
        "feature": case.feature,
        "claims": list(case.claims),
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    rep = yield
    if "ingress" not in requested(item.config) or not _is_scenario(item):
        return rep
    if rep.when == "setup":
        item.stash[SETUP_SECONDS] = rep.duration
        if rep.skipped or rep.failed:  # e.g. the controller cannot be had offline
            controller = item.callspec.params["controller"]  # type: ignore[attr-defined]
            if isinstance(rep.longrepr, tuple):
                why = rep.longrepr[2]
            else:
                why = one_line(call.excinfo.value) if call.excinfo else str(rep.longrepr)
            _record(item, {"controller": controller, "feature": _feature_of(item), "error": f"not run: {why}"})
        return rep
    if rep.when != "call":
        return rep
    from harness.conformance.ingress_run import ScenarioFailed

    runner = item.stash.get(RUNNER, None)
    error = call.excinfo.value if call.excinfo is not None else None
    controller = item.callspec.params["controller"]  # type: ignore[attr-defined]
    seconds = round(item.stash.get(SETUP_SECONDS, 0.0) + rep.duration, 1)
    if runner is None:
        text = one_line(error) if error else "the scenario never started"
        _record(item, {"controller": controller, "feature": _feature_of(item), "error": f"{item.name}: {text}"})
        rep.longrepr = f"harness: {text}"
        return rep
    spec = runner.spec
    base = {"controller": controller, "feature": spec.feature, "order": _order(spec), "seconds": seconds}
    known = next((k for k in item.config.stash.get(KNOWN, ()) if k.matches(controller, spec)), None)
    if rep.skipped:
        msg = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        msg = msg.removeprefix("Skipped: ")
        if msg.startswith(NOT_APPLICABLE):
            case = runner.case(Outcome.NOT_APPLICABLE, msg[len(NOT_APPLICABLE) :])
            _record(item, {**base, "case": _case_json(case)})
        return rep
    if rep.passed and runner.finished:
        _record(item, {**base, "case": _case_json(runner.case(Outcome.PASSED))})
        if known is not None:
            rep.outcome = "failed"
            rep.longrepr = (
                f"harness: {spec.name} on {controller} passes but is listed in {KNOWN_DEVIATIONS.name} "
                f"({known.cause.value}: {known.why}); remove it from the list"
            )
        return rep
    if isinstance(error, ScenarioFailed):
        lines = list(error.lines)
        dest = options(item.config).report_dir / "evidence" / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)
        try:
            shutil.rmtree(dest, ignore_errors=True)
            runner.dump(dest)
            lines.append(f"failure evidence (objects, events, logs, configuration): evidence/{dest.name}/")
        except Exception as exc:  # noqa: BLE001 - the dump is evidence; its failure must not hide the result
            lines.append(f"failure evidence could not be written: {one_line(exc)}")
        if known is not None:
            lines.append(f"known deviation ({known.cause.value}): {known.why}")
        case = runner.case(Outcome.FAILED, error.reason, lines)
        _record(item, {**base, "case": _case_json(case)})
        if known is not None:
            rep.outcome = "skipped"
            rep.wasxfail = f"known deviation ({known.cause.value}): {known.why}"
        return rep
    text = one_line(error) if error else "the scenario stopped before its last step"
    _record(item, {**base, "error": f"{spec.name}: harness error: {text}"})
    rep.longrepr = f"harness: {text}"
    return rep


def _feature_of(item: pytest.Item) -> str:
    """The feature file a generated test belongs to (its name starts test_<feature stem>_)."""
    for f in ingress.FEATURE_FILES:
        if item.name.startswith(f"test_{f.removesuffix('.feature')}_"):
            return f
    return ""


def _order(spec: ingress.ScenarioSpec) -> int:
    for f in features():
        if f.file == spec.feature:
            return f.scenarios.index(spec)
    return 0


# ---------------------------------------------------------------------------
# the end of the run: one ConformanceRun per (controller, feature file)
# ---------------------------------------------------------------------------


def collect(report_dir: Path, fragments: Path, controllers: tuple[str, ...]) -> list[ConformanceRun]:
    from harness.lab.addons import CONTROLLER_ADDONS

    cases: dict[tuple[str, str], list[tuple[int, Case]]] = {}
    seconds: dict[tuple[str, str], float] = {}
    errors: dict[tuple[str, str], list[str]] = {}
    for p in sorted(fragments.glob("*.json")):
        d = json.loads(p.read_text(encoding="utf-8"))
        key = (d["controller"], d["feature"])
        if d.get("error"):
            if d["error"] not in errors.setdefault(key, []):
                errors[key].append(d["error"])
            if d["feature"]:
                cases.setdefault(key, [])
        if "case" not in d:
            continue
        c = d["case"]
        case = Case(
            name=c["name"],
            outcome=Outcome(c["outcome"]),
            reason=c["reason"],
            evidence=tuple(c["evidence"]),
            feature=c["feature"],
            claims=tuple(c["claims"]),
        )
        cases.setdefault(key, []).append((int(d.get("order", 0)), case))
        seconds[key] = seconds.get(key, 0.0) + float(d.get("seconds", 0))
    runs = []
    digest = ingress.SOURCE.sha256[:12]
    for (controller, feature), found in sorted(cases.items(), key=lambda kv: _sort_key(kv[0])):
        cls = CONTROLLER_ADDONS[controller].ingress_class
        sharing = [c for c in controllers if c != controller and CONTROLLER_ADDONS[c].ingress_class == cls]
        notes = [
            f"features/{feature} from {ingress.SOURCE.file} (sha256 {digest}...), run with pytest-bdd and the "
            "harness's own step definitions (harness/conformance/ingress.py)",
            f"Ingress class {cls} given where the Ingress names none (upstream's --ingress-class); hostnames made "
            "unique to the test namespace; requests go to the controller's LoadBalancer address",
            "the Background is set up once per feature and controller and reused by its scenarios; its checks "
            "(the Ingress status) run in every scenario",
        ]
        if sharing:
            notes.append(
                f"class {cls} is also served by {', '.join(sharing)} in this run: the Ingress status may show "
                "either's address"
            )
        notes += [f"no result (harness): {e}" for e in errors.get((controller, feature), [])]
        runs.append(
            ConformanceRun(
                suite=ingress.SUITE,
                implementation=controller,
                profile=feature,
                cases=tuple(c for _, c in sorted(found, key=lambda x: x[0])),
                seconds=round(seconds.get((controller, feature), 0.0), 1),
                notes=tuple(notes),
            )
        )
    return runs


def _sort_key(key: tuple[str, str]) -> tuple[int, int]:
    from harness.options import CONTROLLERS

    controller, feature = key
    return CONTROLLERS.index(controller), ingress.FEATURE_FILES.index(feature)


def harness_errors(fragments: Path) -> list[str]:
    out: list[str] = []
    for p in sorted(fragments.glob("*.json")):
        d = json.loads(p.read_text(encoding="utf-8"))
        line = f"{d['controller']} {d['feature'] or ''}: {d['error']}" if d.get("error") else ""
        if line and line not in out:
            out.append(line)
    return out


def markdown(runs: list[ConformanceRun], errors: list[str]) -> str:
    lines = [
        f"# Ingress conformance ({ingress.SUITE})",
        "",
        "| controller | feature | passed | failed | not applicable | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.implementation} | {r.profile} | {r.count(Outcome.PASSED)} | {r.count(Outcome.FAILED)} | "
            f"{r.count(Outcome.NOT_APPLICABLE)} | {r.seconds:.0f} |"
        )
    differing = [(r, c) for r in runs for c in r.cases if c.outcome is not Outcome.PASSED]
    if differing:
        lines += ["", "## Scenarios that differ", ""]
        for r, c in differing:
            cause = next((e for e in c.evidence if e.startswith("known deviation")), "")
            claims = f" (claims: {', '.join(c.claims)})" if c.claims else ""
            lines.append(f"- **{r.implementation}**, {r.profile}: {c.name}: {c.outcome.value}: {c.reason}{claims}")
            if cause:
                lines.append(f"  - {cause}")
    if errors:
        lines += ["", "## Harness errors (no result)", ""] + [f"- {e}" for e in errors]
    return "\n".join(lines) + "\n"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if is_worker(config) or "ingress" not in requested(config):
        return
    fragments = _fragments(config)
    if not fragments.is_dir():
        return
    opts = options(config)
    runs = collect(opts.report_dir, fragments, opts.controllers)
    errors = harness_errors(fragments)
    out = opts.report_dir / RESULTS_DIR
    for old in out.glob("*.json"):  # this suite's records of an earlier run in this report dir
        try:
            stale = json.loads(old.read_text(encoding="utf-8")).get("suite") == ingress.SUITE
        except (OSError, ValueError):
            stale = False
        if stale:
            old.unlink()
    for run in runs:
        write(opts.report_dir, run)
    (opts.report_dir / SUMMARY).write_text(markdown(runs, errors), encoding="utf-8")
    shutil.rmtree(fragments, ignore_errors=True)
    config.stash[_WRITTEN] = (runs, errors)


_WRITTEN = pytest.StashKey[tuple[list[ConformanceRun], list[str]]]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    written = config.stash.get(_WRITTEN, None)
    if not written:
        return
    runs, errors = written
    tr = terminalreporter
    tr.write_sep("-", f"Ingress conformance ({ingress.SUITE})")
    for r in runs:
        tr.write_line(
            f"{r.implementation:<14} {r.profile:<24} {r.count(Outcome.PASSED):>3} passed "
            f"{r.count(Outcome.FAILED):>3} failed {r.count(Outcome.NOT_APPLICABLE):>3} not applicable "
            f"{r.seconds:>6.0f}s"
        )
    for r in runs:
        for c in r.cases:
            if c.outcome is not Outcome.PASSED:
                tr.write_line(f"  {r.implementation} {r.profile}: {c.outcome.value}: {c.name}: {c.reason}")
    for e in errors:
        tr.write_line(f"  harness error: {e}")
    tr.write_line(
        f"records: {options(config).report_dir / RESULTS_DIR}/, summary: {options(config).report_dir / SUMMARY}"
    )
