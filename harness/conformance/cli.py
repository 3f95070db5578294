"""``python -m harness conformance``: the upstream Gateway API conformance
suite, at the version of the CRDs the harness installs, on the Gateway API
implementations built here, with each implementation's own upstream set-up.

Writes one record per implementation, profile and level under
``<report-dir>/conformance/`` (:mod:`harness.conformance.model`), the
suite's own files (ConformanceReport YAML, go test events, the options it
was given) under ``<report-dir>/conformance/gateway-api/<implementation>/``,
and ``<report-dir>/conformance-report.md`` and ``.json`` from every record
there.

Exit status: 0 when no test failed, 1 when some did, 2 for bad input (one
line, before anything is created), 3 when the run could not be carried out
(the cluster, an addon or the suite's own set-up failed).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from harness import claims as claim_catalog
from harness import paths
from harness.checks.kube import Kube
from harness.checks.timeouts import Timeouts
from harness.conformance import gateway as gw
from harness.conformance import model, render
from harness.conformance.published import REPORTS
from harness.conformance.setups import prepare, restore
from harness.lab import cluster as clusters
from harness.lab.addons import (
    ADDONS,
    AddonUnavailable,
    Context,
    ensure_addons,
    gateway_conformance,
    image_index,
    install_order,
)
from harness.options import DEFAULT_CLUSTER_NAME, Options
from harness.results.errors import HarnessError, Observed

PROG = "python -m harness conformance"
DEFAULT_IMPLEMENTATIONS = "envoy-gateway,traefik"
BASE = ["metallb", "gateway_api", "gateway_api_conformance"]
SUITE_NAMESPACES = ("gateway-conformance-infra", "gateway-conformance-app-backend", "gateway-conformance-web-backend")


class Usage(Exception):
    pass


# what stops one implementation's run (or the cluster for all): the harness's own errors, never a verdict
RUN_ERRORS = (gw.ConformanceError, HarnessError, AddonUnavailable, Observed)


def one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").split("\n\n")[0])
    p.add_argument(
        "--implementation",
        default=DEFAULT_IMPLEMENTATIONS,
        help=f"comma-separated Gateway API implementations (default: {DEFAULT_IMPLEMENTATIONS})",
    )
    p.add_argument(
        "--profiles",
        default="",
        help="comma-separated profiles, each optionally :core (e.g. GATEWAY-HTTP:core); "
        "default: every profile the implementation's published report claims",
    )
    p.add_argument("--kubeconfig", help="use an existing cluster (nothing is created or deleted)")
    p.add_argument("--cluster-name", default=DEFAULT_CLUSTER_NAME, help="kind cluster name")
    p.add_argument("--keep-cluster", action="store_true", help="keep the kind cluster after the run")
    p.add_argument("--kind-bin", help="kind binary")
    p.add_argument("--node-image", help="kind node image")
    p.add_argument("--images-dir", help="image archives from `make images` (offline)")
    p.add_argument("--report-dir", default="reports", help="where the results go (default: reports)")
    p.add_argument(
        "--timeout", type=int, default=gw.DEFAULT_TIMEOUT_MIN, help="go test -timeout per implementation, minutes"
    )
    return p


def report_dir_of(a: argparse.Namespace) -> Path:
    d = Path(a.report_dir)
    return d if d.is_absolute() else paths.work_root() / d


def options_of(a: argparse.Namespace, images_dir: Path | None) -> Options:
    return Options(
        controllers=(),
        cluster_name=a.cluster_name,
        kubeconfig=Path(a.kubeconfig).resolve() if a.kubeconfig else None,
        keep_cluster=bool(a.keep_cluster),
        kind_bin=Path(a.kind_bin).resolve() if a.kind_bin else None,
        node_image=a.node_image,
        images_dir=images_dir,
        report_dir=report_dir_of(a),
        state_dir=paths.work_root() / ".harness",
        timeouts=Timeouts(),
    )


# ---------------------------------------------------------------------------
# preflight: everything that can be wrong with the input, before anything is created
# ---------------------------------------------------------------------------


def preflight_input(a: argparse.Namespace) -> tuple[list[Any], str]:
    """Implementations, profiles, versions: no network, no cluster."""
    names = [s.strip() for s in a.implementation.split(",") if s.strip()]
    if not names:
        raise Usage("no implementation given")
    setups = [gw.setup_for(n) for n in dict.fromkeys(names)]
    for s in setups:
        gw.parse_selection(a.profiles, s.implementation)
    if a.timeout <= 0:
        raise Usage("--timeout must be a positive number of minutes")
    if a.kubeconfig and not Path(a.kubeconfig).is_file():
        raise Usage(f"kubeconfig {a.kubeconfig} does not exist")
    if a.images_dir and not Path(a.images_dir).is_dir():
        raise Usage(f"--images-dir {a.images_dir} is not a directory (build it with `make images`)")
    version = gw.check_versions()
    return setups, version


def wanted_images(setups: list[Any]) -> list[str]:
    names = [*BASE, *(s.addon for s in setups)]
    seen: list[str] = []
    for n in install_order(names):
        for image in ADDONS[n].images():
            if image not in seen:
                seen.append(image)
    return seen


def preflight_images(a: argparse.Namespace, setups: list[Any], version: str) -> Path | None:
    """The images directory to load from (None: the nodes pull). A given
    directory must hold every image, and every image the suite's manifests
    name must be among them; offline with none given, `make images` builds
    what is missing, as the e2e does."""
    if a.kubeconfig:
        return None
    wanted = wanted_images(setups)
    node_image = a.node_image or clusters.NODE_IMAGE
    if a.images_dir:
        d = Path(a.images_dir).resolve()
    else:
        from harness.lab import offline

        if offline.registry_reachable():
            return None
        clusters.log(f"no registry answers ({offline.PROBE_URL}): offline run on the images `make images` builds")
        d = offline.offline_images(wanted, node_image)
    index = image_index(d)
    have = {*index, *(i.removeprefix("docker.io/") for i in index)}
    named = gw.suite_images(version)
    missing = []
    for image in dict.fromkeys([*wanted, *sorted(named)]):
        if image in gateway_conformance.NOT_BUILT:
            continue
        why = []
        if image in wanted:
            why.append(f"for {owner_of(image)}")
        if image in named:
            why.append(f"named by {gw.SUITE_MODULE} {version} {gw.shown(named[image])}")
        if image not in have:
            missing.append(f"{image} ({'; '.join(why)})")
        elif image in index and not (d / index[image]).exists():
            missing.append(f"{image}: its archive {d / index[image]} is gone")
    if missing:
        raise Usage(f"missing image{'s' if len(missing) > 1 else ''} in {d}: {', '.join(missing)} (`make images`)")
    return d


def owner_of(image: str) -> str:
    return next((n for n, addon in ADDONS.items() if image in addon.images()), "?")


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    pass


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated("SIGTERM")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def clean_leftovers(kube: Kube, objects: gw.SuiteObjects) -> list[str]:
    """Wait until what the suite's manifests create is gone: its clean-up
    deletes it without waiting, and a run that was interrupted or killed
    leaves it in place (deleted here). Returns what was left in place."""
    left: list[str] = []
    for n in objects.namespaces:
        ns = kube.get("v1", "Namespace", n)
        if ns and not ns.get("metadata", {}).get("deletionTimestamp"):
            left.append(n)
    classes = [c for c in objects.gateway_classes if kube.get("gateway.networking.k8s.io/v1", "GatewayClass", c)]
    if left or classes:
        gw.say(f"removing what the suite left in place: {', '.join([*left, *classes])}")
    kube.delete(
        [
            {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": c}}
            for c in classes
        ]
    )
    for n in objects.namespaces:
        kube.delete_namespace(n, wait=True)  # gone already, or deleted now: wait until it is
    return [*left, *classes]


def run_one(
    ctx: Context,
    setup: Any,
    selection: gw.Selection,
    catalogue: Any,
    binary: Path,
    version: str,
    report_dir: Path,
    timeout_min: int,
    procs: list[subprocess.Popen[str]],
) -> list[model.ConformanceRun]:
    kube = ctx.kube
    out_dir = report_dir / model.RESULTS_DIR / gw.RESULTS_SUBDIR / setup.implementation
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    objects = gw.suite_objects(version)
    clean_leftovers(kube, objects)
    facts = []
    crds = gw.installed_crd_version(kube)
    if crds is None or crds[0] != version:
        raise gw.ConformanceError(
            f"CRD/suite version mismatch: the cluster's Gateway API CRDs are {crds[0] if crds else 'absent'}, "
            f"the suite is {version}"
        )
    facts.append(f"Gateway API CRDs {crds[0]} ({crds[1]} channel) in the cluster")
    published = REPORTS.get(setup.implementation)
    if published and published.channel != crds[1]:
        facts.append(
            f"the published report ran the {published.channel} channel, this cluster has the {crds[1]} one "
            "(GATEWAY_API_CHANNEL): tests of kinds the channel lacks cannot run alike"
        )
    ensure_addons(ctx, [setup.addon])
    prepared = prepare(ctx, setup)
    facts += prepared.facts
    features = gw.suite_features(setup, catalogue, selection)
    addon = ADDONS[setup.addon]
    options = gw.options_document(setup, selection, features, prepared, addon.version)
    options_file = out_dir / "options.yaml"
    options_file.write_text(yaml.safe_dump(options, sort_keys=False), encoding="utf-8")
    gw.say(f"{setup.implementation}: running {selection.describe()} ({len(features)} features; options {options_file})")
    left: list[str] = []
    try:
        run = gw.run_suite(
            binary, ctx.cluster.kubeconfig, options_file, out_dir, timeout_min=timeout_min, on_process=procs.append
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=30)
        procs.clear()
        try:
            left = clean_leftovers(kube, objects)
        finally:
            restore(ctx, setup)
    stopped = gw.setup_failure(run)
    if stopped:
        raise gw.ConformanceError(f"{setup.implementation}: {stopped} (events: {run.events_file})")
    rel = run.report_file.relative_to(report_dir) if run.report_file else ""
    rctx = gw.RunContext(
        setup=setup,
        selection=selection,
        catalogue=catalogue,
        features=features,
        version=version,
        implementation_version=addon.version,
        facts=facts,
        report_file=str(rel),
    )
    recs = gw.records(run, rctx)
    if any(r.count(model.Outcome.FAILED) for r in recs):
        save_controller_logs(ctx, setup, out_dir)
    if left:
        recs = [
            dataclasses.replace(r, notes=(*r.notes, f"the suite left behind (removed): {', '.join(left)}"))
            for r in recs
        ]
    return recs


def save_controller_logs(ctx: Context, setup: Any, out_dir: Path) -> None:
    from harness.lab.addons import CONTROLLER_ADDONS, BoundController

    try:
        logs = BoundController(CONTROLLER_ADDONS[setup.implementation], ctx).logs(tail=2000)
    except Exception as exc:  # evidence only: never fail the run on it
        gw.say(f"could not read {setup.implementation}'s logs: {str(exc).splitlines()[0] if str(exc) else exc}")
        return
    (out_dir / "controller-logs.txt").write_text(
        "\n".join(f"===== {pod}\n{text}" for pod, text in sorted(logs.items())), encoding="utf-8"
    )


def write_reports(report_dir: Path) -> tuple[Path, Path]:
    runs = model.load_all(report_dir)
    claims = claim_catalog.load().claims
    md = report_dir / "conformance-report.md"
    js = report_dir / "conformance-report.json"
    md.write_text(render.render_markdown(runs), encoding="utf-8")
    js.write_text(json.dumps(render.report_json(runs, claims), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return md, js


def main(argv: list[str]) -> int:
    a = parser().parse_args(argv)
    try:
        setups, version = preflight_input(a)
    except (Usage, gw.ConformanceError) as exc:
        print(f"harness conformance: {exc}", file=sys.stderr)
        return 2
    report_dir = report_dir_of(a)
    procs: list[subprocess.Popen[str]] = []
    opts: Options | None = None
    failed = False
    with sigterm_as_interrupt():
        try:
            try:
                if a.kubeconfig:
                    kubeconfig = Path(a.kubeconfig).resolve()
                    clusters.check_kubeconfig(kubeconfig)
                    crds = gw.installed_crd_version(Kube(kubeconfig, Timeouts()))
                    if crds is not None and crds[0] != version:
                        raise Usage(
                            f"CRD/suite version mismatch: the Gateway API CRDs in the cluster of {kubeconfig} are "
                            f"{crds[0]} ({crds[1]} channel), the suite is {version} "
                            f"({gw.MODULE_DIR.relative_to(paths.DATA)}/go.mod); "
                            f"install the CRDs {version} or pin the suite"
                        )
                else:
                    clusters.check_docker()
                images_dir = preflight_images(a, setups, version)
                opts = options_of(a, images_dir)
                if not a.kubeconfig:
                    clusters.check_name(opts, clusters.find_kind(opts))
                binary = gw.test_binary()
                catalogue = gw.load_catalogue(
                    binary, report_dir / model.RESULTS_DIR / gw.RESULTS_SUBDIR / "catalogue.json"
                )
                selections = {}
                for s in setups:
                    gw.check_setup(s, catalogue)
                    selections[s.implementation] = gw.parse_selection(a.profiles, s.implementation, catalogue.profiles)
            except (Usage, gw.ConformanceError, HarnessError) as exc:
                print(f"harness conformance: {exc}", file=sys.stderr)
                return 2
            assert opts is not None
            started = time.monotonic()
            errors: list[str] = []
            try:
                cluster = clusters.acquire(opts, f"conformance-{uuid.uuid4().hex[:8]}")
                ctx = Context(cluster=cluster, kube=Kube(cluster.kubeconfig, opts.timeouts), options=opts)
                ensure_addons(ctx, BASE)
                for s in setups:
                    for old in (report_dir / model.RESULTS_DIR).glob(f"gateway-api-*-{s.implementation}-*.json"):
                        old.unlink()
                    try:
                        recs = run_one(
                            ctx,
                            s,
                            selections[s.implementation],
                            catalogue,
                            binary,
                            version,
                            report_dir,
                            a.timeout,
                            procs,
                        )
                    except RUN_ERRORS as exc:  # this implementation could not be run: say so, go on
                        line = one_line(exc)
                        print(f"harness conformance: {s.implementation}: {line}", file=sys.stderr)
                        errors.append(line)
                        recs = gw.not_run(s, selections[s.implementation], version, line)
                    for r in recs:
                        model.write(report_dir, r)
                        n_pass, n_fail, n_skip, n_na = render.counts(r)
                        gw.say(
                            f"{s.implementation} {r.profile}: {n_pass} passed, {n_fail} failed, {n_skip} skipped, "
                            f"{n_na} not applicable"
                        )
                        failed = failed or n_fail > 0
            except RUN_ERRORS as exc:
                print(f"harness conformance: {one_line(exc)}", file=sys.stderr)
                errors.append(one_line(exc))
            finally:
                clusters.release(opts)
                md, js = write_reports(report_dir)
            gw.say(f"done in {time.monotonic() - started:.0f}s; report: {md} and {js}")
            return 3 if errors else 1 if failed else 0
        except KeyboardInterrupt:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
            print("harness conformance: interrupted; the cluster was released", file=sys.stderr)
            return 130
