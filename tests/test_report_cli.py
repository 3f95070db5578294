"""`python -m harness report merge DIR...`: the nightly's final job, run as a
real subprocess on reports written by the report module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from report_samples import CONTROLLERS, results

from harness.report.build import build
from harness.report.document import Run
from harness.report.write import write_documents

ROOT = Path(__file__).resolve().parent.parent


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_merge_cli_joins_matrix_cells(tmp_path):
    for subject in CONTROLLERS:
        rs = [r for r in results() if r.subject in (subject, "metallb")]
        doc = build(rs, controllers=[subject], run=Run(controllers=subject))
        write_documents(tmp_path / "cells" / f"claims-{subject}-k8s-1.34", doc)
    out = tmp_path / "merged"
    r = _harness(
        "report", "merge", str(tmp_path / "cells"), "--out", str(out), "--html-link", "https://ci/run#artifacts"
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "claims-report.json").read_text())
    assert doc["subjects"][:4] == sorted(CONTROLLERS) and len(doc["runs"]) == 4
    assert "[https://ci/run#artifacts](https://ci/run#artifacts)" in (out / "claims-report.md").read_text()
    assert (out / "claims-report.html").exists() and (out / "claims-junit.xml").exists()


def test_merge_cli_bad_input_is_one_line(tmp_path):
    r = _harness("report", "merge", str(tmp_path))
    assert r.returncode == 2 and r.stderr.strip() == f"report merge: no claims-report.json under {tmp_path}"
    r = _harness("nope")
    assert r.returncode == 2 and "unknown command 'nope'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
