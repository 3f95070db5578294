"""Options, preflight and the run's cluster: created (or reused) once in the
process that owns the session, before any xdist worker starts, and released
at the very end of the run."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from harness.checks.kube import Kube
from harness.lab import cluster as clusters
from harness.lab.addons import ADDONS, CONTROLLER_ADDONS, AddonUnavailable, Context, ensure_addons
from harness.options import IMAGES_ENV, ROOT, Options, UsageError, add_options, from_config
from harness.pytest.plugin import OPTIONS, STARTED, is_worker, one_line, options, run_id
from harness.results import store
from harness.results.errors import HarnessError, Observed

BASE_ADDONS = ["metallb", "gateway_api"]  # what every suite needs


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id): the guide claim this test checks (harness/claims.yaml)")
    config.addinivalue_line("markers", "correction(id): the corrected snippet this test checks (harness/claims.yaml)")
    config.addinivalue_line("markers", "controllers(*names): restrict a test to these controllers")
    config.addinivalue_line(
        "markers", "gateway_api: run on the Gateway API implementations instead of the Ingress controllers"
    )
    config.stash[OPTIONS] = from_config(config)
    if not is_worker(config):
        os.environ[clusters.OWNER_ENV] = str(os.getpid())  # the workers inherit it: who owns the cluster
        install_sigterm_handler()


class Terminated(KeyboardInterrupt):
    """SIGTERM (what CI time limits send), turned into the same teardown as Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated("SIGTERM: stopping the run and releasing its cluster")


def install_sigterm_handler() -> None:
    """In the process that owns the session: SIGTERM raises a KeyboardInterrupt
    subclass, so pytest stops the run as on Ctrl-C, the report says the run
    was interrupted, and the cluster is released."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)


def pytest_unconfigure(config: pytest.Config) -> None:
    if not is_worker(config) and signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def runs_suites(config: pytest.Config) -> bool:
    suites = ROOT / "suites"
    for arg in config.args:
        p = Path(arg.split("::")[0]).resolve()
        if p == suites or suites in p.parents or p == ROOT:
            return True
    return False


def pytest_sessionstart(session: pytest.Session) -> None:
    """In the session-owning process, before any xdist worker starts: check
    the input, then create the cluster and install the addons with progress
    on the terminal. Bad input or a failed set-up stops the run with one line
    and leaves nothing behind. (Without this, e.g. when only a worker runs,
    the fixtures do the same set-up behind the cluster lock.)"""
    config = session.config
    if is_worker(config):
        return
    config.stash[STARTED] = time.monotonic()
    opts = options(config)
    if not runs_suites(config) or config.option.collectonly:
        return
    try:  # preflight: nothing exists yet, so nothing to clean up on failure
        if opts.existing_cluster:
            assert opts.kubeconfig is not None
            clusters.check_kubeconfig(opts.kubeconfig)
        else:
            clusters.check_docker()
            clusters.check_name(opts, clusters.find_kind(opts))
            opts = _offline_preflight(config, opts)
    except clusters.ClusterError as exc:
        raise UsageError(f"harness: {exc}") from None
    shutil.rmtree(opts.report_dir / "evidence", ignore_errors=True)  # evidence belongs to one run
    try:
        cluster = clusters.acquire(opts, run_id(config))
        ctx = Context(cluster=cluster, kube=Kube(cluster.kubeconfig, opts.timeouts), options=opts)
        ensure_addons(ctx, BASE_ADDONS)
        for name in opts.controllers:
            try:
                ensure_addons(ctx, [CONTROLLER_ADDONS[name].name])
            except AddonUnavailable as exc:
                clusters.log(f"controller {name}: {exc}")
    except (HarnessError, Observed, ApiException) as exc:
        clusters.release(opts)
        raise UsageError(f"harness: {one_line(exc)}") from None
    except BaseException:
        clusters.release(opts)
        raise


def _offline_preflight(config: pytest.Config, opts: Options) -> Options:
    """No --images-dir: when no registry answers, use (and if need be build)
    the images `make images` makes, before anything is created."""
    if opts.images_dir is not None:
        return opts
    from harness.lab import offline

    if offline.registry_reachable():
        return opts
    wanted = [
        image
        for name in [*BASE_ADDONS, *(CONTROLLER_ADDONS[c].name for c in opts.controllers)]
        for image in ADDONS[name].images()
    ]
    node_image = opts.node_image or clusters.NODE_IMAGE
    clusters.log(f"no registry answers ({offline.PROBE_URL}): offline run on the images `make images` builds")
    images_dir = offline.offline_images(wanted, node_image)
    os.environ[IMAGES_ENV] = str(images_dir)  # the xdist workers start after this and read it
    opts = dataclasses.replace(opts, images_dir=images_dir)
    config.stash[OPTIONS] = opts
    return opts


def pytest_configure_node(node: Any) -> None:  # xdist hook: share the run id
    node.workerinput["harness_run_id"] = run_id(node.config)


@pytest.hookimpl(trylast=True)  # after the report is written (harness.pytest.reporting)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not is_worker(config) and runs_suites(config):
        store.prune(options(config).report_dir, keep=run_id(config))  # earlier runs' raw results
        clusters.release(options(config))
