"""End of the run: the claims report (JSON and Markdown) and the run's
timings, written by the session-owning process from the verdicts every
worker recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.lab import cluster as clusters
from harness.lab.addons import subject_notices
from harness.pytest.plugin import REPORT, elapsed, is_worker, options, run_id
from harness.report.build import build
from harness.report.document import Run
from harness.report.write import write_documents
from harness.results import store


@pytest.hookimpl(tryfirst=True)  # before the cluster is released (harness.pytest.session)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if is_worker(config):
        return
    opts = options(config)
    rid = run_id(config)
    records = [r for r in store.load(opts.report_dir, rid) if r.claims]
    expected = store.load_expected(opts.report_dir, rid)
    if not records and not expected:
        return  # this run checked no claim: leave any earlier report alone
    state = clusters.read_state(opts)
    run = Run(
        controllers=",".join(opts.controllers),
        kind=clusters.KIND_VERSION,
        kubernetes=str(state.get("kubernetes", "")) if state else "",
        node_image=str(state.get("node_image", "")) if state else "",
        addons=dict(sorted((state.get("addons") or {}).items())) if state else {},
        client=client_versions(),
    )
    doc = build(
        records,
        controllers=list(opts.controllers),
        run=run,
        subject_notes=subject_notices(opts),
        expected=expected,
        interrupted=exitstatus == pytest.ExitCode.INTERRUPTED,
    )
    md_path = write_documents(opts.report_dir, doc)
    config.stash[REPORT] = md_path
    # timings stay out of the report body (it must diff cleanly): own file
    timings: dict[str, Any] = {"session_seconds": round(elapsed(config), 1)}
    if state.get("create_seconds") is not None:
        timings["cluster_create_seconds"] = state["create_seconds"]
    if state.get("addon_seconds"):
        timings["addon_ready_seconds"] = state["addon_seconds"]
    (opts.report_dir / "timings.json").write_text(json.dumps(timings, indent=1, sort_keys=True) + "\n")


def client_versions() -> dict[str, str]:
    """The harness side of the run: Python and the packages that probe and drive the cluster."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("pytest", "kubernetes", "httpx", "pytest-kind-ng", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    md = config.stash.get(REPORT, None)
    if md:
        terminalreporter.write_sep("-", "claims report")
        terminalreporter.write_line(f"{md} (and {md.with_suffix('.json').name})")
