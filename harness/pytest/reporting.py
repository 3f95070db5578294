"""End of the run: the claims report (JSON and Markdown) and the run's
timings, written by the session-owning process from the verdicts every
worker recorded."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.conformance.model import ConformanceRun
from harness.conformance.model import load_all as load_conformance
from harness.lab import cluster as clusters
from harness.lab.addons import subject_notices
from harness.pytest.plugin import REPORT, elapsed, is_worker, options, run_id
from harness.report.build import build
from harness.report.document import CellRef, Run
from harness.report.write import write_documents
from harness.results import store
from harness.results.known import stale


@pytest.hookimpl(tryfirst=True)  # before the cluster is released (harness.pytest.session)
def _conformance_records(report_dir: Path) -> list[ConformanceRun]:
    """The upstream conformance records of the report directory (this run's and a ``make conformance`` before it);
    an unreadable one is named and left out: the claims report is written either way."""
    try:
        return load_conformance(report_dir)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"\nharness: conformance records in {report_dir} left out of the claims report: {why}")
        return []


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
        conformance=_conformance_records(opts.report_dir),
    )
    gone = stale(opts.known_refutations, doc.cell_verdicts())
    if gone:  # judged over the whole run: a claim several tests check holds when all of them held
        doc.status = replace(
            doc.status,
            stale_known=tuple(
                CellRef(k.claim, k.subject, f"listed as a known refutation ({k.describe()}) but holds now: remove it")
                for k in gone
            ),
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        config.stash[STALE] = [f"harness: {e.claim} on {e.subject} is {e.why}" for e in doc.status.stale_known]
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


STALE = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for line in config.stash.get(STALE, []):
        terminalreporter.write_line(line, red=True)
    md = config.stash.get(REPORT, None)
    if md:
        terminalreporter.write_sep("-", "claims report")
        terminalreporter.write_line(f"{md} (and {md.with_suffix('.json').name})")
