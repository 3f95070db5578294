"""Where test records go while a run is going: one JSON-lines file per
process under ``<report dir>/results/<run id>/``, beside the cells the run
meant to check (``expected-*.jsonl``, written at collection). Any xdist
worker appends; the session-owning process reads them all back into
:class:`~harness.results.model.TestRecord` objects at the end. The claims
suites and article mode write through the same two functions."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .model import TestRecord


class StoreError(ValueError):
    """A result file that cannot be read back; one line naming the file and line."""


@dataclass(frozen=True)
class ExpectedCell:
    """A (claim, subject) cell the run means to check, and by which test."""

    claim: str
    subject: str
    test: str


def results_dir(report_dir: Path, run_id: str) -> Path:
    """One run's own directory, so a run that checks nothing never touches another run's report."""
    return report_dir / "results" / run_id


def _process() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def record(report_dir: Path, run_id: str, rec: TestRecord) -> None:
    """Append one test's record; safe from several processes (one file per process)."""
    out = results_dir(report_dir, run_id)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"{_process()}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec.to_json(), sort_keys=True) + "\n")


def load(report_dir: Path, run_id: str) -> list[TestRecord]:
    out: list[TestRecord] = []
    d = results_dir(report_dir, run_id)
    if not d.is_dir():
        return out
    for path in sorted(d.glob("*.jsonl")):
        if path.name.startswith("expected-"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(TestRecord.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"{path}:{n}: not a test record: {exc}") from None
    return out


def record_expected(report_dir: Path, run_id: str, cells: list[ExpectedCell]) -> None:
    out = results_dir(report_dir, run_id)
    out.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(vars(c), sort_keys=True) + "\n" for c in cells)
    (out / f"expected-{_process()}.jsonl").write_text(text, encoding="utf-8")


def load_expected(report_dir: Path, run_id: str) -> list[ExpectedCell]:
    out: list[ExpectedCell] = []
    for path in sorted(results_dir(report_dir, run_id).glob("expected-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(ExpectedCell(**json.loads(line)))
    return out


def prune(report_dir: Path, keep: str) -> None:
    """Remove the raw results of every run but ``keep``."""
    base = report_dir / "results"
    for old in base.iterdir() if base.is_dir() else []:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
